"""Great Expectations 1.x suites built from a contract, run on every load.

Every row rule of :mod:`pipelines.rules` has a GE expectation (same name in ``meta.rule``), so
the GE validation result of a load can be checked against the polars verdicts rule by rule.
GE runs on an ephemeral context with a pandas dataframe asset, in two batches per file:

* ``full``: every row of the file, only expectations GE evaluates with vectorised pandas
  operations or column aggregates (row count, ``_read_error`` null, required not null, column
  min / max for range rules, unique-value proportion for unique rules); only the columns they
  need are converted to pandas.
* ``sample``: a seeded random sample of ``settings.ingest.ge_sample_rows`` rows (every row of
  smaller files) with the per-value expectations GE evaluates row by row (type regexes and
  strftime formats, patterns, allowed values, ranges).

Polars evaluates every rule on every row and decides quarantine; see docs/ingestion.md.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import great_expectations as gx
import great_expectations.exceptions as gx_exceptions
import polars as pl
from great_expectations.expectations.row_conditions import Column

from pipelines.contracts import Entity, FieldSpec
from pipelines.rules import BOOL_VALUES, INT_RE, Verdicts, decimal_regex, strptime_format

log = logging.getLogger(__name__)

FULL, SAMPLE = "full", "sample"
#: What a GE run raises when GE itself fails (a bug of ours still propagates).
GE_ERRORS = (gx_exceptions.GreatExpectationsError,)
READ_RULE = "row:readable"
# No values in results or reports: they may be personal data. The quarantine holds the rows.
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}
# Field expectations look at rows that could be read; unreadable rows have their own expectation.
READABLE: dict[str, Any] = {"row_condition": Column("_read_error").is_null()}
# Column-aggregate expectations: they report an observed value, not unexpected rows.
AGGREGATES = {"expect_column_min_to_be_between", "expect_column_max_to_be_between",
              "expect_column_proportion_of_unique_values_to_be_between"}


@dataclass
class PlannedExpectation:
    rule: str
    scope: str
    expectation: Any
    column: str | None


@dataclass
class GEOutcome:
    """The GE validation of one load and how it compares to the polars verdicts."""

    results: dict[str, Any]  # {"full": <GE result JSON>, "sample": <GE result JSON>}
    checks: list[dict[str, Any]] = field(default_factory=list)  # one per expectation
    sample_rows: int = 0

    @property
    def disagreements(self) -> list[dict[str, Any]]:
        return [c for c in self.checks if c["polars_unexpected"] is not None and not c["agree"]]

    @property
    def success(self) -> bool:
        return all(r.get("success", False) for r in self.results.values())


def plan(entity: Entity) -> list[PlannedExpectation]:
    """The expectations of an entity's suites (``full`` and ``sample``), derived from its contract."""
    E = gx.expectations
    out: list[PlannedExpectation] = []

    def add(rule: str, scope: str, exp: Any, column: str | None) -> None:
        exp.meta = {"rule": rule, "scope": scope}
        out.append(PlannedExpectation(rule, scope, exp, column))

    add(READ_RULE, FULL, E.ExpectColumnValuesToBeNull(column="_read_error"), None)
    for f in entity.fields:
        if f.required:
            add(f"{f.name}:required", FULL, E.ExpectColumnValuesToNotBeNull(column=f.name, **READABLE), f.name)
        if f.type not in ("list", "json"):
            _field_expectations(f, add)
    for e in entity.expectations:
        if e.kind == "unique" and e.column:
            # aggregate over the whole file: distinct values / non-null values = 1
            add(f"{e.column}:unique", FULL, E.ExpectColumnProportionOfUniqueValuesToBeBetween(
                column=e.column, min_value=1.0, **READABLE), e.column)
        elif e.kind == "row_count_between":
            add("table:row_count", FULL, E.ExpectTableRowCountToBeBetween(
                min_value=int(e.min) if e.min is not None else None,
                max_value=int(e.max) if e.max is not None else None), None)
    return out


