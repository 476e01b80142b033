-- search_names: vocabulary tokens (idx.name_token) that match the query tokens, typos tolerated.
-- Candidates share a one-letter-deletion variant with the query token ($vq: query token number,
-- $vv: the query token and its deletions; looked up through the variant index) or start with
-- it (at least 3 letters); they are kept when equal, a prefix, at most $max_edits edits away
-- (Damerau-Levenshtein) or at Jaro-Winkler similarity >= $min_similarity. Returns the query
-- token number, the token, its similarity and how many customers hold it.
-- Parameters: $tokens (folded query tokens), $vq, $vv, $min_similarity, $max_edits.
WITH q AS (
    SELECT unnest($tokens) AS qt, generate_subscripts($tokens, 1) AS qi
),
qv AS (
    SELECT unnest($vq) AS qi, unnest($vv) AS variant
),
hits AS (
    SELECT variant, token FROM idx.name_variant WHERE variant = ANY($vv)
),
cand AS (
    SELECT qv.qi, hits.token FROM qv JOIN hits USING (variant)
    UNION
    SELECT q.qi, v.token FROM q JOIN idx.name_token v
        ON v.token >= q.qt AND v.token < q.qt || chr(127)
    WHERE length(q.qt) >= 3
),
scored AS (
    SELECT c.qi, c.token,
           CASE
               WHEN c.token = q.qt THEN 1.0
               WHEN length(q.qt) >= 3 AND starts_with(c.token, q.qt) THEN 0.9
               ELSE jaro_winkler_similarity(c.token, q.qt)
           END AS sim
    FROM cand c
    JOIN q USING (qi)
    WHERE c.token = q.qt
       OR (length(q.qt) >= 3 AND starts_with(c.token, q.qt))
       OR damerau_levenshtein(c.token, q.qt) <= $max_edits
       OR jaro_winkler_similarity(c.token, q.qt) >= $min_similarity
)
SELECT s.qi, s.token, s.sim, t.customers
FROM scored s
JOIN idx.name_token t USING (token)
