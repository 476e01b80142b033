"""Standardise staged rows into the canonical tables (person records, contact and consent events).

Grain: one row per source record (``person_records``: per record key; events: per event key),
in its current state: of all deliveries of a record id, the newest delivery folder wins (ties:
the later load, then the later row). The mapping of source fields onto the canonical columns is
data, in each contract's ``canonical:`` section; this module only interprets it.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import polars as pl

from cdp.config import Settings
from cdp.lake import write_parquet_atomic
from cdp.privacy.suppression import filter_canonical
from cdp.schema import CANONICAL_TABLES, LINEAGE, UTC_TS, conform
from pipelines.contracts import Entity, load_contracts
from pipelines.ingest import LOADED, read_load_log, resolve_contracts_dir

log = logging.getLogger(__name__)

ID_COLUMN = {"person_records": "source_record_id", "contact_events": "source_event_id",
             "consent_events": "source_event_id"}
KEY_COLUMN = {"person_records": "record_key", "contact_events": "event_key",
              "consent_events": "consent_event_key"}


def build_canonical(settings: Settings) -> dict[str, int]:
    """Rebuild ``data/lake/canonical/<table>/<table>.parquet`` from every loaded staged file.

    Returns:
        Row counts per canonical table.
    """
    tables = filter_canonical(settings, current_tables(settings))
    # Every canonical row passes through ``tables`` here, between building and writing: this is
    # where person records (and the events whose person_record_key points at them) are filtered
    # when data protection requires it.
    counts = {}
    for name, df in tables.items():
        write_parquet_atomic(df, settings.paths.canonical_table(name) / f"{name}.parquet")
        counts[name] = df.height
    log.info("canonical tables rebuilt: %s", counts)
    return counts


def current_tables(settings: Settings) -> dict[str, pl.DataFrame]:
    """The canonical tables as frames (exact ``cdp.schema`` columns), current state per record."""
    contracts = load_contracts(resolve_contracts_dir(settings))
    loads = read_load_log(settings).filter(pl.col("status") == LOADED)
    parts: dict[str, list[pl.DataFrame]] = {t: [] for t in CANONICAL_TABLES}
    for contract in contracts.values():
        for entity in contract.entities:
            if not entity.canonical:
                continue
            current = staged_current(settings, entity, loads)
            if current is None:
                continue
            for table, mapping in entity.canonical.items():
                parts[table].append(map_to_canonical(current, entity, table, mapping))
    out = {}
    for table, schema in CANONICAL_TABLES.items():
        frames = [conform(f, schema) for f in parts[table]]
        df = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=schema)
        # keys are unique per entity already; the order-keeping unique copies the whole table,
        # so pay for it only when two entities really deliver the same key
        if df.height and df[KEY_COLUMN[table]].n_unique() < df.height:
            df = df.unique(subset=[KEY_COLUMN[table]], keep="last", maintain_order=True)
        out[table] = df
    return out


def staged_current(settings: Settings, entity: Entity, loads: pl.DataFrame) -> pl.DataFrame | None:
    """The staged rows of an entity, newest delivery per primary key (None when never loaded)."""
    mine = loads.filter((pl.col("source") == entity.source) & (pl.col("entity") == entity.name))
    files = [(settings.paths.root / p, d) for p, d in zip(mine["staged_path"], mine["load_date"], strict=True)
             if p and (settings.paths.root / p).exists()]
    if not files:
        return None
    df = pl.concat([pl.scan_parquet(p).with_columns(pl.lit(d).alias("_load_date")) for p, d in files],
                   how="diagonal_relaxed")
    df = df.sort(["_load_date", "_ingested_at", "_row_number"])
    if entity.primary_key:
        df = df.unique(subset=list(entity.primary_key), keep="last", maintain_order=True)
    return df.collect()


def map_to_canonical(df: pl.DataFrame, entity: Entity, table: str, mapping: dict[str, Any]) -> pl.DataFrame:
    """Apply one contract mapping (``canonical.<table>``) to current staged rows."""
    target = CANONICAL_TABLES[table]
    cols = {col: _expr(m, target[col]).alias(col) for col, m in mapping.items()}
    out = df.select(*cols.values(), *[pl.col(c) for c in LINEAGE])
    idc = ID_COLUMN[table]
    out = out.with_columns(
        pl.lit(entity.source).alias("source_system"),
        pl.lit(entity.name).alias("source_entity"),
        pl.col(idc).cast(pl.String),
    )
    if table == "person_records":
        key = pl.concat_str([pl.lit(f"{entity.source}:"), pl.col(idc)])
    else:
        key = pl.concat_str([pl.lit(f"{entity.source}:{entity.name}:"), pl.col(idc)])
    return out.with_columns(key.alias(KEY_COLUMN[table])).filter(pl.col(idc).is_not_null())


def _expr(m: Any, dtype: pl.DataType | None = None) -> pl.Expr:
    if isinstance(m, str):
        e = pl.col(m)
    elif not isinstance(m, dict):
        e = pl.lit(m)
    elif "const" in m:
        e = pl.lit(m["const"])
    elif "template" in m:
        e = _template(m["template"])
    elif "if_present" in m:
        e = pl.when(pl.col(m["if_present"]).is_not_null()).then(_expr(m.get("then"), dtype)) \
            .otherwise(_expr(m.get("else"), dtype))
    else:
        e = pl.col(m["field"])
        if "map" in m:
            mp = m["map"]
            if all(isinstance(v, str) for v in mp.values()):
                e = e.cast(pl.String).replace({str(k): v for k, v in mp.items()})
            else:
                e = e.cast(pl.String).replace_strict({str(k): v for k, v in mp.items()}, default=None)
        if "split" in m:
            e = e.str.split(m["split"])
        if "prefix" in m:
            e = pl.concat_str([pl.lit(m["prefix"]), e.cast(pl.String)])
        if "sign" in m:
            e = e.cast(pl.Float64) * _expr(m["sign"]).cast(pl.Float64)
    if isinstance(m, dict) and "default" in m:
        d = m["default"]  # a plain value is a literal; {field: X} falls back to another field
        e = e.fill_null(pl.lit(d) if not isinstance(d, dict) else _expr(d, dtype))
    return _cast(e, dtype)


def _cast(e: pl.Expr, dtype: pl.DataType | None) -> pl.Expr:
    if dtype is None:
        return e
    if dtype == UTC_TS:
        # dates (ERP) become midnight UTC; timestamps are already UTC
        return e.cast(UTC_TS, strict=False)
    return e.cast(dtype, strict=False)


def _template(t: str) -> pl.Expr:
    parts, pos = [], 0
    for m in re.finditer(r"\{([^{}]+)\}", t):
        if m.start() > pos:
            parts.append(pl.lit(t[pos:m.start()]))
        parts.append(pl.col(m.group(1)).cast(pl.String).fill_null(""))
        pos = m.end()
    if pos < len(t):
        parts.append(pl.lit(t[pos:]))
    return pl.concat_str(parts)


def canonical_path(settings: Settings, table: str) -> Path:
    """The Parquet file of one canonical table."""
    return settings.paths.canonical_table(table) / f"{table}.parquet"
