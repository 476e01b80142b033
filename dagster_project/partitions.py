"""Daily partitions by load date: the ``<YYYY-MM-DD>`` folder a delivery lands in."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg

from pipelines.ingest import FIRST_DELIVERY

#: One partition per delivery date (``data/landing/<source>/<YYYY-MM-DD>/``) on the source assets;
#: canonical, identity and profiles are global and unpartitioned.
LOAD_DATES = dg.DailyPartitionsDefinition(start_date=FIRST_DELIVERY.isoformat(), end_offset=1)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def load_date_of(relative_path: str) -> str | None:
    """The load date of a landing file path ``<source>/<YYYY-MM-DD>/<file>``, or ``None``."""
    parts = Path(relative_path).parts
    return parts[1] if len(parts) >= 3 and _DATE.match(parts[1]) else None


def _partition_date(name: str) -> bool:
    """A folder name that is a load-date partition: a real date from FIRST_DELIVERY to tomorrow."""
    if not _DATE.match(name):
        return False
    try:
        d = date.fromisoformat(name)
    except ValueError:
        return False
    return FIRST_DELIVERY <= d <= datetime.now(UTC).date() + timedelta(days=1)


def landing_dates(landing: Path, source: str | None = None) -> list[str]:
    """Sorted delivery dates found under ``landing`` (optionally of one source).

    Folders that are no valid partition (``2025-02-30``, before 2020, symbolic links) are left
    out here, so they cannot stop a run before it starts; ingestion reports them in the load log.
    """
    roots = [landing / source] if source else [p for p in landing.glob("*") if p.is_dir() and not p.is_symlink()]
    return sorted({d.name for r in roots for d in r.glob("*")
                   if d.is_dir() and not d.is_symlink() and _partition_date(d.name)})


def range_tags(dates: list[str]) -> dict[str, str]:
    """Run tags that select the partition range spanning ``dates`` in one run."""
    return {RANGE_START_TAG: min(dates), RANGE_END_TAG: max(dates)}
