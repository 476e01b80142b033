"""Compare two profile databases table by table (the "same tables" check of a daily delta).

Every table and view of schemas ``main`` and ``pseudo`` in either file is compared with
``EXCEPT ALL`` both ways (a multiset difference: duplicates count, row order does not).
Columns holding a run's wall-clock time are left out (:data:`WALL_CLOCK`).
"""

from __future__ import annotations

import duckdb

from cdp.db import scalar

#: Wall-clock stamps of a run: when the database, an export or an identity run happened.
WALL_CLOCK = {"built_at", "profiles_built_at", "run_id", "changed_at"}
SCHEMAS = ("main", "pseudo")


def _objects(con: duckdb.DuckDBPyConnection, db: str) -> set[tuple[str, str]]:
    rows = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = $db "
        "UNION SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = $db AND NOT internal",
        {"db": db}).fetchall()
    return {(s, t) for s, t in rows if s in SCHEMAS}


def _columns(con: duckdb.DuckDBPyConnection, db: str, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? "
        "AND table_name = ? ORDER BY column_index", [db, schema, table]).fetchall()]


def compare_databases(old: str, new: str, ignore: set[str] | frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """``(lines, differences)``: one line per table or view compared, and the lines of those
    that differ (exist in one file only, other columns, or other rows). Columns named in
    ``ignore`` are left out besides :data:`WALL_CLOCK`."""
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS a (READ_ONLY)", [str(old)])
        con.execute("ATTACH ? AS b (READ_ONLY)", [str(new)])
        a, b = _objects(con, "a"), _objects(con, "b")
        lines, bad = [], []
        for s, t in sorted(a ^ b):
            bad.append(f"only in {'old' if (s, t) in a else 'new'}: {s}.{t}")
        for s, t in sorted(a & b):
            ca, cb = _columns(con, "a", s, t), _columns(con, "b", s, t)
            if ca != cb:
                bad.append(f"{s}.{t}: columns differ: old {ca} new {cb}")
                continue
            cols = ", ".join(f'"{c}"' for c in ca if c not in WALL_CLOCK and c not in ignore)
            n = scalar(con, f'SELECT count(*) FROM a."{s}"."{t}"')
            gone = scalar(con, f'SELECT count(*) FROM (SELECT {cols} FROM a."{s}"."{t}" '
                               f'EXCEPT ALL SELECT {cols} FROM b."{s}"."{t}")')
            added = scalar(con, f'SELECT count(*) FROM (SELECT {cols} FROM b."{s}"."{t}" '
                                f'EXCEPT ALL SELECT {cols} FROM a."{s}"."{t}")')
            line = (f"{'same' if gone == added == 0 else 'DIFF'}  {s}.{t}: {n} rows, {len(ca)} columns, "
                    f"old-new {gone}, new-old {added}")
            lines.append(line)
            if gone or added:
                bad.append(line)
        return lines, bad
    finally:
        con.close()
