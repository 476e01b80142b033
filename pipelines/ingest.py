"""Stage 1: landing files → staged / quarantined Parquet, one load per file, nothing lost.

For every file under ``data/landing/<source>/<YYYY-MM-DD>/``: hash it, skip it when the same
content is already loaded, find its contract entity, read it (:mod:`pipelines.readers`), decide
each row with the contract rules (:mod:`pipelines.rules`), validate with Great Expectations
(:mod:`pipelines.expectations`), write staged and quarantined rows and the GE result, and only
then append the file to the load log. A crash before the log entry means the next run redoes
the load under the same (content-derived) load id, overwriting its own partial outputs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from cdp.config import Settings
from cdp.lake import partition_dir, write_parquet_atomic
from cdp.privacy.suppression import suppress_rows
from cdp.schema import UTC_TS
from pipelines.contracts import Contract, Entity, load_contracts
from pipelines.expectations import GEOutcome, Validator
from pipelines.readers import FileRejected, read_raw
from pipelines.report import write_index, write_load_report
from pipelines.rules import evaluate, typed_dtype

log = logging.getLogger(__name__)

LOADED, SKIPPED, FAILED = "loaded", "skipped_duplicate", "failed"

LOAD_LOG = pl.Schema({
    "load_id": pl.String,
    "source": pl.String,
    "entity": pl.String,
    "file": pl.String,  # relative to the landing directory
    "content_sha256": pl.String,
    "load_date": pl.Date,  # the delivery folder date
    "rows_read": pl.Int64,
    "rows_staged": pl.Int64,
    "rows_quarantined": pl.Int64,
    "rows_suppressed": pl.Int64,
    "status": pl.String,  # loaded / skipped_duplicate / failed
    "message": pl.String,
    "warnings": pl.List(pl.String),
    "ge_success": pl.Boolean,
    "staged_path": pl.String,  # relative to the data directory
    "quarantine_path": pl.String,
    "report_path": pl.String,
    "started_at": UTC_TS,
    "finished_at": UTC_TS,
})

QUARANTINE = pl.Schema({
    "_source_file": pl.String,
    "_row_number": pl.Int64,
    "_load_id": pl.String,
    "_ingested_at": UTC_TS,
    "_raw": pl.String,
    "_failed_rules": pl.List(pl.String),
    "_reason": pl.String,
})


@dataclass
class FileResult:
    """What happened to one landing file."""

    file: str
    source: str
    entity: str | None
    status: str
    load_id: str | None = None
    content_sha256: str = ""
    load_date: date | None = None
    rows_read: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    rows_suppressed: int = 0
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    ge_success: bool | None = None
    ge_disagreements: list[dict] = field(default_factory=list)
    rule_counts: dict[str, int] = field(default_factory=dict)
    staged_path: str | None = None
    quarantine_path: str | None = None
    report_path: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def reconciles(self) -> bool:
        """Rows read = staged + quarantined + suppressed (for loaded files)."""
        return self.rows_read == self.rows_staged + self.rows_quarantined + self.rows_suppressed


@dataclass
class IngestReport:
    """The outcome of one ingest run: one :class:`FileResult` per landing file seen."""

    files: list[FileResult] = field(default_factory=list)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == FAILED]

    @property
    def loaded(self) -> list[FileResult]:
        return [f for f in self.files if f.status == LOADED]

    @property
    def ok(self) -> bool:
        return not self.failed


def resolve_contracts_dir(settings: Settings) -> Path:
    """The contracts directory: as configured, or the repository's ``data_contracts/``."""
    p = Path(settings.ingest.contracts_dir)
    if p.is_dir() or p.is_absolute():
        return p
    return Path(__file__).resolve().parent.parent / settings.ingest.contracts_dir


def read_load_log(settings: Settings) -> pl.DataFrame:
    """The load log (empty frame when nothing has been loaded yet)."""
    p = settings.paths.load_log
    if not p.exists():
        return pl.DataFrame(schema=LOAD_LOG)
    return pl.read_parquet(p)


