"""Guest retention, and no personal data in the pipeline's console output."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta

import duckdb
import polars as pl

from dagster_project.run import run_pipeline
from privacy.store import read_tombstones


def _db(settings, sql):
    con = duckdb.connect(str(settings.paths.duckdb), read_only=True)
    try:
        return {r[0] for r in con.execute(sql).fetchall()}
    finally:
        con.close()


def _canonical(settings, table="person_records"):
    return pl.read_parquet(settings.paths.canonical_table(table) / f"{table}.parquet")


def test_old_unlinked_guest_checkouts_expire_after_identity_and_stay_out(install):
    """The retention step runs after identity on this run's links and writes tombstones: the
    profiles of the same run leave the expired guests out, the next canonical build drops them,
    and a delivery that brings them again is suppressed at ingestion."""
    s = install
    link = pl.read_parquet(s.paths.identity / "identity_link.parquet")
    before = _canonical(s)
    guests = before.filter(pl.col("is_guest")).join(link.select("record_key", "customer_id"), on="record_key")
    registered = link.join(before.filter(~pl.col("is_guest")).select("record_key"), on="record_key")
    linked = guests.filter(pl.col("customer_id").is_in(registered["customer_id"].implode()))
    assert linked.height and guests.height > linked.height
    # five years later every guest checkout is past the shop contract's 730 days
    later = dataclasses.replace(s, privacy=dataclasses.replace(s.privacy, retention_as_of="2031-01-01"))
    run = run_pipeline(later, echo=lambda _line: None)
    assert run.success, run.failures
    tombstoned = run.metadata("identity/guest_retention")["dagster/row_count"]
    assert 0 < tombstoned <= guests.height - linked.height
    assert run.check("profiles/customer", "counts_reconcile")["passed"]
    tomb = read_tombstones(s)
    assert tomb.filter(pl.col("reason") == "retention").height == tombstoned
    assert not set(tomb["hash"].to_list()) & set(guests["record_key"].to_list())  # hashes, not keys

    # same run: the canonical layer still has them (built before identity), the profiles do not
    in_profiles = _db(s, "SELECT record_key FROM identity_link")
    kept_guests = in_profiles & set(guests["record_key"].to_list())
    dropped = set(guests["record_key"].to_list()) - kept_guests
    assert len(dropped) == tombstoned and set(linked["record_key"].to_list()) <= kept_guests
    assert dropped <= set(_canonical(s)["record_key"].to_list())
    assert not dropped & _db(s, "SELECT person_record_key FROM contact_history WHERE person_record_key IS NOT NULL")
    assert not dropped & _db(s, "SELECT person_record_key FROM consent_event WHERE person_record_key IS NOT NULL")
    # registered customers are untouched
    assert _db(s, "SELECT record_key FROM identity_link") >= set(registered["record_key"].to_list())

    # the shop delivers its accounts again (a full export, one byte different): suppressed
    old = sorted((s.paths.landing / "shop").rglob("accounts_*.jsonl"))[-1]
    day = date.fromisoformat(old.parent.name) + timedelta(days=1)
    again = s.paths.landing / "shop" / day.isoformat() / f"accounts_{day:%Y%m%d}.jsonl"
    again.parent.mkdir(parents=True)
    again.write_bytes(old.read_bytes() + b"\n")
    run = run_pipeline(later, echo=lambda _line: None)
    assert run.success, run.failures
    assert run.metadata("identity/guest_retention")["dagster/row_count"] == 0  # nothing new expired
    ll = pl.read_parquet(s.paths.load_log).filter(pl.col("file") == again.relative_to(s.paths.landing).as_posix())
    assert ll["status"].to_list() == ["loaded"] and ll["rows_suppressed"].item() >= len(dropped)
    after = _canonical(later)
    assert not dropped & set(after["record_key"].to_list())
    events = _canonical(later, "contact_events")
    assert not set(events["person_record_key"].drop_nulls().to_list()) & dropped
    assert not dropped & _db(s, "SELECT record_key FROM identity_link")
    assert after.filter(~pl.col("is_guest")).height == before.filter(~pl.col("is_guest")).height


def test_pipeline_console_output_has_no_names_or_emails(base_install):
    data_dir, output = base_install
    persons = pl.read_parquet(data_dir / "truth" / "persons.parquet")
    name_cols = [c for c in persons.columns if c in ("first_name", "last_name")]
    assert len(name_cols) == 2
    full = {f"{a} {b}" for a, b in persons.select(name_cols).iter_rows() if a and b}
    emails = {e for c in persons.columns if "email" in c for e in persons[c].drop_nulls().to_list()
              if isinstance(e, str)}
    accounts = [line for p in (data_dir / "landing" / "shop").rglob("accounts_*.jsonl")
                for line in p.read_text(encoding="utf-8", errors="replace").splitlines()]
    for line in accounts:
        try:
            emails.add(json.loads(line)["email"])
        except (ValueError, KeyError, TypeError):
            continue
    emails.discard(None)
    assert len(full) > 100 and len(emails) > 100
    # the terminal and the log file that holds the libraries' output (Splink, GE, Dagster)
    logs = sorted((data_dir / "logs").glob("cdp-run-*.log"))
    assert logs, "cdp run wrote no log file"
    low = (output + "".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)).lower()
    assert "profile database" in low  # the run's summary was captured
    assert not [n for n in full if n.lower() in low]
    assert not [e for e in emails if e and e.lower() in low]
