-- cx_kpi_monthly: one row per calendar month (the last profiles.cx_kpi_months up to as_of) with
-- the customer-experience KPIs service and marketing managers watch.
--   nps                 = % promoters (9-10) - % detractors (0-6) of the month's NPS answers
--   complaints_per_1000 = complaint cases opened in the month per 1,000 customers known by its end
--   fcr_rate            = share of the cases closed in the month resolved at the first contact
--   churn_rate          = customers whose last purchase fell in the month and who then did not buy
--                         for lapsed_after_days, per customer who had bought within
--                         lapsed_after_days before the month; NULL for months too recent to tell
--   multichannel_share  = share of the customers with an inbound contact in the month who used
--                         more than one channel in it
CREATE OR REPLACE TABLE cx_kpi_monthly AS
WITH params AS (SELECT p.as_of, p.lapsed_after_days, c.cx_kpi_months FROM profile_build p, cfg_cx c),
months AS (
    SELECT CAST(m AS DATE) AS month, CAST(m + INTERVAL 1 MONTH AS DATE) AS month_end
    FROM (
        -- unnest(generate_series(…)) rather than the range() table function: Spark SQL reads it too
        SELECT unnest(generate_series(date_trunc('month', as_of) - to_months(cx_kpi_months - 1),
                                      date_trunc('month', as_of), INTERVAL 1 MONTH)) AS m
        FROM params
    )
),
fb AS (
    SELECT date_trunc('month', answered_at)::DATE AS month,
           count(nps) AS nps_responses,
           round(100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6))
                 / nullif(count(nps), 0), 1) AS nps,
           round(avg(csat), 2) AS csat,
           round(avg(ces), 2) AS ces,
           count(csat) AS csat_responses
    FROM feedback WHERE finished GROUP BY 1
),
opened AS (
    SELECT date_trunc('month', opened_at)::DATE AS month, count(*) AS cases_opened,
           count(*) FILTER (WHERE category = 'complaint') AS complaints
    FROM service_case GROUP BY 1
),
closed AS (
    SELECT date_trunc('month', closed_at)::DATE AS month, count(*) AS cases_closed,
           round(avg(first_contact_resolution::INTEGER), 3) AS fcr_rate,
           -- rounded as a decimal, half up: the same on DuckDB and Spark SQL (9.95 → 10.0)
           CAST(round(CAST(median(handling_hours) AS DECIMAL(18, 6)), 1) AS DOUBLE) AS median_handling_hours,
           -- summed as decimals: the same result whatever order the cases are read in
           round(avg(handling_hours::DECIMAL(18, 1)), 1) AS avg_handling_hours
    FROM service_case WHERE closed_at IS NOT NULL GROUP BY 1
),
first_seen AS (
    SELECT customer_id, min(ts) AS first_ts FROM contact_history
    WHERE customer_id IS NOT NULL GROUP BY customer_id
),
known AS (
    SELECT m.month, count(f.customer_id) AS customers
    FROM months m LEFT JOIN first_seen f ON f.first_ts < m.month_end GROUP BY m.month
),
purchase AS (
    SELECT DISTINCT h.customer_id, CAST(h.ts AS DATE) AS d
    FROM contact_history h
    JOIN cfg_event_class k ON k.event_type = h.type AND k.class = 'purchase'
    WHERE h.customer_id IS NOT NULL AND h.amount > 0 AND coalesce(h.status, '') <> 'cancelled'
),
gaps AS (
    SELECT customer_id, d, lead(d) OVER (PARTITION BY customer_id ORDER BY d) AS next_d FROM purchase
),
churned AS (
    -- a purchase followed by no other for lapsed_after_days (and the gap is over by as_of)
    SELECT date_trunc('month', g.d)::DATE AS month, count(DISTINCT g.customer_id) AS churned
    FROM gaps g, params p
    WHERE date_diff('day', g.d, coalesce(g.next_d, CAST(p.as_of AS DATE))) > p.lapsed_after_days
    GROUP BY 1
),
active_base AS (
    SELECT m.month, count(DISTINCT g.customer_id) AS active_customers
    FROM months m, params p
    JOIN purchase g ON g.d < m.month AND g.d >= m.month - to_days(p.lapsed_after_days)
    GROUP BY m.month
),
inbound AS (
    SELECT date_trunc('month', ts)::DATE AS month, customer_id, count(DISTINCT channel) AS n_channels
    FROM contact_history
    WHERE customer_id IS NOT NULL AND direction = 'inbound' AND type NOT IN ('consent_change', 'survey_response')
      AND ts >= (SELECT min(month) FROM months)
    GROUP BY 1, 2
),
multi AS (
    SELECT month, round(avg((n_channels > 1)::INTEGER), 3) AS multichannel_share,
           count(*) AS contacting_customers
    FROM inbound GROUP BY 1
)
SELECT
    m.month,
    k.customers,
    f.nps,
    coalesce(f.nps_responses, 0) AS nps_responses,
    f.csat,
    coalesce(f.csat_responses, 0) AS csat_responses,
    f.ces,
    coalesce(o.cases_opened, 0) AS cases_opened,
    coalesce(o.complaints, 0) AS complaints,
    round(1000.0 * coalesce(o.complaints, 0) / nullif(k.customers, 0), 2) AS complaints_per_1000,
    coalesce(c.cases_closed, 0) AS cases_closed,
    c.fcr_rate,
    c.median_handling_hours,
    c.avg_handling_hours,
    CASE WHEN m.month_end + to_days(p.lapsed_after_days) <= p.as_of
         THEN round(coalesce(ch.churned, 0) / nullif(a.active_customers, 0), 4) END AS churn_rate,
    mu.multichannel_share,
    coalesce(mu.contacting_customers, 0) AS contacting_customers
