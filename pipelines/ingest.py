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
import itertools
import logging
import os
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import duckdb
import polars as pl

from cdp.config import Settings
from cdp.lake import FIRST_DELIVERY, ParquetStream, delivery_date, partition_dir, remove_stale_temps
from cdp.schema import UTC_TS, schema
from pipelines.contracts import Contract, Entity, contracts_of
from pipelines.expectations import GE_ERRORS, FileValidation, GEOutcome, Validator
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
    where_of,
)
from pipelines.report import write_index, write_load_report
from pipelines.rules import Limits, evaluate, typed_dtype
from pipelines.withdrawals import CONSENT, withdrawal_findings, write_findings
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


# Nothing a delivered file name needs: path separators of other systems, "..", control characters.
ODD_NAME = re.compile(r"[\\\x00-\x1f\x7f]|\.\.")


@dataclass(frozen=True)
class LandingEntry:
    """One thing found under ``landing/``: a file to load, or something to report (``problem``)."""

    path: Path
    rel: Path
    load_date: date | None
    problem: str | None = None  # "<what is wrong> (rule file:…)"; never loaded when set


def _entry(settings: Settings, path: Path, rel: Path) -> LandingEntry:
    d = delivery_date(rel)
    if path.is_symlink():
        what = "dangling symbolic link" if not path.exists() else "symbolic link"
        return LandingEntry(path, rel, None, f"{what}, not followed: deliver the file itself (rule file:symlink)")
    if ODD_NAME.search(rel.name) or rel.name.startswith("."):
        return LandingEntry(path, rel, None, "file name has a path separator, '..', a control character "
                            "or a leading dot: rename it (rule file:name)")
    if d is None:
        return LandingEntry(path, rel, None, f"not in a delivery folder <source>/<YYYY-MM-DD>/ dated from "
                            f"{FIRST_DELIVERY} to tomorrow: move it into one (rule file:delivery_folder)")
    return LandingEntry(path, rel, d)


