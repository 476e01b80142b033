-- contact_group: which tab of the console's timeline a contact belongs to.
--   service   what an agent needs when a customer calls: calls, chats, tickets, letters, the
--             customer's own e-mails and service replies, store visits, orders, invoices,
--             returns and credit notes (the default tab)
--   purchases bonus-card purchases and returns at the till (many, rarely asked about)
--   marketing campaign e-mails and newsletters sent to the customer, sign-ups, consent changes
CREATE OR REPLACE TEMP MACRO contact_group(type, direction, outcome) AS
    CASE
        WHEN type IN ('newsletter', 'campaign', 'consent_change') THEN 'marketing'
        WHEN type IN ('email', 'sms', 'letter') AND direction = 'outbound'
             AND coalesce(outcome, '') IN ('ignored', 'opened', 'clicked', 'bounced', 'unsubscribed',
                                           'delivered', 'converted') THEN 'marketing'
        WHEN type IN ('card_purchase', 'card_return') THEN 'purchases'
        ELSE 'service'
    END;
