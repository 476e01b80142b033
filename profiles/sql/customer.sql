-- customer: one row per customer_id, the golden record.
-- Survivorship per attribute group (name, birth_date, address, email, phone): the value of the
-- record whose source ranks first in cfg_trust (profile settings trust_ranking), newest record
-- first on a tie; for groups listed in cfg_recency_first (default: address) the newest record
-- wins and trust only breaks ties. A verified e-mail beats an unverified one before both rules.
-- Names: the spelling most source systems agree on wins (compared standardised, so Müller and
-- MUELLER agree), so one system's typo cannot become the golden name; within that spelling a
-- properly cased record beats a shouted or all-lower one, and a name only delivered in capitals
-- is shown in proper case (von/van/de/zu stay lower case). Phones are stored in E.164 only: a
-- number the standardiser could not read is left out of the golden record.

-- Proper case for a name delivered all upper or all lower case; mixed case is kept as delivered.
CREATE OR REPLACE TEMP MACRO name_case(s) AS
    CASE
        WHEN s IS NULL OR (s <> upper(s) AND s <> lower(s)) OR upper(s) = lower(s) THEN s
        ELSE array_to_string(list_transform(string_split(lower(s), ' '), lambda w:
            CASE WHEN w IN ('von', 'van', 'der', 'den', 'de', 'zu', 'zur', 'vom', 'ten', 'ter', 'und')
                 THEN w
                 ELSE array_to_string(list_transform(string_split(w, '-'),
                                                     lambda x: upper(left(x, 1)) || substr(x, 2)), '-')
            END), ' ')
    END;

