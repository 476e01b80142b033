"""Daily partitions by load date: the ``<YYYY-MM-DD>`` folder a delivery lands in."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from cdp.lake import delivery_date

#: One partition per delivery date (``data/landing/<source>/<YYYY-MM-DD>/``) on the source assets;
#: canonical, identity and profiles are global and unpartitioned.
LOAD_DATES = dg.DailyPartitionsDefinition(start_date="2020-01-01", end_offset=1)

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def load_date_of(relative_path: str) -> str | None:
    """The load date (``YYYY-MM-DD``) of a landing file path, by :func:`cdp.lake.delivery_date`."""
    d = delivery_date(relative_path)
    return d.isoformat() if d else None


def landing_dates(landing: Path, source: str | None = None) -> list[str]:
    """Sorted delivery dates found under ``landing`` (optionally of one source)."""
    roots = [landing / source] if source else [p for p in landing.glob("*") if p.is_dir()]
    files = (f for r in roots for f in r.rglob("*") if f.is_file() and not f.name.startswith("."))
    return sorted({d for f in files if (d := load_date_of(f.relative_to(landing).as_posix()))})


def range_tags(dates: list[str]) -> dict[str, str]:
    """Run tags that select the partition range spanning ``dates`` in one run."""
    return {RANGE_START_TAG: min(dates), RANGE_END_TAG: max(dates)}
