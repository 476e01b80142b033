"""The console's prepared name-search tables (``data/exports/console/search_index.duckdb``).

The profile database is opened read-only, so the tables fuzzy name search needs beyond it live in
a small sidecar file built from ``customer_lookup`` whenever the profile database changes
(``profile_build.built_at``): the name-token vocabulary, its one-letter-deletion variants and
the token -> customer postings. Everything else the console shows (source records and why they
were linked) comes from the profile database itself (``person_record``).
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import duckdb

from cdp.config import Settings
from cdp.db import scalar
from cdp.lake import swap_database
from exports.db import sql_text

log = logging.getLogger(__name__)

def index_path(settings: Settings) -> Path:
    """Where the console's sidecar database lives."""
    return settings.paths.exports / "console" / "search_index.duckdb"


def profiles_built_at(settings: Settings) -> str | None:
    """``profile_build.built_at`` of the current profile database, as text."""
    # attached to a private instance: duckdb.connect(path) would share an instance that another
    # connection of this process may still hold on the replaced file
    con = duckdb.connect(":memory:")
    try:
        db = str(settings.paths.duckdb).replace("'", "''")
        con.execute(f"ATTACH '{db}' AS cdp (READ_ONLY)")
        row = con.execute("SELECT CAST(built_at AS VARCHAR) FROM cdp.profile_build").fetchone()
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
            built = scalar(con, "SELECT profiles_built_at FROM meta")
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
        built = con.execute("SELECT CAST(built_at AS VARCHAR) FROM cdp.profile_build").fetchone()
        con.execute("CREATE TABLE meta AS SELECT ?::VARCHAR AS profiles_built_at, now() AS indexed_at",
                    [built[0] if built else None])
        con.execute("DETACH cdp")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    swap_database(tmp, target)
    log.info("console search index -> %s", target)
    return target
