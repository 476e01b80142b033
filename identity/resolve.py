"""``cdp resolve``: person records → stable customer ids.

Standardise → deterministic keys → Splink predict (saved model) → cluster with steward overrides
→ stable id assignment → write ``data/lake/identity/``. ``incremental=True`` scores only new and
changed records (against the unchanged ones and among themselves) and reuses the earlier edges.
"""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from cdp.config import Settings
from cdp.lake import write_csv_atomic, write_parquet_atomic
from cdp.schema import schema
from cdp.standardise import standardise
from identity import model as m
from identity.cluster import ClusterConstraints, cluster_records
from identity.deterministic import deterministic_edges
from identity.evidence import level_labels, link_evidence
from identity.ids import assign_ids, format_id, id_number
from identity.io import load_overrides, load_person_records, output_path, read_output
from identity.setup import derive_setup
from identity.spark import predict_edges_spark
from identity.train import train
from identity.veto import (
    CONTACT_VARIANT_LEVELS,
    SOFT_VETOES,
    apply_vetoes,
    conflict_pairs,
    contact_check,
    labelled_check,
)

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
    #: first-name / birth-date vetoes on every pair (key-linked pairs showed them right) or only
    #: where both records carry contacts
    vetoes_on_every_pair: bool = False
    #: contact variant levels (``comparison:gamma``, comma-separated) that labelled pairs showed
    #: to be two persons' own here (:func:`identity.veto.contact_check`)
    distinct_contact_levels: str = ""
    timings: dict[str, float] = field(default_factory=dict)


def _edge_relation(sdf):
    rel = sdf.as_duckdbpyrelation()
    return rel.select(*[f'"{c}"' for c in m.edge_columns(rel.columns)])


def _to_polars(sdf) -> pl.DataFrame:
    df = pl.from_arrow(_edge_relation(sdf).to_arrow_table())
    assert isinstance(df, pl.DataFrame)  # an Arrow table converts to a frame, never a series
    return df


def _spill_parquet(sdf, spill_dir: Path) -> Path:
    # DuckDB streams the scored pairs to Parquet; the caller closes the connection (freeing
    # Splink's tables) before polars reads them back: never both copies in memory at once.
    spill_dir.mkdir(parents=True, exist_ok=True)
    path = spill_dir / f".edges-{uuid.uuid4().hex}.parquet"
    _edge_relation(sdf).write_parquet(str(path))
    return path


def predict_edges_duckdb(settings: Settings, inp: pl.DataFrame, model: m.ModelRef,
                         new_keys: pl.Series | None = None) -> pl.DataFrame:
    """Scored pairs above ``predict_threshold``, computed by Splink on DuckDB.

    With ``new_keys`` only pairs touching those records are scored (incremental): new vs the
    rest (``predict_between``) and new vs new (``predict_within``), using the model's TF tables.
    """
    thr = settings.identity.predict_threshold
    db_api = m.duckdb_api(settings)
    if new_keys is None:
        linker = m.load_linker(settings, model, m.register_sources(db_api, inp))
        # the model's TF tables, not ones derived from this input, so that full and
        # incremental runs score a pair identically
        m.register_tf_tables(linker, db_api, model)
        path = _spill_parquet(linker.inference.predict(threshold_match_probability=thr),
                              settings.paths.identity)
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


#: Scoring engines (``identity.engine``): each takes (settings, Splink input, model, new keys or
#: None) and returns the scored pairs above ``predict_threshold``.
PREDICTORS = {"duckdb": predict_edges_duckdb, "spark": predict_edges_spark}


