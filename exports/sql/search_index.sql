-- search_index: the agent console's prepared tables, built into data/exports/console/search_index.duckdb
-- with the profile database attached read-only as `cdp`. Rebuilt whenever the profile database
-- is rebuilt (meta.profiles_built_at).
--
-- name_token: the vocabulary of name tokens (folded like profiles/lookup.py normalize_name:
-- lower case, ä -> ae, ß -> ss, no accents or punctuation), so a fuzzy match compares a query
-- token with tens of thousands of distinct tokens instead of millions of names.
-- customer_token: token -> customer, sorted by token.
CREATE OR REPLACE TABLE customer_token AS
SELECT DISTINCT t.token, k.customer_id
FROM cdp.customer_lookup k,
     unnest(string_split(replace(k.key, '-', ' '), ' ')) AS t(token)
WHERE k.key_type = 'name' AND length(t.token) >= 2
ORDER BY t.token, k.customer_id;

CREATE OR REPLACE TABLE name_token AS
SELECT token, count(*) AS customers, length(token) AS len
FROM customer_token
GROUP BY token
ORDER BY token;

-- name_variant: every vocabulary token and each of its one-letter deletions (a symmetric-delete
-- index): a query token within one or two edits (insertion, deletion, substitution,
-- transposition) of a known token shares a variant with it, found by an equality join.
CREATE OR REPLACE TABLE name_variant AS
SELECT DISTINCT variant, token FROM (
    SELECT token AS variant, token FROM name_token
    UNION ALL
    SELECT substr(token, 1, i - 1) || substr(token, i + 1), token
    FROM name_token, range(1, 13) r(i)
    WHERE i <= len
)
ORDER BY variant;
