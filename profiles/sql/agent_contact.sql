-- agent_contact: the contacts an agent may see, one row per contact (the console's timeline
-- pages through it): no source, amount or ids, as in agent_profile.recent_contacts.
CREATE OR REPLACE VIEW agent_contact AS
SELECT customer_id, ts, channel, direction, type, summary, outcome, status, product_models
FROM contact_history
WHERE customer_id IS NOT NULL;

COMMENT ON VIEW agent_contact IS 'The contacts a service agent may see, one row per contact: when, channel, direction, type, summary, outcome, status, product models. No source, amount or ids.';
