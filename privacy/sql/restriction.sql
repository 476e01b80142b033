-- Restriction of processing (Art. 18 GDPR): an input of the profile build, built before the
-- profile tables. Reads the temp table privacy_restricted_records(record_key, reason,
-- restricted_at, actor) filled from data/privacy/restrictions.parquet. A restricted customer
-- stays in customer, contact_history and consent (storage is allowed) but gets no profiling:
-- customer_value.sql and preferred_channel.sql join this table and leave the RFM scores,
-- segment, CLV, lifecycle stage and the marketing channel empty for them.
CREATE OR REPLACE TABLE processing_restriction AS
SELECT
    l.customer_id,
    min(r.restricted_at) AS restricted_at,
    string_agg(DISTINCT r.reason, '; ') AS reason,
    string_agg(DISTINCT r.actor, ', ') AS actor,
    list(DISTINCT r.record_key ORDER BY r.record_key) AS record_keys
FROM privacy_restricted_records r
JOIN src_identity_link l ON l.record_key = r.record_key
GROUP BY l.customer_id;

COMMENT ON TABLE processing_restriction IS 'One row per customer whose processing is restricted (Art. 18 GDPR, cdp restrict): kept in the data, but no profiling (customer_value scores, segment, CLV and marketing channel are empty) and never in an audience or agent-view export.';
COMMENT ON COLUMN processing_restriction.customer_id IS 'Customer id (current; restrictions are stored per person record and follow merges).';
COMMENT ON COLUMN processing_restriction.restricted_at IS 'When the restriction was first recorded.';
COMMENT ON COLUMN processing_restriction.reason IS 'Why (request reference, e.g. accuracy contested).';
COMMENT ON COLUMN processing_restriction.actor IS 'Who recorded it.';
COMMENT ON COLUMN processing_restriction.record_keys IS 'The restricted person records.';
