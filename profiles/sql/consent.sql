-- consent: current state per customer x purpose x channel x contact point.
-- Contact points are every address and number of the customer's person records (contact_point)
-- plus every one a consent event names; a channel without any gets one row with contact_point
-- NULL. An event applies to a contact point when
--   * it names that contact point (scope contact_point): a double opt-in confirms one address;
--   * it covers every contact point (scope all, objections: channel all) or does not say
--     (scope unknown): a withdrawal or objection applies to every contact point of the customer,
--     a grant only to the contact points of the person record it was recorded against, so a
--     merge never moves a consent to an address it was not given for.
-- A withdrawal or objection also applies, in every customer, to the contact point it names and
-- to the contact points of the record it was recorded against (even a record identity could
-- not place): after a split, or for an address two customers share, the address stays withdrawn.
-- Among the applicable events the latest wins; at the same time the most restrictive
-- (objection, then withdrawn). No event = 'unknown', which counts as not granted.
CREATE OR REPLACE TABLE consent AS
WITH events AS (
    SELECT customer_id, purpose, channel, point_key, scope, status, ts, source, method, evidence,
           consent_event_key, person_record_key
    FROM consent_event
    WHERE customer_id IS NOT NULL AND status IN ('granted', 'withdrawn', 'objection')
    UNION ALL
    -- objections the source typed as a contact (a letter), not as a consent event
    SELECT customer_id, purpose, 'all', 'all', 'all', 'objection', objected_at, source, how,
           evidence, reference, person_record_key
    FROM objection
    WHERE recorded_as = 'contact'
),
named AS (
    -- contact points named by a consent event but held by no person record of the customer
    SELECT e.customer_id, e.channel, e.point_key, min(e.contact_point) AS contact_point
    FROM consent_event e
    WHERE e.customer_id IS NOT NULL AND e.scope = 'contact_point' AND e.point_key IS NOT NULL
      AND e.status IN ('granted', 'withdrawn', 'objection')
      AND NOT EXISTS (SELECT 1 FROM contact_point k WHERE k.customer_id = e.customer_id
                      AND k.channel = e.channel AND k.point_key = e.point_key)
    GROUP BY ALL
),
points AS (
    SELECT customer_id, channel, point_key, contact_point, true AS reachable, is_golden, record_keys
    FROM contact_point
    UNION ALL
    SELECT customer_id, channel, point_key, contact_point, false, false, []::VARCHAR[]
    FROM named
),
grid AS (
    SELECT c.customer_id, g.purpose, g.channel, p.point_key, p.contact_point,
           coalesce(p.reachable, false) AS reachable, coalesce(p.is_golden, false) AS is_golden,
           p.record_keys
    FROM customer c
    CROSS JOIN cfg_consent_grid g
    LEFT JOIN points p ON p.customer_id = c.customer_id AND p.channel = g.channel
),
restrictions AS (
    -- withdrawals and objections by the contact point they cover, whoever holds it now
    SELECT e.purpose, e.channel, e.point_key, e.status, e.ts, e.source, e.method,
           e.evidence, e.consent_event_key, e.person_record_key, e.scope
    FROM consent_event e
    WHERE e.scope = 'contact_point' AND e.status IN ('withdrawn', 'objection')
    UNION ALL
    SELECT e.purpose, k.channel, k.point_key, e.status, e.ts, e.source, e.method, e.evidence,
           e.consent_event_key, e.person_record_key, e.scope
    FROM events e
    JOIN (SELECT channel, point_key, unnest(record_keys) AS record_key FROM contact_point) k
      ON k.record_key = e.person_record_key AND (e.channel = k.channel OR e.channel = 'all')
    WHERE e.scope <> 'contact_point' AND e.status IN ('withdrawn', 'objection')
),
applicable AS (
    SELECT g.customer_id, g.purpose, g.channel, g.point_key,
           e.status, e.ts, e.source, e.method, e.evidence, e.consent_event_key, e.person_record_key,
           e.scope
    FROM grid g
    JOIN events e
      ON e.customer_id = g.customer_id AND e.purpose = g.purpose
     AND (e.channel = g.channel OR e.channel = 'all')
     AND CASE
             WHEN e.scope = 'contact_point' THEN e.point_key = g.point_key
             WHEN e.status <> 'granted' THEN true
             ELSE g.point_key IS NULL OR list_contains(g.record_keys, e.person_record_key)
         END
    UNION
    SELECT g.customer_id, g.purpose, g.channel, g.point_key,
           r.status, r.ts, r.source, r.method, r.evidence, r.consent_event_key, r.person_record_key,
           r.scope
    FROM grid g
    JOIN restrictions r
      ON r.purpose = g.purpose AND r.point_key = g.point_key
     AND (r.channel = g.channel OR r.channel = 'all')
),
ranked AS (
    SELECT
        a.*,
        row_number() OVER w AS rn,
        count(*) OVER (PARTITION BY a.customer_id, a.purpose, a.channel, a.point_key) AS event_count
    FROM applicable a
    WINDOW w AS (
        PARTITION BY a.customer_id, a.purpose, a.channel, a.point_key
        ORDER BY a.ts DESC NULLS LAST,
                 CASE a.status WHEN 'objection' THEN 0 WHEN 'withdrawn' THEN 1 ELSE 2 END,
                 a.consent_event_key
    )
    QUALIFY rn = 1
)
SELECT
    g.customer_id,
    g.purpose,
    g.channel,
    g.contact_point,
    g.point_key,
    g.reachable,
    g.is_golden,
    coalesce(r.status, 'unknown') AS state,
    coalesce(r.status = 'granted', false) AS is_granted,
    r.ts AS decided_at,
    r.source,
    r.method,
    r.evidence,
    r.consent_event_key,
    r.person_record_key,
    r.scope,
    coalesce(r.event_count, 0) AS event_count