CREATE OR REPLACE TABLE customer AS
WITH rec AS (
    SELECT
        l.customer_id,
        p.record_key,
        p.source_system,
        p.source_record_id,
        nullif(trim(p.salutation), '') AS salutation,
        nullif(trim(p.title), '') AS title,
        nullif(trim(p.first_name), '') AS first_name,
        nullif(trim(p.last_name), '') AS last_name,
        coalesce(p.birth_date, s.birth_date) AS birth_date,
        coalesce(s.email_std, nullif(lower(trim(p.email)), '')) AS email,
        coalesce(p.email_verified, false) AS email_verified,
        s.phone_e164 AS phone,
        s.mobile_e164 AS mobile,
        coalesce(nullif(s.first_name_std, ''), lower(trim(p.first_name)), '') || '|' ||
            coalesce(nullif(s.last_name_std, ''), lower(trim(p.last_name)), '') AS name_spelling,
        -- shouted (ANNA) or all lower case (anna): another record's casing of the same name is better
        (p.first_name = upper(p.first_name) AND upper(p.first_name) <> lower(p.first_name))
            OR (p.last_name = upper(p.last_name) AND upper(p.last_name) <> lower(p.last_name))
            OR (p.first_name = lower(p.first_name) AND upper(p.first_name) <> lower(p.first_name))
            OR (p.last_name = lower(p.last_name) AND upper(p.last_name) <> lower(p.last_name)) AS name_badly_cased,
        nullif(trim(p.street), '') AS street,
        nullif(trim(p.house_number), '') AS house_number,
        nullif(trim(p.postcode), '') AS postcode,
        nullif(trim(p.city), '') AS city,
        coalesce(nullif(trim(p.country), ''), 'DE') AS country,
        coalesce(s.street_std || ' ' || coalesce(s.house_number_std, '') || ' ' || coalesce(s.postcode_std, ''),
                 lower(concat_ws(' ', p.street, p.house_number, p.postcode))) AS address_key,
        nullif(trim(p.stated_channel), '') AS stated_channel,
        p.created_at,
        coalesce(p.updated_at, p.created_at, p._ingested_at) AS seen_at,
        -- smaller sorts first: the newest record has the smallest value
        -coalesce(epoch(coalesce(p.updated_at, p.created_at, p._ingested_at)), 0) AS newest
    FROM src_person_records p
    JOIN src_identity_link l USING (record_key)
    LEFT JOIN src_person_std s USING (record_key)
),
ranked AS (
    SELECT
        rec.*,
        coalesce(t_name.rank, 99) AS r_name,
        coalesce(t_birth.rank, 99) AS r_birth,
        coalesce(t_addr.rank, 99) AS r_addr,
        coalesce(t_email.rank, 99) AS r_email,
        coalesce(t_phone.rank, 99) AS r_phone,
        'name' IN (SELECT attribute FROM cfg_recency_first) AS rf_name,
        'birth_date' IN (SELECT attribute FROM cfg_recency_first) AS rf_birth,
        'address' IN (SELECT attribute FROM cfg_recency_first) AS rf_addr,
        'email' IN (SELECT attribute FROM cfg_recency_first) AS rf_email,
        'phone' IN (SELECT attribute FROM cfg_recency_first) AS rf_phone
    FROM rec
    LEFT JOIN cfg_trust t_name ON t_name.attribute = 'name' AND t_name.source_system = rec.source_system
    LEFT JOIN cfg_trust t_birth ON t_birth.attribute = 'birth_date' AND t_birth.source_system = rec.source_system
    LEFT JOIN cfg_trust t_addr ON t_addr.attribute = 'address' AND t_addr.source_system = rec.source_system
    LEFT JOIN cfg_trust t_email ON t_email.attribute = 'email' AND t_email.source_system = rec.source_system
    LEFT JOIN cfg_trust t_phone ON t_phone.attribute = 'phone' AND t_phone.source_system = rec.source_system
),
name_votes AS (
    -- how many source systems spell the name this way
    SELECT customer_id, name_spelling, count(DISTINCT source_system) AS votes
    FROM rec WHERE first_name IS NOT NULL OR last_name IS NOT NULL
    GROUP BY ALL
),
name_spelling AS (
    SELECT r.customer_id, arg_min(r.name_spelling,
        {'k0': -v.votes,
         'k1': CASE WHEN rf_name THEN newest ELSE r_name END,
         'k2': CASE WHEN rf_name THEN r_name ELSE newest END, 'k3': record_key}) AS name_spelling
    FROM ranked r JOIN name_votes v USING (customer_id, name_spelling)
    WHERE first_name IS NOT NULL OR last_name IS NOT NULL
    GROUP BY r.customer_id
),
name_win AS (
    SELECT customer_id, arg_min(
        {'salutation': salutation, 'title': title, 'first_name': name_case(first_name),
         'last_name': name_case(last_name), 'source': source_system, 'at': seen_at},
        {'k0': coalesce(name_badly_cased, false),
         'k1': CASE WHEN rf_name THEN newest ELSE r_name END,
         'k2': CASE WHEN rf_name THEN r_name ELSE newest END, 'k3': record_key}) AS w
    FROM ranked JOIN name_spelling USING (customer_id, name_spelling)
    WHERE first_name IS NOT NULL OR last_name IS NOT NULL
    GROUP BY customer_id
),
birth_win AS (
    SELECT customer_id, arg_min(
        {'birth_date': birth_date, 'source': source_system, 'at': seen_at},
        {'k1': CASE WHEN rf_birth THEN newest ELSE r_birth END,
         'k2': CASE WHEN rf_birth THEN r_birth ELSE newest END, 'k3': record_key}) AS w
    FROM ranked WHERE birth_date IS NOT NULL
    GROUP BY customer_id
),
addr_win AS (
    SELECT customer_id, arg_min(
        {'street': street, 'house_number': house_number, 'postcode': postcode, 'city': city,
         'country': country, 'source': source_system, 'at': seen_at},
        {'k1': CASE WHEN rf_addr THEN newest ELSE r_addr END,
         'k2': CASE WHEN rf_addr THEN r_addr ELSE newest END, 'k3': record_key}) AS w
    FROM ranked WHERE street IS NOT NULL OR postcode IS NOT NULL OR city IS NOT NULL
    GROUP BY customer_id
),
email_win AS (
    SELECT customer_id, arg_min(
        {'email': email, 'verified': email_verified, 'source': source_system, 'at': seen_at},
        {'k0': NOT email_verified,
         'k1': CASE WHEN rf_email THEN newest ELSE r_email END,
         'k2': CASE WHEN rf_email THEN r_email ELSE newest END, 'k3': record_key}) AS w
    FROM ranked WHERE email IS NOT NULL
    GROUP BY customer_id
),
phone_win AS (
    SELECT customer_id, arg_min(
        {'phone': phone, 'source': source_system, 'at': seen_at},
        {'k1': CASE WHEN rf_phone THEN newest ELSE r_phone END,
         'k2': CASE WHEN rf_phone THEN r_phone ELSE newest END, 'k3': record_key}) AS w
    FROM ranked WHERE phone IS NOT NULL
    GROUP BY customer_id
),
mobile_win AS (
    SELECT customer_id, arg_min(
        {'mobile': mobile, 'source': source_system, 'at': seen_at},
        {'k1': CASE WHEN rf_phone THEN newest ELSE r_phone END,
         'k2': CASE WHEN rf_phone THEN r_phone ELSE newest END, 'k3': record_key}) AS w
    FROM ranked WHERE mobile IS NOT NULL
    GROUP BY customer_id
),
stated_win AS (
    SELECT customer_id, arg_min(
        {'channel': stated_channel, 'source': source_system, 'at': seen_at},
        {'k1': newest, 'k3': record_key}) AS w
    FROM ranked WHERE stated_channel IS NOT NULL
    GROUP BY customer_id
),
addresses AS (
    SELECT customer_id, list(display ORDER BY seen_at DESC NULLS LAST, display) AS addresses
    FROM (
        SELECT customer_id, address_key,
               arg_max(concat_ws(', ', nullif(concat_ws(' ', street, house_number), ''),
                                 nullif(concat_ws(' ', postcode, city), '')), seen_at) AS display,
               max(seen_at) AS seen_at
        FROM rec
        WHERE street IS NOT NULL OR postcode IS NOT NULL OR city IS NOT NULL
        GROUP BY customer_id, address_key
    )
    GROUP BY customer_id
),
agg AS (
    SELECT
        customer_id,
        count(*) AS record_count,
        list_sort(list(record_key)) AS record_keys,
        list_sort(list_distinct(list(source_system))) AS sources,
        list_sort(list_distinct(list(email))) AS emails,
        list_sort(list_distinct(list(phone) || list(mobile))) AS phones,
        list_sort(list_distinct(list(source_record_id) FILTER (WHERE source_system = 'erp'))) AS erp_customer_numbers,
        list_sort(list_distinct(list(source_record_id) FILTER (WHERE source_system = 'bonus'))) AS bonus_card_numbers,
        min(coalesce(created_at, seen_at)) AS first_record_at,
        max(seen_at) AS last_record_at
    FROM rec
    GROUP BY customer_id
),
events AS (
    SELECT customer_id, min(ts) AS first_contact_at, max(ts) AS last_contact_at
    FROM contact_history
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
)
SELECT
    c.customer_id,
    n.w.salutation AS salutation,
    n.w.title AS title,
    n.w.first_name AS first_name,
    n.w.last_name AS last_name,
    n.w.source AS name_source,
    n.w.at AS name_updated_at,
    b.w.birth_date AS birth_date,
    b.w.source AS birth_date_source,
    b.w.at AS birth_date_updated_at,
    e.w.email AS email,
    e.w.verified AS email_verified,
    e.w.source AS email_source,
    e.w.at AS email_updated_at,
    ph.w.phone AS phone,
    ph.w.source AS phone_source,
    ph.w.at AS phone_updated_at,
    mo.w.mobile AS mobile,
    mo.w.source AS mobile_source,
    mo.w.at AS mobile_updated_at,
    a.w.street AS street,
    a.w.house_number AS house_number,
    a.w.postcode AS postcode,
    a.w.city AS city,
    a.w.country AS country,
    a.w.source AS address_source,
    a.w.at AS address_updated_at,
    st.w.channel AS stated_channel,
    st.w.source AS stated_channel_source,
    coalesce(g.emails, []) AS emails,
    coalesce(g.phones, []) AS phones,
    coalesce(ad.addresses, []) AS addresses,
    g.erp_customer_numbers,
    g.bonus_card_numbers,
    g.record_keys,
    g.record_count,
    g.sources,
    least(g.first_record_at, ev.first_contact_at) AS first_seen,
    greatest(g.last_record_at, ev.last_contact_at) AS last_seen
