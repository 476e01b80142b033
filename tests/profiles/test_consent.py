"""consent: per contact point; the latest applicable event wins; withdrawals and objections stick.

The grain is customer x purpose x channel x contact point (issue 16): a consent belongs to the
address or number it was given for, so these tests name the contact point they look at.
"""

from __future__ import annotations

import duckdb
import polars as pl

from cdp.lake import write_parquet_atomic
from cdp.schema import CONSENT_EVENT, CONTACT_EVENT, conform
from profiles.build import build_profiles

from .conftest import _consent, _contact, _lineage, ts

ALT = "altstr110115berlin"  # Anna's old address (erp and shop records)
NEU = "neuweg580331muenchen"  # her new address (crm record)


def _state(con, cid, purpose, channel, point):
    return con.execute(
        "SELECT state, is_granted, source, consent_event_key, method, evidence FROM consent "
        "WHERE customer_id = ? AND purpose = ? AND channel = ? AND point_key = ?",
        [cid, purpose, channel, point]).fetchone()


def _add_delivery(settings, events, ingested="2024-08-01", part="part-1"):
    rows = _lineage(events, "crm/2024-08-01/consent_events_20240801.json")
    for r in rows:
        r["_ingested_at"] = ts(ingested)
    df = conform(pl.DataFrame(rows, infer_schema_length=None), CONSENT_EVENT)
    write_parquet_atomic(df, settings.paths.canonical_table("consent_events") / f"{part}.parquet")


def _rebuilt(settings):
    build_profiles(settings)
    return duckdb.connect(str(settings.paths.duckdb), read_only=True)


def test_a_withdrawal_that_names_no_address_covers_every_address(con):
    # crm granted twice (no address named), then the merged shop record withdrew: every
    # e-mail address of Anna is withdrawn, with the shop's evidence
    for point in ("anna@example.de", "anna.m@example.de", "anna.old@example.de"):
        assert _state(con, "C000000001", "marketing", "email", point) == (
            "withdrawn", False, "shop", "shop:newsletter:NL-1", "account", None)


def test_a_merge_never_moves_a_grant_to_another_records_address(con):
    # the CRM paper form (no address named) covers the CRM record's address only; the erp/shop
    # address of the merged customer never received a letter consent
    assert _state(con, "C000000001", "marketing", "letter", NEU)[:3] == ("granted", True, "crm")
    assert _state(con, "C000000001", "marketing", "letter", ALT)[:2] == ("unknown", False)


def test_at_equal_time_the_most_restrictive_wins(con):
    state = _state(con, "C000000001", "marketing", "sms", "+491512345678")
    assert state[:2] == ("withdrawn", False)
    assert state[3] == "shop:newsletter:NL-2"


def test_an_older_grant_delivered_later_never_overrides_a_withdrawal(fixture_settings):
    _add_delivery(fixture_settings, [_consent(
        "crm", "consent_events", "CE-99", "crm:CRM-0000001", "marketing", "email", "granted",
        "2024-01-20", "web_form", "DS-2023-02")])
    con = _rebuilt(fixture_settings)
    assert _state(con, "C000000001", "marketing", "email", "anna.m@example.de")[:2] == ("withdrawn", False)
    assert con.execute("SELECT event_count FROM consent WHERE customer_id = 'C000000001' "
                       "AND purpose = 'marketing' AND channel = 'email' "
                       "AND point_key = 'anna.m@example.de'").fetchone()[0] == 4
    con.close()


def test_a_double_opt_in_grants_exactly_the_confirmed_address(fixture_settings):
    grant = _consent("crm", "consent_events", "CE-100", "crm:CRM-0000001", "marketing", "email",
                     "granted", "2024-06-20", "double_opt_in", "DS-2024-01")
    grant["contact_point"] = " Anna.M@Example.de "  # as typed into the form
    _add_delivery(fixture_settings, [grant])
    con = _rebuilt(fixture_settings)
    assert _state(con, "C000000001", "marketing", "email", "anna.m@example.de") == (
        "granted", True, "crm", "crm:consent_events:CE-100", "double_opt_in", "DS-2024-01")
    # the golden address (the shop's) is not the one confirmed: still withdrawn
    assert _state(con, "C000000001", "marketing", "email", "anna@example.de")[:2] == ("withdrawn", False)
    assert con.execute("SELECT channel, contact_point FROM preferred_channel WHERE customer_id = "
                       "'C000000001' AND purpose = 'marketing'").fetchone() in (
        ("email", "anna.m@example.de"), ("letter", "Neuweg 5, 80331 München"))
    con.close()


