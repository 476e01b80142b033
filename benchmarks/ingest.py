"""Benchmark ingestion: simulate N persons (if needed), ingest, build canonical; write rows/s and peak RSS.

Usage: .venv/bin/python benchmarks/ingest.py --persons 100000
       .venv/bin/python benchmarks/ingest.py --persons 1000000 --landing benchmarks/work/1m/landing
Writes benchmarks/results/ingest_<N>.json (or --out). Work data lives in benchmarks/work/<N>/
(re-used when present; the lake and reports are wiped before each run so every file is loaded
again). With --landing, an existing export set is read in place: the run gets its own data dir
benchmarks/work/ingest_<N>/ with a symlink to it, so another stage's lake is never touched.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# benchmarks/identity.py etc. must not shadow the packages of the same name
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--deliveries", type=int, default=1)
    ap.add_argument("--landing", type=Path, help="an existing landing dir to ingest (read only)")
    ap.add_argument("--out", type=Path, help="result JSON (default benchmarks/results/ingest_<N>.json)")
    ap.add_argument("--work", help="data dir name under benchmarks/work/ (default ingest_<N> with --landing)")
    ap.add_argument("--batch-rows", type=int, help="ingest.batch_rows (0: every file whole, the old way)")
    args = ap.parse_args()

    from cdp.config import Settings
    from pipelines.canonical import build_canonical
    from pipelines.ingest import ingest

    work = HERE / "work" / (args.work or (f"ingest_{args.persons}" if args.landing else str(args.persons)))
    if args.landing:
        work.mkdir(parents=True, exist_ok=True)
        link = work / "landing"
        if not link.exists():
            link.symlink_to(args.landing.resolve())
    settings = Settings(data_dir=work)
    if args.batch_rows is not None:
        settings.ingest.batch_rows = args.batch_rows
    out: dict = {"persons": args.persons, "seed": args.seed, "deliveries": args.deliveries,
                 "machine": platform.platform(), "note": "2 cores shared with other jobs"}
    if not (settings.paths.landing).is_dir():
        from simulator.core import generate

        t = time.perf_counter()
        generate(persons=args.persons, seed=args.seed, deliveries=args.deliveries,
                 out=settings.paths.landing, truth=settings.paths.truth)
        out["simulate_seconds"] = round(time.perf_counter() - t, 2)
    for d in (settings.paths.lake, settings.paths.reports):
        shutil.rmtree(d, ignore_errors=True)

    t0 = time.perf_counter()
    report = ingest(settings)
    t1 = time.perf_counter()
    res = args.out or HERE / "results" / f"ingest_{args.persons}.json"
    res.parent.mkdir(parents=True, exist_ok=True)
    # keep the ingest numbers even if the canonical build dies (memory on a shared machine)
    res.write_text(json.dumps(out | {"ingest_seconds": round(t1 - t0, 2), "canonical_seconds": None,
                                     "stage_seconds": {k: round(sum(f.seconds.get(k, 0.0) for f in report.files), 2)
                                                       for k in ("read", "rules", "ge", "write")},
                                     "rows_read": sum(f.rows_read for f in report.files),
                                     "batch_rows": settings.ingest.batch_rows,
                                     "peak_rss_mb": round(_peak_rss_mb())}, indent=1))
    ingest_peak = round(_peak_rss_mb())
    counts = build_canonical(settings)
    t2 = time.perf_counter()

    rows = sum(f.rows_read for f in report.files)
    stage = {k: sum(f.seconds.get(k, 0.0) for f in report.files) for k in ("read", "rules", "ge", "write")}
    out |= {
        "files": len(report.files),
        "files_failed": len(report.failed),
        "rows_read": rows,
        "rows_staged": sum(f.rows_staged for f in report.files),
        "rows_quarantined": sum(f.rows_quarantined for f in report.files),
        "ingest_seconds": round(t1 - t0, 2),
        "canonical_seconds": round(t2 - t1, 2),
        "total_seconds": round(t2 - t0, 2),
        "stage_seconds": {k: round(v, 2) for k, v in stage.items()},
        "keys_seconds": round(sum(f.seconds.get("keys", 0.0) for f in report.files), 2),
        "rows_per_second": {
            **{k: round(rows / v) if v else None for k, v in stage.items()},
            "ingest": round(rows / (t1 - t0)),
            "canonical": round(sum(counts.values()) / (t2 - t1)),
        },
        "canonical_rows": counts,
        "ge_sample_rows": settings.ingest.ge_sample_rows,
        "batch_rows": settings.ingest.batch_rows,
        "ingest_peak_rss_mb": ingest_peak,
        "pipelines_code": str(Path(ingest.__code__.co_filename).parent),
        "peak_rss_mb": round(_peak_rss_mb()),
        "per_file": [{"file": f.file, "rows": f.rows_read, "status": f.status,
                      "seconds": {k: round(v, 2) for k, v in f.seconds.items()}} for f in report.files],
    }
    res.write_text(json.dumps(out, indent=1))
    print(json.dumps({k: v for k, v in out.items() if k != "per_file"}, indent=1))


if __name__ == "__main__":
    main()
