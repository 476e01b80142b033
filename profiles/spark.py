"""The profile SQL on Spark SQL: ``cdp build-profiles --engine spark``.

The profile tables are defined once, in DuckDB's dialect (``profiles/sql/<table>.sql``, which
analysts run unchanged in the DuckDB CLI). This module runs the same files on Spark: sqlglot
(the maintained DuckDB ↔ Spark SQL transpiler, also what Splink uses for its Spark backend)
translates each statement, and a small runner gives the statements Spark's meaning:

* ``CREATE [OR REPLACE] TABLE t AS …``: the query runs on Spark and is written as Parquet to
  ``<out>/t/``; later statements read ``t`` from that Parquet (a temp view), so each table is
  computed once;
* ``CREATE VIEW v AS …``: a temp view, also written to ``<out>/v/`` (a consumer of the Parquet
  outputs has no view definitions);
* ``CREATE MACRO m(a) AS expr`` (DuckDB's SQL macros, which Spark SQL lacks): remembered and
  expanded inline wherever ``m(…)`` is called;
* ``COMMENT ON …`` and ``CREATE INDEX``: skipped. The comments document the DuckDB file, which
  stays the serving store; an index is a DuckDB storage hint.

The inputs are staged exactly as for the DuckDB build (``profiles.build``: canonical and identity
Parquet with the schema's types, the ``cfg_*`` settings tables, the standardised consent contact
points, ``processing_restriction``), in a scratch DuckDB file on the driver, and handed to Spark
as Parquet. The profile SQL itself, the part whose cost grows with contacts and customers, runs
on Spark.

Not on Spark (built only by the DuckDB engine, see :data:`NOT_ON_SPARK`): ``churn_risk`` (a
BG/NBD model fitted in Python with ``lifetimes``) and what reads it (``customer_experience``,
the view ``agent_experience``), and the data-protection schema ``pseudo`` (keyed hashes computed
in Python by ``privacy``).
"""

from __future__ import annotations

import logging
import math
import shutil
import time
import uuid
from pathlib import Path

import duckdb
import polars as pl
import sqlglot
from sqlglot import exp

from cdp.config import Settings
from identity.spark import spark_session
from profiles import build, cx

log = logging.getLogger(__name__)

#: Profile SQL files run on Spark, in build order (the DuckDB build's order; CX facts after).
SPARK_ORDER = [*build.BUILD_ORDER, *cx.FACT_TABLES, "cx_kpi_monthly", "cx_nps_touchpoint_monthly"]
#: What the DuckDB engine builds and the Spark engine does not, and why.
NOT_ON_SPARK = {
    "churn_risk": "BG/NBD model fitted in Python (lifetimes), not SQL",
    "customer_experience": "reads churn_risk",
    "agent_experience": "view over customer_experience",
    "pseudo.*": "keyed hashes (HMAC) computed in Python by privacy.apply_to_profiles",
}
#: Staged inputs handed to Spark (temp tables of the DuckDB build's input step).
_INPUT_TABLES_SQL = (
    "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'src\\_%' ESCAPE '\\' "
    "OR table_name LIKE 'cfg\\_%' ESCAPE '\\' OR table_name IN ('processing_restriction', 'profile_build') "
    "ORDER BY 1"
)


class SparkSqlError(RuntimeError):
    """A profile SQL statement that Spark could not run (names the file and the table)."""


#: DuckDB functions sqlglot leaves as they are → Spark's function of the same meaning.
_FUNCTIONS = {
    "arg_max_null": "max_by",  # arg_max that keeps a NULL value: Spark's max_by keeps NULLs
    "epoch_us": "unix_micros",  # microseconds since 1970 of a timestamp
}


