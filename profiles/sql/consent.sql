-- consent: current state per customer x purpose x channel (every configured purpose and channel).
-- The latest event wins across all sources and all merged records of the customer; at equal
-- time the most restrictive (withdrawn) wins; so a withdrawal is never overridden by an older
-- grant. No event = 'unknown', which counts as not granted.
CREATE OR REPLACE TABLE consent AS
WITH ranked AS (
    SELECT
        e.*,
        row_number() OVER (
            PARTITION BY customer_id, purpose, channel
            ORDER BY ts DESC NULLS LAST,
                     CASE status WHEN 'withdrawn' THEN 0 ELSE 1 END,
                     consent_event_key
        ) AS rn,
        count(*) OVER (PARTITION BY customer_id, purpose, channel) AS event_count
    FROM consent_event e
    WHERE customer_id IS NOT NULL AND status IN ('granted', 'withdrawn')
)
SELECT
    c.customer_id,
    g.purpose,
    g.channel,
    coalesce(r.status, 'unknown') AS state,
    coalesce(r.status = 'granted', false) AS is_granted,
    r.ts AS decided_at,
    r.source,
    r.method,
    r.evidence,
    r.consent_event_key,
    r.person_record_key,
    coalesce(r.event_count, 0) AS event_count
FROM customer c
CROSS JOIN cfg_consent_grid g
LEFT JOIN ranked r
    ON r.customer_id = c.customer_id AND r.purpose = g.purpose AND r.channel = g.channel
   AND r.rn = 1
ORDER BY c.customer_id, g.purpose, g.channel;

COMMENT ON TABLE consent IS 'Current consent per customer x purpose x channel, for every configured purpose and channel: the latest event wins across sources and merged records, a withdrawal at the same time as a grant wins, no event = unknown (not granted).';
COMMENT ON COLUMN consent.customer_id IS 'Customer id.';
COMMENT ON COLUMN consent.purpose IS 'Purpose: marketing, profiling, service (profile settings purposes).';
COMMENT ON COLUMN consent.channel IS 'Channel: email, phone, sms, letter (profile settings consent_channels).';
COMMENT ON COLUMN consent.state IS 'granted, withdrawn or unknown (no event).';
COMMENT ON COLUMN consent.is_granted IS 'True only when state = granted; use this to filter audiences.';
COMMENT ON COLUMN consent.decided_at IS 'Time of the event that decided the state (UTC); NULL when unknown.';
COMMENT ON COLUMN consent.source IS 'Source system of the deciding event.';
COMMENT ON COLUMN consent.method IS 'How the deciding consent was obtained (double_opt_in, web_form ...).';
COMMENT ON COLUMN consent.evidence IS 'Evidence of the deciding event (text version, confirmation reference).';
COMMENT ON COLUMN consent.consent_event_key IS 'The deciding event in consent_event.';
COMMENT ON COLUMN consent.person_record_key IS 'Source person record the deciding event was recorded against.';
COMMENT ON COLUMN consent.event_count IS 'Number of events for this customer, purpose and channel across all sources.';
