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
from dagster_project.partitions import landing_dates, range_tags
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


class _ProgressHandler(logging.Handler):
    """One line per materialised asset, failed check and failed step."""

    def __init__(self, echo: Echo) -> None:
        super().__init__()
        self.echo = echo
        self.seen: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_meta", {}).get("dagster_event")
        if event is None:
            return
        kind = event.event_type
        if kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            mat = event.event_specific_data.materialization
            key = mat.asset_key.to_user_string()
            if key in self.seen:  # a single run over several load dates reports each partition
                return
            self.seen.add(key)
            meta = {k: _value(v) for k, v in mat.metadata.items()}
            rows = meta.get("dagster/row_count")
            extra = f"  quarantined {meta['rows_quarantined']}" if meta.get("rows_quarantined") else ""
            self.echo(f"  ✓ {key:<36} {'' if rows is None else f'{rows:>9,} rows'}{extra}")
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            ev = event.event_specific_data
            if not ev.passed and ev.severity == dg.AssetCheckSeverity.ERROR:
                self.echo(f"  ! check {ev.asset_key.to_user_string()}:{ev.check_name} "
                          f"[{ev.severity.value}] {ev.description or ''}")
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            err = event.event_specific_data.error
            cause = err.cause.message.strip() if err and err.cause else (err.message.strip() if err else "")
            self.echo(f"  ✗ {event.step_key} failed: {cause.splitlines()[-1] if cause else ''}")


def _progress_logger(echo: Echo) -> dg.LoggerDefinition:
    def _make(_init_context: Any) -> logging.Logger:
        log = logging.getLogger("cdp.run.progress")
        log.handlers = [_ProgressHandler(echo)]
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
                 echo: Echo = print) -> RunSummary:
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
    job = defs.resolve_job_def(JOB_NAME).with_logger_defs({"progress": _progress_logger(echo)})
    run_config = {
        "ops": {"identity_resolution": {"config": {"incremental": incremental, "force": force}}},
        "loggers": {"progress": {}},
    }
    echo(f"cdp run: load dates {dates[0]} … {dates[-1]} ({len(dates)} load date{'s' if len(dates) != 1 else ''}), data dir {settings.paths.root}")
    with dagster_instance(settings) as instance:
        result = job.execute_in_process(run_config=run_config, instance=instance,
                                        tags=range_tags(dates), raise_on_error=False)
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


def summary_lines(summary: RunSummary, settings: Settings) -> list[str]:
    """The closing report of ``cdp run``: what was built and where to look next."""
    lines = ["", "Summary"]
    persons = persons_simulated(settings)
    if persons is not None:
        lines.append(f"  persons simulated      {persons:>9,}")
    by_source: dict[str, list[int]] = {}
    for key, meta in summary.materialized.items():
        parts = key.split("/")
        if parts[0] == "sources":
            tot = by_source.setdefault(parts[1], [0, 0])
            tot[0] += int(meta.get("rows_staged", 0))
            tot[1] += int(meta.get("rows_quarantined", 0))
    for source, (staged, quarantined) in by_source.items():
        lines.append(f"  {source:<8} staged {staged:>9,}   quarantined {quarantined:>7,}")
    customers = summary.metadata("identity/customers").get("dagster/row_count")
    if customers is not None:
        f1 = summary.check("identity/identity_link", "truth_f1")
        f1_text = f"   pairwise F1 {f1['metadata']['f1']:.4f}" if f1 and "f1" in f1["metadata"] else ""
        lines.append(f"  customers resolved     {customers:>9,}{f1_text}")
    profiles = {k.split("/", 1)[1]: m.get("dagster/row_count") for k, m in summary.materialized.items()
                if k.startswith("profiles/")}
    if profiles:
        lines.append("  profile tables: " + ", ".join(f"{t} {n:,}" for t, n in profiles.items()))
    warned = [c for c in summary.checks if not c["passed"] and c["severity"] == "WARN"]
    if warned:
        lines.append(f"  {len(warned)} check(s) warned: " + ", ".join(f"{c['asset']}:{c['check']}" for c in warned))
    for c in summary.checks:
        if not c["passed"] and c["severity"] == "ERROR":
            lines.append(f"  FAILED check {c['asset']}:{c['check']}: {c['description']}")
    if summary.failures:
        kept = "" if "profiles/customer" in summary.materialized else (
            f"; the previous {settings.paths.duckdb.name} is left as it was")
        lines.append("  FAILED steps: " + ", ".join(summary.failures) + kept)
    paths = settings.paths
    lines += [
        "",
        "Next:",
        f"  duckdb {paths.duckdb}   (e.g. SELECT * FROM customer_360 LIMIT 10)",
        f"  reports in {paths.reports}/  (ingest: one report per loaded file; quarantine in {paths.quarantine}/)",
        f"  make dagster  (Dagster UI with this run's history: DAGSTER_HOME={dagster_home(settings)} dagster dev)",
        "  cdp serve     (the agent console on http://127.0.0.1:8765)",
    ]
    return lines
