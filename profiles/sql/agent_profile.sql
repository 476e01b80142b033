-- agent_profile: what a service agent needs to help a customer, nothing more.
-- Included: name and salutation, the current contact points and address, the ids a caller
-- quotes (customer, ERP and card numbers), the preferred service channel, consents (so the agent
-- can confirm or record a change), lifecycle stage, open tickets and recent contacts.
-- Left out on purpose: birth date (agents verify callers with customer/card number and
-- postcode), historic e-mails/phones/addresses, revenue, CLV and RFM scores, match
-- probabilities and source lineage.
CREATE OR REPLACE VIEW agent_profile AS
SELECT
    c.customer_id,
    c.salutation,
    c.title,
    c.first_name,
    c.last_name,
    c.email,
    c.phone,
    c.mobile,
    c.street,
    c.house_number,
    c.postcode,
    c.city,
    c.country,
    c.erp_customer_numbers,
    c.bonus_card_numbers,
    c.sources,
    ps.channel AS service_channel,
    ps.contact_point AS service_contact_point,
    ps.reason AS service_channel_reason,
    coalesce(cs.granted_consents, []) AS granted_consents,
    coalesce(cs.withdrawn_consents, []) AS withdrawn_consents,
    v.lifecycle_stage,
    v.customer_type,
    coalesce(rc.open_tickets, 0) AS open_tickets,
    rc.last_contact_at,
    coalesce(rc.recent_contacts, []) AS recent_contacts
FROM customer c
LEFT JOIN customer_value v ON v.customer_id = c.customer_id
LEFT JOIN preferred_channel ps ON ps.customer_id = c.customer_id AND ps.purpose = 'service'
LEFT JOIN (
    SELECT
        customer_id,
        list(purpose || ':' || channel ORDER BY purpose, channel) FILTER (WHERE state = 'granted') AS granted_consents,
        list(purpose || ':' || channel ORDER BY purpose, channel) FILTER (WHERE state = 'withdrawn') AS withdrawn_consents
    FROM consent
    GROUP BY customer_id
) cs ON cs.customer_id = c.customer_id
LEFT JOIN (
    SELECT
        customer_id,
        count(*) FILTER (WHERE type = 'ticket' AND coalesce(status, 'open') = 'open') AS open_tickets,
        max(ts) AS last_contact_at,
        list({'ts': ts, 'channel': channel, 'direction': direction, 'type': type,
              'summary': summary, 'outcome': outcome, 'status': status}
             ORDER BY ts DESC NULLS LAST, contact_id)[1:(SELECT recent_contacts FROM profile_build)]
            AS recent_contacts
    FROM contact_history
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
) rc ON rc.customer_id = c.customer_id;

COMMENT ON VIEW agent_profile IS 'What a service agent needs to help a customer: name, current contact points and address, the ids a caller quotes, preferred service channel, consents, lifecycle stage, open tickets and recent contacts. No birth date, revenue, CLV/RFM, historic contact data or lineage.';
COMMENT ON COLUMN agent_profile.service_channel IS 'Preferred service channel; NULL when none is possible.';
COMMENT ON COLUMN agent_profile.service_contact_point IS 'Contact point for the service channel.';
COMMENT ON COLUMN agent_profile.service_channel_reason IS 'Why this service channel, or why none.';
COMMENT ON COLUMN agent_profile.granted_consents IS 'Currently granted consents as purpose:channel.';
COMMENT ON COLUMN agent_profile.withdrawn_consents IS 'Currently withdrawn consents as purpose:channel.';
COMMENT ON COLUMN agent_profile.open_tickets IS 'Number of tickets with status open.';
COMMENT ON COLUMN agent_profile.last_contact_at IS 'Time of the latest contact.';
COMMENT ON COLUMN agent_profile.recent_contacts IS 'Most recent contacts, newest first (ts, channel, direction, type, summary, outcome, status).';
