-- customer_experience: one row per customer: how their experience went, for agents and analysts.
-- Latest finished survey answers and comment, open service cases with their age and channels,
-- churn risk (only where churn_risk scored the customer: profiling allowed, a purchase), bonus
-- points balance and member status, and contact pressure (marketing messages received).
CREATE OR REPLACE TABLE customer_experience AS
WITH params AS (SELECT as_of FROM profile_build),
fb AS (
    SELECT customer_id,
           arg_max(nps, answered_at) FILTER (WHERE nps IS NOT NULL) AS latest_nps,
           max(answered_at) FILTER (WHERE nps IS NOT NULL) AS latest_nps_at,
           arg_max(csat, answered_at) FILTER (WHERE csat IS NOT NULL) AS latest_csat,
           max(answered_at) FILTER (WHERE csat IS NOT NULL) AS latest_csat_at,
           arg_max(comment, answered_at) FILTER (WHERE comment IS NOT NULL) AS latest_comment,
           max(answered_at) FILTER (WHERE comment IS NOT NULL) AS latest_comment_at,
           arg_max(touchpoint, answered_at) FILTER (WHERE comment IS NOT NULL) AS latest_comment_touchpoint,
           count(*) AS survey_responses
    FROM feedback
    WHERE customer_id IS NOT NULL AND finished
    GROUP BY customer_id
),
cases AS (
    SELECT customer_id,
           count(*) FILTER (WHERE status = 'open') AS open_cases,
           max(age_days) FILTER (WHERE status = 'open') AS oldest_open_case_days,
           list({'case_id': case_id, 'category': category, 'subject': subject, 'opened_at': opened_at,
                 'age_days': age_days, 'contacts': contacts, 'channel_history': channel_history}
                ORDER BY opened_at) FILTER (WHERE status = 'open') AS open_case_list,
           count(*) FILTER (WHERE opened_at >= (SELECT as_of FROM params) - INTERVAL 365 DAY) AS cases_12m,
           count(*) FILTER (WHERE category = 'complaint'
                            AND opened_at >= (SELECT as_of FROM params) - INTERVAL 365 DAY) AS complaints_12m
    FROM service_case
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
),
pressure AS (
    SELECT customer_id,
           count(*) FILTER (WHERE sent_at > (SELECT as_of FROM params) - INTERVAL 7 DAY) AS marketing_messages_7d,
           count(*) FILTER (WHERE sent_at > (SELECT as_of FROM params) - INTERVAL 30 DAY) AS marketing_messages_30d,
           max(sent_at) FILTER (WHERE opened OR clicked) AS last_campaign_reaction_at
    FROM campaign_response
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
)
SELECT
    c.customer_id,
    f.latest_nps,
    CASE WHEN f.latest_nps >= 9 THEN 'promoter' WHEN f.latest_nps >= 7 THEN 'passive'
         WHEN f.latest_nps IS NOT NULL THEN 'detractor' END AS latest_nps_group,
    f.latest_nps_at,
    f.latest_csat,
    f.latest_csat_at,
    f.latest_comment,
    f.latest_comment_at,
    f.latest_comment_touchpoint,
    coalesce(f.survey_responses, 0) AS survey_responses,
    coalesce(k.open_cases, 0) AS open_cases,
    k.oldest_open_case_days,
    coalesce(k.open_case_list, []) AS open_case_list,
    coalesce(k.cases_12m, 0) AS cases_12m,
    coalesce(k.complaints_12m, 0) AS complaints_12m,
    r.churn_probability,
    r.risk_level AS churn_risk,
    r.p_alive,
    y.points_balance,
    y.member_status,
    y.member_since,
    coalesce(m.marketing_messages_7d, 0) AS marketing_messages_7d,
    coalesce(m.marketing_messages_30d, 0) AS marketing_messages_30d,
    m.last_campaign_reaction_at
FROM customer c
LEFT JOIN fb f USING (customer_id)
LEFT JOIN cases k USING (customer_id)
LEFT JOIN churn_risk r USING (customer_id)
LEFT JOIN cx_loyalty y USING (customer_id)
LEFT JOIN pressure m USING (customer_id)
ORDER BY c.customer_id;

COMMENT ON TABLE customer_experience IS 'One row per customer: latest survey scores and comment, open service cases with age and channels, churn risk (profiling permitting), bonus points and member status, marketing messages received. As of profile_build.as_of.';
COMMENT ON COLUMN customer_experience.customer_id IS 'Customer id.';
COMMENT ON COLUMN customer_experience.latest_nps IS 'Latest NPS answer 0..10 (finished responses).';
COMMENT ON COLUMN customer_experience.latest_nps_group IS 'promoter, passive or detractor, from latest_nps.';
COMMENT ON COLUMN customer_experience.latest_nps_at IS 'When latest_nps was given.';
COMMENT ON COLUMN customer_experience.latest_csat IS 'Latest CSAT answer 1..5.';
COMMENT ON COLUMN customer_experience.latest_csat_at IS 'When latest_csat was given.';
COMMENT ON COLUMN customer_experience.latest_comment IS 'Latest free-text survey comment.';
COMMENT ON COLUMN customer_experience.latest_comment_at IS 'When latest_comment was written.';
COMMENT ON COLUMN customer_experience.latest_comment_touchpoint IS 'What latest_comment was about (touchpoint).';
COMMENT ON COLUMN customer_experience.survey_responses IS 'Finished survey responses of the customer.';
COMMENT ON COLUMN customer_experience.open_cases IS 'Service cases still open.';
COMMENT ON COLUMN customer_experience.oldest_open_case_days IS 'Age in days of the oldest open case.';
COMMENT ON COLUMN customer_experience.open_case_list IS 'Open cases, oldest first: case id, category, subject, opened_at, age_days, contacts, channel_history.';
COMMENT ON COLUMN customer_experience.cases_12m IS 'Service cases opened in the 365 days before as_of.';
COMMENT ON COLUMN customer_experience.complaints_12m IS 'Complaint cases opened in the 365 days before as_of.';
COMMENT ON COLUMN customer_experience.churn_probability IS 'churn_risk.churn_probability; NULL when the customer may not be profiled or never bought.';
COMMENT ON COLUMN customer_experience.churn_risk IS 'churn_risk.risk_level: high, medium, low; NULL when not scored.';
COMMENT ON COLUMN customer_experience.p_alive IS 'churn_risk.p_alive: BG/NBD probability that the customer still buys.';
COMMENT ON COLUMN customer_experience.points_balance IS 'Bonus points balance: points earned minus points taken back, over all cards of the customer; NULL without a card.';
COMMENT ON COLUMN customer_experience.member_status IS 'Bonus program member status (active, blocked); active when any card is active; NULL for non-members.';
COMMENT ON COLUMN customer_experience.member_since IS 'Earliest enrolment in the bonus program.';
COMMENT ON COLUMN customer_experience.marketing_messages_7d IS 'Marketing messages (campaign sends, all sources) in the 7 days before as_of: contact pressure.';
COMMENT ON COLUMN customer_experience.marketing_messages_30d IS 'Marketing messages in the 30 days before as_of.';
COMMENT ON COLUMN customer_experience.last_campaign_reaction_at IS 'Send time of the latest campaign message the customer opened or clicked.';

CREATE INDEX customer_experience_id_idx ON customer_experience (customer_id);
