-- survivor: the current customer id a retired id ($id) leads to, following merges old -> new.
WITH RECURSIVE chain(id, depth, changed_at, reason) AS (
    SELECT $id::VARCHAR, 0, NULL::TIMESTAMPTZ, NULL::VARCHAR
    UNION ALL
    SELECT h.new_customer_id, c.depth + 1, h.changed_at, h.reason
    FROM chain c
    JOIN customer_id_history h ON h.old_customer_id = c.id
    WHERE c.depth < 20 AND h.new_customer_id IS NOT NULL AND h.new_customer_id <> h.old_customer_id
)
SELECT ch.id, ch.changed_at, ch.reason
FROM chain ch
JOIN customer c ON c.customer_id = ch.id
WHERE ch.depth > 0
ORDER BY ch.depth DESC
LIMIT 1
