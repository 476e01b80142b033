"""A contract's ``canonical`` mapping applied to staged rows: staged columns → canonical columns.

Used by the canonical build and, per file, by ingestion's suppression of erased persons.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from cdp.schema import CANONICAL_TABLES, LINEAGE, UTC_TS, Dtype, Frame
from pipelines.contracts import Entity

ID_COLUMN = {"person_records": "source_record_id", "contact_events": "source_event_id",
             "consent_events": "source_event_id"}
KEY_COLUMN = {"person_records": "record_key", "contact_events": "event_key",
              "consent_events": "consent_event_key"}


def map_to_canonical(df: Frame, entity: Entity, table: str, mapping: dict[str, Any]) -> Frame:
    """Apply one contract mapping (``canonical.<table>``) to current staged rows."""
    target = CANONICAL_TABLES[table]
    cols = {col: mapped_expr(m, target[col]).alias(col) for col, m in mapping.items()}
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


def mapped_expr(m: Any, dtype: Dtype | None = None) -> pl.Expr:
    if isinstance(m, str):
        e = pl.col(m)
    elif not isinstance(m, dict):
        e = pl.lit(m)
    elif "const" in m:
        e = pl.lit(m["const"])
    elif "template" in m:
        e = _template(m["template"])
    elif "if_present" in m:
        e = pl.when(pl.col(m["if_present"]).is_not_null()).then(mapped_expr(m.get("then"), dtype)) \
            .otherwise(mapped_expr(m.get("else"), dtype))
    else:
        e = pl.col(m["field"])
        if "map" in m:
            mp = m["map"]
            # all-string maps keep unmapped values; other maps make them null
            e = _map(e.cast(pl.String), {str(k): v for k, v in mp.items()},
                     keep_unmapped=all(isinstance(v, str) for v in mp.values()))
        if "split" in m:
            e = e.str.split(m["split"])
        if "prefix" in m:
            e = pl.concat_str([pl.lit(m["prefix"]), e.cast(pl.String)])
        if "sign" in m:
            e = e.cast(pl.Float64) * mapped_expr(m["sign"]).cast(pl.Float64)
    if isinstance(m, dict) and "default" in m:
        d = m["default"]  # a plain value is a literal; {field: X} falls back to another field
        e = e.fill_null(pl.lit(d) if not isinstance(d, dict) else mapped_expr(d, dtype))
    return _cast(e, dtype)


def _map(e: pl.Expr, mapping: dict[str, Any], keep_unmapped: bool) -> pl.Expr:
    """``replace`` / ``replace_strict(default=None)`` as a when/then chain.

    Same values, but elementwise: polars' ``replace`` is not streamed (at 1M persons it held
    half a gigabyte per mapped column), a short when/then chain is.
    """
    if len(mapping) > 64:  # long lookup tables: the hash-based replace is faster
        return e.replace(mapping) if keep_unmapped else e.replace_strict(mapping, default=None)
    out: Any = pl
    for k, v in mapping.items():
        out = out.when(e == k).then(pl.lit(v))
    return out.otherwise(e if keep_unmapped else pl.lit(None)) if mapping else \
        (e if keep_unmapped else pl.lit(None))


def _cast(e: pl.Expr, dtype: Dtype | None) -> pl.Expr:
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


def canonical_rows(staged: pl.DataFrame, entity: Entity) -> dict[str, pl.DataFrame]:
    """Every canonical table one entity's staged rows map to (``{table: rows}``)."""
    return {table: map_to_canonical(staged, entity, table, mapping)
            for table, mapping in entity.canonical.items()}
