"""Withdrawals that always win at ingestion (issue 15, class 3): a harmless spelling is
normalised and staged; one that cannot be read reaches the DPO as a finding."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl

from cdp.lake import read_table
from pipelines.ingest import ingest

EVENTS = """[
{"event_id": "CE-00000001", "contact_id": "CRM-0000001", "purpose": "marketing", "channel": "EMAIL", "status": "Withdrawn", "timestamp": "2024-03-05T14:22:10", "method": "web_form", "text_version": null},
{"event_id": "CE-00000002", "contact_id": "CRM-0000002", "purpose": "marketing", "channel": "email", "status": "withdrawn", "timestamp": "unbekannt", "method": "web_form", "text_version": null},
{"event_id": "CE-00000003", "contact_id": "CRM-0000003", "purpose": "marketing", "channel": "email", "status": "granted", "timestamp": "gestern", "method": "web_form", "text_version": null},
{"event_id": "CE-00000004", "contact_id": "CRM-0000004", "purpose": "marketing", "channel": "email", "status": "withdrawn", "timestamp": "2024-03-05T14:22:10Z", "method": "web_form", "text_version": null}
]"""


def test_withdrawals_are_normalised_staged_or_reported_to_the_dpo(settings):
    day = settings.paths.landing / "crm" / "2024-03-08"
    day.mkdir(parents=True)
    (day / "consent_events_20240308.json").write_text(EVENTS)
    report = ingest(settings)
    f = report.files[0]
    staged = read_table(settings.paths.staged / "crm" / "consent_events").collect().sort("_row_number")
    # no offset (read in the contract's time zone, UTC) and upper-case spellings: honoured
    first = staged.filter(pl.col("event_id") == "CE-00000001").row(0, named=True)
    assert first["channel"] == "email" and first["status"] == "withdrawn"
    assert first["timestamp"] == datetime(2024, 3, 5, 14, 22, 10, tzinfo=UTC)
    assert staged["event_id"].to_list() == ["CE-00000001", "CE-00000004"]
    # an unreadable withdrawal is not silently lost: a finding for the DPO, file + row + rule
    doc = json.loads((settings.paths.reports / "dpo" / f"{f.load_id}.json").read_text())
    assert doc["file"] == "crm/2024-03-08/consent_events_20240308.json"
    assert [(x["row"], x["finding"]) for x in doc["findings"]] == [(2, "withdrawal_quarantined")]
    assert "timestamp:type" in doc["findings"][0]["rules"]
    assert "unbekannt" not in json.dumps(doc) and "CRM-0000002" not in json.dumps(doc)
    assert any("data protection officer" in w for w in f.warnings)
