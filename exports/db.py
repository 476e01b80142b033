"""Read-only access to the profile database and the exports' SQL files."""

from __future__ import annotations

from importlib import resources
from typing import Any

import duckdb

from cdp.config import Settings


def sql_text(name: str) -> str:
    """The SQL of one export query (``exports/sql/<name>.sql``)."""
    return resources.files("exports").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def connect_profiles(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Open ``data/cdp.duckdb`` read-only (exports never write to the profile database).

    Raises:
        FileNotFoundError: when the database has not been built (run ``cdp build-profiles``).
    """
    db = settings.paths.duckdb
    if not db.is_file():
        raise FileNotFoundError(f"{db} does not exist; run `cdp build-profiles` first")
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """All rows of the last query as dicts."""
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


#: A CSV cell starting with one of these is a formula to Excel and LibreOffice (``=``, ``+``,
#: ``-``, ``@``, tab, carriage return): such cells get a leading apostrophe (OWASP's advice).
FORMULA_START = r"^[=+\-@\t\r]"


def csv_safe_select(con: duckdb.DuckDBPyConnection, select: str, params: Any = None) -> str:
    """``select`` with every text column escaped against CSV formula injection.

    A phone number in E.164 (``+49…``) gets the apostrophe too: a spreadsheet then shows it as
    text, as it should, instead of evaluating it. ``params``: the parameters ``select`` binds.
    """
    out = []
    for name, dtype, *_ in con.execute(f"DESCRIBE {select}", params).fetchall():
        q = '"' + name.replace('"', '""') + '"'
        if dtype == "VARCHAR":
            out.append(f"CASE WHEN regexp_matches({q}, '{FORMULA_START}') THEN chr(39) || {q} ELSE {q} END AS {q}")
        else:
            out.append(q)
    return f"SELECT {', '.join(out)} FROM ({select})"
