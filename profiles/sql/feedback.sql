-- feedback: one row per survey response (NPS 0-10, CSAT 1-5, CES 1-7, comment), linked to the
-- customer (through the person record the survey tool named) and to the touchpoint: the order
-- or service case the answer is about. Partial responses (the respondent stopped early) are
-- kept with finished = false; KPIs count finished answers only.
CREATE OR REPLACE TABLE feedback AS
SELECT
    e.event_key AS response_id,
    l.customer_id,
    e.ts AS answered_at,
    e.source_system AS source,
    e.touchpoint,
    regexp_extract(e.summary, '^survey (\S+) on', 1) AS survey,
    e.refers_to,
    CASE WHEN o.event_key IS NOT NULL THEN o.event_key END AS order_contact_id,
    c.case_id,
    e.nps,
    CASE WHEN e.nps >= 9 THEN 'promoter' WHEN e.nps >= 7 THEN 'passive'
         WHEN e.nps IS NOT NULL THEN 'detractor' END AS nps_group,
    e.csat,
    e.ces,
    e.comment,
    coalesce(e.outcome, 'completed') = 'completed' AS finished,
    e.person_record_key,
    e._source_file AS source_file,
    e._row_number AS source_row_number
FROM src_contact_events e
LEFT JOIN src_identity_link l ON l.record_key = e.person_record_key
LEFT JOIN src_contact_events o
       ON o.source_system = 'shop' AND o.event_type = 'order' AND o.source_event_id = e.refers_to
LEFT JOIN (SELECT DISTINCT case_id FROM src_contact_events WHERE case_id IS NOT NULL) c
       ON c.case_id = e.refers_to
WHERE e.event_type = 'survey_response'
ORDER BY l.customer_id, e.ts, e.event_key;

COMMENT ON TABLE feedback IS 'One row per survey response (NPS, CSAT, CES, comment) from the survey tool, linked to the customer and to the order or service case it is about. Partial responses are kept (finished = false).';
COMMENT ON COLUMN feedback.response_id IS 'Unique response id: survey:responses:<ResponseId> (also the contact_id of the response in contact_history).';
COMMENT ON COLUMN feedback.customer_id IS 'Customer who answered (via identity_link of the person record the survey tool named); NULL when that record is unknown.';
COMMENT ON COLUMN feedback.answered_at IS 'When the response was recorded (UTC).';
COMMENT ON COLUMN feedback.source IS 'Source system of the response (survey).';
COMMENT ON COLUMN feedback.touchpoint IS 'What the answer is about: online_order, delivery, hotline, email_service, chat, store, repair.';
COMMENT ON COLUMN feedback.survey IS 'Survey id in the survey tool (e.g. SV_purchase after an order, SV_service after a service case).';
COMMENT ON COLUMN feedback.refers_to IS 'Id of the order or service case the answer refers to, as the survey tool delivered it.';
COMMENT ON COLUMN feedback.order_contact_id IS 'contact_history.contact_id of the shop order the answer refers to, when it is a known order.';
COMMENT ON COLUMN feedback.case_id IS 'service_case.case_id the answer refers to, when it is a known case.';
COMMENT ON COLUMN feedback.nps IS 'Likelihood to recommend, 0..10 (NULL when not asked).';
COMMENT ON COLUMN feedback.nps_group IS 'promoter (9-10), passive (7-8), detractor (0-6); NULL without an NPS answer.';
COMMENT ON COLUMN feedback.csat IS 'Satisfaction, 1..5 (5 = very satisfied; NULL when not asked or not answered).';
COMMENT ON COLUMN feedback.ces IS 'Customer effort, 1..7 (7 = very easy; NULL when not asked or not answered).';
COMMENT ON COLUMN feedback.comment IS 'Free-text comment, as written.';
COMMENT ON COLUMN feedback.finished IS 'Whether the respondent finished the survey (partial responses hold the first answer at most).';
COMMENT ON COLUMN feedback.person_record_key IS 'The source person record the survey tool named (ExternalReference in its system).';
COMMENT ON COLUMN feedback.source_file IS 'Landing file the response was read from (relative to data/landing).';
COMMENT ON COLUMN feedback.source_row_number IS '1-based row of the response inside source_file.';
