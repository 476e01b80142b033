-- person_record: the source person records behind each customer, with how and why each was
-- linked in plain words (for the agent console and stewards). The why is identity's evidence
-- (src_link_evidence, data/lake/identity/link_evidence.parquet: the link clustering kept for the
-- record, its rule and the level of every comparison), worded here: a trusted key ("same ERP
-- customer number"), a steward's must-link, or the comparisons at their top level ("same e-mail
-- address, name and birth date") and the others that counted for the link ("address: same
-- postcode"). linked_to is the other record of that link. Singletons have no reason.
CREATE OR REPLACE TABLE person_record AS
WITH words(term, words, rank) AS (
    -- trusted keys (identity.deterministic_keys names) and comparisons (identity/setup.py), in
    -- the order a reason names them
    VALUES ('erp_customer_no', 'ERP customer number', 1), ('erp_key', 'ERP customer number', 1),
           ('bonus_card_no', 'bonus card number', 2), ('bonus_key', 'bonus card number', 2),
           ('email', 'e-mail address', 3), ('phone', 'phone number', 4), ('name', 'name', 5),
           ('birth_date', 'birth date', 6), ('address', 'address', 7)
),
rec AS (
    SELECT l.customer_id, l.record_key, l.source_system, l.source_record_id, l.link_method,
           l.match_probability, p.source_entity, p.salutation, p.title, p.first_name, p.last_name,
           p.birth_date, p.email, p.phone, p.mobile, p.street, p.house_number, p.address_line2, p.postcode,
           p.city, p.region, p.country, p.xref_erp_customer_no, p.xref_bonus_card_no, p.created_at, p.updated_at,
           p._load_id AS load_id
    FROM src_identity_link l
    LEFT JOIN src_person_records p USING (record_key)
    WHERE l.customer_id IS NOT NULL
),
field AS (
    SELECT x.record_key, x.f.top_level AS top_level, x.f.label AS label, x.f.match_weight AS match_weight,
           coalesce(w.words, replace(x.f.comparison, '_', ' ')) AS words, coalesce(w.rank, 99) AS rank
    FROM (SELECT record_key, unnest(fields) AS f FROM src_link_evidence) x
    LEFT JOIN words w ON w.term = x.f.comparison
),
said AS (
    -- per record: the comparisons at their top level, then the other levels that counted for it
    SELECT record_key,
           list({'r': 10 + rank, 'w': words}) FILTER (WHERE top_level) AS same,
           list(words || ': ' || label ORDER BY rank, words) FILTER (WHERE NOT top_level AND match_weight > 0) AS partly
    FROM field
    GROUP BY record_key
),
rule_words AS (
    -- the trusted key(s) of the link in words, named first
    SELECT x.record_key, list({'r': coalesce(w.rank, 9), 'w': coalesce(w.words, replace(x.k, '_', ' '))}) AS keys
    FROM (SELECT record_key, unnest(string_split(rule, ', ')) AS k FROM src_link_evidence) x
    LEFT JOIN words w ON w.term = x.k
    WHERE x.k <> 'must_link'
    GROUP BY x.record_key
),
named AS (
    -- each detail once (a trusted key is also a comparison at its top level), at its first place
    SELECT x.record_key, x.d.w AS w, min(x.d.r) AS r
    FROM (SELECT record_key, unnest(coalesce(k.keys, []) || coalesce(s.same, [])) AS d
          FROM src_link_evidence
          LEFT JOIN rule_words k USING (record_key)
          LEFT JOIN said s USING (record_key)) x
    GROUP BY x.record_key, x.d.w
),
agreed AS (
    SELECT e.record_key, e.linked_to, coalesce(e.rule LIKE '%must_link%', false) AS must,
           coalesce(n.agree, []) AS agree, coalesce(s.partly, []) AS partly
    FROM src_link_evidence e
    LEFT JOIN (SELECT record_key, list(w ORDER BY r, w) AS agree FROM named GROUP BY record_key) n USING (record_key)
    LEFT JOIN said s USING (record_key)
)
SELECT r.customer_id, r.record_key, r.source_system, r.source_entity, r.source_record_id,
       r.salutation, r.title, r.first_name, r.last_name, r.birth_date, r.email, r.phone, r.mobile,
       r.street, r.house_number, r.address_line2, r.postcode, r.city, r.region, r.country, r.xref_erp_customer_no,
       r.xref_bonus_card_no, r.created_at, r.updated_at, r.link_method, r.match_probability,
       w.linked_to,
       CASE
           WHEN w.record_key IS NULL THEN NULL
           WHEN w.must THEN 'confirmed by a data steward'
           WHEN array_length(w.agree) = 0 AND array_length(w.partly) = 0 THEN 'similar details (matching model)'
           ELSE concat_ws('; ',
               CASE WHEN array_length(w.agree) > 0 THEN 'same '
                   || CASE WHEN array_length(w.agree) = 1 THEN w.agree[1]
                           ELSE array_to_string(w.agree[1:array_length(w.agree) - 1], ', ') || ' and '
                                || w.agree[array_length(w.agree)]
                      END END,
               nullif(array_to_string(w.partly, '; '), ''))
       END AS link_reason,
       mc.words AS link_confidence,
       r.load_id
FROM rec r
LEFT JOIN agreed w USING (record_key)
-- the words for the model's links (match_confidence.sql is their one definition)
LEFT JOIN match_confidence mc
    ON r.link_method = 'probabilistic' AND r.match_probability >= mc.min_probability
       AND (mc.below IS NULL OR r.match_probability < mc.below)
ORDER BY r.customer_id, r.source_system, r.record_key;

CREATE INDEX person_record_customer_idx ON person_record (customer_id);

COMMENT ON TABLE person_record IS 'The source person records behind each customer (one row per record) with how and why each was linked, in plain words. Indexed on customer_id.';
COMMENT ON COLUMN person_record.customer_id IS 'The customer the record belongs to.';
COMMENT ON COLUMN person_record.record_key IS 'Person record key <source_system>:<source_record_id>.';
COMMENT ON COLUMN person_record.source_system IS 'Source system of the record (erp, crm, shop, bonus).';
COMMENT ON COLUMN person_record.source_entity IS 'Source entity the record came from (customers, contacts, accounts, members).';
COMMENT ON COLUMN person_record.source_record_id IS 'Id of the record in its source system (Kundennummer, contact_id, account_id, card number).';
COMMENT ON COLUMN person_record.salutation IS 'Salutation as delivered by the source.';
COMMENT ON COLUMN person_record.title IS 'Academic title as delivered by the source.';
COMMENT ON COLUMN person_record.first_name IS 'First name as delivered by the source.';
COMMENT ON COLUMN person_record.last_name IS 'Last name as delivered by the source.';
COMMENT ON COLUMN person_record.birth_date IS 'Birth date as delivered by the source.';
COMMENT ON COLUMN person_record.email IS 'E-mail address as delivered by the source.';
COMMENT ON COLUMN person_record.phone IS 'Phone number (landline or unknown type) as delivered.';
COMMENT ON COLUMN person_record.mobile IS 'Mobile number as delivered.';
COMMENT ON COLUMN person_record.street IS 'Street as delivered (may include the house number).';
COMMENT ON COLUMN person_record.house_number IS 'House number when delivered separately.';
COMMENT ON COLUMN person_record.address_line2 IS 'Second address line as delivered (c/o, flat, building); not used for matching.';
COMMENT ON COLUMN person_record.postcode IS 'Postcode as delivered.';
COMMENT ON COLUMN person_record.city IS 'City as delivered.';
COMMENT ON COLUMN person_record.region IS 'State / Bundesland / province as delivered; not used for matching.';
COMMENT ON COLUMN person_record.country IS 'Country (ISO 3166-1 alpha-2 where known).';
COMMENT ON COLUMN person_record.xref_erp_customer_no IS 'ERP customer number the record claims (may be wrong).';
COMMENT ON COLUMN person_record.xref_bonus_card_no IS 'Bonus card number the record claims (e.g. stored in a shop account).';
COMMENT ON COLUMN person_record.created_at IS 'When the source created the record.';
COMMENT ON COLUMN person_record.updated_at IS 'When the source last changed the record.';
COMMENT ON COLUMN person_record.link_method IS 'How identity resolution linked the record: singleton, deterministic, probabilistic, must_link.';
COMMENT ON COLUMN person_record.match_probability IS 'Probability of the link that put the record in its cluster (1 for deterministic/singletons).';
COMMENT ON COLUMN person_record.linked_to IS 'Record key of the other record of the link that put this record in its customer (identity''s link_evidence; NULL for a single record).';
COMMENT ON COLUMN person_record.link_reason IS 'Why the record belongs to the customer, in plain words, from identity''s evidence for the link to linked_to: the trusted key, a steward''s decision, or the comparisons that agreed (same …) and the partial agreements that counted (field: level). NULL for a single record.';
COMMENT ON COLUMN person_record.link_confidence IS 'How sure the matching model is of a probabilistic link, in words an agent can act on (match_confidence: certain, very likely, likely, possible, check with the caller); NULL for other links.';
COMMENT ON COLUMN person_record.load_id IS 'Load id of the delivery the record came from.';
