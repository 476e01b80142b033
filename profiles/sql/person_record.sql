-- person_record: the source person records behind each customer, with how and why each was
-- linked in plain words (for the agent console and stewards). link_reason compares the record
-- with the other records of the same customer and names the details it shares with the closest
-- one, linked_to (trusted keys first), e.g. "same e-mail address, name and birth date".
-- Singletons have no reason.
CREATE OR REPLACE TABLE person_record AS
WITH rec AS (
    SELECT l.customer_id, l.record_key, l.source_system, l.source_record_id, l.link_method,
           l.match_probability, p.source_entity, p.salutation, p.title, p.first_name, p.last_name,
           p.birth_date, p.email, p.phone, p.mobile, p.street, p.house_number, p.postcode, p.city,
           p.country, p.xref_erp_customer_no, p.xref_bonus_card_no, p.created_at, p.updated_at,
           p._load_id AS load_id,
           s.email_std, s.phone_e164, s.mobile_e164, s.first_name_std, s.last_name_std,
           s.street_std, s.house_number_std, s.postcode_std
    FROM src_identity_link l
    LEFT JOIN src_person_records p USING (record_key)
    LEFT JOIN src_person_std s USING (record_key)
    WHERE l.customer_id IS NOT NULL
),
pairs AS (
    SELECT a.record_key, b.source_system AS other_source, b.source_record_id AS other_id,
           list_filter([
               CASE WHEN (a.source_system = 'erp' AND b.xref_erp_customer_no = a.source_record_id)
                      OR (b.source_system = 'erp' AND a.xref_erp_customer_no = b.source_record_id)
                      OR a.xref_erp_customer_no = b.xref_erp_customer_no
                    THEN 'ERP customer number' END,
               CASE WHEN (a.source_system = 'bonus' AND b.xref_bonus_card_no = a.source_record_id)
                      OR (b.source_system = 'bonus' AND a.xref_bonus_card_no = b.source_record_id)
                      OR a.xref_bonus_card_no = b.xref_bonus_card_no
                    THEN 'bonus card number' END,
               CASE WHEN a.email_std = b.email_std THEN 'e-mail address' END,
               CASE WHEN a.mobile_e164 IN (b.mobile_e164, b.phone_e164)
                      OR a.phone_e164 IN (b.mobile_e164, b.phone_e164) THEN 'phone number' END,
               CASE WHEN a.first_name_std = b.first_name_std AND a.last_name_std = b.last_name_std
                      THEN 'name'
                    WHEN a.first_name_std = b.last_name_std AND a.last_name_std = b.first_name_std
                      THEN 'name (first and last name swapped)'
                    WHEN a.last_name_std = b.last_name_std THEN 'last name' END,
               CASE WHEN a.birth_date = b.birth_date THEN 'birth date' END,
               CASE WHEN a.street_std = b.street_std AND a.postcode_std = b.postcode_std
                         AND coalesce(a.house_number_std, '') = coalesce(b.house_number_std, '')
                      THEN 'address'
                    WHEN a.postcode_std = b.postcode_std THEN 'postcode' END
           ], lambda x: x IS NOT NULL) AS agree
    FROM rec a
    JOIN rec b ON a.customer_id = b.customer_id AND a.record_key <> b.record_key
),
best AS (
    SELECT *, list_has_any(agree, ['ERP customer number', 'bonus card number']) AS trusted
    FROM pairs
    QUALIFY row_number() OVER (
        PARTITION BY record_key
        ORDER BY list_has_any(agree, ['ERP customer number', 'bonus card number']) DESC,
                 array_length(agree) DESC, other_source, other_id) = 1
)
SELECT r.customer_id, r.record_key, r.source_system, r.source_entity, r.source_record_id,
       r.salutation, r.title, r.first_name, r.last_name, r.birth_date, r.email, r.phone, r.mobile,
       r.street, r.house_number, r.postcode, r.city, r.country, r.xref_erp_customer_no,
       r.xref_bonus_card_no, r.created_at, r.updated_at, r.link_method, r.match_probability,
       b.other_source || ':' || b.other_id AS linked_to,
       CASE
           WHEN b.record_key IS NULL THEN NULL
           WHEN r.link_method = 'must_link' THEN 'confirmed by a data steward'
           WHEN array_length(b.agree) = 0 THEN 'similar details (matching model)'
           ELSE 'same '
               || CASE WHEN array_length(b.agree) = 1 THEN b.agree[1]
                       ELSE array_to_string(b.agree[1:array_length(b.agree) - 1], ', ') || ' and ' || b.agree[array_length(b.agree)]
                  END
       END AS link_reason,
       r.load_id
FROM rec r
LEFT JOIN best b USING (record_key)
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
COMMENT ON COLUMN person_record.postcode IS 'Postcode as delivered.';
COMMENT ON COLUMN person_record.city IS 'City as delivered.';
COMMENT ON COLUMN person_record.country IS 'Country (ISO 3166-1 alpha-2 where known).';
COMMENT ON COLUMN person_record.xref_erp_customer_no IS 'ERP customer number the record claims (may be wrong).';
COMMENT ON COLUMN person_record.xref_bonus_card_no IS 'Bonus card number the record claims (e.g. stored in a shop account).';
COMMENT ON COLUMN person_record.created_at IS 'When the source created the record.';
COMMENT ON COLUMN person_record.updated_at IS 'When the source last changed the record.';
COMMENT ON COLUMN person_record.link_method IS 'How identity resolution linked the record: singleton, deterministic, probabilistic, must_link.';
COMMENT ON COLUMN person_record.match_probability IS 'Probability of the link that put the record in its cluster (1 for deterministic/singletons).';
COMMENT ON COLUMN person_record.linked_to IS 'Record key of the other record of the customer that shares the most details with this one (NULL for a single record).';
COMMENT ON COLUMN person_record.link_reason IS 'Why the record belongs to the customer, in plain words (the details it shares with linked_to), NULL for a single record.';
COMMENT ON COLUMN person_record.load_id IS 'Load id of the delivery the record came from.';