def _walk(root: Path) -> list[Path]:
    """Every file or symbolic link below ``root``; links are reported, never followed."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        out += [here / n for n in filenames]
        out += [here / n for n in dirnames if (here / n).is_symlink()]  # a symlinked folder
    return out


def discover(settings: Settings, sources: list[str] | None = None,
             load_dates: list[str] | None = None) -> list[LandingEntry]:
    """Everything under ``landing/<source>/``, oldest delivery first. Entries that cannot be
    loaded (symbolic links, odd names, files outside a valid delivery folder) carry the
    ``problem`` to report and are listed whatever ``load_dates`` says.

    Args:
        settings: the CDP settings.
        sources: only entries of these sources.
        load_dates: only deliveries of these dates (``YYYY-MM-DD``).
    """
    landing = settings.paths.landing
    if not landing.is_dir():
        return []
    out = []
    for p in _walk(landing):
        rel = p.relative_to(landing)
        if len(rel.parts) < 2:
            continue  # a file directly in landing/ belongs to no source
        if sources and rel.parts[0] not in sources:
            continue
        e = _entry(settings, p, rel)
        if e.problem is None and load_dates is not None and str(e.load_date) not in load_dates:
            continue
        out.append(e)
    return sorted(out, key=lambda e: (e.load_date or date.min, str(e.rel)))


def pending_files(settings: Settings) -> list[str]:
    """Files under ``landing/<source>/`` of a source with a contract that the load log does not
    list yet (neither loaded, skipped nor failed): deliveries the next run would ingest."""
    contracts = contracts_of(settings)
    logged = set(read_load_log(settings)["file"].drop_nulls().to_list())
    return [e.rel.as_posix() for e in discover(settings, sorted(contracts))
            if e.rel.as_posix() not in logged]


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
    # Content seen before: only files with records count (two empty files are two quiet deltas).
    loaded = read_load_log(settings).filter((pl.col("status") == LOADED) & (pl.col("rows_read") > 0))
    seen: dict[str, str] = dict(zip(loaded["content_sha256"], loaded["file"], strict=True))
    validator: Validator | None = None
    report = IngestReport()
    for entry in discover(settings, sources, load_dates):
        res = FileResult(file=entry.rel.as_posix(), source=entry.rel.parts[0], entity=None, status=FAILED,
                         load_date=entry.load_date, started_at=datetime.now(UTC))
        if entry.problem is not None:
            res.message = f"{res.file}: {entry.problem}"
        else:
            validator = validator or Validator(settings.ingest.ge_sample_rows)
            _ingest_file(settings, entry, contracts, seen, validator, res)
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


def _ingest_file(settings: Settings, entry: LandingEntry, contracts: dict[str, Contract],
                 seen: dict[str, str], validator: Validator, res: FileResult) -> None:
    """Load one landing file into ``res`` (skipped when its content was loaded before)."""
    scan = scan_file(entry.path)
    res.content_sha256 = sha = scan.sha256
    if sha in seen and not scan.blank:
        res.status = SKIPPED
        res.message = f"same content (sha256 {sha[:12]}) as already loaded {seen[sha]}"
        return
    contract = contracts.get(res.source)
    entity = contract.entity_for(entry.rel.name) if contract else None
    if entity is None:
        res.message = _no_contract_message(entry.rel, contract, res.source)
        return
    res.entity = entity.name
    res.load_id = f"{res.source}-{entity.name}-{res.load_date:%Y%m%d}-{sha[:12]}"
    try:
        _load_file(settings, entry.path, scan, entry.rel, entity, res, validator)
    except (OSError, pl.exceptions.PolarsError, duckdb.Error, ValueError, UnicodeError) as exc:
        # A file that breaks a reader fails alone, with its own load-log entry. The message names
        # the error class only: an exception's text may quote the file's content.
        res.status = FAILED
        res.message = (f"{where_of(res.file, entity)}: could not be read ({type(exc).__name__}), "
                       "rule file:read")
    if scan.size > 1 << 26:
        gc.collect()  # after a big file: give its memory back before the next
    if res.status == LOADED and res.rows_read:
        seen[sha] = res.file


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
    assert res.load_id is not None and res.load_date is not None  # set by _ingest_file
    try:
        empty = check_file_bytes(scan, relp, entity)
    except FileRejected as exc:
        res.message, res.rows_read = str(exc), exc.rows_read
        return
    load = _FileLoad(settings, entity, relp, res.load_id, res.load_date)
    try:
        try:
            tally = _load_chunks(load, path, empty, validator, settings.ingest.batch_rows)
        except NeedsWholeFile:
            log.info("%s: records span lines; read whole", relp)
            load = _FileLoad(settings, entity, relp, res.load_id, res.load_date)
            tally = _load_chunks(load, path, empty, validator, 0)
    except FileRejected as exc:
        res.message, res.rows_read, res.status = str(exc), exc.rows_read, FAILED
        return
    _record(settings, res, load, tally)


@dataclass
class _Tally:
    """What the chunks of one file add up to."""

    warnings: list[str] = field(default_factory=list)
    rows: int = 0
    undecodable: int = 0
    json_objects: int = 0
    seen_keys: set[str] = field(default_factory=set)
    drift: list[str] = field(default_factory=list)
    rule_counts: dict[str, int] = field(default_factory=dict)
    staged: int = 0
    quarantined: int = 0
    suppressed: int = 0
    secs: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("keys", "read", "rules", "ge", "write"), 0.0))
    findings: list[pl.DataFrame] = field(default_factory=list)  # withdrawals that could not be staged
    ge: GEOutcome | None = None

    def add_raw(self, raw: RawFile) -> None:
        self.warnings += [w for w in raw.warnings if w not in self.warnings]
        self.undecodable += raw.n_undecodable
        self.json_objects += raw.n_json_objects
        self.seen_keys |= raw.required_keys_seen
        self.drift += [k for k in raw.drift_keys if k not in self.drift]
        self.rows += raw.frame.height


class _FileLoad:
    """One file's load: its staged and quarantine files (written under temp names until
    :meth:`commit`), its lineage columns and the rule limits of its delivery."""

    def __init__(self, settings: Settings, entity: Entity, relp: str, load_id: str, load_date: date):
        self.settings, self.entity, self.relp, self.load_id = settings, entity, relp, load_id
        part = f"{entity.source}/{entity.name}"
        self.staged_file = partition_dir(settings.paths.staged / part, load_date) / f"{load_id}.parquet"
        self.qfile = partition_dir(settings.paths.quarantine / part, load_date) / f"{load_id}.parquet"
        for p in (self.staged_file, self.qfile):
            remove_stale_temps(p)
        self.staged_sink, self.q_sink = ParquetStream(self.staged_file), ParquetStream(self.qfile)
        self.lineage = [pl.lit(relp).alias("_source_file"), pl.lit(load_id).alias("_load_id"),
                        pl.lit(datetime.now(UTC)).cast(UTC_TS).alias("_ingested_at")]
        ing = settings.ingest
        self.limits = Limits.for_delivery(load_date, ing.future_tolerance_days, ing.max_field_length)

    def chunk(self, raw: RawFile, duplicated: dict[str, pl.Series] | None, fv: FileValidation | None,
              tally: _Tally) -> None:
        """Decide, validate and write one chunk's rows."""
        t1 = time.perf_counter()
        verdicts = evaluate(raw.frame, self.entity, self.relp, duplicated, self.limits)
        t2 = time.perf_counter()
        if fv is not None:
            fv.add(verdicts)
        t3 = time.perf_counter()
        staged = verdicts.staged.with_columns(self.lineage).select(
            *[pl.col(f.name).cast(typed_dtype(f)) for f in self.entity.fields], "_extra",
            "_source_file", "_row_number", "_load_id", "_ingested_at")
        quarantined = verdicts.quarantined.with_columns(self.lineage).select(QUARANTINE.names())
        for k, v in verdicts.rule_counts.items():
            tally.rule_counts[k] = tally.rule_counts.get(k, 0) + v
        if CONSENT in self.entity.canonical and verdicts.quarantined.height:
            found = withdrawal_findings(self.entity, verdicts.evaluated)
            if found.height:
                tally.findings.append(found.join(verdicts.quarantined.select("_row_number", "_failed_rules"),
                                                 on="_row_number", how="left"))
        del verdicts
        # Data protection: rows of erased persons never enter the lake (counted as suppressed).
        staged, quarantined, n = suppress_rows(
            self.settings, self.entity.source, partial(canonical_rows, entity=self.entity), staged, quarantined)
        tally.suppressed += n
        self.staged_sink.write(staged)
        if quarantined.height:
            self.q_sink.write(quarantined)
        tally.staged += staged.height
        tally.quarantined += quarantined.height
        tally.secs["rules"] += t2 - t1
        tally.secs["ge"] += t3 - t2
        tally.secs["write"] += time.perf_counter() - t3

    def commit(self) -> None:
        self.staged_sink.commit()
        if self.q_sink.commit() is None:
            self.qfile.unlink(missing_ok=True)  # a crashed attempt's file of this load id, if any

    def abort(self) -> None:
        self.staged_sink.abort()
        self.q_sink.abort()


