-- Invariant: a preferred marketing channel always has a granted marketing consent for that
-- customer and channel (consent.is_granted). Returns the violating (customer_id, channel) pairs.
SELECT p.customer_id, p.channel
FROM preferred_channel AS p
LEFT JOIN consent AS c
       ON c.customer_id = p.customer_id
      AND c.purpose = p.purpose
      AND c.channel = p.channel
WHERE p.purpose = 'marketing'
  AND p.channel IS NOT NULL
  AND NOT coalesce(c.is_granted, false)
ORDER BY p.customer_id;
