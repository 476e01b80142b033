"""``cdp sql``: a read-only SQL shell on the profile database, for analysts.

Why a shell of our own rather than the DuckDB CLI: ``data/cdp.duckdb`` is written by the
``duckdb`` Python package pinned in ``constraints.txt``, and a DuckDB file can only be opened by
an engine that knows its storage version. The standalone CLI is not part of the environment
(the newest ``duckdb-cli`` on the registry is an older engine than the pinned library and cannot
open the file), so ``cdp sql`` uses the very library that wrote the file: it works on every
machine where ``make demo`` ran, with no second install to keep in step. A terminal SQL IDE such
as harlequin would pull in a full TUI stack and cannot run a script from standard input.

Interactive (a terminal): a prompt with line editing and history; statements end with ``;``,
``.tables``, ``.describe TABLE`` and ``.quit`` as in the DuckDB CLI. Otherwise (a pipe or a
file on standard input, or ``-c SQL``): runs every statement and prints each result, as a table
or with ``--csv`` as CSV; the exit status is 1 if a statement failed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
import sys
from pathlib import Path
from typing import TextIO

import duckdb
import typer

HELP = """\
Statements end with ';' and may span lines. Every table and column is documented:
  SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'main';
.tables             list tables and views
.describe TABLE     columns of a table or view, with their documentation
.csv / .table       print results as CSV / as a table (default)
.quit               leave (or Ctrl-D)"""

TABLES_SQL = """
SELECT table_name AS name, 'table' AS kind, comment FROM duckdb_tables() WHERE schema_name = 'main'
UNION ALL
SELECT view_name, 'view', comment FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal
ORDER BY name
"""

DESCRIBE_SQL = """
SELECT column_name, data_type, comment FROM duckdb_columns()
WHERE schema_name = 'main' AND table_name = ?
ORDER BY column_index
"""


def open_database(path: Path) -> duckdb.DuckDBPyConnection:
    """The profile database, read-only (several shells and the console may read it at once)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: run `make demo` (or `cdp run`) first")
    return duckdb.connect(str(path), read_only=True)


def print_result(rel: duckdb.DuckDBPyRelation | None, out: TextIO, as_csv: bool, max_rows: int) -> None:
    """A statement's rows: a box table like the DuckDB CLI's, or CSV with a header."""
    if rel is None:  # a statement without a result (SET, PRAGMA ...)
        return
    if as_csv:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(rel.columns)
        for row in rel.fetchall():
            writer.writerow(["" if v is None else v for v in row])
        return
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rel.show(max_rows=max_rows if max_rows > 0 else 1_000_000,
                 max_width=shutil.get_terminal_size((160, 40)).columns)
    out.write(buf.getvalue())


def run_script(con: duckdb.DuckDBPyConnection, sql: str, out: TextIO, err: TextIO, *,
               as_csv: bool = False, max_rows: int = 40) -> int:
    """Run every statement of ``sql`` and print each result; the number of failed statements."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        err.write(f"error: {_one_line(exc)}\n")
        return 1
    failed = 0
    for statement in statements:
        try:
            print_result(con.sql(statement.query), out, as_csv, max_rows)
        except duckdb.Error as exc:
            err.write(f"error: {_one_line(exc)}\n")
            failed += 1
    return failed


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _dot_command(con: duckdb.DuckDBPyConnection, line: str, state: dict[str, bool]) -> bool:
    """Handle a ``.command``; False when the shell should end."""
    cmd, _, arg = line.strip().partition(" ")
    if cmd in (".quit", ".exit", ".q"):
        return False
    if cmd == ".tables":
        print_result(con.sql(TABLES_SQL), sys.stdout, state["csv"], 0)
    elif cmd in (".describe", ".schema") and arg.strip():
        print_result(con.sql(DESCRIBE_SQL, params=[arg.strip().strip(";")]), sys.stdout, state["csv"], 0)
    elif cmd == ".csv":
        state["csv"] = True
    elif cmd == ".table":
        state["csv"] = False
    else:
        sys.stdout.write(HELP + "\n")
    return True


def interactive(con: duckdb.DuckDBPyConnection, path: Path, history: Path) -> None:
    """The prompt: line editing and history (readline), statements end with ';'."""
    try:
        import readline

        history.parent.mkdir(parents=True, exist_ok=True)
        if history.is_file():
            readline.read_history_file(history)
    except (ImportError, OSError):
        readline = None  # type: ignore[assignment]
    sys.stdout.write(f"cdp sql: {path} (read-only, DuckDB {duckdb.__version__}). "
                     "End statements with ';'. .help for help, .quit to leave.\n")
    state = {"csv": False}
    buffer: list[str] = []
    while True:
        try:
            line = input("cdp> " if not buffer else "...> ")
        except EOFError:
            sys.stdout.write("\n")
            break
        except KeyboardInterrupt:
            sys.stdout.write("\n")
            buffer = []
            continue
        if not buffer and line.strip().startswith("."):
            if not _dot_command(con, line, state):
                break
            continue
        buffer.append(line)
        text = "\n".join(buffer).strip()
        if text and text.endswith(";"):
            buffer = []
            run_script(con, text, sys.stdout, sys.stdout, as_csv=state["csv"])
    if readline is not None:
        try:
            readline.set_history_length(1000)
            readline.write_history_file(history)
        except OSError:
            pass


def register(app: typer.Typer) -> None:
    """Add ``cdp sql`` to the ``cdp`` app."""

    @app.command("sql")
    def sql_cmd(
        ctx: typer.Context,
        command: str = typer.Option(None, "-c", "--command", help="Run this SQL and exit"),
        as_csv: bool = typer.Option(False, "--csv", help="Print results as CSV (with a header row)"),
        max_rows: int = typer.Option(40, "--max-rows", help="Rows shown per result as a table (0: all)"),
        db: Path = typer.Option(None, "--db", help="Database file (default: <data dir>/cdp.duckdb)"),
    ) -> None:
        """Read-only SQL shell on the profile database (a prompt, or SQL from -c or standard input)."""
        settings = ctx.obj
        path = db or settings.paths.duckdb
        con = open_database(path)
        try:
            if command is None and sys.stdin.isatty():
                interactive(con, path, Path.home() / ".cdp_sql_history")
                return
            sql = command if command is not None else sys.stdin.read()
            failed = run_script(con, sql, sys.stdout, sys.stderr, as_csv=as_csv, max_rows=max_rows)
        finally:
            con.close()
        if failed:
            raise typer.Exit(1)
