"""``cdp eval``: identity_link against the simulator's truth.

Pairwise precision / recall / F1 (over all record pairs, computed from cluster × person cell
counts, so no pair list is built), B-cubed precision / recall / F1, the same pairwise metrics per
source pair, and for hard negatives (records of different persons in one household where one
side is a twin, parent/child or shared-e-mail case) the share wrongly merged.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cdp.config import Settings
from identity.io import read_output

HARD_NEGATIVE_CASES = ["twin", "parent_child", "shared_email"]


def _pairs(n: pl.Expr) -> pl.Expr:
    return (n * (n - 1) / 2).cast(pl.Float64)


def _prf(tp: float, pred: float, true: float) -> dict[str, float]:
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 6), "recall": round(r, 6), "f1": round(f, 6),
            "tp_pairs": int(tp), "predicted_pairs": int(pred), "true_pairs": int(true)}


def evaluate_frames(link: pl.DataFrame, truth: pl.DataFrame, cluster_col: str = "customer_id") -> dict:
    """Metrics for a clustering (``source_system, source_record_id, <cluster_col>``) vs truth."""
    df = link.select("source_system", "source_record_id", pl.col(cluster_col).alias("c")).join(
        truth.select("source_system", "source_record_id", "person_id",
                     *[c for c in ("household_id", "hard_case") if c in truth.columns]),
        on=["source_system", "source_record_id"], how="inner")
    out: dict = {"records": df.height, "records_without_truth": link.height - df.height}
    cell = df.group_by("c", "person_id").len("n")
    tp = cell.select(_pairs(pl.col("n")).sum()).item()
    pred = df.group_by("c").len("n").select(_pairs(pl.col("n")).sum()).item()
    true = df.group_by("person_id").len("n").select(_pairs(pl.col("n")).sum()).item()
    out["pairwise"] = _prf(tp, pred, true)

    # B-cubed
    b = df.join(cell, on=["c", "person_id"]).join(df.group_by("c").len("nc"), on="c") \
        .join(df.group_by("person_id").len("np"), on="person_id")
    bp = b.select((pl.col("n") / pl.col("nc")).mean()).item()
    br = b.select((pl.col("n") / pl.col("np")).mean()).item()
    out["bcubed"] = {"precision": round(bp, 6), "recall": round(br, 6),
                     "f1": round(2 * bp * br / (bp + br), 6) if bp + br else 0.0}

    # per source pair: pairs within cells by source counts
    def per_pair(group: list[str]) -> pl.DataFrame:
        g = df.group_by(*group, "source_system").len("n")
        x = g.join(g, on=group, suffix="_r").filter(pl.col("source_system") <= pl.col("source_system_r"))
        return x.with_columns(
            pl.when(pl.col("source_system") == pl.col("source_system_r")).then(_pairs(pl.col("n")))
            .otherwise((pl.col("n") * pl.col("n_r")).cast(pl.Float64)).alias("pairs")
        ).group_by("source_system", "source_system_r").agg(pl.col("pairs").sum())

    sp = per_pair(["c", "person_id"]).rename({"pairs": "tp"}) \
        .join(per_pair(["c"]).rename({"pairs": "pred"}), on=["source_system", "source_system_r"], how="full", coalesce=True) \
        .join(per_pair(["person_id"]).rename({"pairs": "true"}), on=["source_system", "source_system_r"], how="full", coalesce=True) \
        .fill_null(0).sort("source_system", "source_system_r")
    out["per_source_pair"] = {f"{r['source_system']}-{r['source_system_r']}": _prf(r["tp"], r["pred"], r["true"])
                              for r in sp.iter_rows(named=True)}

    if "household_id" in df.columns and "hard_case" in df.columns:
        hn = {}
        h = df.filter(pl.col("household_id").is_not_null())
        pairs = h.join(h, on="household_id", suffix="_r").filter(
            (pl.col("person_id") < pl.col("person_id_r"))
            & (pl.col("hard_case").is_in(HARD_NEGATIVE_CASES) | pl.col("hard_case_r").is_in(HARD_NEGATIVE_CASES)))
        for case in HARD_NEGATIVE_CASES + ["all"]:
            sel = pairs if case == "all" else pairs.filter((pl.col("hard_case") == case) | (pl.col("hard_case_r") == case))
            # a person pair is wrongly merged when any of their records share a customer
            per_person = sel.group_by("person_id", "person_id_r").agg((pl.col("c") == pl.col("c_r")).any().alias("merged"))
            n = per_person.height
            hn[case] = {"person_pairs": n, "wrongly_merged": int(per_person["merged"].sum()) if n else 0,
                        "wrongly_merged_share": round(per_person.select(pl.col("merged").mean()).item(), 6) if n else 0.0}
        out["hard_negatives"] = hn
    return out


def veto_accuracy(identity_dir: Path, truth: pl.DataFrame, threshold: float) -> dict:
    """Per veto reason: the scored pairs at or above ``threshold`` it held apart, and how many of
    them truly are two persons (the veto was right). ``truth``: ``source_system,
    source_record_id, person_id``; ``identity_dir``: a run's ``edges.parquet`` (and
    ``cluster_conflicts.parquet``: pairs clustering held apart as birth dates apart / sen-jun)."""
    edges = identity_dir / "edges.parquet"
    if not edges.exists():
        return {}
    e = pl.read_parquet(edges)
    if "veto" not in e.columns:
        return {}
    key = truth.select((pl.col("source_system") + ":" + pl.col("source_record_id")).alias("record_key"), "person_id")

    def persons(df: pl.DataFrame) -> pl.DataFrame:
        return (df.join(key.rename({"record_key": "record_key_l", "person_id": "p_l"}), on="record_key_l")
                .join(key.rename({"record_key": "record_key_r", "person_id": "p_r"}), on="record_key_r"))

    v = persons(e.filter(pl.col("veto").is_not_null() & (pl.col("match_probability") >= threshold)))
    groups = [(reason[0], g) for reason, g in v.group_by("veto")]
    cp = identity_dir / "cluster_conflicts.parquet"
    if cp.exists():
        groups.append(("cluster_conflict (birth dates apart / sen-jun in one cluster)", persons(pl.read_parquet(cp))))
    out = {}
    for reason, g in sorted(groups, key=lambda x: x[0]):
        right = int((g["p_l"] != g["p_r"]).sum())
        out[reason] = {"pairs_held_apart": g.height, "right": right,
                       "share_right": round(right / g.height, 4) if g.height else None}
    return out


def truth_path(settings: Settings) -> Path:
    return settings.paths.truth / "identity_truth.parquet"


def evaluate(settings: Settings) -> dict:
    """Evaluate ``identity_link.parquet`` against ``data/truth/identity_truth.parquet``."""
    link = read_output(settings, "identity_link")
    if link is None:
        raise FileNotFoundError(f"{settings.paths.identity / 'identity_link.parquet'} not found: run `cdp resolve` first")
    tp = truth_path(settings)
    if not tp.exists():
        raise FileNotFoundError(f"{tp} not found: the truth comes from `cdp generate`")
    res = evaluate_frames(link, pl.read_parquet(tp))
    res["model_version"] = link["model_version"][0] if link.height else None
    res["run_id"] = link["run_id"][0] if link.height else None
    return res
