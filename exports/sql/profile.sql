-- profile: everything the profile page shows for one customer ($id) except the timeline page,
-- in one round trip: the golden record and value scores, consent, the channel to use, the
-- source records (person_record), former ids merged into this one and a summary of the
-- contact history (types, counts, open tickets). Every subquery filters on $id directly, so
-- each reads only the row groups of that customer (all tables are sorted by customer_id).
SELECT c.*, v.* EXCLUDE (customer_id),
    (SELECT list(struct_pack(purpose, channel, state, decided_at, source, method, evidence,
                             event_count) ORDER BY purpose, channel)
     FROM consent WHERE customer_id = $id) AS _consent,
    (SELECT list(struct_pack(purpose, channel, contact_point, reason, allowed_channels,
                             stated_channel))
     FROM preferred_channel WHERE customer_id = $id) AS _channels,
    (SELECT list(struct_pack(record_key, source_system, source_record_id, salutation, first_name,
                             last_name, birth_date, email, phone, mobile, postcode, city,
                             updated_at, link_method, match_probability, linked_to, link_reason)
                 ORDER BY source_system, record_key)
     FROM person_record WHERE customer_id = $id) AS _records,
    (SELECT list(struct_pack(old_customer_id, changed_at, reason) ORDER BY changed_at)
     FROM customer_id_history
     WHERE new_customer_id = $id AND old_customer_id <> new_customer_id) AS _merged_from,
    (SELECT list(struct_pack(type, n) ORDER BY type)
     FROM (SELECT type, count(*) AS n FROM contact_history WHERE customer_id = $id GROUP BY type)
    ) AS _contact_types,
    (SELECT list(struct_pack(ts, channel, summary, outcome, source) ORDER BY ts DESC)
     FROM contact_history
     WHERE customer_id = $id AND type = 'ticket' AND coalesce(status, 'open') = 'open'
    ) AS _open_issues
FROM customer c
LEFT JOIN customer_value v USING (customer_id)
WHERE c.customer_id = $id
