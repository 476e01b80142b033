"""Golden record survivorship."""

from __future__ import annotations

import duckdb

from profiles.build import build_profiles


def _anna(con):
    cur = con.execute("SELECT * FROM customer WHERE customer_id = 'C000000001'")
    return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))


def test_one_row_per_customer(con):
    assert con.execute("SELECT count(*), count(DISTINCT customer_id) FROM customer").fetchone() == (4, 4)


def test_trusted_source_wins_the_name_and_birth_date(con):
    a = _anna(con)
    # ERP ranks first for name and birth date, although crm and bonus records are newer
    assert (a["first_name"], a["last_name"], a["name_source"]) == ("Anna", "Müller", "erp")
    assert str(a["birth_date"]) == "1980-04-01" and a["birth_date_source"] == "erp"


def test_moved_customer_newest_address_wins(con):
    a = _anna(con)
    assert (a["street"], a["house_number"], a["postcode"], a["city"]) == ("Neuweg", "5", "80331", "München")
    assert a["address_source"] == "crm"
    assert a["addresses"][0] == "Neuweg 5, 80331 München"
    assert "Altstraße 1, 10115 Berlin" in a["addresses"]


def test_verified_email_beats_a_more_trusted_unverified_one(con):
    a = _anna(con)
    # crm ranks above shop for e-mail, but only the shop e-mail is verified
    assert (a["email"], a["email_verified"], a["email_source"]) == ("anna@example.de", True, "shop")
    assert a["emails"] == ["anna.m@example.de", "anna.old@example.de", "anna@example.de"]


def test_lists_ids_and_seen_dates(con):
    a = _anna(con)
    assert a["sources"] == ["bonus", "crm", "erp", "shop"]
    assert a["record_count"] == 4
    assert a["erp_customer_numbers"] == ["10000001"]
    assert a["bonus_card_numbers"] == ["2760000000001"]
    assert set(a["phones"]) == {"+49301234567", "+491512345678"}
    assert str(a["first_seen"].date()) == "2015-03-01"
    assert str(a["last_seen"].date()) == "2024-06-10"  # the open ticket


def test_trust_ranking_is_configuration(fixture_settings):
    fixture_settings.profiles.trust_ranking["name"] = ["bonus", "shop", "erp", "crm"]
    fixture_settings.profiles.recency_first = []
    build_profiles(fixture_settings)
    con = duckdb.connect(str(fixture_settings.paths.duckdb), read_only=True)
    a = _anna(con)
    con.close()
    assert (a["first_name"], a["name_source"]) == ("Anna", "bonus")
    # without recency-first, the ERP address (first in the address ranking) wins
    assert (a["street"], a["address_source"]) == ("Altstraße 1", "erp")


def _build_with(tmp_path, monkeypatch, change):
    """The fixture with some person records changed by ``change(customer_id, record) -> record``."""
    from tests.profiles import conftest

    persons = [(cid, change(cid, dict(rec))) for cid, rec in conftest.PERSONS]
    monkeypatch.setattr(conftest, "PERSONS", persons)
    settings = conftest.write_fixture(tmp_path / "data")
    build_profiles(settings)
    return duckdb.connect(str(settings.paths.duckdb), read_only=True)


def test_the_spelling_most_sources_agree_on_beats_a_trusted_sources_typo(tmp_path, monkeypatch):
    def typo(cid, rec):
        if rec["source_system"] == "erp" and cid == "C000000001":
            rec["first_name"] = "Anan"  # the most trusted source for names has a typo
        return rec

    con = _build_with(tmp_path, monkeypatch, typo)
    a = _anna(con)
    con.close()
    assert (a["first_name"], a["last_name"]) == ("Anna", "Müller")
    assert a["name_source"] == "bonus"  # same spelling as the shop, better cased than "anna"


def test_a_name_delivered_only_in_capitals_is_shown_in_proper_case(tmp_path, monkeypatch):
    def shout(cid, rec):
        if cid == "C000000004":
            rec["first_name"], rec["last_name"] = "DIETER", "VON DER HEIDE-MÜLLER"
        return rec

    con = _build_with(tmp_path, monkeypatch, shout)
    row = con.execute("SELECT first_name, last_name FROM customer WHERE customer_id = 'C000000004'").fetchone()
    caps = con.execute("SELECT count(*) FROM customer WHERE first_name = upper(first_name) "
                       "AND upper(first_name) <> lower(first_name)").fetchone()[0]
    con.close()
    assert row == ("Dieter", "von der Heide-Müller") and caps == 0


def test_every_stored_phone_is_e164(con):
    bad = con.execute(
        "SELECT count(*) FROM (SELECT phone AS p FROM customer UNION ALL SELECT mobile FROM customer "
        "UNION ALL SELECT unnest(phones) FROM customer) WHERE p IS NOT NULL "
        "AND NOT regexp_full_match(p, '\\+[1-9][0-9]{6,14}')").fetchone()[0]
    assert bad == 0