def _type_expectation(f: FieldSpec) -> Any:
    """The per-value expectation of a field's type (None for strings)."""
    E = gx.expectations
    if f.type == "int":
        return E.ExpectColumnValuesToMatchRegex(column=f.name, regex=INT_RE, **READABLE)
    if f.type == "decimal":
        return E.ExpectColumnValuesToMatchRegex(column=f.name, regex=decimal_regex(f.decimal), **READABLE)
    if f.type == "bool":
        return E.ExpectColumnValuesToBeInSet(column=f.name, value_set=list(BOOL_VALUES), **READABLE)
    if f.type in ("date", "timestamp"):
        return E.ExpectColumnValuesToMatchStrftimeFormat(column=f.name, strftime_format=strptime_format(f),
                                                         **READABLE)
    return None


def _field_expectations(f: FieldSpec, add: Any) -> None:
    """Type, pattern, allowed-value and range expectations of one scalar field."""
    E = gx.expectations
    if (t := _type_expectation(f)) is not None:
        add(f"{f.name}:type", SAMPLE, t, f.name)
    if f.pattern:
        add(f"{f.name}:pattern", SAMPLE,
            E.ExpectColumnValuesToMatchRegex(column=f.name, regex=f.pattern, **READABLE), f.name)
    if f.allowed is not None:
        add(f"{f.name}:allowed", SAMPLE,
            E.ExpectColumnValuesToBeInSet(column=f.name, value_set=list(f.allowed), **READABLE), f.name)
    for bound in ("min", "max"):
        v = getattr(f, bound)
        if v is None:
            continue
        b = _ge_bound(f.type, v)
        typed = f"{f.name}__typed"
        kw = {"min_value": b} if bound == "min" else {"max_value": b}
        add(f"{f.name}:{bound}", SAMPLE, E.ExpectColumnValuesToBeBetween(column=typed, **kw, **READABLE), f.name)
        # the whole file as one column aggregate: its minimum (maximum) within the bound
        agg = E.ExpectColumnMinToBeBetween if bound == "min" else E.ExpectColumnMaxToBeBetween
        add(f"{f.name}:{bound}", FULL, agg(column=typed, **kw, **READABLE), f.name)


#: Result keys that can hold values of the data (a column's min / max, unexpected values, an
#: exception's text); they are dropped from every stored result.
VALUE_KEYS = frozenset({"observed_value", "partial_unexpected_list", "partial_unexpected_counts",
                        "partial_unexpected_index_list", "unexpected_list", "unexpected_index_list",
                        "unexpected_index_query", "details", "exception_message", "exception_traceback"})


def without_values(doc: Any) -> Any:
    """A GE result JSON with every key that can hold a value of the data removed (recursively).

    Row counts, unexpected counts and percentages stay; a table's observed row count is kept.
    """
    if isinstance(doc, list):
        return [without_values(x) for x in doc]
    if not isinstance(doc, dict):
        return doc
    keep_observed = doc.get("expectation_config", {}).get("type") in (
        "expect_table_row_count_to_be_between", "expect_column_proportion_of_unique_values_to_be_between")
    out = {}
    for k, v in doc.items():
        if k in VALUE_KEYS and not (k == "observed_value" and keep_observed):
            continue
        if k == "result" and keep_observed:
            out[k] = {kk: vv for kk, vv in v.items() if kk == "observed_value" or kk not in VALUE_KEYS}
            continue
        out[k] = without_values(v)
    return out


def _ge_bound(ftype: str, v: Any) -> Any:
    if ftype == "date":
        d = v if isinstance(v, date) else date.fromisoformat(str(v))
        return datetime.combine(d, time())
    if ftype == "timestamp":
        d = v if isinstance(v, datetime) else datetime.fromisoformat(str(v))
        return d if d.tzinfo else d.replace(tzinfo=UTC)
    return v


