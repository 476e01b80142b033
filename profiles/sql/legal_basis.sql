-- legal_basis: per customer x purpose, whether the CDP has a legal basis (Art. 6(1) GDPR) to
-- process the customer's data for the purpose, from the configured basis (cfg_legal_basis):
--   consent             a consent for the purpose is granted (any channel or contact point)
--                       and no objection is active;
--   legitimate_interest unless an objection is active (Art. 21) or the customer withdrew every
--                       consent they had for the purpose (read as an objection);
--   contract            always (Art. 6(1)(b));  none: never.
-- customer_value and preferred_channel join this table: no basis, no score, segment or channel.
CREATE OR REPLACE TABLE legal_basis AS
WITH state AS (
    SELECT customer_id, purpose,
           bool_or(is_granted) AS any_granted,
           bool_or(state IN ('withdrawn', 'objection')) AS any_withdrawn
    FROM consent
    GROUP BY ALL
),
obj AS (
    SELECT customer_id, purpose, max(objected_at) AS objected_at
    FROM objection WHERE active
    GROUP BY ALL
),
decided AS (
    SELECT
        c.customer_id,
        b.purpose,
        b.basis,
        CASE
            WHEN b.basis = 'contract' THEN 'contract'
            WHEN b.basis = 'none' THEN 'not_configured'
            WHEN o.customer_id IS NOT NULL THEN 'objection'
            WHEN b.basis = 'consent' AND coalesce(s.any_granted, false) THEN 'consent_granted'
            WHEN b.basis = 'consent' AND coalesce(s.any_withdrawn, false) THEN 'consent_withdrawn'
            WHEN b.basis = 'consent' THEN 'no_consent'
            WHEN coalesce(s.any_withdrawn, false) AND NOT coalesce(s.any_granted, false) THEN 'consent_withdrawn'
            ELSE 'legitimate_interest'
        END AS reason_code,
        o.objected_at
    FROM customer c
    CROSS JOIN cfg_legal_basis b
    LEFT JOIN state s ON s.customer_id = c.customer_id AND s.purpose = b.purpose
    LEFT JOIN obj o ON o.customer_id = c.customer_id AND o.purpose = b.purpose
)
SELECT
    customer_id,
    purpose,
    basis,
    reason_code IN ('contract', 'consent_granted', 'legitimate_interest') AS has_basis,
    reason_code,
    CASE reason_code
        WHEN 'contract' THEN 'contract (Art. 6(1)(b) GDPR)'
        WHEN 'consent_granted' THEN 'consent granted (Art. 6(1)(a) GDPR)'
        WHEN 'legitimate_interest' THEN 'legitimate interest (Art. 6(1)(f) GDPR), no objection'
        WHEN 'objection' THEN 'objection (Art. 21 GDPR) since ' || strftime(objected_at, '%Y-%m-%d')
        WHEN 'consent_withdrawn' THEN 'consent withdrawn'
        WHEN 'no_consent' THEN 'no consent given'
        ELSE 'no legal basis configured for ' || purpose
    END AS reason,
    objected_at
FROM decided
ORDER BY customer_id, purpose;

COMMENT ON TABLE legal_basis IS 'Per customer and purpose: the configured legal basis (privacy settings legal_basis) and whether it holds for this customer. No basis: nothing is computed or exported for the purpose (profiling: no RFM scores, segment, CLV or lifecycle).';
COMMENT ON COLUMN legal_basis.customer_id IS 'Customer id.';
COMMENT ON COLUMN legal_basis.purpose IS 'Purpose: marketing, profiling, service.';
COMMENT ON COLUMN legal_basis.basis IS 'Configured basis: consent, legitimate_interest, contract, none.';
COMMENT ON COLUMN legal_basis.has_basis IS 'True when the customer''s data may be processed for the purpose.';
COMMENT ON COLUMN legal_basis.reason_code IS 'contract, consent_granted, legitimate_interest (basis holds); objection, consent_withdrawn, no_consent, not_configured (no basis).';
COMMENT ON COLUMN legal_basis.reason IS 'The reason in words, shown in the console and agent view.';
COMMENT ON COLUMN legal_basis.objected_at IS 'Latest active objection for the purpose, if any.';
