-- customer_value: one row per customer; purchases and returns from contact_history.
-- A purchase is a contact whose type is in profile settings purchase_types, a return one in
-- return_types (amounts negative); cancelled contacts and contacts without an amount do not count.
--   orders        = purchases with amount > 0
--   revenue       = sum of amount over purchases and returns (net of returns), all sources
--   R/F/M scores  = 1..5 by percent rank among customers with an order (5 = most recent,
--                   most orders, most revenue; ties share a score)
--   CLV estimate  = max(revenue, 0) / tenure_years * clv_horizon_years * stage factor, where
--                   tenure_years = years from first purchase to as_of (at least 0.25) and the
--                   stage factor comes from settings clv_stage_factor (prospects: 0)
--   lifecycle     = prospect (no order), new (first purchase within new_customer_days),
--                   active (last purchase within at_risk_after_days), at_risk (within
--                   lapsed_after_days), lapsed (older).
-- Scores, segment, CLV, lifecycle stage and customer type are profiling (Art. 4(4) GDPR): they
-- are computed only for customers with a legal basis for 'profiling' (legal_basis), and ranked
-- among those only; the others keep their purchase figures and get profiling_reason.
CREATE OR REPLACE TABLE customer_value AS
WITH params AS (SELECT * FROM profile_build),
tx AS (
    SELECT h.customer_id, h.ts, h.amount, k.class
    FROM contact_history h
    JOIN cfg_event_class k ON k.event_type = h.type
    WHERE h.customer_id IS NOT NULL AND h.amount IS NOT NULL
      AND coalesce(h.status, '') <> 'cancelled'
),
agg AS (
    SELECT
        customer_id,
        min(ts) FILTER (WHERE amount > 0) AS first_purchase_at,
        max(ts) FILTER (WHERE amount > 0) AS last_purchase_at,
        count(*) FILTER (WHERE amount > 0) AS orders,
        count(*) FILTER (WHERE amount < 0) AS returns,
        -- summed as cents (decimals): the same result whatever order the contacts are read in
        coalesce(sum(amount::DECIMAL(18, 2)) FILTER (WHERE amount > 0), 0)::DOUBLE AS gross_revenue,
        coalesce(-sum(amount::DECIMAL(18, 2)) FILTER (WHERE amount < 0), 0)::DOUBLE AS returned_amount,
        sum(amount::DECIMAL(18, 2))::DOUBLE AS revenue
    FROM tx
    GROUP BY customer_id
),
base AS (
    SELECT
        c.customer_id,
        a.first_purchase_at,
        a.last_purchase_at,
        coalesce(a.orders, 0) AS orders,
        coalesce(a.returns, 0) AS returns,
        round(coalesce(a.gross_revenue, 0), 2) AS gross_revenue,
        round(coalesce(a.returned_amount, 0), 2) AS returned_amount,
        -- a return whose purchase is not in the data (bought before the first delivery, or its
        -- record was quarantined) must not make a customer, least of all a prospect, worth less than 0
        round(greatest(coalesce(a.revenue, 0), 0), 2) AS revenue,
        CASE WHEN a.last_purchase_at IS NOT NULL
             THEN CAST(floor((epoch(p.as_of) - epoch(a.last_purchase_at)) / 86400) AS INTEGER) END AS recency_days,
        CASE WHEN a.first_purchase_at IS NOT NULL
             THEN greatest((epoch(p.as_of) - epoch(a.first_purchase_at)) / 86400 / 365.25, 0.25) END AS tenure_years,
        p.new_customer_days, p.at_risk_after_days, p.lapsed_after_days, p.clv_horizon_years, p.as_of,
        coalesce(lb.has_basis, false) AS profiling_allowed,
        lb.reason AS profiling_reason
    FROM customer c
    CROSS JOIN params p
    LEFT JOIN agg a USING (customer_id)
    -- 'profiling' is the purpose these columns are by definition (profiling_allowed and
    -- profiling_reason are a documented column set); its legal basis is configured
    -- (privacy.legal_basis), and without 'profiling' in profiles.purposes nobody has one
    LEFT JOIN legal_basis lb ON lb.customer_id = c.customer_id AND lb.purpose = 'profiling'
),
scored AS (
    SELECT
        b.*,
        CASE WHEN orders > 0 AND profiling_allowed THEN least(5, 1 + floor(5 * percent_rank() OVER (
            PARTITION BY orders > 0 AND profiling_allowed ORDER BY recency_days DESC)))::INTEGER END AS r_score,
        CASE WHEN orders > 0 AND profiling_allowed THEN least(5, 1 + floor(5 * percent_rank() OVER (
            PARTITION BY orders > 0 AND profiling_allowed ORDER BY orders)))::INTEGER END AS f_score,
        CASE WHEN orders > 0 AND profiling_allowed THEN least(5, 1 + floor(5 * percent_rank() OVER (
            PARTITION BY orders > 0 AND profiling_allowed ORDER BY revenue)))::INTEGER END AS m_score,
        CASE
            WHEN NOT profiling_allowed THEN NULL
            WHEN orders = 0 THEN 'prospect'
            WHEN first_purchase_at >= as_of - to_days(new_customer_days) THEN 'new'
            WHEN recency_days <= at_risk_after_days THEN 'active'
            WHEN recency_days <= lapsed_after_days THEN 'at_risk'
            ELSE 'lapsed'
        END AS lifecycle_stage
    FROM base b
)
-- Restricted customers (processing_restriction, Art. 18 GDPR) keep their figures but get no
-- profiling: scores, segment, CLV and lifecycle stage stay empty. They are ranked with everyone
-- (the scores of the others do not move when a restriction is recorded or lifted).
SELECT
    s.customer_id,
    s.first_purchase_at,
    s.last_purchase_at,
    s.orders,
    s.returns,
    s.gross_revenue,
    s.returned_amount,
    s.revenue,
    -- rounded as a decimal, half up (139.89 / 2 = 69.95): rounding the double quotient gave 69.94
    -- on DuckDB and 69.95 on Spark SQL
    CASE WHEN s.orders > 0 THEN CAST(round(CAST(s.revenue / s.orders AS DECIMAL(18, 6)), 2) AS DOUBLE) END AS average_order_value,
    CASE WHEN s.profiled THEN s.recency_days END AS recency_days,
    CASE WHEN s.profiled THEN s.r_score END AS r_score,
    CASE WHEN s.profiled THEN s.f_score END AS f_score,
    CASE WHEN s.profiled THEN s.m_score END AS m_score,
    CASE WHEN s.orders > 0 AND s.profiled
         THEN s.r_score::VARCHAR || s.f_score::VARCHAR || s.m_score::VARCHAR END AS rfm_code,
    CASE
        WHEN NOT s.profiled THEN NULL
        WHEN s.orders = 0 THEN 'No Purchase'
        WHEN s.r_score >= 4 AND s.f_score >= 4 AND s.m_score >= 4 THEN 'Champions'
        WHEN s.r_score <= 2 AND s.f_score >= 4 AND s.m_score >= 4 THEN 'Cannot Lose Them'
        WHEN s.r_score >= 3 AND s.f_score >= 4 THEN 'Loyal'
        WHEN s.r_score = 5 AND s.f_score = 1 THEN 'New Customers'
        WHEN s.r_score = 4 AND s.f_score = 1 THEN 'Promising'
        WHEN s.r_score >= 4 THEN 'Potential Loyalists'
        WHEN s.r_score = 3 AND s.f_score >= 2 THEN 'Need Attention'
        WHEN s.r_score = 3 THEN 'About To Sleep'
        WHEN s.f_score >= 3 THEN 'At Risk'
        WHEN s.r_score = 2 THEN 'Hibernating'
        ELSE 'Lost'
    END AS rfm_segment,
    CASE WHEN s.profiled
         THEN round(coalesce(greatest(s.revenue, 0) / s.tenure_years * s.clv_horizon_years * f.factor, 0), 2)
    END AS clv_estimate,
    CASE WHEN s.profiled THEN s.lifecycle_stage END AS lifecycle_stage,
    CASE WHEN NOT s.profiled THEN NULL
         WHEN s.lifecycle_stage = 'prospect' THEN 'prospect' WHEN s.lifecycle_stage = 'new' THEN 'new'
         ELSE 'existing' END
        AS customer_type,
    s.profiled AS profiling_allowed,
    CASE WHEN s.restricted THEN 'processing restricted (Art. 18 GDPR)' ELSE s.profiling_reason END
        AS profiling_reason
