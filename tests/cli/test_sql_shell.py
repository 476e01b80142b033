"""`cdp sql`: the analyst's shell opens the profile database read-only and runs the README's queries."""

from __future__ import annotations

import csv
import io

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.profiles.conftest import built_db  # noqa: F401 - the shared fixture
from tests.profiles.test_analyst_queries import BLOCKS

README_DOC_QUERY = "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = 'consent';"


def shell(db, sql: str, *extra: str):
    return CliRunner().invoke(app, ["sql", "--db", str(db), "--csv", *extra], input=sql)


@pytest.mark.parametrize("where, query", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_every_readme_query_runs_in_the_shell(built_db, where, query):  # noqa: F811
    result = shell(built_db, query)
    assert result.exit_code == 0, f"{where}: {result.output}"
    header = next(csv.reader(io.StringIO(result.stdout)))
    assert header, where


def test_the_readme_column_documentation_query_lists_each_column_once(built_db):  # noqa: F811
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert README_DOC_QUERY in readme
    rows = list(csv.reader(io.StringIO(shell(built_db, README_DOC_QUERY).stdout)))[1:]
    columns = [r[1] for r in rows]
    assert columns and len(columns) == len(set(columns))
    assert all(r[2] for r in rows)  # every column documented
    assert re.search(r"\.venv/bin/cdp sql", readme)


def test_the_shell_is_read_only_and_reports_a_failed_statement(built_db):  # noqa: F811
    result = shell(built_db, "SELECT count(*) AS n FROM customer; DELETE FROM customer;")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "n"
    assert "read-only" in result.output


def test_a_table_result_and_dot_tables(built_db, monkeypatch):  # noqa: F811
    from cli import sql

    result = CliRunner().invoke(app, ["sql", "--db", str(built_db), "-c", "SELECT 'Müller' AS name;"])
    assert result.exit_code == 0 and "Müller" in result.stdout and "┌" in result.stdout
    out = io.StringIO()
    con = sql.open_database(built_db)
    sql.print_result(con.sql(sql.TABLES_SQL), out, as_csv=True, max_rows=0)
    names = {row[0] for row in csv.reader(io.StringIO(out.getvalue()))}
    assert {"customer", "consent", "agent_profile", "customer_360"} <= names
