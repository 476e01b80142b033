-- timeline: one page of a customer's contacts across all channels, newest first, as the console
-- role may see them: {contacts} is the role's contact view (agent_contact; contact_history for
-- stewards, see exports/console/roles.py), so the page shows that view's columns.
-- Parameters: $id, $limit, $offset, $type (NULL = all types), $group (NULL = all groups;
-- service, purchases or marketing: see contact_group.sql).
SELECT * EXCLUDE (customer_id), contact_group(type, direction, outcome) AS contact_group
FROM {contacts}
WHERE customer_id = $id AND ($type IS NULL OR type = $type)
  AND ($group IS NULL OR contact_group(type, direction, outcome) = $group)
ORDER BY ts DESC NULLS LAST, type, summary, channel
LIMIT $limit OFFSET $offset
