"""Standardise staged rows into the canonical tables (person records, contact and consent events).

Grain: one row per source record (``person_records``: per record key; events: per event key),
in its current state: of all deliveries of a record id, the newest delivery folder wins (ties:
the later load, then the later row). The mapping of source fields onto the canonical columns is
data, in each contract's ``canonical:`` section; this module only interprets it.

Bounded memory: the newest-delivery-wins dedupe runs on a narrow frame (key columns, load date,
row number) per entity; the full rows are then streamed from the staged files, filtered to the
winners, mapped, passed through the data-protection filter (lazily) and sunk into each table's
Parquet file. No table is ever held in memory as a whole.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from cdp.config import Settings
from cdp.lake import sink_parquet_atomic
from cdp.schema import CANONICAL_TABLES, conform
from pipelines.contracts import Entity, contracts_of
from pipelines.load_log import LOADED, read_load_log
from pipelines.mapping import ID_COLUMN, map_to_canonical, mapped_expr
from privacy.suppression import filter_canonical

log = logging.getLogger(__name__)

def build_canonical(settings: Settings) -> dict[str, int]:
    """Rebuild ``data/lake/canonical/<table>/<table>.parquet`` from every loaded staged file.

    Returns:
        Row counts per canonical table.
    """
    # Every canonical row passes through ``filter_canonical`` here, between building and
    # writing: person records a tombstone covers (an erased person, an expired guest checkout)
    # and the events whose person_record_key points at them are dropped.
    tables = filter_canonical(settings, current_tables(settings))
    counts = {}
    for name, lf in tables.items():
        counts[name] = sink_parquet_atomic(lf, canonical_path(settings, name))
    log.info("canonical tables rebuilt: %s", counts)
    return counts


def current_tables(settings: Settings) -> dict[str, pl.LazyFrame]:
    """The canonical tables as lazy frames (exact ``cdp.schema`` columns), current state per record.

    The dedupe (newest delivery per primary key, then one row per canonical key) is computed
    eagerly on narrow frames; the returned frames stream the winning staged rows.
    """
    contracts = contracts_of(settings)
    loads = read_load_log(settings).filter(pl.col("status") == LOADED)
    sources: dict[str, list[_Source]] = {t: [] for t in CANONICAL_TABLES}
    for contract in contracts.values():
        for entity in contract.entities:
            if not entity.canonical:
                continue
            files = staged_files(settings, entity, loads)
            if not files:
                continue
            for table, mapping in entity.canonical.items():
                sources[table].append(_Source(entity, mapping, files))
    out = {}
    for table, schema in CANONICAL_TABLES.items():
        frames = [conform(f, schema) for f in _current_frames(table, sources[table])]
        # parallel=False: one source after the other, so a streamed sink never buffers a whole
        # later source while an earlier one is still being written (row order is kept)
        out[table] = pl.concat(frames, how="vertical", parallel=False) if frames \
            else pl.LazyFrame(schema=schema)
    return out


@dataclass(frozen=True)
class _Source:
    entity: Entity
    mapping: dict[str, Any]
    files: list[tuple[Path, Any]]  # (staged file, load date), oldest first


def staged_files(settings: Settings, entity: Entity, loads: pl.DataFrame) -> list[tuple[Path, Any]]:
    """The existing staged files of an entity with their load dates, oldest delivery first."""
    mine = loads.filter((pl.col("source") == entity.source) & (pl.col("entity") == entity.name))
    files = [(settings.paths.root / p, d) for p, d in zip(mine["staged_path"], mine["load_date"], strict=True)
             if p and (settings.paths.root / p).exists()]
    # ties on the load date: the later load (``_ingested_at`` is one value per staged file)
    first = {p: pl.scan_parquet(p).select(pl.col("_ingested_at").min()).collect().item() for p, _ in files}
    return sorted(files, key=lambda f: (f[1], first[f[0]] is not None, first[f[0]]))


def _scan(files: list[tuple[Path, Any]]) -> pl.LazyFrame:
    return pl.concat([pl.scan_parquet(p).with_columns(pl.lit(d).alias("_load_date"),
                                                      pl.lit(i, pl.Int32).alias("_file"))
                      for i, (p, d) in enumerate(files)], how="diagonal_relaxed")


def staged_current(settings: Settings, entity: Entity, loads: pl.DataFrame) -> pl.DataFrame | None:
    """The staged rows of an entity, newest delivery per primary key (None when never loaded)."""
    files = staged_files(settings, entity, loads)
    if not files:
        return None
    df = _scan(files).sort(["_load_date", "_ingested_at", "_row_number"])
    if entity.primary_key:
        df = df.unique(subset=list(entity.primary_key), keep="last", maintain_order=True)
    return df.drop("_file").collect()


def _narrow(src: _Source, table: str) -> pl.LazyFrame:
    """Key columns of every staged row of a source: primary key, canonical id, order, position."""
    idc = ID_COLUMN[table]
    return _scan(src.files).select(
        *[pl.col(c) for c in src.entity.primary_key], "_load_date", "_ingested_at", "_row_number", "_file",
        mapped_expr(src.mapping[idc], CANONICAL_TABLES[table][idc]).cast(pl.String).alias("_id"))


def _all_rows_win(src: _Source, table: str) -> bool:
    """True when every staged row is current: one delivery, unique primary key and id, no null id.

    The common case (a full export per delivery, read once) needs no sort and no winner list:
    one streamed pass of counts.
    """
    if len(src.files) != 1 or not src.entity.primary_key:
        return False
    pk = src.entity.primary_key
    pk_expr = pl.col(pk[0]) if len(pk) == 1 else pl.struct(pk)
    n, n_pk, n_id, nulls = _narrow(src, table).select(
        pl.len().alias("n"), pk_expr.n_unique().alias("pk"), pl.col("_id").n_unique().alias("id"),
        pl.col("_id").null_count().alias("nulls")).collect().row(0)
    return n == n_pk == n_id and nulls == 0


def _winners(src: _Source, table: str, index: int) -> pl.DataFrame:
    """``_entity, _file, _row_number, _key`` of an entity's current rows, in output order."""
    entity = src.entity
    narrow = _narrow(src, table).sort(["_load_date", "_ingested_at", "_row_number"])
    if entity.primary_key:
        narrow = narrow.unique(subset=list(entity.primary_key), keep="last", maintain_order=True)
    prefix = f"{entity.source}:" if table == "person_records" else f"{entity.source}:{entity.name}:"
    return narrow.filter(pl.col("_id").is_not_null()).select(
        pl.lit(index, pl.Int32).alias("_entity"), "_file", "_row_number",
        pl.concat_str([pl.lit(prefix), pl.col("_id")]).alias("_key")).collect()


