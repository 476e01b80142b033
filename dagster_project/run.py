"""``cdp run``: execute ``cdp_job`` in-process (no daemon, persistent instance) and summarise it."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.events import StepMaterializationData

from cdp.config import DEMO_SECRET, Settings
from cdp.runlock import process_alive, process_id, run_lock
from dagster_project.assets import DUCKDB_POOL, daily_delta
from dagster_project.definitions import build_definitions
from dagster_project.partitions import landing_dates, range_tags, register_load_dates
from dagster_project.sensors import JOB_NAME

Echo = Callable[[str], None]

#: Run tag naming the process that executes a `cdp run` (``host:pid:start``), so the next run
#: can tell a run that is still going from one that was killed.
PROCESS_TAG = "cdp/process"
IN_PROGRESS = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.NOT_STARTED,
               dg.DagsterRunStatus.CANCELING]
#: Leftovers of a killed write: temp files of the lake writer and reports, databases being built
#: (with their WAL). Only removed while the run lock is held, so no live writer owns them.
LEFTOVER_MARKS = (".tmp-", ".building-")


class DemoSecret(RuntimeError):
    """``privacy.secret`` is the published demo value on data that is not simulated."""


def check_secret(settings: Settings, echo: Echo) -> None:
    """Warn loudly about the demo ``privacy.secret`` on simulated data (``data/truth/`` exists);
    refuse it on any other data: with a published key, erasure tombstones and pseudonyms can be
    reversed by anyone who guesses an e-mail address.

    Raises:
        DemoSecret: demo secret, and the data is not the simulator's.
    """
    if settings.privacy.secret != DEMO_SECRET:
        return
    if (settings.paths.truth / "manifest.json").is_file():
        echo("WARNING: privacy.secret is the published demo value. Fine for simulated data; set "
             "CDP_PRIVACY__SECRET (or [privacy] secret in cdp.toml) before loading real exports.")
        return
    raise DemoSecret("privacy.secret is the published demo value and this is not simulated data: set "
                     "CDP_PRIVACY__SECRET (or [privacy] secret in cdp.toml) to a long random value first")


class PoolBusy(RuntimeError):
    """A live Dagster run (e.g. from the UI) holds the ``cdp_duckdb`` pool: waiting would hang."""


@dataclass
class RunSummary:
    """What one run did, for the console and for tests."""

    success: bool
    run_id: str
    load_dates: list[str]
    materialized: dict[str, dict[str, Any]] = field(default_factory=dict)  # asset key → metadata
    checks: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def metadata(self, key: str) -> dict[str, Any]:
        return self.materialized.get(key, {})

    def check(self, asset: str, name: str) -> dict[str, Any] | None:
        return next((c for c in self.checks if c["asset"] == asset and c["check"] == name), None)


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


_STAGE = {"canonical_records": "canonical", "identity_resolution": "identity", "identity__guest_retention": "retention",
          "profile_database": "profiles", "agent_views": "exports", "exports__agent_views": "exports",
          "reports__record_of_processing": "reports"}


def step_line(step: str, materialized: dict[str, dict[str, Any]], seconds: float | None) -> str:
    """The progress line of one finished step (a stage, or one source's ingest)."""
    took = f"  {seconds:5.1f} s" if seconds is not None else ""
    if step.startswith("ingest_"):
        source = step.removeprefix("ingest_")
        staged = sum(int(m.get("rows_staged", 0)) for m in materialized.values())
        quarantined = sum(int(m.get("rows_quarantined", 0)) for m in materialized.values())
        dupes = sum(int(m.get("duplicate_deliveries_skipped", 0)) for m in materialized.values())
        extra = f", {dupes} duplicate file{'s' if dupes != 1 else ''} skipped" if dupes else ""
        text = f"{staged:,} rows staged, {quarantined:,} quarantined{extra}"
        return f"  ✓ {'sources/' + source:<20} {text}{took}"
    stage = _STAGE.get(step, step)
    rows = {k.split("/", 1)[-1]: m.get("dagster/row_count") for k, m in materialized.items()}
    if stage == "identity":
        link = materialized.get("identity/identity_link", {})
        trained = (f", model {link.get('model_version')} trained in {link['training_seconds']:.0f} s"
                   if link.get("model_trained") and "training_seconds" in link else
                   f", model {link.get('model_version')}")
        text = f"{rows.get('identity_link') or 0:,} records → {rows.get('customers') or 0:,} customers{trained}"
    elif stage == "retention":
        meta = next(iter(materialized.values()), {})
        text = (f"{int(meta.get('expired', 0) or 0):,} expired guest checkouts, "
                f"{int(meta.get('dagster/row_count', 0) or 0):,} new retention tombstones")
    elif stage == "profiles":
        text = (f"{len(rows)} tables and views: {rows.get('customer') or 0:,} customers, "
                f"{rows.get('contact_history') or 0:,} contacts, {rows.get('consent') or 0:,} consent rows")
        first = next(iter(materialized.values()), {})
        if first.get("build") == "daily delta":
            text += f" (daily delta: {first.get('delta_customers_in_scope', 0):,} customers updated)"
    else:
        text = ", ".join(f"{t.replace('_', ' ')} {n:,}" for t, n in rows.items() if n is not None)
    return f"  ✓ {stage:<20} {text}{took}"


class _ProgressHandler(logging.Handler):
    """One line per finished step (each source's ingest, canonical, identity, profiles, exports),
    one per failed blocking check and failed step; ``status`` names the running step."""

    def __init__(self, echo: Echo, status: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.echo = echo
        self.status = status
        self.by_step: dict[str, dict[str, dict[str, Any]]] = {}
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_meta", {}).get("dagster_event")
        if event is None:
            return
        kind = event.event_type
        step = event.step_key or ""
        if kind == dg.DagsterEventType.STEP_START:
            self.started[step] = record.created
            if self.status:
                self.status(_STAGE.get(step, step.replace("ingest_", "sources/")))
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            mat = event.event_specific_data.materialization
            # a single run over several load dates reports each partition: keep the first
            self.by_step.setdefault(step, {}).setdefault(
                mat.asset_key.to_user_string(), {k: _value(v) for k, v in mat.metadata.items()})
        elif kind == dg.DagsterEventType.STEP_SUCCESS:
            start = self.started.get(step)
            self.echo(step_line(step, self.by_step.get(step, {}),
                                record.created - start if start is not None else None))
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            ev = event.event_specific_data
            if not ev.passed and ev.severity == dg.AssetCheckSeverity.ERROR:
                self.echo(f"  ! check {ev.asset_key.to_user_string()}:{ev.check_name} failed: {ev.description or ''}")
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            err = event.event_specific_data.error
            cause = err.cause.message.strip() if err and err.cause else (err.message.strip() if err else "")
            self.echo(f"  ✗ {_STAGE.get(step, step)} failed: {error_line(cause)}")


#: Where library errors quote a data value: 'text' (DuckDB's conversion errors) and Polars'
#: list of failed values (``... values: ["text"]``).
_QUOTED = re.compile(r"'[^']*'|(?<=values: )\[.*?\]")


def error_line(message: str) -> str:
    """The line ``cdp run`` prints for a failed step: the first non-empty line of the error (it
    names the error; DuckDB's out-of-memory message ends in a link to its tuning guide), with
    quoted values masked, as a failing cast quotes the value it could not read (which may be a
    name or an e-mail address). The full error stays in the run's log file."""
    first = next((line.strip() for line in message.splitlines() if line.strip()), "")
    return _QUOTED.sub("'…'", first)


def _progress_logger(echo: Echo, status: Callable[[str], None] | None = None) -> dg.LoggerDefinition:
    def _make(_init_context: Any) -> logging.Logger:
        log = logging.getLogger("cdp.run.progress")
        log.handlers = [_ProgressHandler(echo, status)]
        log.setLevel(logging.DEBUG)
        log.propagate = False
        return log

    return dg.LoggerDefinition(_make, description="One line per asset for `cdp run`")


INSTANCE_YAML = """\
# Written by `cdp run`. One run at a time, one step per pool: data/cdp.duckdb has one writer.
concurrency:
  runs:
    max_concurrent_runs: 1
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


def dagster_home(settings: Settings) -> Path:
    """``$DAGSTER_HOME`` if set, else ``<data dir>/dagster_home`` (shared by `cdp run` and `make dagster`)."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.paths.root / "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")
    return home


def dagster_instance(settings: Settings) -> dg.DagsterInstance:
    """The persistent Dagster instance whose run history `dagster dev` shows."""
    return dg.DagsterInstance.from_config(str(dagster_home(settings)))


def remove_leftovers(settings: Settings) -> list[str]:
    """Delete what killed writers left in the data directory (never in ``landing/``); returns
    the removed paths relative to the data directory. Call only while holding the run lock."""
    root = settings.paths.root
    skip = {settings.paths.landing.resolve(), dagster_home(settings)}
    removed = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if (here / d).resolve() not in skip]
        for name in filenames:
            if any(m in name for m in LEFTOVER_MARKS):
                (here / name).unlink(missing_ok=True)
                removed.append((here / name).relative_to(root).as_posix())
    return sorted(removed)


def temp_dirs(settings: Settings) -> set[Path]:
    """``<data dir>/tmp`` and every directory below it (spill and scratch space of the stages)."""
    tmp = settings.paths.root / "tmp"
    return {tmp, *(p for p in tmp.rglob("*") if p.is_dir())} if tmp.is_dir() else set()


def remove_new_temp_dirs(settings: Settings, before: set[Path]) -> list[Path]:
    """Remove the empty temp directories that appeared since ``before`` (deepest first), e.g.
    ``tmp/duckdb-identity`` that identity's DuckDB spills into; returns the removed ones. A
    directory that still holds a file is left alone."""
    removed = []
    for d in sorted(temp_dirs(settings) - before, key=lambda p: len(p.parts), reverse=True):
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()
            removed.append(d)
    return removed


def recover_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark runs of killed `cdp run` processes as failed and free the pool slots they hold.

    A run killed with ``kill -9`` stays STARTED and keeps its ``cdp_duckdb`` slot for ever, and
    the next run would wait for that slot without end. Runs of a process that is gone are
    failed here; a slot held by a run that has already ended is freed.

    Raises:
        PoolBusy: a run that is still alive (one started from the UI) holds the pool.
    """
    notes = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
        ident = run.tags.get(PROCESS_TAG)
        if ident is not None and not process_alive(ident):
            instance.report_run_failed(run, message="the cdp run process was killed; marked failed by the next run")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            notes.append(f"run {run.run_id[:8]} of a killed process marked failed, its pool slot freed")
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return notes
    info = storage.get_concurrency_info(DUCKDB_POOL)
    for run_id in {c.run_id for c in info.claimed_slots} | {p.run_id for p in info.pending_steps}:
        holder = instance.get_run_by_id(run_id)
        if holder is None or holder.is_finished:
            storage.free_concurrency_slots_for_run(run_id)
            notes.append(f"pool {DUCKDB_POOL}: slot of ended run {run_id[:8]} freed")
        else:
            raise PoolBusy(f"Dagster run {run_id} ({holder.status.value}) holds pool {DUCKDB_POOL}; wait for it or "
                           "terminate it in the Dagster UI (Runs), then start cdp run again")
    return notes


def run_pipeline(settings: Settings, *, incremental: bool = False, force: bool = False, full: bool = False,
                 echo: Echo = print, status: Callable[[str], None] | None = None) -> RunSummary:
    """Materialise the whole graph over every load date under ``data/landing/``.

    The same ``cdp_job`` that ``dagster dev`` shows, run in-process (no daemon) on the persistent
    instance of :func:`dagster_instance`, so ``make dagster`` shows its runs, materialisations
    and checks: one run spanning the first to the last load date (a single-run partition range).
    One run at a time: the run lock of the data directory is held throughout; what a killed
    earlier run left behind (temp files, a half-built database, a STARTED run holding the pool)
    is cleaned up first.

    Raises:
        FileNotFoundError: when ``data/landing/`` has no dated deliveries.
        DemoSecret: the demo ``privacy.secret`` on data that is not simulated.
        RunLocked: another `cdp run` is running on this data directory.
        PoolBusy: a live Dagster run holds the ``cdp_duckdb`` pool.
    """
    dates = landing_dates(settings.paths.landing)
    if not dates:
        raise FileNotFoundError(
            f"{settings.paths.landing}: no deliveries (<source>/<YYYY-MM-DD>/<file>); run `cdp generate` first"
        )
    check_secret(settings, echo)
    with run_lock(settings.paths.root) as previous:
        if previous:
            echo(f"cdp run: the lock of a run that is gone was taken over ({previous})")
        removed = remove_leftovers(settings)
        if removed:
            echo(f"cdp run: removed {len(removed)} leftover file(s) of an interrupted run: {', '.join(removed[:5])}"
                 + (" …" if len(removed) > 5 else ""))
        defs = build_definitions(settings)
        job = defs.resolve_job_def(JOB_NAME).with_logger_defs({"progress": _progress_logger(echo, status)})
        run_config = {
            "ops": {"identity_resolution": {"config": {"incremental": incremental, "force": force, "full": full}},
                    "profile_database": {"config": {"full": full}}},
            "loggers": {"progress": {}},
        }
        span = dates[0] if len(dates) == 1 else f"{dates[0]} … {dates[-1]} ({len(dates)} load dates)"
        echo(f"cdp run: load date {span}, data dir {settings.paths.root}")
        delta, why = daily_delta(settings, full)
        echo(f"cdp run: {'daily delta' if delta else 'full rebuild'}: {why}")
        before = temp_dirs(settings)
        with dagster_instance(settings) as instance:
            for note in recover_dead_runs(instance):
                echo(f"cdp run: {note}")
            order = register_load_dates(instance, dates)
            result = job.execute_in_process(run_config=run_config, instance=instance,
                                            tags=range_tags(dates, order) | {PROCESS_TAG: process_id()},
                                            raise_on_error=False)
        if result.success:  # a failed run keeps its scratch space for a look
            remove_new_temp_dirs(settings, before)
    return summarise(result, dates)


def rebuild(settings: Settings) -> RunSummary:
    """The pipeline run after a data-subject request changed the data (``cdp forget``,
    ``cdp restrict``): the same job as ``cdp run``, so the stages are never re-run by hand; a
    full rebuild (the change is not a delivery).

    Raises:
        RuntimeError: when a step or a blocking check failed.
    """
    summary = run_pipeline(settings, full=True, echo=lambda _line: None)
    if not summary.success:
        raise RuntimeError(f"the pipeline run after the change failed (run {summary.run_id}): "
                           "see `make dagster`; the change itself is recorded")
    return summary


def refresh(settings: Settings) -> RunSummary:
    """The pipeline run before a request reads the profile database (``cdp sar`` when
    deliveries are not processed yet or the database is stale): the same job as ``cdp run``,
    a daily delta where the database can take one.

    Raises:
        RuntimeError: when a step or a blocking check failed.
    """
    summary = run_pipeline(settings, echo=lambda _line: None)
    if not summary.success:
        raise RuntimeError(f"the pipeline run before the request failed (run {summary.run_id}): "
                           "see `make dagster`")
    return summary


def summarise(result: dg.ExecuteInProcessResult, dates: list[str]) -> RunSummary:
    """Collect materialisation metadata, check results and failures from a finished run."""
    summary = RunSummary(success=result.success, run_id=result.run_id, load_dates=dates)
    for event in result.all_events:
        data = event.event_specific_data
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            assert isinstance(data, StepMaterializationData)
            mat = data.materialization
            summary.materialized.setdefault(mat.asset_key.to_user_string(),
                                            {k: _value(v) for k, v in mat.metadata.items()})
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            assert isinstance(data, dg.AssetCheckEvaluation)
            ev = data
            summary.checks.append({"asset": ev.asset_key.to_user_string(), "check": ev.check_name,
                                   "passed": ev.passed, "severity": ev.severity.value,
                                   "description": ev.description,
                                   "metadata": {k: _value(v) for k, v in ev.metadata.items()}})
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE and event.step_key:
            summary.failures.append(event.step_key)
    return summary


def persons_simulated(settings: Settings) -> int | None:
    """Persons in ``data/truth/manifest.json`` (simulated data only)."""
    path = settings.paths.truth / "manifest.json"
    if not path.is_file():
        return None
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for where in (manifest, manifest.get("counts", {}), manifest.get("parameters", {})):
        for key in ("persons", "n_persons"):
            if isinstance(where.get(key), int):
                return where[key]
    return None


def _source_lines(summary: RunSummary) -> list[str]:
    """Deliveries (loaded, duplicates skipped, empty, rejected) and rows per source."""
    by_source: dict[str, list[int]] = {}
    files = {"files": 0, "files_rejected": 0, "files_empty": 0, "duplicate_deliveries_skipped": 0}
    for key, meta in summary.materialized.items():
        parts = key.split("/")
        if parts[0] == "sources":
            tot = by_source.setdefault(parts[1], [0, 0])
            tot[0] += int(meta.get("rows_staged", 0))
            tot[1] += int(meta.get("rows_quarantined", 0))
            for k in files:
                files[k] += int(meta.get(k, 0) or 0)
    if not by_source:
        return []
    dupes, empty, rejected = files["duplicate_deliveries_skipped"], files["files_empty"], files["files_rejected"]
    lines = [f"  deliveries           {files['files'] + dupes:>9,} files: "
             f"{files['files'] - rejected:,} loaded, {dupes:,} duplicate{'s' if dupes != 1 else ''} "
             f"skipped, {empty:,} empty, {rejected:,} rejected"]
    for source, (staged, quarantined) in by_source.items():
        lines.append(f"  {source:<8} rows staged {staged:>9,}   quarantined {quarantined:>7,}")
    return lines


def summary_lines(summary: RunSummary, settings: Settings, log_file: Path | None = None) -> list[str]:
    """The closing report of ``cdp run``: what was built, what needs a look, and where to look next."""
    lines = ["", "Summary"]
    persons = persons_simulated(settings)
    if persons is not None:
        lines.append(f"  persons simulated    {persons:>9,}")
    lines += _source_lines(summary)
    customers = summary.metadata("identity/customers").get("dagster/row_count")
    if customers is not None:
        f1 = summary.check("identity/identity_link", "truth_f1")
        f1_text = f"   pairwise F1 {f1['metadata']['f1']:.4f}" if f1 and "f1" in f1["metadata"] else ""
        lines.append(f"  customers resolved   {customers:>9,}{f1_text}")
    profiles = {k.split("/", 1)[1]: m.get("dagster/row_count") for k, m in summary.materialized.items()
                if k.startswith("profiles/")}
    if profiles:
        main_tables = ("customer", "contact_history", "consent", "customer_value")
        lines.append(f"  profile database     {settings.paths.duckdb}: {len(profiles)} tables and views ("
                     + ", ".join(f"{t} {profiles[t]:,}" for t in main_tables if profiles.get(t) is not None) + ")")
    failed = [c for c in summary.checks if not c["passed"] and c["severity"] == "ERROR"]
    warned = [c for c in summary.checks if not c["passed"] and c["severity"] == "WARN"]
    passed = len(summary.checks) - len(failed) - len(warned)
    lines.append(f"  checks               {passed} passed, {len(warned)} warned, {len(failed)} failed")
    for c in warned:
        lines.append(f"    warning {c['asset']}:{c['check']}: {c['description']}")
    for c in failed:
        lines.append(f"    FAILED {c['asset']}:{c['check']}: {c['description']}")
    if summary.failures:
        kept = "" if "profiles/customer" in summary.materialized else (
            f"; the previous {settings.paths.duckdb.name} is left as it was")
        lines.append("  FAILED steps: " + ", ".join(summary.failures) + kept)
    paths = settings.paths
    lines += [
        "",
        "Next:",
        "  cdp sql         SQL on the profile database (read-only), e.g. SELECT * FROM customer_360 LIMIT 10;",
        "  cdp serve       the agent console on http://127.0.0.1:8765",
        f"  make dagster    the Dagster UI with this run (DAGSTER_HOME={dagster_home(settings)} dagster dev)",
        f"  reports         {paths.reports}/ (one per loaded file); quarantined rows in {paths.quarantine}/",
    ]
    if log_file is not None and Path(log_file).exists():
        lines.append(f"  log             {log_file} (library output, warnings)")
    return lines
