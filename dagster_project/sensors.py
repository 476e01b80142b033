"""Automation: a sensor for new landing files and a daily schedule."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import dagster as dg

from dagster_project.partitions import (
    LOAD_DATE_PARTITIONS,
    LOAD_DATES,
    landing_dates,
    load_date_of,
    range_tags,
    register_load_dates,
)
from dagster_project.resources import CdpSettingsResource

JOB_NAME = "cdp_job"


def scan_landing(landing: Path) -> dict[str, int]:
    """Every delivered file under ``landing`` (relative path → mtime in ns); temp and hidden files skipped."""
    if not landing.is_dir():
        return {}
    return {
        p.relative_to(landing).as_posix(): p.stat().st_mtime_ns
        for p in sorted(landing.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(landing).parts)
    }


def new_landing_files(landing: Path, cursor: str | None) -> tuple[list[str], str]:
    """Files that are new or changed since ``cursor``, and the cursor to store next.

    The cursor is a JSON object of relative path → mtime (ns) of every file seen so far.
    """
    seen: dict[str, int] = json.loads(cursor) if cursor else {}
    now = scan_landing(landing)
    new = [f for f, mtime in now.items() if seen.get(f) != mtime]
    return new, json.dumps(now, sort_keys=True)


def run_request_for(files: list[str], order: list[str] | None = None) -> dg.RunRequest | None:
    """One run for the load dates of ``files`` (a single run over the range: one DuckDB writer).

    ``order`` is the instance's partition key order (see :func:`range_tags`).
    """
    dates = sorted({d for f in files if (d := load_date_of(f))})
    if not dates:
        return None
    run_key = hashlib.sha256("\n".join(sorted(files)).encode()).hexdigest()[:16]
    return dg.RunRequest(run_key=run_key, tags={**range_tags(dates, order), "cdp/new_files": str(len(files))})


def _known_load_dates(context: dg.SensorEvaluationContext | dg.ScheduleEvaluationContext) -> list[str]:
    try:
        return list(context.instance.get_dynamic_partitions(LOAD_DATE_PARTITIONS))
    except Exception:  # noqa: BLE001 - a context built without an instance (unit tests)
        return []


@dg.sensor(job_name=JOB_NAME, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Registers new load dates as partitions and starts a run when new or changed files "
                       "appear under data/landing/ (cursor: path → mtime).")
def landing_sensor(context: dg.SensorEvaluationContext, cdp: CdpSettingsResource) -> dg.SensorResult | dg.SkipReason:
    """Register the load dates of new landing files and request one run covering them."""
    landing = cdp.get().paths.landing
    files, cursor = new_landing_files(landing, context.cursor)
    dates = sorted({d for f in files if (d := load_date_of(f))})
    known = _known_load_dates(context)
    new_dates = [d for d in dates if d not in known]
    request = run_request_for(files, known + new_dates) if files else None
    partitions = [LOAD_DATES.build_add_request(new_dates)] if new_dates else []
    if request is None:
        return dg.SensorResult(skip_reason=dg.SkipReason(f"no new files under {landing}"), cursor=cursor,
                               dynamic_partitions_requests=partitions)
    context.log.info(f"{len(files)} new landing file(s): {request.tags}")
    return dg.SensorResult(run_requests=[request], cursor=cursor, dynamic_partitions_requests=partitions)


@dg.schedule(job_name=JOB_NAME, cron_schedule="0 6 * * *", name="daily_cdp",
             default_status=dg.DefaultScheduleStatus.STOPPED,
             description="Every day at 06:00: the previous day's load date (when a delivery landed) "
                         "and everything downstream.")
def daily_schedule(context: dg.ScheduleEvaluationContext, cdp: CdpSettingsResource) -> dg.RunRequest | dg.SkipReason:
    """The previous day's load-date partition, registered first if the sensor has not seen it."""
    day = (context.scheduled_execution_time.date() - timedelta(days=1)).isoformat()
    return daily_request(cdp.get().paths.landing, day, context.instance)


def daily_request(landing: Path, day: str, instance: dg.DagsterInstance) -> dg.RunRequest | dg.SkipReason:
    """A run for load date ``day`` when a delivery landed that day (registered as a partition)."""
    if day not in landing_dates(landing):
        return dg.SkipReason(f"no delivery for {day} under data/landing/")
    register_load_dates(instance, [day])
    return dg.RunRequest(run_key=f"daily-{day}", partition_key=day)
