"""Deterministic pass: records sharing a trusted key value are the same person.

Keys are configured in ``IdentitySettings.deterministic_keys``. Merge protection: a value on
the blocklist never links; a value shared by more distinct persons than the key's
``max_persons`` (distinct first names or distinct birth dates among its records), or by more
records than ``max_records`` (default ``max_records_per_key``), does not link on its own — the
probabilistic model still sees the agreement as evidence. A key may ``require`` a second
column to agree (an e-mail links only records with the same first name).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cdp.config import IdentitySettings

EDGE_SCHEMA = pl.Schema(
    {"record_key_l": pl.String, "record_key_r": pl.String, "match_probability": pl.Float64,
     "link_method": pl.String, "rule": pl.String}
)


@dataclass
class KeyStats:
    """Counts of one key in one run (for the run log; no values)."""

    name: str
    values_linked: int
    values_blocked: int
    edges: int


def deterministic_edges(std: pl.DataFrame, cfg: IdentitySettings) -> tuple[pl.DataFrame, list[KeyStats]]:
    """Edges (star from the smallest record_key of each group) for every trusted key."""
    blocklist = pl.Series([v.strip().lower() for v in cfg.key_blocklist], dtype=pl.String)
    out, stats = [], []
    for key in cfg.deterministic_keys:
        col, name = key["column"], key.get("name", key["column"])
        max_persons = int(key.get("max_persons", 1))
        max_records = int(key.get("max_records", cfg.max_records_per_key))
        require = key.get("require")
        cols = ["record_key", col, "first_name_first", "birth_date"] + ([require] if require and require not in ("first_name_first",) else [])
        df = std.select(cols).filter(pl.col(col).is_not_null() & ~pl.col(col).str.to_lowercase().is_in(blocklist.implode()))
        per_value = df.group_by(col).agg(
            pl.len().alias("n"),
            pl.col("first_name_first").drop_nulls().n_unique().alias("n_first"),
            pl.col("birth_date").drop_nulls().n_unique().alias("n_dob"),
        ).filter(pl.col("n") > 1)
        ok = per_value.filter(
            (pl.max_horizontal("n_first", "n_dob") <= max_persons) & (pl.col("n") <= max_records)
        )
        blocked = per_value.height - ok.height
        grp = [col] + ([require] if require else [])
        linked = df.join(ok.select(col), on=col, how="semi")
        if require:
            linked = linked.filter(pl.col(require).is_not_null())
        edges = (
            linked.with_columns(pl.col("record_key").min().over(grp).alias("record_key_l"))
            .filter(pl.col("record_key") != pl.col("record_key_l"))
            .select(
                "record_key_l",
                pl.col("record_key").alias("record_key_r"),
                pl.lit(1.0).alias("match_probability"),
                pl.lit("deterministic").alias("link_method"),
                pl.lit(name).alias("rule"),
            )
        )
        out.append(edges)
        stats.append(KeyStats(name, ok.height, blocked, edges.height))
    edges = pl.concat(out) if out else pl.DataFrame(schema=EDGE_SCHEMA)
    return edges.unique(["record_key_l", "record_key_r"], keep="first", maintain_order=True), stats
