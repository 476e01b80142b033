-- person_records: the source records behind one customer ($id) for the profile page, with why
-- each was linked (profiles' person_record: link_reason, linked_to).
SELECT record_key, source_system, source_record_id, salutation, first_name, last_name,
       birth_date, email, phone, mobile, postcode, city, updated_at, link_method,
       match_probability, linked_to, link_reason
FROM person_record
WHERE customer_id = $id
ORDER BY source_system, record_key
