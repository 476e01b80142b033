-- Pseudonymised analyst tables (schema pseudo): behaviour without names.
-- Reads the temp table privacy_pseudonym(customer_id, pseudo_id) with pseudo_id =
-- HMAC-SHA256(privacy.secret, customer_id) computed in Python (DuckDB has no HMAC). The mapping
-- is not stored in the database. Direct identifiers (name, e-mail, phone, street, birth date,
-- source record ids, free-text summaries) are left out, quasi-identifiers coarsened (birth
-- year, two-digit postcode area). Customers under a processing restriction are left out.
CREATE SCHEMA IF NOT EXISTS pseudo;

CREATE OR REPLACE TABLE pseudo.customer_360 AS
SELECT
    p.pseudo_id,
    year(c.birth_date) AS birth_year,
    left(c.postcode, 2) AS postcode_area,
    c.country,
    c.email IS NOT NULL AS has_email,
    coalesce(c.mobile, c.phone) IS NOT NULL AS has_phone,
    c.record_count,
    c.sources,
    c.first_seen,
    c.last_seen,
    c.stated_channel,
    c.first_purchase_at, c.last_purchase_at, c.orders, c.returns, c.gross_revenue,
    c.returned_amount, c.revenue, c.average_order_value, c.recency_days, c.r_score, c.f_score,
    c.m_score, c.rfm_code, c.rfm_segment, c.clv_estimate, c.lifecycle_stage, c.customer_type,
    c.marketing_channel,
    c.service_channel,
    c.granted_consents,
    c.withdrawn_consents,
    c.contact_count,
    c.last_contact_at
FROM customer_360 c
JOIN privacy_pseudonym p ON p.customer_id = c.customer_id
WHERE c.customer_id NOT IN (SELECT customer_id FROM processing_restriction)
ORDER BY p.pseudo_id;

CREATE OR REPLACE TABLE pseudo.contact_history AS
SELECT p.pseudo_id, h.ts, h.source, h.channel, h.direction, h.type, h.outcome, h.status,
       h.amount, h.currency, h.product_models, h.store_id
FROM contact_history h
JOIN privacy_pseudonym p ON p.customer_id = h.customer_id
WHERE h.customer_id NOT IN (SELECT customer_id FROM processing_restriction)
ORDER BY p.pseudo_id, h.ts;

CREATE OR REPLACE TABLE pseudo.consent AS
SELECT p.pseudo_id, c.purpose, c.channel, c.state, c.is_granted, c.decided_at, c.source, c.method
FROM consent c
JOIN privacy_pseudonym p ON p.customer_id = c.customer_id
WHERE c.customer_id NOT IN (SELECT customer_id FROM processing_restriction)
ORDER BY p.pseudo_id, c.purpose, c.channel;

CREATE OR REPLACE VIEW customer_360_pseudo AS SELECT * FROM pseudo.customer_360;

COMMENT ON TABLE pseudo.customer_360 IS 'One row per customer (not restricted): customer_360 without direct identifiers; pseudo_id = HMAC-SHA256 of the customer id under the installation secret (stable across builds, not reversible without the secret). Birth year and two-digit postcode area instead of birth date and address.';
COMMENT ON TABLE pseudo.contact_history IS 'One row per contact of a non-restricted customer, by pseudo_id; no contact ids, summaries or record keys.';
COMMENT ON TABLE pseudo.consent IS 'One row per customer x purpose x channel x contact point (non-restricted), by pseudo_id; the contact point itself, evidence text and record keys are left out.';
COMMENT ON VIEW customer_360_pseudo IS 'Pseudonymised customer_360 for analysts who need behaviour, not names (= pseudo.customer_360).';