def to_spark(node: exp.Expression, macros: dict[str, tuple[list[str], exp.Expression]]) -> str:
    """One DuckDB expression or query as Spark SQL, with DuckDB macros expanded inline."""

    def translate(n: exp.Expression) -> exp.Expr:
        if isinstance(n, exp.ArgMin) and n.args.get("count") is not None:
            # DuckDB's min_by(value, key, n): the values of the n smallest keys, smallest first;
            # Spark has no top-n aggregate: sort the (key, value) structs and keep n (structs
            # compare field by field on both engines)
            pairs = sqlglot.parse_one(
                f"array_sort(collect_list(named_struct('k', {n.expression.transform(translate).sql('spark')}, "
                f"'v', {n.this.transform(translate).sql('spark')})), "
                "(_l, _r) -> CASE WHEN _l.k < _r.k THEN -1 WHEN _l.k > _r.k THEN 1 ELSE 0 END)", read="spark")
            values = sqlglot.parse_one(f"transform({pairs.sql('spark')}, _s -> _s.v)", read="spark")
            # n may be a subquery: kept outside the lambda (Spark refuses subqueries in one)
            return exp.Anonymous(this="slice", expressions=[values, exp.Literal.number(1), n.args["count"].copy()])
        if isinstance(n, exp.ArgMax | exp.ArgMin):
            # DuckDB's arg_max skips rows whose value is NULL, Spark's max_by keeps them:
            # order those rows by NULL, which max_by/min_by skip
            value, key = n.this, n.expression
            guarded = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())),
                                            true=key.copy())])
            return type(n)(this=value.copy(), expression=guarded)
        if isinstance(n, exp.ArrayOverlaps):  # list_has_any (sqlglot writes &&, not Spark SQL)
            return exp.Anonymous(this="arrays_overlap", expressions=[n.this.copy(), n.expression.copy()])
        if isinstance(n, exp.Bracket) and len(n.expressions) == 1 and isinstance(n.expressions[0], exp.Slice):
            # DuckDB's 1-based, inclusive list[a:b] → slice(list, a, b - a + 1)
            lo, hi = n.expressions[0].this, n.expressions[0].expression
            length = exp.Add(this=exp.Sub(this=exp.Paren(this=hi.copy()), expression=exp.Paren(this=lo.copy())),
                             expression=exp.Literal.number(1))
            # (the sliced list is translated here: a replaced node's children are not revisited)
            return exp.Anonymous(this="slice", expressions=[n.this.copy().transform(translate), lo.copy(), length])
        if isinstance(n, exp.TimeToUnix):
            # DuckDB's epoch(ts) keeps the fraction of a second; Spark's unix_timestamp drops it
            return exp.Div(this=exp.Anonymous(this="unix_micros", expressions=[n.this.copy()]),
                           expression=sqlglot.parse_one("1e6", read="spark"))
        if isinstance(n, exp.ToDays):  # an interval of n days
            return exp.Anonymous(this="make_dt_interval", expressions=[n.this.copy()])
        if isinstance(n, exp.Anonymous) and str(n.this).lower() == "to_months":
            # an interval of n months: make_ym_interval(years, months)
            return exp.Anonymous(this="make_ym_interval",
                                 expressions=[exp.Literal.number(0), *(a.copy() for a in n.expressions)])
        if isinstance(n, exp.Anonymous) and str(n.this).lower() in _FUNCTIONS:
            return exp.Anonymous(this=_FUNCTIONS[str(n.this).lower()],
                                 expressions=[a.copy() for a in n.expressions])
        return n

    def inline(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Anonymous) and str(n.this).lower() in macros:
            params, body = macros[str(n.this).lower()]
            args = dict(zip(params, n.expressions, strict=True))
            return body.copy().transform(
                lambda b: args[b.name].copy() if isinstance(b, exp.Column) and not b.table
                and b.name in args else b)
        return n

    # one pass per kind: sqlglot's transform does not revisit the children of a replaced node
    return node.transform(inline).transform(translate).transform(_ordered_list).sql(dialect="spark")


