"""Churn risk against the simulator's truth (``data/truth/``): AUC and calibration.

The pipeline never reads the truth; this is the benchmark's and the tests' view. A customer's
person is the truth person most of its records belong to; the customer churned when that
person's ``churned_at`` is set and not after ``profile_build.as_of``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from cdp.db import scalar


def churn_labels(db_path: Path, truth_dir: Path) -> pl.DataFrame:
    """Scored customers with ``churned`` (truth), ``churned_at`` and the model's scores."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        link = con.sql("SELECT record_key, customer_id FROM identity_link").pl()
        scores = con.sql("SELECT customer_id, p_alive, churn_probability, recency_days, risk_level "
                         "FROM churn_risk").pl()
        as_of = scalar(con, "SELECT as_of FROM profile_build")
    ident = pl.read_parquet(truth_dir / "identity_truth.parquet").select(
        record_key=pl.col("source_system") + ":" + pl.col("source_record_id"), person_id="person_id")
    persons = pl.read_parquet(truth_dir / "persons.parquet").select("person_id", "churned_at")
    owner = (link.join(ident, on="record_key", how="inner")
             .group_by("customer_id", "person_id").len()
             .sort(["customer_id", "len", "person_id"], descending=[False, True, False])
             .unique("customer_id", keep="first"))
    df = scores.join(owner.select("customer_id", "person_id"), on="customer_id", how="inner") \
        .join(persons, on="person_id", how="left")
    as_of_lit = pl.lit(as_of).cast(pl.Datetime("us", "UTC"))
    return df.with_columns(
        churned=pl.col("churned_at").is_not_null() & (pl.col("churned_at") <= as_of_lit),
        churned_days_ago=(as_of_lit - pl.col("churned_at")).dt.total_days())


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count half)."""
    y = np.asarray(y, dtype=bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    s = np.asarray(score)[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):  # average ranks over ties
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    r = np.empty(len(s))
    r[order] = ranks
    return float((r[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict:
    """Reliability table (equal-width bins), expected calibration error and Brier score."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    k = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        m = k == b
        if not m.any():
            continue
        pred, obs = float(p[m].mean()), float(y[m].mean())
        ece += m.sum() / len(p) * abs(pred - obs)
        table.append({"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "customers": int(m.sum()),
                      "predicted": round(pred, 4), "observed": round(obs, 4)})
    return {"ece": round(ece, 4), "brier": round(float(np.mean((p - y) ** 2)), 4), "bins": table}


def evaluate_churn(db_path: Path, truth_dir: Path) -> dict:
    """AUC of churn_probability, of the BG/NBD part alone and of recency, plus calibration.

    ``recent`` compares customers who churned in the last 365 days with those still active:
    the hard part, since long-gone customers are easy to spot.
    """
    df = churn_labels(db_path, truth_dir)
    y = df["churned"].to_numpy()
    out = {"customers": df.height, "churned": int(y.sum()),
           "auc": round(auc(y, df["churn_probability"].to_numpy()), 4),
           "auc_bgnbd_only": round(auc(y, 1 - df["p_alive"].to_numpy()), 4),
           "auc_recency_baseline": round(auc(y, df["recency_days"].to_numpy().astype(float)), 4),
           "calibration": calibration(y, df["churn_probability"].to_numpy()),
           "calibration_bgnbd_only": {k: v for k, v in calibration(y, 1 - df["p_alive"].to_numpy()).items()
                                      if k != "bins"}}
    recent = df.filter(~pl.col("churned") | (pl.col("churned_days_ago") <= 365))
    yr = recent["churned"].to_numpy()
    out["recent"] = {"customers": recent.height, "churned": int(yr.sum()),
                     "auc": round(auc(yr, recent["churn_probability"].to_numpy()), 4),
                     "auc_bgnbd_only": round(auc(yr, 1 - recent["p_alive"].to_numpy()), 4),
                     "auc_recency_baseline": round(auc(yr, recent["recency_days"].to_numpy().astype(float)), 4)}
    return out
