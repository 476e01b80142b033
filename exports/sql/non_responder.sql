-- non_responder: per customer and channel, the last $k campaign messages; none opened or
-- clicked -> the customer is off that channel's lists.
INSERT INTO audience_channel_block
WITH ranked AS (
    SELECT customer_id, channel, opened OR clicked AS reacted,
           row_number() OVER (PARTITION BY customer_id, channel ORDER BY sent_at DESC, message_id) AS k
    FROM campaign_response
    WHERE customer_id IS NOT NULL
)
SELECT customer_id, channel, 'non_responder'
FROM ranked
WHERE k <= $k
GROUP BY customer_id, channel
HAVING count(*) = $k AND NOT bool_or(reacted)