def predict_edges(settings: Settings, inp: pl.DataFrame, model: m.ModelRef,
                  new_keys: pl.Series | None = None) -> pl.DataFrame:
    """Scored pairs above ``predict_threshold`` from the configured engine (:data:`PREDICTORS`)."""
    engine = settings.identity.engine
    if engine not in PREDICTORS:
        raise ValueError(f"identity.engine {engine!r} is not known; use one of {sorted(PREDICTORS)}")
    return PREDICTORS[engine](settings, inp, model, new_keys)


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
        TrainingError: no model yet and training found too few pairs (names the fields tried).
    """
    now = datetime.now(UTC)
    run_id = _run_id(now)
    timings: dict[str, float] = {}
    with _timed(timings, "standardise_s"):
        std, prev_hashes = _standardised(settings, records)
    model = _current_model(settings, std, timings)
    prev_edges = read_output(settings, "edges")
    mode = _mode(settings, incremental, model, prev_hashes, prev_edges)
    rep = ResolveReport(run_id=run_id, mode=mode, model_version=model.version, records=std.height)

    with _timed(timings, "deterministic_s"):
        det, key_stats = deterministic_edges(std, settings.identity)
    for s in key_stats:
        log.info("key %s: %d values linked, %d blocked by merge protection", s.name, s.values_linked, s.values_blocked)
    with _timed(timings, "predict_s"):
        prob = _scored_pairs(settings, std, model, mode, prev_hashes, prev_edges, rep)
    with _timed(timings, "veto_s"):
        check = labelled_check(std, settings.identity)
        log.info("first-name / birth-date vetoes checked on %d key-linked pairs (%d / %d disagree): %s",
                 check["pairs"], check["first_names_differ"], check["birth_dates_differ"],
                 "applied to every pair" if check["always"] else "applied where both records carry contacts")
        rep.vetoes_on_every_pair = check["always"]
        contacts = contact_check(prob, std)
        log.info("contact variants checked on key-linked pairs (%s with both; %s): %s count as two persons' own",
                 contacts["pairs"], contacts["levels"],
                 [CONTACT_VARIANT_LEVELS[k] for k in contacts["distinct"]] or "none")
        rep.distinct_contact_levels = ",".join(contacts["distinct"])
        prob, vetoed, hard_vetoed = _vetoed(prob, std, settings.identity, check["always"], contacts["distinct"])
    rep.vetoed_edges = vetoed.height
    with _timed(timings, "cluster_s"):
        must, cannot = load_overrides(settings)
        all_edges = pl.concat([_normalise_pairs(det), prob], how="diagonal_relaxed")
        clusters, crep = _cluster(settings, std, all_edges, must, cannot, hard_vetoed, rep)
    with _timed(timings, "assign_ids_s"):
        prev_membership = read_output(settings, "membership")
        assigned, hist, irep = assign_ids(clusters, *_previous_ids(settings, prev_membership), now, run_id)

    rep.customers = int(assigned["customer_id"].n_unique())
    rep.deterministic_edges = det.height
    rep.probabilistic_edges = int(prob.filter(pl.col("match_probability") >= settings.identity.match_threshold).height)
    rep.kept_ids, rep.minted_ids = irep.kept, irep.minted
    rep.retired_ids, rep.split_ids = irep.retired_merge, irep.split
    rep.churn, rep.record_churn = round(irep.churn, 6), round(irep.record_churn, 6)
    rep.cannot_link_edges_dropped = crep.cannot_link_edges_dropped
    _check_churn(settings, irep, force)

    with _timed(timings, "write_s"):
        _write_outputs(settings, RunOutputs(std, assigned, clusters, hist, all_edges, must, prev_membership),
                       model.version, now, run_id)
        write_parquet_atomic(link_evidence(clusters, _with_must_links(all_edges, must), level_labels(model.path)),
                             output_path(settings, "link_evidence"))
        rep.review_pairs = write_review(settings, vetoed, assigned)
    rep.timings = {k: round(v, 3) for k, v in timings.items()}
    _append_run(settings, rep, now)
    log.info("resolved %d records into %d customers (%s, model %s, churn %.2f%%)",
             rep.records, rep.customers, mode, model.version, 100 * rep.churn)
    return rep


@contextmanager
def _timed(timings: dict[str, float], key: str):
    t = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = timings.get(key, 0.0) + time.perf_counter() - t


def _standardised(settings: Settings, records: pl.DataFrame | None) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """person_records_std, and the keys + hashes of the earlier run (for incremental mode)."""
    if records is None:
        records = load_person_records(settings)
    prev_std = read_output(settings, "person_records_std")
    # unchanged records keep their standardised row from the last run (keyed by raw_hash); at 1M
    # persons the raw records and the earlier std frame are GBs: only keys and hashes are kept
    std = standardise(records, cache=prev_std)
    prev_hashes = prev_std.select("record_key", "record_hash") if prev_std is not None else None
    return std, prev_hashes


def _current_model(settings: Settings, std: pl.DataFrame, timings: dict[str, float]) -> m.ModelRef:
    """The latest model if it is current and fits the data's set-up; else a newly trained one."""
    model = m.latest_model(settings)
    setup = derive_setup(m.splink_input(std), settings.identity)
    if model is not None and not model.is_current:
        if not settings.identity.retrain_stale_model:
            model.require_current()
        log.warning("identity model %s was trained for other comparisons (settings fingerprint %s, current %s): "
                    "retraining", model.version, model.fingerprint or "missing",
                    m.settings_fingerprint(model.comparison_names))
        model = None
    if model is not None and model.setup is not None and not model.fits(setup):
        log.warning("identity model %s was trained for %s over %s; the records now call for %s over %s: retraining",
                    model.version, model.setup.link_type, model.setup.comparisons, setup.link_type, setup.comparisons)
        model = None
    if model is None:
        log.info("no current trained identity model: training one first (the first `cdp resolve` of a "
                 "new set of fields trains; at 100k records this takes about a minute)")
        with _timed(timings, "train_s"):
            train(settings, std, setup)
        model = m.latest_model(settings)
    assert model is not None
    return model


