-- preferred_channel: per customer and channel purpose (profiles.channel_purposes, default
-- service and marketing: cfg_channel_purpose) the channel to use and why.
-- Candidates are the consent channels (cfg_channel_order) on which a person record of the
-- customer holds a contact point whose own consent allows the purpose (a purpose whose legal
-- basis is consent, e.g. marketing: granted for that address or number; otherwise, e.g.
-- service: not withdrawn or objected) and the purpose has a legal basis for the customer
-- (legal_basis). Among the allowed channels the stated preference wins; otherwise observed use
-- in contact_history (signal "use", e.g. service: inbound contacts 1, answered outbound calls
-- 0.5; signal "response", e.g. marketing: clicked campaign e-mails 2, opened 1, inbound contacts
-- 0.5; each contact halved every channel_half_life_days before as_of); otherwise the fallback
-- order. None allowed: channel NULL and a reason.
CREATE OR REPLACE TABLE preferred_channel AS
WITH params AS (SELECT * FROM profile_build),
purposes AS (SELECT * FROM cfg_channel_purpose),
points AS (
    -- per customer x purpose x channel the contact point to use: one a person record holds
    -- whose own consent allows the purpose (marketing: granted; service: not withdrawn or
    -- objected), the golden record's first, then the most recently decided
    SELECT customer_id, purpose, channel, contact_point
    FROM consent JOIN purposes USING (purpose)
    WHERE reachable
      AND CASE WHEN needs_grant THEN is_granted ELSE state NOT IN ('withdrawn', 'objection') END
    QUALIFY row_number() OVER (PARTITION BY customer_id, purpose, channel
                               ORDER BY is_golden DESC, decided_at DESC NULLS LAST, point_key) = 1
),
observed AS (
    SELECT
        h.customer_id,
        h.purpose,
        h.channel,
        sum(h.w * pow(0.5, (epoch(p.as_of) - epoch(h.ts)) / 86400.0 / p.channel_half_life_days)) AS score,
        max(h.ts) AS last_used_at
    FROM (SELECT u.*, pu.purpose FROM (
        SELECT customer_id, channel, ts, 'use' AS signal,
               CASE
                   WHEN direction = 'inbound' THEN 1.0
                   WHEN type = 'call' AND outcome IN ('resolved', 'escalated', 'open') THEN 0.5
                   ELSE 0.0
               END AS w
        FROM contact_history
        WHERE customer_id IS NOT NULL AND type <> 'consent_change' AND ts IS NOT NULL
        UNION ALL
        SELECT customer_id, channel, ts, 'response',
               CASE
                   WHEN outcome = 'clicked' THEN 2.0
                   WHEN outcome = 'opened' THEN 1.0
                   WHEN direction = 'inbound' THEN 0.5
                   ELSE 0.0
               END
        FROM contact_history
        WHERE customer_id IS NOT NULL AND type <> 'consent_change' AND ts IS NOT NULL
    ) u
    JOIN purposes pu USING (signal)) h, params p
    WHERE h.w > 0
    GROUP BY h.customer_id, h.purpose, h.channel
),
candidates AS (
    SELECT
        c.customer_id,
        pu.purpose,
        o.channel,
        o.rank AS fallback_rank,
        pt.contact_point,
        c.stated_channel,
        ob.score,
        ob.last_used_at,
        pt.contact_point IS NOT NULL AND coalesce(lb.has_basis, false) AS allowed
    FROM customer c
    CROSS JOIN purposes pu
    CROSS JOIN cfg_channel_order o
    LEFT JOIN points pt ON pt.customer_id = c.customer_id AND pt.purpose = pu.purpose AND pt.channel = o.channel
    LEFT JOIN observed ob
        ON ob.customer_id = c.customer_id AND ob.purpose = pu.purpose AND ob.channel = o.channel
    LEFT JOIN legal_basis lb ON lb.customer_id = c.customer_id AND lb.purpose = pu.purpose
),
chosen AS (
    SELECT *, row_number() OVER (
        PARTITION BY customer_id, purpose
        ORDER BY coalesce(channel = stated_channel, false) DESC, coalesce(score, 0) DESC, fallback_rank
    ) AS rn
    FROM candidates
    WHERE allowed
),
granted AS (
    SELECT customer_id, purpose, bool_or(is_granted) AS any_granted
    FROM consent JOIN purposes USING (purpose)
    GROUP BY ALL
),
summary AS (
    SELECT
        c.customer_id, c.purpose,
        list(c.channel ORDER BY c.fallback_rank) FILTER (WHERE c.allowed) AS allowed_channels,
        any_value(c.stated_channel) AS stated_channel,
        any_value(pu.needs_grant) AS needs_grant,
        any_value(pu.restrictable) AS restrictable,
        any_value(lb.reason_code) AS basis_code,
        any_value(lb.has_basis) AS has_basis,
        bool_or(g.any_granted) AS any_granted,
        bool_or(k.customer_id IS NOT NULL) AS any_point
    FROM candidates c
    JOIN purposes pu ON pu.purpose = c.purpose
    LEFT JOIN legal_basis lb ON lb.customer_id = c.customer_id AND lb.purpose = c.purpose
    LEFT JOIN granted g ON g.customer_id = c.customer_id AND g.purpose = c.purpose
    LEFT JOIN (SELECT DISTINCT customer_id FROM contact_point) k ON k.customer_id = c.customer_id
    GROUP BY c.customer_id, c.purpose
)
-- A customer whose processing is restricted (processing_restriction, Art. 18 GDPR) gets no
-- channel for a purpose other than a contract's (marketing); the service channel is unaffected.
SELECT
    s.customer_id,
    s.purpose,
    CASE WHEN NOT s.restricted THEN ch.channel END AS channel,
    CASE WHEN NOT s.restricted THEN ch.contact_point END AS contact_point,
    CASE
        WHEN s.restricted THEN 'processing restricted (Art. 18 GDPR)'
        WHEN ch.channel IS NOT NULL AND ch.channel = s.stated_channel THEN 'stated_preference'
        WHEN ch.channel IS NOT NULL AND coalesce(ch.score, 0) > 0 THEN 'observed_use'
        WHEN ch.channel IS NOT NULL THEN 'fallback_order'
        WHEN s.basis_code = 'objection' THEN 'objection'
        WHEN s.needs_grant AND NOT coalesce(s.any_granted, false) THEN 'no_' || s.purpose || '_consent'
        WHEN NOT coalesce(s.has_basis, false) THEN 'no_legal_basis'
        WHEN s.needs_grant THEN 'no_contact_point_for_consented_channel'
        WHEN NOT s.any_point THEN 'no_contact_point'
        ELSE 'all_channels_withdrawn'
    END AS reason,
    CASE WHEN NOT s.restricted THEN round(ch.score, 3) END AS score,
    CASE WHEN NOT s.restricted THEN ch.last_used_at END AS last_used_at,
    s.stated_channel,
    coalesce(s.allowed_channels, []) AS allowed_channels
