-- campaign_response: one row per outbound marketing message that belongs to a campaign, with
-- the customer's reaction (open, click) and the first purchase in any source within
-- profiles.campaign_order_window_days after the send (cfg_cx). A click implies an open.
CREATE OR REPLACE TABLE campaign_response AS
WITH cfg AS (SELECT campaign_order_window_days AS window_days FROM cfg_cx),
sends AS (
    SELECT h.contact_id, h.customer_id, e.campaign_id, h.channel, h.ts AS sent_at, h.summary,
           h.outcome
    FROM contact_history h
    JOIN src_contact_events e ON e.event_key = h.contact_id
    WHERE e.campaign_id IS NOT NULL AND h.direction = 'outbound'
),
purchases AS (
    SELECT h.customer_id, h.ts, h.contact_id, h.amount
    FROM contact_history h
    JOIN cfg_event_class k ON k.event_type = h.type AND k.class = 'purchase'
    WHERE h.customer_id IS NOT NULL AND h.amount > 0 AND coalesce(h.status, '') <> 'cancelled'
),
firsts AS (
    SELECT s.contact_id, min(p.ts) AS ordered_at, arg_min(p.contact_id, p.ts) AS order_contact_id,
           arg_min(p.amount, p.ts) AS order_amount
    FROM sends s
    CROSS JOIN cfg
    JOIN purchases p ON p.customer_id = s.customer_id
     AND p.ts > s.sent_at AND p.ts <= s.sent_at + to_days(cfg.window_days)
    GROUP BY s.contact_id
)
SELECT
    s.contact_id AS message_id,
    s.customer_id,
    s.campaign_id,
    s.channel,
    s.sent_at,
    s.summary AS subject,
    s.outcome IN ('opened', 'clicked') AS opened,
    s.outcome = 'clicked' AS clicked,
    f.ordered_at IS NOT NULL AS ordered,
    f.ordered_at,
    f.order_contact_id,
    f.order_amount
FROM sends s
LEFT JOIN firsts f USING (contact_id)
ORDER BY s.customer_id, s.sent_at, s.contact_id;

COMMENT ON TABLE campaign_response IS 'One row per outbound marketing message of a campaign: send -> open -> click -> order. ordered = a purchase in any source within profiles.campaign_order_window_days after the send (not proof that the message caused it).';
COMMENT ON COLUMN campaign_response.message_id IS 'contact_history.contact_id of the message.';
COMMENT ON COLUMN campaign_response.customer_id IS 'Recipient customer.';
COMMENT ON COLUMN campaign_response.campaign_id IS 'Campaign id as the sending system delivered it.';
COMMENT ON COLUMN campaign_response.channel IS 'Channel the message went out on (email ...).';
COMMENT ON COLUMN campaign_response.sent_at IS 'When the message was sent.';
COMMENT ON COLUMN campaign_response.subject IS 'Subject of the message.';
COMMENT ON COLUMN campaign_response.opened IS 'The recipient opened the message (or clicked, which implies it).';
COMMENT ON COLUMN campaign_response.clicked IS 'The recipient clicked a link in the message.';
COMMENT ON COLUMN campaign_response.ordered IS 'The customer bought something within campaign_order_window_days after the send.';
COMMENT ON COLUMN campaign_response.ordered_at IS 'First purchase in that window.';
COMMENT ON COLUMN campaign_response.order_contact_id IS 'contact_history.contact_id of that purchase.';
COMMENT ON COLUMN campaign_response.order_amount IS 'EUR amount of that purchase.';
