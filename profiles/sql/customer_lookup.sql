-- customer_lookup: search keys -> customer_id, for `cdp profile` and the agent console.
-- Keys are normalised exactly as profiles/lookup.py normalises a query, by the one standardiser
-- (cdp/standardise.py): e-mail and phones are identity's standardised columns (src_person_std),
-- a name is its first and last name keyed by cdp.standardise.name_key (src_name_key, written by
-- the build: lower case, umlauts/ß spelled out, accents stripped, punctuation removed, single
-- spaces) and joined in both orders. Sorted by key and indexed, so a lookup by e-mail, phone or
-- id touches one index entry.
CREATE OR REPLACE TABLE customer_lookup AS
WITH RECURSIVE redirect(old_id, new_id, depth) AS (
    SELECT old_customer_id, new_customer_id, 1
    FROM src_customer_id_history
    WHERE old_customer_id IS NOT NULL AND new_customer_id IS NOT NULL
      AND old_customer_id <> new_customer_id
    UNION ALL
    SELECT r.old_id, h.new_customer_id, r.depth + 1
    FROM redirect r
    JOIN src_customer_id_history h ON h.old_customer_id = r.new_id
    WHERE r.depth < 20 AND h.new_customer_id <> h.old_customer_id
),
rec AS (
    SELECT l.customer_id, l.record_key, l.source_system, l.source_record_id,
           p.first_name, p.last_name, p.phone, p.mobile, p.xref_bonus_card_no,
           s.email_std, s.phone_e164, s.mobile_e164, s.first_name_std, s.last_name_std
    FROM src_identity_link l
    LEFT JOIN src_person_records p USING (record_key)
    LEFT JOIN src_person_std s USING (record_key)
),
names AS (
    SELECT customer_id, first_name AS f, last_name AS l FROM rec
    UNION ALL
    SELECT customer_id, first_name_std, last_name_std FROM rec
),
name_parts AS (
    -- the key of "first last" is the parts' keys joined by a space (a part keyed to nothing drops out)
    SELECT n.customer_id, kf.key AS f, kl.key AS l
    FROM names n
    LEFT JOIN src_name_key kf ON kf.name = n.f
    LEFT JOIN src_name_key kl ON kl.name = n.l
    WHERE n.f IS NOT NULL AND n.l IS NOT NULL
),
name_keys AS (
    SELECT customer_id, concat_ws(' ', f, l) AS key FROM name_parts
    UNION ALL
    SELECT customer_id, concat_ws(' ', l, f) FROM name_parts
),
keys AS (
    SELECT 'customer_id' AS key_type, lower(customer_id) AS key, customer_id FROM customer
    UNION ALL
    SELECT 'retired_customer_id', lower(r.old_id), r.new_id
    FROM redirect r JOIN customer c ON c.customer_id = r.new_id
    WHERE r.old_id NOT IN (SELECT customer_id FROM customer)
    UNION ALL
    SELECT 'email', lower(email_std), customer_id FROM rec WHERE email_std IS NOT NULL
    UNION ALL
    SELECT 'phone', phone_e164, customer_id FROM rec WHERE phone_e164 IS NOT NULL
    UNION ALL
    SELECT 'phone', mobile_e164, customer_id FROM rec WHERE mobile_e164 IS NOT NULL
    UNION ALL
    SELECT 'phone_digits', d, customer_id FROM (
        SELECT customer_id, regexp_replace(phone, '[^0-9]', '', 'g') AS d FROM rec
        UNION ALL
        SELECT customer_id, regexp_replace(mobile, '[^0-9]', '', 'g') FROM rec
    ) WHERE length(d) >= 6
    UNION ALL
    SELECT 'erp_customer_no', lower(source_record_id), customer_id FROM rec WHERE source_system = 'erp'
    UNION ALL
    SELECT 'bonus_card_no', lower(source_record_id), customer_id FROM rec WHERE source_system = 'bonus'
    UNION ALL
    -- a card number stored in a shop account (or another source) finds that customer too
    SELECT 'bonus_card_no', lower(xref_bonus_card_no), customer_id FROM rec
    WHERE source_system <> 'bonus' AND xref_bonus_card_no IS NOT NULL
    UNION ALL
    SELECT 'source_record_id', lower(source_record_id), customer_id FROM rec
    WHERE source_system NOT IN ('erp', 'bonus')
    UNION ALL
    SELECT 'record_key', lower(record_key), customer_id FROM rec
    UNION ALL
    SELECT 'name', key, customer_id FROM name_keys WHERE key <> ''
)
SELECT DISTINCT key, key_type, customer_id
FROM keys
WHERE key IS NOT NULL AND customer_id IS NOT NULL
ORDER BY key, key_type, customer_id;

CREATE INDEX customer_lookup_key_idx ON customer_lookup (key);

COMMENT ON TABLE customer_lookup IS 'Search keys for finding a customer (cdp profile, agent console): customer id (also retired ids), e-mail, phone (E.164 and digits as delivered), ERP number, bonus card number, source ids, record keys and normalised names. Indexed on key.';
COMMENT ON COLUMN customer_lookup.key IS 'Normalised search key (lower case; names with umlauts spelled out and single spaces).';
COMMENT ON COLUMN customer_lookup.key_type IS 'What the key is: customer_id, retired_customer_id, email, phone, phone_digits, erp_customer_no, bonus_card_no, source_record_id, record_key, name.';
COMMENT ON COLUMN customer_lookup.customer_id IS 'The (current) customer id the key leads to.';
