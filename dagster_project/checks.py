"""Asset checks as plain functions: each takes data and limits and returns a :class:`CheckOutcome`.

The Dagster wrappers in :mod:`dagster_project.assets` turn an outcome into an
``AssetCheckResult``; tests call these functions directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import duckdb
import polars as pl

from identity.evaluate import evaluate_frames

ERROR = "ERROR"
WARN = "WARN"


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one check: passed or not, how bad, and numbers for the UI."""

    passed: bool
    severity: str
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


def _sql(name: str) -> str:
    return resources.files("dagster_project.sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def contract_outcome(files: pl.DataFrame, max_failed_share: float) -> CheckOutcome:
    """Contract validation of one source entity's files.

    Args:
        files: one row per delivered file with ``file``, ``rows_read``, ``rows_quarantined`` and
            optionally ``status`` (``failed``: the file was rejected whole) and ``message``.
        max_failed_share: a file whose failed share is above this blocks downstream assets.

    Returns:
        Passed when no file is over the limit (the quarantined rows are in the metadata and the
        description: a quarantine below the limit is the contract working, not a failure); an
        ERROR (blocking) naming the worst files when one is.
    """
    if files.is_empty():
        return CheckOutcome(True, WARN, "no files delivered for this entity", {"files": 0})
    rejected = (pl.col("status") == "failed") if "status" in files.columns else pl.lit(False)
    df = files.with_columns(
        failed_share=pl.when(rejected | ((pl.col("rows_read") == 0) & (pl.col("rows_quarantined") > 0)))
        .then(1.0)  # a file rejected whole
        .when(pl.col("rows_read") > 0)
        .then(pl.col("rows_quarantined") / pl.col("rows_read"))
        .otherwise(0.0)
    )
    read = int(df["rows_read"].sum())
    failed = int(df["rows_quarantined"].sum())
    worst = df.sort("failed_share", descending=True)
    over = worst.filter(pl.col("failed_share") > max_failed_share)
    meta = {
        "files": df.height,
        "files_rejected": int(df.select(rejected.sum()).item()) if "status" in df.columns else 0,
        "rows_read": read,
        "rows_quarantined": failed,
        "failed_share": round(failed / read, 6) if read else 0.0,
        "max_file_failed_share": round(float(worst["failed_share"][0]), 6),
        "limit": max_failed_share,
    }
    if over.height:
        names = "; ".join(
            f"{r['file']} ({r['failed_share']:.1%}{': ' + r['message'] if r.get('message') and r['failed_share'] == 1.0 else ''})"
            for r in over.head(5).iter_rows(named=True)
        )
        return CheckOutcome(
            False, ERROR,
            f"{over.height} file(s) above the failed-row limit {max_failed_share:.1%}: {names}", meta,
        )
    if failed:  # expected in real deliveries: the rows are kept in quarantine, nothing is blocked
        return CheckOutcome(
            True, WARN,
            f"{failed} of {read} rows quarantined ({failed / read:.1%}); every file under the limit "
            f"{max_failed_share:.1%}", meta,
        )
    return CheckOutcome(True, WARN, f"all {read} rows passed the contract", meta)


def reconciliation_outcome(rows_read: int, rows_staged: int, rows_quarantined: int,
                           rows_suppressed: int = 0) -> CheckOutcome:
    """Every row read from a loaded file is staged, quarantined or suppressed (erased persons):
    none lost, none invented."""
    diff = rows_read - rows_staged - rows_quarantined - rows_suppressed
    meta = {"rows_read": rows_read, "rows_staged": rows_staged, "rows_quarantined": rows_quarantined,
            "rows_suppressed": rows_suppressed, "difference": diff}
    accounted = f"staged {rows_staged} + quarantined {rows_quarantined}" + (
        f" + suppressed {rows_suppressed}" if rows_suppressed else "")
    if diff:
        return CheckOutcome(
            False, ERROR,
            f"read {rows_read} rows but {accounted} ({'lost' if diff > 0 else 'extra'} {abs(diff)})", meta,
        )
    return CheckOutcome(True, ERROR, f"read {rows_read} = {accounted}", meta)


def cluster_size_outcome(identity_link: pl.DataFrame, max_cluster_size: int,
                         guest_keys: pl.Series | None = None) -> CheckOutcome:
    """No customer holds more source records than ``max_cluster_size`` (a sign of over-merging).

    Guest checkouts (``guest_keys``: their ``record_key``) are one record per order, so a loyal
    guest shopper legitimately has many; they are reported but do not count towards the limit.
    """
    link = identity_link
    if guest_keys is not None:
        link = link.with_columns(is_guest=pl.col("record_key").is_in(guest_keys.implode()))
    else:
        link = link.with_columns(is_guest=pl.lit(False))
    sizes = link.group_by("customer_id").agg(records=pl.len(), counted=(~pl.col("is_guest")).sum())
    biggest = int(sizes.select(pl.col("records").max().fill_null(0)).item())
    over = sizes.filter(pl.col("counted") > max_cluster_size).sort("counted", descending=True)
    meta = {"customers": sizes.height, "largest_cluster": biggest,
            "largest_cluster_without_guests": int(sizes.select(pl.col("counted").max().fill_null(0)).item()),
            "limit": max_cluster_size, "clusters_over_limit": over.height}
    if over.height:
        ids = ", ".join(f"{r['customer_id']} ({r['counted']})" for r in over.head(5).iter_rows(named=True))
        return CheckOutcome(False, ERROR, f"{over.height} customer(s) above {max_cluster_size} non-guest records: {ids}", meta)
    return CheckOutcome(
        True, ERROR,
        f"largest customer holds {meta['largest_cluster_without_guests']} non-guest records "
        f"({biggest} with guest checkouts; limit {max_cluster_size})", meta)


def id_churn_outcome(churn: float, max_id_churn: float) -> CheckOutcome:
    """The share of existing customer ids this run changed stays under the configured limit."""
    meta = {"id_churn": round(float(churn), 6), "limit": max_id_churn}
    if churn > max_id_churn:
        return CheckOutcome(False, ERROR, f"id churn {churn:.2%} above the limit {max_id_churn:.2%}", meta)
    return CheckOutcome(True, ERROR, f"id churn {churn:.2%} (limit {max_id_churn:.2%})", meta)


def f1_outcome(identity_link: pl.DataFrame, truth: pl.DataFrame | None, min_f1: float) -> CheckOutcome:
    """Pairwise F1 against the simulator's truth, when the truth is present; WARN below ``min_f1``."""
    if truth is None:
        return CheckOutcome(True, WARN, "no data/truth/identity_truth.parquet: F1 not measured")

    scores = evaluate_frames(identity_link, truth)["pairwise"]
    meta = {**scores, "min_f1": min_f1}
    text = f"pairwise F1 {scores['f1']:.4f} (precision {scores['precision']:.4f}, recall {scores['recall']:.4f})"
    return CheckOutcome(scores["f1"] >= min_f1, WARN, text, meta)


def consent_channel_outcome(con: duckdb.DuckDBPyConnection) -> CheckOutcome:
    """No preferred channel of a purpose whose legal basis is consent lacks a granted consent for it."""
    rows = con.execute(_sql("preferred_channel_without_consent")).fetchall()
    meta = {"violations": len(rows)}
    if rows:
        ids = ", ".join(f"{cid} ({channel})" for cid, channel in rows[:5])
        return CheckOutcome(False, ERROR, f"{len(rows)} preferred channel(s) of a consent-based purpose without granted consent: {ids}", meta)
    return CheckOutcome(True, ERROR, "every preferred channel of a consent-based purpose has a granted consent", meta)


def profile_counts_outcome(con: duckdb.DuckDBPyConnection, identity_link: pl.DataFrame) -> CheckOutcome:
    """The database holds one customer per resolved customer id and every identity link."""
    customers, links, customer_ids = con.execute(_sql("profile_counts")).fetchall()[0]
    expected_customers = identity_link["customer_id"].n_unique()
    meta = {"customers": customers, "distinct_customer_ids": customer_ids, "identity_links": links,
            "expected_customers": expected_customers, "expected_links": identity_link.height}
    problems = []
    if customers != customer_ids:
        problems.append(f"customer has {customers} rows for {customer_ids} distinct ids")
    if customers != expected_customers:
        problems.append(f"customer has {customers} rows, identity resolved {expected_customers}")
    if links != identity_link.height:
        problems.append(f"identity_link has {links} rows, identity wrote {identity_link.height}")
    if problems:
        return CheckOutcome(False, ERROR, "; ".join(problems), meta)
    return CheckOutcome(True, ERROR, f"{customers} customers and {links} links reconcile with identity", meta)
