"""Daily partitions by load date: the ``<YYYY-MM-DD>`` folder a delivery lands in."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg

#: One partition per delivery date (``data/landing/<source>/<YYYY-MM-DD>/``) on the source assets;
#: canonical, identity and profiles are global and unpartitioned.
LOAD_DATES = dg.DailyPartitionsDefinition(start_date="2020-01-01", end_offset=1)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def load_date_of(relative_path: str) -> str | None:
    """The load date of a landing file path ``<source>/<YYYY-MM-DD>/<file>``, or ``None``."""
    parts = Path(relative_path).parts
    return parts[1] if len(parts) >= 3 and _DATE.match(parts[1]) else None


def landing_dates(landing: Path, source: str | None = None) -> list[str]:
    """Sorted delivery dates found under ``landing`` (optionally of one source)."""
    roots = [landing / source] if source else [p for p in landing.glob("*") if p.is_dir()]
    return sorted({d.name for r in roots for d in r.glob("*") if d.is_dir() and _DATE.match(d.name)})


def range_tags(dates: list[str]) -> dict[str, str]:
    """Run tags that select the partition range spanning ``dates`` in one run."""
    return {RANGE_START_TAG: min(dates), RANGE_END_TAG: max(dates)}
