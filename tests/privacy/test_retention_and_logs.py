"""Guest retention, and no personal data in the pipeline's console output."""

from __future__ import annotations

import dataclasses
import json

import polars as pl


def _canonical(settings):
    from pipelines.canonical import build_canonical

    build_canonical(settings)
    return pl.read_parquet(settings.paths.canonical_table("person_records") / "person_records.parquet")


def test_old_unlinked_guest_checkouts_are_dropped_linked_ones_kept(install):
    s = install
    link = pl.read_parquet(s.paths.identity / "identity_link.parquet")
    before = _canonical(s)
    guests = before.filter(pl.col("is_guest")).join(link.select("record_key", "customer_id"), on="record_key")
    registered = link.join(before.filter(~pl.col("is_guest")).select("record_key"), on="record_key")
    linked = guests.filter(pl.col("customer_id").is_in(registered["customer_id"].implode()))
    assert linked.height and guests.height > linked.height
    # five years later every guest checkout is past the shop contract's 730 days
    later = dataclasses.replace(s, privacy=dataclasses.replace(s.privacy, retention_as_of="2031-01-01"))
    after = _canonical(later)
    kept_guests = set(after.filter(pl.col("is_guest"))["record_key"].to_list())
    assert set(linked["record_key"].to_list()) <= kept_guests
    assert kept_guests < set(guests["record_key"].to_list())
    dropped = set(guests["record_key"].to_list()) - kept_guests
    events = pl.read_parquet(later.paths.canonical_table("contact_events") / "contact_events.parquet")
    assert not set(events["person_record_key"].drop_nulls().to_list()) & dropped
    # registered customers are untouched
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
