-- service_case: one row per service case across channels. A case starts with the first contact
-- carrying its case id (a call, an e-mail, a ticket) and may continue on other channels. Its
-- state is what its latest contact says (earlier contacts keep the state of the delivery they
-- came in): closed when that contact is closed or carries a closing time; closed_at is the
-- source's closing time (or that contact's time when the source gives none). First-contact
-- resolution = closed, one contact, never reopened. Handling time = opened to closed. Age =
-- opened to as_of while open.
CREATE OR REPLACE TABLE service_case AS
WITH params AS (SELECT as_of FROM profile_build),
contacts AS (
    SELECT e.*, l.customer_id
    FROM src_contact_events e
    LEFT JOIN src_identity_link l ON l.record_key = e.person_record_key
    WHERE e.case_id IS NOT NULL
),
agg AS (
    SELECT
        case_id,
        source_system AS source,
        arg_min(customer_id, ts) AS customer_id,
        arg_min(case_category, ts) AS category,
        arg_min(summary, ts) AS subject,
        least(min(case_opened_at), min(ts)) AS opened_at,
        min(ts) AS first_contact_at,
        arg_min(channel, ts) AS first_channel,
        max(ts) AS last_contact_at,
        max(case_closed_at) AS any_closed_at,
        arg_max_null(case_closed_at, ts) AS last_closed_at,
        arg_max_null(status, ts) AS last_status,
        count(*) AS contacts,
        list(channel ORDER BY ts) AS channel_history,
        list(DISTINCT agent_team ORDER BY agent_team) FILTER (WHERE agent_team IS NOT NULL) AS agent_teams,
        bool_or(outcome = 'reopened') AS reopened,
        bool_or(outcome = 'escalated') AS escalated
    FROM contacts
    GROUP BY case_id, source_system
),
state AS (
    SELECT *,
           coalesce(last_status = 'closed', false) OR last_closed_at IS NOT NULL AS is_closed
    FROM agg
)
SELECT
    a.case_id,
    a.source,
    a.customer_id,
    a.category,
    a.subject,
    a.opened_at,
    a.first_contact_at,
    a.first_channel,
    a.last_contact_at,
    CASE WHEN a.is_closed THEN coalesce(a.last_closed_at, a.any_closed_at, a.last_contact_at) END AS closed_at,
    CASE WHEN a.is_closed THEN 'closed' ELSE 'open' END AS status,
    a.contacts,
    a.channel_history,
    -- sorted: list_distinct's order is unspecified (it differed between DuckDB and Spark)
    list_sort(list_distinct(a.channel_history)) AS channels,
    coalesce(a.agent_teams, []) AS agent_teams,
    -- rounded as a decimal, half up (3 h 39 min = 3.65 → 3.7), the same on DuckDB and Spark SQL
    CASE WHEN a.is_closed
         THEN CAST(round(CAST((epoch(coalesce(a.last_closed_at, a.any_closed_at, a.last_contact_at))
                     - epoch(a.opened_at)) / 3600.0 AS DECIMAL(18, 6)), 1) AS DOUBLE) END AS handling_hours,
    CASE WHEN NOT a.is_closed
         THEN CAST(floor((epoch(p.as_of) - epoch(a.opened_at)) / 86400) AS INTEGER) END AS age_days,
    (a.is_closed AND a.contacts = 1 AND NOT a.reopened) AS first_contact_resolution,
    a.reopened,
    a.escalated
FROM state a
CROSS JOIN params p
ORDER BY a.customer_id, a.opened_at, a.case_id;

COMMENT ON TABLE service_case IS 'One row per service case (complaint, warranty, billing, delivery, question) across all the channels it went through: first contact, resolution, handling time, number of contacts, first-contact resolution, reopened. Built from the contacts that carry a case id.';
COMMENT ON COLUMN service_case.case_id IS 'Case id in the source system (unique together with source).';
COMMENT ON COLUMN service_case.source IS 'System that manages the case (crm).';
COMMENT ON COLUMN service_case.customer_id IS 'Customer of the case (of its first contact, via identity_link).';
COMMENT ON COLUMN service_case.category IS 'complaint, warranty, billing, delivery or question.';
COMMENT ON COLUMN service_case.subject IS 'Subject of the first contact.';
COMMENT ON COLUMN service_case.opened_at IS 'When the case was opened (the source''s opening time, or its first contact).';
COMMENT ON COLUMN service_case.first_contact_at IS 'First contact of the case.';
COMMENT ON COLUMN service_case.first_channel IS 'Channel of the first contact (phone, email, chat, store ...).';
COMMENT ON COLUMN service_case.last_contact_at IS 'Latest contact of the case.';
COMMENT ON COLUMN service_case.closed_at IS 'When the case was closed (the source''s closing time, else the time of its closing contact); NULL while open.';
COMMENT ON COLUMN service_case.status IS 'open or closed, as the case''s latest contact says.';
COMMENT ON COLUMN service_case.contacts IS 'Number of contacts on the case (all channels, both directions).';
COMMENT ON COLUMN service_case.channel_history IS 'Channels of the case''s contacts in time order, e.g. [phone, email, store].';
COMMENT ON COLUMN service_case.channels IS 'Distinct channels the case went through.';
COMMENT ON COLUMN service_case.agent_teams IS 'Teams that handled the case.';
COMMENT ON COLUMN service_case.handling_hours IS 'Hours from opened_at to closed_at (closed cases).';
COMMENT ON COLUMN service_case.age_days IS 'Days from opened_at to profile_build.as_of (open cases).';
COMMENT ON COLUMN service_case.first_contact_resolution IS 'Closed with a single contact and never reopened.';
COMMENT ON COLUMN service_case.reopened IS 'The customer came back after the case had been closed.';
COMMENT ON COLUMN service_case.escalated IS 'A contact of the case was escalated.';
