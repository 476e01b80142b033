-- contact_pressure: customers who got $cap or more marketing messages (campaign_response, every
-- source and channel) in the $days days before profile_build.as_of leave the audience.
INSERT INTO audience_suppression
SELECT customer_id, 'contact_pressure'
FROM campaign_response, profile_build
WHERE customer_id IS NOT NULL
  AND sent_at > profile_build.as_of - to_days($days::INTEGER)
  AND sent_at <= profile_build.as_of
GROUP BY customer_id
HAVING count(*) >= $cap
