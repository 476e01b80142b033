"""One writer for the lake: atomic Parquet writes under Hive-style partitions."""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path

import polars as pl


def partition_dir(base: Path, load_date: date | str) -> Path:
    """``<base>/load_date=YYYY-MM-DD``."""
    return Path(base) / f"load_date={load_date}"


def write_parquet_atomic(df: pl.DataFrame, path: str | Path) -> Path:
    """Write ``df`` to ``path`` via a temp name in the same directory and an atomic rename.

    A crash mid-write leaves at most a ``.tmp-*`` file, never a partial Parquet under the
    final name; readers glob ``*.parquet`` and never see temp files.
    """
    _atomic(Path(path), lambda tmp: df.write_parquet(tmp, compression="zstd", statistics=True))
    return Path(path)


def sink_parquet_atomic(lf: pl.LazyFrame, path: str | Path) -> int:
    """Stream ``lf`` into ``path`` in bounded memory, with the same temp-name-and-rename rule.

    Returns:
        The number of rows written.
    """
    _atomic(Path(path), lambda tmp: lf.sink_parquet(tmp, compression="zstd", statistics=True))
    return pl.scan_parquet(path).select(pl.len()).collect().item()


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` with the same temp-name-and-rename rule."""
    _atomic(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return Path(path)


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}.partial")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def read_table(directory: str | Path, schema: pl.Schema | None = None) -> pl.LazyFrame:
    """Scan every Parquet file under ``directory`` (recursively, Hive partitions included).

    Returns an empty frame of ``schema`` when nothing has been written yet.
    """
    directory = Path(directory)
    files = sorted(p for p in directory.rglob("*.parquet") if not p.name.startswith("."))
    if not files:
        if schema is None:
            raise FileNotFoundError(f"no Parquet files under {directory}")
        return pl.DataFrame(schema=schema).lazy()
    return pl.scan_parquet(files, hive_partitioning=False, missing_columns="insert",
                           extra_columns="ignore" if schema is not None else "raise",
                           schema=schema)
