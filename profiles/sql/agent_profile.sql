-- agent_profile: what a service agent (call centre, store) may see of a customer, nothing more.
-- This table is the one definition of it: the agent console's profile page and the agent-view
-- export (cdp export agent-views) read it and show nothing else (the console's timeline pages
-- through the view agent_contact, its experience summary reads agent_experience; the export
-- reads the view agent_profile_export, these rows less the customers under a restriction of
-- processing, agent_profile_export.sql says why). Built as a
-- table sorted by customer_id, not a view: the console reads one customer in a point lookup
-- (as a view over customer_360 a profile page took 350 ms instead of 22 ms on the demo).
-- Included: name and salutation, the current contact points and address, the ids a caller
-- quotes (customer and ERP numbers; bonus card numbers masked to the last 4 digits; former
-- customer ids), the channel to use for service and marketing and why, consent per purpose and
-- channel with its evidence, objections and a restriction of processing (so the agent knows what
-- not to offer), lifecycle stage, open tickets and recent contacts, and the source records behind
-- the profile with why they were linked, in words.
-- Left out on purpose: the birth date and year (agents verify callers with customer/card number
-- and postcode), full card numbers, historic e-mails/phones/addresses, revenue, CLV, RFM scores
-- and segment, match probabilities, and contacts' sources, amounts and ids.
CREATE OR REPLACE TABLE agent_profile AS
SELECT
    t.customer_id,
    t.salutation,
    t.title,
    t.first_name,
    t.last_name,
    t.email,
    t.email_verified,
    t.phone,
    t.mobile,
    t.street,
    t.house_number,
    t.postcode,
    t.city,
    t.country,
    t.erp_customer_numbers,
    list_transform(t.bonus_card_numbers, lambda n: '•••• ' || right(n, 4)) AS bonus_card_numbers,
    coalesce(fm.former_customer_ids, []) AS former_customer_ids,
    t.sources,
    t.record_count,
    t.first_seen AS customer_since,
    t.stated_channel,
    t.service_channel,
    t.service_contact_point,
    t.service_channel_reason,
    ps.allowed_channels AS service_allowed_channels,
    t.marketing_channel,
    t.marketing_contact_point,
    t.marketing_channel_reason,
    pm.allowed_channels AS marketing_allowed_channels,
    t.granted_consents,
    t.withdrawn_consents,
    coalesce(cd.consents, []) AS consents,
    coalesce(ob.objections, []) AS objections,
    pr.restricted_at AS restricted_since,
    t.lifecycle_stage,
    t.profiling_reason,
    t.customer_type,
    coalesce(ot.open_tickets, 0) AS open_tickets,
    coalesce(ot.open_ticket_list, []) AS open_ticket_list,
    t.last_contact_at,
    list_transform(t.recent_contacts, lambda x: {'ts': x.ts, 'channel': x.channel, 'direction': x.direction,
                   'type': x.type, 'summary': x.summary, 'outcome': x.outcome, 'status': x.status})
        AS recent_contacts,
    coalesce(rec.records, []) AS records
