"""Fault injection (issue 15, class 8): ``cdp run`` killed with SIGKILL at a random point of
ingest, canonical, identity, profiles or exports; the next ``cdp run`` must finish without hand
work and leave the lake, the customer ids and ``cdp.duckdb`` equal to a clean run's, with no
leftovers. Slow (three pipeline runs in subprocesses): ``pytest -m slow tests/test_fault_injection.py``.

``FAULTS_STAGE`` (sources, canonical, identity, profiles, exports) and ``FAULTS_SEED``
pin the kill point; by default both are drawn at random and printed.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

pytestmark = pytest.mark.slow

#: the progress line that precedes each stage: the kill lands inside the stage after it
STAGE_AFTER = {"sources": "cdp run: load date", "canonical": "✓ sources/", "identity": "✓ canonical ",
               "profiles": "✓ identity ", "exports": "✓ profiles "}
#: profile tables compared with a clean run (columns that hold the build time are left out)
TABLES = ("customer", "identity_link", "consent", "preferred_channel", "contact_history", "customer_value")
CDP = [sys.executable, "-c", "from cli.main import main; main()"]


def _cdp(data: Path, *args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "PYTHONUNBUFFERED": "1",
           "DAGSTER_HOME": str(data / "dagster_home")}
    env = {k: v for k, v in env.items() if not k.startswith(("CDP_", "FAULTS_"))}
    return subprocess.Popen([*CDP, "--data-dir", str(data), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kw)


def _run(data: Path, timeout: float = 600) -> str:
    p = _cdp(data, "run")
    out, _ = p.communicate(timeout=timeout)  # a hang fails the test here
    assert p.returncode == 0, out[-3000:]
    return out


def _kill_during(data: Path, stage: str, rng: random.Random) -> str:
    p = _cdp(data, "run", start_new_session=True)
    seen = []
    for line in p.stdout:
        seen.append(line)
        if STAGE_AFTER[stage] in line:
            time.sleep(rng.uniform(0, 1.5))
            break
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    return "".join(seen)


def _snapshot(data: Path) -> dict[str, pl.DataFrame]:
    snap = {}
    lake = data / "lake"
    for kind in ("staged", "quarantine"):
        files = sorted((lake / kind).rglob("*.parquet"))
        df = pl.concat([pl.read_parquet(f).drop("_ingested_at", strict=False) for f in files], how="diagonal_relaxed")
        snap[kind] = df.select(sorted(df.columns)).sort(["_source_file", "_row_number"])
    log = pl.read_parquet(lake / "load_log.parquet").filter(pl.col("status") == "loaded")
    snap["load_log"] = log.select("file", "rows_read", "rows_staged", "rows_quarantined").sort("file")
    link = pl.read_parquet(sorted((lake / "identity").rglob("identity_link*.parquet"))[0])
    snap["ids"] = link.select("record_key", "customer_id").sort("record_key")
    with duckdb.connect(str(data / "cdp.duckdb"), read_only=True) as con:
        for t in TABLES:
            cols = [c for c, ty in con.execute(f"SELECT column_name, data_type FROM duckdb_columns() "
                                               f"WHERE table_name = '{t}' AND schema_name = 'main'").fetchall()
                    if not c.endswith(("_at", "built", "version", "run_id")) or t == "contact_history"]
            snap[t] = pl.from_arrow(con.sql(f"SELECT {', '.join(cols)} FROM {t} ORDER BY ALL").to_arrow_table())
    return snap


def _leftovers(data: Path) -> list[str]:
    return [p.relative_to(data).as_posix() for p in data.rglob("*")
            if (".tmp-" in p.name or ".building-" in p.name) and "landing" not in p.parts]


@pytest.fixture(scope="module")
def delivery(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("faults")
    p = _cdp(base / "gen", "generate", "--persons", "60", "--seed", "11")
    out, _ = p.communicate(timeout=300)
    assert p.returncode == 0, out
    return base


def test_a_killed_run_is_recovered_by_the_next(delivery):
    # the profiles stage by default (CI must not be a lottery); FAULTS_STAGE=random or a stage name
    stage = os.environ.get("FAULTS_STAGE") or "profiles"
    if stage == "random":
        stage = random.choice(list(STAGE_AFTER))
    seed = int(os.environ.get("FAULTS_SEED") or random.randrange(1 << 30))
    print(f"fault injection: SIGKILL during {stage}, seed {seed}")
    clean, killed = delivery / "clean", delivery / f"killed-{stage}"
    for d in (clean, killed):
        shutil.copytree(delivery / "gen" / "landing", d / "landing")
        shutil.copytree(delivery / "gen" / "truth", d / "truth")
    _run(clean)
    before = _kill_during(killed, stage, random.Random(seed))
    assert STAGE_AFTER[stage] in before
    out = _run(killed)
    assert "holds" not in out
    assert _leftovers(killed) == []
    a, b = _snapshot(clean), _snapshot(killed)
    differ = [name for name in a if not a[name].equals(b[name])]
    assert not differ, (stage, differ, {n: (a[n].height, b[n].height) for n in differ})
