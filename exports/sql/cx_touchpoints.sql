-- NPS and CSAT per touchpoint over the 12 months up to profile_build.as_of (console CX page).
SELECT touchpoint,
       round(100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6))
             / nullif(count(nps), 0), 1) AS nps,
       count(nps) AS nps_responses,
       round(avg(csat), 2) AS csat
FROM feedback, profile_build
WHERE finished AND answered_at > profile_build.as_of - INTERVAL 365 DAY
GROUP BY touchpoint
ORDER BY nps DESC NULLS LAST, touchpoint