FROM (SELECT su.*, su.restrictable AND pr.customer_id IS NOT NULL AS restricted
      FROM summary su LEFT JOIN processing_restriction pr USING (customer_id)) s
LEFT JOIN chosen ch ON ch.customer_id = s.customer_id AND ch.purpose = s.purpose AND ch.rn = 1
ORDER BY s.customer_id, s.purpose;

COMMENT ON TABLE preferred_channel IS 'Per customer and purpose (service, marketing): the channel to use and why. Marketing only ever uses a contact point with its own granted marketing consent; service never one whose service consent was withdrawn or objected; neither without a legal basis for the purpose (legal_basis). Stated preference wins among allowed channels, then observed use/response (recency weighted), then the fallback order; NULL channel with a reason when none is allowed.';
COMMENT ON COLUMN preferred_channel.customer_id IS 'Customer id.';
COMMENT ON COLUMN preferred_channel.purpose IS 'service or marketing.';
COMMENT ON COLUMN preferred_channel.channel IS 'Channel to use (email, phone, sms, letter); NULL when none is allowed.';
COMMENT ON COLUMN preferred_channel.contact_point IS 'Where to reach the customer on that channel: an e-mail address, phone number (E.164) or postal address whose own consent allows the purpose (golden record first).';
COMMENT ON COLUMN preferred_channel.reason IS 'Why: stated_preference, observed_use, fallback_order; or why none: objection (Art. 21), no_marketing_consent, no_legal_basis, no_contact_point_for_consented_channel, no_contact_point, all_channels_withdrawn.';
COMMENT ON COLUMN preferred_channel.score IS 'Recency-weighted use/response score of the chosen channel for the purpose (service: inbound 1, answered call 0.5; marketing: clicked 2, opened 1, inbound 0.5; halved every channel_half_life_days).';
COMMENT ON COLUMN preferred_channel.last_used_at IS 'Last observed use of or response on the chosen channel.';
COMMENT ON COLUMN preferred_channel.stated_channel IS 'The channel the customer said they prefer (golden record), whether or not it is allowed.';
COMMENT ON COLUMN preferred_channel.allowed_channels IS 'All channels allowed for this purpose (contact point present and consent as required), in fallback order.';
