-- Minimal standardisation, used only when identity did not write person_records_std.parquet:
-- lower-cased trimmed e-mail, phone digits as E.164 assuming Germany for national numbers.
CREATE OR REPLACE TEMP TABLE src_person_std AS
WITH p AS (
    SELECT
        record_key, first_name, last_name, email, street, house_number, postcode, city, birth_date,
        regexp_replace(coalesce(phone, ''), '[^0-9+]', '', 'g') AS phone_raw,
        regexp_replace(coalesce(mobile, ''), '[^0-9+]', '', 'g') AS mobile_raw
    FROM src_person_records
)
SELECT
    record_key,
    nullif(lower(trim(first_name)), '') AS first_name_std,
    nullif(lower(trim(last_name)), '') AS last_name_std,
    nullif(lower(trim(email)), '') AS email_std,
    CASE
        WHEN length(phone_raw) < 6 THEN NULL
        WHEN phone_raw LIKE '+%' THEN '+' || replace(phone_raw, '+', '')
        WHEN phone_raw LIKE '00%' THEN '+' || substr(phone_raw, 3)
        WHEN phone_raw LIKE '0%' THEN '+49' || substr(phone_raw, 2)
        ELSE '+49' || phone_raw
    END AS phone_e164,
    CASE
        WHEN length(mobile_raw) < 6 THEN NULL
        WHEN mobile_raw LIKE '+%' THEN '+' || replace(mobile_raw, '+', '')
        WHEN mobile_raw LIKE '00%' THEN '+' || substr(mobile_raw, 3)
        WHEN mobile_raw LIKE '0%' THEN '+49' || substr(mobile_raw, 2)
        ELSE '+49' || mobile_raw
    END AS mobile_e164,
    nullif(lower(trim(street)), '') AS street_std,
    nullif(lower(trim(house_number)), '') AS house_number_std,
    nullif(trim(postcode), '') AS postcode_std,
    nullif(lower(trim(city)), '') AS city_std,
    birth_date
FROM p;
