-- cx_nps_touchpoint_monthly: NPS and CSAT per calendar month and touchpoint (same months as
-- cx_kpi_monthly), finished responses only.
CREATE OR REPLACE TABLE cx_nps_touchpoint_monthly AS
WITH params AS (SELECT p.as_of, c.cx_kpi_months FROM profile_build p, cfg_cx c)
SELECT
    date_trunc('month', answered_at)::DATE AS month,
    touchpoint,
    round(100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6))
          / nullif(count(nps), 0), 1) AS nps,
    count(nps) AS nps_responses,
    round(avg(csat), 2) AS csat,
    count(csat) AS csat_responses
FROM feedback, params
WHERE finished
  AND answered_at >= date_trunc('month', params.as_of) - to_months(params.cx_kpi_months - 1)
GROUP BY ALL
ORDER BY month, touchpoint;

COMMENT ON TABLE cx_nps_touchpoint_monthly IS 'One row per calendar month and touchpoint: NPS and CSAT of the finished survey responses about that touchpoint.';
COMMENT ON COLUMN cx_nps_touchpoint_monthly.month IS 'First day of the month.';
COMMENT ON COLUMN cx_nps_touchpoint_monthly.touchpoint IS 'What the answers are about: online_order, delivery, hotline, email_service, chat, store, repair.';
COMMENT ON COLUMN cx_nps_touchpoint_monthly.nps IS 'Net Promoter Score -100..100 of the NPS answers (NULL when the touchpoint''s survey asks no NPS).';
COMMENT ON COLUMN cx_nps_touchpoint_monthly.nps_responses IS 'NPS answers.';
COMMENT ON COLUMN cx_nps_touchpoint_monthly.csat IS 'Average CSAT 1..5.';
COMMENT ON COLUMN cx_nps_touchpoint_monthly.csat_responses IS 'CSAT answers.';
