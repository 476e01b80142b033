-- cx_loyalty (temporary, read by customer_experience.sql): per customer, bonus points balance,
-- member status and member since, from the bonus program's events. Its own step so that a
-- daily delta (profiles/incremental.py) recomputes it for the affected customers only.
CREATE OR REPLACE TEMP TABLE cx_loyalty AS
SELECT l.customer_id,
       sum(e.loyalty_points) FILTER (WHERE e.loyalty_points IS NOT NULL) AS points_balance,
       -- several cards: active when any card is active
       CASE WHEN bool_or(e.event_type = 'membership' AND e.status = 'active') THEN 'active'
            WHEN bool_or(e.event_type = 'membership') THEN max(e.status) FILTER (WHERE e.event_type = 'membership')
       END AS member_status,
       min(e.ts) FILTER (WHERE e.event_type = 'membership') AS member_since
FROM src_contact_events e
JOIN src_identity_link l ON l.record_key = e.person_record_key
WHERE e.source_system = 'bonus'
GROUP BY l.customer_id;