class Validator:
    """One ephemeral GE context per ingest run; one pair of suites (full, sample) per entity."""

    def __init__(self, sample_rows: int):
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.sample_rows = sample_rows
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = self.context.data_sources.add_pandas("landing").add_dataframe_asset("file")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole_file")
        self._plans: dict[str, list[PlannedExpectation]] = {}
        self._suites: dict[tuple[str, str, frozenset[str]], Any] = {}

    def _suite(self, entity: Entity, scope: str, skip: frozenset[str] = frozenset()):
        """The entity's suite of one scope, without the expectations (by rule) in ``skip``."""
        key = (entity.key, scope, skip)
        if key not in self._suites:
            planned = plan(entity)  # fresh expectation objects: one suite owns each
            name = f"{entity.source}.{entity.name}.{scope}" + (f".{len(self._suites)}" if skip else "")
            suite = self.context.suites.add(gx.ExpectationSuite(name=name))
            for p in planned:
                if p.scope == scope and p.rule not in skip:
                    suite.add_expectation(p.expectation)
            self._suites[key] = suite
        return self._suites[key]

    def validate(self, entity: Entity, verdicts: Verdicts) -> GEOutcome:
        """Validate one whole file's rows with the entity's suites and compare with the polars verdicts."""
        fv = FileValidation(self, entity, chunked=False)
        fv.add(verdicts)
        return fv.finish()

    def run(self, entity: Entity, scope: str, rows: pl.DataFrame, label: str,
            only: frozenset[str] | None = None, leave_out: frozenset[str] = frozenset()) -> list[dict]:
        """Run the ``scope`` suite (restricted to rules ``only`` / without ``leave_out``) on ``rows``.

        Returns one check per expectation (GE's result next to the polars count) and keeps the
        GE result JSON under ``self.last_result``.
        """
        planned = self._plans.setdefault(entity.key, plan(entity))
        active = [p for p in planned if p.scope == scope and p.rule not in leave_out
                  and (only is None or p.rule in only)]
        out: list[dict] = []
        self.last_result = None
        if not active or rows.height == 0:
            return out
        fail_cols = [c for c in rows.columns if c.startswith("__fail__")]
        cols = ["_read_error"]  # only the columns this run's expectations read
        for p in active:
            c = getattr(p.expectation, "column", None)
            if c and c not in cols:
                cols.append(c)
        rows = rows.select(*cols, *[c for c in fail_cols if c not in cols])
        skip = _empty_aggregates(active, rows)
        for rule, column in skip.items():
            ours = int(rows[f"__fail__{rule}"].sum()) if f"__fail__{rule}" in rows.columns else 0
            out.append({"rule": rule, "scope": scope, "expectation": "skipped (column has no values)",
                        "column": column, "success": True, "element_count": 0, "ge_unexpected": None,
                        "polars_unexpected": ours, "agree": ours == 0, "error": None, "batch": label})
        leave = frozenset(leave_out | set(skip) | {p.rule for p in planned if p.scope == scope
                                                    and only is not None and p.rule not in only})
        pdf = rows.select(_ge_view(active, cols)).to_pandas()
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": pdf})
        with warnings.catch_warnings():
            # GE's regex metric warns about match groups in contract patterns; harmless
            warnings.simplefilter("ignore", UserWarning)
            res = batch.validate(self._suite(entity, scope, leave), result_format=RESULT_FORMAT)
        del pdf, batch
        self.last_result = without_values(res.to_json_dict())
        return out + [_compare(r, rows, scope, label) for r in res.results]


#: Expectations that only ask whether a value is there (the row condition asks the same of
#: ``_read_error``), and the one that only asks how many values are distinct.
NULLITY = frozenset({"expect_column_values_to_not_be_null", "expect_column_values_to_be_null"})
DISTINCTNESS = NULLITY | {"expect_column_proportion_of_unique_values_to_be_between"}


