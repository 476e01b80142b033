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
    fixture_settings.profiles.trust_ranking["name"] = ["shop", "erp", "crm", "bonus"]
    fixture_settings.profiles.recency_first = []
    build_profiles(fixture_settings)
    con = duckdb.connect(str(fixture_settings.paths.duckdb), read_only=True)
    a = _anna(con)
    con.close()
    assert (a["first_name"], a["name_source"]) == ("anna", "shop")
    # without recency-first, the ERP address (first in the address ranking) wins
    assert (a["street"], a["address_source"]) == ("Altstraße 1", "erp")