def _ordered_list(n: exp.Expression) -> exp.Expr:
    """DuckDB's ``list(x ORDER BY k …)`` → a sorted Spark array (``collect_list`` has no order).

    ``list(DISTINCT x ORDER BY x)`` becomes ``array_sort(collect_set(x))``; any other order
    collects ``(k…, x)`` structs, sorts them with a comparator that keeps each key's direction
    and NULL placement (DuckDB: NULLS LAST unless stated), and keeps ``x``.
    """
    where = ""
    if isinstance(n, exp.Filter):  # list(…) FILTER (WHERE c): the filter stays on the aggregate
        where = f" FILTER (WHERE {n.expression.this.sql('spark')})"
        agg = n.this
    else:
        agg = n
    if not isinstance(agg, exp.ArrayAgg) or (agg is n and isinstance(n.parent, exp.Filter)):
        return n
    if where and not isinstance(agg.this, exp.Order):
        # DuckDB's list() over no rows is NULL, Spark's collect_list an empty array
        cond = n.expression.this.sql("spark")
        return sqlglot.parse_one(f"IF(count(1) FILTER (WHERE {cond}) = 0, NULL, "
                                 f"collect_list({agg.this.sql('spark')}) FILTER (WHERE {cond}))", read="spark")
    if not isinstance(agg.this, exp.Order):
        return n
    value, keys = agg.this.this, agg.this.expressions
    if isinstance(value, exp.Distinct):
        inner = value.expressions[0]
        if len(keys) == 1 and not keys[0].args.get("desc") and keys[0].this == inner:
            return _null_if_none(f"array_sort(collect_set({inner.sql('spark')}){where})", n)
        raise SparkSqlError(f"list(DISTINCT … ORDER BY …) on another expression: {n.sql('duckdb')[:80]}")
    fields = ", ".join(f"'k{i}', {k.this.sql('spark')}" for i, k in enumerate(keys))
    cmp = "0"
    for i in reversed(range(len(keys))):
        desc = bool(keys[i].args.get("desc"))
        nulls_first = bool(keys[i].args.get("nulls_first"))
        a, b = f"_l.k{i}", f"_r.k{i}"
        lt, gt = ("1", "-1") if desc else ("-1", "1")
        nl, nr = ("-1", "1") if nulls_first else ("1", "-1")
        cmp = (f"CASE WHEN {a} IS NULL AND {b} IS NULL THEN {cmp} WHEN {a} IS NULL THEN {nl} "
               f"WHEN {b} IS NULL THEN {nr} WHEN {a} < {b} THEN {lt} WHEN {a} > {b} THEN {gt} ELSE {cmp} END")
    text = (f"transform(array_sort(collect_list(named_struct({fields}, 'v', {value.sql('spark')})){where}, "
            f"(_l, _r) -> {cmp}), _s -> _s.v)")
    return _null_if_none(text, n)


def _null_if_none(spark_sql: str, n: exp.Expression) -> exp.Expr:
    """``list(…) FILTER (WHERE c)`` over no matching rows is NULL on DuckDB, [] on Spark."""
    if isinstance(n, exp.Filter):
        cond = n.expression.this.sql("spark")
        spark_sql = f"IF(count(1) FILTER (WHERE {cond}) = 0, NULL, {spark_sql})"
    return sqlglot.parse_one(spark_sql, read="spark")


