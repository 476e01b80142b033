-- Invariant: a preferred marketing channel's contact point always has its own granted marketing
-- consent (consent.is_granted for that customer, channel and contact point). Returns the
-- violating (customer_id, channel) pairs.
SELECT p.customer_id, p.channel
FROM preferred_channel AS p
LEFT JOIN consent AS c
       ON c.customer_id = p.customer_id
      AND c.purpose = p.purpose
      AND c.channel = p.channel
      AND c.contact_point = p.contact_point
WHERE p.purpose = 'marketing'
  AND p.channel IS NOT NULL
  AND NOT coalesce(c.is_granted, false)
ORDER BY p.customer_id;