def _append_load_log(settings: Settings, row: FileResult) -> None:
    rec = {k: getattr(row, k) for k in LOAD_LOG.names() if hasattr(row, k)}
    rec["entity"] = row.entity
    new = pl.DataFrame([rec], schema=LOAD_LOG)
    log_df = pl.concat([read_load_log(settings), new], how="diagonal_relaxed")
    write_parquet_atomic(log_df, settings.paths.load_log)


def _delivery_date(rel: Path) -> date:
    for part in rel.parts[1:-1]:
        try:
            return date.fromisoformat(part)
        except ValueError:
            continue
    m = re.search(r"(\d{4})(\d{2})(\d{2})", rel.name)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    return datetime.now(UTC).date()


def discover(settings: Settings, sources: list[str] | None = None,
             load_dates: list[str] | None = None) -> list[tuple[Path, Path]]:
    """Landing files as ``(absolute path, path relative to landing)``, oldest delivery first.

    Args:
        settings: the CDP settings.
        sources: only files of these sources.
        load_dates: only deliveries of these dates (``YYYY-MM-DD``).
    """
    landing = settings.paths.landing
    if not landing.is_dir():
        return []
    files = [p for p in landing.rglob("*") if p.is_file() and not p.name.startswith(".")]
    out = []
    for p in files:
        rel = p.relative_to(landing)
        if len(rel.parts) < 2:
            continue  # a file directly in landing/ belongs to no source
        if sources and rel.parts[0] not in sources:
            continue
        if load_dates is not None and _delivery_date(rel).isoformat() not in load_dates:
            continue
        out.append((p, rel))
    return sorted(out, key=lambda t: (_delivery_date(t[1]), str(t[1])))


def ingest(settings: Settings, sources: list[str] | None = None,
           load_dates: list[str] | None = None) -> IngestReport:
    """Load every new landing file into staged / quarantine.

    Args:
        settings: the CDP settings.
        sources: only these sources (default: every source with files in the landing dir).
        load_dates: only these delivery dates (``YYYY-MM-DD``; default: all).

    Returns:
        An :class:`IngestReport`; files that failed are in ``report.failed`` with a message that
        names the file, column and contract rule. One failing file never stops the others.
    """
    contracts = load_contracts(resolve_contracts_dir(settings))
    if sources:
        unknown = [s for s in sources if s not in contracts]
        if unknown:
            raise ValueError(f"no contract for source(s) {unknown}; known: {sorted(contracts)}")
    loaded = read_load_log(settings).filter(pl.col("status") == LOADED)
    seen: dict[str, str] = dict(zip(loaded["content_sha256"], loaded["file"], strict=True))
    validator: Validator | None = None
    report = IngestReport()
    for path, rel in discover(settings, sources, load_dates):
        started = datetime.now(UTC)
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        source = rel.parts[0]
        res = FileResult(file=rel.as_posix(), source=source, entity=None, status=FAILED,
                         content_sha256=sha, load_date=_delivery_date(rel), started_at=started)
        if sha in seen:
            res.status = SKIPPED
            res.message = f"same content (sha256 {sha[:12]}) as already loaded {seen[sha]}"
        else:
            contract = contracts.get(source)
            entity = contract.entity_for(rel.name) if contract else None
            if entity is None:
                res.message = _no_contract_message(rel, contract, source)
            else:
                res.entity = entity.name
                res.load_id = f"{source}-{entity.name}-{res.load_date:%Y%m%d}-{sha[:12]}"
                if validator is None:
                    validator = Validator(settings.ingest.ge_sample_rows)
                _load_file(settings, data, rel, entity, res, validator)
                if res.status == LOADED:
                    seen[sha] = res.file
        res.finished_at = datetime.now(UTC)
        for w in res.warnings:
            log.warning(w)
        if res.status == FAILED:
            log.error(res.message)
        # Only now, with every data file of the load in place, does the load count as done.
        _append_load_log(settings, res)
        report.files.append(res)
    write_index(settings, read_load_log(settings))
    return report


