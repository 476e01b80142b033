"""Identity resolution on Splink's Spark backend: the predict step of ``cdp resolve --engine spark``.

Only the scoring of candidate pairs moves to Spark; it is the step whose cost grows with the
number of blocked pairs. Standardisation, deterministic keys, vetoes, clustering and the stable
id assignment stay exactly as in :mod:`identity.resolve`, so both engines give the same
customers from the same edges. The model is the same versioned JSON the DuckDB engine uses
(trained by ``cdp identity train``); its comparison SQL is written in DuckDB's dialect and is
translated here (sqlglot, plus Splink's names for the similarity UDFs of its Spark jar).

Parquet in, Parquet out: the Splink input table and the model's term-frequency tables are
written as Parquet into a scratch directory that Spark reads, and Spark writes the scored edges
as Parquet that :func:`predict_edges_spark` reads back. The scratch directory is
``<data_dir>/tmp/spark/<run>`` (removed afterwards); on a cluster the data dir must be on storage
every executor can read.

Known difference: Splink's Scala ``jaro_winkler`` and DuckDB's ``jaro_winkler_similarity`` can
differ in the last floating-point bits, so a pair whose similarity sits exactly on a level's
threshold (e.g. 0.92) may land in the neighbouring level on the other engine. Match
probabilities otherwise agree to ~1e-12.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import uuid
from pathlib import Path

import polars as pl
import sqlglot

from cdp.config import Settings
from cdp.logs import current_log_file
from cdp.schema import Dtype, schema
from identity import model as m
from identity.model import edge_columns

log = logging.getLogger(__name__)

#: DuckDB function names → the names Splink's Spark jar registers them under.
_UDF_NAMES = {
    "JAROWINKLER_SIMILARITY": "jaro_winkler",
    "JARO_WINKLER_SIMILARITY": "jaro_winkler",
    "JARO_SIMILARITY": "jaro_sim",
}

_SESSION = None


def spark_session(settings: Settings):
    """The Spark session for identity (created once per process).

    Master URL and driver memory come from ``identity.spark_master`` and
    ``identity.spark_driver_memory``; Splink's similarity jar is put on the classpath.
    """
    global _SESSION
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    if _SESSION is not None and _SESSION._jsc is not None:
        return _SESSION
    ids = settings.identity
    log.info("starting Spark (master %s)", ids.spark_master)
    builder = (
        SparkSession.builder.appName("cdp-identity")
        .master(ids.spark_master)
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", ids.spark_driver_memory)
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        # Splink only uses temp views; keep Spark's default ./spark-warehouse out of the cwd
        .config("spark.sql.warehouse.dir", str((Path(settings.data_dir) / "tmp" / "spark-warehouse").resolve()))
    )
    cores = re.fullmatch(r"local\[(\d+)\]", ids.spark_master)
    if cores:
        # local mode: a few shuffle partitions per core, not the cluster default of 200
        # (each partition costs a task, which dominates on one machine)
        builder = builder.config("spark.sql.shuffle.partitions", str(2 * int(cores.group(1))))
    _start_jvm(settings, builder)
    _SESSION = builder.getOrCreate()
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


def _start_jvm(settings: Settings, builder) -> None:
    """Start Spark's JVM with its stdout and stderr in the CDP log file, not on the terminal.

    The JVM prints its start-up banner and warnings (log4j profile, hostname, native libraries,
    UI port) before any log level applies; they go to the command's log file (or
    ``<data_dir>/logs/spark.log``). Errors reach the user as the Python exception they raise.
    """
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None:
        return
    target = current_log_file() or Path(settings.data_dir) / "logs" / "spark.log"
    target.parent.mkdir(parents=True, exist_ok=True)
    conf = SparkConf()
    for key, value in builder._options.items():
        conf.set(key, value)
    with open(target, "ab") as out:  # the child keeps its own copy of the descriptor
        SparkContext._ensure_initialized(gateway=launch_gateway(conf, {"stdout": out, "stderr": out}))


def stop_spark() -> None:
    """Stop the identity Spark session (if this process started one)."""
    global _SESSION
    if _SESSION is not None:
        _SESSION.stop()
        _SESSION = None


def to_spark_sql(condition: str) -> str:
    """One comparison-level condition from the model's DuckDB SQL to Spark SQL.

    >>> to_spark_sql("jaro_winkler_similarity(a_l, a_r) >= 0.9")
    'jaro_winkler(a_l, a_r) >= 0.9'
    """
    if condition.strip().upper() == "ELSE":
        return condition
    out = sqlglot.transpile(condition, read="duckdb", write="spark")[0]
    for duck, spark in _UDF_NAMES.items():
        out = re.sub(rf"\b{duck}\s*\(", f"{spark}(", out, flags=re.IGNORECASE)
    return out


def spark_model_dict(model: m.ModelRef) -> dict:
    """The saved model's settings with every comparison condition translated to Spark SQL.

    Parameters (m, u, prior, TF settings) are untouched; blocking rules keep their
    ``sql_dialect: duckdb`` tag, which Splink translates itself.
    """
    d = {k: v for k, v in json.loads(model.path.read_text()).items() if not k.startswith("cdp_")}
    for comp in d["comparisons"]:
        for level in comp["comparison_levels"]:
            level["sql_condition"] = to_spark_sql(level["sql_condition"])
    return d


def _scratch(settings: Settings) -> Path:
    return Path(settings.data_dir) / "tmp" / "spark" / uuid.uuid4().hex[:12]


def predict_edges_spark(settings: Settings, inp: pl.DataFrame, model: m.ModelRef,
                        new_keys: pl.Series | None = None) -> pl.DataFrame:
    """Scored pairs above ``predict_threshold``, computed by Splink on Spark.

    Same contract as :func:`identity.resolve.predict_edges` (same columns, same pairs):
    ``new_keys`` restricts scoring to pairs touching those records (incremental).
    """
    from splink import Linker
    from splink.backends.spark import SparkAPI

    thr = settings.identity.predict_threshold
    spark = spark_session(settings)
    scratch = _scratch(settings)
    (scratch / "checkpoints").mkdir(parents=True, exist_ok=True)
    spark.sparkContext.setCheckpointDir(str(scratch / "checkpoints"))
    try:
        db = SparkAPI(spark_session=spark, break_lineage_method="parquet")

        def register(frame: pl.DataFrame, prefix: str) -> list:
            # Parquet in: Spark reads the input from files (on a cluster: shared storage)
            path = scratch / f"{prefix or 'all'}_input.parquet"
            frame.write_parquet(path)
            sdf = spark.read.parquet(str(path))
            return [db.register(sdf.filter(sdf.source_system == src), dataset_display_name=f"{prefix}{src}")
                    for src in sorted(frame["source_system"].unique().to_list())]

        if new_keys is None:
            sdfs_new, sdfs_old = register(inp, ""), []
        else:
            is_new = pl.col("record_key").is_in(new_keys.implode())
            new, old = inp.filter(is_new), inp.filter(~is_new)
            if new.height == 0:
                return pl.DataFrame()
            sdfs_new = register(new, "new_")
            sdfs_old = register(old, "") if old.height else []
        linker = Linker(sdfs_new + sdfs_old, spark_model_dict(model))
        for col in m.TF_COLUMNS:
            p = model.tf_dir / f"tf_{col}.parquet"
            if p.exists():
                tf = db.register(spark.read.parquet(str(p.resolve())), dataset_display_name=f"saved_tf_{col}")
                linker.table_management.register_term_frequency_lookup(tf, col)

        if new_keys is None:
            parts = [linker.inference.predict(threshold_match_probability=thr)]
        else:
            parts = [linker.inference.predict_within(sdfs_new, threshold_match_probability=thr)]
            if sdfs_old:
                parts.append(linker.inference.predict_between(sdfs_new, sdfs_old, threshold_match_probability=thr))
        frames = []
        for i, part in enumerate(parts):
            sdf = part.as_spark_dataframe()
            cols = m_edge_columns(sdf.columns)
            out = scratch / f"edges_{i}.parquet"
            sdf.select(*cols).write.mode("overwrite").parquet(str(out))  # Parquet out
            frames.append(pl.read_parquet(out / "*.parquet") if any(out.glob("*.parquet"))
                          else pl.DataFrame())
        edges = pl.concat([f for f in frames if f.width], how="diagonal_relaxed") if any(f.width for f in frames) \
            else pl.DataFrame()
        log.info("spark predict: %d scored pairs", edges.height)
        return _align_types(edges)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def m_edge_columns(columns: list[str]) -> list[str]:
    """The edge columns kept by the DuckDB predict step, in its order."""

    return edge_columns(list(columns))


def _align_types(edges: pl.DataFrame) -> pl.DataFrame:
    """Spark's types → the ones the DuckDB predict step returns (gamma int32, match_key string)."""
    if edges.height == 0 and edges.width == 0:
        return edges
    casts: dict[str, Dtype] = {}
    for c, dt in edges.schema.items():
        if c.startswith("gamma_") and dt != pl.Int32:
            casts[c] = pl.Int32
        elif c == "match_key" and dt != pl.String:
            casts[c] = pl.String
    return edges.cast(schema(casts)) if casts else edges
