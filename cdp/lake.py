"""One writer for every file: atomic writes (Parquet, streamed Parquet, text, CSV, a DuckDB file
swap) and the lake's Hive-style partitions."""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from cdp.schema import storage_schema, to_storage

log = logging.getLogger(__name__)

TEMP_PREFIX = ".tmp-"
TEMP_SUFFIX = ".partial"


def partition_dir(base: Path, load_date: date | str) -> Path:
    """``<base>/load_date=YYYY-MM-DD``."""
    return Path(base) / f"load_date={load_date}"


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temp path beside ``path`` to write to; renamed onto ``path`` when the block succeeds.

    The one rule for every file the platform writes (Parquet, CSV, JSON, HTML, DuckDB exports):
    written under ``.tmp-<uuid>-<name>.partial`` in the same directory, fsynced, then moved into
    place with one atomic rename. A crash or an exception leaves the previous file untouched and
    at most a temp file (removed on an exception); readers glob ``*.parquet`` / contract globs and
    never see temp names.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex}-{path.name}{TEMP_SUFFIX}")
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


#: Delivery folders dated before this (the first load-date partition) are not deliveries.
FIRST_DELIVERY = date(2020, 1, 1)
_DATE_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}")


def delivery_date(relative_path: str | Path) -> date | None:
    """The delivery (load) date of a landing file ``<source>/<YYYY-MM-DD>/<file>``.

    The one rule, for the ingest, the load log, the Dagster partitions and the landing sensor:
    the folder right below the source, when it is a real ISO date from :data:`FIRST_DELIVERY` to
    tomorrow; else ``None``, and the ingest reports the file (``rule file:delivery_folder``)
    instead of loading it under a guessed date (``2025-02-30``, ``..2025-04-26`` or a date in a
    file name are no delivery folders).
    """
    parts = Path(relative_path).parts
    if len(parts) < 3 or not _DATE_FOLDER.fullmatch(parts[1]):
        return None
    try:
        d = date.fromisoformat(parts[1])
    except ValueError:
        return None
    return d if FIRST_DELIVERY <= d <= datetime.now(UTC).date() + timedelta(days=1) else None


def write_parquet_atomic(df: pl.DataFrame, path: str | Path) -> Path:
    """Write ``df`` to ``path`` (zstd, with statistics) under :func:`atomic_path`'s rule."""
    with atomic_path(path) as tmp:
        to_storage(df).write_parquet(tmp, compression="zstd", statistics=True)
    return Path(path)


def sink_parquet_atomic(lf: pl.LazyFrame, path: str | Path) -> int:
    """Stream ``lf`` into ``path`` in bounded memory, with the same temp-name-and-rename rule.

    Returns:
        The number of rows written.
    """
    with atomic_path(path) as tmp:
        to_storage(lf).sink_parquet(tmp, compression="zstd", statistics=True)
    return pl.scan_parquet(path).select(pl.len()).collect().item()


def write_text_atomic(text: str, path: str | Path) -> Path:
    """Write UTF-8 text (JSON, HTML, a report) to ``path`` under :func:`atomic_path`'s rule."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_csv_atomic(df: pl.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as CSV (header, comma) to ``path`` under :func:`atomic_path`'s rule."""
    with atomic_path(path) as tmp:
        df.write_csv(tmp)
    return Path(path)


def swap_database(built: Path, target: Path) -> None:
    """Move a freshly built DuckDB file onto ``target`` in one rename (readers see the old or
    the new database, never a half-built one).

    A write-ahead log next to ``target`` belongs to the old file and must not be replayed onto
    the new one; a log left by the build itself is empty after its CHECKPOINT.
    """
    wal = target.with_name(target.name + ".wal")
    if wal.exists():
        log.warning("removing stale write-ahead log %s before the swap", wal)
        wal.unlink()
    with open(built, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(built, target)
    built.with_name(built.name + ".wal").unlink(missing_ok=True)


class ParquetStream:
    """Rows appended chunk by chunk to one Parquet file under a temp name; the file appears
    under its final name only on :meth:`commit` (fsync and atomic rename, as :func:`atomic_path`)."""

    def __init__(self, path: Path):
        self.path = path
        self.tmp = path.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex}-{path.name}{TEMP_SUFFIX}")
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, df: pl.DataFrame) -> None:
        """Append ``df`` (cast to the first chunk's schema)."""
        if df.height == 0 and self.writer is not None:
            return
        t = df.to_arrow(compat_level=pl.CompatLevel.oldest())
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.tmp, t.schema, compression="zstd")
        else:
            t = t.cast(self.writer.schema)
        self.writer.write_table(t)
        self.rows += df.height

    def commit(self) -> Path | None:
        """Close and rename into place (None when nothing was written)."""
        if self.writer is None:
            return None
        self.writer.close()
        self.writer = None
        with open(self.tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop what was written so far."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self.tmp.unlink(missing_ok=True)


def remove_stale_temps(path: Path) -> None:
    """Temp files a crashed earlier write of ``path`` left next to it."""
    if path.parent.is_dir():
        for p in path.parent.glob(f"{TEMP_PREFIX}*-{path.name}{TEMP_SUFFIX}"):
            p.unlink(missing_ok=True)


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
    lf = pl.scan_parquet(files, hive_partitioning=False, missing_columns="insert",
                         extra_columns="ignore" if schema is not None else "raise",
                         schema=storage_schema(schema) if schema is not None else None)
    # enums are stored as strings (cdp.schema.to_storage): typed again on the way in
    enums = {n: t for n, t in (schema or {}).items() if isinstance(t, pl.Enum)}
    return lf.with_columns(pl.col(n).cast(t) for n, t in enums.items()) if enums else lf
