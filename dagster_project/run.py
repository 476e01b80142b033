"""``cdp run``: execute ``cdp_job`` in-process (no daemon, persistent instance) and summarise it."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.events import StepMaterializationData

from cdp.config import Settings
from dagster_project.definitions import build_definitions
from dagster_project.partitions import landing_dates, range_tags, register_load_dates
from dagster_project.sensors import JOB_NAME

Echo = Callable[[str], None]


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


_STAGE = {"canonical_records": "canonical", "identity_resolution": "identity",
          "profile_database": "profiles", "agent_views": "exports", "exports__agent_views": "exports"}


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
    elif stage == "profiles":
        text = (f"{len(rows)} tables and views: {rows.get('customer') or 0:,} customers, "
                f"{rows.get('contact_history') or 0:,} contacts, {rows.get('consent') or 0:,} consent rows")
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
            self.echo(f"  ✗ {_STAGE.get(step, step)} failed: {cause.splitlines()[-1] if cause else ''}")


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


def run_pipeline(settings: Settings, *, incremental: bool = False, force: bool = False,
                 echo: Echo = print, status: Callable[[str], None] | None = None) -> RunSummary:
    """Materialise the whole graph over every load date under ``data/landing/``.

    The same ``cdp_job`` that ``dagster dev`` shows, run in-process (no daemon) on the persistent
    instance of :func:`dagster_instance`, so ``make dagster`` shows its runs, materialisations
    and checks: one run spanning the first to the last load date (a single-run partition range).

    Raises:
        FileNotFoundError: when ``data/landing/`` has no dated deliveries.
    """
    dates = landing_dates(settings.paths.landing)
    if not dates:
        raise FileNotFoundError(
            f"{settings.paths.landing}: no deliveries (<source>/<YYYY-MM-DD>/<file>); run `cdp generate` first"
        )
    defs = build_definitions(settings)
    job = defs.resolve_job_def(JOB_NAME).with_logger_defs({"progress": _progress_logger(echo, status)})
    run_config = {
        "ops": {"identity_resolution": {"config": {"incremental": incremental, "force": force}}},
        "loggers": {"progress": {}},
    }
    span = dates[0] if len(dates) == 1 else f"{dates[0]} … {dates[-1]} ({len(dates)} load dates)"
    echo(f"cdp run: load date {span}, data dir {settings.paths.root}")
    with dagster_instance(settings) as instance:
        order = register_load_dates(instance, dates)
        result = job.execute_in_process(run_config=run_config, instance=instance,
                                        tags=range_tags(dates, order), raise_on_error=False)
    return summarise(result, dates)


def rebuild(settings: Settings) -> RunSummary:
    """The pipeline run after a data-subject request changed the data (``cdp forget``,
    ``cdp restrict``): the same job as ``cdp run``, so the stages are never re-run by hand.

    Raises:
        RuntimeError: when a step or a blocking check failed.
    """
    summary = run_pipeline(settings, echo=lambda _line: None)
    if not summary.success:
        raise RuntimeError(f"the pipeline run after the change failed (run {summary.run_id}): "
                           "see `make dagster`; the change itself is recorded")
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
