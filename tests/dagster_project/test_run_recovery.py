"""One run at a time, and a killed run recovered by the next (issue 15, class 5)."""

from __future__ import annotations

import subprocess
import sys
import uuid

import dagster as dg
import pytest

from cdp.config import Settings
from cdp.runlock import LOCK_NAME, RunLocked, process_alive, process_id, run_lock
from dagster_project.assets import DUCKDB_POOL
from dagster_project.run import (
    PROCESS_TAG,
    DemoSecret,
    PoolBusy,
    check_secret,
    dagster_instance,
    recover_dead_runs,
    remove_leftovers,
    run_pipeline,
)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def test_a_second_run_is_refused_with_one_line(settings):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from cdp.runlock import run_lock\n"
         "with run_lock(Path(sys.argv[1])):\n print('held', flush=True); time.sleep(60)", str(settings.paths.root)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLocked) as exc, run_lock(settings.paths.root):
            pass
        msg = str(exc.value)
        assert "\n" not in msg and f"pid {holder.pid}" in msg and LOCK_NAME in msg
    finally:
        holder.kill()
        holder.wait()
    # the kernel released the dead holder's lock: the next run takes it over
    with run_lock(settings.paths.root) as previous:
        assert f"pid {holder.pid}" in previous


def test_process_identity_tells_dead_from_alive():
    assert process_alive(process_id())
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    ident = process_id(p.pid)
    p.wait()
    assert not process_alive(ident)


def _stuck_run(instance: dg.DagsterInstance, ident: str) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(dg.DagsterRun(job_name="cdp_job", run_id=run_id, status=dg.DagsterRunStatus.STARTED,
                                   tags={PROCESS_TAG: ident}))
    storage = instance.event_log_storage
    storage.set_concurrency_slots(DUCKDB_POOL, 1)
    assert storage.claim_concurrency_slot(DUCKDB_POOL, run_id, "profiles").is_claimed
    return run_id


def test_a_killed_run_is_marked_failed_and_its_pool_slot_freed(settings):
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    dead = process_id(p.pid)
    p.wait()
    with dagster_instance(settings) as instance:
        run_id = _stuck_run(instance, dead)
        notes = recover_dead_runs(instance)
        assert notes and instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.event_log_storage.get_concurrency_info(DUCKDB_POOL).claimed_slots == []
        # a live run holding the pool is reported, not waited for
        _stuck_run(instance, process_id())
        with pytest.raises(PoolBusy):
            recover_dead_runs(instance)


def test_leftovers_of_a_kill_are_removed_but_never_landing(settings):
    root = settings.paths.root
    left = [root / ".cdp.duckdb.building-0a1b", root / ".cdp.duckdb.building-0a1b.wal",
            settings.paths.staged / "erp" / "customers" / ".tmp-ab12-x.parquet.partial",
            settings.paths.reports / "ingest" / ".tmp-cd34-index.html"]
    keep = [settings.paths.landing / "erp" / "2024-03-08" / ".tmp-of-the-source.csv", root / "cdp.duckdb"]
    for p in left + keep:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    removed = remove_leftovers(settings)
    assert len(removed) == len(left)
    assert not any(p.exists() for p in left) and all(p.exists() for p in keep)


def test_the_demo_secret_is_refused_on_real_data_and_warned_about_on_simulated(settings):
    day = settings.paths.landing / "erp" / "2024-03-08"
    day.mkdir(parents=True)
    (day / "kunden_20240308.csv").write_text("Kundennummer\n")
    lines: list[str] = []
    with pytest.raises(DemoSecret, match="CDP_PRIVACY__SECRET"):
        run_pipeline(settings, echo=lines.append)
    assert not (settings.paths.lake / "load_log.parquet").exists()  # refused before anything ran
    settings.paths.truth.mkdir(parents=True)
    (settings.paths.truth / "manifest.json").write_text("{}")
    check_secret(settings, lines.append)
    assert lines and lines[0].startswith("WARNING: privacy.secret")
    settings.privacy.secret = "a-long-random-installation-secret"
    check_secret(settings, lines.append)  # a real secret: nothing to say
    assert len(lines) == 1


def test_a_failed_step_prints_the_errors_first_line_without_the_value_it_quotes():
    """What `cdp run` prints for a failed step names the error (not DuckDB's closing link to its
    tuning guide) and never the data value a failing cast quotes."""
    from dagster_project.run import error_line

    oom = ("duckdb.OutOfMemoryException: Out of Memory Error: failed to pin block of size 256.0 KiB (7.4 GiB/7.4 GiB used)\n\n"
           "Possible solutions:\n* Reducing the number of threads\n\nSee also https://duckdb.org/docs/stable/guides/performance/how_to_tune_workloads")
    assert error_line(oom).startswith("duckdb.OutOfMemoryException: Out of Memory Error: failed to pin block")
    cast = "\nduckdb.ConversionException: Conversion Error: Could not convert string 'anna.mueller@example.de' to INT64\n\nLINE 1: ..."
    assert error_line(cast) == "duckdb.ConversionException: Conversion Error: Could not convert string '…' to INT64"
    polars = 'polars.exceptions.InvalidOperationError: conversion from `str` to `i64` failed in column \'plz\' for 1 out of 3 values: ["Mueller"]'
    assert "Mueller" not in error_line(polars) and "conversion from `str` to `i64` failed" in error_line(polars)