def _load_chunks(load: _FileLoad, path: Path, empty: RawFile | None, validator: Validator,
                 batch_rows: int) -> _Tally:
    """Read, decide, validate and write one file chunk by chunk (``batch_rows`` 0: whole)."""
    entity, relp = load.entity, load.relp
    tally = _Tally(warnings=list(empty.warnings) if empty is not None else [])
    chunks = iter([None]) if empty is not None else iter_chunks(path, entity, batch_rows)
    first = next(chunks)
    chunked = first is not None and not first.last
    duplicated = None
    if chunked:
        t = time.perf_counter()
        duplicated = _duplicated_keys(path, entity, batch_rows)
        tally.secs["keys"] = time.perf_counter() - t
    fv: FileValidation | None = FileValidation(validator, entity, chunked=chunked)
    try:
        for chunk in itertools.chain([first], chunks):
            t0 = time.perf_counter()
            if chunk is None:
                assert empty is not None  # chunks is [None] only for an empty file
                raw = empty
            else:
                raw = read_raw(chunk.data, relp, entity, first_line=chunk.first_line, whole=not chunked)
            if entity.format == "csv" and tally.rows:
                raw.frame = raw.frame.with_columns(pl.col("_row_number") + tally.rows)
            tally.add_raw(raw)
            tally.secs["read"] += time.perf_counter() - t0
            fv = _validated(load, raw, duplicated, fv, tally)
            del raw
        tally.warnings += check_file_totals(relp, entity, tally.rows, tally.undecodable, tally.json_objects,
                                            tally.seen_keys, tally.drift)
        t = time.perf_counter()
        if fv is not None:
            try:
                tally.ge = fv.finish()
            except GE_ERRORS as exc:
                tally.warnings.append(_ge_failed(relp, exc))
        tally.secs["ge"] += time.perf_counter() - t
        load.commit()
    except BaseException:
        load.abort()
        raise
    return tally


