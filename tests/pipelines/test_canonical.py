"""Canonical tables: one row per source record in its current state, mapped as the contracts say."""

from __future__ import annotations

import polars as pl
import pytest

from cdp.schema import CANONICAL_TABLES, storage_schema
from pipelines.canonical import build_canonical, canonical_path
from pipelines.ingest import ingest


def _table(settings, name) -> pl.DataFrame:
    return pl.read_parquet(canonical_path(settings, name))


@pytest.fixture
def built(settings, landing):
    ingest(settings)
    build_canonical(settings)
    return settings


def test_exact_schema_columns(built):
    for name, schema in CANONICAL_TABLES.items():
        # on disk enums are strings (cdp.schema.storage_schema); read_table types them again
        assert _table(built, name).schema == storage_schema(schema)


def test_person_records_from_all_sources(built):
    pr = _table(built, "person_records")
    assert sorted(pr["record_key"]) == sorted(
        ["erp:10000001", "crm:CRM-0000001", "shop:S-000001", "shop:G-000002", "bonus:2760000000001"])
    guest = pr.filter(pl.col("record_key") == "shop:G-000002").row(0, named=True)
    assert guest["is_guest"] is True and guest["postcode"] == "10115"
    crm = pr.filter(pl.col("record_key") == "crm:CRM-0000001").row(0, named=True)
    assert crm["xref_erp_customer_no"] == "10000001" and crm["stated_channel"] == "email"
    assert crm["created_at"].isoformat() == "2024-03-05T13:22:10+00:00"  # +01:00 converted to UTC
    erp = pr.filter(pl.col("record_key") == "erp:10000001").row(0, named=True)
    assert erp["country"] == "DE" and erp["_source_file"].endswith("kunden_20240308.csv")


def test_contact_events_mapping(built):
    ev = _table(built, "contact_events")
    gu = ev.filter(pl.col("source_event_id") == "GU-2024-000001").row(0, named=True)
    assert gu["event_type"] == "credit_note" and gu["amount"] == pytest.approx(-29.5)
    assert gu["channel"] == "web" and gu["person_record_key"] == "erp:10000001"
    re_ = ev.filter(pl.col("source_event_id") == "RE-2024-000001").row(0, named=True)
    assert re_["channel"] == "store" and re_["amount"] == pytest.approx(129.95)
    assert re_["product_models"] == ["KM-200", "KM-300"]
    ret = ev.filter(pl.col("source_event_id") == "O-0000002").row(0, named=True)
    assert ret["event_type"] == "return" and ret["amount"] == pytest.approx(-20.0)
    order = ev.filter(pl.col("source_event_id") == "O-0000001").row(0, named=True)
    assert order["product_models"] == ["KM-200"]
    card_return = ev.filter(pl.col("source_event_id") == "T-2").row(0, named=True)
    assert card_return["event_type"] == "card_return" and card_return["amount"] == pytest.approx(-5.0)
    assert card_return["person_record_key"] == "bonus:2760000000001"
    # transaction time is Berlin local time: 10:00 CET = 09:00 UTC
    assert card_return["ts"].isoformat() == "2024-03-06T09:00:00+00:00"
    assert ev.filter(pl.col("event_type") == "newsletter").height == 3


def test_consent_events_from_crm_and_newsletter(built):
    ce = _table(built, "consent_events")
    nl = ce.filter(pl.col("source_entity") == "newsletter").sort("source_event_id")
    assert nl["purpose"].to_list() == ["marketing"] * 3 and nl["channel"].to_list() == ["email"] * 3
    # NL-0000002 was never confirmed: an unconfirmed sign-up is pending, not a grant
    assert nl["status"].to_list() == ["granted", "pending", "withdrawn"]
    assert nl["method"].to_list() == ["double_opt_in", "web_form", "web_form"]
    crm = ce.filter(pl.col("source_system") == "crm").row(0, named=True)
    assert crm["method"] == "double_opt_in" and crm["evidence"] == "DS-2023-02"
    assert crm["consent_event_key"] == "crm:consent_events:CE-00000001"


def test_newest_delivery_of_a_record_wins(built):
    from tests.pipelines.conftest import ERP_HEADER

    day = built.paths.landing / "erp" / "2024-03-20"
    day.mkdir(parents=True)
    (day / "kunden_20240320.csv").write_bytes((ERP_HEADER + "\r\n" +
        "10000001;Herr;;Max;Muster;Neue Straße 5;04109;Leipzig;DE;;;01.02.1980;01.01.2020;19.03.2024\r\n").encode("cp1252"))
    ingest(built)
    build_canonical(built)
    pr = _table(built, "person_records").filter(pl.col("record_key") == "erp:10000001")
    assert pr.height == 1 and pr["city"][0] == "Leipzig" and pr["postcode"][0] == "04109"
