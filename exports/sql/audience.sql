-- audience: one row per customer of the selected population, with the channel and contact point
-- to use for the purpose, or why the customer is excluded (excluded_reason NOT NULL).
-- A customer is exported only with a contact point that one of their person records holds and
-- whose own consent for the purpose is granted now (consent.is_granted per contact point: a
-- double opt-in for one address never lets another address of the merged customer through),
-- and only with a legal basis for the purpose (legal_basis); an active objection (Art. 21)
-- excludes the customer with reason 'objection'. Parameters:
--   $purpose, $channel (NULL = any consented channel), $product_model, $segment (rfm_segment),
--   $lifecycle, $customer_type, $postcode_prefix, $city (NULL = no filter),
--   $purchase_types (contact types that count as buying), $channel_order (tie-break order).
-- Reads the temp table audience_suppression(customer_id, reason) the caller fills from the
-- configured suppression lists (erased, restricted ...).
WITH population AS (
    SELECT c.*, v.lifecycle_stage, v.rfm_segment, v.customer_type
    FROM customer c
    LEFT JOIN customer_value v USING (customer_id)
    WHERE ($segment IS NULL OR lower(v.rfm_segment) = lower($segment))
      AND ($lifecycle IS NULL OR v.lifecycle_stage = $lifecycle)
      AND ($customer_type IS NULL OR v.customer_type = $customer_type)
      AND ($postcode_prefix IS NULL OR starts_with(c.postcode, $postcode_prefix))
      AND ($city IS NULL OR lower(c.city) = lower($city))
      AND ($product_model IS NULL OR c.customer_id IN (
            SELECT customer_id FROM contact_history
            WHERE customer_id IS NOT NULL
              AND list_contains(product_models, $product_model)
              AND list_contains($purchase_types, type)
              AND coalesce(status, '') <> 'cancelled'))
),
considered AS (
    -- the consent rows of the purpose: one per channel x contact point this export may use
    SELECT cs.customer_id, cs.channel, cs.state, cs.is_granted, cs.reachable, cs.is_golden,
           cs.decided_at, cs.source, cs.method, cs.evidence, cs.contact_point,
           coalesce(list_position($channel_order, cs.channel), 99) AS channel_rank
    FROM consent cs
    JOIN population p USING (customer_id)
    WHERE cs.purpose = $purpose
      AND ($channel IS NULL OR cs.channel = $channel)
),
usable AS (
    -- a contact point a person record holds and whose own consent for the purpose is granted
    SELECT u.*, row_number() OVER (
        PARTITION BY u.customer_id
        ORDER BY coalesce(u.channel = pc.channel, false) DESC, u.channel_rank, u.channel,
                 u.is_golden DESC, u.decided_at DESC, u.contact_point
    ) AS rn
    FROM considered u
    LEFT JOIN preferred_channel pc ON pc.customer_id = u.customer_id AND pc.purpose = $purpose
    JOIN legal_basis lb ON lb.customer_id = u.customer_id AND lb.purpose = $purpose AND lb.has_basis
    WHERE u.is_granted AND u.reachable AND u.contact_point IS NOT NULL
),
summary AS (
    SELECT customer_id,
           bool_or(is_granted) AS any_granted,
           bool_or(state = 'objection') AS any_objection,
           bool_or(state = 'withdrawn') AS any_withdrawn
    FROM considered
    GROUP BY customer_id
),
objected AS (
    SELECT DISTINCT customer_id FROM objection WHERE active AND purpose = $purpose
),
suppressed AS (
    SELECT customer_id, min(reason) AS reason FROM audience_suppression GROUP BY customer_id
)
SELECT
    p.customer_id,
    p.salutation,
    p.title,
    p.first_name,
    p.last_name,
    CASE WHEN x.reason IS NULL THEN u.channel END AS channel,
    CASE WHEN x.reason IS NULL THEN u.contact_point END AS contact_point,
    CASE WHEN x.reason IS NULL THEN u.decided_at END AS consent_given_at,
    CASE WHEN x.reason IS NULL THEN u.source END AS consent_source,
    CASE WHEN x.reason IS NULL THEN u.method END AS consent_method,
    CASE WHEN x.reason IS NULL THEN u.evidence END AS consent_evidence,
    p.lifecycle_stage,
    p.rfm_segment,
    p.customer_type,
    CASE
        WHEN x.reason IS NOT NULL THEN x.reason
        WHEN u.channel IS NOT NULL THEN NULL
        WHEN o.customer_id IS NOT NULL OR coalesce(s.any_objection, false) THEN 'objection'
        WHEN coalesce(s.any_granted, false) THEN 'no_reachable_channel'
        WHEN coalesce(s.any_withdrawn, false) THEN 'withdrawn'
        ELSE 'no_consent'
    END AS excluded_reason
FROM population p
LEFT JOIN usable u ON u.customer_id = p.customer_id AND u.rn = 1
LEFT JOIN summary s ON s.customer_id = p.customer_id
LEFT JOIN suppressed x ON x.customer_id = p.customer_id
LEFT JOIN objected o ON o.customer_id = p.customer_id
ORDER BY p.customer_id
