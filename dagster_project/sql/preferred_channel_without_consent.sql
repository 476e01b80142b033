-- Invariant: a preferred channel of a purpose whose legal basis is consent (privacy.legal_basis,
-- as the build recorded it in legal_basis.basis; default: marketing) always has its own granted
-- consent for that purpose (consent.is_granted for that customer, channel and contact point).
-- Returns the violating (customer_id, channel) pairs.
SELECT p.customer_id, p.channel
FROM preferred_channel AS p
JOIN legal_basis AS b
  ON b.customer_id = p.customer_id
 AND b.purpose = p.purpose
 AND b.basis = 'consent'
LEFT JOIN consent AS c
       ON c.customer_id = p.customer_id
      AND c.purpose = p.purpose
      AND c.channel = p.channel
      AND c.contact_point = p.contact_point
WHERE p.channel IS NOT NULL
  AND NOT coalesce(c.is_granted, false)
ORDER BY p.customer_id;
