"""Small hand-written landing files for the ingestion tests (no personal data: invented values)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdp.config import Settings

ERP_HEADER = "Kundennummer;Anrede;Titel;Vorname;Nachname;Straße;PLZ;Ort;Land;Telefon;E-Mail;Geburtsdatum;Angelegt_am;Geaendert_am"

KUNDEN = [
    ERP_HEADER,
    "10000001;Herr;;Max;Muster;Hauptstraße 1;01067;Dresden;DE;0351 123;max@example.org;01.02.1980;01.01.2020;02.01.2020",
    "10000002;Frau;Dr.;Erika;Beispiel;Weg 2;10115;Berlin;DE;;;31.02.1985;01.01.2020;",  # bad_date (row 2)
    "10000003;Frau;;Anna;;Gasse 3;20095;Hamburg;DE;;;;01.01.2020;",  # missing Nachname (row 3)
    "1000004;Herr;;Otto;Probe;Platz 4;80331;München;DE;;;;01.01.2020;",  # Kundennummer pattern (row 4)
]
RECHNUNGEN = [
    "Belegnummer;Belegart;Kundennummer;Belegdatum;Betrag;Waehrung;Vertriebsweg;Artikelmodelle",
    "RE-2024-000001;RE;10000001;05.03.2024;129,95;EUR;Filiale;KM-200|KM-300",
    "GU-2024-000001;GU;10000001;06.03.2024;29,50;EUR;Online;",
    "RE-2024-000002;RE;10000002;07.03.2024;-5,00;EUR;Telefon;",  # negative amount (row 3)
    "RE-2024-000003;XX;10000002;07.03.2024;12,3x;EUR;Brief;",  # Belegart + Betrag type (row 4)
]
CONTACTS = [
    '{"contact_id": "CRM-0000001", "salutation": "Herr", "title": null, "first_name": "Max", "last_name": "Muster", "email": "max@example.org", "phone": null, "mobile": "0170 1", "street": "Hauptstraße", "house_number": "1", "postal_code": "01067", "city": "Dresden", "country": "DE", "birth_date": "1980-02-01", "erp_customer_no": "10000001", "preferred_channel": "email", "created": "2024-03-05T14:22:10+01:00", "updated": "2024-03-05T14:22:10+01:00"}',
    '{"contact_id": "CRM-0000002", "last_name": "Beispiel", "created": "2024-03-05T14:22:10+01:00"',  # malformed (row 2)
]
CONSENT = """[
{"event_id": "CE-00000001", "contact_id": "CRM-0000001", "purpose": "marketing", "channel": "email", "status": "granted", "timestamp": "2024-03-05T14:22:10+01:00", "method": "double_opt_in", "text_version": "DS-2023-02"},
{"event_id": "CE-00000002", "contact_id": "CRM-0000001", "purpose": "marketing", "channel": "telepathy", "status": "granted", "timestamp": "2024-03-05T14:22:10+01:00", "method": "web_form", "text_version": null}
]"""
ACCOUNTS = [
    '{"account_id": "S-000001", "type": "registered", "email": "max@example.org", "email_verified": true, "first_name": "Max", "last_name": "Muster", "phone": null, "birth_date": "1980-02-01", "address": {"street": "Hauptstr. 1", "zip": "01067", "city": "Dresden", "country": "DE"}, "bonus_card_number": "2760000000001", "created_at": "2024-03-05T13:22:10Z", "updated_at": "2024-03-05T13:22:10Z", "loyalty_tier": "gold"}',
    '{"account_id": "G-000002", "type": "guest", "email": "gast@example.org", "email_verified": false, "first_name": "Gast", "last_name": "Kunde", "phone": null, "birth_date": null, "address": {"street": "Weg 2", "zip": "10115", "city": "Berlin", "country": "DE"}, "bonus_card_number": null, "created_at": "2024-03-05T13:22:10Z", "updated_at": "2024-03-05T13:22:10Z"}',
]
ORDERS = [
    '{"order_id": "O-0000001", "account_id": "S-000001", "ordered_at": "2024-03-05T13:22:10Z", "status": "completed", "channel": "web", "currency": "EUR", "total": 129.95, "items": [{"sku": "A1", "product_model": "KM-200", "name": "x", "quantity": 1, "unit_price": 129.95}]}',
    '{"order_id": "O-0000002", "account_id": "S-000001", "ordered_at": "2024-03-06T13:22:10Z", "status": "returned", "channel": "app", "currency": "EUR", "total": 20.0, "items": []}',
]
NEWSLETTER = [
    '{"signup_id": "NL-0000001", "account_id": "S-000001", "email": "max@example.org", "action": "subscribe", "timestamp": "2024-03-05T13:22:10Z", "confirmed_at": "2024-03-05T13:30:00Z", "form": "footer"}',
    '{"signup_id": "NL-0000002", "account_id": "G-000002", "email": "gast@example.org", "action": "subscribe", "timestamp": "2024-03-05T13:22:10Z", "confirmed_at": null, "form": "checkout"}',
    '{"signup_id": "NL-0000003", "account_id": "S-000001", "email": "max@example.org", "action": "unsubscribe", "timestamp": "2024-03-07T13:22:10Z", "confirmed_at": null, "form": "account"}',
]
MEMBERS = [
    "card_number,first_name,last_name,birth_date,street,postcode,city,email,phone,enrolled_at,status",
    "2760000000001,Max,Muster,1980-02-01,Hauptstr. 1,01067,Dresden,,,2021-05-01,active",
    "2760000000002,Erika,Beispiel,1985-13-01,Weg 2,10115,Berlin,,,2021-05-01,active",  # bad date (row 2)
]
TRANSACTIONS = [
    "transaction_id,card_number,store_id,transaction_at,amount,points,type",
    "T-1,2760000000001,S01,2024-03-05 10:00:00,19.99,19,purchase",
    "T-2,2760000000001,S01,2024-03-06 10:00:00,5.00,-5,return",
    "T-3,2760000000001,S02,2024-03-07 10:00:00,-3.00,3,purchase",  # negative amount (row 3)
]

#: (file relative to landing, row number, rule) the fixture's bad rows must be quarantined with
EXPECTED_QUARANTINE = {
    ("erp/2024-03-08/kunden_20240308.csv", 2, "Geburtsdatum:type"),
    ("erp/2024-03-08/kunden_20240308.csv", 3, "Nachname:required"),
    ("erp/2024-03-08/kunden_20240308.csv", 4, "Kundennummer:pattern"),
    ("erp/2024-03-08/rechnungen_20240308.csv", 3, "Betrag:min"),
    ("erp/2024-03-08/rechnungen_20240308.csv", 4, "Belegart:allowed"),
    ("erp/2024-03-08/rechnungen_20240308.csv", 4, "Betrag:type"),
    ("crm/2024-03-08/contacts_20240308.jsonl", 2, "row:malformed_json"),
    ("crm/2024-03-08/consent_events_20240308.json", 2, "channel:allowed"),
    ("bonus/2024-03-08/members_20240308.csv", 2, "birth_date:type"),
    ("bonus/2024-03-08/transactions_20240308.csv", 3, "amount:min"),
}


def write_landing(root: Path, day: str = "2024-03-08") -> Path:
    """Write one delivery of all four sources under ``root/landing/<source>/<day>/``."""
    stamp = day.replace("-", "")
    files = {
        f"erp/{day}/kunden_{stamp}.csv": ("\r\n".join(KUNDEN) + "\r\n").encode("cp1252"),
        f"erp/{day}/rechnungen_{stamp}.csv": ("\r\n".join(RECHNUNGEN) + "\r\n").encode("cp1252"),
        f"crm/{day}/contacts_{stamp}.jsonl": ("\n".join(CONTACTS) + "\n").encode(),
        f"crm/{day}/consent_events_{stamp}.json": CONSENT.encode(),
        f"shop/{day}/accounts_{stamp}.jsonl": ("\n".join(ACCOUNTS) + "\n").encode(),
        f"shop/{day}/orders_{stamp}.jsonl": ("\n".join(ORDERS) + "\n").encode(),
        f"shop/{day}/newsletter_{stamp}.jsonl": ("\n".join(NEWSLETTER) + "\n").encode(),
        f"bonus/{day}/members_{stamp}.csv": ("\n".join(MEMBERS) + "\n").encode(),
        f"bonus/{day}/transactions_{stamp}.csv": ("\n".join(TRANSACTIONS) + "\n").encode(),
    }
    for rel, data in files.items():
        p = root / "landing" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root / "landing"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(data_dir=tmp_path / "data")
    s.ingest.ge_sample_rows = 1000
    return s


@pytest.fixture
def landing(settings: Settings) -> Path:
    return write_landing(settings.paths.root)