def _ge_view(active: list[PlannedExpectation], cols: list[str]) -> list[pl.Expr]:
    """The columns GE gets, each reduced to what this run's expectations on it read.

    A column only checked for being (not) null goes to GE as its null pattern (1.0 or null); one
    checked for nulls and distinctness as dense codes of its values (same nulls, same distinct
    count); any other column as it is. Every expectation counts exactly what it would count on
    the text, while GE no longer copies, hashes and filters millions of strings (most of the
    ingest time at a million customers), and no personal data passes through GE's batches.
    """
    kinds: dict[str, set[str]] = {"_read_error": {"expect_column_values_to_be_null"}}  # row condition
    for p in active:
        if (c := getattr(p.expectation, "column", None)) is not None:
            kinds.setdefault(c, set()).add(p.expectation.expectation_type)
    out = []
    for c in cols:
        k = kinds.get(c, {"other"})
        if k <= NULLITY:
            out.append(pl.when(pl.col(c).is_not_null()).then(pl.lit(1.0)).alias(c))
        elif k <= DISTINCTNESS:
            out.append(pl.col(c).rank("dense").cast(pl.Float64).alias(c))
        else:
            out.append(pl.col(c))
    return out


def _empty_aggregates(active: list[PlannedExpectation], rows: pl.DataFrame) -> dict[str, str]:
    """Column aggregates over no values (every value null or unreadable), by rule: undefined,
    GE would fail them while no row can break the rule, so they are left out and listed."""
    return {p.rule: p.expectation.column for p in active
            if p.expectation.expectation_type in AGGREGATES
            and rows.select((pl.col("_read_error").is_null() & pl.col(p.expectation.column).is_not_null())
                            .any()).item() is False}


def _compare(r: Any, rows: pl.DataFrame, scope: str, label: str) -> dict:
    """One GE expectation result next to the polars count of its rule."""
    rule = r.expectation_config.meta.get("rule")
    got = r.result.get("unexpected_count")
    if rule == READ_RULE:
        ours = int(rows["_read_error"].is_not_null().sum())
    elif f"__fail__{rule}" in rows.columns:
        ours = int(rows[f"__fail__{rule}"].sum())
    else:
        ours = None  # table-level expectation: no row verdict to compare
    raised = bool((r.exception_info or {}).get("raised_exception"))
    if r.expectation_config.type not in AGGREGATES or ours is None:
        agree = ours is None or got == ours
    elif raised:
        agree = False
    elif r.result.get("observed_value") is None:
        agree = ours == 0  # aggregate over no values: nothing can break the rule
    else:
        agree = bool(r.success) == (ours == 0)  # aggregate: passes iff no row breaks the rule
    return {
        "rule": rule, "scope": scope, "expectation": r.expectation_config.type,
        "column": r.expectation_config.kwargs.get("column"), "success": bool(r.success),
        "element_count": r.result.get("element_count", rows.height),
        "ge_unexpected": got, "polars_unexpected": ours, "agree": agree,
        "error": "GE raised an exception" if raised else None, "batch": label,
    }


def file_rules(entity: Entity) -> frozenset[str]:
    """The ``full`` rules that need the whole file at once (uniqueness, row count)."""
    return frozenset({f"{e.column}:unique" for e in entity.expectations if e.kind == "unique" and e.column}
                     | ({"table:row_count"} if any(e.kind == "row_count_between" for e in entity.expectations)
                        else set()))


def merge_checks(checks: list[dict]) -> list[dict]:
    """One check per rule from the per-chunk checks of the same rule (counts added up)."""
    merged: dict[str, dict] = {}
    for c in checks:
        m = merged.get(c["rule"])
        skipped = c["expectation"].startswith("skipped")
        if m is None:
            m = merged[c["rule"]] = dict(c, element_count=0, ge_unexpected=None if skipped else c["ge_unexpected"],
                                         polars_unexpected=0, batch="all chunks", chunks=0)
            m["ge_unexpected"] = None if skipped else 0 if c["ge_unexpected"] is not None else None
        elif m["expectation"].startswith("skipped") and not skipped:
            m["expectation"] = c["expectation"]
            m["ge_unexpected"] = 0 if c["ge_unexpected"] is not None else None
        m["chunks"] += 1
        m["element_count"] += c["element_count"] or 0
        if not skipped and m["ge_unexpected"] is not None:
            m["ge_unexpected"] = None if c["ge_unexpected"] is None else m["ge_unexpected"] + c["ge_unexpected"]
        m["polars_unexpected"] = None if c["polars_unexpected"] is None or m["polars_unexpected"] is None \
            else m["polars_unexpected"] + c["polars_unexpected"]
        m["success"] = m["success"] and c["success"]
        m["agree"] = m["agree"] and c["agree"]
        m["error"] = m["error"] or c["error"]
    return list(merged.values())


