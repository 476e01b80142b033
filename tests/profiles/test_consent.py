"""consent: latest event wins across sources and merged records; withdrawals stick."""

from __future__ import annotations

import duckdb
import polars as pl

from cdp.lake import write_parquet_atomic
from cdp.schema import CONSENT_EVENT, conform
from profiles.build import build_profiles

from .conftest import _consent, _lineage, ts


def _state(con, cid, purpose, channel):
    return con.execute(
        "SELECT state, is_granted, source, consent_event_key, method, evidence FROM consent "
        "WHERE customer_id = ? AND purpose = ? AND channel = ?", [cid, purpose, channel]).fetchone()


def _add_delivery(settings, events, ingested="2024-08-01"):
    rows = _lineage(events, "crm/2024-08-01/consent_events_20240801.json")
    for r in rows:
        r["_ingested_at"] = ts(ingested)
    df = conform(pl.DataFrame(rows, infer_schema_length=None), CONSENT_EVENT)
    write_parquet_atomic(df, settings.paths.canonical_table("consent_events") / "part-1.parquet")


def test_latest_event_wins_across_merged_records(con):
    # crm granted twice, then the (merged) shop record withdrew: withdrawn, with its evidence
    assert _state(con, "C000000001", "marketing", "email") == (
        "withdrawn", False, "shop", "shop:newsletter:NL-1", "account", None)
    assert _state(con, "C000000001", "marketing", "letter")[:3] == ("granted", True, "crm")


def test_at_equal_time_the_most_restrictive_wins(con):
    state = _state(con, "C000000001", "marketing", "sms")
    assert state[:2] == ("withdrawn", False)
    assert state[3] == "shop:newsletter:NL-2"


def test_an_older_grant_delivered_later_never_overrides_a_withdrawal(fixture_settings):
    _add_delivery(fixture_settings, [_consent(
        "crm", "consent_events", "CE-99", "crm:CRM-0000001", "marketing", "email", "granted",
        "2024-01-20", "web_form", "DS-2023-02")])
    build_profiles(fixture_settings)
    con = duckdb.connect(str(fixture_settings.paths.duckdb), read_only=True)
    assert _state(con, "C000000001", "marketing", "email")[:2] == ("withdrawn", False)
    assert con.execute("SELECT event_count FROM consent WHERE customer_id = 'C000000001' "
                       "AND purpose = 'marketing' AND channel = 'email'").fetchone()[0] == 4
    con.close()


def test_a_newer_grant_after_a_withdrawal_counts(fixture_settings):
    _add_delivery(fixture_settings, [_consent(
        "crm", "consent_events", "CE-100", "crm:CRM-0000001", "marketing", "email", "granted",
        "2024-06-20", "double_opt_in", "DS-2024-01")])
    build_profiles(fixture_settings)
    con = duckdb.connect(str(fixture_settings.paths.duckdb), read_only=True)
    assert _state(con, "C000000001", "marketing", "email") == (
        "granted", True, "crm", "crm:consent_events:CE-100", "double_opt_in", "DS-2024-01")
    con.close()


def test_no_event_means_unknown_and_not_granted(con):
    rows = con.execute(
        "SELECT DISTINCT state, is_granted FROM consent WHERE customer_id = 'C000000003'").fetchall()
    assert rows == [("unknown", False)]


def test_every_customer_has_every_purpose_and_channel(con):
    missing = con.execute(
        "SELECT c.customer_id, p.purpose, ch.channel FROM customer c, "
        "(SELECT unnest(['marketing', 'profiling', 'service']) AS purpose) p, "
        "(SELECT unnest(['email', 'phone', 'sms', 'letter']) AS channel) ch "
        "EXCEPT SELECT customer_id, purpose, channel FROM consent").fetchall()
    assert missing == []
    assert con.execute("SELECT count(*) FROM consent").fetchone()[0] == 4 * 3 * 4


def test_consent_event_keeps_all_events_with_evidence(con):
    assert con.execute("SELECT count(*) FROM consent_event").fetchone()[0] == 8
    row = con.execute(
        "SELECT customer_id, source, method, evidence, ts FROM consent_event "
        "WHERE consent_event_key = 'crm:consent_events:CE-2'").fetchone()
    assert row[:4] == ("C000000001", "crm", "double_opt_in", "DS-2023-02")