def _mode(settings: Settings, incremental: bool, model: m.ModelRef, prev_hashes, prev_edges) -> str:
    if not incremental:
        return "full"
    prev_runs = read_output(settings, "runs")
    same_model = prev_runs is not None and prev_runs["model_version"][-1] == model.version
    if prev_hashes is None or prev_edges is None or not same_model:
        log.warning("incremental run needs an earlier run with model %s: running in full", model.version)
        return "full"
    return "incremental"


def _scored_pairs(settings: Settings, std: pl.DataFrame, model: m.ModelRef, mode: str,
                  prev_hashes, prev_edges, rep: ResolveReport) -> pl.DataFrame:
    """Probabilistic edges: all pairs (full) or the earlier edges among unchanged records plus
    newly scored pairs touching new or changed records (incremental)."""
    if mode == "incremental":
        unchanged = std.join(prev_hashes, on=["record_key", "record_hash"], how="semi")
        new_keys = std.join(unchanged.select("record_key"), on="record_key", how="anti")["record_key"]
        keep_keys = unchanged["record_key"].implode()
        old_prob = prev_edges.filter(
            (pl.col("link_method") == "probabilistic")
            & pl.col("record_key_l").is_in(keep_keys) & pl.col("record_key_r").is_in(keep_keys)
        ).drop("link_method", "rule", strict=False)
        new_prob = predict_edges(settings, m.splink_input(std), model, new_keys)
        rep.records_scored = len(new_keys)
        prob = pl.concat([old_prob, _normalise_pairs(new_prob)], how="diagonal_relaxed") if new_prob.height else old_prob
    else:
        # grouped by source: DuckDB scans slices of this one frame (no per-source copies)
        prob = _normalise_pairs(predict_edges(settings, m.sort_by_source(m.splink_input(std)), model))
        rep.records_scored = std.height
    return prob.unique(["record_key_l", "record_key_r"], keep="first").with_columns(
        pl.lit("probabilistic").alias("link_method"), pl.lit(None, pl.String).alias("rule"))


