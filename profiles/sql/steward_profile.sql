-- steward_profile: what a data steward (or the data protection officer) sees of a customer, the
-- console's profile page in the steward role (cdp serve with exports.console_role = steward).
-- A table sorted by customer_id (point lookups), like agent_profile.
-- A steward checks and corrects identity: whether the records behind a customer are one person
-- (then a must-link / cannot-link override), where each golden-record value came from, which ids
-- were merged, and what the customer consented to, restricted or objected to.
-- Included: the golden record unmasked with each value's source system (birth date, all known
-- e-mails, phones and addresses, full card numbers), former customer ids with when and why, the
-- consents with their evidence, objections and restriction, and every source record with the
-- linkage evidence identity wrote (link method, rule, match probability and weight, the record it
-- was linked to, the field levels).
-- Left out on purpose: marketing figures a steward does not need to decide a link (revenue,
-- CLV, RFM scores and segment, churn risk); the channels come from agent_profile's rules.
CREATE OR REPLACE TABLE steward_profile AS
SELECT
    c.customer_id,
    c.salutation,
    c.title,
    c.first_name,
    c.last_name,
    c.name_source,
    c.birth_date,
    c.birth_date_source,
    c.email,
    c.email_verified,
    c.email_source,
    c.phone,
    c.phone_source,
    c.mobile,
    c.mobile_source,
    c.street,
    c.house_number,
    c.postcode,
    c.city,
    c.country,
    c.address_source,
    c.stated_channel,
    c.emails,
    c.phones,
    c.addresses,
    c.erp_customer_numbers,
    c.bonus_card_numbers,
    a.former_customer_ids,
    coalesce(h.id_history, []) AS id_history,
    c.sources,
    c.record_count,
    c.first_seen AS customer_since,
    c.last_seen,
    a.service_channel,
    a.service_contact_point,
    a.service_channel_reason,
    a.service_allowed_channels,
    a.marketing_channel,
    a.marketing_contact_point,
    a.marketing_channel_reason,
    a.marketing_allowed_channels,
    a.granted_consents,
    a.withdrawn_consents,
    a.consents,
    a.objections,
    a.restricted_since,
    a.lifecycle_stage,
    a.profiling_reason,
    a.customer_type,
    a.open_tickets,
    a.open_ticket_list,
    a.last_contact_at,
    coalesce(rec.records, []) AS records
FROM customer c
JOIN agent_profile a ON a.customer_id = c.customer_id
LEFT JOIN (
    SELECT new_customer_id AS customer_id,
           list({'old_customer_id': old_customer_id, 'changed_at': changed_at, 'reason': reason}
                ORDER BY changed_at, old_customer_id) AS id_history
    FROM customer_id_history
    WHERE old_customer_id <> new_customer_id
    GROUP BY new_customer_id
) h ON h.customer_id = c.customer_id
LEFT JOIN (
    SELECT customer_id,
           list({'record_key': record_key, 'source_system': source_system, 'source_entity': source_entity,
                 'source_record_id': source_record_id, 'salutation': salutation, 'first_name': first_name,
                 'last_name': last_name, 'birth_date': birth_date, 'email': email, 'phone': phone,
                 'mobile': mobile, 'street': street, 'house_number': house_number, 'postcode': postcode,
                 'city': city, 'updated_at': updated_at, 'load_id': load_id, 'link_method': link_method,
                 'match_probability': match_probability, 'linked_to': linked_to, 'link_reason': link_reason,
                 'link_confidence': link_confidence}
                ORDER BY source_system, record_key) AS records
    FROM person_record
    GROUP BY customer_id
) rec ON rec.customer_id = c.customer_id
ORDER BY c.customer_id;

COMMENT ON TABLE steward_profile IS 'What a data steward (or the DPO) sees of a customer to check and correct identity: the golden record unmasked with each value''s source, all known contact data, former ids with when and why, consents with evidence, objections, restriction, and every source record with the linkage evidence (method, probability, linked record, reason). No revenue, CLV, RFM or churn scores. The console''s profile page in the steward role reads it.';
COMMENT ON COLUMN steward_profile.bonus_card_numbers IS 'Bonus card numbers in full.';
COMMENT ON COLUMN steward_profile.former_customer_ids IS 'Customer ids merged into this one.';
COMMENT ON COLUMN steward_profile.id_history IS 'Customer ids merged into this one, with when and why (customer_id_history).';
COMMENT ON COLUMN steward_profile.customer_since IS 'Earliest record or contact of the customer.';
COMMENT ON COLUMN steward_profile.records IS 'Every source record behind the customer as delivered, with the linkage evidence: link_method, match_probability, linked_to and link_reason (person_record).';
