"""Automation: a sensor for new landing files and a daily schedule."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from dagster_project.partitions import load_date_of, range_tags
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


def run_request_for(files: list[str]) -> dg.RunRequest | None:
    """One run for the load dates of ``files`` (a single run over the range: one DuckDB writer)."""
    dates = sorted({d for f in files if (d := load_date_of(f))})
    if not dates:
        return None
    run_key = hashlib.sha256("\n".join(sorted(files)).encode()).hexdigest()[:16]
    return dg.RunRequest(run_key=run_key, tags={**range_tags(dates), "cdp/new_files": str(len(files))})


@dg.sensor(job_name=JOB_NAME, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Starts a run when new or changed files appear under data/landing/ (cursor: path → mtime).")
def landing_sensor(context: dg.SensorEvaluationContext, cdp: CdpSettingsResource) -> dg.SensorResult | dg.SkipReason:
    """Request one run covering the load dates of new landing files."""
    landing = cdp.get().paths.landing
    files, cursor = new_landing_files(landing, context.cursor)
    request = run_request_for(files) if files else None
    if request is None:
        return dg.SensorResult(skip_reason=dg.SkipReason(f"no new files under {landing}"), cursor=cursor)
    context.log.info(f"{len(files)} new landing file(s): {request.tags}")
    return dg.SensorResult(run_requests=[request], cursor=cursor)


def daily_schedule(job: dg.UnresolvedAssetJobDefinition
                   ) -> dg.ScheduleDefinition | dg.UnresolvedPartitionedAssetScheduleDefinition:
    """Every day at 06:00: the previous day's load-date partition and everything downstream."""
    return dg.build_schedule_from_partitioned_job(job, hour_of_day=6, name="daily_cdp",
                                                  default_status=dg.DefaultScheduleStatus.STOPPED)
