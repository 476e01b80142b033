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
from datetime import date, datetime, time, timezone
from typing import Any

import great_expectations as gx
import polars as pl
from great_expectations.expectations.row_conditions import Column

from pipelines.contracts import Entity
from pipelines.rules import BOOL_VALUES, INT_RE, Verdicts, decimal_regex, strptime_format

log = logging.getLogger(__name__)

FULL, SAMPLE = "full", "sample"
READ_RULE = "row:readable"
# No values in results or reports: they may be personal data. The quarantine holds the rows.
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}
# Field expectations look at rows that could be read; unreadable rows have their own expectation.
READABLE = {"row_condition": Column("_read_error").is_null()}
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
        if f.type in ("list", "json"):
            continue
        if f.type == "int":
            add(f"{f.name}:type", SAMPLE, E.ExpectColumnValuesToMatchRegex(column=f.name, regex=INT_RE, **READABLE),
                f.name)
        elif f.type == "decimal":
            add(f"{f.name}:type", SAMPLE,
                E.ExpectColumnValuesToMatchRegex(column=f.name, regex=decimal_regex(f.decimal), **READABLE), f.name)
        elif f.type == "bool":
            add(f"{f.name}:type", SAMPLE,
                E.ExpectColumnValuesToBeInSet(column=f.name, value_set=list(BOOL_VALUES), **READABLE), f.name)
        elif f.type in ("date", "timestamp"):
            add(f"{f.name}:type", SAMPLE, E.ExpectColumnValuesToMatchStrftimeFormat(
                column=f.name, strftime_format=strptime_format(f), **READABLE), f.name)
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


def _ge_bound(ftype: str, v: Any) -> Any:
    if ftype == "date":
        d = v if isinstance(v, date) else date.fromisoformat(str(v))
        return datetime.combine(d, time())
    if ftype == "timestamp":
        d = v if isinstance(v, datetime) else datetime.fromisoformat(str(v))
        return d if d.tzinfo else d.replace(tzinfo=timezone.utc)
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
        """Validate one file's rows with the entity's suites and compare with the polars verdicts."""
        ev = verdicts.evaluated
        if ev.height == 0:
            return GEOutcome(results={}, checks=[], sample_rows=0)
        planned = self._plans.setdefault(entity.key, plan(entity))
        fail_cols = [c for c in ev.columns if c.startswith("__fail__")]
        sample = ev.sample(n=min(self.sample_rows, ev.height), seed=0) if ev.height > self.sample_rows else ev
        results, checks = {}, []
        for scope, rows in ((FULL, ev), (SAMPLE, sample)):
            if not any(p.scope == scope for p in planned):
                continue
            cols = ["_read_error"]  # only the columns this scope's expectations read
            for p in planned:
                c = getattr(p.expectation, "column", None)
                if p.scope == scope and c and c not in cols:
                    cols.append(c)
            rows = rows.select(*cols, *[c for c in fail_cols if c not in cols])
            # A column aggregate over no values (every value null or unreadable) is undefined: GE
            # would fail it, while no row can break the rule. Such expectations are left out of
            # this file's run and listed as skipped.
            skip = {p.rule: p.expectation.column for p in planned
                    if p.scope == scope and p.expectation.expectation_type in AGGREGATES
                    and rows.select((pl.col("_read_error").is_null() & pl.col(p.expectation.column).is_not_null())
                                    .any()).item() is False}
            for rule, column in skip.items():
                ours = int(rows[f"__fail__{rule}"].sum()) if f"__fail__{rule}" in rows.columns else 0
                checks.append({"rule": rule, "scope": scope, "expectation": "skipped (column has no values)",
                               "column": column, "success": True, "element_count": 0, "ge_unexpected": None,
                               "polars_unexpected": ours, "agree": ours == 0, "error": None})
            pdf = rows.select(*cols).to_pandas()
            batch = self.batch_definition.get_batch(batch_parameters={"dataframe": pdf})
            with warnings.catch_warnings():
                # GE's regex metric warns about match groups in contract patterns; harmless
                warnings.simplefilter("ignore", UserWarning)
                res = batch.validate(self._suite(entity, scope, frozenset(skip)), result_format=RESULT_FORMAT)
            results[scope] = res.to_json_dict()
            for r in res.results:
                rule = r.expectation_config.meta.get("rule")
                got = r.result.get("unexpected_count")
                if rule == READ_RULE:
                    ours = int(rows["_read_error"].is_not_null().sum())
                elif f"__fail__{rule}" in rows.columns:
                    ours = int(rows[f"__fail__{rule}"].sum())
                else:
                    ours = None  # table-level expectation: no row verdict to compare
                if r.expectation_config.type not in AGGREGATES or ours is None:
                    agree = ours is None or got == ours
                elif (r.exception_info or {}).get("raised_exception"):
                    agree = False
                elif r.result.get("observed_value") is None:
                    agree = ours == 0  # aggregate over no values: nothing can break the rule
                else:
                    agree = bool(r.success) == (ours == 0)  # aggregate: passes iff no row breaks the rule
                checks.append({
                    "rule": rule, "scope": scope, "expectation": r.expectation_config.type,
                    "column": r.expectation_config.kwargs.get("column"), "success": bool(r.success),
                    "element_count": r.result.get("element_count", rows.height),
                    "ge_unexpected": got, "polars_unexpected": ours, "agree": agree,
                    "error": (r.exception_info or {}).get("exception_message") if not r.success else None,
                })
        out = GEOutcome(results=results, checks=checks, sample_rows=sample.height)
        for d in out.disagreements:
            log.warning("GE and polars disagree on %s for %s: GE %s, polars %s",
                        d["rule"], entity.key, d["ge_unexpected"], d["polars_unexpected"])
        return out
