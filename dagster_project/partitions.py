"""Partitions by load date: the ``<YYYY-MM-DD>`` folder a delivery lands in.

The partitions are the load dates that exist, not a calendar: ``cdp run``, the landing sensor
and the daily schedule register each new ``data/landing/<source>/<YYYY-MM-DD>/`` folder as a
dynamic partition, so the UI shows one partition per delivery date, all of them materialised
after a run, and each one can be re-run from there.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from cdp.lake import delivery_date

#: One partition per delivery date on the source assets; canonical, identity and profiles are
#: global and unpartitioned.
LOAD_DATE_PARTITIONS = "load_date"
LOAD_DATES = dg.DynamicPartitionsDefinition(name=LOAD_DATE_PARTITIONS)

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


def register_load_dates(instance: dg.DagsterInstance, dates: list[str]) -> list[str]:
    """Add the load dates not yet known to ``instance`` (in date order); all partition keys after."""
    known = set(instance.get_dynamic_partitions(LOAD_DATE_PARTITIONS))
    new = sorted(d for d in set(dates) if d not in known)
    if new:
        instance.add_dynamic_partitions(LOAD_DATE_PARTITIONS, new)
    return list(instance.get_dynamic_partitions(LOAD_DATE_PARTITIONS))


def range_tags(dates: list[str], order: list[str] | None = None) -> dict[str, str]:
    """Run tags that select, in one run, the partition range spanning ``dates``.

    Args:
        dates: the load dates the run must cover.
        order: the partition keys in the instance's order (dynamic partitions keep the order
            they were added in, so a late delivery for an earlier date comes last); default:
            date order.
    """
    if order:
        position = {key: i for i, key in enumerate(order)}
        ranked = sorted(dates, key=lambda d: position.get(d, len(order)))
        return {RANGE_START_TAG: ranked[0], RANGE_END_TAG: ranked[-1]}
    return {RANGE_START_TAG: min(dates), RANGE_END_TAG: max(dates)}
