-- search_customers: customers holding the matched name tokens ($tokens with $qi: the query
-- token each answers, $sim: its similarity); a customer scores the mean best similarity over
-- the $n query tokens and must match at least $min_tokens of them. customer_token is sorted by
-- token, so the IN filter reads only the row groups of those tokens.
WITH m AS (
    SELECT unnest($tokens) AS token, unnest($qi) AS qi, unnest($sim) AS sim
),
best AS (
    SELECT ct.customer_id, m.qi, max(m.sim) AS sim
    FROM idx.customer_token ct
    JOIN m ON m.token = ct.token
    WHERE ct.token IN (SELECT unnest($tokens))
    GROUP BY ct.customer_id, m.qi
)
SELECT customer_id, sum(sim) / $n AS score, count(*) AS tokens_matched
FROM best
GROUP BY customer_id
HAVING count(*) >= $min_tokens
ORDER BY score DESC, customer_id
LIMIT $limit
