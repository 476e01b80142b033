"""Row-level contract rules, evaluated natively in polars. These decide quarantine.

Each rule has a name ``<field>:<check>`` (``Geburtsdatum:type``, ``Betrag:min``,
``Kundennummer:unique``) or ``row:<check>`` for rows that could not be read. The same rules are
turned into a Great Expectations suite in :mod:`pipelines.expectations`, one expectation per
rule, so GE results and these verdicts can be compared rule by rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import polars as pl

from cdp.schema import UTC_TS, Dtype
from pipelines.contracts import Entity, FieldSpec

ISO8601 = "iso8601"
# strptime format behind "iso8601" (Python's %z accepts "Z" and "+01:00"; polars gets "Z" rewritten).
ISO_STRPTIME = "%Y-%m-%dT%H:%M:%S%z"

INT_RE = r"^[+-]?\d+$"
BOOL_VALUES = ("true", "false", "1", "0", "True", "False", "TRUE", "FALSE")


def decimal_regex(mark: str) -> str:
    """Regex a decimal number with the given decimal mark must match (no thousands separator)."""
    m = "," if mark == "," else r"\."
    return rf"^[+-]?(?:\d+(?:{m}\d*)?|{m}\d+)$"


def strptime_format(f: FieldSpec) -> str:
    """The strftime/strptime format of a date or timestamp field."""
    return ISO_STRPTIME if f.format == ISO8601 else str(f.format)


@dataclass(frozen=True)
class Rule:
    """One row-level check: its name, the failing-row expression and a readable reason."""

    name: str
    column: str | None
    fails: pl.Expr  # true where the row breaks the rule
    reason: str
    #: The field's ``on_invalid: null``: a failing row is staged with the field empty, not quarantined.
    nulls: bool = False


def typed_expr(f: FieldSpec) -> pl.Expr:
    """The typed value of a raw field (null where the raw value does not parse)."""
    c = pl.col(f.name)
    if f.type == "string" or f.type == "json":
        return c
    if f.type == "list":
        if f.split:
            return pl.when(c.is_null()).then(None).otherwise(
                c.str.split(f.split).list.eval(pl.element().str.strip_chars()).list.eval(
                    pl.element().filter(pl.element() != "")))
        return c
    if f.type == "int":
        return pl.when(c.str.contains(INT_RE)).then(c.cast(pl.Int64, strict=False)).otherwise(None)
    if f.type == "decimal":
        num = c.str.replace(",", ".", literal=True) if f.decimal == "," else c
        return pl.when(c.str.contains(decimal_regex(f.decimal))).then(
            num.cast(pl.Float64, strict=False)).otherwise(None)
    if f.type == "bool":
        low = c.str.to_lowercase()
        return pl.when(low.is_in(["true", "1"])).then(True).when(low.is_in(["false", "0"])).then(False) \
            .otherwise(None)
    if f.type == "date":
        return c.str.to_date(strptime_format(f), strict=False)
    if f.type == "timestamp":
        if f.format == ISO8601:
            ts = c.str.replace(r"Z$", "+00:00").str.to_datetime(
                ISO_STRPTIME, strict=False, time_unit="us", time_zone="UTC")
            return ts
        ts = c.str.to_datetime(strptime_format(f), strict=False, time_unit="us")
        return ts.dt.replace_time_zone(f.timezone or "UTC", ambiguous="earliest",
                                       non_existent="null").dt.convert_time_zone("UTC")
    raise ValueError(f"unknown field type {f.type}")


def typed_dtype(f: FieldSpec) -> Dtype:
    types: dict[str, Dtype] = {
        "string": pl.String, "json": pl.String, "list": pl.List(pl.String), "int": pl.Int64,
        "decimal": pl.Float64, "bool": pl.Boolean, "date": pl.Date, "timestamp": UTC_TS}
    return types[f.type]


def _bound_lit(f: FieldSpec, v):
    if f.type == "date" and isinstance(v, str):
        return pl.lit(date.fromisoformat(v))
    if f.type == "date" and isinstance(v, datetime):
        return pl.lit(v.date())
    if f.type == "timestamp":
        d = v if isinstance(v, datetime) else datetime.fromisoformat(str(v))
        return pl.lit(d).cast(UTC_TS) if d.tzinfo else pl.lit(d).dt.replace_time_zone("UTC")
    return pl.lit(v)


@dataclass(frozen=True)
class Limits:
    """Rules that come from settings and the delivery rather than the contract.

    ``max_length``: a raw value (or the ``_extra`` JSON) longer than this many characters breaks
    ``<field>:max_length``. ``latest``: a date or timestamp after this instant (the delivery date
    plus ``ingest.future_tolerance_days``) breaks ``<field>:future``; None switches it off.
    """

    max_length: int | None = None
    latest: datetime | None = None

    @staticmethod
    def for_delivery(delivery: date | None, tolerance_days: int, max_length: int | None) -> Limits:
        latest = None if delivery is None else (
            datetime.combine(delivery, time(), tzinfo=UTC) + timedelta(days=tolerance_days + 1))
        return Limits(max_length=max_length, latest=latest)


def _length_rules(entity: Entity, limit: int, readable: pl.Expr) -> list[Rule]:
    out = []
    for f in entity.fields:
        if f.type == "list" and entity.format != "csv":
            continue  # a JSON list: its elements are checked where they are used
        out.append(Rule(f"{f.name}:max_length", f.name,
                        readable & (pl.col(f.name).str.len_chars() > limit).fill_null(False),
                        f"column {f.source} is longer than {limit} characters"))
    out.append(Rule("_extra:max_length", "_extra",
                    readable & (pl.col("_extra").str.len_chars() > limit).fill_null(False),
                    f"the unexpected columns are longer than {limit} characters together"))
    return out


def _future_rule(f: FieldSpec, latest: datetime, readable: pl.Expr) -> Rule:
    t = pl.col(f"{f.name}__typed")
    bound = pl.lit(latest.date()) if f.type == "date" else pl.lit(latest).cast(UTC_TS)
    return Rule(f"{f.name}:future", f.name, readable & (t >= bound).fill_null(False),
                f"column {f.source} is after the delivery date (more than the tolerated days)")


def rules_for(entity: Entity, duplicated: dict[str, pl.Series] | None = None,
              limits: Limits | None = None) -> list[Rule]:
    """All row-level rules of an entity, in contract order (typed columns named ``<field>__typed``).

    Args:
        entity: the contract entity.
        duplicated: for a file read in chunks, per ``unique`` column the values that occur
            more than once in the whole file; without it, duplicates are found in the frame.
        limits: the length and future-date limits (none without).
    """
    limits = limits or Limits()
    out: list[Rule] = []
    readable = pl.col("_read_error").is_null()
    if limits.max_length:
        out += _length_rules(entity, limits.max_length, readable)
    for f in entity.fields:
        c = pl.col(f.name)
        t = pl.col(f"{f.name}__typed")
        present = c.is_not_null() if f.type != "list" else c.is_not_null()
        if limits.latest is not None and f.type in ("date", "timestamp"):
            out.append(_future_rule(f, limits.latest, readable))
        if f.required:
            out.append(Rule(f"{f.name}:required", f.name, readable & c.is_null(),
                            f"column {f.source} is empty but required"))
        if f.type in ("int", "decimal", "bool", "date", "timestamp"):
            what = {"int": "an integer", "decimal": f"a number with decimal mark '{f.decimal}'",
                    "bool": "true/false", "date": f"a date in format {f.format}",
                    "timestamp": f"a timestamp in format {f.format}"}[f.type]
            out.append(Rule(f"{f.name}:type", f.name, readable & present & t.is_null(),
                            f"column {f.source} is not {what}"))
        if f.pattern and f.type not in ("list", "json"):
            out.append(Rule(f"{f.name}:pattern", f.name,
                            readable & present & ~c.str.contains(f.pattern),
                            f"column {f.source} does not match pattern {f.pattern}"))
        if f.allowed is not None:
            out.append(Rule(f"{f.name}:allowed", f.name,
                            readable & present & ~c.is_in(list(f.allowed)),
                            f"column {f.source} is not one of {list(f.allowed)}"))
        if f.min is not None:
            out.append(Rule(f"{f.name}:min", f.name, readable & (t < _bound_lit(f, f.min)).fill_null(False),
                            f"column {f.source} is below the minimum {f.min}"))
        if f.max is not None:
            out.append(Rule(f"{f.name}:max", f.name, readable & (t > _bound_lit(f, f.max)).fill_null(False),
                            f"column {f.source} is above the maximum {f.max}"))
    nulling = {f.name for f in entity.fields if f.on_invalid == "null"}
    out = [Rule(r.name, r.column, r.fails, r.reason + " (on_invalid: null, value staged empty)", nulls=True)
           if r.column in nulling and not r.name.endswith(":required") else r for r in out]
    for e in entity.expectations:
        if e.kind == "unique" and e.column:
            c = pl.col(e.column)
            dup = c.is_duplicated() if duplicated is None else c.is_in(duplicated[e.column].implode())
            out.append(Rule(f"{e.column}:unique", e.column,
                            readable & c.is_not_null() & dup,
                            f"column {entity.field(e.column).source} value occurs more than once in the file"))
    return out


def row_read_rules() -> dict[str, str]:
    """Reasons for rows that could not be read at all."""
    return {
        "row:encoding": "row is not valid text in the contract encoding",
        "row:malformed_json": "row is not a valid JSON object",
        "row:field_count": "row has a different number of fields than the header",
        "row:quote": "row has a quote that never closes (its fields cannot be told apart)",
        "row:truncated": "the file ends inside this row (no line break after it, and a quote open, fields missing or the JSON unfinished): the row was cut off",
    }


@dataclass
class Verdicts:
    """A file's rows split into staged (typed) and quarantined, with per-rule failure counts."""

    staged: pl.DataFrame
    quarantined: pl.DataFrame
    rule_counts: dict[str, int]
    evaluated: pl.DataFrame  # raw + typed + one bool column per rule (for GE and agreement checks)
    rules: list[Rule]