FROM months m
CROSS JOIN params p
LEFT JOIN known k USING (month)
LEFT JOIN fb f USING (month)
LEFT JOIN opened o USING (month)
LEFT JOIN closed c USING (month)
LEFT JOIN churned ch USING (month)
LEFT JOIN active_base a USING (month)
LEFT JOIN multi mu USING (month)
ORDER BY m.month;

COMMENT ON TABLE cx_kpi_monthly IS 'One row per calendar month (the last profiles.cx_kpi_months up to as_of): NPS, CSAT, CES, complaints per 1,000 customers, first-contact resolution, handling time, churn rate, share of customers active on more than one channel.';
COMMENT ON COLUMN cx_kpi_monthly.month IS 'First day of the month.';
COMMENT ON COLUMN cx_kpi_monthly.customers IS 'Customers known by the end of the month (first contact before it ended).';
COMMENT ON COLUMN cx_kpi_monthly.nps IS 'Net Promoter Score, -100..100: % promoters (9-10) minus % detractors (0-6) among the month''s NPS answers.';
COMMENT ON COLUMN cx_kpi_monthly.nps_responses IS 'NPS answers in the month.';
COMMENT ON COLUMN cx_kpi_monthly.csat IS 'Average CSAT (1..5) in the month.';
COMMENT ON COLUMN cx_kpi_monthly.csat_responses IS 'CSAT answers in the month.';
COMMENT ON COLUMN cx_kpi_monthly.ces IS 'Average CES (1..7, 7 = very easy) in the month.';
COMMENT ON COLUMN cx_kpi_monthly.cases_opened IS 'Service cases opened in the month.';
COMMENT ON COLUMN cx_kpi_monthly.complaints IS 'Complaint cases opened in the month.';
COMMENT ON COLUMN cx_kpi_monthly.complaints_per_1000 IS 'complaints per 1,000 customers known by the end of the month.';
COMMENT ON COLUMN cx_kpi_monthly.cases_closed IS 'Service cases closed in the month.';
COMMENT ON COLUMN cx_kpi_monthly.fcr_rate IS 'First-contact resolution: share of the cases closed in the month that needed one contact and were not reopened.';
COMMENT ON COLUMN cx_kpi_monthly.median_handling_hours IS 'Median hours from opening to closing, cases closed in the month.';
COMMENT ON COLUMN cx_kpi_monthly.avg_handling_hours IS 'Average hours from opening to closing, cases closed in the month.';
COMMENT ON COLUMN cx_kpi_monthly.churn_rate IS 'Customers whose last purchase before a gap of more than lapsed_after_days fell in the month, per customer who bought in the lapsed_after_days before the month; NULL while the gap cannot be known yet.';
COMMENT ON COLUMN cx_kpi_monthly.multichannel_share IS 'Share of the customers with an inbound contact in the month who used more than one channel in it.';
COMMENT ON COLUMN cx_kpi_monthly.contacting_customers IS 'Customers with an inbound contact in the month.';
