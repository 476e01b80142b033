-- timeline: one page of a customer's contacts across all channels, newest first.
-- Parameters: $id, $limit, $offset, $type (NULL = all types).
SELECT contact_id, ts, source, channel, direction, type, summary, outcome, status, amount,
       currency, product_models, store_id
FROM contact_history
WHERE customer_id = $id AND ($type IS NULL OR type = $type)
ORDER BY ts DESC NULLS LAST, contact_id
LIMIT $limit OFFSET $offset
