-- search_results: what the result list shows for each found customer id ($ids).
SELECT c.customer_id, c.salutation, c.title, c.first_name, c.last_name, c.birth_date,
       c.email, coalesce(c.mobile, c.phone) AS phone, c.postcode, c.city, c.sources,
       c.record_count, c.bonus_card_numbers, c.erp_customer_numbers,
       v.lifecycle_stage, v.rfm_segment
FROM customer c
LEFT JOIN customer_value v USING (customer_id)
WHERE c.customer_id = ANY($ids)
