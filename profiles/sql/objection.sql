-- objection: every objection (Art. 21 GDPR) to processing for a purpose, from any source, one
-- row per recorded objection: a consent event with status 'objection', or a contact the source
-- types as one (its subject is in privacy settings objection_subjects, e.g. a CRM letter
-- "Widerspruch Werbung"). An objection covers every channel and contact point of the customer
-- (consent.sql) and takes away a legitimate-interest basis (legal_basis.sql). It stays active
-- until the customer grants a consent for the purpose again, later.
CREATE OR REPLACE TABLE objection AS
WITH recorded AS (
    SELECT customer_id, purpose, ts AS objected_at, source, 'consent_event' AS recorded_as,
           consent_event_key AS reference, person_record_key, method AS how, evidence
    FROM consent_event
    WHERE status = 'objection' AND customer_id IS NOT NULL
    UNION ALL
    SELECT h.customer_id, o.purpose, h.ts, h.source, 'contact', h.contact_id, h.person_record_key,
           h.type, h.summary
    FROM contact_history h
    JOIN cfg_objection_subject o
      ON lower(trim(h.summary)) = o.subject
     AND (o.source IS NULL OR o.source = h.source)
     AND (o.type IS NULL OR o.type = h.type)
    WHERE h.customer_id IS NOT NULL AND h.type <> 'consent_change'
)
SELECT
    r.*,
    -- no grant after the objection (a join rather than a correlated NOT EXISTS, which Spark SQL
    -- fails to plan here; the same result on both engines)
    coalesce(g.last_granted_at <= r.objected_at, true) AS active
FROM recorded r
LEFT JOIN (
    SELECT customer_id, purpose, max(ts) AS last_granted_at
    FROM consent_event WHERE status = 'granted'
    GROUP BY customer_id, purpose
) g ON g.customer_id = r.customer_id AND g.purpose = r.purpose
ORDER BY r.customer_id, r.purpose, r.objected_at;

COMMENT ON TABLE objection IS 'Every objection (Art. 21 GDPR) from any source: consent events with status objection and contacts the source types as one (privacy settings objection_subjects, e.g. a letter "Widerspruch Werbung"). An objection suppresses the purpose on every channel and contact point.';
COMMENT ON COLUMN objection.customer_id IS 'Customer id.';
COMMENT ON COLUMN objection.purpose IS 'Purpose objected to: marketing, profiling ...';
COMMENT ON COLUMN objection.objected_at IS 'When the objection was recorded (UTC).';
COMMENT ON COLUMN objection.source IS 'Source system that recorded it.';
COMMENT ON COLUMN objection.recorded_as IS 'consent_event (the source recorded an objection) or contact (a letter, ticket ... typed as an objection).';
COMMENT ON COLUMN objection.reference IS 'The consent_event_key or contact_history.contact_id.';
COMMENT ON COLUMN objection.person_record_key IS 'Source person record it was recorded against.';
COMMENT ON COLUMN objection.how IS 'How it arrived: the consent method (letter, phone_call ...) or the contact type (letter, ticket ...).';
COMMENT ON COLUMN objection.evidence IS 'Evidence: consent text version, or the contact subject.';
COMMENT ON COLUMN objection.active IS 'True until the customer grants a consent for the purpose again, later.';
