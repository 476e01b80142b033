"""Finding a customer by what a caller knows."""

from __future__ import annotations

import pytest

from profiles.lookup import find_customers, normalize_name, read_profile


@pytest.mark.parametrize("query, expected", [
    ("C000000001", ["C000000001"]),
    ("c000000001", ["C000000001"]),
    ("C000000009", ["C000000001"]),  # retired by a merge, redirects
    ("anna@example.de", ["C000000001"]),
    (" Anna.M@EXAMPLE.de ", ["C000000001"]),  # a non-winning e-mail still finds her
    ("030 1234567", ["C000000001"]),
    ("+49 (30) 123 45 67", ["C000000001"]),
    ("0151/2345678", ["C000000001"]),
    ("10000001", ["C000000001"]),  # ERP Kundennummer
    ("2760000000004", ["C000000004"]),  # bonus card
    ("CRM-0000003", ["C000000003"]),
    ("Anna Müller", ["C000000001"]),
    ("mueller, anna", ["C000000001"]),
    ("Carla Weiss", ["C000000003"]),
    ("nobody@example.de", []),
])
def test_find_customers(con, query, expected):
    assert find_customers(con, query) == expected


def test_normalize_name_matches_the_sql_keys(con):
    assert normalize_name("  Weiß,  Carla ") == "weiss carla"
    assert normalize_name("Müller-Lüdenscheidt") == "mueller-luedenscheidt"
    names = {k for (k,) in con.execute("SELECT key FROM customer_lookup WHERE key_type = 'name' "
                                       "AND customer_id = 'C000000003'").fetchall()}
    assert normalize_name("Weiß, Carla") in names and normalize_name("Carla Weiß") in names


def test_read_profile(con):
    p = read_profile(con, "C000000001")
    assert p["customer"]["first_name"] == "Anna"
    assert p["customer"]["recent_contacts"][0]["type"] == "ticket"
    assert len(p["consent"]) == 3 * 8  # purposes x her 8 contact points (3 e-mail, 2 phone, 1 sms, 2 letter)
    assert {r["purpose"] for r in p["preferred_channel"]} == {"marketing", "service"}
    assert read_profile(con, "C999999999") is None
