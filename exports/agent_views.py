"""``cdp export agent-views``: the ``agent_profile`` view as a file for a call-centre tool.

Writes ``data/exports/agent_views/agent_profile.<parquet|csv|jsonl>`` and ``manifest.json``
beside it (row count, schema with column comments, build times, and the load ids of the source
deliveries the profiles were built from). Files are written under a temp name and renamed, the
manifest last, so a reader that finds a manifest finds the complete file it describes.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cdp.config import Settings
from cdp.db import scalar
from cdp.lake import atomic_path, write_text_atomic
from exports.db import connect_profiles
from privacy.hooks import agent_view_where

log = logging.getLogger(__name__)

FORMATS = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}
_CANONICAL = ["person_records", "contact_events", "consent_events"]


def export_agent_views(settings: Settings, fmt: str = "parquet") -> Path:
    """Write the ``agent_profile`` view to ``data/exports/agent_views/`` with a manifest.

    Args:
        settings: the CDP settings (reads ``data/cdp.duckdb`` read-only, the canonical layer's
            load ids and ``data/lake/load_log.parquet``).
        fmt: ``parquet`` (nested lists kept), ``csv`` (lists as JSON text) or ``jsonl``.

    Returns:
        The path of the written data file.
    """
    if fmt not in FORMATS:
        raise ValueError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    out_dir = settings.paths.exports / "agent_views"
    target = out_dir / f"agent_profile.{FORMATS[fmt]}"
    con = connect_profiles(settings)
    try:
        schema = con.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() "
            "WHERE table_name = 'agent_profile' ORDER BY column_index").fetchall()
        if not schema:
            raise RuntimeError(f"{settings.paths.duckdb}: view agent_profile is missing; rebuild profiles")
        where = agent_view_where(con)  # data protection: restricted customers are not exported
        select = f"SELECT * FROM agent_profile{where} ORDER BY customer_id"
        if fmt == "csv":
            # CSV has no lists: nested columns go out as JSON text.
            cols = ", ".join(
                f'to_json("{c}")::VARCHAR AS "{c}"' if ("[]" in t or t.startswith("STRUCT")) else f'"{c}"'
                for c, t, _ in schema)
            select = f"SELECT {cols} FROM agent_profile{where} ORDER BY customer_id"
        options = {"parquet": "(FORMAT parquet, COMPRESSION zstd)",
                   "csv": "(FORMAT csv, HEADER true)",
                   "jsonl": "(FORMAT json)"}[fmt]
        # COPY cannot bind the file name; it is our own path, quoted. COPY returns the number of
        # rows it wrote: that is the manifest's row count, so it always matches the file.
        with atomic_path(target) as tmp:
            rows = scalar(con, f"COPY ({select}) TO '{_quote(tmp)}' {options}")
        build = con.execute("SELECT built_at, as_of FROM profile_build").fetchone()
    finally:
        con.close()
    manifest = {
        "file": target.name,
        "format": fmt,
        "view": "agent_profile",
        "row_count": rows,
        "schema": [{"name": c, "type": t, "description": d} for c, t, d in schema],
        "exported_at": datetime.now(UTC).isoformat(),
        "profiles_built_at": build[0].isoformat() if build and build[0] else None,
        "profiles_as_of": build[1].isoformat() if build and build[1] else None,
        "source_loads": source_loads(settings),
    }
    write_text_atomic(json.dumps(manifest, indent=2, ensure_ascii=False), out_dir / "manifest.json")
    log.info("agent views: %d rows -> %s", rows, target)
    return target


def source_loads(settings: Settings) -> list[dict]:
    """The deliveries the profiles were built from: load ids found in the canonical layer, with
    source, entity, file and load time from ``load_log.parquet`` (empty when neither exists)."""
    paths = settings.paths
    files = [str(p) for t in _CANONICAL for p in paths.canonical_table(t).rglob("*.parquet")
             if not p.name.startswith(".")]
    con = duckdb.connect()
    try:
        used = set()
        if files:
            used = {r[0] for r in con.execute(
                "SELECT DISTINCT _load_id FROM read_parquet(?, union_by_name = true) "
                "WHERE _load_id IS NOT NULL", [files]).fetchall()}
        if not paths.load_log.is_file():
            return [{"load_id": i} for i in sorted(used)]
        present = {r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)",
                                             [str(paths.load_log)]).fetchall()}
        wanted = ["load_id", "source", "entity", "file", "load_date", "status", "finished_at"]
        # a load log from an older ingest may lack columns: NULL, not an error
        select = ", ".join(f'CAST("{c}" AS VARCHAR)' if c in present else "NULL" for c in wanted)
        log_rows = con.execute(
            f"SELECT {select} FROM read_parquet(?) ORDER BY 2, 3, 1", [str(paths.load_log)]).fetchall()
    finally:
        con.close()
    out = []
    for load_id, source, entity, file, load_date, status, finished in log_rows:
        if (used and load_id in used) or (not used and status == "loaded"):
            out.append({"load_id": load_id, "source": source, "entity": entity, "file": file,
                        "load_date": load_date, "finished_at": finished})
    known = {o["load_id"] for o in out}
    out += [{"load_id": i} for i in sorted(used - known)]
    return out


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
