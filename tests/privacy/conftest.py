"""A small simulated installation, built once by the real CLI (`cdp generate` + `cdp run`).

Tests copy the data directory before they change it. The captured console output of the run is
kept for the log scan (no personal data in logs).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from cdp.config import Settings

PERSONS = 250
SEED = 11


def cdp(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the ``cdp`` CLI in a subprocess; output captured."""
    exe = Path(sys.executable).with_name("cdp")
    return subprocess.run([str(exe), "--data-dir", str(data_dir), *args], capture_output=True,
                          text=True, check=False, cwd=Path(__file__).resolve().parents[2])


@pytest.fixture(scope="session")
def base_install(tmp_path_factory) -> tuple[Path, str]:
    """``(data_dir, console output of generate + run)``."""
    d = tmp_path_factory.mktemp("privacy_base") / "data"
    gen = cdp(d, "generate", "--persons", str(PERSONS), "--seed", str(SEED))
    assert gen.returncode == 0, gen.stderr
    run = cdp(d, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    return d, gen.stdout + gen.stderr + run.stdout + run.stderr


@pytest.fixture
def install(base_install, tmp_path) -> Settings:
    """A private copy of the simulated installation."""
    d = tmp_path / "data"
    shutil.copytree(base_install[0], d)
    return Settings(data_dir=d)


def multi_source_customer(settings: Settings, sources: int = 3) -> str:
    """A customer whose records come from at least ``sources`` systems and who has contacts."""
    con = duckdb.connect(str(settings.paths.duckdb), read_only=True)
    try:
        return con.execute(
            "SELECT l.customer_id FROM identity_link l "
            "WHERE l.customer_id IN (SELECT customer_id FROM contact_history) "
            "AND l.customer_id IN (SELECT customer_id FROM consent_event) "
            "GROUP BY 1 HAVING count(DISTINCT source_system) >= ? AND count(*) <= 6 "
            "ORDER BY count(DISTINCT source_system) DESC, 1 LIMIT 1", [sources]).fetchone()[0]
    finally:
        con.close()


def scan(data_dir: Path, values: list[str]) -> list[str]:
    """Where any of the values occurs as a whole token under ``data_dir`` (landing/ and truth/
    excluded): every Parquet cell, every DuckDB table/view of every schema, every other file's
    bytes. Returns ``"<file>[:table]: <value>"`` hits."""
    pattern = re.compile(
        r"(?i)(?:^|[^0-9a-z])(" + "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
        + r")(?:[^0-9a-z]|$)")
    hits = []

    def check(where: str, text: str) -> None:
        m = pattern.search(text)
        if m:
            hits.append(f"{where}: {m.group(1)}")

    for p in sorted(data_dir.rglob("*")):
        rel = p.relative_to(data_dir)
        if not p.is_file() or rel.parts[0] in ("landing", "truth"):
            continue
        if p.suffix == ".parquet":
            df = pl.read_parquet(p)
            check(str(rel), df.write_ndjson())
        elif p.suffix == ".duckdb":
            con = duckdb.connect(str(p), read_only=True)
            try:
                objs = con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                                   "UNION ALL SELECT schema_name, view_name FROM duckdb_views() "
                                   "WHERE NOT internal").fetchall()
                for schema, table in objs:
                    rows = con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
                    check(f"{rel}:{schema}.{table}", json.dumps(rows, default=str, ensure_ascii=False))
            finally:
                con.close()
        else:
            check(str(rel), p.read_bytes().decode("utf-8", "replace"))
    return hits


def person_identifiers(settings: Settings, customer_id: str) -> dict[str, list[str]]:
    """The plain identifiers of a customer's records (ids, e-mails, phones, names)."""
    con = duckdb.connect(str(settings.paths.duckdb), read_only=True)
    try:
        keys = [r[0] for r in con.execute(
            "SELECT record_key FROM identity_link WHERE customer_id = ?", [customer_id]).fetchall()]
    finally:
        con.close()
    pr = pl.read_parquet(settings.paths.canonical_table("person_records") / "person_records.parquet")
    mine = pr.filter(pl.col("record_key").is_in(keys))
    others = pr.filter(~pl.col("record_key").is_in(keys))
    ids = sorted(set(mine["source_record_id"].to_list()))
    emails = sorted({e.strip() for e in mine["email"].drop_nulls().to_list()})
    phones = sorted({p.strip() for c in ("phone", "mobile") for p in mine[c].drop_nulls().to_list()})
    other_names = {n.lower() for n in others["last_name"].drop_nulls().to_list()}
    # a last name nobody else has identifies the person; a common one does not
    names = sorted({n for n in mine["last_name"].drop_nulls().to_list() if n.lower() not in other_names})
    full = sorted({f"{f} {n}" for f, n in zip(mine["first_name"], mine["last_name"], strict=True) if f and n})
    return {"keys": keys, "ids": ids, "emails": emails, "phones": phones, "names": names, "full_names": full}
