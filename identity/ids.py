"""Stable customer ids across runs.

Each new cluster keeps the earlier customer_id that holds most of its records (ties: the
oldest, i.e. the smallest id, because ids are minted in increasing order). An earlier id can go
to one cluster only. An earlier id no cluster keeps is retired (``merge``: its records now sit
in another customer). A cluster that keeps no earlier id gets a new one; if its records had an
earlier id, that is a ``split`` (old → new) in ``customer_id_history``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from cdp.schema import schema

HISTORY_SCHEMA = schema(
    {"old_customer_id": pl.String, "new_customer_id": pl.String,
     "changed_at": pl.Datetime("us", "UTC"), "reason": pl.String, "run_id": pl.String}
)
ID_PREFIX = "C"
ID_DIGITS = 9


def format_id(n: int) -> str:
    """``123`` → ``C000000123``."""
    return f"{ID_PREFIX}{n:0{ID_DIGITS}d}"


def id_number(col: str) -> pl.Expr:
    return pl.col(col).str.slice(1).cast(pl.Int64)


@dataclass
class IdReport:
    """Id changes of one run."""

    previous_ids: int
    kept: int
    minted: int
    retired_merge: int
    split: int
    removed: int
    records_changed: int
    previous_records: int

    @property
    def churn(self) -> float:
        """Share of earlier ids that were retired or split off (0 on a first run)."""
        return (self.retired_merge + self.split) / self.previous_ids if self.previous_ids else 0.0

    @property
    def record_churn(self) -> float:
        return self.records_changed / self.previous_records if self.previous_records else 0.0


def assign_ids(
    clusters: pl.DataFrame,
    previous: pl.DataFrame | None,
    next_number: int,
    changed_at: datetime,
    run_id: str,
) -> tuple[pl.DataFrame, pl.DataFrame, IdReport]:
    """Map clusters to customer ids.

    Args:
        clusters: ``record_key, cluster``.
        previous: the current membership before this run (``record_key, customer_id``) or None.
        next_number: the first id number free to mint (larger than every id ever issued).

    Returns:
        ``record_key, customer_id``; the history rows; the report.
    """
    if previous is None:
        previous = pl.DataFrame(schema={"record_key": pl.String, "customer_id": pl.String})
    prev = previous.select("record_key", pl.col("customer_id").alias("prev_id"))
    j = clusters.select("record_key", "cluster").join(prev, on="record_key", how="left")
    votes = (j.filter(pl.col("prev_id").is_not_null()).group_by("cluster", "prev_id").len("n")
             .with_columns(id_number("prev_id").alias("num"))
             .sort(["n", "num", "cluster"], descending=[True, False, False]))
    taken_c, taken_id, keep = set(), set(), {}
    for c, pid, _n, _num in votes.iter_rows():
        if c in taken_c or pid in taken_id:
            continue
        keep[c] = pid
        taken_c.add(c)
        taken_id.add(pid)
    all_clusters = clusters["cluster"].unique().sort().to_list()
    # mint in a deterministic order: by the cluster's smallest record_key
    order = clusters.group_by("cluster").agg(pl.col("record_key").min().alias("k")).sort("k")
    mapping, n = {}, next_number
    minted = 0
    for c in order["cluster"].to_list():
        if c in keep:
            mapping[c] = keep[c]
        else:
            mapping[c] = format_id(n)
            n += 1
            minted += 1
    assert len(mapping) == len(all_clusters)
    cmap = pl.DataFrame({"cluster": list(mapping.keys()), "customer_id": list(mapping.values())},
                        schema={"cluster": pl.Int64, "customer_id": pl.String})
    out = clusters.select("record_key", "cluster").join(cmap, on="cluster").select("record_key", "customer_id")

    # history: where did each earlier id's records go?
    moved = prev.join(out, on="record_key", how="left")
    prev_ids = set(prev["prev_id"].unique().to_list())
    dest = (moved.filter(pl.col("customer_id").is_not_null()).group_by("prev_id", "customer_id").len("n")
            .with_columns(id_number("customer_id").alias("num"))
            .sort(["n", "num"], descending=[True, False]))
    rows = []
    retired = removed = split = 0
    best_dest = dest.unique("prev_id", keep="first", maintain_order=True)
    best = dict(zip(best_dest["prev_id"].to_list(), best_dest["customer_id"].to_list(), strict=True))
    for pid in sorted(prev_ids - taken_id):
        if pid in best:
            rows.append((pid, best[pid], "merge"))
            retired += 1
        else:
            rows.append((pid, None, "records_removed"))
            removed += 1
    kept_ids = set(keep.values())
    minted_ids = {v for v in mapping.values() if v not in kept_ids}
    for pid, cid, _n, _num in dest.iter_rows():
        if pid in taken_id and cid in minted_ids:
            rows.append((pid, cid, "split"))
            split += 1
    hist = pl.DataFrame(
        {"old_customer_id": [r[0] for r in rows], "new_customer_id": [r[1] for r in rows],
         "changed_at": [changed_at] * len(rows), "reason": [r[2] for r in rows],
         "run_id": [run_id] * len(rows)},
        schema=HISTORY_SCHEMA,
    )
    changed = moved.filter(pl.col("customer_id") != pl.col("prev_id")).height
    rep = IdReport(len(prev_ids), len(kept_ids), minted, retired, split, removed, changed, prev.height)
    return out, hist, rep
