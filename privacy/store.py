"""The files of ``data/privacy/``: tombstones, restrictions, erasures, consent proof, audit log.

| file | grain | personal data |
|---|---|---|
| ``tombstones.parquet`` | one row per erased identifier (kind, keyed hash, reason: erasure or retention) | hashes only |
| ``consent_proof.parquet`` | one row per consent event of an erased person | no identifiers |
| ``erasures.parquet`` | one row per erased customer id (exports' suppression list) | internal id only |
| ``restrictions.parquet`` | one row per restricted person record (current customer id) | record keys |
| ``audit_log.jsonl`` | one JSON line per data-protection action, append-only | ids, never values |
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from cdp.config import Settings
from cdp.lake import write_parquet_atomic
from cdp.schema import schema
from privacy.identifiers import REASON_ERASURE, TOMBSTONE

RESTRICTION = schema({
    "record_key": pl.String,
    "customer_id": pl.String,  # refreshed from identity_link on every profile build
    "reason": pl.String,
    "restricted_at": pl.Datetime("us", "UTC"),
    "actor": pl.String,
})
ERASURE = schema({
    "customer_id": pl.String,
    "tombstone_id": pl.String,
    "erased_at": pl.Datetime("us", "UTC"),
})
CONSENT_PROOF = schema({
    "tombstone_id": pl.String,
    "consent_event_key": pl.String,  # the source system's event id (no person identifier)
    "source_system": pl.String,
    "purpose": pl.String,
    "channel": pl.String,
    "status": pl.String,
    "ts": pl.Datetime("us", "UTC"),
    "method": pl.String,
    "evidence": pl.String,
})


def privacy_file(settings: Settings, name: str) -> Path:
    """``data/privacy/<name>``."""
    return settings.paths.privacy / name


def _read(settings: Settings, name: str, schema: pl.Schema) -> pl.DataFrame:
    p = privacy_file(settings, name)
    if not p.is_file():
        return pl.DataFrame(schema=schema)
    df = pl.read_parquet(p)
    # a column added later (the tombstones' reason) is null in files written before
    return df.with_columns(pl.lit(None).alias(c) for c in schema.names() if c not in df.columns) \
        .cast(schema, strict=False).select(schema.names())


def read_tombstones(settings: Settings) -> pl.DataFrame:
    """All tombstone hashes (empty when nobody was erased and no guest checkout expired); a
    tombstone written before tombstones had a reason is an erasure's."""
    return _read(settings, "tombstones.parquet", TOMBSTONE).with_columns(pl.col("reason").fill_null(REASON_ERASURE))


def read_restrictions(settings: Settings) -> pl.DataFrame:
    """Active restrictions of processing, one row per person record."""
    return _read(settings, "restrictions.parquet", RESTRICTION)


def read_erasures(settings: Settings) -> pl.DataFrame:
    """Erased customer ids."""
    return _read(settings, "erasures.parquet", ERASURE)


def append(settings: Settings, name: str, schema: pl.Schema, rows: pl.DataFrame) -> None:
    """Append rows to one privacy Parquet file (rewritten atomically)."""
    old = _read(settings, name, schema)
    write_parquet_atomic(pl.concat([old, rows.select(schema.names()).cast(schema)]),
                         privacy_file(settings, name))


def replace(settings: Settings, name: str, rows: pl.DataFrame) -> None:
    """Replace one privacy Parquet file atomically."""
    write_parquet_atomic(rows, privacy_file(settings, name))


def actor_name(actor: str | None) -> str:
    """The ``--actor`` given, else the OS user."""
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in some containers
        return f"uid:{os.getuid()}"


def audit(settings: Settings, action: str, subject: str | None, reason: str | None,
          actor: str | None = None, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Append one entry to ``data/privacy/audit_log.jsonl`` (append-only, fsynced).

    Args:
        action: ``sar``, ``forget``, ``restrict``, ``lift_restriction``, ``override`` ...
        subject: the customer id(s) or record keys acted on (never names, e-mails or phones).
        reason: why (the request reference, legal ground).
        actor: who; default the OS user.
        details: counts and file names (no personal data).
    """
    entry = {"at": datetime.now(UTC).isoformat(), "actor": actor_name(actor), "action": action,
             "subject": subject, "reason": reason, "details": details or {}}
    path = privacy_file(settings, "audit_log.jsonl")
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def read_audit_log(settings: Settings) -> list[dict[str, Any]]:
    """Every audit entry, oldest first."""
    path = privacy_file(settings, "audit_log.jsonl")
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
