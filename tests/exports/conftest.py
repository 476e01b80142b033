"""A small profile database for the export and console tests, built by the real profiles stage.

Canonical + identity inputs are written by hand so each consent rule has a case:

* C000000001 Anna Müller: two merged records (crm + shop). Marketing e-mail granted on the CRM
  record, withdrawn later in the shop -> withdrawn. Marketing letter granted, address present.
  Marketing phone granted on one record, withdrawn later on the other -> withdrawn. Bought KM-200.
  Open ticket. Retired id C000000009 was merged into her.
* C000000002 Bernd Schmidt: marketing phone withdrawn, then granted again later -> granted; has
  a mobile. Marketing e-mail granted. Bought KM-200.
* C000000003 `<script>alert(1)</script>`: marketing e-mail granted, service phone granted.
* C000000004 Dieter Bauer: no consent at all. Bought KM-200.
* C000000005 Erika Klein: marketing sms granted, but no mobile -> no reachable channel.
* C000000006 Frank Vogel: marketing e-mail granted, but on the erasure suppression list.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from cdp.config import Settings
from cdp.lake import write_parquet_atomic
from cdp.schema import CONSENT_EVENT, CONTACT_EVENT, PERSON_RECORD, conform
from identity.evidence import level_labels, link_evidence

XSS_NAME = "<script>alert(1)</script>"


def ts(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%d %H:%M" if " " in s else "%Y-%m-%d").replace(tzinfo=UTC)


def _person(cid, src, rid, first, last, **kw):
    entity = {"erp": "customers", "crm": "contacts", "shop": "accounts", "bonus": "members"}[src]
    return cid, dict(source_system=src, source_entity=entity, source_record_id=rid,
                     first_name=first, last_name=last, country="DE",
                     created_at=ts("2020-01-01"), updated_at=ts("2024-01-01"), **kw)


PERSONS = [
    _person("C000000001", "crm", "CRM-1", "Anna", "Müller", email="anna@example.de",
            mobile="0151 1111111", street="Neuweg", house_number="5", postcode="80331",
            city="München", birth_date=date(1980, 4, 1), salutation="Frau"),
    _person("C000000001", "shop", "S-1", "anna", "mueller", email="anna@example.de",
            street="Neuweg 5", postcode="80331", city="München", xref_bonus_card_no="2760000000017"),
    _person("C000000002", "crm", "CRM-2", "Bernd", "Schmidt", email="bernd@example.de",
            mobile="0152 2222222", street="Lindenallee", house_number="7", postcode="50667", city="Köln"),
    _person("C000000003", "shop", "S-3", XSS_NAME, XSS_NAME, email="x@example.de",
            phone="040 3333333", street="Hafenstraße 3", postcode="20095", city="Hamburg"),
    _person("C000000004", "erp", "10000004", "Dieter", "Bauer", email="dieter@example.de",
            street="Dorfweg 2", postcode="01067", city="Dresden"),
    _person("C000000005", "crm", "CRM-5", "Erika", "Klein", email="erika@example.de",
            street="Ring 1", postcode="10115", city="Berlin"),
    _person("C000000006", "crm", "CRM-6", "Frank", "Vogel", email="frank@example.de",
            street="Weg 6", postcode="10115", city="Berlin"),
]
STD = {
    "crm:CRM-1": dict(email_std="anna@example.de", mobile_e164="+491511111111"),
    "shop:S-1": dict(email_std="anna@example.de"),
    "crm:CRM-2": dict(email_std="bernd@example.de", mobile_e164="+491522222222"),
    "shop:S-3": dict(email_std="x@example.de", phone_e164="+49403333333"),
    "erp:10000004": dict(email_std="dieter@example.de"),
    "crm:CRM-5": dict(email_std="erika@example.de"),
    "crm:CRM-6": dict(email_std="frank@example.de"),
}


def _contact(i, rk, when, channel, etype, **kw):
    src = rk.split(":")[0]
    return dict(event_key=f"{src}:x:{i}", source_system=src, source_entity="x", source_event_id=str(i),
                person_record_key=rk, ts=ts(when), channel=channel, direction="inbound",
                event_type=etype, **kw)


CONTACTS = [
    _contact(1, "shop:S-1", "2024-05-10", "web", "order", amount=80.0, currency="EUR",
             status="completed", product_models=["KM-200"], summary="order O-1"),
    _contact(2, "crm:CRM-1", "2024-06-10", "email", "ticket", summary="Lieferung beschädigt",
             outcome="open", status="open"),
    _contact(3, "crm:CRM-2", "2024-05-01", "web", "order", amount=50.0, currency="EUR",
             status="completed", product_models=["KM-200"], summary="order O-2"),
    _contact(4, "erp:10000004", "2024-03-01", "store", "invoice", amount=30.0, currency="EUR",
             product_models=["KM-200"], summary="Rechnung"),
    _contact(5, "shop:S-3", "2024-03-01", "web", "order", amount=30.0, currency="EUR",
             status="cancelled", product_models=["KM-200"], summary="cancelled order"),
] + [
    _contact(100 + i, "crm:CRM-1", f"2023-01-{i + 1:02d} 10:00", "phone", "call",
             summary=f"call {i}", outcome="resolved", status="closed")
    for i in range(28)
]


def _consent(i, rk, purpose, channel, status, when, method="web_form"):
    src = rk.split(":")[0]
    return dict(consent_event_key=f"{src}:consent:{i}", source_system=src, source_entity="consent",
                source_event_id=str(i), person_record_key=rk, purpose=purpose, channel=channel,
                status=status, ts=ts(when), method=method, evidence=f"DS-{i}")


CONSENTS = [
    _consent(1, "crm:CRM-1", "marketing", "email", "granted", "2023-01-01", "double_opt_in"),
    _consent(2, "shop:S-1", "marketing", "email", "withdrawn", "2024-01-01", "account"),
    _consent(3, "crm:CRM-1", "marketing", "letter", "granted", "2023-01-01", "paper_form"),
    _consent(4, "shop:S-1", "marketing", "phone", "granted", "2023-01-01"),
    _consent(5, "crm:CRM-1", "marketing", "phone", "withdrawn", "2024-02-01", "phone_call"),
    _consent(6, "crm:CRM-2", "marketing", "phone", "withdrawn", "2023-01-01", "phone_call"),
    _consent(7, "crm:CRM-2", "marketing", "phone", "granted", "2024-01-01", "phone_call"),
    _consent(8, "crm:CRM-2", "marketing", "email", "granted", "2024-01-01", "double_opt_in"),
    _consent(9, "shop:S-3", "marketing", "email", "granted", "2024-01-01", "double_opt_in"),
    _consent(10, "shop:S-3", "service", "phone", "granted", "2024-01-01", "phone_call"),
    _consent(11, "crm:CRM-5", "marketing", "sms", "granted", "2024-01-01", "web_form"),
    _consent(12, "crm:CRM-6", "marketing", "email", "granted", "2024-01-01", "double_opt_in"),
]
HISTORY = [dict(old_customer_id="C000000009", new_customer_id="C000000001",
                changed_at=ts("2024-06-15"), reason="merge", run_id="run-2")]
EDGES = [dict(record_key_l="crm:CRM-1", record_key_r="shop:S-1", match_probability=0.998,
              link_method="probabilistic", rule=None, gamma_name=2, mw_name=6.0,
              gamma_email=3, mw_email=7.0, gamma_address=3, mw_address=2.0)]


def _lineage(rows: list[dict], file: str) -> list[dict]:
    for i, r in enumerate(rows, start=1):
        r.setdefault("_source_file", file)
        r.setdefault("_row_number", i)
        r.setdefault("_load_id", "load-test-1")
        r.setdefault("_ingested_at", ts("2024-07-01"))
    return rows


def write_fixture(data_dir: Path) -> Settings:
    """Write canonical + identity inputs under ``data_dir`` and build the profile database."""
    from profiles.build import build_profiles

    settings = Settings().with_data_dir(data_dir)
    paths = settings.paths
    persons, links = [], []
    for cid, f in PERSONS:
        rk = f"{f['source_system']}:{f['source_record_id']}"
        persons.append({"record_key": rk, **f})
        links.append(dict(record_key=rk, source_system=f["source_system"],
                          source_record_id=f["source_record_id"], customer_id=cid,
                          match_probability=0.998 if cid == "C000000001" else None,
                          link_method="probabilistic" if cid == "C000000001" else "singleton",
                          model_version="m-test", run_id="run-2"))
    frames = {
        "person_records": (PERSONS and persons, PERSON_RECORD),
        "contact_events": ([dict(c) for c in CONTACTS], CONTACT_EVENT),
        "consent_events": ([dict(c) for c in CONSENTS], CONSENT_EVENT),
    }
    for name, (rows, schema) in frames.items():
        df = conform(pl.DataFrame(_lineage(rows, f"x/{name}"), infer_schema_length=None), schema)
        write_parquet_atomic(df, paths.canonical_table(name) / "part-0.parquet")
    write_parquet_atomic(pl.DataFrame(links), paths.identity / "identity_link.parquet")
    write_parquet_atomic(pl.DataFrame(HISTORY), paths.identity / "customer_id_history.parquet")
    write_parquet_atomic(pl.DataFrame(EDGES), paths.identity / "edges.parquet")
    std_cols = ["first_name_std", "last_name_std", "email_std", "phone_e164", "mobile_e164",
                "street_std", "house_number_std", "postcode_std", "city_std"]
    std = pl.DataFrame([{"record_key": rk, **{c: v.get(c) for c in std_cols}} for rk, v in STD.items()],
                       schema={"record_key": pl.String, **{c: pl.String for c in std_cols}})
    write_parquet_atomic(std, paths.identity / "person_records_std.parquet")
    write_parquet_atomic(pl.DataFrame({"load_id": ["load-test-1", "load-other"], "source": ["crm", "erp"],
                                       "entity": ["contacts", "customers"], "file": ["a", "b"],
                                       "status": ["loaded", "loaded"]}), paths.load_log)
    # The comparison levels of a saved identity model (labels as identity/model.py writes them).
    levels = {"name": ["exact first and last", "both similar (JW>=0.92)"],
              "email": ["exact", "same local part, other domain", "similar (JW>=0.9)"],
              "address": ["same street, number and postcode", "same postcode", "same city"]}
    model = {"comparisons": [
        {"output_column_name": comp, "comparison_levels": [
            {"is_null_level": True, "label_for_charts": "null"},
            *({"label_for_charts": lbl} for lbl in labels), {"label_for_charts": "All other comparisons"}]}
        for comp, labels in levels.items()]}
    (paths.models / "identity").mkdir(parents=True, exist_ok=True)
    (paths.models / "identity" / "model_v1.json").write_text(json.dumps(model))
    # the evidence identity writes for the one link (identity/evidence.py)
    clusters = pl.DataFrame(links).select(
        "record_key", pl.col("customer_id").alias("cluster"), "link_method", "match_probability",
        pl.col("record_key").replace_strict({"crm:CRM-1": "shop:S-1", "shop:S-1": "crm:CRM-1"}, default=None)
        .alias("linked_to"))
    write_parquet_atomic(link_evidence(clusters, pl.DataFrame(EDGES),
                                       level_labels(paths.models / "identity" / "model_v1.json")),
                         paths.identity / "link_evidence.parquet")
    build_profiles(settings)
    return settings


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Settings:
    """The fixture built once (read-only use; exports write under its data/exports/)."""
    return write_fixture(tmp_path_factory.mktemp("exports") / "data")


@pytest.fixture
def fresh(tmp_path) -> Settings:
    """A private copy of the fixture, safe to add suppression lists to."""
    return write_fixture(tmp_path / "data")
