-- The CX page's headline numbers: the last 12 months up to profile_build.as_of, and now.
WITH p AS (SELECT as_of, as_of - INTERVAL 365 DAY AS since FROM profile_build),
f AS (
    SELECT round(100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6))
                 / nullif(count(nps), 0), 1) AS nps,
           count(nps) AS nps_responses,
           round(avg(csat), 2) AS csat,
           round(avg(ces), 2) AS ces
    FROM feedback, p WHERE finished AND answered_at > p.since
),
c AS (
    SELECT count(*) FILTER (WHERE category = 'complaint' AND opened_at > p.since) AS complaints,
           round(100 * avg(first_contact_resolution::INTEGER) FILTER (WHERE closed_at > p.since), 1) AS fcr_pct,
           count(*) FILTER (WHERE status = 'open') AS open_cases,
           count(*) FILTER (WHERE status = 'open' AND age_days > 14) AS open_cases_over_14d
    FROM service_case, p
)
SELECT p.as_of, f.*, c.*,
       (SELECT count(*) FROM churn_risk WHERE risk_level = 'high') AS high_churn_risk,
       (SELECT count(*) FROM customer) AS customers
FROM p, f, c
