"""The evidence that linked each record: ``data/lake/identity/link_evidence.parquet``.

One row per record that clustering joined to another: the edge it kept for the record (the
strongest by method, then probability, as ``identity_link.link_method`` / ``match_probability``
say), the other record of that edge, the rule (a trusted key's name, ``must_link``), the match
probability and weight, and per comparison the level that applied (``fields``: comparison,
level, its label from the model, whether it is the comparison's top level, match weight).
``profiles/sql/person_record.sql`` words why a record belongs to its customer from it, so the
reason shown to agents and stewards is what identity decided, not a re-derivation.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

FIELD = pl.Struct({"comparison": pl.String, "level": pl.Int32, "label": pl.String, "top_level": pl.Boolean,
                   "match_weight": pl.Float64})
SCHEMA = pl.Schema([
    ("record_key", pl.String()), ("linked_to", pl.String()), ("link_method", pl.String()), ("rule", pl.String()),
    ("match_probability", pl.Float64()), ("match_weight", pl.Float64()), ("fields", pl.List(FIELD)),
])


def level_labels(model_json: Path) -> dict[str, dict[int, str]]:
    """Per comparison of a saved model (its JSON file): comparison vector value (gamma) -> the
    level's label."""
    d = json.loads(model_json.read_text())
    out = {}
    for c in d["comparisons"]:
        labels = {}
        n = sum(1 for lv in c["comparison_levels"] if not lv.get("is_null_level"))
        i = n - 1
        for lv in c["comparison_levels"]:
            if lv.get("is_null_level"):
                labels[-1] = lv.get("label_for_charts", "null")
            else:
                labels[i] = lv.get("label_for_charts") or lv.get("sql_condition", "")
                i -= 1
        out[c["output_column_name"]] = labels
    return out


def link_evidence(clusters: pl.DataFrame, edges: pl.DataFrame, labels: dict[str, dict[int, str]]) -> pl.DataFrame:
    """The evidence row of every linked record.

    Args:
        clusters: clustering's output, ``record_key, cluster, link_method, match_probability,
            linked_to`` (one row per record; ``linked_to`` NULL for a singleton).
        edges: every edge of the run (deterministic with ``rule``, scored with ``gamma_*`` and
            ``mw_*`` columns, steward must-links), pairs ordered ``record_key_l < record_key_r``.
        labels: :func:`level_labels` of the model that scored the edges.
    """
    linked = clusters.filter(pl.col("linked_to").is_not_null()).join(
        clusters.select(pl.col("record_key").alias("linked_to"), pl.col("cluster").alias("other_cluster")),
        on="linked_to", how="left",
    ).filter(pl.col("cluster") == pl.col("other_cluster")).with_columns(
        pl.min_horizontal("record_key", "linked_to").alias("record_key_l"),
        pl.max_horizontal("record_key", "linked_to").alias("record_key_r"),
    )
    pair = ["record_key_l", "record_key_r"]
    wanted = linked.select(pair).unique()
    rules = (edges.filter(pl.col("link_method").is_in(["deterministic", "must_link"]))
             .join(wanted, on=pair, how="semi")
             .with_columns(pl.when(pl.col("link_method") == "must_link").then(pl.lit("must_link"))
                           .otherwise(pl.col("rule")).alias("rule"))
             .group_by(pair).agg(pl.col("rule").drop_nulls().unique().sort().str.join(", ")))
    comps = [c for c in labels if f"gamma_{c}" in edges.columns]
    # only the edges clustering kept (about one per linked record, not every scored pair: at 1M
    # persons 3.5M edges, and the per-field rows below are the costly part)
    scored = (edges.filter(pl.col("link_method") == "probabilistic").join(wanted, on=pair, how="semi")
              .unique(pair, keep="first")
              .with_columns((pl.col("match_weight").cast(pl.Float64) if "match_weight" in edges.columns
                             else pl.lit(None, pl.Float64)).alias("scored_weight")))
    # one row per pair and comparison that has a level, in comparison order, then one list per pair
    per_field = [
        scored.select(
            *pair, pl.lit(i, pl.Int32).alias("_order"),
            pl.struct(
                pl.lit(c).alias("comparison"),
                pl.col(f"gamma_{c}").cast(pl.Int32).alias("level"),
                pl.col(f"gamma_{c}").cast(pl.Int32).replace_strict(labels[c], default=None, return_dtype=pl.String)
                .alias("label"),
                (pl.col(f"gamma_{c}") == max(labels[c])).alias("top_level"),
                (pl.col(f"mw_{c}").cast(pl.Float64) if f"mw_{c}" in edges.columns else pl.lit(None, pl.Float64))
                .alias("match_weight"),
            ).alias("field"),
        ).filter(pl.col("field").struct.field("level").is_not_null())
        for i, c in enumerate(comps)
    ]
    fields = (pl.concat(per_field).sort([*pair, "_order"]).group_by(pair, maintain_order=True)
              .agg(pl.col("field").alias("fields")) if per_field
              else pl.DataFrame(schema={"record_key_l": pl.String, "record_key_r": pl.String,
                                        "fields": pl.List(FIELD)}))
    scored = scored.select(*pair, "scored_weight").join(fields, on=pair, how="left")
    out = (linked.join(rules, on=pair, how="left").join(scored, on=pair, how="left")
           .with_columns(pl.col("scored_weight").alias("match_weight"),
                         pl.col("fields").fill_null(pl.lit([], pl.List(FIELD)))))
    return out.select(list(SCHEMA.keys())).cast(SCHEMA).sort("record_key")
