"""Read the numbers the assets report (row counts, churn, truth) from the stages' output files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from cdp.config import Settings

_FILE_COUNTS = {"file": pl.String, "load_date": pl.String, "rows_read": pl.Int64,
                "rows_staged": pl.Int64, "rows_quarantined": pl.Int64}


def entity_files(settings: Settings, source: str, entity: str, load_dates: list[str] | None) -> pl.DataFrame:
    """One row per delivered file of ``source/entity`` (in ``load_dates`` when given), from the load log.

    Columns: ``file, load_date, rows_read, rows_staged, rows_quarantined``.
    """
    path = settings.paths.load_log
    if not path.is_file():
        return pl.DataFrame(schema=_FILE_COUNTS)
    log = pl.read_parquet(path)
    df = log.filter((pl.col("source_system") == source) & (pl.col("entity") == entity))
    df = df.with_columns(pl.col("load_date").cast(pl.String))
    if load_dates is not None:
        df = df.filter(pl.col("load_date").is_in(load_dates))
    # A file re-delivered or re-ingested counts once: its latest load.
    df = df.unique("file", keep="last", maintain_order=True)
    return df.select([pl.col(c).cast(t) for c, t in _FILE_COUNTS.items()])


def identity_outputs(settings: Settings) -> dict[str, pl.DataFrame]:
    """The ``identity_link`` and ``customer_id_history`` frames identity wrote."""
    d = settings.paths.identity
    hist_path = d / "customer_id_history.parquet"
    return {
        "identity_link": pl.read_parquet(d / "identity_link.parquet"),
        "customer_id_history": pl.read_parquet(hist_path) if hist_path.is_file() else pl.DataFrame(),
    }


def identity_truth(settings: Settings) -> pl.DataFrame | None:
    """The simulator's ``identity_truth.parquet`` when present (simulated data only)."""
    path = settings.paths.truth / "identity_truth.parquet"
    return pl.read_parquet(path) if path.is_file() else None


def export_metadata(result: Any) -> dict[str, Any]:
    """Row count and path metadata from what an export function returned."""
    if isinstance(result, dict):
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in result.items()
                if isinstance(v, (int, float, str, Path))}
    if isinstance(result, Path):
        return {"path": str(result)}
    return {}
