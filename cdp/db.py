"""DuckDB helpers the stages share: one value of a query, one question about a table, one frame.

Ground floor: imports nothing of ours.
"""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> Any:
    """The first column of the first row of ``sql``.

    Raises:
        LookupError: when the query returns no row.
    """
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise LookupError("the query returned no row")
    return row[0]


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the current database has a table or view of that name (schema ``main``)."""
    return bool(con.execute(
        "SELECT 1 FROM duckdb_tables() WHERE table_name = $n AND schema_name = 'main' "
        "UNION ALL SELECT 1 FROM duckdb_views() WHERE view_name = $n AND schema_name = 'main' "
        "AND NOT internal", {"n": name}).fetchall())


def frame(rel: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """A DuckDB relation as a polars frame (through Arrow)."""
    out = pl.from_arrow(rel.to_arrow_table())
    assert isinstance(out, pl.DataFrame)
    return out
