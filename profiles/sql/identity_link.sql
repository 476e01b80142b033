-- identity_link: one row per person record -> its current customer_id (from identity/).
CREATE OR REPLACE TABLE identity_link AS
SELECT record_key, source_system, source_record_id, customer_id, match_probability,
       link_method, model_version, run_id
FROM src_identity_link
ORDER BY customer_id, record_key;

COMMENT ON TABLE identity_link IS 'One row per source person record: the customer_id identity resolution assigned it (current run).';
COMMENT ON COLUMN identity_link.record_key IS 'Person record key <source_system>:<source_record_id>.';
COMMENT ON COLUMN identity_link.source_system IS 'Source system of the record (erp, crm, shop, bonus).';
COMMENT ON COLUMN identity_link.source_record_id IS 'Id of the record in its source system (Kundennummer, contact_id, account_id, card number).';
COMMENT ON COLUMN identity_link.customer_id IS 'Stable CDP customer id (C + 9 digits) the record belongs to.';
COMMENT ON COLUMN identity_link.match_probability IS 'Probability of the link that put the record in its cluster (1 for deterministic/singletons).';
COMMENT ON COLUMN identity_link.link_method IS 'How the record was linked: singleton, deterministic, probabilistic, must_link.';
COMMENT ON COLUMN identity_link.model_version IS 'Version of the Splink model used by the identity run.';
COMMENT ON COLUMN identity_link.run_id IS 'Identity run that produced the link.';
