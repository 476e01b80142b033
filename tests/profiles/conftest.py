"""Hand-built canonical + identity fixtures for the profile tests.

Four customers, chosen so every survivorship, consent and channel rule has a case:

* C000000001 (Anna): four merged records (erp, crm, shop, bonus); a moved address (the crm record
  is newest), a verified shop e-mail against an unverified crm one, consent events from two
  sources (a withdrawal after a grant; a grant and a withdrawal at the same instant), invoices,
  a credit note, shop orders (one cancelled, one returned), an open e-mail ticket. The retired
  id C000000009 was merged into her.
* C000000002 (Bernd): a registered shop account and a guest checkout, newsletter subscription.
* C000000003 (Carla): a CRM contact with calls and campaign e-mails, no consent at all.
* C000000004 (Dieter): a bonus member with old card purchases only (lapsed), address only.

Plus one shop order without a person record and one call whose person record was
quarantined upstream (not in identity_link).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from cdp.config import Settings
from cdp.lake import write_parquet_atomic
from cdp.schema import CONSENT_EVENT, CONTACT_EVENT, PERSON_RECORD, conform


def ts(s: str) -> datetime:
    """A UTC timestamp from ``YYYY-MM-DD[ HH:MM]``."""
    fmt = "%Y-%m-%d %H:%M" if " " in s else "%Y-%m-%d"
    return datetime.strptime(s, fmt).replace(tzinfo=UTC)


def _lineage(rows: list[dict], file: str) -> list[dict]:
    for i, r in enumerate(rows, start=1):
        r.setdefault("_source_file", file)
        r.setdefault("_row_number", i)
        r.setdefault("_load_id", "load-test")
        r.setdefault("_ingested_at", ts("2024-07-01"))
    return rows


PERSONS = [
    # customer_id, record fields
    ("C000000001", dict(source_system="erp", source_entity="customers", source_record_id="10000001",
        salutation="Frau", first_name="Anna", last_name="Müller", birth_date=date(1980, 4, 1),
        email="anna.old@example.de", email_verified=False, phone="030 1234567",
        street="Altstraße 1", postcode="10115", city="Berlin", country="DE",
        created_at=ts("2015-03-01"), updated_at=ts("2022-01-01"))),
    ("C000000001", dict(source_system="crm", source_entity="contacts", source_record_id="CRM-0000001",
        salutation="Frau", first_name="Anna", last_name="Mueller", birth_date=date(1980, 4, 1),
        email="Anna.M@Example.de", email_verified=False, mobile="0151 2345678",
        street="Neuweg", house_number="5", postcode="80331", city="München", country="DE",
        xref_erp_customer_no="10000001", stated_channel="sms",
        created_at=ts("2019-05-01"), updated_at=ts("2024-03-01"))),
    ("C000000001", dict(source_system="shop", source_entity="accounts", source_record_id="S-000001",
        is_guest=False, first_name="anna", last_name="müller", email="anna@example.de",
        email_verified=True, street="Altstraße 1", postcode="10115", city="Berlin", country="DE",
        xref_bonus_card_no="2760000000001",
        created_at=ts("2020-01-01"), updated_at=ts("2023-06-01"))),
    ("C000000001", dict(source_system="bonus", source_entity="members", source_record_id="2760000000001",
        first_name="Anna", last_name="Müller", birth_date=date(1980, 4, 2),
        created_at=ts("2021-01-01"), updated_at=ts("2024-05-01"))),
    ("C000000002", dict(source_system="shop", source_entity="accounts", source_record_id="S-000002",
        is_guest=False, first_name="Bernd", last_name="Schmidt", email="bernd@example.de",
        email_verified=True, street="Lindenallee 7", postcode="50667", city="Köln", country="DE",
        created_at=ts("2024-05-20"), updated_at=ts("2024-05-20"))),
    ("C000000002", dict(source_system="shop", source_entity="accounts", source_record_id="G-000003",
        is_guest=True, first_name="Bernd", last_name="Schmidt", email="BERND@example.de",
        email_verified=False, street="Lindenallee 7", postcode="50667", city="Köln", country="DE",
        created_at=ts("2024-05-25"), updated_at=ts("2024-05-25"))),
    ("C000000003", dict(source_system="crm", source_entity="contacts", source_record_id="CRM-0000003",
        first_name="Carla", last_name="Weiß", email="carla@example.de", phone="040 555123",
        street="Hafenstraße", house_number="3", postcode="20095", city="Hamburg", country="DE",
        created_at=ts("2022-02-02"), updated_at=ts("2022-02-02"))),
    ("C000000004", dict(source_system="bonus", source_entity="members", source_record_id="2760000000004",
        first_name="Dieter", last_name="Bauer", birth_date=date(1950, 1, 1),
        street="Dorfweg 2", postcode="01067", city="Dresden", country="DE",
        created_at=ts("2021-06-01"), updated_at=ts("2021-06-01"))),
]

STD = {  # what identity/ writes to person_records_std.parquet
    "erp:10000001": dict(email_std="anna.old@example.de", phone_e164="+49301234567"),
    "crm:CRM-0000001": dict(email_std="anna.m@example.de", mobile_e164="+491512345678"),
    "shop:S-000001": dict(email_std="anna@example.de"),
    "bonus:2760000000001": dict(),
    "shop:S-000002": dict(email_std="bernd@example.de"),
    "shop:G-000003": dict(email_std="bernd@example.de"),
    "crm:CRM-0000003": dict(email_std="carla@example.de", phone_e164="+4940555123"),
    "bonus:2760000000004": dict(),
}


def _contact(src, entity, eid, rk, when, channel, direction, etype, **kw):  # noqa: PLR0913 -- one per column
    return dict(event_key=f"{src}:{entity}:{eid}", source_system=src, source_entity=entity,
                source_event_id=eid, person_record_key=rk, ts=ts(when), channel=channel,
                direction=direction, event_type=etype, currency="EUR" if "amount" in kw else None, **kw)


CONTACTS = [
    _contact("erp", "invoices", "RE-2023-000001", "erp:10000001", "2023-01-15", "store", "inbound",
             "invoice", amount=100.0, product_models=["KM-200"], summary="Rechnung"),
    _contact("erp", "invoices", "GU-2023-000001", "erp:10000001", "2023-02-01", "store", "inbound",
             "credit_note", amount=-20.0, summary="Gutschrift"),
    _contact("erp", "invoices", "RE-2024-000002", "erp:10000001", "2024-04-01", "letter", "inbound",
             "invoice", amount=50.0, product_models=["TX-9"], summary="Rechnung"),
    _contact("shop", "orders", "O-0000001", "shop:S-000001", "2024-05-10 10:00", "web", "inbound",
             "order", amount=80.0, status="completed", product_models=["KM-200", "ZB-1"]),
    _contact("shop", "orders", "O-0000002", "shop:S-000001", "2024-05-11 10:00", "web", "inbound",
             "order", amount=30.0, status="cancelled", product_models=["ZB-1"]),
    _contact("shop", "orders", "O-0000003", "shop:S-000001", "2024-05-20 10:00", "web", "inbound",
             "return", amount=-25.0, status="returned", product_models=["ZB-1"]),
    _contact("crm", "interactions", "INT-00000001", "crm:CRM-0000001", "2024-06-10 09:00", "email",
             "inbound", "ticket", summary="Beschwerde: Lieferung beschädigt", outcome="open", status="open"),
    _contact("shop", "orders", "O-0000004", "shop:S-000002", "2024-06-01 12:00", "web", "inbound",
             "order", amount=200.0, status="completed", product_models=["KM-200"]),
    _contact("shop", "orders", "O-0000005", "shop:G-000003", "2024-05-25 12:00", "web", "inbound",
             "order", amount=40.0, status="completed", product_models=["TX-9"]),
    _contact("crm", "interactions", "INT-00000002", "crm:CRM-0000003", "2024-05-01 15:00", "phone",
             "inbound", "call", summary="Frage zur Rechnung", outcome="resolved", status="closed"),
    _contact("crm", "interactions", "INT-00000003", "crm:CRM-0000003", "2024-04-01 08:00", "email",
             "outbound", "email", summary="Frühjahrsangebote", outcome="opened"),
    _contact("crm", "interactions", "INT-00000004", "crm:CRM-0000003", "2024-04-15 08:00", "email",
             "outbound", "email", summary="Sommerangebote", outcome="clicked"),
    _contact("bonus", "transactions", "T-1", "bonus:2760000000004", "2022-01-01 11:00", "store",
             "inbound", "card_purchase", amount=10.0, store_id="S01"),
    _contact("bonus", "transactions", "T-2", "bonus:2760000000004", "2022-03-01 11:00", "store",
             "inbound", "card_purchase", amount=15.0, store_id="S01"),
    _contact("bonus", "transactions", "T-3", "bonus:2760000000004", "2022-03-05 11:00", "store",
             "inbound", "card_return", amount=-5.0, store_id="S01"),
    _contact("shop", "orders", "O-0000099", None, "2024-06-02 12:00", "web", "inbound",
             "order", amount=12.0, status="completed"),
    # a person row quarantined upstream: its event arrives, its record never reaches identity
    _contact("crm", "interactions", "INT-00000777", "crm:CRM-0000777", "2024-06-03 12:00", "phone",
             "inbound", "call", outcome="resolved", status="closed"),
    # the shop delivers a newsletter sign-up as a contact and as a consent event (same key)
    _contact("shop", "newsletter", "NL-3", "shop:S-000002", "2024-05-21", "email", "inbound",
             "newsletter", status="subscribe"),
]


def _consent(src, entity, eid, rk, purpose, channel, status, when, method=None, evidence=None):  # noqa: PLR0913 -- one per column
    return dict(consent_event_key=f"{src}:{entity}:{eid}", source_system=src, source_entity=entity,
                source_event_id=eid, person_record_key=rk, purpose=purpose, channel=channel,
                status=status, ts=ts(when), method=method, evidence=evidence)


CONSENTS = [
    # Anna, marketing e-mail: older grant, grant, then a withdrawal in the shop -> withdrawn
    _consent("crm", "consent_events", "CE-1", "crm:CRM-0000001", "marketing", "email", "granted",
             "2023-12-01", "web_form", "DS-2023-02"),
    _consent("crm", "consent_events", "CE-2", "crm:CRM-0000001", "marketing", "email", "granted",
             "2024-01-10", "double_opt_in", "DS-2023-02"),
    _consent("shop", "newsletter", "NL-1", "shop:S-000001", "marketing", "email", "withdrawn",
             "2024-02-01", "account"),
    # Anna, marketing sms: grant and withdrawal at the same instant on two records -> withdrawn
    _consent("crm", "consent_events", "CE-3", "crm:CRM-0000001", "marketing", "sms", "granted",
             "2024-03-01 12:00", "phone_call"),
    _consent("shop", "newsletter", "NL-2", "shop:S-000001", "marketing", "sms", "withdrawn",
             "2024-03-01 12:00", "account"),
    # Anna, marketing letter granted; service phone withdrawn
    _consent("crm", "consent_events", "CE-4", "crm:CRM-0000001", "marketing", "letter", "granted",
             "2024-01-05", "paper_form", "DS-2023-02"),
    _consent("crm", "consent_events", "CE-5", "crm:CRM-0000001", "service", "phone", "withdrawn",
             "2024-01-01", "phone_call"),
    # Bernd subscribed to the newsletter at checkout (double opt-in confirmed)
    _consent("shop", "newsletter", "NL-3", "shop:S-000002", "marketing", "email", "granted",
             "2024-05-21", "double_opt_in", "confirmed 2024-05-21"),
]

HISTORY = [dict(old_customer_id="C000000009", new_customer_id="C000000001",
                changed_at=ts("2024-06-15"), reason="merge", run_id="run-2")]


def write_fixture(data_dir: Path, with_std: bool = True) -> Settings:
    """Write the canonical and identity fixture under ``data_dir``; return settings for it."""
    settings = Settings().with_data_dir(data_dir)
    paths = settings.paths
    persons = []
    links = []
    for cid, fields in PERSONS:
        rk = f"{fields['source_system']}:{fields['source_record_id']}"
        persons.append({"record_key": rk, **fields})
        links.append(dict(record_key=rk, source_system=fields["source_system"],
                          source_record_id=fields["source_record_id"], customer_id=cid,
                          match_probability=1.0 if cid != "C000000001" else 0.97,
                          link_method="probabilistic" if cid == "C000000001" else "singleton",
                          model_version="m-test", run_id="run-2"))
    frames = {
        "person_records": conform(pl.DataFrame(_lineage(persons, "x/persons"), infer_schema_length=None),
                                  PERSON_RECORD),
        "contact_events": conform(pl.DataFrame(_lineage(CONTACTS, "x/contacts"), infer_schema_length=None),
                                  CONTACT_EVENT),
        "consent_events": conform(pl.DataFrame(_lineage(CONSENTS, "x/consents"), infer_schema_length=None),
                                  CONSENT_EVENT),
    }
    for name, df in frames.items():
        write_parquet_atomic(df, paths.canonical_table(name) / "part-0.parquet")
    write_parquet_atomic(pl.DataFrame(links), paths.identity / "identity_link.parquet")
    write_parquet_atomic(pl.DataFrame(HISTORY), paths.identity / "customer_id_history.parquet")
    if with_std:
        std_cols = ["first_name_std", "last_name_std", "email_std", "phone_e164", "mobile_e164",
                    "street_std", "house_number_std", "postcode_std", "city_std"]
        std_rows = [{"record_key": rk, **{c: v.get(c) for c in std_cols}} for rk, v in STD.items()]
        std = pl.DataFrame(std_rows, schema={"record_key": pl.String, **{c: pl.String for c in std_cols}})
        write_parquet_atomic(std, paths.identity / "person_records_std.parquet")
    return settings


@pytest.fixture
def fixture_settings(tmp_path: Path) -> Settings:
    """Settings pointing at a fresh copy of the fixture (safe to rebuild or modify)."""
    return write_fixture(tmp_path / "data")


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """The fixture built once into a profile database (read-only use)."""
    from profiles.build import build_profiles

    settings = write_fixture(tmp_path_factory.mktemp("profiles") / "data")
    build_profiles(settings)
    return settings.paths.duckdb


@pytest.fixture
def con(built_db: Path):
    import duckdb

    c = duckdb.connect(str(built_db), read_only=True)
    yield c
    c.close()
