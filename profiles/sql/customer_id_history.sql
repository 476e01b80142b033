-- customer_id_history: retired and minted customer ids (old -> new), from identity/.
CREATE OR REPLACE TABLE customer_id_history AS
SELECT old_customer_id, new_customer_id, changed_at, reason, run_id
FROM src_customer_id_history
ORDER BY changed_at, old_customer_id;

COMMENT ON TABLE customer_id_history IS 'Customer id changes across identity runs: a merge retires old_customer_id in favour of new_customer_id; a split mints one. Systems holding an old id redirect through this table.';
COMMENT ON COLUMN customer_id_history.old_customer_id IS 'The retired (or split-from) customer id.';
COMMENT ON COLUMN customer_id_history.new_customer_id IS 'The customer id that now holds the records.';
COMMENT ON COLUMN customer_id_history.changed_at IS 'When the identity run made the change (UTC).';
COMMENT ON COLUMN customer_id_history.reason IS 'Why the id changed (merge, split, steward decision ...).';
COMMENT ON COLUMN customer_id_history.run_id IS 'Identity run that made the change.';