def _validated(load: _FileLoad, raw: RawFile, duplicated: dict[str, pl.Series] | None,
               fv: FileValidation | None, tally: _Tally) -> FileValidation | None:
    """Load one chunk; GE is the report and polars decides, so a GE failure (only what GE
    raises) drops the GE report, never the load."""
    try:
        load.chunk(raw, duplicated, fv, tally)
    except GE_ERRORS as exc:
        tally.warnings.append(_ge_failed(load.relp, exc))
        load.chunk(raw, duplicated, None, tally)
        return None
    return fv


def _ge_failed(relp: str, exc: BaseException) -> str:
    # the class only: GE's messages can quote values
    return f"{relp}: Great Expectations validation failed to run ({type(exc).__name__}); polars verdicts stand"


def _nulled_field_warnings(relp: str, entity: Entity, rule_counts: dict[str, int]) -> list[str]:
    """One warning per field whose invalid values were staged as empty (``on_invalid: null``)."""
    out = []
    for f in entity.fields:
        if f.on_invalid == "null":
            for k, v in rule_counts.items():
                if k.startswith(f"{f.name}:") and k != f"{f.name}:required":
                    out.append(f"{relp}: {v} row(s) staged with {f.name} empty: column {f.source} broke "
                               f"rule {k} (on_invalid: null)")
    return out


def _record(settings: Settings, res: FileResult, load: _FileLoad, tally: _Tally) -> None:
    """The loaded file's counts, paths and report into ``res``."""
    t = time.perf_counter()
    relp, entity = load.relp, load.entity
    if tally.ge is not None:
        res.ge_success, res.ge_disagreements = tally.ge.success, tally.ge.disagreements
    res.warnings += tally.warnings
    res.rows_read = tally.rows
    res.rows_staged, res.rows_quarantined, res.rows_suppressed = tally.staged, tally.quarantined, tally.suppressed
    res.staged_path = load.staged_file.relative_to(settings.paths.root).as_posix()
    if tally.quarantined:
        res.quarantine_path = load.qfile.relative_to(settings.paths.root).as_posix()
    res.rule_counts = {k: v for k, v in tally.rule_counts.items() if v}
    res.warnings += _nulled_field_warnings(relp, entity, res.rule_counts)
    res.status = LOADED
    share = res.rows_quarantined / res.rows_read if res.rows_read else 0.0
    limit = next((e.max for e in entity.expectations if e.kind == "max_failed_share"), None)
    limit = settings.ingest.max_failed_share if limit is None else limit
    res.message = f"{res.rows_staged} staged, {res.rows_quarantined} quarantined ({share:.1%})"
    if share > limit:
        res.warnings.append(f"{relp}: {share:.1%} of rows quarantined, above the contract limit "
                            f"{limit:.1%} (rule table:max_failed_share)")
    if tally.findings:
        found = pl.concat(tally.findings)
        path = write_findings(settings, load.load_id, relp, found)
        res.warnings.append(f"{relp}: {found.height} consent row(s) quarantined that are or may be withdrawals: "
                            f"not applied; a finding for the data protection officer is in "
                            f"{path.relative_to(settings.paths.root).as_posix()} (rule consent:withdrawal_quarantined)")
    res.report_path = write_load_report(settings, res, entity, tally.ge)
    tally.secs["write"] += time.perf_counter() - t
    res.seconds = {k: v for k, v in tally.secs.items() if v or k != "keys"}
