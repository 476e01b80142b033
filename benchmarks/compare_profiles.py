"""Compare two profile databases table by table (the "no behaviour change" check).

    python benchmarks/compare_profiles.py OLD/cdp.duckdb NEW/cdp.duckdb

Every table and view of either file (schemas main and pseudo) is compared with ``EXCEPT ALL``
both ways (a multiset difference: duplicates count). Columns that hold a run's wall-clock time
(``profiles.compare.WALL_CLOCK``) are left out. Exits 1 and lists the differences when any table
differs or exists in one file only. The logic is ``profiles.compare.compare_databases``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# the repository first: benchmarks/profiles.py would shadow the profiles package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from profiles.compare import compare_databases  # noqa: E402


def main(old: str, new: str) -> int:
    lines, bad = compare_databases(old, new)
    for line in lines:
        print(line)
    for line in bad:
        if not line.startswith(("same", "DIFF")):
            print(line)
    print(f"{len(lines)} tables/views compared, {len(bad)} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
