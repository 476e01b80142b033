"""Time the source simulator: ``python benchmarks/simulate.py --persons 1000000``.

Writes benchmarks/results/simulate_<N>.json with wall time, peak RSS and rows per file.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from simulator import generate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--profile", default="realistic")
    ap.add_argument("--dirty-rate", type=float, default=0.01)
    ap.add_argument("--deliveries", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="data dir (default: a temp dir, removed after)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cdp-sim-") as tmp:
        root = args.out or Path(tmp)
        t = time.perf_counter()
        summary = generate(args.persons, args.seed, profile=args.profile, dirty_rate=args.dirty_rate,
                           out=root / "landing", truth=root / "truth", deliveries=args.deliveries)
        wall = time.perf_counter() - t
        size = sum(p.stat().st_size for p in (root / "landing").rglob("*") if p.is_file())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "persons": args.persons, "seed": args.seed, "profile": args.profile, "dirty_rate": args.dirty_rate,
        "deliveries": args.deliveries, "wall_seconds": round(wall, 2), "peak_rss_mb": round(peak_kb / 1024, 1),
        "landing_bytes": size, "rows_total": sum(summary["files"].values()),
        "person_records": summary["records"], "dirty_rows": summary["dirty_rows"], "rows_per_file": summary["files"],
        "targets": {"wall_seconds": 300, "peak_rss_mb": 8192},
    }
    out = Path(__file__).parent / "results" / f"simulate_{args.persons}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "rows_per_file"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
