"""Messages name file, row, column and rule, never a value (issue 15, class 4): load-log
messages and warnings, the ingest reports (HTML, GE JSON) and the log lines of a run over
files that fail in every way we know."""

from __future__ import annotations

import logging

import pytest

from pipelines.ingest import ingest, read_load_log
from tests.pipelines.conftest import KUNDEN, write_landing

#: personal values of the fixture and the hostile files below: none may appear in a message
VALUES = ["max@example.org", "Muster", "Beispiel", "1980-02-01", "01.02.1980", "1980-02-01T", "0351 123",
          "Hauptstraße", "geheim@example.org", "Geheimname", "leak@example.org", "Kopflos", "1985-13-01"]


@pytest.fixture
def hostile(settings):
    write_landing(settings.paths.root)
    land = settings.paths.landing
    day = land / "crm" / "2024-03-09"
    day.mkdir(parents=True)
    # a JSON array cut in the middle of a personal value
    (day / "consent_events_20240309.json").write_text(
        '[{"event_id": "CE-00000009", "contact_id": "geheim@example.org", "purpose": "marketing", "chan')
    # a CSV without its header line: its first record would be read as column names
    erp = land / "erp" / "2024-03-09"
    erp.mkdir(parents=True)
    headless = [KUNDEN[1].replace("Max;Muster", "Kopflos;Geheimname")] + KUNDEN[1:]
    (erp / "kunden_20240309.csv").write_bytes(("\r\n".join(headless) + "\r\n").encode("cp1252"))
    # a JSON key that is a personal value
    shop = land / "shop" / "2024-03-09"
    shop.mkdir(parents=True)
    (shop / "accounts_20240309.jsonl").write_text(
        '{"account_id": "S-000009", "type": "registered", "email": "x@example.org", "last_name": "X", '
        '"created_at": "2024-03-05T13:22:10Z", "leak@example.org": true}\n')
    return settings


def test_no_personal_value_in_any_message_or_report(hostile, caplog):
    settings = hostile
    with caplog.at_level(logging.DEBUG):
        report = ingest(settings)
    texts = {f"log: {r.getMessage()}" for r in caplog.records}
    for f in report.files:
        texts.add(f"message {f.file}: {f.message}")
        texts |= {f"warning {f.file}: {w}" for w in f.warnings}
    ll = read_load_log(settings)
    texts |= {f"load_log: {m}" for m in ll["message"].to_list()}
    texts |= {f"load_log warning: {w}" for ws in ll["warnings"].to_list() for w in (ws or [])}
    for p in (settings.paths.reports).rglob("*"):
        if p.is_file():
            texts.add(f"{p.name}: {p.read_text(encoding='utf-8')}")
    leaks = [(v, t[:160]) for t in texts for v in VALUES if v in t]
    assert not leaks, "\n".join(f"{v} in {t}" for v, t in leaks)
    failed = {f.file for f in report.failed}
    assert {"crm/2024-03-09/consent_events_20240309.json", "erp/2024-03-09/kunden_20240309.csv"} <= failed
    msg = next(f.message for f in report.failed if f.file.endswith("kunden_20240309.csv"))
    assert "rule file:header" in msg or "rule " in msg