NAIVE_ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"


def normalise(raw: pl.DataFrame, entity: Entity) -> pl.DataFrame:
    """Spellings that mean the same value, made the contract's before any rule runs (``_raw``
    keeps the delivered text): an allowed value in other letter case (``EMAIL`` → ``email``),
    and an ISO 8601 timestamp without an offset, read in the field's ``timezone`` (``UTC`` if
    none) and given that offset. A withdrawal spelled so is honoured, not quarantined."""
    exprs = []
    for f in entity.fields:
        c = pl.col(f.name)
        if f.allowed is not None and f.type == "string" and all(isinstance(a, str) for a in f.allowed):
            lower = {a.lower(): a for a in f.allowed}
            exprs.append(pl.when(c.is_in(list(f.allowed)) | c.is_null()).then(c)
                         .otherwise(c.str.to_lowercase().replace_strict(lower, default=c)).alias(f.name))
        elif f.type == "timestamp" and f.format == ISO8601:
            local = c.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us").dt.replace_time_zone(
                f.timezone or "UTC", ambiguous="earliest", non_existent="null")
            exprs.append(pl.when(c.str.contains(NAIVE_ISO).fill_null(False) & local.is_not_null())
                         .then(local.dt.strftime("%Y-%m-%dT%H:%M:%S%:z")).otherwise(c).alias(f.name))
    return raw.with_columns(exprs) if exprs else raw


