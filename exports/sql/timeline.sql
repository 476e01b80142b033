-- timeline: one page of a customer's contacts across all channels, newest first.
-- Parameters: $id, $limit, $offset, $type (NULL = all types), $group (NULL = all groups;
-- service, purchases or marketing: see contact_group.sql).
SELECT contact_id, ts, source, channel, direction, type, summary, outcome, status, amount,
       currency, product_models, store_id, contact_group(type, direction, outcome) AS contact_group
FROM contact_history
WHERE customer_id = $id AND ($type IS NULL OR type = $type)
  AND ($group IS NULL OR contact_group(type, direction, outcome) = $group)
ORDER BY ts DESC NULLS LAST, contact_id
LIMIT $limit OFFSET $offset