def _vetoed(prob: pl.DataFrame, std: pl.DataFrame, ids, always: bool,
            distinct: list[str]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Edges with their veto, the vetoed matches, and those of them that are cannot-links."""
    prob = apply_vetoes(prob.drop("veto", strict=False), std, ids, always, distinct)
    vetoed = prob.filter(pl.col("veto").is_not_null() & (pl.col("match_probability") >= ids.match_threshold))
    # soft vetoes only withhold the link; the others are cannot-links for clustering
    return prob, vetoed, vetoed.filter(~pl.col("veto").is_in(SOFT_VETOES))


def _cluster(settings: Settings, std: pl.DataFrame, all_edges: pl.DataFrame, must: pl.DataFrame,
             cannot: pl.DataFrame, hard_vetoed: pl.DataFrame, rep: ResolveReport):
    """Clusters with steward overrides and vetoes; records joined only through others whose birth
    dates or sen/jun contradict become cannot-links and the clustering is redone once."""
    ids = settings.identity
    cluster_edges = all_edges.filter(pl.col("veto").is_null())
    cannot_all = pl.concat([cannot, hard_vetoed.select("record_key_l", "record_key_r")
                            .join(must, on=["record_key_l", "record_key_r"], how="anti")]).unique()
    exclusive = std.filter(pl.col("source_system").is_in(ids.duplicate_free_sources)).select("record_key", "source_system")

    def run(cannot_links: pl.DataFrame):
        return cluster_records(std["record_key"], cluster_edges, ids.match_threshold, ClusterConstraints(
            must, cannot_links, ids.max_cluster_size, ids.split_thresholds, exclusive_source=exclusive))

    clusters, crep = run(cannot_all)
    # a steward's must-link outranks a data conflict
    direct = cluster_edges.filter(pl.col("match_probability") >= ids.match_threshold)
    conflicts = conflict_pairs(clusters, std, ids, direct).join(must, on=["record_key_l", "record_key_r"], how="anti")
    write_parquet_atomic(conflicts, output_path(settings, "cluster_conflicts"))
    rep.cluster_conflicts = conflicts.height
    if conflicts.height:
        clusters, crep = run(pl.concat([cannot_all, conflicts]).unique())
    return clusters, crep


def _previous_ids(settings: Settings, prev_membership: pl.DataFrame | None) -> tuple[pl.DataFrame | None, int]:
    """The earlier run's current record → customer id, and the next free id number."""
    if prev_membership is None or not prev_membership.height:
        return None, 1
    prev_current = prev_membership.filter(pl.col("valid_to").is_null()).select("record_key", "customer_id")
    next_number = int(prev_membership.select(id_number("customer_id").max()).item()) + 1
    prev_hist = read_output(settings, "customer_id_history")
    if prev_hist is not None and prev_hist.height:
        mx = prev_hist.select(id_number("new_customer_id").max()).item()
        next_number = max(next_number, int(mx or 0) + 1)
    return prev_current, next_number


def _check_churn(settings: Settings, irep, force: bool) -> None:
    if irep.churn > settings.identity.max_id_churn and not force:
        raise ChurnLimitExceeded(
            f"this run would retire or split {irep.retired_merge + irep.split} of {irep.previous_ids} "
            f"customer ids ({irep.churn:.1%} > identity.max_id_churn={settings.identity.max_id_churn:.1%}); "
            "nothing was written. Check the model/overrides, or re-run with --force."
        )


@dataclass
class RunOutputs:
    """What one run computed and :func:`_write_outputs` writes (with the earlier membership)."""

    std: pl.DataFrame
    assigned: pl.DataFrame
    clusters: pl.DataFrame
    hist: pl.DataFrame
    all_edges: pl.DataFrame
    must: pl.DataFrame
    prev_membership: pl.DataFrame | None


def _write_outputs(settings: Settings, out: RunOutputs, model_version: str, now: datetime, run_id: str) -> None:
    std, assigned, clusters, hist = out.std, out.assigned, out.clusters, out.hist
    all_edges, must, prev_membership = out.all_edges, out.must, out.prev_membership
    link = (std.select("record_key", "source_system", "source_record_id")
            .join(assigned, on="record_key")
            .join(clusters.select("record_key", "match_probability", "link_method"), on="record_key")
            .with_columns(pl.lit(model_version).alias("model_version"), pl.lit(run_id).alias("run_id")))
    link = link.select(list(LINK_SCHEMA.keys())).cast(LINK_SCHEMA)

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
    all_edges = _with_must_links(all_edges, must)
    write_parquet_atomic(std, output_path(settings, "person_records_std"))
    write_parquet_atomic(all_edges, output_path(settings, "edges"))
    write_parquet_atomic(history, output_path(settings, "customer_id_history"))
    write_parquet_atomic(membership, output_path(settings, "membership"))
    write_parquet_atomic(link, output_path(settings, "identity_link"))


def _with_must_links(edges: pl.DataFrame, must: pl.DataFrame) -> pl.DataFrame:
    """The run's edges plus the stewards' must-links (probability 1)."""
    if not must.height:
        return edges
    return pl.concat([edges, must.with_columns(pl.lit(1.0).alias("match_probability"),
                                               pl.lit("must_link").alias("link_method"))], how="diagonal_relaxed")


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
