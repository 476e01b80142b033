"""Read the numbers the assets report (row counts, churn, truth) from the stages' output files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from cdp.config import Settings
from cdp.lake import read_table
from cdp.schema import PERSON_RECORD
from pipelines.load_log import LOADED, SKIPPED, read_load_log
from privacy.retention import expired_records
from privacy.store import read_tombstones

_FILE_COUNTS = {"file": pl.String, "load_date": pl.String, "status": pl.String, "rows_read": pl.Int64,
                "rows_staged": pl.Int64, "rows_quarantined": pl.Int64, "rows_suppressed": pl.Int64,
                "message": pl.String}


def entity_files(settings: Settings, source: str, entity: str, load_dates: list[str] | None) -> pl.DataFrame:
    """One row per delivered file of ``source/entity`` (in ``load_dates`` when given), from the load log.

    A file counts with its latest successful load (a re-run logs it again as a skipped duplicate);
    a file never loaded counts with its latest attempt. Duplicates of an already loaded file are left
    out. Columns: ``file, load_date, status, rows_read, rows_staged, rows_quarantined,
    rows_suppressed, message``.
    """

    log = read_load_log(settings)
    df = log.filter((pl.col("source") == source) & (pl.col("entity") == entity))
    df = df.with_columns(pl.col("load_date").cast(pl.String))
    if load_dates is not None:
        df = df.filter(pl.col("load_date").is_in(load_dates))
    df = (
        df.with_row_index("_order")
        .sort(pl.col("status") == LOADED, "_order")
        .unique("file", keep="last")
        .filter(pl.col("status") != SKIPPED)
        .sort("_order")
    )
    counts = [c for c, t in _FILE_COUNTS.items() if t == pl.Int64]
    return df.select([pl.col(c).cast(t) for c, t in _FILE_COUNTS.items()]).with_columns(pl.col(counts).fill_null(0))


def identity_outputs(settings: Settings) -> dict[str, pl.DataFrame]:
    """The ``identity_link`` and ``customer_id_history`` frames identity wrote."""
    d = settings.paths.identity
    hist_path = d / "customer_id_history.parquet"
    return {
        "identity_link": pl.read_parquet(d / "identity_link.parquet"),
        "customer_id_history": pl.read_parquet(hist_path) if hist_path.is_file() else pl.DataFrame(),
    }


def profiled_links(settings: Settings) -> pl.DataFrame:
    """The identity links the profile database holds: identity's, without the guest checkouts
    this run's retention step tombstoned (the profile build leaves them out)."""
    link = identity_outputs(settings)["identity_link"]
    records = read_table(settings.paths.canonical_table("person_records"), PERSON_RECORD)
    guests = records.filter(pl.col("is_guest").fill_null(False)).select("record_key", "is_guest").collect()
    expired = expired_records(settings, guests, read_tombstones(settings))
    return link.filter(~pl.col("record_key").is_in(expired.implode()))


def guest_keys(settings: Settings) -> pl.Series:
    """``record_key`` of every guest-checkout person record in the canonical layer."""
    records = read_table(settings.paths.canonical_table("person_records"), PERSON_RECORD)
    return records.filter(pl.col("is_guest").fill_null(False)).select("record_key").collect().to_series()


def identity_truth(settings: Settings) -> pl.DataFrame | None:
    """The simulator's ``identity_truth.parquet`` when present (simulated data only)."""
    path = settings.paths.truth / "identity_truth.parquet"
    return pl.read_parquet(path) if path.is_file() else None


def export_metadata(path: Path) -> dict[str, Any]:
    """Path and row count of an export file, from the manifest written next to it."""
    meta: dict[str, Any] = {"path": str(path)}
    manifest = Path(path).parent / "manifest.json"
    if manifest.is_file():
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        if doc.get("file") == Path(path).name and isinstance(doc.get("row_count"), int):
            meta["dagster/row_count"] = doc["row_count"]
    return meta


def duplicate_deliveries(settings: Settings, source: str, entity: str,
                         load_dates: list[str] | None) -> list[str]:
    """Files of ``source/entity`` skipped because a file with the same content was loaded before.

    A delivery sent twice under another name (``rechnungen_…_copy.csv``); re-reading a file that
    was itself loaded earlier is not counted. Returns the duplicates' landing paths.
    """
    log = read_load_log(settings)
    if log.is_empty():
        return []
    log = log.with_columns(pl.col("load_date").cast(pl.String))
    originals = log.filter((pl.col("status") == LOADED) & (pl.col("source") == source))
    mine = originals.filter(pl.col("entity") == entity).select("content_sha256", original=pl.col("file")).unique()
    skipped = log.filter((pl.col("status") == SKIPPED) & (pl.col("source") == source))
    if load_dates is not None:
        skipped = skipped.filter(pl.col("load_date").is_in(load_dates))
    dupes = skipped.join(mine, on="content_sha256").filter(pl.col("file") != pl.col("original"))
    return sorted(set(dupes["file"].to_list()))
