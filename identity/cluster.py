"""Clustering: connected components over deterministic, probabilistic and must-link edges.

Steward overrides outrank the model: a must-link edge always holds; a cannot-link pair is never
in one cluster — if other edges still connect the two records, the weakest edges on the paths
between them are dropped until they fall apart. Components larger than ``max_cluster_size`` are
re-clustered at the stricter ``split_thresholds`` (big hairballs come from chains of weak links).
"""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

log = logging.getLogger(__name__)

METHOD_RANK = {"must_link": 3, "deterministic": 2, "probabilistic": 1}
MUST = float("inf")


@dataclass
class ClusterReport:
    """What clustering did (counts only)."""

    clusters: int = 0
    edges_used: int = 0
    cannot_link_pairs: int = 0
    cannot_link_edges_dropped: int = 0
    cannot_link_conflicts: list[tuple[str, str]] = field(default_factory=list)
    oversized_split: int = 0


def components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Connected-component label per node 0..n-1 of the undirected graph with edges (i, j)."""
    g = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n))
    return connected_components(g, directed=False)[1]


@dataclass(frozen=True)
class ClusterConstraints:
    """What may and may not be in one cluster, besides the edges: all optional.

    Attributes:
        must_link / cannot_link: ``record_key_l, record_key_r`` pairs from the stewards.
        max_cluster_size: components above this are re-clustered at ``split_thresholds``.
        split_thresholds: the stricter match thresholds tried in turn for an oversized component.
        exclusive_source: ``record_key, source_system`` of records from duplicate-free sources:
            two records of one such source are never in one cluster (cannot-link).
    """

    must_link: pl.DataFrame | None = None
    cannot_link: pl.DataFrame | None = None
    max_cluster_size: int = 0
    split_thresholds: list[float] | None = None
    exclusive_source: pl.DataFrame | None = None


def cluster_records(record_keys: pl.Series, edges: pl.DataFrame, threshold: float,
                    constraints: ClusterConstraints | None = None) -> tuple[pl.DataFrame, ClusterReport]:
    """Cluster records.

    Args:
        record_keys: every record (singletons included).
        edges: ``record_key_l, record_key_r, match_probability, link_method``.
        threshold: probabilistic edges below this are ignored.
        constraints: steward overrides, the cluster size cap and duplicate-free sources.

    Returns:
        ``record_key, cluster, match_probability, link_method, linked_to`` (one row per record;
        ``linked_to`` is the other record of the record's strongest link) and a report.
    """
    cons = constraints or ClusterConstraints()
    must_link, cannot_link, exclusive_source = cons.must_link, cons.cannot_link, cons.exclusive_source
    max_cluster_size, split_thresholds = cons.max_cluster_size, cons.split_thresholds
    rep = ClusterReport()
    keys = record_keys.unique(maintain_order=True).sort()
    idx = pl.DataFrame({"record_key": keys, "i": pl.arange(0, len(keys), eager=True, dtype=pl.Int64)})
    e = edges.select("record_key_l", "record_key_r", "match_probability", "link_method").filter(
        pl.col("match_probability") >= threshold
    )
    if must_link is not None and must_link.height:
        e = pl.concat([e, must_link.select("record_key_l", "record_key_r").with_columns(
            pl.lit(MUST).alias("match_probability"), pl.lit("must_link").alias("link_method"))])
    e = (e.join(idx.rename({"record_key": "record_key_l", "i": "a"}), on="record_key_l")
         .join(idx.rename({"record_key": "record_key_r", "i": "b"}), on="record_key_r")
         .filter(pl.col("a") != pl.col("b"))
         .with_columns(pl.min_horizontal("a", "b").alias("a"), pl.max_horizontal("a", "b").alias("b"))
         .sort("match_probability", descending=True).unique(["a", "b"], keep="first"))
    cannot = set()
    if cannot_link is not None and cannot_link.height:
        c = (cannot_link.join(idx.rename({"record_key": "record_key_l", "i": "a"}), on="record_key_l")
             .join(idx.rename({"record_key": "record_key_r", "i": "b"}), on="record_key_r"))
        cannot = {(min(a, b), max(a, b)) for a, b in zip(c["a"].to_list(), c["b"].to_list(), strict=True) if a != b}
        rep.cannot_link_pairs = len(cannot)
    if cannot:
        direct = pl.DataFrame({"a": [p[0] for p in cannot], "b": [p[1] for p in cannot]},
                              schema={"a": pl.Int64, "b": pl.Int64})
        e = e.join(direct, on=["a", "b"], how="anti")
    n = len(keys)
    a, b = e["a"].to_numpy(), e["b"].to_numpy()
    prob = e["match_probability"].to_numpy()
    keep = np.ones(len(a), dtype=bool)
    src = None
    if exclusive_source is not None and exclusive_source.height:
        codes = idx.join(exclusive_source.select("record_key", "source_system"), on="record_key", how="left") \
            .sort("i")["source_system"].cast(pl.Categorical).to_physical().fill_null(-1).to_numpy()
        src = codes.astype(np.int64)
        keep &= ~((src[a] >= 0) & (src[a] == src[b]) & np.isfinite(prob))
    labels = components(n, a[keep], b[keep])

    if max_cluster_size and split_thresholds:
        sizes = np.bincount(labels)
        big = np.flatnonzero(sizes > max_cluster_size)
        for t in split_thresholds:
            if not len(big):
                break
            in_big = np.isin(labels[a], big)
            keep &= ~(in_big & (prob < t))
            labels = components(n, a[keep], b[keep])
            sizes = np.bincount(labels)
            rep.oversized_split += len(big)
            big = np.flatnonzero(sizes > max_cluster_size)

    if src is not None:
        # records of one duplicate-free source in one cluster: keep them apart
        nodes = pl.DataFrame({"i": np.arange(n), "c": labels, "s": src}).filter(pl.col("s") >= 0)
        dup = nodes.filter(pl.len().over("c", "s") > 1)
        if dup.height:
            pairs = dup.join(dup, on=["c", "s"], suffix="_r").filter(pl.col("i") < pl.col("i_r"))
            cannot |= set(zip(pairs["i"].to_list(), pairs["i_r"].to_list(), strict=True))
    if cannot:
        labels, dropped = _split_cannot_links(a, b, prob, keep, labels, cannot, rep)
        rep.cannot_link_edges_dropped = dropped

    used = np.flatnonzero(keep)
    rep.edges_used = len(used)
    # per-record strongest link (for identity_link)
    kept = e.with_row_index("k").filter(pl.col("k").is_in(pl.Series(used, dtype=pl.UInt32).implode()))
    ends = pl.concat([kept.select(pl.col("a").alias("i"), pl.col("b").alias("j"), "match_probability", "link_method"),
                      kept.select(pl.col("b").alias("i"), pl.col("a").alias("j"), "match_probability", "link_method")])
    # the other end (j) breaks ties, so the record an equally strong link names is stable
    best = ends.with_columns(pl.col("link_method").replace_strict(METHOD_RANK, return_dtype=pl.Int8).alias("rank")) \
        .sort(["rank", "match_probability", "j"], descending=[True, True, False]).unique("i", keep="first") \
        .join(idx.rename({"record_key": "linked_to", "i": "j"}), on="j", how="left")
    out = idx.with_columns(pl.Series("cluster", labels, dtype=pl.Int64)).join(best, on="i", how="left")
    out = out.with_columns(
        pl.col("link_method").fill_null("singleton"),
        pl.when(pl.col("match_probability").is_infinite()).then(1.0)
        .otherwise(pl.col("match_probability")).alias("match_probability"),
    )
    rep.clusters = int(out["cluster"].n_unique())
    return out.select("record_key", "cluster", "match_probability", "link_method", "linked_to"), rep


def _split_cannot_links(a, b, prob, keep, labels, cannot, rep):
    """Drop the weakest edges on paths between cannot-link pairs until they separate."""
    dropped = 0
    affected = {labels[x] for x, y in cannot if labels[x] == labels[y]}
    if not affected:
        return labels, 0
    comp_edges = np.flatnonzero(keep & np.isin(labels[a], list(affected)))
    adj: dict[int, dict[int, int]] = defaultdict(dict)
    for k in comp_edges:
        adj[a[k]][b[k]] = k
        adj[b[k]][a[k]] = k
    for x, y in sorted(cannot):
        while True:
            path = _path(adj, x, y)
            if path is None:
                break
            breakable = [k for k in path if np.isfinite(prob[k])]
            if not breakable:
                rep.cannot_link_conflicts.append((x, y))
                log.warning("cannot-link pair (record indices %s, %s) is joined by must-link edges only", x, y)
                break
            k = min(breakable, key=lambda k: prob[k])
            keep[k] = False
            del adj[a[k]][b[k]]
            del adj[b[k]][a[k]]
            dropped += 1
    return components(len(labels), a[keep], b[keep]), dropped


def _path(adj, s, t):
    """Edge ids on a shortest path from s to t (BFS), or None."""
    prev = {s: None}
    q = deque([s])
    while q:
        u = q.popleft()
        if u == t:
            break
        for v, k in adj[u].items():
            if v not in prev:
                prev[v] = (u, k)
                q.append(v)
    if t not in prev:
        return None
    path, node = [], t
    while prev[node] is not None:
        u, k = prev[node]
        path.append(k)
        node = u
    return path