FROM (SELECT DISTINCT customer_id FROM src_identity_link) c
LEFT JOIN agg g USING (customer_id)
LEFT JOIN name_win n USING (customer_id)
LEFT JOIN birth_win b USING (customer_id)
LEFT JOIN addr_win a USING (customer_id)
LEFT JOIN email_win e USING (customer_id)
LEFT JOIN phone_win ph USING (customer_id)
LEFT JOIN mobile_win mo USING (customer_id)
LEFT JOIN stated_win st USING (customer_id)
LEFT JOIN addresses ad USING (customer_id)
LEFT JOIN events ev USING (customer_id)
ORDER BY c.customer_id;

COMMENT ON TABLE customer IS 'The golden record: one row per customer_id. Each attribute group comes from the record that wins survivorship (profile settings trust_ranking per group, recency; newest address wins; a verified e-mail beats an unverified one); *_source and *_updated_at say which source won and how recent its record was.';
COMMENT ON COLUMN customer.customer_id IS 'Stable CDP customer id (C + 9 digits).';
COMMENT ON COLUMN customer.salutation IS 'Salutation as delivered by the winning name record (Herr, Frau ...).';
COMMENT ON COLUMN customer.title IS 'Academic title of the winning name record (Dr., Prof. Dr.).';
COMMENT ON COLUMN customer.first_name IS 'First name: the spelling most source systems agree on, from the best cased record of that spelling (trust ranking breaks ties); proper case when only delivered in capitals.';
COMMENT ON COLUMN customer.last_name IS 'Last name, chosen with the first name (see first_name).';
COMMENT ON COLUMN customer.name_source IS 'Source system whose record won the name.';
COMMENT ON COLUMN customer.name_updated_at IS 'Last update of the record that won the name.';
COMMENT ON COLUMN customer.birth_date IS 'Birth date of the winning record.';
COMMENT ON COLUMN customer.birth_date_source IS 'Source system whose record won the birth date.';
COMMENT ON COLUMN customer.birth_date_updated_at IS 'Last update of the record that won the birth date.';
COMMENT ON COLUMN customer.email IS 'Best e-mail (standardised, lower case): verified first, then source trust, then recency.';
COMMENT ON COLUMN customer.email_verified IS 'Whether the winning e-mail was verified (double opt-in) by its source.';
COMMENT ON COLUMN customer.email_source IS 'Source system whose record won the e-mail.';
COMMENT ON COLUMN customer.email_updated_at IS 'Last update of the record that won the e-mail.';
COMMENT ON COLUMN customer.phone IS 'Best landline/unknown-type phone in E.164 (+4930123456); numbers the standardiser could not read are left out. Display format (+49 30 123456): the console and the agent-view export.';
COMMENT ON COLUMN customer.phone_source IS 'Source system whose record won the phone.';
COMMENT ON COLUMN customer.phone_updated_at IS 'Last update of the record that won the phone.';
COMMENT ON COLUMN customer.mobile IS 'Best mobile phone in E.164 (phone trust ranking).';
COMMENT ON COLUMN customer.mobile_source IS 'Source system whose record won the mobile number.';
COMMENT ON COLUMN customer.mobile_updated_at IS 'Last update of the record that won the mobile number.';
COMMENT ON COLUMN customer.street IS 'Street of the current address (may include the house number when the source delivers them together).';
COMMENT ON COLUMN customer.house_number IS 'House number of the current address when delivered separately.';
COMMENT ON COLUMN customer.postcode IS 'Postcode of the current address.';
COMMENT ON COLUMN customer.city IS 'City of the current address.';
COMMENT ON COLUMN customer.country IS 'Country (ISO 3166-1 alpha-2) of the current address.';
COMMENT ON COLUMN customer.address_source IS 'Source system whose record won the address (newest record by default).';
COMMENT ON COLUMN customer.address_updated_at IS 'Last update of the record that won the address.';
COMMENT ON COLUMN customer.stated_channel IS 'Channel the person most recently said they prefer (any source), if any.';
COMMENT ON COLUMN customer.stated_channel_source IS 'Source system of the stated channel preference.';
COMMENT ON COLUMN customer.emails IS 'All distinct e-mails (standardised) on any of the customer''s records.';
COMMENT ON COLUMN customer.phones IS 'All distinct phone and mobile numbers (E.164) on any of the customer''s records.';
COMMENT ON COLUMN customer.addresses IS 'All distinct addresses on any record, newest first ("street no, postcode city").';
COMMENT ON COLUMN customer.erp_customer_numbers IS 'ERP Kundennummern of the customer''s ERP records.';
COMMENT ON COLUMN customer.bonus_card_numbers IS 'Bonus card numbers of the customer''s bonus-program records.';
COMMENT ON COLUMN customer.record_keys IS 'All source person records (record_key) resolved to this customer.';
COMMENT ON COLUMN customer.record_count IS 'Number of source person records resolved to this customer.';
COMMENT ON COLUMN customer.sources IS 'Source systems that know this customer.';
COMMENT ON COLUMN customer.first_seen IS 'Earliest of record creation and first contact (UTC).';
COMMENT ON COLUMN customer.last_seen IS 'Latest of record update and last contact (UTC).';

-- point lookups by id (agent console result lists: customer_id = ANY(list) uses the index)
CREATE INDEX customer_id_idx ON customer (customer_id);
