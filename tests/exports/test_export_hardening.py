"""Exports that cannot be turned against their reader or the customer (issue 15, classes 3 and 6):
no formula in a CSV cell; no audience from a database that misses a staged withdrawal."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import duckdb
import polars as pl
import pytest

from cdp.lake import write_parquet_atomic
from exports.agent_views import export_agent_views
from exports.audience import export_audience

HOSTILE = {"first_name": "=HYPERLINK(\"http://x.test\",\"y\")", "last_name": "+1+1", "email": "@SUM(A1)"}


def _cells(path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [c for row in csv.reader(fh) for c in row]


def test_csv_cells_that_would_be_formulas_are_escaped(fresh):
    with duckdb.connect(str(fresh.paths.duckdb)) as con:
        for table in ("customer", "agent_profile"):  # the audience reads customer, the agent views agent_profile
            con.execute(f"UPDATE {table} SET first_name = ?, last_name = ?, email = ? "
                        "WHERE customer_id = 'C000000002'", list(HOSTILE.values()))
            con.execute(f"UPDATE {table} SET last_name = ? WHERE customer_id = 'C000000001'", ["-2\tx"])
    export_agent_views(fresh, fmt="csv")
    audience = export_audience(fresh, "marketing", out=fresh.paths.exports / "a.csv")
    for path in (fresh.paths.exports / "agent_views" / "agent_profile.csv", audience.path):
        cells = _cells(path)
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], path
        assert "'" + HOSTILE["first_name"] in cells, path
    assert "'-2\tx" in _cells(fresh.paths.exports / "agent_views" / "agent_profile.csv")


def _stage_withdrawal(settings, event_id: str, contact_id: str) -> str:
    rel = "crm/2024-06-02/consent_events_20240602.json"
    row = {"event_id": event_id, "contact_id": contact_id, "purpose": "marketing", "channel": "email",
           "contact_point": None, "status": "withdrawn", "timestamp": datetime(2024, 6, 1, 9, tzinfo=UTC), "method": "web_form",
           "text_version": None, "_extra": None, "_source_file": rel, "_row_number": 3,
           "_load_id": "crm-consent_events-20240602-x", "_ingested_at": datetime.now(UTC)}
    path = settings.paths.staged / "crm" / "consent_events" / "load_date=2024-06-02" / "x.parquet"
    write_parquet_atomic(pl.DataFrame([row]), path)
    return rel


def test_an_audience_is_refused_while_a_staged_withdrawal_is_not_in_the_profiles(fresh):
    before = export_audience(fresh, "marketing", out=fresh.paths.exports / "before.csv")
    assert "C000000002" in before.path.read_text()  # Bernd: marketing e-mail granted
    rel = _stage_withdrawal(fresh, "CE-00000099", "CRM-2")  # staged, but the run was blocked after
    with pytest.raises(ValueError, match="withdrawal") as exc:
        export_audience(fresh, "marketing", out=fresh.paths.exports / "after.csv")
    assert rel in str(exc.value) and "row 3" in str(exc.value)
    assert not (fresh.paths.exports / "after.csv").exists()


def test_agent_views_are_refused_while_a_staged_withdrawal_is_not_in_the_profiles(fresh):
    export_agent_views(fresh, fmt="csv")
    rel = _stage_withdrawal(fresh, "CE-00000097", "CRM-2")
    with pytest.raises(ValueError, match="withdrawal") as exc:
        export_agent_views(fresh, fmt="csv")
    assert rel in str(exc.value)


def test_a_withdrawal_of_a_record_the_profiles_do_not_know_does_not_block(fresh):
    _stage_withdrawal(fresh, "CE-00000098", "CRM-NEW")
    assert export_audience(fresh, "marketing", out=fresh.paths.exports / "ok.csv").exported > 0
