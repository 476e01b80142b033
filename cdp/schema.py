"""The canonical schema, defined once.

Three record types leave ingestion and feed identity resolution and the profiles:

* ``person_records``: one row per source record that describes a person (an ERP customer, a CRM
  contact, a shop account or guest checkout, a bonus-program member);
* ``contact_events``: one row per contact the company had with a person (orders, invoices, calls,
  tickets, e-mails, newsletters, card purchases ...);
* ``consent_events``: one row per consent grant, withdrawal or objection, with the contact point
  it was given for and its evidence.

Every record carries ``source_system`` and the id it has in that system. ``record_key`` =
``"<source_system>:<source_record_id>"`` is the unique id of a person record across sources;
events point at their person record through ``person_record_key``.

The Parquet writer, DuckDB DDL, contract mappings and test fixtures derive from these schemas;
nobody re-lists the columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

import polars as pl
from polars.datatypes import DataType, DataTypeClass

#: A column type as written in a schema: ``pl.String`` (a class) or ``pl.Datetime("us", "UTC")``.
Dtype = DataType | DataTypeClass


def schema(columns: Mapping[str, Dtype]) -> pl.Schema:
    """``pl.Schema`` of ``columns`` (typed so that mixed class/instance dtypes type-check)."""
    return pl.Schema(columns)


class Source(StrEnum):
    ERP = "erp"
    CRM = "crm"
    SHOP = "shop"
    BONUS = "bonus"
    SURVEY = "survey"


class Channel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    SMS = "sms"
    LETTER = "letter"
    STORE = "store"
    WEB = "web"
    APP = "app"
    CHAT = "chat"


#: Channels a consent can be given for (a subset of :class:`Channel`).
CONSENT_CHANNELS = (Channel.EMAIL, Channel.PHONE, Channel.SMS, Channel.LETTER)


class Purpose(StrEnum):
    MARKETING = "marketing"
    PROFILING = "profiling"
    SERVICE = "service"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"
    #: signed up but the double opt-in is not confirmed yet: recorded as evidence, never a grant
    PENDING = "pending"
    #: objection (Art. 21 GDPR) to processing for the purpose: the most restrictive state
    OBJECTION = "objection"


#: ``consent_events.contact_point`` / ``channel`` value for "every contact point / channel" when
#: the source says so (an objection letter, "unsubscribe from everything"), or does not say.
ALL = "all"


class EventType(StrEnum):
    ORDER = "order"
    RETURN = "return"
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    CALL = "call"
    EMAIL = "email"
    TICKET = "ticket"
    STORE_VISIT = "store_visit"
    LETTER = "letter"
    CHAT = "chat"
    NEWSLETTER = "newsletter"
    CARD_PURCHASE = "card_purchase"
    CARD_RETURN = "card_return"
    CONSENT_CHANGE = "consent_change"
    SURVEY_RESPONSE = "survey_response"
    MEMBERSHIP = "membership"


class CaseCategory(StrEnum):
    COMPLAINT = "complaint"
    WARRANTY = "warranty"
    BILLING = "billing"
    DELIVERY = "delivery"
    QUESTION = "question"


UTC_TS = pl.Datetime("us", "UTC")

#: Closed vocabularies as Polars enums: a value outside them is an error, not a silent null.
#: In Parquet and DuckDB they stay plain strings (:func:`storage_schema`), so files written
#: before, DuckDB tables and the profile SQL see VARCHAR as always.
DIRECTION = pl.Enum([d.value for d in Direction])
CONSENT_STATUS = pl.Enum([s.value for s in ConsentStatus])

#: Lineage columns every staged and canonical row carries.
LINEAGE: dict[str, Dtype] = {
    "_source_file": pl.String,  # path relative to the landing directory
    "_row_number": pl.Int64,  # 1-based data row (CSV without header, JSONL line, JSON array index + 1)
    "_load_id": pl.String,
    "_ingested_at": UTC_TS,
}

PERSON_RECORD = schema(
    {
        "record_key": pl.String,  # "<source_system>:<source_record_id>", unique
        "source_system": pl.String,  # Source
        "source_entity": pl.String,  # contract entity, e.g. "customers", "contacts", "accounts"
        "source_record_id": pl.String,  # the id in the source system (Kundennummer, contact_id ...)
        "is_guest": pl.Boolean,  # shop guest checkout
        "salutation": pl.String,  # as delivered ("Herr", "Frau", "Mr" ...)
        "title": pl.String,  # academic title as delivered ("Dr.", "Prof. Dr.")
        "first_name": pl.String,  # as delivered, may hold several / hyphenated names
        "last_name": pl.String,  # as delivered, may hold particles ("von", "zu")
        "birth_date": pl.Date,
        "email": pl.String,  # as delivered (trimmed); identity/ standardises
        "email_verified": pl.Boolean,  # double opt-in / verified by the source
        "phone": pl.String,  # landline or unknown type, as delivered
        "mobile": pl.String,
        "street": pl.String,  # as delivered; may include the house number ("Hauptstr. 12a")
        "house_number": pl.String,  # when the source delivers it separately
        "postcode": pl.String,
        "city": pl.String,
        "country": pl.String,  # ISO 3166-1 alpha-2 where known, default "DE"
        "xref_erp_customer_no": pl.String,  # an ERP Kundennummer this record claims (partial, may be wrong)
        "xref_bonus_card_no": pl.String,  # a bonus card number this record claims
        "stated_channel": pl.String,  # Channel the person said they prefer, if any
        "created_at": UTC_TS,
        "updated_at": UTC_TS,
        **LINEAGE,
    }
)

CONTACT_EVENT = schema(
    {
        "event_key": pl.String,  # "<source_system>:<source_entity>:<source_event_id>", unique
        "source_system": pl.String,
        "source_entity": pl.String,  # e.g. "invoices", "interactions", "orders", "transactions"
        "source_event_id": pl.String,
        "person_record_key": pl.String,  # the person record it belongs to (may be unknown: null)
        "ts": UTC_TS,
        "channel": pl.String,  # Channel
        "direction": DIRECTION,
        "event_type": pl.String,  # EventType
        "summary": pl.String,  # subject / short human-readable description
        "outcome": pl.String,  # e.g. resolved, open, escalated, opened, clicked, no_answer
        "status": pl.String,  # open / closed (tickets), completed / cancelled / returned (orders)
        "amount": pl.Float64,  # EUR, signed: returns and credit notes are negative
        "currency": pl.String,
        "product_models": pl.List(pl.String),  # product models on an order / invoice, if known
        "store_id": pl.String,
        # customer experience: service cases, campaigns, survey answers, loyalty
        "case_id": pl.String,  # service case the contact belongs to (one case spans channels)
        "case_category": pl.String,  # CaseCategory
        "case_opened_at": UTC_TS,  # when the case was opened, as the source knows it
        "case_closed_at": UTC_TS,  # when the case was closed (null while open)
        "agent_team": pl.String,  # team that handled the contact
        "campaign_id": pl.String,  # marketing campaign of an outbound message
        "touchpoint": pl.String,  # what a survey answer is about (online_order, delivery, hotline ...)
        "refers_to": pl.String,  # id of the order / case / contact a survey answer refers to
        "nps": pl.Int64,  # 0..10 likelihood to recommend
        "csat": pl.Int64,  # 1..5 satisfaction
        "ces": pl.Int64,  # 1..7 effort (7 = very easy)
        "comment": pl.String,  # free-text survey comment
        "loyalty_points": pl.Int64,  # bonus points earned (+) or taken back (-) by the contact
        **LINEAGE,
    }
)

CONSENT_EVENT = schema(
    {
        "consent_event_key": pl.String,  # "<source_system>:<source_entity>:<source_event_id>"
        "source_system": pl.String,
        "source_entity": pl.String,
        "source_event_id": pl.String,
        "person_record_key": pl.String,
        "purpose": pl.String,  # Purpose
        "channel": pl.String,  # one of CONSENT_CHANNELS, or ALL (objections)
        # the e-mail address, phone number or postal address the consent was given for, as the
        # source delivers it; ALL where the source says it covers every one (null: unknown,
        # treated like ALL but a grant then covers only the contact points of its own record)
        "contact_point": pl.String,
        "status": CONSENT_STATUS,  # pending = unconfirmed double opt-in, not a grant
        "ts": UTC_TS,
        "method": pl.String,  # double_opt_in, web_form, phone_call, paper_form, store, checkout ...
        "evidence": pl.String,  # consent text id / version, confirmation reference ...
        **LINEAGE,
    }
)

CANONICAL_TABLES: dict[str, pl.Schema] = {
    "person_records": PERSON_RECORD,
    "contact_events": CONTACT_EVENT,
    "consent_events": CONSENT_EVENT,
}


def record_key(source_system: str, source_record_id: str) -> str:
    """The cross-source unique key of a person record."""
    return f"{source_system}:{source_record_id}"


def empty(schema: pl.Schema) -> pl.DataFrame:
    """An empty frame of a canonical schema."""
    return pl.DataFrame(schema=schema)


#: an eager or a lazy frame; what goes in comes out
Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


class VocabularyError(ValueError):
    """A column of a closed vocabulary (:data:`DIRECTION`, :data:`CONSENT_STATUS`) holds a value
    outside it."""


def conform(df: Frame, schema: pl.Schema) -> Frame:
    """Select and cast ``df`` (eager or lazy) to ``schema``: missing columns as nulls, schema order.

    Other casts are lenient (an unparsable value becomes null); an enum column is strict: an
    eager frame with a value outside the vocabulary raises :class:`VocabularyError` naming the
    column and the allowed values (never the value), a lazy one fails when it is collected.
    """
    have = set(df.collect_schema().names())
    if isinstance(df, pl.DataFrame):
        for name, dtype in schema.items():
            if isinstance(dtype, pl.Enum) and name in have:
                bad = df.select(pl.col(name).cast(pl.String).is_in(dtype.categories.implode()).not_()
                                .fill_null(False).sum()).item()
                if bad:
                    raise VocabularyError(f"column {name!r}: {bad} value(s) not one of "
                                          f"{', '.join(dtype.categories.to_list())}")
    return df.select([
        pl.col(name).cast(pl.String).cast(dtype, strict=True) if isinstance(dtype, pl.Enum) and name in have
        else pl.col(name).cast(dtype, strict=False) if name in have else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in schema.items()
    ])


def storage_schema(schema: pl.Schema) -> pl.Schema:
    """``schema`` as stored in Parquet and DuckDB: enum columns as strings."""
    return pl.Schema({n: pl.String() if isinstance(t, pl.Enum) else t for n, t in schema.items()})


def to_storage(df: Frame) -> Frame:
    """Enum columns of ``df`` cast to strings (what :mod:`cdp.lake` writes)."""
    enums = [n for n, t in df.collect_schema().items() if isinstance(t, pl.Enum)]
    return df.with_columns(pl.col(enums).cast(pl.String)) if enums else df


def duckdb_ddl(table: str, schema: pl.Schema) -> str:
    """``CREATE TABLE`` DDL for a canonical schema (used where a table is created empty)."""
    cols = ", ".join(f'"{n}" {_duck_type(t)}' for n, t in schema.items())
    return f'CREATE OR REPLACE TABLE "{table}" ({cols})'


def _duck_type(dtype: Dtype) -> str:
    if dtype == pl.String or isinstance(dtype, pl.Enum):
        return "VARCHAR"
    if dtype == pl.Int64:
        return "BIGINT"
    if dtype == pl.Float64:
        return "DOUBLE"
    if dtype == pl.Boolean:
        return "BOOLEAN"
    if dtype == pl.Date:
        return "DATE"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
    if isinstance(dtype, pl.List):
        return f"{_duck_type(dtype.inner)}[]"
    raise TypeError(f"no DuckDB type for {dtype}")