class FileValidation:
    """The GE validation of one file that arrives in one or more chunks.

    Whole file (one chunk): the ``full`` suite runs on every row, the ``sample`` suite on a
    seeded sample, as before. In chunks: the ``full`` suite runs on every chunk (every row is
    still validated; counts are added up per rule) except the rules that need the whole file
    at once (uniqueness, row count), which run once on a narrow frame of every row's
    ``_read_error`` and key columns; the sample is a bottom-k sample by a seeded hash of the row
    number, drawn across chunks (the same rows whatever the chunk size).
    """

    def __init__(self, validator: Validator, entity: Entity, chunked: bool):
        self.v, self.entity, self.chunked = validator, entity, chunked
        self.file_rules = file_rules(entity) if chunked else frozenset()
        planned = validator._plans.setdefault(entity.key, plan(entity))
        self.sample_cols = ["_row_number", "_read_error"] + list(dict.fromkeys(
            c for p in planned if p.scope == SAMPLE and (c := getattr(p.expectation, "column", None))))
        self.key_cols = ["_read_error"] + list(dict.fromkeys(
            c for p in planned if p.scope == FULL and p.rule in self.file_rules
            and (c := getattr(p.expectation, "column", None))))
        self.results: dict[str, Any] = {}
        self.chunk_checks: list[dict] = []
        self.keys: list[pl.DataFrame] = []
        self.sample: pl.DataFrame | None = None
        self.n = 0

    def add(self, verdicts: Verdicts) -> None:
        """Validate one chunk's rows (``full`` suite) and keep its part of the sample and keys."""
        ev = verdicts.evaluated
        if ev.height == 0:
            return
        self.n += 1
        label = f"full:chunk{self.n}" if self.chunked else FULL
        fail_cols = [c for c in ev.columns if c.startswith("__fail__")]
        self.chunk_checks += self.v.run(self.entity, FULL, ev, label, leave_out=self.file_rules)
        if self.v.last_result is not None:
            self.results[label] = self.v.last_result
        if self.chunked:
            kf = [f"__fail__{r}" for r in self.file_rules if f"__fail__{r}" in ev.columns]
            self.keys.append(ev.select(*self.key_cols, *kf))
        k = self.v.sample_rows
        part = ev.select(*[c for c in self.sample_cols if c in ev.columns], *fail_cols) \
            .with_columns(__h=pl.col("_row_number").hash(seed=0)).bottom_k(k, by="__h")
        self.sample = part if self.sample is None else pl.concat([self.sample, part]).bottom_k(k, by="__h")

    def finish(self) -> GEOutcome:
        """Run the whole-file and sample expectations; the outcome of the whole file."""
        if self.n == 0 or self.sample is None:  # the same: a chunk with rows sets the sample
            return GEOutcome(results={}, checks=[], sample_rows=0)
        checks = merge_checks(self.chunk_checks) if self.chunked else self.chunk_checks
        if self.chunked and self.file_rules:
            keys = pl.concat(self.keys)
            self.keys = []
            checks += self.v.run(self.entity, FULL, keys, FULL, only=self.file_rules)
            if self.v.last_result is not None:
                self.results[FULL] = self.v.last_result
            del keys
        sample = self.sample.drop("__h").sort("_row_number")
        checks += self.v.run(self.entity, SAMPLE, sample, SAMPLE)
        if self.v.last_result is not None:
            self.results[SAMPLE] = self.v.last_result
        out = GEOutcome(results=self.results, checks=checks, sample_rows=sample.height)
        for d in out.disagreements:
            log.warning("GE and polars disagree on %s for %s: GE %s, polars %s",
                        d["rule"], self.entity.key, d["ge_unexpected"], d["polars_unexpected"])
        return out
