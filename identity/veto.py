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


def apply_vetoes(edges: pl.DataFrame, std: pl.DataFrame, cfg: IdentitySettings) -> pl.DataFrame:
    """``edges`` with a ``veto`` column."""
    if edges.height == 0:
        return edges.with_columns(pl.lit(None, pl.String).alias("veto"))
    v = vetoes(edges, std, cfg)
    return edges.join(v, on=["record_key_l", "record_key_r"], how="left")