FROM customer_360 t
-- service_* and marketing_* are a documented column set (the console and the agent-view export
-- read them by name), so these two purposes are named here; preferred_channel has every
-- configured purpose (profiles.channel_purposes) as rows, and a purpose not configured there
-- leaves its columns NULL.
LEFT JOIN preferred_channel ps ON ps.customer_id = t.customer_id AND ps.purpose = 'service'
LEFT JOIN preferred_channel pm ON pm.customer_id = t.customer_id AND pm.purpose = 'marketing'
LEFT JOIN processing_restriction pr ON pr.customer_id = t.customer_id
LEFT JOIN (
    SELECT new_customer_id AS customer_id, list(old_customer_id ORDER BY changed_at, old_customer_id) AS former_customer_ids
    FROM customer_id_history
    WHERE old_customer_id <> new_customer_id
    GROUP BY new_customer_id
) fm ON fm.customer_id = t.customer_id
LEFT JOIN (
    -- one cell per purpose x channel, the most telling contact point: an objection, else a
    -- granted one (the golden record's first), else a withdrawal, else unknown
    SELECT customer_id,
           list({'purpose': purpose, 'channel': channel, 'contact_point': contact_point, 'state': state,
                 'decided_at': decided_at, 'source': source, 'method': method, 'evidence': evidence}
                ORDER BY purpose, channel) AS consents
    FROM (
        SELECT * FROM consent
        QUALIFY row_number() OVER (PARTITION BY customer_id, purpose, channel
                                   ORDER BY CASE state WHEN 'objection' THEN 0 WHEN 'granted' THEN 1
                                                       WHEN 'withdrawn' THEN 2 ELSE 3 END,
                                            is_golden DESC, decided_at DESC NULLS LAST) = 1
    )
    GROUP BY customer_id
) cd ON cd.customer_id = t.customer_id
LEFT JOIN (
    SELECT customer_id, list({'purpose': purpose, 'objected_at': objected_at} ORDER BY purpose) AS objections
    FROM (SELECT customer_id, purpose, max(objected_at) AS objected_at FROM objection WHERE active GROUP BY ALL)
    GROUP BY customer_id
) ob ON ob.customer_id = t.customer_id
LEFT JOIN (
    -- "now" is the build's as_of (the latest event in the data), as in the analysts' queries
    SELECT customer_id, count(*) AS open_tickets,
           list({'ts': ts, 'channel': channel, 'summary': summary,
                 'age_days': date_diff('day', ts, b.as_of)}
                ORDER BY ts DESC NULLS LAST, contact_id) AS open_ticket_list
    FROM contact_history
    CROSS JOIN (SELECT max(as_of) AS as_of FROM profile_build) b  -- a join, not a subquery: Spark runs it too
    WHERE customer_id IS NOT NULL AND type = 'ticket' AND coalesce(status, 'open') = 'open'
    GROUP BY customer_id
) ot ON ot.customer_id = t.customer_id
LEFT JOIN (
    SELECT customer_id,
           list({'source_system': source_system,
                 'source_record_id': CASE WHEN source_system = 'bonus' THEN '•••• ' || right(source_record_id, 4)
                                          ELSE source_record_id END,
                 'first_name': first_name, 'last_name': last_name, 'postcode': postcode, 'city': city,
                 'updated_at': updated_at, 'link_method': link_method, 'link_reason': link_reason,
                 'linked_to': CASE WHEN linked_to LIKE 'bonus:%' THEN 'bonus:•••• ' || right(linked_to, 4)
                                   ELSE linked_to END,
                 'link_confidence': link_confidence}
                ORDER BY source_system, record_key) AS records
    FROM person_record
    GROUP BY customer_id
) rec ON rec.customer_id = t.customer_id
ORDER BY t.customer_id;

COMMENT ON TABLE agent_profile IS 'What a service agent may see of a customer (the console reads this table only; the agent-view export reads its rows without restricted customers, agent_profile_export): name, current contact points and address, the ids a caller quotes (bonus cards masked), service and marketing channel, consents with evidence, objections, restriction, lifecycle stage, open tickets, recent contacts, source records and why they were linked. No birth date or year, revenue, CLV/RFM, historic contact data, match probabilities.';
COMMENT ON COLUMN agent_profile.email_verified IS 'The golden e-mail address was confirmed (double opt-in).';
COMMENT ON COLUMN agent_profile.bonus_card_numbers IS 'Bonus card numbers masked to the last 4 digits (•••• 0017).';
COMMENT ON COLUMN agent_profile.former_customer_ids IS 'Customer ids merged into this one (a caller may quote one).';
COMMENT ON COLUMN agent_profile.customer_since IS 'Earliest record or contact of the customer.';
COMMENT ON COLUMN agent_profile.stated_channel IS 'Channel the customer said they prefer.';
COMMENT ON COLUMN agent_profile.service_channel IS 'Preferred service channel; NULL when none is possible.';
COMMENT ON COLUMN agent_profile.service_contact_point IS 'Contact point for the service channel.';
COMMENT ON COLUMN agent_profile.service_channel_reason IS 'Why this service channel, or why none.';
COMMENT ON COLUMN agent_profile.service_allowed_channels IS 'Channels allowed for service.';
COMMENT ON COLUMN agent_profile.marketing_channel IS 'Preferred marketing channel (only ever one with granted marketing consent); NULL: do not contact for marketing.';
COMMENT ON COLUMN agent_profile.marketing_contact_point IS 'Contact point for the marketing channel.';
COMMENT ON COLUMN agent_profile.marketing_channel_reason IS 'Why this marketing channel, or why none.';
COMMENT ON COLUMN agent_profile.marketing_allowed_channels IS 'Channels with granted marketing consent and a contact point.';
COMMENT ON COLUMN agent_profile.granted_consents IS 'Purpose:channel pairs with a granted consent for at least one contact point.';
COMMENT ON COLUMN agent_profile.withdrawn_consents IS 'Purpose:channel pairs withdrawn or objected to for at least one contact point.';
COMMENT ON COLUMN agent_profile.consents IS 'Per purpose x channel the most telling consent (objection, else granted, else withdrawn, else unknown) with its contact point and evidence (decided_at, source, method, evidence).';
COMMENT ON COLUMN agent_profile.objections IS 'Purposes the customer objected to (Art. 21 GDPR) and since when: do not offer or record advertising.';
COMMENT ON COLUMN agent_profile.restricted_since IS 'Processing restricted (Art. 18 GDPR) since: answer the customer''s own request only. NULL: not restricted.';
COMMENT ON COLUMN agent_profile.profiling_reason IS 'Why there is (no) lifecycle stage: the legal basis for profiling, or its absence.';
COMMENT ON COLUMN agent_profile.open_tickets IS 'Number of tickets with status open.';
COMMENT ON COLUMN agent_profile.open_ticket_list IS 'Open tickets, newest first (ts, channel, summary, age_days before the build''s as_of).';
COMMENT ON COLUMN agent_profile.last_contact_at IS 'Time of the latest contact.';
COMMENT ON COLUMN agent_profile.recent_contacts IS 'Most recent contacts, newest first (ts, channel, direction, type, summary, outcome, status).';
COMMENT ON COLUMN agent_profile.records IS 'The source records behind the profile (card numbers masked) and why each was linked: link_reason in words, linked_to, link_confidence in words for model links.';
