-- agent_profile: what a service agent needs to help a customer, nothing more.
-- Included: name and salutation, the current contact points and address, the ids a caller
-- quotes (customer, ERP and card numbers), the preferred service channel, consents (so the agent
-- can confirm or record a change), lifecycle stage, open tickets and recent contacts.
-- Left out on purpose: birth date (agents verify callers with customer/card number and
-- postcode), historic e-mails/phones/addresses, revenue, CLV and RFM scores, match
-- probabilities and source lineage.
-- It is a projection of customer_360, so the consent summary and the service channel are
-- computed in one place; only the open-ticket count and the agent's cut of the recent contacts
-- (no source, amount or ids) are its own.
CREATE OR REPLACE VIEW agent_profile AS
SELECT
    t.customer_id,
    t.salutation,
    t.title,
    t.first_name,
    t.last_name,
    t.email,
    t.phone,
    t.mobile,
    t.street,
    t.house_number,
    t.postcode,
    t.city,
    t.country,
    t.erp_customer_numbers,
    t.bonus_card_numbers,
    t.sources,
    t.service_channel,
    t.service_contact_point,
    t.service_channel_reason,
    t.granted_consents,
    t.withdrawn_consents,
    t.objections,
    t.lifecycle_stage,
    t.profiling_reason,
    t.customer_type,
    coalesce(ot.open_tickets, 0) AS open_tickets,
    t.last_contact_at,
    list_transform(t.recent_contacts, lambda x: {'ts': x.ts, 'channel': x.channel, 'direction': x.direction,
                   'type': x.type, 'summary': x.summary, 'outcome': x.outcome, 'status': x.status})
        AS recent_contacts
FROM customer_360 t
LEFT JOIN (
    SELECT customer_id, count(*) AS open_tickets
    FROM contact_history
    WHERE customer_id IS NOT NULL AND type = 'ticket' AND coalesce(status, 'open') = 'open'
    GROUP BY customer_id
) ot ON ot.customer_id = t.customer_id;

COMMENT ON VIEW agent_profile IS 'What a service agent needs to help a customer: name, current contact points and address, the ids a caller quotes, preferred service channel, consents, lifecycle stage, open tickets and recent contacts. No birth date, revenue, CLV/RFM, historic contact data or lineage.';
COMMENT ON COLUMN agent_profile.service_channel IS 'Preferred service channel; NULL when none is possible.';
COMMENT ON COLUMN agent_profile.service_contact_point IS 'Contact point for the service channel.';
COMMENT ON COLUMN agent_profile.service_channel_reason IS 'Why this service channel, or why none.';
COMMENT ON COLUMN agent_profile.granted_consents IS 'Purpose:channel pairs with a granted consent for at least one contact point.';
COMMENT ON COLUMN agent_profile.withdrawn_consents IS 'Purpose:channel pairs withdrawn or objected to for at least one contact point.';
COMMENT ON COLUMN agent_profile.objections IS 'Purposes the customer objected to (Art. 21 GDPR): do not offer or record advertising.';
COMMENT ON COLUMN agent_profile.profiling_reason IS 'Why there is (no) lifecycle stage: the legal basis for profiling, or its absence.';
COMMENT ON COLUMN agent_profile.open_tickets IS 'Number of tickets with status open.';
COMMENT ON COLUMN agent_profile.last_contact_at IS 'Time of the latest contact.';
COMMENT ON COLUMN agent_profile.recent_contacts IS 'Most recent contacts, newest first (ts, channel, direction, type, summary, outcome, status).';