def _current_frames(table: str, sources: list[_Source]) -> list[pl.LazyFrame]:
    """Lazy mapped frames of every source of one table, filtered to one row per canonical key."""
    rows: list[list[pl.Series | None] | None]
    if table == "person_records" and sources:
        # record keys (``<source>:<id>``) may repeat across entities of one source: the later
        # wins, so the person entities are deduplicated together (a few million narrow rows)
        both = pl.concat([_winners(src, table, i) for i, src in enumerate(sources)]) \
            .unique(subset=["_key"], keep="last", maintain_order=True)
        rows = [_rows_per_file(src, both.filter(pl.col("_entity") == i)) for i, src in enumerate(sources)]
        del both
    else:
        # event keys name their entity, so they are unique across entities already
        rows = [None if _all_rows_win(src, table) else
                _rows_per_file(src, _winners(src, table, 0).unique(subset=["_key"], keep="last",
                                                                    maintain_order=True))
                for src in sources]
    frames = []
    for src, keep in zip(sources, rows, strict=True):
        parts = []
        for i, (p, d) in enumerate(src.files):
            lf = pl.scan_parquet(p)
            winners = keep[i] if keep is not None else None
            if winners is not None and winners.len() == 0:
                continue
            if winners is not None:  # older deliveries and duplicate keys: the winning rows only
                lf = lf.filter(pl.col("_row_number").is_in(winners.implode()))
            parts.append(lf.with_columns(pl.lit(d).alias("_load_date")))
        if parts:
            df = pl.concat(parts, how="diagonal_relaxed", parallel=False)
            frames.append(map_to_canonical(df, src.entity, table, src.mapping))
    return frames


def _rows_per_file(src: _Source, win: pl.DataFrame) -> list[pl.Series | None]:
    """Per staged file: the winning ``_row_number`` values, or None when every row of it wins."""
    out: list[pl.Series | None] = []
    for i, (p, _) in enumerate(src.files):
        rows = win.filter(pl.col("_file") == i)["_row_number"]
        n = pl.scan_parquet(p).select(pl.len()).collect().item()
        out.append(None if rows.len() == n else rows)
    return out


def canonical_path(settings: Settings, table: str) -> Path:
    """The Parquet file of one canonical table."""
    return settings.paths.canonical_table(table) / f"{table}.parquet"
