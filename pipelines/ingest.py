"""Stage 1: landing files → staged / quarantined Parquet, one load per file, nothing lost.

For every file under ``data/landing/<source>/<YYYY-MM-DD>/``: hash it, skip it when the same
content is already loaded, find its contract entity, read it (:mod:`pipelines.readers`), decide
each row with the contract rules (:mod:`pipelines.rules`), validate with Great Expectations
(:mod:`pipelines.expectations`), write staged and quarantined rows and the GE result, and only
then append the file to the load log. A crash before the log entry means the next run redoes
the load under the same (content-derived) load id, overwriting its own partial outputs.

Big files are processed in chunks of ``ingest.batch_rows`` lines (bounded memory): each chunk is
read, decided and appended to the load's staged / quarantine Parquet files, which are written
under temp names and renamed only when every chunk is in; a crashed load leaves only temp files,
which the re-run removes. ``unique`` rules see the whole file through a first, key-only pass.
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import polars as pl

from cdp.config import Settings
from cdp.lake import ParquetStream, delivery_date, partition_dir, remove_stale_temps
from cdp.schema import UTC_TS, schema
from pipelines.contracts import Contract, Entity, contracts_of
from pipelines.expectations import FileValidation, GEOutcome, Validator
from pipelines.load_log import (
    FAILED,
    LOADED,
    SKIPPED,
    FileResult,
    append_load_log,
    read_load_log,
)
from pipelines.mapping import canonical_rows
from pipelines.readers import (
    FileRejected,
    NeedsWholeFile,
    RawFile,
    check_file_bytes,
    check_file_totals,
    iter_chunks,
    read_keys,
    read_raw,
    scan_file,
)
from pipelines.report import write_index, write_load_report
from pipelines.rules import evaluate, typed_dtype
from privacy.suppression import suppress_rows

log = logging.getLogger(__name__)

QUARANTINE = schema({
    "_source_file": pl.String,
    "_row_number": pl.Int64,
    "_load_id": pl.String,
    "_ingested_at": UTC_TS,
    "_raw": pl.String,
    "_failed_rules": pl.List(pl.String),
    "_reason": pl.String,
})


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


def _delivery_date(rel: Path) -> date:
    return delivery_date(rel) or datetime.now(UTC).date()


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
    contracts = contracts_of(settings)
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
        scan = scan_file(path)
        sha = scan.sha256
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
                _load_file(settings, path, scan, rel, entity, res, validator)
                if scan.size > 1 << 26:
                    gc.collect()  # after a big file: give its memory back before the next
                if res.status == LOADED:
                    seen[sha] = res.file
        res.finished_at = datetime.now(UTC)
        for w in res.warnings:
            log.warning(w)
        if res.status == FAILED:
            log.error(res.message)
        # Only now, with every data file of the load in place, does the load count as done.
        append_load_log(settings, res)
        report.files.append(res)
    write_index(settings, read_load_log(settings))
    return report


def _no_contract_message(rel: Path, contract: Contract | None, source: str) -> str:
    if contract is None:
        return f"{rel.as_posix()}: matches no contract: there is no data_contracts/{source}.yml (rule file:contract)"
    globs = [g for e in contract.entities for g in e.files]
    return (f"{rel.as_posix()}: matches no contract: no entity of {contract.path.name} has a files glob "
            f"matching {rel.name!r} (globs {globs}; rule file:contract)")


def _duplicated_keys(path: Path, entity: Entity, batch_rows: int) -> dict[str, pl.Series]:
    """Per ``unique`` column, the values occurring more than once in the whole file (key-only pass)."""
    names = [e.column for e in entity.expectations if e.kind == "unique" and e.column]
    if not names:
        return {}
    parts = [read_keys(c.data, entity, names) for c in iter_chunks(path, entity, batch_rows)]
    keys = pl.concat(parts)
    del parts
    out = {}
    for n in names:
        s = keys[n].drop_nulls()
        out[n] = s.filter(s.is_duplicated()).unique()
    return out


def _load_file(settings: Settings, path: Path, scan, rel: Path, entity: Entity, res: FileResult,
               validator: Validator) -> None:
    relp = rel.as_posix()
    try:
        empty = check_file_bytes(scan, relp, entity)
    except FileRejected as exc:
        res.message, res.rows_read = str(exc), exc.rows_read
        return
    batch_rows = settings.ingest.batch_rows
    try:
        try:
            _load_chunks(settings, path, empty, relp, entity, res, validator, batch_rows)
        except NeedsWholeFile:
            log.info("%s: records span lines; read whole", relp)
            _load_chunks(settings, path, empty, relp, entity, res, validator, 0)
    except FileRejected as exc:
        res.message, res.rows_read, res.status = str(exc), exc.rows_read, FAILED


def _load_chunks(settings: Settings, path: Path, empty: RawFile | None, relp: str, entity: Entity,
                 res: FileResult, validator: Validator, batch_rows: int) -> None:
    """Read, decide, validate and write one file chunk by chunk (``batch_rows`` 0: whole)."""
    secs = dict.fromkeys(("keys", "read", "rules", "ge", "write"), 0.0)
    part = f"{entity.source}/{entity.name}"
    staged_file = partition_dir(settings.paths.staged / part, res.load_date) / f"{res.load_id}.parquet"
    qfile = partition_dir(settings.paths.quarantine / part, res.load_date) / f"{res.load_id}.parquet"
    for p in (staged_file, qfile):
        remove_stale_temps(p)
    staged_sink, q_sink = ParquetStream(staged_file), ParquetStream(qfile)
    chunks = iter([None]) if empty is not None else iter_chunks(path, entity, batch_rows)
    first = next(chunks)
    chunked = first is not None and not first.last
    duplicated = None
    if chunked:
        t = time.perf_counter()
        duplicated = _duplicated_keys(path, entity, batch_rows)
        secs["keys"] = time.perf_counter() - t
    fv = FileValidation(validator, entity, chunked=chunked)
    warnings: list[str] = list(empty.warnings) if empty is not None else []
    rows = undecodable = json_objects = 0
    seen_keys: set[str] = set()
    drift: list[str] = []
    rule_counts: dict[str, int] = {}
    ingested_at = datetime.now(UTC)
    lineage = [pl.lit(relp).alias("_source_file"), pl.lit(res.load_id).alias("_load_id"),
               pl.lit(ingested_at).cast(UTC_TS).alias("_ingested_at")]
    n_staged = n_quarantined = n_suppressed = 0
    try:
        chunk, last = first, False
        while not last:
            t0 = time.perf_counter()
            if chunk is None:
                raw, last = empty, True
            else:
                raw = read_raw(chunk.data, relp, entity, first_line=chunk.first_line, whole=not chunked)
                last = chunk.last
                chunk = None
            if entity.format == "csv" and rows:
                raw.frame = raw.frame.with_columns(pl.col("_row_number") + rows)
            warnings += [w for w in raw.warnings if w not in warnings]
            undecodable += raw.n_undecodable
            json_objects += raw.n_json_objects
            seen_keys |= raw.required_keys_seen
            drift += [k for k in raw.drift_keys if k not in drift]
            rows += raw.frame.height
            t1 = time.perf_counter()
            verdicts = evaluate(raw.frame, entity, relp, duplicated)
            del raw
            t2 = time.perf_counter()
            try:
                fv.add(verdicts)
            except Exception as exc:  # GE is the report, polars decides: a GE failure must not lose the load
                fv = None
                warnings.append(f"{relp}: Great Expectations validation failed to run: {exc!r}")
            t3 = time.perf_counter()
            staged = verdicts.staged.with_columns(lineage).select(
                *[pl.col(f.name).cast(typed_dtype(f)) for f in entity.fields], "_extra",
                "_source_file", "_row_number", "_load_id", "_ingested_at")
            quarantined = verdicts.quarantined.with_columns(lineage).select(QUARANTINE.names())
            for k, v in verdicts.rule_counts.items():
                rule_counts[k] = rule_counts.get(k, 0) + v
            del verdicts
            # Data protection: rows of erased persons never enter the lake (counted as suppressed).
            staged, quarantined, n = suppress_rows(
                settings, entity.source, partial(canonical_rows, entity=entity), staged, quarantined)
            n_suppressed += n
            staged_sink.write(staged)
            if quarantined.height:
                q_sink.write(quarantined)
            n_staged += staged.height
            n_quarantined += quarantined.height
            del staged, quarantined
            secs["read"] += t1 - t0
            secs["rules"] += t2 - t1
            secs["ge"] += t3 - t2
            secs["write"] += time.perf_counter() - t3
            if not last:
                chunk = next(chunks)
        warnings += check_file_totals(relp, entity, rows, undecodable, json_objects, seen_keys, drift)
        t = time.perf_counter()
        ge: GEOutcome | None = None
        if fv is not None:
            try:
                ge = fv.finish()
                res.ge_success = ge.success
                res.ge_disagreements = ge.disagreements
            except Exception as exc:
                warnings.append(f"{relp}: Great Expectations validation failed to run: {exc!r}")
        secs["ge"] += time.perf_counter() - t
        t = time.perf_counter()
        staged_sink.commit()
        if q_sink.commit() is None:
            qfile.unlink(missing_ok=True)  # a crashed attempt's file of this load id, if any
    except BaseException:
        staged_sink.abort()
        q_sink.abort()
        raise
    res.warnings += warnings
    res.rows_read = rows
    res.rows_staged, res.rows_quarantined, res.rows_suppressed = n_staged, n_quarantined, n_suppressed
    res.staged_path = staged_file.relative_to(settings.paths.root).as_posix()
    if n_quarantined:
        res.quarantine_path = qfile.relative_to(settings.paths.root).as_posix()
    res.rule_counts = {k: v for k, v in rule_counts.items() if v}
    for f in entity.fields:
        if f.on_invalid == "null":
            for k, v in res.rule_counts.items():
                if k.startswith(f"{f.name}:") and k != f"{f.name}:required":
                    res.warnings.append(f"{relp}: {v} row(s) staged with {f.name} empty: column {f.source} broke "
                                        f"rule {k} (on_invalid: null)")
    res.status = LOADED
    share = res.rows_quarantined / res.rows_read if res.rows_read else 0.0
    limit = next((e.max for e in entity.expectations if e.kind == "max_failed_share"), None)
    limit = settings.ingest.max_failed_share if limit is None else limit
    res.message = f"{res.rows_staged} staged, {res.rows_quarantined} quarantined ({share:.1%})"
    if share > limit:
        res.warnings.append(f"{relp}: {share:.1%} of rows quarantined, above the contract limit "
                            f"{limit:.1%} (rule table:max_failed_share)")
    res.report_path = write_load_report(settings, res, entity, ge)
    secs["write"] += time.perf_counter() - t
    res.seconds = {k: v for k, v in secs.items() if v or k != "keys"}

