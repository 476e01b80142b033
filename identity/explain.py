"""Why two records are (not) the same person, and Splink's dashboards for a sample.

``explain_pair`` scores two records with the saved model and reports, per comparison, the level
that applied and its match weight (including the term-frequency adjustment), the final match
weight and probability, any veto, trusted keys and steward overrides, and their customer ids.
"""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl

from cdp.config import Settings
from identity import model as m
from identity.deterministic import deterministic_edges
from identity.evidence import level_labels
from identity.io import load_overrides, read_output
from identity.veto import apply_vetoes

log = logging.getLogger(__name__)


def _require(settings: Settings, name: str) -> pl.DataFrame:
    df = read_output(settings, name)
    if df is None:
        raise FileNotFoundError(f"{settings.paths.identity / (name + '.parquet')} not found: run `cdp resolve` first")
    return df


def explain_pair(settings: Settings, rec_a: str, rec_b: str) -> dict:
    """Per-field comparison levels and weights for two record keys (``erp:10004711``)."""
    std = _require(settings, "person_records_std")
    pair = std.filter(pl.col("record_key").is_in([rec_a, rec_b]))
    missing = {rec_a, rec_b} - set(pair["record_key"].to_list())
    if missing:
        raise KeyError(f"record key(s) {sorted(missing)} not in person_records_std.parquet")
    model = m.latest_model(settings)
    if model is None:
        raise FileNotFoundError("no trained identity model: run `cdp identity train`")
    model.require_current()
    inp = m.splink_input(pair)
    db_api = m.duckdb_api(settings)
    linker = m.load_linker(settings, model, m.register_sources(db_api, inp))
    m.register_tf_tables(linker, db_api, model)
    # typed one-row tables, not dicts: a missing birth date in a dict becomes an untyped NULL
    # that DuckDB cannot pass to month()/day()
    ra = db_api.register(inp.filter(pl.col("record_key") == rec_a).to_arrow(), dataset_display_name="explain_a")
    rb = db_api.register(inp.filter(pl.col("record_key") == rec_b).to_arrow(), dataset_display_name="explain_b")
    res = linker.inference.score_pair(ra, rb).as_record_list()[0]
    levels = level_labels(model.path)
    fields = []
    for comp, labels in levels.items():
        g = res.get(f"gamma_{comp}")
        fields.append({
            "comparison": comp, "level": labels.get(g, str(g)) if g is not None else str(g), "gamma": g,
            "match_weight": round(float(res.get(f"mw_{comp}") or 0.0), 3),
            "tf_adjustment": round(float(res.get(f"mw_tf_adj_{comp}") or 0.0), 3),
        })
    # hard vetoes from the records, soft ones (name-only evidence, differing contacts, an
    # ambiguous household) from the comparison levels, as resolve applies them
    edge = pl.DataFrame({"record_key_l": [min(rec_a, rec_b)], "record_key_r": [max(rec_a, rec_b)],
                         **{k: [res.get(k)] for k in res if k.startswith("gamma_")}})
    v = apply_vetoes(edge, std, settings.identity)["veto"][0]
    det, _ = deterministic_edges(pair, settings.identity)
    must, cannot = load_overrides(settings)
    key = (min(rec_a, rec_b), max(rec_a, rec_b))

    def has(df: pl.DataFrame) -> bool:
        return df.filter((pl.col("record_key_l") == key[0]) & (pl.col("record_key_r") == key[1])).height > 0

    link = read_output(settings, "identity_link")
    cust = {}
    if link is not None:
        cust = dict(link.filter(pl.col("record_key").is_in([rec_a, rec_b])).select("record_key", "customer_id").iter_rows())
    return {
        "record_a": rec_a, "record_b": rec_b, "model_version": model.version,
        "fields": fields, "match_weight": round(float(res["match_weight"]), 3),
        "match_probability": float(res["match_probability"]),
        "veto": v, "trusted_keys": det["rule"].to_list(),
        "steward": "must_link" if has(must) else "cannot_link" if has(cannot) else None,
        "customer_ids": cust,
        "same_customer": bool(cust) and len(set(cust.values())) == 1 and len(cust) == 2,
    }


def explain_customer(settings: Settings, customer_id: str) -> dict:
    """The records of a customer and the edges between them (per-field levels and weights)."""
    link = _require(settings, "identity_link")
    recs = link.filter(pl.col("customer_id") == customer_id)
    if recs.height == 0:
        hist = read_output(settings, "customer_id_history")
        if hist is not None:
            h = hist.filter(pl.col("old_customer_id") == customer_id)
            if h.height:
                r = h.row(-1, named=True)
                return {"customer_id": customer_id, "retired": True, "now": r["new_customer_id"],
                        "reason": r["reason"], "changed_at": str(r["changed_at"]), "records": [], "edges": []}
        raise KeyError(f"customer {customer_id} not in identity_link.parquet")
    keys = recs["record_key"].implode()
    edges = _require(settings, "edges").filter(pl.col("record_key_l").is_in(keys) & pl.col("record_key_r").is_in(keys))
    model = m.latest_model(settings)
    levels = level_labels(model.path) if model else {}
    out_edges = []
    for e in edges.iter_rows(named=True):
        row = {"record_key_l": e["record_key_l"], "record_key_r": e["record_key_r"],
               "link_method": e.get("link_method"), "rule": e.get("rule"), "veto": e.get("veto"),
               "match_probability": e.get("match_probability"), "match_weight": e.get("match_weight"),
               "fields": {}}
        for comp, labels in levels.items():
            g = e.get(f"gamma_{comp}")
            if g is not None:
                row["fields"][comp] = {"level": labels.get(g, str(g)), "match_weight": e.get(f"mw_{comp}")}
        out_edges.append(row)
    return {"customer_id": customer_id, "records": recs.select("record_key", "link_method", "match_probability").to_dicts(),
            "edges": out_edges}


def write_dashboards(settings: Settings, sample_customers: int = 50) -> list[Path]:
    """Comparison viewer and cluster studio HTML for a sample of multi-record customers."""
    link = _require(settings, "identity_link")
    std = _require(settings, "person_records_std")
    model = m.latest_model(settings)
    if model is None:
        raise FileNotFoundError("no trained identity model: run `cdp identity train`")
    sizes = link.group_by("customer_id").len("n").filter(pl.col("n") > 1).sort("customer_id")
    chosen = sizes.sample(min(sample_customers, sizes.height), seed=settings.identity.seed) if sizes.height else sizes
    keys = link.join(chosen.select("customer_id"), on="customer_id", how="semi")["record_key"]
    inp = m.splink_input(std.filter(pl.col("record_key").is_in(keys.implode())))
    db_api = m.duckdb_api(settings)
    sdfs = m.register_sources(db_api, inp)
    linker = m.load_linker(settings, model, sdfs)
    m.register_tf_tables(linker, db_api, model)
    pred = linker.inference.predict_within(sdfs, threshold_match_probability=settings.identity.predict_threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, settings.identity.match_threshold)
    out = settings.paths.reports / "identity"
    out.mkdir(parents=True, exist_ok=True)
    cv, cs = out / "comparison_viewer.html", out / "cluster_studio.html"
    linker.visualisations.comparison_viewer_dashboard(pred, str(cv), overwrite=True)
    linker.visualisations.cluster_studio_dashboard(pred, clusters, str(cs), sampling_method="by_cluster_size",
                                                   sample_size=min(20, max(1, chosen.height)), overwrite=True)
    return [cv, cs]
