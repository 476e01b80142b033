"""Compare two profile databases table by table (the "no behaviour change" check).

    python benchmarks/compare_profiles.py OLD/cdp.duckdb NEW/cdp.duckdb

Every table and view of either file (schemas main and pseudo) is compared with ``EXCEPT ALL``
both ways (a multiset difference: duplicates count). Columns that hold a build's wall-clock time
(``built_at``) are left out. Exits 1 and lists the differences when any table differs or exists
in one file only.
"""

from __future__ import annotations

import sys

import duckdb

IGNORED = {"built_at", "profiles_built_at", "run_id"}  # wall-clock stamps of a run


def objects(con: duckdb.DuckDBPyConnection, db: str) -> set[tuple[str, str]]:
    rows = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = $db "
        "UNION SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = $db AND NOT internal",
        {"db": db}).fetchall()
    return {(s, t) for s, t in rows}


def columns(con: duckdb.DuckDBPyConnection, db: str, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? "
        "AND table_name = ? ORDER BY column_index", [db, schema, table]).fetchall()]


def main(old: str, new: str) -> int:
    con = duckdb.connect()
    con.execute(f"ATTACH '{old}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{new}' AS b (READ_ONLY)")
    a, b = objects(con, "a"), objects(con, "b")
    bad = 0
    for s, t in sorted(a ^ b):
        print(f"only in {'old' if (s, t) in a else 'new'}: {s}.{t}")
        bad += 1
    for s, t in sorted(a & b):
        ca, cb = columns(con, "a", s, t), columns(con, "b", s, t)
        if ca != cb:
            print(f"{s}.{t}: columns differ: old {ca} new {cb}")
            bad += 1
            continue
        cols = ", ".join(f'"{c}"' for c in ca if c not in IGNORED)
        n = con.execute(f'SELECT count(*) FROM a."{s}"."{t}"').fetchone()[0]
        gone = con.execute(f'SELECT count(*) FROM (SELECT {cols} FROM a."{s}"."{t}" '
                           f'EXCEPT ALL SELECT {cols} FROM b."{s}"."{t}")').fetchone()[0]
        added = con.execute(f'SELECT count(*) FROM (SELECT {cols} FROM b."{s}"."{t}" '
                            f'EXCEPT ALL SELECT {cols} FROM a."{s}"."{t}")').fetchone()[0]
        print(f"{'same' if gone == added == 0 else 'DIFF'}  {s}.{t}: {n} rows, {len(ca)} columns, "
              f"old-new {gone}, new-old {added}")
        bad += bool(gone or added)
    print(f"{len(a & b)} tables/views compared, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
