"""Whether ``data/cdp.duckdb`` is up to date with what was delivered (``cdp sar`` asks first)."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import polars as pl

from cdp.config import Settings
from cdp.db import has_table, scalar
from pipelines.ingest import pending_files
from pipelines.load_log import LOADED, read_load_log
from profiles.build import STATE_SCHEMA, build_fingerprint


def out_of_date(settings: Settings) -> str | None:
    """Why the profile database does not show everything delivered yet, or None when it does.

    Out of date: no database; landed files not ingested yet; files loaded after the database
    was built (``profile_build.built_at``); or a database built with other settings, data
    contracts or profile SQL (the build fingerprint).
    """
    db = settings.paths.duckdb
    if not db.is_file():
        return "no profile database yet"
    pending = pending_files(settings)
    if pending:
        return f"{len(pending)} landed file(s) not processed yet"
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return "the profile database cannot be opened"
    try:
        if not has_table(con, "profile_build"):
            return "the profile database has no build record"
        built_at = scalar(con, "SELECT max(built_at) FROM profile_build")
        state = scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'state'",
                       [STATE_SCHEMA])
        fingerprint = scalar(con, f"SELECT fingerprint FROM {STATE_SCHEMA}.state") if state else None
    finally:
        con.close()
    if fingerprint != build_fingerprint(settings):
        return "settings, data contracts or profile SQL changed since the profile database was built"
    loads = read_load_log(settings)
    if isinstance(built_at, datetime) and "finished_at" in loads.columns:
        newer = loads.filter((pl.col("status") == LOADED) & (pl.col("finished_at") > built_at.astimezone(UTC)))
        if newer.height:
            return f"{newer.height} file(s) loaded after the profile database was built"
    return None
