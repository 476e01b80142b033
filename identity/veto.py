"""Hard-negative vetoes: contradictions that outrank shared household evidence.

Splink treats fields as independent, so twins or a parent and child who share an address,
an e-mail and a phone can score as one person. A scored pair whose first names clearly
disagree, or whose birth dates are years apart, is vetoed: it never links, and clustering
treats it like a steward's cannot-link (weakest edges on paths between them are dropped).
"""

from __future__ import annotations

from importlib import resources

import duckdb
import polars as pl

from cdp.config import IdentitySettings

VETO_SQL = resources.files("identity").joinpath("sql/veto.sql").read_text()
MACROS_SQL = resources.files("identity").joinpath("sql/veto_macros.sql").read_text()
STD_COLS = ["record_key", "first_name_std", "first_name_initials", "last_name_core", "name_suffix", "birth_date", "erp_key", "bonus_key"]


def vetoes(edges: pl.DataFrame, std: pl.DataFrame, cfg: IdentitySettings) -> pl.DataFrame:
    """``record_key_l, record_key_r, veto`` (veto null when the pair is not contradicted)."""
    con = duckdb.connect()
    try:
        con.execute(MACROS_SQL)
        con.register("edges", edges.select("record_key_l", "record_key_r").to_arrow())
        con.register("std", std.select(STD_COLS).to_arrow())
        rel = con.sql(VETO_SQL, params={"first_name_jw": cfg.veto_first_name_jw,
                                     "birth_year_gap": cfg.veto_birth_year_gap})
        return pl.from_arrow(rel.to_arrow_table())
    finally:
        con.close()


#: Veto reasons that only stop a link (the pair is not evidence enough) and are not cannot-links.
SOFT_VETOES = ("name_only_evidence", "contacts_disagree")


def evidence_vetoes(edges: pl.DataFrame) -> pl.DataFrame:
    """Soft vetoes from the comparison levels of scored pairs (``gamma_*`` columns).

    ``name_only_evidence``: nothing but the name (and a name-built e-mail, the city) agrees —
    common names collide. ``contacts_disagree``: both e-mails and both phones are present and
    differ and the birth dates do not agree — the household pattern of a parent and child with
    one name. Such a pair does not link on its own; other edges may still join the two records.
    """
    from identity.model import EMAIL_DIFFERENT, INDEPENDENT_EVIDENCE, PHONE_DIFFERENT_MAX

    need = set(INDEPENDENT_EVIDENCE)
    if edges.height == 0 or not need <= set(edges.columns):
        return edges
    strong = pl.any_horizontal([pl.col(c).fill_null(-1) >= v for c, v in INDEPENDENT_EVIDENCE.items()])
    contacts = ((pl.col("gamma_email") == EMAIL_DIFFERENT)
                & pl.col("gamma_phone").is_between(0, PHONE_DIFFERENT_MAX)
                & (pl.col("gamma_birth_date") < INDEPENDENT_EVIDENCE["gamma_birth_date"])
                & (pl.col("gamma_erp_key") < 1) & (pl.col("gamma_bonus_key") < 1))
    return edges.with_columns(
        pl.when(pl.col("veto").is_not_null()).then(pl.col("veto"))
        .when(~strong).then(pl.lit("name_only_evidence"))
        .when(contacts).then(pl.lit("contacts_disagree"))
        .otherwise(None).alias("veto")
    )


def conflict_pairs(clusters: pl.DataFrame, std: pl.DataFrame, cfg: IdentitySettings) -> pl.DataFrame:
    """Record pairs in one cluster that cannot be one person (``record_key_l, record_key_r``).

    Clusters join records transitively: a record without a birth date can bridge a parent and
    a child. Within each cluster, two records whose birth dates are more than
    ``veto_birth_year_gap`` years apart (and not a one-digit typo), or one ``sen`` and one
    ``jun``, become a cannot-link unless they share a trusted key.
    """
    cols = ["record_key", "birth_date", "name_suffix", "erp_key", "bonus_key"]
    x = clusters.select("record_key", "cluster").join(std.select(cols), on="record_key").filter(
        pl.col("birth_date").is_not_null() | pl.col("name_suffix").is_not_null())
    x = x.filter(pl.len().over("cluster") > 1)
    if x.height == 0:
        return pl.DataFrame(schema={"record_key_l": pl.String, "record_key_r": pl.String})
    p = x.join(x, on="cluster", suffix="_r").filter(pl.col("record_key") < pl.col("record_key_r"))
    gap_days = 365.25 * cfg.veto_birth_year_gap
    ymd = lambda c: pl.col(c).dt.strftime("%Y%m%d")  # noqa: E731
    digits_differ = pl.sum_horizontal([ymd("birth_date").str.slice(i, 1) != ymd("birth_date_r").str.slice(i, 1)
                                       for i in range(8)])
    dates = ((cfg.veto_birth_year_gap > 0)
             & ((pl.col("birth_date") - pl.col("birth_date_r")).dt.total_days().abs() > gap_days)
             & (digits_differ > 1)).fill_null(False)
    suffix = (pl.col("name_suffix") != pl.col("name_suffix_r")).fill_null(False)
    trusted = ((pl.col("erp_key") == pl.col("erp_key_r")) | (pl.col("bonus_key") == pl.col("bonus_key_r"))).fill_null(False)
    return p.filter((dates | suffix) & ~trusted).select(
        pl.col("record_key").alias("record_key_l"), "record_key_r")


def apply_vetoes(edges: pl.DataFrame, std: pl.DataFrame, cfg: IdentitySettings) -> pl.DataFrame:
    """``edges`` with a ``veto`` column."""
    if edges.height == 0:
        return edges.with_columns(pl.lit(None, pl.String).alias("veto"))
    v = vetoes(edges, std, cfg)
    return evidence_vetoes(edges.join(v, on=["record_key_l", "record_key_r"], how="left"))