class SparkSqlRunner:
    """Runs DuckDB SQL scripts on a Spark session, writing each created table as Parquet."""

    def __init__(self, spark, out_dir: Path) -> None:
        self.spark = spark
        self.out_dir = out_dir
        self.macros: dict[str, tuple[list[str], exp.Expression]] = {}
        self.timings: dict[str, float] = {}

    def define_macro(self, sql: str) -> None:
        """Remember a ``CREATE MACRO`` given as DuckDB SQL (e.g. the build's ``address_key``)."""
        for stmt in sqlglot.parse(sql, read="duckdb"):
            if not isinstance(stmt, exp.Create):
                raise SparkSqlError(f"not a CREATE MACRO: {sql[:60]}")
            self._macro(stmt)

    def _macro(self, stmt: exp.Create) -> None:
        udf = stmt.this
        params = [p.name for p in udf.expressions]
        self.macros[udf.this.name.lower()] = (params, stmt.expression)

    def run_script(self, name: str, sql: str) -> list[str]:
        """Run one ``profiles/sql/<name>.sql``; the tables and views it created."""
        created = []
        for stmt in sqlglot.parse(sql, read="duckdb"):
            if stmt is None or isinstance(stmt, exp.Comment):
                continue
            if not isinstance(stmt, exp.Create):
                raise SparkSqlError(f"profiles/sql/{name}.sql: statement {stmt.key!r} has no Spark meaning here")
            kind = (stmt.kind or "").upper()
            if kind == "MACRO":
                self._macro(stmt)
            elif kind in ("TABLE", "VIEW"):
                created.append(self._create(name, stmt))
            elif kind != "INDEX":
                raise SparkSqlError(f"profiles/sql/{name}.sql: CREATE {kind} has no Spark meaning here")
        return created

    def _create(self, name: str, stmt: exp.Create) -> str:
        table = stmt.this.name if isinstance(stmt.this, exp.Table) else stmt.this.this.name
        body = stmt.expression.copy()
        # The outer ORDER BY only clusters DuckDB's storage; a table's rows have no order, and on
        # Spark it costs a global sort (and trips an analyzer bug after a correlated NOT EXISTS:
        # "key not found: customer_id#…" in objection.sql).
        body.set("order", None)
        query = to_spark(body, self.macros)
        t0 = time.perf_counter()
        try:
            df = self.spark.sql(query)
            path = self.out_dir / table
            df.write.mode("overwrite").parquet(str(path))
        except Exception as exc:  # noqa: BLE001 - re-raised with the file and table named
            msg = next((ln for ln in str(exc).splitlines() if ln.strip() and "o1" not in ln[:40]), type(exc).__name__)[:600]
            raise SparkSqlError(f"profiles/sql/{name}.sql: {table} failed on Spark: {msg}") from exc
        self.spark.read.parquet(str(path)).createOrReplaceTempView(table)
        self.timings[table] = round(time.perf_counter() - t0, 3)
        log.info("spark: built %s in %.1f s", table, self.timings[table])
        return table


def _stage_inputs(settings: Settings, scratch: Path) -> Path:
    """The DuckDB build's inputs as Parquet files in ``scratch/inputs/<table>.parquet``."""
    inputs = scratch / "inputs"
    inputs.mkdir(parents=True)
    con = duckdb.connect(str(scratch / "inputs.duckdb"))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        build._limit_memory(con, settings, scratch / "inputs.duckdb")
        build._load_inputs(con, settings)
        build._load_config(con, settings, build.as_of_of_sources(con, settings))
        build.restriction_table(con, settings)
        p = settings.profiles
        con.execute(
            "CREATE OR REPLACE TEMP TABLE cfg_cx AS SELECT ?::INTEGER AS campaign_order_window_days, "
            "?::INTEGER AS cx_kpi_months", [p.campaign_order_window_days, p.cx_kpi_months])
        for (table,) in con.execute(_INPUT_TABLES_SQL).fetchall():
            # a table name from DuckDB's catalog (ours), quoted; COPY takes no parameters
            con.execute(f"COPY \"{table}\" TO '{inputs / table}.parquet' (FORMAT parquet)")
    finally:
        con.close()
    return inputs


