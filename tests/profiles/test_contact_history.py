"""contact_history: every contact once, with its customer; counts reconcile with the lake."""

from __future__ import annotations

import duckdb
import polars as pl

from cdp.lake import read_table
from cdp.schema import CONSENT_EVENT, CONTACT_EVENT


def test_counts_reconcile_per_source(con, built_db):
    lake = built_db.parent / "lake" / "canonical"
    contacts = read_table(lake / "contact_events", CONTACT_EVENT).collect()
    consents = read_table(lake / "consent_events", CONSENT_EVENT).collect()
    expected = (
        pl.concat([contacts.select("source_system"), consents.select("source_system")])
        .group_by("source_system").len().sort("source_system").rows()
    )
    got = con.execute("SELECT source, count(*) FROM contact_history GROUP BY 1 ORDER BY 1").fetchall()
    assert got == expected
    assert con.execute("SELECT count(*) FROM contact_history WHERE type = 'consent_change'").fetchone()[0] == consents.height


def test_each_contact_belongs_to_exactly_one_customer(con):
    dupes = con.execute(
        "SELECT contact_id FROM contact_history GROUP BY 1 HAVING count(*) > 1").fetchall()
    assert dupes == []
    # every contact recorded against a known person record has that record's customer
    wrong = con.execute(
        "SELECT h.contact_id FROM contact_history h JOIN identity_link l ON l.record_key = h.person_record_key "
        "WHERE h.customer_id IS DISTINCT FROM l.customer_id").fetchall()
    assert wrong == []
    unattributed = con.execute(
        "SELECT contact_id FROM contact_history WHERE customer_id IS NULL").fetchall()
    # the same source key delivered as a contact and as a consent event stays two contacts
    assert con.execute("SELECT list(contact_id ORDER BY contact_id) FROM contact_history "
                       "WHERE source_event_id = 'NL-3'").fetchone()[0] == [
        "consent_change:shop:newsletter:NL-3", "shop:newsletter:NL-3"]
    assert sorted(unattributed) == [("crm:interactions:INT-00000777",), ("shop:orders:O-0000099",)]


def test_merged_records_share_one_timeline(con):
    sources = con.execute(
        "SELECT list(DISTINCT source ORDER BY source) FROM contact_history WHERE customer_id = 'C000000001'"
    ).fetchone()[0]
    assert sources == ["crm", "erp", "shop"]


def test_consent_changes_are_contacts_with_their_reference(con):
    row = con.execute(
        "SELECT type, channel, direction, outcome, source_entity, source_event_id FROM contact_history "
        "WHERE contact_id = 'consent_change:shop:newsletter:NL-1'").fetchone()
    assert row == ("consent_change", "email", "inbound", "withdrawn", "newsletter", "NL-1")


def test_nothing_dropped_when_a_contact_has_no_customer(fixture_settings):
    from profiles.build import build_profiles

    counts = build_profiles(fixture_settings)
    con = duckdb.connect(str(fixture_settings.paths.duckdb), read_only=True)
    n = con.execute("SELECT count(*) FROM contact_history WHERE source_file IS NOT NULL").fetchone()[0]
    con.close()
    assert n == counts["contact_history"]
