-- contact_point: every e-mail address, phone number and postal address a customer's person
-- records hold, one row per customer x channel x contact point (standardised), with the
-- records that hold it. Consent is decided per row of this table (consent.sql): a consent is
-- bound to the contact point it was given for, never to "the customer's e-mail".
--   email:  email_std (identity's standardisation: trimmed, lower-cased, provider rules)
--   phone:  phone and mobile in E.164
--   sms:    mobile, or a phone number in a German mobile range (+4915x-+4917x)
--   letter: street, house number, postcode and city (key: address_key, folded letters/digits)
CREATE OR REPLACE TABLE contact_point AS
WITH rec AS (
    SELECT
        l.customer_id,
        p.record_key,
        p.source_system,
        coalesce(p.updated_at, p.created_at, p._ingested_at) AS seen_at,
        coalesce(s.email_std, nullif(lower(trim(p.email)), '')) AS email,
        coalesce(s.phone_e164, nullif(trim(p.phone), '')) AS phone,
        coalesce(s.mobile_e164, nullif(trim(p.mobile), '')) AS mobile,
        CASE WHEN nullif(trim(p.street), '') IS NOT NULL AND nullif(trim(p.postcode), '') IS NOT NULL
                  AND nullif(trim(p.city), '') IS NOT NULL THEN
            concat_ws(', ', concat_ws(' ', trim(p.street), nullif(trim(p.house_number), '')),
                      concat_ws(' ', trim(p.postcode), trim(p.city)))
        END AS address
    FROM src_person_records p
    JOIN src_identity_link l USING (record_key)
    LEFT JOIN src_person_std s USING (record_key)
),
points AS (
    SELECT customer_id, record_key, source_system, seen_at, 'email' AS channel, email AS contact_point, email AS point_key
    FROM rec WHERE email IS NOT NULL
    UNION ALL
    SELECT customer_id, record_key, source_system, seen_at, 'phone', phone, phone FROM rec WHERE phone IS NOT NULL
    UNION ALL
    SELECT customer_id, record_key, source_system, seen_at, 'phone', mobile, mobile FROM rec WHERE mobile IS NOT NULL
    UNION ALL
    SELECT customer_id, record_key, source_system, seen_at, 'sms', mobile, mobile FROM rec WHERE mobile IS NOT NULL
    UNION ALL
    SELECT customer_id, record_key, source_system, seen_at, 'sms', phone, phone
    FROM rec WHERE regexp_matches(phone, '^\+491[5-7]')
    UNION ALL
    SELECT customer_id, record_key, source_system, seen_at, 'letter', address, address_key(address)
    FROM rec WHERE address IS NOT NULL
),
golden AS (
    SELECT customer_id, 'email' AS channel, email AS point_key FROM customer WHERE email IS NOT NULL
    UNION ALL SELECT customer_id, 'phone', coalesce(mobile, phone) FROM customer WHERE coalesce(mobile, phone) IS NOT NULL
    UNION ALL SELECT customer_id, 'sms', coalesce(mobile, CASE WHEN regexp_matches(phone, '^\+491[5-7]') THEN phone END)
              FROM customer WHERE coalesce(mobile, CASE WHEN regexp_matches(phone, '^\+491[5-7]') THEN phone END) IS NOT NULL
    UNION ALL SELECT customer_id, 'letter',
              address_key(concat_ws(' ', street, house_number, postcode, city))
              FROM customer WHERE street IS NOT NULL AND postcode IS NOT NULL AND city IS NOT NULL
)
SELECT
    p.customer_id,
    p.channel,
    -- the spelling of the newest record; at equal times the first in sort order (not whichever
    -- row the engine reads first), so every build gives the same answer
    (list(p.contact_point ORDER BY p.seen_at DESC, p.contact_point) FILTER (WHERE p.seen_at IS NOT NULL))[1]
        AS contact_point,
    p.point_key,
    bool_or(g.point_key IS NOT NULL) AS is_golden,
    list_sort(list_distinct(list(p.record_key))) AS record_keys,
    list_sort(list_distinct(list(p.source_system))) AS sources,
    max(p.seen_at) AS last_seen_at
FROM points p
LEFT JOIN golden g ON g.customer_id = p.customer_id AND g.channel = p.channel AND g.point_key = p.point_key
WHERE p.point_key IS NOT NULL
GROUP BY p.customer_id, p.channel, p.point_key
ORDER BY p.customer_id, p.channel, p.point_key;

COMMENT ON TABLE contact_point IS 'Every e-mail address, phone number and postal address the person records of a customer hold: one row per customer x channel x contact point. Consent is decided per contact point (consent table).';
COMMENT ON COLUMN contact_point.customer_id IS 'Customer id.';
COMMENT ON COLUMN contact_point.channel IS 'Channel the contact point serves: email, phone, sms, letter.';
COMMENT ON COLUMN contact_point.contact_point IS 'The contact point: e-mail address (standardised), phone number (E.164) or postal address, as the newest record holding it writes it.';
COMMENT ON COLUMN contact_point.point_key IS 'Matching key: the standardised e-mail or number, or the folded address (letters and digits).';
COMMENT ON COLUMN contact_point.is_golden IS 'True when it is the golden record''s contact point for the channel.';
COMMENT ON COLUMN contact_point.record_keys IS 'Person records holding it.';
COMMENT ON COLUMN contact_point.sources IS 'Source systems holding it.';
COMMENT ON COLUMN contact_point.last_seen_at IS 'Newest update of a record holding it.';
