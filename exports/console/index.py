"""The console's prepared search and lineage tables (``data/exports/console/search_index.duckdb``).

The profile database is opened read-only, so what the console needs beyond it lives in a small
sidecar file built from it (and from the identity and canonical layers) whenever the profile
database changes: the name-token vocabulary for fuzzy search, the source person records behind
each customer, the scored identity edges between them, and the model's comparison labels.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path

import duckdb

from cdp.config import Settings
from exports.db import sql_text

log = logging.getLogger(__name__)

#: Source person record fields shown behind a golden record (canonical person_records).
RECORD_COLUMNS = ["record_key", "source_system", "source_record_id", "salutation", "first_name",
                  "last_name", "birth_date", "email", "phone", "mobile", "street", "house_number",
                  "postcode", "city", "updated_at", "created_at"]
COMPARISONS = ["name", "birth_date", "email", "phone", "address", "erp_key", "bonus_key"]
EDGE_COLUMNS = {"record_key_l": "VARCHAR", "record_key_r": "VARCHAR", "match_probability": "DOUBLE",
                "link_method": "VARCHAR", "rule": "VARCHAR", "veto": "VARCHAR",
                **{f"gamma_{c}": "INTEGER" for c in COMPARISONS},
                **{f"mw_{c}": "DOUBLE" for c in COMPARISONS}}


def index_path(settings: Settings) -> Path:
    """Where the console's sidecar database lives."""
    return settings.paths.exports / "console" / "search_index.duckdb"


def profiles_built_at(settings: Settings) -> str | None:
    """``profile_build.built_at`` of the current profile database, as text."""
    con = duckdb.connect(str(settings.paths.duckdb), read_only=True)
    try:
        row = con.execute("SELECT CAST(built_at AS VARCHAR) FROM profile_build").fetchone()
        return row[0] if row else None
    finally:
        con.close()


def index_is_current(settings: Settings) -> bool:
    """Whether the sidecar was built from the profile database that is there now."""
    path = index_path(settings)
    if not path.is_file():
        return False
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            built = con.execute("SELECT profiles_built_at FROM meta").fetchone()[0]
        finally:
            con.close()
    except duckdb.Error:
        return False
    return built == profiles_built_at(settings)


def build_search_index(settings: Settings) -> Path:
    """Build the console's sidecar database from the profile database and the lake; swap it in.

    Returns:
        The path of ``search_index.duckdb``.
    """
    target = index_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.building-{uuid.uuid4().hex}")
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET TimeZone = 'UTC'")
        # ATTACH cannot bind the path; it is our own data directory, quoted.
        db = str(settings.paths.duckdb).replace("'", "''")
        con.execute(f"ATTACH '{db}' AS cdp (READ_ONLY)")
        con.execute(sql_text("search_index"))
        _source_records(con, settings)
        _edges(con, settings)
        _levels(con, settings)
        built = con.execute("SELECT CAST(built_at AS VARCHAR) FROM cdp.profile_build").fetchone()
        con.execute("CREATE TABLE meta AS SELECT ?::VARCHAR AS profiles_built_at, now() AS indexed_at",
                    [built[0] if built else None])
        con.execute("DETACH cdp")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, target)
    wal = tmp.with_name(tmp.name + ".wal")
    if wal.exists():
        wal.unlink()
    log.info("console search index -> %s", target)
    return target


def _parquet_files(directory: Path) -> list[str]:
    return sorted(str(p) for p in directory.rglob("*.parquet") if not p.name.startswith("."))


def _source_records(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    files = _parquet_files(settings.paths.canonical_table("person_records"))
    cols = ", ".join(f'"{c}"' for c in RECORD_COLUMNS)
    if not files:
        con.execute(f"CREATE TABLE source_record AS SELECT NULL::VARCHAR AS customer_id, "
                    f"NULL::VARCHAR AS link_method, NULL::DOUBLE AS match_probability, "
                    f"{', '.join(f'NULL::VARCHAR AS {c}' for c in RECORD_COLUMNS)} LIMIT 0")
        return
    con.execute(
        f"CREATE TABLE source_record AS "
        f"SELECT l.customer_id, l.link_method, l.match_probability, p.* EXCLUDE (record_key), l.record_key "
        f"FROM cdp.identity_link l "
        f"LEFT JOIN (SELECT {cols} FROM read_parquet(?, union_by_name = true)) p USING (record_key) "
        f"ORDER BY l.customer_id, l.record_key", [files])


def _edges(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    path = settings.paths.identity / "edges.parquet"
    coldefs = ", ".join(f"{c} {t}" for c, t in EDGE_COLUMNS.items())
    con.execute(f"CREATE TABLE link_edge (customer_id VARCHAR, {coldefs})")
    if not path.is_file():
        log.warning("%s missing: the console explains links by link method only", path)
        return
    present = {r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()}
    select = ", ".join(f"CAST(e.{c} AS {t})" if c in present else f"CAST(NULL AS {t})"
                       for c, t in EDGE_COLUMNS.items())
    # Only edges inside one customer explain why its records belong together.
    con.execute(
        f"INSERT INTO link_edge SELECT a.customer_id, {select} FROM read_parquet(?) e "
        f"JOIN cdp.identity_link a ON a.record_key = e.record_key_l "
        f"JOIN cdp.identity_link b ON b.record_key = e.record_key_r AND b.customer_id = a.customer_id "
        f"ORDER BY a.customer_id", [str(path)])


def _levels(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Comparison level labels of the newest identity model (gamma -> label)."""
    con.execute("CREATE TABLE comparison_level (comparison VARCHAR, gamma INTEGER, label VARCHAR)")
    models = sorted(settings.paths.models.glob("identity/model_v*.json"),
                    key=lambda p: int("".join(ch for ch in p.stem if ch.isdigit()) or 0))
    if not models:
        return
    d = json.loads(models[-1].read_text())
    rows = []
    for c in d.get("comparisons", []):
        levels = c["comparison_levels"]
        n = sum(1 for lv in levels if not lv.get("is_null_level"))
        i = n - 1
        for lv in levels:
            if lv.get("is_null_level"):
                continue
            rows.append((c["output_column_name"], i, lv.get("label_for_charts", "")))
            i -= 1
    if rows:
        con.executemany("INSERT INTO comparison_level VALUES (?, ?, ?)", rows)
