"""The load log: one row per landing file the ingest saw (``data/lake/load_log.parquet``).

What happened to a file (:class:`FileResult`), its status (:class:`LoadStatus`), and the one
reader and writer of the log. The canonical build reads it to find the staged files of loaded
deliveries; the Dagster checks and the subject-access export read it for counts and lineage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

import polars as pl

from cdp.config import Settings
from cdp.lake import write_parquet_atomic
from cdp.schema import UTC_TS, schema


class LoadStatus(StrEnum):
    """What the ingest did with one landing file."""

    LOADED = "loaded"
    SKIPPED = "skipped_duplicate"  # the same content was loaded before
    FAILED = "failed"  # rejected whole (unreadable, no contract, above the failed-row limit ...)


LOADED, SKIPPED, FAILED = LoadStatus.LOADED, LoadStatus.SKIPPED, LoadStatus.FAILED

LOAD_LOG = schema({
    "load_id": pl.String,
    "source": pl.String,
    "entity": pl.String,
    "file": pl.String,  # relative to the landing directory
    "content_sha256": pl.String,
    "load_date": pl.Date,  # the delivery date (cdp.lake.delivery_date)
    "rows_read": pl.Int64,
    "rows_staged": pl.Int64,
    "rows_quarantined": pl.Int64,
    "rows_suppressed": pl.Int64,
    "status": pl.String,  # LoadStatus
    "message": pl.String,
    "warnings": pl.List(pl.String),
    "ge_success": pl.Boolean,
    "staged_path": pl.String,  # relative to the data directory
    "quarantine_path": pl.String,
    "report_path": pl.String,
    "started_at": UTC_TS,
    "finished_at": UTC_TS,
})


@dataclass
class FileResult:
    """What happened to one landing file."""

    file: str
    source: str
    entity: str | None
    status: str
    load_id: str | None = None
    content_sha256: str = ""
    load_date: date | None = None
    rows_read: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    rows_suppressed: int = 0
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    ge_success: bool | None = None
    ge_disagreements: list[dict] = field(default_factory=list)
    rule_counts: dict[str, int] = field(default_factory=dict)
    staged_path: str | None = None
    quarantine_path: str | None = None
    report_path: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def reconciles(self) -> bool:
        """Rows read = staged + quarantined + suppressed (for loaded files)."""
        return self.rows_read == self.rows_staged + self.rows_quarantined + self.rows_suppressed


def read_load_log(settings: Settings) -> pl.DataFrame:
    """The load log (empty frame when nothing has been loaded yet)."""
    p = settings.paths.load_log
    if not p.exists():
        return pl.DataFrame(schema=LOAD_LOG)
    return pl.read_parquet(p)


def loaded(log_df: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``log_df`` for files that were loaded (status :data:`LOADED`)."""
    return log_df.filter(pl.col("status") == LOADED)


def newest_loaded_date(settings: Settings) -> date | None:
    """The newest delivery date of a loaded file, or None (no load log, or one without dates)."""
    log_df = read_load_log(settings)
    if "load_date" not in log_df.columns:  # a load log from an older ingest
        return None
    newest = loaded(log_df)["load_date"].max()
    return newest if isinstance(newest, date) else None


def write_load_log(settings: Settings, log_df: pl.DataFrame) -> None:
    """Replace the load log with ``log_df`` (atomically), e.g. after an erasure moved counts."""
    write_parquet_atomic(log_df, settings.paths.load_log)


def append_load_log(settings: Settings, row: FileResult) -> None:
    """Add one file's row to the load log (the whole log is rewritten atomically)."""
    rec = {k: getattr(row, k) for k in LOAD_LOG.names() if hasattr(row, k)}
    rec["entity"] = row.entity
    new = pl.DataFrame([rec], schema=LOAD_LOG)
    write_load_log(settings, pl.concat([read_load_log(settings), new], how="diagonal_relaxed"))
