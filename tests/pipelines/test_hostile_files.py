"""Files that used to break a source or slip through (issue 15, class 1): each one ends in the
load log, its bad rows quarantined with the row named, and the rest of the source loads."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from cdp.config import Settings
from cdp.lake import read_table
from dagster_project.partitions import landing_dates
from pipelines.ingest import FAILED, LOADED, ingest, read_load_log
from tests.pipelines.conftest import ERP_HEADER, KUNDEN, RECHNUNGEN

MEMBERS_HEADER = "card_number,first_name,last_name,birth_date,street,postcode,city,email,phone,enrolled_at,status"
MEMBER = "2760000000{n:03d},Max,Muster,1980-02-01,Hauptstr. 1,01067,Dresden,,,2021-05-01,active"
CONTACT = ('{{"contact_id": "CRM-{n:07d}", "last_name": null, "created": "2024-03-05T14:22:10+01:00", '
           '"surprise": "x"}}')


def _w(p: Path, data: bytes) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)


def _erp(lines: list[str], end: str = "\r\n") -> bytes:
    return ("\r\n".join(lines) + end).encode("cp1252")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Settings, object]:
    root = tmp_path_factory.mktemp("hostile")
    s = Settings(data_dir=root / "data")
    s.ingest.ge_sample_rows = 1000
    s.ingest.max_field_length = 200
    land = s.paths.landing
    day = land / "erp" / "2024-03-08"
    stray = KUNDEN[1].replace("10000001", "10000007").replace(";Max;", ';"Max;')
    _w(day / "kunden_20240308.csv", _erp([ERP_HEADER, KUNDEN[1], stray, KUNDEN[1].replace("10000001", "10000008")]))
    # cut inside a quoted last field: no closing quote, no line break
    _w(day / "rechnungen_20240308.csv",
       _erp([RECHNUNGEN[0], RECHNUNGEN[1], 'RE-2024-000009;RE;10000001;05.03.2024;1,00;EUR;Filiale;"KM-2'], end=""))
    # cut inside an unquoted last field
    _w(land / "erp" / "2024-03-09" / "rechnungen_20240309.csv",
       _erp([RECHNUNGEN[0], RECHNUNGEN[1], "RE-2024-000010;RE;10000001;05.03.2024;1,00;EUR;Fil"], end=""))
    # a trailing blank line, one short row, one oversized name
    big = MEMBER.format(n=3).replace(",Max,", "," + "M" * 5000 + ",")
    _w(land / "bonus" / "2024-03-08" / "members_20240308.csv",
       (MEMBERS_HEADER + "\n" + MEMBER.format(n=1) + "\n" + MEMBER.format(n=2).removesuffix(",active")
        + "\n" + big + "\n\n").encode())
    # a required key null in every row, plus a key the contract does not know
    _w(land / "crm" / "2024-03-08" / "contacts_20240308.jsonl",
       "\n".join(CONTACT.format(n=i) for i in (1, 2)).encode() + b"\n")
    # two empty files in one delivery
    _w(land / "shop" / "2024-03-08" / "orders_20240308.jsonl", b"")
    _w(land / "shop" / "2024-03-08" / "newsletter_20240308.jsonl", b"")
    # a dangling symlink, a symlinked delivery folder, odd names and impossible folder dates
    os.symlink(root / "nowhere.jsonl", land / "crm" / "2024-03-08" / "interactions_20240308.jsonl")
    elsewhere = root / "elsewhere"
    _w(elsewhere / "members_20240310.csv", (MEMBERS_HEADER + "\n" + MEMBER.format(n=5) + "\n").encode())
    os.symlink(elsewhere, land / "bonus" / "2024-03-10")
    _w(day / "..\\..\\kunden_20240308.csv", _erp([ERP_HEADER, KUNDEN[1]]))
    _w(land / "erp" / "..2024-04-26" / "kunden_20240426.csv", _erp([ERP_HEADER, KUNDEN[1]]))
    _w(land / "erp" / "2019-12-31" / "kunden_20191231.csv", _erp([ERP_HEADER, KUNDEN[1]]))
    _w(land / "erp" / "2025-02-30" / "kunden_20250230.csv", _erp([ERP_HEADER, KUNDEN[1]]))
    report = ingest(s)
    return s, report


def _file(report, rel: str):
    got = [f for f in report.files if f.file == rel]
    assert got, (rel, [f.file for f in report.files])
    return got[-1]


def _quarantine(s: Settings, rel: str) -> pl.DataFrame:
    return read_table(s.paths.quarantine).collect().filter(pl.col("_source_file") == rel)


def test_null_required_key_plus_unknown_key_quarantines_rows_not_the_source(hostile):
    s, report = hostile
    f = _file(report, "crm/2024-03-08/contacts_20240308.jsonl")
    assert f.status == LOADED and f.rows_read == 2 and f.rows_quarantined == 2
    q = _quarantine(s, f.file)
    assert all("last_name:required" in r for r in q["_failed_rules"])
    assert any("surprise" in w for w in f.warnings)  # schema drift reported


def test_stray_quote_quarantines_only_its_row_named(hostile):
    s, report = hostile
    f = _file(report, "erp/2024-03-08/kunden_20240308.csv")
    assert f.status == LOADED and f.rows_read == 3 and f.rows_staged == 2 and f.rows_quarantined == 1
    q = _quarantine(s, f.file)
    assert q["_row_number"].to_list() == [2]
    assert "row:quote" in q["_failed_rules"][0]
    assert "kunden_20240308.csv row 2" in q["_reason"][0]


@pytest.mark.parametrize("rel", ["erp/2024-03-08/rechnungen_20240308.csv", "erp/2024-03-09/rechnungen_20240309.csv"])
def test_file_cut_inside_its_last_field_is_not_staged_complete(hostile, rel):
    s, report = hostile
    f = _file(report, rel)
    assert f.rows_read == 2 and f.rows_staged == 1 and f.rows_quarantined == 1
    q = _quarantine(s, rel)
    assert q["_row_number"].to_list() == [2] and "row:truncated" in q["_failed_rules"][0]


def test_trailing_blank_line_makes_no_record_and_keeps_field_count_rule(hostile):
    s, report = hostile
    f = _file(report, "bonus/2024-03-08/members_20240308.csv")
    assert f.rows_read == 3  # three records, the blank line is none
    q = _quarantine(s, f.file).sort("_row_number")
    assert q["_row_number"].to_list() == [2, 3]
    assert "row:field_count" in q["_failed_rules"][0]
    assert "first_name:max_length" in q["_failed_rules"][1]  # the 5,000-character name
    assert "M" * 100 not in q["_reason"][1]


def test_two_empty_files_in_one_delivery_are_both_recorded_empty(hostile):
    _, report = hostile
    for rel in ("shop/2024-03-08/orders_20240308.jsonl", "shop/2024-03-08/newsletter_20240308.jsonl"):
        f = _file(report, rel)
        assert f.status == LOADED and f.rows_read == 0, (rel, f.status, f.message)
        assert any("empty file" in w for w in f.warnings)


@pytest.mark.parametrize(("rel", "rule"), [
    ("crm/2024-03-08/interactions_20240308.jsonl", "file:symlink"),
    ("bonus/2024-03-10", "file:symlink"),
    ("erp/2024-03-08/..\\..\\kunden_20240308.csv", "file:name"),
    ("erp/..2024-04-26/kunden_20240426.csv", "file:delivery_folder"),
    ("erp/2019-12-31/kunden_20191231.csv", "file:delivery_folder"),
    ("erp/2025-02-30/kunden_20250230.csv", "file:delivery_folder"),
])
def test_odd_landing_entries_are_reported_not_ignored(hostile, rel, rule):
    s, report = hostile
    f = _file(report, rel)
    assert f.status == FAILED and rule in f.message and f.load_date is None
    log = read_load_log(s).filter(pl.col("file") == rel)
    assert log.height >= 1 and log["status"][0] == FAILED


def test_impossible_delivery_dates_do_not_reach_the_partitions(hostile):
    s, _ = hostile
    assert landing_dates(s.paths.landing) == ["2024-03-08", "2024-03-09"]
