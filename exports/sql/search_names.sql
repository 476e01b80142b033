-- search_names: customers whose name tokens match the query tokens, typos tolerated.
-- Each query token is compared with the token vocabulary (idx.name_token): equal, a prefix of
-- at least 3 letters, Jaro-Winkler >= $min_similarity or at most $max_edits edits
-- (Damerau-Levenshtein); a customer scores the mean best similarity over the query tokens and
-- must match at least $min_tokens of them. Parameters: $tokens (folded query tokens),
-- $min_similarity, $max_edits, $min_tokens, $limit.
WITH q AS (
    SELECT unnest($tokens) AS qt, generate_subscripts($tokens, 1) AS qi
),
matched AS (
    SELECT q.qi, v.token,
           CASE
               WHEN v.token = q.qt THEN 1.0
               WHEN length(q.qt) >= 3 AND starts_with(v.token, q.qt) THEN 0.9
               ELSE jaro_winkler_similarity(v.token, q.qt)
           END AS sim
    FROM q
    JOIN idx.name_token v ON v.len BETWEEN length(q.qt) - 2 AND length(q.qt) + 12
    WHERE v.token = q.qt
       OR (length(q.qt) >= 3 AND starts_with(v.token, q.qt))
       OR (abs(v.len - length(q.qt)) <= 2
           AND (jaro_winkler_similarity(v.token, q.qt) >= $min_similarity
                OR damerau_levenshtein(v.token, q.qt) <= $max_edits))
),
best AS (
    SELECT ct.customer_id, m.qi, max(m.sim) AS sim
    FROM idx.customer_token ct
    JOIN matched m ON m.token = ct.token
    GROUP BY ct.customer_id, m.qi
)
SELECT customer_id, sum(sim) / len($tokens) AS score, count(*) AS tokens_matched
FROM best
GROUP BY customer_id
HAVING count(*) >= $min_tokens
ORDER BY score DESC, customer_id
LIMIT $limit