def _no_contract_message(rel: Path, contract: Contract | None, source: str) -> str:
    if contract is None:
        return f"{rel.as_posix()}: matches no contract: there is no data_contracts/{source}.yml (rule file:contract)"
    globs = [g for e in contract.entities for g in e.files]
    return (f"{rel.as_posix()}: matches no contract: no entity of {contract.path.name} has a files glob "
            f"matching {rel.name!r} (globs {globs}; rule file:contract)")


def _load_file(settings: Settings, data: bytes, rel: Path, entity: Entity, res: FileResult,
               validator: Validator) -> None:
    t0 = time.perf_counter()
    relp = rel.as_posix()
    try:
        raw = read_raw(data, relp, entity)
    except FileRejected as exc:
        res.message, res.rows_read = str(exc), exc.rows_read
        return
    t1 = time.perf_counter()
    res.warnings += raw.warnings
    res.rows_read = raw.frame.height
    verdicts = evaluate(raw.frame, entity, relp)
    t2 = time.perf_counter()
    ge: GEOutcome | None = None
    try:
        ge = validator.validate(entity, verdicts)
        res.ge_success = ge.success
        res.ge_disagreements = ge.disagreements
    except Exception as exc:  # GE is the report, polars decides: a GE failure must not lose the load
        res.warnings.append(f"{relp}: Great Expectations validation failed to run: {exc!r}")
    t3 = time.perf_counter()
    ingested_at = datetime.now(UTC)
    lineage = [pl.lit(relp).alias("_source_file"), pl.lit(res.load_id).alias("_load_id"),
               pl.lit(ingested_at).cast(UTC_TS).alias("_ingested_at")]
    staged = verdicts.staged.with_columns(lineage).select(
        *[pl.col(f.name).cast(typed_dtype(f)) for f in entity.fields], "_extra",
        "_source_file", "_row_number", "_load_id", "_ingested_at")
    quarantined = verdicts.quarantined.with_columns(lineage).select(QUARANTINE.names())
    # Data protection: rows of erased persons never enter the lake (counted as suppressed).
    staged, quarantined, res.rows_suppressed = suppress_rows(settings, entity, staged, quarantined)
    part = f"{entity.source}/{entity.name}"
    staged_file = partition_dir(settings.paths.staged / part, res.load_date) / f"{res.load_id}.parquet"
    write_parquet_atomic(staged, staged_file)
    res.staged_path = staged_file.relative_to(settings.paths.root).as_posix()
    if quarantined.height:
        qfile = partition_dir(settings.paths.quarantine / part, res.load_date) / f"{res.load_id}.parquet"
        write_parquet_atomic(quarantined, qfile)
        res.quarantine_path = qfile.relative_to(settings.paths.root).as_posix()
    res.rows_staged, res.rows_quarantined = staged.height, quarantined.height
    res.rule_counts = {k: v for k, v in verdicts.rule_counts.items() if v}
    res.status = LOADED
    share = res.rows_quarantined / res.rows_read if res.rows_read else 0.0
    limit = next((e.max for e in entity.expectations if e.kind == "max_failed_share"), None)
    limit = settings.ingest.max_failed_share if limit is None else limit
    res.message = f"{res.rows_staged} staged, {res.rows_quarantined} quarantined ({share:.1%})"
    if share > limit:
        res.warnings.append(f"{relp}: {share:.1%} of rows quarantined, above the contract limit "
                            f"{limit:.1%} (rule table:max_failed_share)")
    res.seconds = {"read": t1 - t0, "rules": t2 - t1, "ge": t3 - t2}
    res.report_path = write_load_report(settings, res, entity, ge)
    res.seconds["write"] = time.perf_counter() - t3


def result_dict(res: FileResult) -> dict:
    """A JSON-friendly view of a file result (for reports and benchmarks)."""
    d = asdict(res)
    return json.loads(json.dumps(d, default=str))
