"""Benchmark the canonical build alone on an existing staged lake; write wall, CPU and peak RSS.

Usage: .venv/bin/python benchmarks/canonical.py --persons 1000000 --from benchmarks/work/ingest_1000000
       .venv/bin/python benchmarks/canonical.py --persons 100000 --from benchmarks/work/100000 --erase 5

The run gets its own data dir ``benchmarks/work/canonical_<N>/`` whose ``lake/staged`` and
``lake/load_log.parquet`` are symlinks into ``--from`` (read only), so another stage's lake is never
touched. ``--erase K`` first writes tombstones for K person records (record key, name + birth date)
to exercise the data-protection filter at scale. ``--label`` names the run inside
``results/canonical_<N>.json`` (runs of other labels in that file are kept), e.g. ``before`` with
``PYTHONPATH`` pointing at an older checkout's sources. ``--rss-limit-mb`` stops the run (and
records that) when its resident memory passes the limit, so an unbounded version cannot take
the shared machine down.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# benchmarks/identity.py etc. must not shadow the packages of the same name
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _save(res: Path, label: str, run: dict) -> None:
    doc = json.loads(res.read_text()) if res.is_file() else {}
    doc.setdefault("runs", {})[label] = run
    res.parent.mkdir(parents=True, exist_ok=True)
    res.write_text(json.dumps(doc, indent=1))


def _watchdog(limit_mb: float, res: Path, label: str, run: dict, t0: float) -> None:
    while True:
        rss = _rss_mb()
        if rss > limit_mb:
            _save(res, label, run | {"status": "stopped", "stopped_at_rss_mb": round(rss),
                                     "stopped_after_seconds": round(time.perf_counter() - t0, 1),
                                     "note": f"resident memory passed the {limit_mb:.0f} MB limit"})
            print(f"stopped: RSS {rss:.0f} MB > {limit_mb:.0f} MB", flush=True)
            os._exit(3)
        time.sleep(0.2)


def _erase(settings, k: int) -> int:
    """Tombstones for ``k`` spread-out person records of the current canonical build."""
    from datetime import UTC, datetime

    import polars as pl

    from pipelines.canonical import current_tables
    from privacy import identifiers as ids
    from privacy import store

    people = current_tables(settings)["person_records"]
    n = people.select(pl.len()).collect().item()
    pick = people.gather_every(max(1, n // k)).head(k).collect()
    h = ids.identifier_hashes(settings, ids.standardised(pick)).filter(pl.col("kind").is_in(["record_key", "name_dob"]))
    tomb = h.select(pl.lit("bench").alias("tombstone_id"), "kind", "hash",
                    pl.lit(datetime(2025, 1, 1, tzinfo=UTC)).alias("erased_at"))
    store.replace(settings, "tombstones.parquet", tomb)
    return tomb.height


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--persons", type=int, required=True)
    ap.add_argument("--from", dest="src", type=Path, required=True, help="a data dir with lake/staged")
    ap.add_argument("--label", default="after")
    ap.add_argument("--erase", type=int, default=0, help="tombstone this many person records first")
    ap.add_argument("--erase-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--rss-limit-mb", type=float, default=0)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    from cdp.config import Settings
    from pipelines.canonical import build_canonical

    src = args.src.resolve()
    work = HERE / "work" / f"canonical_{args.persons}"
    (work / "lake").mkdir(parents=True, exist_ok=True)
    for name in ("staged", "load_log.parquet"):
        link = work / "lake" / name
        if link.is_symlink() and link.resolve() != (src / "lake" / name).resolve():
            link.unlink()
        if not link.exists():
            link.symlink_to(src / "lake" / name)
    tomb = work / "privacy" / "tombstones.parquet"
    settings = Settings(data_dir=work)
    if args.erase_only:  # child process: keeps the tombstone set-up out of the measured peak RSS
        print(_erase(settings, args.erase))
        return
    tomb.unlink(missing_ok=True)
    res = args.out or HERE / "results" / f"canonical_{args.persons}.json"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=HERE.parent, check=False).stdout.strip()
    run: dict = {"persons": args.persons, "staged_from": str(args.src), "code": commit,
                 "pipelines_code": str(Path(build_canonical.__code__.co_filename).parent),
                 "machine": platform.platform(), "cpus": os.cpu_count(),
                 "load_avg_at_start": [round(x, 1) for x in os.getloadavg()],
                 "note": "2 cores shared with other engineers' jobs"}
    if args.erase:
        child = subprocess.run([sys.executable, __file__, "--persons", str(args.persons), "--from", str(src),
                                "--erase", str(args.erase), "--erase-only"],
                               capture_output=True, text=True, check=True)
        run["tombstones"] = int(child.stdout.split()[-1])
    t0 = time.perf_counter()
    if args.rss_limit_mb:
        threading.Thread(target=_watchdog, args=(args.rss_limit_mb, res, args.label, run, t0),
                         daemon=True).start()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    counts = build_canonical(settings)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    run |= {"status": "ok", "canonical_seconds": round(wall, 2),
            "cpu_seconds": round(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime, 2),
            "load_avg_at_end": [round(x, 1) for x in os.getloadavg()],
            "canonical_rows": counts,
            "rows_per_second": round(sum(counts.values()) / wall),
            "peak_rss_mb": round(_peak_rss_mb())}
    _save(res, args.label, run)
    print(json.dumps(run, indent=1))


if __name__ == "__main__":
    main()