def test_a_withdrawal_for_one_number_leaves_the_other_numbers_grant(fixture_settings):
    g1 = _consent("crm", "consent_events", "CE-201", "crm:CRM-0000001", "marketing", "phone",
                  "granted", "2024-06-01", "phone_call")
    g1["contact_point"] = "030 1234567"
    g2 = _consent("crm", "consent_events", "CE-202", "crm:CRM-0000001", "marketing", "phone",
                  "granted", "2024-06-01", "phone_call")
    g2["contact_point"] = "0151-2345678"
    w = _consent("crm", "consent_events", "CE-203", "crm:CRM-0000001", "marketing", "phone",
                 "withdrawn", "2024-06-05", "phone_call")
    w["contact_point"] = "+49 30 1234567"
    _add_delivery(fixture_settings, [g1, g2, w])
    con = _rebuilt(fixture_settings)
    assert _state(con, "C000000001", "marketing", "phone", "+49301234567")[:2] == ("withdrawn", False)
    assert _state(con, "C000000001", "marketing", "phone", "+491512345678")[:2] == ("granted", True)
    con.close()


def test_an_objection_event_covers_every_channel_and_address(fixture_settings):
    obj = _consent("crm", "consent_events", "CE-300", "crm:CRM-0000001", "marketing", "all",
                   "objection", "2024-06-01", "letter")
    obj["contact_point"] = "all"
    _add_delivery(fixture_settings, [obj])
    con = _rebuilt(fixture_settings)
    states = con.execute("SELECT DISTINCT state FROM consent WHERE customer_id = 'C000000001' "
                         "AND purpose = 'marketing'").fetchall()
    assert states == [("objection",)]
    assert con.execute("SELECT channel, reason FROM preferred_channel WHERE customer_id = "
                       "'C000000001' AND purpose = 'marketing'").fetchone() == (None, "objection")
    assert con.execute("SELECT objections FROM customer_360 WHERE customer_id = 'C000000001'"
                       ).fetchone()[0] == ["marketing"]
    # service is another purpose: untouched
    assert _state(con, "C000000001", "service", "phone", "+491512345678")[0] == "withdrawn"
    con.close()


def test_a_letter_the_source_types_as_objection_suppresses_marketing(fixture_settings):
    letter = _contact("crm", "interactions", "INT-00000900", "crm:CRM-0000003", "2024-06-01 10:00",
                      "letter", "inbound", "letter", summary="Widerspruch Werbung", status="closed")
    grant = _consent("crm", "consent_events", "CE-400", "crm:CRM-0000003", "marketing", "email",
                     "granted", "2024-05-01", "double_opt_in")
    grant["contact_point"] = "carla@example.de"
    _add_delivery(fixture_settings, [grant])
    rows = _lineage([letter], "crm/2024-08-01/interactions_20240801.jsonl")
    write_parquet_atomic(conform(pl.DataFrame(rows, infer_schema_length=None), CONTACT_EVENT),
                         fixture_settings.paths.canonical_table("contact_events") / "part-1.parquet")
    con = _rebuilt(fixture_settings)
    assert _state(con, "C000000003", "marketing", "email", "carla@example.de")[:3] == (
        "objection", False, "crm")
    assert con.execute("SELECT recorded_as, active FROM objection WHERE customer_id = 'C000000003'"
                       ).fetchall() == [("contact", True)]
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
    # one row per contact point: Anna has 3 e-mails, 2 phones, 1 mobile, 2 addresses; Bernd
    # 1 e-mail + 1 address; Carla 1 e-mail, 1 phone, 1 address; Dieter 1 address; a channel
    # without any contact point keeps one row (contact_point NULL)
    per_purpose = (3 + 2 + 1 + 2) + (1 + 1 + 1 + 1) + (1 + 1 + 1 + 1) + (1 + 1 + 1 + 1)
    assert con.execute("SELECT count(*) FROM consent").fetchone()[0] == 3 * per_purpose


def test_consent_event_keeps_all_events_with_evidence(con):
    assert con.execute("SELECT count(*) FROM consent_event").fetchone()[0] == 8
    row = con.execute(
        "SELECT customer_id, source, method, evidence, ts FROM consent_event "
        "WHERE consent_event_key = 'crm:consent_events:CE-2'").fetchone()
    assert row[:4] == ("C000000001", "crm", "double_opt_in", "DS-2023-02")