FROM grid g
LEFT JOIN ranked r
    ON r.customer_id = g.customer_id AND r.purpose = g.purpose AND r.channel = g.channel
   AND r.point_key IS NOT DISTINCT FROM g.point_key
ORDER BY g.customer_id, g.purpose, g.channel, g.point_key;

COMMENT ON TABLE consent IS 'Current consent per customer x purpose x channel x contact point, for every configured purpose and channel and every contact point of the customer (NULL: the customer has none on the channel). A consent applies to the contact point it was given for; a grant for all contact points only to those of its own person record, a withdrawal or objection to all of the customer''s and, in every customer, to the contact point it names or its record holds. The latest applicable event wins, at equal time the most restrictive (objection, withdrawn). No event = unknown (not granted).';
COMMENT ON COLUMN consent.customer_id IS 'Customer id.';
COMMENT ON COLUMN consent.purpose IS 'Purpose: marketing, profiling, service (profile settings purposes).';
COMMENT ON COLUMN consent.channel IS 'Channel: email, phone, sms, letter (profile settings consent_channels).';
COMMENT ON COLUMN consent.contact_point IS 'The e-mail address, phone number (E.164) or postal address this row decides; NULL when the customer has none on the channel.';
COMMENT ON COLUMN consent.point_key IS 'Matching key of the contact point (see contact_point.point_key).';
COMMENT ON COLUMN consent.reachable IS 'True when a person record of the customer holds the contact point (false: only a consent event names it).';
COMMENT ON COLUMN consent.is_golden IS 'True when it is the golden record''s contact point for the channel.';
COMMENT ON COLUMN consent.state IS 'granted, withdrawn, objection (Art. 21) or unknown (no event).';
COMMENT ON COLUMN consent.is_granted IS 'True only when state = granted; use this (per contact point) to filter audiences.';
COMMENT ON COLUMN consent.decided_at IS 'Time of the event that decided the state (UTC); NULL when unknown.';
COMMENT ON COLUMN consent.source IS 'Source system of the deciding event.';
COMMENT ON COLUMN consent.method IS 'How the deciding consent was obtained (double_opt_in, web_form, letter ...).';
COMMENT ON COLUMN consent.evidence IS 'Evidence of the deciding event (text version, confirmation reference, objection subject).';
COMMENT ON COLUMN consent.consent_event_key IS 'The deciding event in consent_event (or the contact in contact_history for an objection letter).';
COMMENT ON COLUMN consent.person_record_key IS 'Source person record the deciding event was recorded against.';
COMMENT ON COLUMN consent.scope IS 'Scope of the deciding event: contact_point, all, unknown (see consent_event.scope).';
COMMENT ON COLUMN consent.event_count IS 'Number of events that apply to this contact point.';