def build_profiles_spark(settings: Settings, out_dir: Path | None = None) -> dict[str, int]:
    """Build the profile tables with Spark SQL and write them as Parquet.

    Args:
        settings: the CDP settings; reads the canonical and identity layers as the DuckDB build.
        out_dir: where ``<table>/part-*.parquet`` go; default ``<data_dir>/spark/profiles``.
            Written to a new directory and renamed over the old one when every table is done.

    Returns:
        Row count per table and view built on Spark.
    """
    out_dir = out_dir or settings.paths.root / "spark" / "profiles"
    link_file = settings.paths.identity / build.IDENTITY_FILES["src_identity_link"]
    if not link_file.is_file():
        raise FileNotFoundError(f"{link_file}: identity_link is missing; run `cdp resolve` first")
    scratch = settings.paths.root / "tmp" / "spark" / f"profiles-{uuid.uuid4().hex[:12]}"
    building = out_dir.with_name(f".{out_dir.name}.building-{uuid.uuid4().hex[:8]}")
    started = time.perf_counter()
    try:
        t0 = time.perf_counter()
        inputs = _stage_inputs(settings, scratch)
        staged_s = time.perf_counter() - t0
        spark = spark_session(settings)
        # Parquet timestamps as instants in microseconds (Spark's default INT96 is a legacy type)
        spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        for f in sorted(inputs.glob("*.parquet")):
            spark.read.parquet(str(f)).createOrReplaceTempView(f.stem)
        runner = SparkSqlRunner(spark, building)
        runner.define_macro(build.ADDRESS_KEY_MACRO)
        built: list[str] = []
        for name in SPARK_ORDER:
            built += runner.run_script(name, build.sql_text(name))
        counts = {t: spark.read.parquet(str(building / t)).count() for t in built}
        if out_dir.exists():
            shutil.rmtree(out_dir)
        building.rename(out_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(building, ignore_errors=True)
    log.info("profiles on spark: %d tables in %.1f s (inputs staged in %.1f s) -> %s",
             len(counts), time.perf_counter() - started, staged_s, out_dir)
    return counts


# --- comparing the two engines' tables -------------------------------------------------------

def _normalise(df: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Comparable columns: numbers as Float64, instants as naive UTC, nested values as JSON text.

    Returns the frame and the names of its float columns (compared with a tolerance).
    """
    cols, floats = [], []
    for c, dt in df.schema.items():
        if dt.is_numeric():
            cols.append(pl.col(c).cast(pl.Float64))
            floats.append(c)
        elif isinstance(dt, pl.Datetime):
            col = pl.col(c).dt.convert_time_zone("UTC").dt.replace_time_zone(None) if dt.time_zone \
                else pl.col(c)
            cols.append(col.dt.cast_time_unit("us"))
        elif dt.is_nested():
            cols.append(pl.struct(pl.col(c).alias("v")).struct.json_encode().alias(c))
        else:
            cols.append(pl.col(c))
    return df.select(cols), floats


def frames_equal(a: pl.DataFrame, b: pl.DataFrame, rel_tol: float = 1e-9, abs_tol: float = 1e-9) -> str | None:
    """``None`` when two tables hold the same rows (any order, floats within tolerance), else why not."""
    if a.columns != b.columns:
        return f"columns differ: {sorted(set(a.columns) ^ set(b.columns)) or 'order'}"
    if a.height != b.height:
        return f"{a.height} rows vs {b.height}"
    na, floats = _normalise(a)
    nb, _ = _normalise(b)
    keys = [c for c in na.columns if c not in floats]
    na = na.sort(keys + floats, nulls_last=True)
    nb = nb.sort(keys + floats, nulls_last=True)
    for c in keys:
        diff = na[c].ne_missing(nb[c].cast(na[c].dtype, strict=False))
        if diff.any():
            return f"column {c}: {int(diff.sum())} rows differ"
    for c in floats:
        x, y = na[c].to_list(), nb[c].to_list()
        bad = sum(1 for u, v in zip(x, y, strict=True)
                  if not ((u is None and v is None) or (u is not None and v is not None
                          and math.isclose(u, v, rel_tol=rel_tol, abs_tol=abs_tol))))
        if bad:
            return f"column {c}: {bad} values differ beyond tolerance"
    return None


def compare_tables(duckdb_file: Path, spark_dir: Path) -> dict:
    """Compare every table the Spark engine wrote with the same table in the DuckDB file.

    Returns ``{"equal": [...], "different": {table: reason}, "rows": {table: n}}``.
    """
    out: dict = {"equal": [], "different": {}, "rows": {}}
    con = duckdb.connect(str(duckdb_file), read_only=True)
    try:
        for d in sorted(p for p in spark_dir.iterdir() if p.is_dir()):
            a = pl.from_arrow(con.sql(f'SELECT * FROM "{d.name}"').to_arrow_table())
            b = pl.read_parquet(d / "*.parquet")
            assert isinstance(a, pl.DataFrame)
            out["rows"][d.name] = a.height
            why = frames_equal(a, b)
            if why is None:
                out["equal"].append(d.name)
            else:
                out["different"][d.name] = why
    finally:
        con.close()
    return out
