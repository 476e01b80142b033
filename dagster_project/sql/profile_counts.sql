-- Row counts the profile invariants reconcile against the identity output.
SELECT
    (SELECT count(*) FROM customer)                      AS customers,
    (SELECT count(*) FROM identity_link)                 AS identity_links,
    (SELECT count(DISTINCT customer_id) FROM customer)   AS distinct_customer_ids;
