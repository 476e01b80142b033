"""Benchmark: churn risk against the simulator's truth (AUC, calibration) and its cost.

Simulates N persons, runs ingest, identity and the profile build through the ``cdp`` CLI (or
reuses ``--data-dir`` when it already holds a built database), then compares ``churn_risk`` with
``data/truth/persons.parquet`` (``churned_at``): AUC of churn_probability, of the MBG/NBD part alone
and of plain purchase recency (the baseline, measured in the same run), calibration (reliability
bins, expected calibration error, Brier score), and the same on the hard slice: customers who
churned in the last 365 days against those still active. Also times the churn step alone
(re-run on the built database).

Usage::

    .venv/bin/python benchmarks/churn.py --persons 20000 [--data-dir DIR]

Writes ``benchmarks/results/churn_<N>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and would shadow `profiles`.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import duckdb  # noqa: E402

from cdp.config import Settings  # noqa: E402
from profiles.cx import build_churn_risk  # noqa: E402
from profiles.cx_eval import evaluate_churn  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CDP = [str(Path(sys.executable).with_name("cdp"))]


def _cdp(data: Path, *args: str) -> float:
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([*CDP, "--data-dir", str(data), *args], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return round(time.perf_counter() - t0, 1)


def _time_churn_step(db: Path, settings: Settings) -> tuple[float, int]:
    """Re-run the churn step alone on a copy of the built database."""
    copy = db.with_name("churn_bench.duckdb")
    shutil.copyfile(db, copy)
    con = duckdb.connect(str(copy))
    try:
        p = settings.profiles
        con.execute("CREATE TEMP TABLE cfg_event_class AS SELECT unnest(?::VARCHAR[]) AS event_type, "
                    "'purchase' AS class", [list(p.purchase_types)])
        t0 = time.perf_counter()
        n = build_churn_risk(con, settings)
        return round(time.perf_counter() - t0, 2), n
    finally:
        con.close()
        copy.unlink(missing_ok=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--persons", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--data-dir")
    a = ap.parse_args()
    data = Path(a.data_dir) if a.data_dir else Path(tempfile.mkdtemp(prefix="churn-bench-")) / "data"
    stages = {}
    if not (data / "cdp.duckdb").is_file():
        stages["generate_s"] = _cdp(data, "generate", "--persons", str(a.persons), "--seed", str(a.seed))
        stages["ingest_s"] = _cdp(data, "ingest")
        stages["resolve_s"] = _cdp(data, "resolve")
        stages["build_profiles_s"] = _cdp(data, "build-profiles")
    settings = Settings().with_data_dir(data)
    churn_s, scored = _time_churn_step(settings.paths.duckdb, settings)
    result = {
        "benchmark": "churn",
        "persons": a.persons,
        "seed": a.seed,
        "model": "MBG/NBD (lifetimes.ModifiedBetaGeoFitter) + service signals",
        "signal_weights": settings.profiles.churn_signal_weights,
        "stages": stages,
        "churn_step_seconds": churn_s,
        "customers_scored": scored,
        **evaluate_churn(settings.paths.duckdb, settings.paths.truth),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    out = ROOT / "benchmarks" / "results" / f"churn_{a.persons}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "calibration"}, indent=2))
    print(f"-> {out}")


if __name__ == "__main__":
    main()
