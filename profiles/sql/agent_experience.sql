-- agent_experience: what a service agent sees of a customer's experience (the console's CX
-- summary reads this view): latest scores and comment, open cases, the churn-risk level (not the
-- model's numbers), bonus points and member status, marketing messages received.
CREATE OR REPLACE VIEW agent_experience AS
SELECT customer_id, latest_nps, latest_nps_group, latest_nps_at, latest_csat, latest_csat_at,
       latest_comment, latest_comment_at, latest_comment_touchpoint, open_cases,
       oldest_open_case_days, open_case_list, cases_12m, churn_risk, points_balance, member_status,
       member_since, marketing_messages_7d
FROM customer_experience;

COMMENT ON VIEW agent_experience IS 'What a service agent sees of a customer''s experience: latest scores and comment, open cases with age and channel history, churn-risk level, bonus points and member status, marketing messages in the last 7 days. One row per customer.';
COMMENT ON COLUMN agent_experience.customer_id IS 'Customer id.';
COMMENT ON COLUMN agent_experience.latest_nps IS 'Latest NPS answer 0..10.';
COMMENT ON COLUMN agent_experience.latest_nps_group IS 'promoter, passive or detractor.';
COMMENT ON COLUMN agent_experience.latest_nps_at IS 'When latest_nps was given.';
COMMENT ON COLUMN agent_experience.latest_csat IS 'Latest CSAT answer 1..5.';
COMMENT ON COLUMN agent_experience.latest_csat_at IS 'When latest_csat was given.';
COMMENT ON COLUMN agent_experience.latest_comment IS 'Latest free-text survey comment.';
COMMENT ON COLUMN agent_experience.latest_comment_at IS 'When latest_comment was written.';
COMMENT ON COLUMN agent_experience.latest_comment_touchpoint IS 'What latest_comment was about.';
COMMENT ON COLUMN agent_experience.open_cases IS 'Service cases still open.';
COMMENT ON COLUMN agent_experience.oldest_open_case_days IS 'Age in days of the oldest open case.';
COMMENT ON COLUMN agent_experience.open_case_list IS 'Open cases, oldest first: case id, category, subject, opened_at, age_days, contacts, channel_history.';
COMMENT ON COLUMN agent_experience.cases_12m IS 'Service cases opened in the last 365 days.';
COMMENT ON COLUMN agent_experience.churn_risk IS 'Churn-risk level high, medium, low; NULL when not scored (no purchase, or no profiling allowed).';
COMMENT ON COLUMN agent_experience.points_balance IS 'Bonus points balance over all cards.';
COMMENT ON COLUMN agent_experience.member_status IS 'Bonus program member status (active, blocked); NULL for non-members.';
COMMENT ON COLUMN agent_experience.member_since IS 'Earliest enrolment in the bonus program.';
COMMENT ON COLUMN agent_experience.marketing_messages_7d IS 'Marketing messages received in the last 7 days (contact pressure).';