def evaluate(raw: pl.DataFrame, entity: Entity, rel: str,
             duplicated: dict[str, pl.Series] | None = None, limits: Limits | None = None) -> Verdicts:
    """Apply every rule of ``entity`` to the raw rows of file ``rel`` (or of one chunk of it).

    ``duplicated``, ``limits``: see :func:`rules_for` (``duplicated`` is needed when ``raw`` is
    one chunk of a file).

    Returns the staged rows (typed columns named as the contract fields, plus ``_extra`` and
    ``_row_number``) and the quarantined rows (``_row_number``, ``_raw``, ``_failed_rules``,
    ``_reason``; the reason names the file, row, column and rule).
    """
    df = normalise(raw, entity)
    df = df.with_columns([typed_expr(f).cast(typed_dtype(f)).alias(f"{f.name}__typed") for f in entity.fields])
    rules = rules_for(entity, duplicated, limits)
    df = df.with_columns([r.fails.alias(f"__fail__{r.name}") for r in rules])
    read_reasons = row_read_rules()
    read_reason = pl.col("_read_error").replace_strict(read_reasons, default=None, return_dtype=pl.String)
    failed = pl.concat_list(
        [pl.col("_read_error")] + [pl.when(pl.col(f"__fail__{r.name}")).then(pl.lit(r.name)) for r in rules]
    ).list.drop_nulls()
    reasons = pl.concat_str(
        [pl.when(pl.col("_read_error").is_not_null()).then(read_reason + " (rule " + pl.col("_read_error") + ")")]
        + [pl.when(pl.col(f"__fail__{r.name}")).then(pl.lit(f"{r.reason} (rule {r.name})")) for r in rules],
        separator="; ", ignore_nulls=True,
    )
    fail_cols = [f"__fail__{r.name}" for r in rules if not r.nulls]
    bad = pl.col("_read_error").is_not_null()
    if fail_cols:
        bad = bad | pl.any_horizontal(fail_cols)
    df = df.with_columns(__bad=bad)
    # Rule lists and reasons are built only for the (few) failing rows.
    quarantined = df.filter(pl.col("__bad")).with_columns(_failed_rules=failed, _reason_body=reasons).select(
        "_row_number", "_raw",
        "_failed_rules",
        pl.concat_str([pl.lit(f"{rel} row "), pl.col("_row_number").cast(pl.String), pl.lit(": "),
                       pl.col("_reason_body")]).alias("_reason"),
    )
    def staged_value(f: FieldSpec) -> pl.Expr:
        typed = pl.col(f"{f.name}__typed")
        nulled = [pl.col(f"__fail__{r.name}") for r in rules if r.nulls and r.column == f.name]
        return (pl.when(pl.any_horizontal(nulled)).then(None).otherwise(typed) if nulled else typed).alias(f.name)

    staged = df.filter(~pl.col("__bad")).select(
        "_row_number", *[staged_value(f) for f in entity.fields], "_extra")
    counts = {r.name: int(df[f"__fail__{r.name}"].sum()) for r in rules}
    for k in read_reasons:
        counts[k] = int((df["_read_error"] == k).sum())
    evaluated = df.drop("__bad")
    return Verdicts(staged=staged, quarantined=quarantined, rule_counts=counts, evaluated=evaluated,
                    rules=rules)
