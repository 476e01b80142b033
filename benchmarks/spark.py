"""Spark (local mode) against DuckDB on the same records: identity resolution and the profile build.

    .venv/bin/python benchmarks/spark.py --persons 10000 [--profile realistic] [--seed 7]
        [--reuse] [--parts identity,profiles]

One simulated data set (``cdp generate`` → ``cdp ingest``), one model (``cdp identity train``,
DuckDB), then in the same run:

* identity: ``cdp resolve --force --engine duckdb`` and ``--engine spark`` in two copies of the
  data dir; same customers? (pairwise agreement of the two ``identity_link`` tables, records
  whose cluster is identical), F1 of each against the simulator's truth (``cdp eval --json``);
* profiles: ``cdp build-profiles`` (DuckDB file) and ``cdp build-profiles --engine spark``
  (Parquet) on the DuckDB engine's identity output; the tables compared with the tolerance of
  the engine test (``profiles.spark.compare_tables``).

Every step is its own ``cdp`` subprocess. Peak RSS is sampled from ``/proc`` over the whole
process tree every 0.2 s (the Spark JVM is a grandchild that ``wait4`` of the child does not
count); CPU is the user + sys time of the processes in the tree, last seen. Writes
``benchmarks/results/spark_<N>.json``. Logs (counts and ids only) in ``benchmarks/work/spark_<N>/logs``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# keep the project's packages importable when run as a script (benchmarks/identity.py shadows identity)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))
RESULTS = HERE / "results"
CDP = str(Path(sys.executable).parent / "cdp")
_TICK = os.sysconf("SC_CLK_TCK")
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def _tree(pid: int) -> list[int]:
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def _stat(pid: int) -> tuple[int, float] | None:
    """(RSS in kB, user + sys seconds) of one process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is state (field 3): utime 14, stime 15, rss 24 → indexes 11, 12, 21
        return int(fields[21]) * _PAGE_KB, (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return None


def measure(name: str, argv: list[str], log_dir: Path) -> dict:
    """Run one command; wall time, tree CPU, tree peak RSS, stdout (stderr to ``<name>.log``)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    peak_kb, cpu = 0, {}
    with open(log_dir / f"{name}.log", "wb") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=err)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_kb
            while not done.is_set():
                total = 0
                for p in _tree(proc.pid):
                    s = _stat(p)
                    if s:
                        total += s[0]
                        cpu[p] = s[1]
                peak_kb = max(peak_kb, total)
                done.wait(0.2)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        out, _ = proc.communicate()
        wall = time.perf_counter() - t
        done.set()
        th.join()
    if proc.returncode:
        tail = (log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
        sys.exit(f"{name} failed (exit {proc.returncode}); see {log_dir / (name + '.log')}\n{tail}")
    return {"wall_s": round(wall, 2), "cpu_s": round(sum(cpu.values()), 2),
            "peak_rss_mb": round(peak_kb / 1024), "stdout": out.decode(errors="replace")}


def cdp(data_dir: Path, *args: str) -> list[str]:
    # the console script, not `python -c`: under -c pyspark believes it runs doctests (see identity.py)
    return [CDP, "--data-dir", str(data_dir), "--log-level", "INFO", *args]


def co_clustered_pairs(link: pl.DataFrame) -> pl.DataFrame:
    """Every unordered pair of records that share a customer id (record_key_l < record_key_r)."""
    k = link.select("record_key", "customer_id")
    return (k.join(k, on="customer_id", suffix="_r")
            .filter(pl.col("record_key") < pl.col("record_key_r"))
            .select(pl.col("record_key").alias("l"), pl.col("record_key_r").alias("r")))


def agreement(a: pl.DataFrame, b: pl.DataFrame) -> dict:
    """Do two identity_link tables give the same customers? Pairwise and per record."""
    pa, pb = co_clustered_pairs(a), co_clustered_pairs(b)
    both = pa.join(pb, on=["l", "r"]).height
    p = both / pb.height if pb.height else 1.0
    r = both / pa.height if pa.height else 1.0

    def members(link: pl.DataFrame) -> pl.DataFrame:
        return link.group_by("customer_id").agg(pl.col("record_key").sort().str.join(",").alias("m")) \
            .join(link.select("record_key", "customer_id"), on="customer_id").select("record_key", "m")

    ma, mb = members(a), members(b)
    same_cluster = ma.join(mb, on="record_key", suffix="_b").filter(pl.col("m") == pl.col("m_b")).height
    same_id = a.join(b, on="record_key", suffix="_b").filter(pl.col("customer_id") == pl.col("customer_id_b")).height
    return {
        "records": a.height, "records_other": b.height,
        "customers_duckdb": a["customer_id"].n_unique(), "customers_spark": b["customer_id"].n_unique(),
        "pairs_duckdb": pa.height, "pairs_spark": pb.height, "pairs_both": both,
        "pairwise_agreement_f1": round(2 * p * r / (p + r), 6) if p + r else 1.0,
        "pairwise_spark_precision_vs_duckdb": round(p, 6), "pairwise_spark_recall_vs_duckdb": round(r, 6),
        "records_in_identical_cluster_share": round(same_cluster / a.height, 6),
        "records_with_same_customer_id_share": round(same_id / a.height, 6),
    }


def _copy_data_dir(src: Path, dst: Path) -> None:
    """The data dir without raw landing and staged files (not read by resolve or profiles)."""
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("landing", "staged", "quarantine", "dagster_home",
                                                            "logs", "tmp"))


def _slim(res: dict) -> dict:
    return {k: v for k, v in res.items() if k != "stdout"}


def run_identity(base: Path, work: Path, logs: Path) -> dict:
    out: dict = {}
    duck, spark = work / "duckdb", work / "spark"
    for d in (duck, spark):
        _copy_data_dir(base, d)
    for engine, d in (("duckdb", duck), ("spark", spark)):
        res = measure(f"resolve_{engine}", cdp(d, "resolve", "--force", "--engine", engine), logs)
        report = json.loads(res["stdout"])
        ev = json.loads(measure(f"eval_{engine}", cdp(d, "eval", "--json"), logs)["stdout"])
        out[engine] = {**_slim(res), "stages_s": report.get("timings"), "customers": report.get("customers"),
                       "pairwise": ev["pairwise"], "bcubed": ev.get("bcubed")}
        print(f"resolve {engine}: {res['wall_s']} s, {res['peak_rss_mb']} MB, "
              f"F1 {ev['pairwise']['f1']}", flush=True)
    a = pl.read_parquet(duck / "lake" / "identity" / "identity_link.parquet")
    b = pl.read_parquet(spark / "lake" / "identity" / "identity_link.parquet")
    out["agreement"] = agreement(a, b)
    out["spark_over_duckdb_wall"] = round(out["spark"]["wall_s"] / out["duckdb"]["wall_s"], 2)
    shutil.rmtree(spark, ignore_errors=True)
    return out


def run_profiles(work: Path, logs: Path) -> dict:
    from cdp.config import load_settings
    from profiles.spark import compare_tables

    d = work / "duckdb"
    if not (d / "lake" / "identity" / "identity_link.parquet").is_file():
        sys.exit(f"{d}: no identity output; run with --parts identity first")
    out: dict = {}
    for engine in ("duckdb", "spark"):
        res = measure(f"profiles_{engine}", cdp(d, "build-profiles", "--engine", engine), logs)
        out[engine] = _slim(res)
        print(f"profiles {engine}: {res['wall_s']} s, {res['peak_rss_mb']} MB", flush=True)
    s = load_settings().with_data_dir(d)
    diff = compare_tables(s.paths.duckdb, s.paths.root / "spark" / "profiles")
    out["tables_compared"] = sorted(diff["equal"]) + sorted(diff["different"])
    out["tables_equal"] = sorted(diff["equal"])
    out["tables_different"] = diff["different"]
    out["rows"] = diff["rows"]
    out["spark_over_duckdb_wall"] = round(out["spark"]["wall_s"] / out["duckdb"]["wall_s"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=10_000)
    ap.add_argument("--profile", default="realistic")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--reuse", action="store_true", help="reuse the simulated, ingested and trained data dir")
    ap.add_argument("--parts", default="identity,profiles")
    args = ap.parse_args()
    parts = args.parts.split(",")
    work = ROOT / "benchmarks" / "work" / f"spark_{args.persons}"
    base, logs = work / "base", work / "logs"
    result_file = RESULTS / f"spark_{args.persons}.json"
    result = json.loads(result_file.read_text()) if args.reuse and result_file.is_file() else {}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    result |= {"persons": args.persons, "profile": args.profile, "seed": args.seed, "commit": commit,
               "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
               "machine": f"{os.cpu_count()} cores, shared with other jobs (load {os.getloadavg()[0]:.1f} at start)",
               "spark_master": os.environ.get("CDP_IDENTITY__SPARK_MASTER", "local[2]"),
               # the settings are cdp.toml / CDP_* variables as for `cdp`: record the non-defaults
               "settings_overrides": {k: v for k, v in os.environ.items() if k.startswith("CDP_")}}
    if not (args.reuse and (base / "models").is_dir()):
        shutil.rmtree(work, ignore_errors=True)
        result["prepare"] = {
            "generate": _slim(measure("generate", cdp(base, "generate", "--persons", str(args.persons),
                                                       "--profile", args.profile, "--seed", str(args.seed)), logs)),
            "ingest": _slim(measure("ingest", cdp(base, "ingest"), logs)),
            "train": _slim(measure("train", cdp(base, "identity", "train"), logs)),
        }
    from cdp.config import load_settings
    from identity.io import load_person_records

    result["person_records"] = load_person_records(load_settings().with_data_dir(base)).height
    RESULTS.mkdir(exist_ok=True)
    for part, run in (("identity", lambda: run_identity(base, work, logs)),
                      ("profiles", lambda: run_profiles(work, logs))):
        if part in parts:
            result[part] = run()
            # written after each part: a long Spark run keeps what it measured so far
            result_file.write_text(json.dumps(result, indent=1) + "\n")
            print(f"wrote {result_file} ({part})", flush=True)


if __name__ == "__main__":
    main()
