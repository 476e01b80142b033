"""``cdp resolve``: person records → stable customer ids.

Standardise → deterministic keys → Splink predict (saved model) → cluster with steward overrides
→ stable id assignment → write ``data/lake/identity/``. ``incremental=True`` scores only new and
changed records (against the unchanged ones and among themselves) and reuses the earlier edges.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from cdp.config import Settings
from cdp.lake import write_csv_atomic, write_parquet_atomic
from cdp.schema import schema
from cdp.standardise import standardise
from identity import model as m
from identity.cluster import cluster_records
from identity.deterministic import deterministic_edges
from identity.ids import assign_ids, format_id, id_number
from identity.io import load_overrides, load_person_records, output_path, read_output
from identity.spark import predict_edges_spark
from identity.train import train
from identity.veto import SOFT_VETOES, apply_vetoes, conflict_pairs

log = logging.getLogger(__name__)

LINK_SCHEMA = schema(
    {"record_key": pl.String, "source_system": pl.String, "source_record_id": pl.String,
     "customer_id": pl.String, "match_probability": pl.Float64, "link_method": pl.String,
     "model_version": pl.String, "run_id": pl.String}
)
MEMBERSHIP_SCHEMA = schema(
    {"record_key": pl.String, "customer_id": pl.String, "valid_from": pl.Datetime("us", "UTC"),
     "valid_to": pl.Datetime("us", "UTC"), "run_id": pl.String}
)


class ChurnLimitExceeded(RuntimeError):
    """The run would change more customer ids than ``identity.max_id_churn`` allows."""


@dataclass
class ResolveReport:
    """What one ``resolve`` run did (counts and timings, no personal data)."""

    run_id: str
    mode: str
    model_version: str
    records: int = 0
    customers: int = 0
    records_scored: int = 0
    deterministic_edges: int = 0
    probabilistic_edges: int = 0
    kept_ids: int = 0
    minted_ids: int = 0
    retired_ids: int = 0
    split_ids: int = 0
    churn: float = 0.0
    record_churn: float = 0.0
    cannot_link_edges_dropped: int = 0
    vetoed_edges: int = 0
    cluster_conflicts: int = 0
    review_pairs: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def _to_polars(sdf, spill_dir: Path | None = None) -> pl.DataFrame:
    rel = sdf.as_duckdbpyrelation().select(*[f'"{c}"' for c in m.edge_columns(sdf.as_duckdbpyrelation().columns)])
    if spill_dir is None:
        return pl.from_arrow(rel.to_arrow_table())
    # DuckDB streams the scored pairs to Parquet; the caller closes the connection (freeing
    # Splink's tables) before polars reads them back: never both copies in memory at once.
    spill_dir.mkdir(parents=True, exist_ok=True)
    path = spill_dir / f".edges-{uuid.uuid4().hex}.parquet"
    rel.write_parquet(str(path))
    return path


def predict_edges(settings: Settings, inp: pl.DataFrame, model: m.ModelRef,
                  new_keys: pl.Series | None = None) -> pl.DataFrame:
    """Scored pairs above ``predict_threshold``.

    With ``new_keys`` only pairs touching those records are scored (incremental): new vs the
    rest (``predict_between``) and new vs new (``predict_within``), using the model's TF tables.
    """
    if settings.identity.engine == "spark":

        return predict_edges_spark(settings, inp, model, new_keys)
    thr = settings.identity.predict_threshold
    db_api = m.duckdb_api(settings)
    if new_keys is None:
        linker = m.load_linker(settings, model, m.register_sources(db_api, inp))
        # the model's TF tables, not ones derived from this input, so that full and
        # incremental runs score a pair identically
        m.register_tf_tables(linker, db_api, model)
        path = _to_polars(linker.inference.predict(threshold_match_probability=thr),
                          spill_dir=settings.paths.identity)
        db_api.duckdb_con.close()
        try:
            return pl.read_parquet(path)
        finally:
            path.unlink()
    is_new = pl.col("record_key").is_in(new_keys.implode())
    new, old = inp.filter(is_new), inp.filter(~is_new)
    if new.height == 0:
        return pl.DataFrame()
    sdf_new = m.register_sources(db_api, new, prefix="new_")
    sdf_old = m.register_sources(db_api, old, prefix="") if old.height else []
    # link_and_dedupe needs the source names as dataset names on both sides
    linker = m.load_linker(settings, model, sdf_new + sdf_old)
    m.register_tf_tables(linker, db_api, model)
    parts = [_to_polars(linker.inference.predict_within(sdf_new, threshold_match_probability=thr))]
    if sdf_old:
        parts.append(_to_polars(linker.inference.predict_between(sdf_new, sdf_old, threshold_match_probability=thr)))
    return pl.concat(parts, how="diagonal_relaxed")


def _normalise_pairs(e: pl.DataFrame) -> pl.DataFrame:
    """Order each pair so record_key_l < record_key_r (swapping _l/_r columns)."""
    if e.height == 0:
        return e
    swap = pl.col("record_key_l") > pl.col("record_key_r")
    pairs = {c[:-2] for c in e.columns if c.endswith("_l") and c[:-2] + "_r" in e.columns}
    exprs = []
    for base in pairs:
        left, right = f"{base}_l", f"{base}_r"
        exprs += [pl.when(swap).then(pl.col(right)).otherwise(pl.col(left)).alias(left),
                  pl.when(swap).then(pl.col(left)).otherwise(pl.col(right)).alias(right)]
    return e.with_columns(exprs)


def _run_id(now: datetime) -> str:
    return "R" + now.strftime("%Y%m%dT%H%M%S%f")


def resolve(settings: Settings, incremental: bool = False, force: bool = False,
            records: pl.DataFrame | None = None) -> ResolveReport:
    """Resolve identities and write ``data/lake/identity/``.

    Args:
        settings: the CDP settings.
        incremental: score only new/changed records (needs an earlier run with the same model).
        force: write even when id churn is above ``identity.max_id_churn``.
        records: canonical person records (default: read ``data/lake/canonical/person_records``).

    Raises:
        ChurnLimitExceeded: the run would change too many ids and ``force`` is False.
    """
    ids = settings.identity
    now = datetime.now(UTC)
    run_id = _run_id(now)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    if records is None:
        records = load_person_records(settings)
    prev_std = read_output(settings, "person_records_std")
    # unchanged records keep their standardised row from the last run (keyed by raw_hash)
    std = standardise(records, cache=prev_std)
    # at 1M persons the raw records and the earlier std frame are GBs: only the keys and
    # hashes of the earlier run are needed from here on (incremental mode)
    del records
    prev_hashes = prev_std.select("record_key", "record_hash") if prev_std is not None else None
    del prev_std
    timings["standardise_s"] = time.perf_counter() - t

    model = m.latest_model(settings)
    if model is not None and not model.is_current:
        if not ids.retrain_stale_model:
            model.require_current()
        log.warning("identity model %s was trained for other comparisons (settings fingerprint %s, current %s): "
                    "retraining", model.version, model.fingerprint or "missing", m.settings_fingerprint())
        model = None
    if model is None:

        log.info("no current trained identity model: training one first")
        t = time.perf_counter()
        train(settings, std)
        timings["train_s"] = time.perf_counter() - t
        model = m.latest_model(settings)
    assert model is not None

    prev_edges = read_output(settings, "edges")
    prev_runs = read_output(settings, "runs")
    mode = "full"
    if incremental:
        same_model = prev_runs is not None and prev_runs["model_version"][-1] == model.version
        if prev_hashes is None or prev_edges is None or not same_model:
            log.warning("incremental run needs an earlier run with model %s: running in full", model.version)
        else:
            mode = "incremental"
    rep = ResolveReport(run_id=run_id, mode=mode, model_version=model.version, records=std.height)

    t = time.perf_counter()
    det, key_stats = deterministic_edges(std, ids)
    timings["deterministic_s"] = time.perf_counter() - t
    for s in key_stats:
        log.info("key %s: %d values linked, %d blocked by merge protection", s.name, s.values_linked, s.values_blocked)

    t = time.perf_counter()
    if mode == "incremental":
        inp = m.splink_input(std)
        unchanged = std.join(prev_hashes, on=["record_key", "record_hash"], how="semi")
        new_keys = std.join(unchanged.select("record_key"), on="record_key", how="anti")["record_key"]
        keep_keys = unchanged["record_key"].implode()
        old_prob = prev_edges.filter(
            (pl.col("link_method") == "probabilistic")
            & pl.col("record_key_l").is_in(keep_keys) & pl.col("record_key_r").is_in(keep_keys)
        )
        new_prob = predict_edges(settings, inp, model, new_keys)
        rep.records_scored = len(new_keys)
        prob = pl.concat([old_prob.drop("link_method", "rule", strict=False), _normalise_pairs(new_prob)],
                         how="diagonal_relaxed") if new_prob.height else old_prob.drop("link_method", "rule", strict=False)
    else:
        # grouped by source: DuckDB scans slices of this one frame (no per-source copies)
        inp = m.sort_by_source(m.splink_input(std))
        prob = _normalise_pairs(predict_edges(settings, inp, model))
        rep.records_scored = std.height
    del inp
    prob = prob.unique(["record_key_l", "record_key_r"], keep="first").with_columns(
        pl.lit("probabilistic").alias("link_method"), pl.lit(None, pl.String).alias("rule"))
    timings["predict_s"] = time.perf_counter() - t

    t = time.perf_counter()
    prob = apply_vetoes(prob.drop("veto", strict=False), std, ids)
    vetoed = prob.filter(pl.col("veto").is_not_null() & (pl.col("match_probability") >= ids.match_threshold))
    # soft vetoes only withhold the link; the others are cannot-links for clustering
    hard_vetoed = vetoed.filter(~pl.col("veto").is_in(SOFT_VETOES))
    rep.vetoed_edges = vetoed.height
    timings["veto_s"] = time.perf_counter() - t

    t = time.perf_counter()
    must, cannot = load_overrides(settings)
    det = _normalise_pairs(det)
    all_edges = pl.concat([det, prob], how="diagonal_relaxed")
    cluster_edges = all_edges.filter(pl.col("veto").is_null())
    cannot_all = pl.concat([cannot, hard_vetoed.select("record_key_l", "record_key_r")
                            .join(must, on=["record_key_l", "record_key_r"], how="anti")]).unique()
    exclusive = std.filter(pl.col("source_system").is_in(ids.duplicate_free_sources)).select("record_key", "source_system")
    clusters, crep = cluster_records(std["record_key"], cluster_edges, ids.match_threshold, must, cannot_all,
                                     ids.max_cluster_size, ids.split_thresholds, exclusive_source=exclusive)
    # records joined only through others: birth dates / sen-jun that contradict within a cluster
    # a steward's must-link outranks a data conflict
    conflicts = conflict_pairs(clusters, std, ids).join(must, on=["record_key_l", "record_key_r"], how="anti")
    rep.cluster_conflicts = conflicts.height
    if conflicts.height:
        clusters, crep = cluster_records(std["record_key"], cluster_edges, ids.match_threshold, must,
                                         pl.concat([cannot_all, conflicts]).unique(), ids.max_cluster_size,
                                         ids.split_thresholds, exclusive_source=exclusive)
    timings["cluster_s"] = time.perf_counter() - t

    t = time.perf_counter()
    prev_membership = read_output(settings, "membership")
    prev_current = None
    next_number = 1
    if prev_membership is not None and prev_membership.height:
        prev_current = prev_membership.filter(pl.col("valid_to").is_null()).select("record_key", "customer_id")
        next_number = int(prev_membership.select(id_number("customer_id").max()).item()) + 1
        prev_hist = read_output(settings, "customer_id_history")
        if prev_hist is not None and prev_hist.height:
            mx = prev_hist.select(id_number("new_customer_id").max()).item()
            next_number = max(next_number, int(mx or 0) + 1)
    assigned, hist, irep = assign_ids(clusters, prev_current, next_number, now, run_id)
    timings["assign_ids_s"] = time.perf_counter() - t

    rep.customers = int(assigned["customer_id"].n_unique())
    rep.deterministic_edges = det.height
    rep.probabilistic_edges = int(prob.filter(pl.col("match_probability") >= ids.match_threshold).height)
    rep.kept_ids, rep.minted_ids = irep.kept, irep.minted
    rep.retired_ids, rep.split_ids = irep.retired_merge, irep.split
    rep.churn, rep.record_churn = round(irep.churn, 6), round(irep.record_churn, 6)
    rep.cannot_link_edges_dropped = crep.cannot_link_edges_dropped
    if irep.churn > ids.max_id_churn and not force:
        raise ChurnLimitExceeded(
            f"this run would retire or split {irep.retired_merge + irep.split} of {irep.previous_ids} "
            f"customer ids ({irep.churn:.1%} > identity.max_id_churn={ids.max_id_churn:.1%}); "
            "nothing was written. Check the model/overrides, or re-run with --force."
        )

    t = time.perf_counter()
    _write_outputs(settings, std, assigned, clusters, hist, all_edges, must, prev_membership, model, now, run_id)
    rep.review_pairs = write_review(settings, vetoed, assigned)
    timings["write_s"] = time.perf_counter() - t
    rep.timings = {k: round(v, 3) for k, v in timings.items()}
    _append_run(settings, rep, now)
    log.info("resolved %d records into %d customers (%s, model %s, churn %.2f%%)",
             rep.records, rep.customers, mode, model.version, 100 * rep.churn)
    return rep


def _write_outputs(settings, std, assigned, clusters, hist, all_edges, must, prev_membership, model, now, run_id):
    link = (std.select("record_key", "source_system", "source_record_id")
            .join(assigned, on="record_key")
            .join(clusters.select("record_key", "match_probability", "link_method"), on="record_key")
            .with_columns(pl.lit(model.version).alias("model_version"), pl.lit(run_id).alias("run_id")))
    link = link.select(list(LINK_SCHEMA.keys())).cast(dict(LINK_SCHEMA))

    # membership: close rows whose customer changed or whose record vanished, open new ones
    if prev_membership is None:
        prev_membership = pl.DataFrame(schema=MEMBERSHIP_SCHEMA)
    current = prev_membership.filter(pl.col("valid_to").is_null())
    closed = prev_membership.filter(pl.col("valid_to").is_not_null())
    same = current.join(assigned, on=["record_key", "customer_id"], how="semi")
    ending = current.join(same.select("record_key"), on="record_key", how="anti").with_columns(
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("valid_to"))
    opening = assigned.join(same.select("record_key"), on="record_key", how="anti").with_columns(
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("valid_from"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("valid_to"), pl.lit(run_id).alias("run_id"))
    membership = pl.concat([closed, ending, same, opening.select(list(MEMBERSHIP_SCHEMA.keys()))], how="vertical_relaxed")

    prev_hist = read_output(settings, "customer_id_history")
    history = pl.concat([prev_hist, hist], how="vertical_relaxed") if prev_hist is not None else hist
    if must.height:
        all_edges = pl.concat([all_edges, must.with_columns(pl.lit(1.0).alias("match_probability"),
                                                            pl.lit("must_link").alias("link_method"))],
                              how="diagonal_relaxed")
    write_parquet_atomic(std, output_path(settings, "person_records_std"))
    write_parquet_atomic(all_edges, output_path(settings, "edges"))
    write_parquet_atomic(history, output_path(settings, "customer_id_history"))
    write_parquet_atomic(membership, output_path(settings, "membership"))
    write_parquet_atomic(link, output_path(settings, "identity_link"))


REVIEW_REASONS = ("ambiguous_household",)


def write_review(settings: Settings, vetoed: pl.DataFrame, assigned: pl.DataFrame) -> int:
    """``data/reports/identity/review.csv``: pairs the model scored as a match but that were left
    apart because the records cannot tell two same-name persons of one household apart — for
    a data steward to decide (``cdp identity override``). Record keys and scores only."""
    out = settings.paths.reports / "identity" / "review.csv"
    cust = assigned.select("record_key", "customer_id")
    r = (vetoed.filter(pl.col("veto").is_in(REVIEW_REASONS))
         .select("record_key_l", "record_key_r", pl.col("match_probability").round(6), pl.col("veto").alias("reason"))
         .join(cust.rename({"record_key": "record_key_l", "customer_id": "customer_id_l"}), on="record_key_l", how="left")
         .join(cust.rename({"record_key": "record_key_r", "customer_id": "customer_id_r"}), on="record_key_r", how="left")
         .filter(pl.col("customer_id_l") != pl.col("customer_id_r"))
         .sort("match_probability", "record_key_l", "record_key_r", descending=[True, False, False]))
    write_csv_atomic(r, out)
    return r.height


def _append_run(settings, rep: ResolveReport, now: datetime) -> None:
    d = asdict(rep)
    timings = d.pop("timings")
    row = pl.DataFrame([{**d, "started_at": now, **{f"t_{k}": v for k, v in timings.items()}}])
    prev = read_output(settings, "runs")
    runs = pl.concat([prev, row], how="diagonal_relaxed") if prev is not None else row
    write_parquet_atomic(runs, output_path(settings, "runs"))


__all__ = ["resolve", "ResolveReport", "ChurnLimitExceeded", "format_id"]
