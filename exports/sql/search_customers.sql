-- search_customers: customers holding the matched name tokens ($tokens with $qi: the query
-- token each answers, $sim: its similarity). The posting lists come from idx.name_token through
-- its index; a customer scores the mean best similarity over the $n query tokens and must match
-- at least $min_tokens of them. Only the postings of $driver (the query token whose matches
-- hold the fewest customers) are unnested in full; the other query tokens are checked against
-- those candidates, so a common name ("Müller") costs no more than the rarest name in the query.
WITH m AS (
    SELECT unnest($tokens) AS token, unnest($qi) AS qi, unnest($sim) AS sim
),
posting AS (
    SELECT m.qi, m.sim, unnest(t.customer_ids) AS customer_id
    FROM idx.name_token t
    JOIN m USING (token)
    WHERE t.token = ANY($tokens)
),
cand AS (
    SELECT DISTINCT customer_id FROM posting WHERE qi = ANY($driver)
),
best AS (
    SELECT p.customer_id, p.qi, max(p.sim) AS sim
    FROM posting p
    SEMI JOIN cand c ON c.customer_id = p.customer_id
    GROUP BY p.customer_id, p.qi
)
SELECT customer_id, sum(sim) / $n AS score, count(*) AS tokens_matched
FROM best
GROUP BY customer_id
HAVING count(*) >= $min_tokens
ORDER BY score DESC, customer_id
LIMIT $limit
