-- search_index: the agent console's name-search tables, built into
-- data/exports/console/search_index.duckdb with the profile database attached read-only as
-- `cdp`. Rebuilt whenever the profile database is rebuilt (meta.profiles_built_at).
--
-- name_token: the vocabulary of name tokens (customer_lookup's name keys, folded by
-- cdp.standardise.name_key as a query is: lower case, ä -> ae, ß -> ss, no accents or
-- punctuation) with its posting list (cnos: the
-- customers whose name holds the token), so a fuzzy match compares a query token with the
-- vocabulary instead of millions of names, and the customers of a matched token are one
-- indexed row away.
CREATE OR REPLACE TABLE name_customer AS
SELECT DISTINCT t.token, k.customer_id
FROM cdp.customer_lookup k,
     unnest(string_split(replace(k.key, '-', ' '), ' ')) AS t(token)
WHERE k.key_type = 'name' AND length(t.token) >= 2;

-- customer_no: a dense integer per customer; posting lists hold these (integer lists are read
-- and hashed several times faster than lists of id strings).
CREATE OR REPLACE TABLE customer_no AS
SELECT CAST(row_number() OVER (ORDER BY customer_id) AS INTEGER) AS cno, customer_id
FROM (SELECT DISTINCT customer_id FROM name_customer)
ORDER BY cno;

CREATE INDEX customer_no_idx ON customer_no (cno);

CREATE OR REPLACE TABLE name_token AS
SELECT n.token, length(n.token) AS len, count(*) AS customers, list(c.cno ORDER BY c.cno) AS cnos
FROM name_customer n
JOIN customer_no c USING (customer_id)
GROUP BY n.token
ORDER BY n.token;

DROP TABLE name_customer;

CREATE INDEX name_token_idx ON name_token (token);

-- name_variant: every vocabulary token and each of its one-letter deletions (a symmetric-delete
-- index): a query token within one or two edits (insertion, deletion, substitution,
-- transposition) of a known token shares a variant with it, found by an index lookup.
CREATE OR REPLACE TABLE name_variant AS
SELECT DISTINCT variant, token FROM (
    SELECT token AS variant, token FROM name_token
    UNION ALL
    SELECT substr(token, 1, i - 1) || substr(token, i + 1), token
    FROM name_token, range(1, 13) r(i)
    WHERE i <= len
)
ORDER BY variant;

CREATE INDEX name_variant_idx ON name_variant (variant);
