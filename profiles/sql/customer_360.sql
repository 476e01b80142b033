-- customer_360: one row per customer with everything the CDP knows (golden record, value,
-- preferred channels, consent summary, recent contacts). Columns from customer and
-- customer_value carry their tables' comments.
CREATE OR REPLACE VIEW customer_360 AS
SELECT
    c.*,
    v.* EXCLUDE (customer_id),
    pm.channel AS marketing_channel,
    pm.contact_point AS marketing_contact_point,
    pm.reason AS marketing_channel_reason,
    ps.channel AS service_channel,
    ps.contact_point AS service_contact_point,
    ps.reason AS service_channel_reason,
    coalesce(cs.granted_consents, []) AS granted_consents,
    coalesce(cs.withdrawn_consents, []) AS withdrawn_consents,
    coalesce(ob.objections, []) AS objections,
    coalesce(rc.contact_count, 0) AS contact_count,
    rc.last_contact_at,
    coalesce(rc.recent_contacts, []) AS recent_contacts
FROM customer c
LEFT JOIN customer_value v ON v.customer_id = c.customer_id
-- marketing_* and service_* are a documented column set (agent_profile and analysts read them
-- by name), so these two purposes are named here; preferred_channel has every configured
-- purpose (profiles.channel_purposes) as rows, and a purpose not configured there leaves its
-- columns NULL. The consent lists below cover every configured purpose.
LEFT JOIN preferred_channel pm ON pm.customer_id = c.customer_id AND pm.purpose = 'marketing'
LEFT JOIN preferred_channel ps ON ps.customer_id = c.customer_id AND ps.purpose = 'service'
LEFT JOIN (
    SELECT
        customer_id,
        list(DISTINCT purpose || ':' || channel ORDER BY purpose || ':' || channel) FILTER (WHERE state = 'granted') AS granted_consents,
        list(DISTINCT purpose || ':' || channel ORDER BY purpose || ':' || channel) FILTER (WHERE state IN ('withdrawn', 'objection')) AS withdrawn_consents
    FROM consent
    GROUP BY customer_id
) cs ON cs.customer_id = c.customer_id
LEFT JOIN (
    SELECT customer_id, list(DISTINCT purpose ORDER BY purpose) AS objections
    FROM objection WHERE active
    GROUP BY customer_id
) ob ON ob.customer_id = c.customer_id
LEFT JOIN (
    SELECT
        customer_id,
        count(*) AS contact_count,
        max(ts) AS last_contact_at,
        -- the newest N (ts DESC NULLS LAST, then contact_id) kept while aggregating: a top-N
        -- aggregate holds N contacts per customer, where list(... ORDER BY ...)[1:N] held them all
        min_by({'ts': ts, 'source': source, 'channel': channel, 'direction': direction,
                'type': type, 'summary': summary, 'outcome': outcome, 'status': status,
                'amount': amount, 'contact_id': contact_id},
               {'no_ts': ts IS NULL, 'newest': -coalesce(epoch_us(ts), 0),
                'no_id': contact_id IS NULL, 'id': coalesce(contact_id, '')},
               greatest((SELECT recent_contacts FROM profile_build), 1))[1:(SELECT recent_contacts FROM profile_build)]
            AS recent_contacts
    FROM contact_history
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
) rc ON rc.customer_id = c.customer_id;

COMMENT ON VIEW customer_360 IS 'One row per customer: golden record, customer value, preferred channels, consent summary and the most recent contacts (profile_build.recent_contacts of them).';
COMMENT ON COLUMN customer_360.marketing_channel IS 'Preferred marketing channel (only ever a channel with granted marketing consent); NULL when none.';
COMMENT ON COLUMN customer_360.marketing_contact_point IS 'Contact point (e-mail, phone, address) for the marketing channel.';
COMMENT ON COLUMN customer_360.marketing_channel_reason IS 'Why this marketing channel, or why none (see preferred_channel.reason).';
COMMENT ON COLUMN customer_360.service_channel IS 'Preferred service channel; NULL when none is possible.';
COMMENT ON COLUMN customer_360.service_contact_point IS 'Contact point for the service channel.';
COMMENT ON COLUMN customer_360.service_channel_reason IS 'Why this service channel, or why none.';
COMMENT ON COLUMN customer_360.granted_consents IS 'Purpose:channel pairs with a granted consent for at least one contact point (the consent table says which).';
COMMENT ON COLUMN customer_360.withdrawn_consents IS 'Purpose:channel pairs withdrawn or objected to for at least one contact point.';
COMMENT ON COLUMN customer_360.objections IS 'Purposes with an active objection (Art. 21 GDPR): nothing is sent or computed for them.';
COMMENT ON COLUMN customer_360.contact_count IS 'Number of contacts in contact_history.';
COMMENT ON COLUMN customer_360.last_contact_at IS 'Time of the latest contact.';
COMMENT ON COLUMN customer_360.recent_contacts IS 'Most recent contacts, newest first (ts, source, channel, direction, type, summary, outcome, status, amount, contact_id).';
