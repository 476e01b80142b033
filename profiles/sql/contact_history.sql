-- contact_history: every contact across all systems, one row per contact.
-- Canonical contact events plus every consent event as a 'consent_change' contact. Nothing is
-- dropped: a contact whose person record is unknown to identity (none given, or the person row
-- was quarantined) keeps customer_id NULL.
CREATE OR REPLACE TABLE contact_history AS
WITH contacts AS (
    SELECT
        e.event_key AS contact_id,
        l.customer_id,
        e.ts,
        e.source_system AS source,
        e.channel,
        e.direction,
        e.event_type AS type,
        e.summary,
        e.outcome,
        e.status,
        e.amount,
        e.currency,
        e.product_models,
        e.store_id,
        e.person_record_key,
        e.source_entity,
        e.source_event_id,
        e._source_file AS source_file,
        e._row_number AS source_row_number
    FROM src_contact_events e
    LEFT JOIN src_identity_link l ON l.record_key = e.person_record_key
    UNION ALL
    SELECT
        -- prefixed: a source may deliver the same record as a contact and a consent event
        'consent_change:' || c.consent_event_key,
        l.customer_id,
        c.ts,
        c.source_system,
        c.channel,
        'inbound',
        'consent_change',
        c.purpose || ' via ' || c.channel || ': ' || c.status
            || coalesce(' (' || c.method || ')', ''),
        c.status,
        NULL,
        NULL,
        NULL,
        NULL,
        NULL,
        c.person_record_key,
        c.source_entity,
        c.source_event_id,
        c._source_file,
        c._row_number
    FROM src_consent_events c
    LEFT JOIN src_identity_link l ON l.record_key = c.person_record_key
)
SELECT * FROM contacts
ORDER BY customer_id, ts, contact_id;

COMMENT ON TABLE contact_history IS 'Every contact the company had with a person across all systems, one row per contact (orders, invoices, calls, tickets, e-mails, newsletters, card purchases, consent changes). Row counts reconcile with the canonical contact_events + consent_events per source.';
COMMENT ON COLUMN contact_history.contact_id IS 'Unique contact id: the canonical event_key <source>:<entity>:<id>; consent changes: consent_change:<consent_event_key>.';
COMMENT ON COLUMN contact_history.customer_id IS 'Customer the contact belongs to (via identity_link); NULL when the source gave no person record or that record is not in identity_link (e.g. its row was quarantined).';
COMMENT ON COLUMN contact_history.ts IS 'When the contact happened (UTC).';
COMMENT ON COLUMN contact_history.source IS 'Source system that recorded the contact (erp, crm, shop, bonus).';
COMMENT ON COLUMN contact_history.channel IS 'Channel: email, phone, sms, letter, store, web, app, chat.';
COMMENT ON COLUMN contact_history.direction IS 'inbound (the person contacted us / acted) or outbound (we contacted them).';
COMMENT ON COLUMN contact_history.type IS 'Contact type: order, return, invoice, credit_note, call, email, ticket, store_visit, letter, chat, newsletter, card_purchase, card_return, consent_change.';
COMMENT ON COLUMN contact_history.summary IS 'Subject or short description of the contact.';
COMMENT ON COLUMN contact_history.outcome IS 'Outcome: resolved, open, escalated, no_answer, opened, clicked, ignored; for consent changes granted/withdrawn.';
COMMENT ON COLUMN contact_history.status IS 'Status: open/closed (tickets), completed/cancelled/returned (orders).';
COMMENT ON COLUMN contact_history.amount IS 'EUR amount, signed: returns and credit notes are negative; NULL when the contact has no amount.';
COMMENT ON COLUMN contact_history.currency IS 'Currency of amount (EUR).';
COMMENT ON COLUMN contact_history.product_models IS 'Product models on the order or invoice, when known.';
COMMENT ON COLUMN contact_history.store_id IS 'Store of a card transaction or store visit.';
COMMENT ON COLUMN contact_history.person_record_key IS 'Reference to the source person record the contact was recorded against.';
COMMENT ON COLUMN contact_history.source_entity IS 'Source entity (file type) the contact came from, e.g. invoices, interactions, orders, transactions, consent_events, newsletter.';
COMMENT ON COLUMN contact_history.source_event_id IS 'Id of the contact in its source system (Belegnummer, interaction_id, order_id ...).';
COMMENT ON COLUMN contact_history.source_file IS 'Landing file the contact was read from (relative to data/landing).';
COMMENT ON COLUMN contact_history.source_row_number IS '1-based row of the contact inside source_file.';
