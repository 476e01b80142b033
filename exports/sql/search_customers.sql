-- search_customers: customers holding the matched name tokens ($tokens with $qi: the query
-- token each answers, $sim: its similarity). The posting lists (integer customer numbers, see
-- idx.customer_no) come from idx.name_token through its index and are read once. A customer
-- scores the mean best similarity over the $n query tokens and must match at least
-- $min_tokens of them, so only the customers of $driver (the query token(s) whose matches hold
-- the fewest customers) can qualify: only they are grouped and scored, then the best $limit.
WITH m AS (
    SELECT unnest($tokens) AS token, unnest($qi) AS qi, unnest($sim) AS sim
),
posting AS MATERIALIZED (
    SELECT m.qi, m.sim, unnest(t.cnos) AS cno
    FROM idx.name_token t
    JOIN m USING (token)
    WHERE t.token = ANY($tokens)
),
cand AS (
    SELECT DISTINCT cno FROM posting WHERE qi = ANY($driver)
),
best AS (
    SELECT p.cno, p.qi, max(p.sim) AS sim
    FROM posting p
    SEMI JOIN cand c ON c.cno = p.cno
    GROUP BY p.cno, p.qi
),
top AS (
    -- cno follows customer_id order, so this is the tie-break of the result list
    SELECT cno, sum(sim) / $n AS score, count(*) AS tokens_matched
    FROM best
    GROUP BY cno
    HAVING count(*) >= $min_tokens
    ORDER BY score DESC, cno
    LIMIT $limit
)
SELECT k.customer_id, t.score, t.tokens_matched
FROM top t
JOIN idx.customer_no k USING (cno)
ORDER BY t.score DESC, t.cno
