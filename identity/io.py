"""Reading identity's inputs and earlier outputs; paths of its outputs."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from cdp.config import Settings
from cdp.lake import read_table
from cdp.schema import PERSON_RECORD
from privacy.store import audit

OUTPUTS = ["identity_link", "customer_id_history", "membership", "person_records_std", "edges", "link_evidence",
           "runs"]
OVERRIDE_DECISIONS = {"must_link", "cannot_link"}


def output_path(settings: Settings, name: str) -> Path:
    """``data/lake/identity/<name>.parquet``."""
    return settings.paths.identity / f"{name}.parquet"


def read_output(settings: Settings, name: str) -> pl.DataFrame | None:
    """An earlier identity output, or None before the first run."""
    p = output_path(settings, name)
    return pl.read_parquet(p) if p.exists() else None


def load_person_records(settings: Settings) -> pl.DataFrame:
    """The canonical person records (current state), one row per record_key."""
    df = read_table(settings.paths.canonical_table("person_records"), PERSON_RECORD).collect()
    return df.unique("record_key", keep="last", maintain_order=True)


class OverrideError(ValueError):
    """A steward override file has a row identity cannot use."""


def load_overrides(settings: Settings) -> tuple[pl.DataFrame, pl.DataFrame]:
    """must-link and cannot-link pairs from ``data/overrides/*.csv``.

    Each CSV has a header with at least ``record_a, record_b, decision`` (``must_link`` or
    ``cannot_link``); ``reason``, ``steward``, ``decided_at`` are kept for the audit trail. A later
    file (by name) wins over an earlier one for the same pair.
    """
    rows = []
    for path in sorted(settings.paths.overrides.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = {"record_a", "record_b", "decision"} - set(reader.fieldnames or [])
            if missing:
                raise OverrideError(f"{path}: missing column(s) {sorted(missing)}")
            for i, r in enumerate(reader, start=1):
                dec = (r["decision"] or "").strip().lower()
                a, b = (r["record_a"] or "").strip(), (r["record_b"] or "").strip()
                if dec not in OVERRIDE_DECISIONS:
                    raise OverrideError(f"{path}: row {i}: decision {dec!r} is not must_link/cannot_link")
                if not a or not b or ":" not in a or ":" not in b:
                    raise OverrideError(f"{path}: row {i}: record_a/record_b must be record keys like erp:10004711")
                rows.append((min(a, b), max(a, b), dec, path.name, i))
    df = pl.DataFrame(rows, schema={"record_key_l": pl.String, "record_key_r": pl.String,
                                    "decision": pl.String, "file": pl.String, "row": pl.Int64}, orient="row")
    df = df.unique(["record_key_l", "record_key_r"], keep="last", maintain_order=True)
    must = df.filter(pl.col("decision") == "must_link").select("record_key_l", "record_key_r")
    cannot = df.filter(pl.col("decision") == "cannot_link").select("record_key_l", "record_key_r")
    return must, cannot


#: The file ``cdp identity override`` appends to (read with every other ``*.csv`` there).
STEWARD_FILE = "steward_overrides.csv"
OVERRIDE_HEADER = ["record_a", "record_b", "decision", "reason", "steward", "decided_at"]


def add_override(settings: Settings, record_a: str, record_b: str, decision: str, reason: str,
                 actor: str) -> dict:
    """Append one steward decision to ``data/overrides/steward_overrides.csv``.

    Args:
        decision: ``must_link`` or ``cannot_link`` (``must-link`` / ``cannot-link`` accepted).
        record_a, record_b: record keys like ``erp:10004711``.

    Returns:
        The row written. Raises :class:`OverrideError` for a bad decision, key or empty reason.
    """
    dec = decision.strip().lower().replace("-", "_")
    a, b = record_a.strip(), record_b.strip()
    if dec not in OVERRIDE_DECISIONS:
        raise OverrideError(f"decision {decision!r} is not must-link/cannot-link")
    if ":" not in a or ":" not in b or a == b:
        raise OverrideError("give two different record keys like erp:10004711 crm:CRM-0000001")
    if not reason.strip():
        raise OverrideError("--reason must say why (it is kept for the audit trail)")
    row = {"record_a": a, "record_b": b, "decision": dec, "reason": reason.strip(), "steward": actor,
           "decided_at": datetime.now(UTC).isoformat(timespec="seconds")}
    path = settings.paths.overrides / STEWARD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    with path.open("a", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=OVERRIDE_HEADER)
        if new:
            w.writeheader()
        w.writerow(row)

    audit(settings, "override", f"{a} {b}", row["reason"], actor=actor or None,
          details={"decision": dec, "file": path.name})
    return row


def list_overrides(settings: Settings) -> list[dict]:
    """Every steward decision in ``data/overrides/*.csv`` in file order, with ``file`` and ``row``."""
    out = []
    for path in sorted(settings.paths.overrides.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for i, r in enumerate(csv.DictReader(fh), start=1):
                out.append({**{k: (r.get(k) or "") for k in OVERRIDE_HEADER}, "file": path.name, "row": i})
    return out