FROM (SELECT sc.*, pr.customer_id IS NOT NULL AS restricted,
             sc.profiling_allowed AND pr.customer_id IS NULL AS profiled
      FROM scored sc LEFT JOIN processing_restriction pr USING (customer_id)) s
LEFT JOIN cfg_stage_factor f ON f.stage = s.lifecycle_stage
ORDER BY s.customer_id;

COMMENT ON TABLE customer_value IS 'One row per customer: purchases, revenue net of returns across all sources, RFM scores and segment, a simple CLV estimate and the lifecycle stage, all as of profile_build.as_of. Scores, segment, CLV and lifecycle only with a legal basis for profiling (profiling_allowed). Figures are sums over contact_history (purchase and return types from settings; cancelled contacts excluded).';
COMMENT ON COLUMN customer_value.customer_id IS 'Customer id.';
COMMENT ON COLUMN customer_value.first_purchase_at IS 'First purchase (positive amount) in any source.';
COMMENT ON COLUMN customer_value.last_purchase_at IS 'Last purchase (positive amount) in any source.';
COMMENT ON COLUMN customer_value.orders IS 'Number of purchases (orders, invoices, card purchases with amount > 0, not cancelled).';
COMMENT ON COLUMN customer_value.returns IS 'Number of returns and credit notes (amount < 0).';
COMMENT ON COLUMN customer_value.gross_revenue IS 'Sum of purchase amounts, EUR.';
COMMENT ON COLUMN customer_value.returned_amount IS 'Sum of returned / credited amounts, EUR, positive.';
COMMENT ON COLUMN customer_value.revenue IS 'Net revenue = gross_revenue - returned_amount, EUR, all sources; never below 0 (returns of purchases outside the data do not count against the customer).';
COMMENT ON COLUMN customer_value.average_order_value IS 'revenue / orders, EUR.';
COMMENT ON COLUMN customer_value.recency_days IS 'Days from the last purchase to as_of.';
COMMENT ON COLUMN customer_value.r_score IS 'Recency score 1..5 (5 = most recent) by percent rank among purchasing customers.';
COMMENT ON COLUMN customer_value.f_score IS 'Frequency score 1..5 (5 = most orders) by percent rank among purchasing customers.';
COMMENT ON COLUMN customer_value.m_score IS 'Monetary score 1..5 (5 = highest net revenue) by percent rank among purchasing customers.';
COMMENT ON COLUMN customer_value.rfm_code IS 'R, F and M score as a three-digit code, e.g. 545.';
COMMENT ON COLUMN customer_value.rfm_segment IS 'RFM segment: Champions, Cannot Lose Them, Loyal, New Customers, Promising, Potential Loyalists, Need Attention, About To Sleep, At Risk, Hibernating, Lost, No Purchase.';
COMMENT ON COLUMN customer_value.clv_estimate IS 'Simple CLV estimate, EUR: max(revenue,0) / tenure_years (from first purchase, at least 0.25) x clv_horizon_years x stage factor (settings clv_stage_factor).';
COMMENT ON COLUMN customer_value.lifecycle_stage IS 'prospect (no purchase), new (first purchase within new_customer_days), active (last purchase within at_risk_after_days), at_risk (within lapsed_after_days), lapsed.';
COMMENT ON COLUMN customer_value.profiling_allowed IS 'True when the customer has a legal basis for profiling (legal_basis) and processing is not restricted (processing_restriction); false: recency, scores, segment, CLV, lifecycle stage and customer type are NULL.';
COMMENT ON COLUMN customer_value.profiling_reason IS 'Why profiling is (not) allowed, e.g. objection (Art. 21 GDPR) since 2024-03-01, no consent given.';
COMMENT ON COLUMN customer_value.customer_type IS 'new (first purchase within new_customer_days), existing, or prospect (never purchased).';

-- point lookups by id (agent console result lists)
CREATE INDEX customer_value_id_idx ON customer_value (customer_id);
