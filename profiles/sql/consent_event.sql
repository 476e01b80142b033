-- consent_event: every consent grant, withdrawal or objection from every source, with the contact
-- point it was given for and its evidence.
CREATE OR REPLACE TABLE consent_event AS
SELECT
    c.consent_event_key,
    l.customer_id,
    c.person_record_key,
    c.source_system AS source,
    c.source_entity,
    c.source_event_id,
    c.purpose,
    c.channel,
    c.contact_point,
    CASE
        WHEN c.contact_point IS NULL THEN NULL
        WHEN lower(trim(c.contact_point)) = 'all' THEN 'all'
        WHEN c.channel = 'email' THEN coalesce(sp.email_std, lower(trim(c.contact_point)))
        WHEN c.channel IN ('phone', 'sms') THEN coalesce(sp.phone_e164, trim(c.contact_point))
        WHEN c.channel = 'letter' THEN address_key(c.contact_point)
    END AS point_key,
    CASE
        WHEN c.contact_point IS NULL THEN 'unknown'
        WHEN lower(trim(c.contact_point)) = 'all' OR c.channel = 'all' THEN 'all'
        ELSE 'contact_point'
    END AS scope,
    c.status,
    c.ts,
    c.method,
    c.evidence,
    c._source_file AS source_file,
    c._row_number AS source_row_number
FROM src_consent_events c
LEFT JOIN src_identity_link l ON l.record_key = c.person_record_key
LEFT JOIN src_consent_point sp ON sp.contact_point = c.contact_point
ORDER BY customer_id, purpose, channel, ts;

COMMENT ON TABLE consent_event IS 'All consent events (grants, withdrawals, objections) from all sources with the contact point they were given for and their evidence; the consent table derives the current state per contact point from them.';
COMMENT ON COLUMN consent_event.consent_event_key IS 'Unique id <source>:<entity>:<id> of the event.';
COMMENT ON COLUMN consent_event.customer_id IS 'Customer the event belongs to (via identity_link); NULL when the person record is unknown.';
COMMENT ON COLUMN consent_event.person_record_key IS 'Source person record the event was recorded against.';
COMMENT ON COLUMN consent_event.source IS 'Source system that recorded the event.';
COMMENT ON COLUMN consent_event.source_entity IS 'Source entity the event came from (consent_events, newsletter ...).';
COMMENT ON COLUMN consent_event.source_event_id IS 'Id of the event in its source system.';
COMMENT ON COLUMN consent_event.purpose IS 'Purpose: marketing, profiling, service.';
COMMENT ON COLUMN consent_event.channel IS 'Channel the consent covers: email, phone, sms, letter; all (an objection covers every channel).';
COMMENT ON COLUMN consent_event.contact_point IS 'The e-mail address, phone number or postal address the consent was given for, as the source delivered it; all = every contact point (the source says so); NULL = the source does not say.';
COMMENT ON COLUMN consent_event.point_key IS 'contact_point standardised like person records (e-mail rules, E.164, folded address) to match contact_point.point_key; all or NULL as contact_point.';
COMMENT ON COLUMN consent_event.scope IS 'contact_point (bound to one address or number), all (every contact point), unknown (source does not say: a grant covers only the contact points of its own person record, a withdrawal every one).';
COMMENT ON COLUMN consent_event.status IS 'granted, withdrawn, objection (Art. 21 GDPR), or pending (a newsletter sign-up whose double opt-in is not confirmed: evidence only, never a grant).';
COMMENT ON COLUMN consent_event.ts IS 'When the person gave or withdrew the consent (UTC).';
COMMENT ON COLUMN consent_event.method IS 'How it was obtained: double_opt_in, web_form, phone_call, paper_form, store, checkout ...';
COMMENT ON COLUMN consent_event.evidence IS 'Evidence: consent text id/version, confirmation reference, where the source delivers one.';
COMMENT ON COLUMN consent_event.source_file IS 'Landing file the event was read from (relative to data/landing).';
COMMENT ON COLUMN consent_event.source_row_number IS '1-based row of the event inside source_file.';
