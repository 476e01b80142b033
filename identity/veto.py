"""Hard-negative vetoes: contradictions that outrank shared household evidence.

Splink treats fields as independent, so twins or a parent and child who share an address,
an e-mail and a phone can score as one person. A scored pair of a "sen." and a "jun." or whose
e-mails are two different mailboxes is vetoed: it never links, and clustering treats it like a
steward's cannot-link (weakest edges on paths between them are dropped). First names that
disagree and birth dates years apart veto only a pair whose records both carry an e-mail or a
phone (a household may share them, or they are two persons' own: :func:`shared_contact`); otherwise they are evidence the model weighs (comparison
levels with estimated m/u): ``benchmarks/identity_public.py`` found every unconditional such
veto wrong on FEBRL3/FEBRL4. Which contact variants (the same local part at another provider,
a similar address, two mobiles) are two persons' own rather than one person's is read off the
data's labelled pairs each run (:func:`contact_check`). Soft vetoes (:data:`SOFT_VETOES`) only
keep a pair from linking on its own: too little evidence, or a household with two persons of one
name.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

import duckdb
import polars as pl

from cdp.config import IdentitySettings
from cdp.db import frame
from identity.cluster import components
from identity.model import (
    EMAIL_DIFFERENT,
    EMAIL_EXACT,
    EMAIL_NUMBERED,
    EMAIL_OTHER_DOMAIN,
    EMAIL_SIMILAR,
    EMAIL_TAG,
    INDEPENDENT_EVIDENCE,
    PHONE_DIFFERENT_MAX,
    PHONE_TWO_MOBILES,
)

VETO_SQL = resources.files("identity").joinpath("sql/veto.sql").read_text()
MACROS_SQL = resources.files("identity").joinpath("sql/veto_macros.sql").read_text()
STD_COLS = ["record_key", "first_name_std", "first_name_initials", "last_name_core", "name_suffix", "birth_date", "erp_key", "bonus_key"]


def shared_contact(edges: pl.DataFrame) -> pl.Expr:
    """True where both records carry an e-mail or both a phone: if they agree, a household may
    share them; if they differ, they are two persons' own. Either way first names or birth dates
    that disagree decide. Without contacts on both sides (FEBRL) the model weighs them instead."""
    conds = []
    if "gamma_email" in edges.columns:
        conds.append(pl.col("gamma_email").fill_null(-1) >= 0)
    if "gamma_phone" in edges.columns:
        conds.append(pl.col("gamma_phone").fill_null(-1) >= 0)
    return (pl.any_horizontal(conds) if conds else pl.lit(False)).alias("shared_contact")


#: Trusted-key columns whose shared values give labelled same-person pairs (not e-mail: it links
#: only records with the same first name, so it cannot show first names that disagree).
LABEL_KEYS = ("erp_key", "bonus_key")
#: Fewer labelled pairs than this say nothing; a share of them above :data:`LABEL_MAX_DISAGREE`
#: with first names or birth dates that disagree means such values get replaced in this data.
LABEL_MIN_PAIRS, LABEL_MAX_DISAGREE = 100, 0.02
#: A contact variant level that more than this share of labelled pairs with that contact on both
#: sides show is one person's variant in this data (:func:`contact_check`): the rule it enables is
#: a cannot-link, so its bar is below the first-name check's (at 10k persons the simulator's
#: numbered second accounts show on 1.2 % (realistic) and 4.3 % (hard) of labelled pairs, the
#: other variants on none).
LABEL_VARIANT_MAX_SHARE = 0.005
#: Key-linked pairs count as labelled only when their surnames are at least this similar.
LABEL_SURNAME_JW = 0.9

LABEL_SQL = """
SELECT count(*) AS n,
       count(*) FILTER (WHERE l.first_name_std IS NOT NULL AND r.first_name_std IS NOT NULL
                        AND NOT first_names_compatible(l.first_name_std, r.first_name_std, $jw)) AS first_differ,
       count(*) FILTER (WHERE abs(date_diff('day', l.birth_date, r.birth_date)) > 365.25 * $gap
                        AND damerau_levenshtein(strftime(l.birth_date, '%Y%m%d'), strftime(r.birth_date, '%Y%m%d')) > 1
                       ) AS dates_differ
FROM pairs p JOIN std l ON l.record_key = p.record_key_l JOIN std r ON r.record_key = p.record_key_r
-- a cross-reference is sometimes wrong (a CRM contact carrying another customer's number): only
-- pairs whose surnames also agree are taken as labelled (not swapped names: their first names
-- would count as disagreeing)
WHERE jaro_winkler_similarity(l.last_name_core, r.last_name_core) >= $surname_jw
"""


def key_pairs(std: pl.DataFrame, cfg: IdentitySettings) -> pl.DataFrame:
    """``record_key_l, record_key_r`` of records sharing an ERP number or bonus card value (at most
    ``max_records_per_key`` records per value), before any merge protection: the key says they
    are one person whatever their names say."""
    out = []
    for col in LABEL_KEYS:
        g = std.select("record_key", col).drop_nulls().filter(pl.len().over(col).is_between(2, cfg.max_records_per_key))
        p = g.join(g, on=col, suffix="_r").filter(pl.col("record_key") < pl.col("record_key_r"))
        out.append(p.select(pl.col("record_key").alias("record_key_l"), "record_key_r"))
    return pl.concat(out).unique()


def labelled_check(std: pl.DataFrame, cfg: IdentitySettings) -> dict:
    """Check the first-name and birth-date vetoes on pairs a trusted key links (:func:`key_pairs`).

    Returns ``{"pairs", "first_names_differ", "birth_dates_differ", "always"}``: ``always`` is True
    when at least :data:`LABEL_MIN_PAIRS` key-linked pairs exist and at most
    :data:`LABEL_MAX_DISAGREE` of them have first names or birth dates that disagree — then the
    vetoes hold on every scored pair, not only where contacts are on both sides.
    """
    pairs = key_pairs(std, cfg)
    out = {"pairs": 0, "first_names_differ": 0, "birth_dates_differ": 0, "always": False}
    if pairs.height == 0:
        return out
    con = duckdb.connect()
    try:
        con.execute(MACROS_SQL)
        con.register("pairs", pairs.select("record_key_l", "record_key_r").to_arrow())
        con.register("std", std.select("record_key", "first_name_std", "last_name_core", "birth_date").to_arrow())
        n, fd, dd = con.sql(LABEL_SQL, params={"jw": cfg.veto_first_name_jw, "gap": cfg.veto_birth_year_gap,
                                               "surname_jw": LABEL_SURNAME_JW}).fetchall()[0]
    finally:
        con.close()
    out.update(pairs=n, first_names_differ=fd, birth_dates_differ=dd)
    out["always"] = n >= LABEL_MIN_PAIRS and max(fd, dd) <= LABEL_MAX_DISAGREE * n
    return out


#: Contact levels of two different addresses / numbers that may still be one person's: an e-mail
#: at another provider with the same local part, a numbered second account, a similar address;
#: two different mobile numbers (``comparison:gamma`` of :func:`identity.model.comparisons`).
CONTACT_VARIANT_LEVELS = {f"email:{EMAIL_OTHER_DOMAIN}": "e-mail: same local part, other domain",
                          f"email:{EMAIL_NUMBERED}": "e-mail: same local part plus a number",
                          f"email:{EMAIL_SIMILAR}": "e-mail: similar",
                          f"phone:{PHONE_TWO_MOBILES}": "phone: both have a mobile, different"}


def contact_check(edges: pl.DataFrame, std: pl.DataFrame) -> dict:
    """Check on labelled pairs which contact variants one person's two records show.

    Labelled pairs are the scored pairs that share an ERP number or bonus card value, with
    surnames at least :data:`LABEL_SURNAME_JW` similar (as in :func:`labelled_check`). For each
    variant level of :data:`CONTACT_VARIANT_LEVELS`: among the labelled pairs with that contact
    on both sides (at least :data:`LABEL_MIN_PAIRS`), a level that at most
    :data:`LABEL_VARIANT_MAX_SHARE` of them show is not how one person's contacts differ in this data:
    there it counts as two persons' own mailboxes / numbers (``contacts_disagree``,
    :func:`evidence_vetoes`). Where people use one local part at several providers or change
    their mobile number, the labelled pairs show it and the level stays a possible variant.

    Returns ``{"pairs": {comparison: labelled pairs with it on both sides}, "levels": {label:
    labelled pairs at that level}, "distinct": ["comparison:gamma", ...]}``.
    """
    out: dict = {"pairs": {}, "levels": {}, "distinct": []}
    comps = sorted({k.split(":")[0] for k in CONTACT_VARIANT_LEVELS})
    need = {f"gamma_{c}" for c in comps} | {"gamma_erp_key", "gamma_bonus_key"}
    if edges.height == 0 or not need <= set(edges.columns):
        return out
    e = edges.filter((pl.col("gamma_erp_key") == 1) | (pl.col("gamma_bonus_key") == 1))
    con = duckdb.connect()
    try:
        con.register("e", e.select("record_key_l", "record_key_r", *[f"gamma_{c}" for c in comps]).to_arrow())
        con.register("n", std.select("record_key", "last_name_core").to_arrow())
        lab = frame(con.sql("SELECT e.* FROM e JOIN n l ON l.record_key = e.record_key_l "
                            "JOIN n r ON r.record_key = e.record_key_r "
                            "WHERE jaro_winkler_similarity(l.last_name_core, r.last_name_core) >= $jw",
                            params={"jw": LABEL_SURNAME_JW}))
    finally:
        con.close()
    for c in comps:
        out["pairs"][c] = int((lab[f"gamma_{c}"].fill_null(-1) >= 0).sum())
    for key, label in CONTACT_VARIANT_LEVELS.items():
        c, g = key.split(":")
        n, k = out["pairs"][c], int((lab[f"gamma_{c}"] == int(g)).sum())
        out["levels"][label] = k
        if n >= LABEL_MIN_PAIRS and k <= LABEL_VARIANT_MAX_SHARE * n:
            out["distinct"].append(key)
    return out


def vetoes(edges: pl.DataFrame, std: pl.DataFrame, cfg: IdentitySettings, always: bool = False) -> pl.DataFrame:
    """``record_key_l, record_key_r, veto`` (veto null when the pair is not contradicted).

    ``always``: the first-name and birth-date vetoes apply to every pair (see
    :func:`labelled_check`), not only where both records carry contacts.
    """
    con = duckdb.connect()
    try:
        con.execute(MACROS_SQL)
        contact = pl.lit(True).alias("shared_contact") if always else shared_contact(edges)
        con.register("edges", edges.select("record_key_l", "record_key_r", contact).to_arrow())
        con.register("std", std.select(STD_COLS).to_arrow())
        rel = con.sql(VETO_SQL, params={"first_name_jw": cfg.veto_first_name_jw,
                                     "birth_year_gap": cfg.veto_birth_year_gap})
        return frame(rel)
    finally:
        con.close()


#: Veto reasons that only stop a link (the pair is not evidence enough) and are not cannot-links.
SOFT_VETOES = ("name_only_evidence", "ambiguous_household")
#: Blocks for finding one name at one address (see :func:`ambiguous_groups`); blocks with more
#: records than :data:`MAX_HOUSEHOLD_GROUP` are skipped (a very common name in a big postcode area).
HOUSEHOLD_BLOCKS = [
    ("postcode_std", "last_name_core"), ("postcode_std", "first_name_first"), ("postcode_std", "name_pair"),
    ("street_std", "house_number_std", "last_name_core"), ("street_std", "house_number_std", "first_name_first"),
]
MAX_HOUSEHOLD_GROUP = 60
#: Jaro-Winkler at or above which two first names / last names count as one name in a household.
HOUSEHOLD_NAME_JW = 0.9


def evidence_vetoes(edges: pl.DataFrame, cfg: IdentitySettings | None = None,
                    distinct: list[str] | tuple[str, ...] = ()) -> pl.DataFrame:
    """Vetoes from the comparison levels of scored pairs (``gamma_*`` columns).

    ``name_only_evidence`` (soft): nothing but the name (and a name-built e-mail, the city)
    agrees — common names collide; other edges may still join the two records.
    ``contacts_disagree`` (a cannot-link): the e-mails are two different mailboxes (not even a
    ``+tag``, Gmail-dot, other-provider or second-account variant), no phone agrees (with
    ``cfg.veto_differing_emails`` off: both phones present and different), the birth dates do
    not agree and no trusted key is shared — the household pattern of a parent and child with
    one name. ``distinct``: contact variant levels that this data's labelled pairs showed to be
    no variant of one person's (:func:`contact_check`) count as two persons' own: e-mail levels
    as two mailboxes; two different mobiles as two persons' numbers when no e-mail agrees either.
    """

    need = set(INDEPENDENT_EVIDENCE)
    if edges.height == 0 or not need <= set(edges.columns):
        return edges
    strong = pl.any_horizontal([pl.col(c).fill_null(-1) >= v for c, v in INDEPENDENT_EVIDENCE.items()])
    cfg = cfg or IdentitySettings()
    phone_ok = (pl.col("gamma_phone") <= PHONE_DIFFERENT_MAX if cfg.veto_differing_emails
                else pl.col("gamma_phone").is_between(0, PHONE_DIFFERENT_MAX))
    email_two = pl.col("gamma_email").is_in([EMAIL_DIFFERENT] + [int(k.split(":")[1]) for k in distinct
                                                                 if k.startswith("email:")])
    mobiles_two = pl.lit(f"phone:{PHONE_TWO_MOBILES}" in distinct) & (pl.col("gamma_phone") == PHONE_TWO_MOBILES)
    contacts = (((email_two & phone_ok) | (mobiles_two & (email_two | (pl.col("gamma_email").fill_null(-1) < 0))))
                & (pl.col("gamma_birth_date") < INDEPENDENT_EVIDENCE["gamma_birth_date"])
                & (pl.col("gamma_erp_key") < 1) & (pl.col("gamma_bonus_key") < 1))
    return edges.with_columns(
        pl.when(pl.col("veto").is_not_null()).then(pl.col("veto"))
        .when(~strong).then(pl.lit("name_only_evidence"))
        .when(contacts).then(pl.lit("contacts_disagree"))
        .otherwise(None).alias("veto")
    )


def _distinct_persons(cfg: IdentitySettings, dates: bool = True) -> pl.Expr:
    """On a self-joined frame (``_r`` suffix): the two records cannot be one person."""
    gap_days = 365.25 * cfg.veto_birth_year_gap
    ymd = lambda c: pl.col(c).dt.strftime("%Y%m%d")  # noqa: E731
    digits_differ = pl.sum_horizontal([ymd("birth_date").str.slice(i, 1) != ymd("birth_date_r").str.slice(i, 1)
                                       for i in range(8)])
    far_apart = (pl.lit(dates and cfg.veto_birth_year_gap > 0)
                 & ((pl.col("birth_date") - pl.col("birth_date_r")).dt.total_days().abs() > gap_days)
                 & (digits_differ > 1)).fill_null(False)
    suffix = (pl.col("name_suffix") != pl.col("name_suffix_r")).fill_null(False)
    trusted = ((pl.col("erp_key") == pl.col("erp_key_r")) | (pl.col("bonus_key") == pl.col("bonus_key_r"))).fill_null(False)
    return (far_apart | suffix) & ~trusted


#: One name (typos, swapped first and last) at one address (postcode, or street + number with a
#: postcode typo / the same city), for a pair ``l``, ``r`` of one block.
HOUSEHOLD_PAIR_CONDITION = """
((jaro_winkler_similarity(l.first_name_first, r.first_name_first) >= $jw
  AND jaro_winkler_similarity(l.last_name_core, r.last_name_core) >= $jw)
 OR (jaro_winkler_similarity(l.first_name_first, r.last_name_core) >= $jw
     AND jaro_winkler_similarity(l.last_name_core, r.first_name_first) >= $jw))
AND (l.postcode_std = r.postcode_std
     OR (l.street_std = r.street_std AND l.house_number_std = r.house_number_std
         AND (l.city_std = r.city_std OR damerau_levenshtein(l.postcode_std, r.postcode_std) <= 1
              OR l.postcode_std IS NULL OR r.postcode_std IS NULL)))
"""


#: The columns the household blocks and :data:`HOUSEHOLD_PAIR_CONDITION` read (besides ``i``).
HOUSEHOLD_COLUMNS = sorted({c for b in HOUSEHOLD_BLOCKS for c in b} - {"name_pair"} | {"city_std"})
#: ``hh``: the records of ``recs`` with their name pair (first and last name in either order).
HOUSEHOLD_TABLE_SQL = ("SELECT *, least(first_name_first, last_name_core) || ' ' || "
                       "greatest(first_name_first, last_name_core) AS name_pair FROM recs")


def _household_block_sql(block: tuple[str, ...]) -> str:
    key = ", ".join(block)
    notnull = " AND ".join(f"{c} IS NOT NULL" for c in block)
    return (f"SELECT l.i, r.i AS j FROM (SELECT * FROM hh WHERE {notnull} "
            f"QUALIFY count(*) OVER (PARTITION BY {key}) BETWEEN 2 AND {MAX_HOUSEHOLD_GROUP}) l "
            f"JOIN hh r USING ({key}) WHERE l.i < r.i AND {HOUSEHOLD_PAIR_CONDITION}")


def household_pairs_sql() -> str:
    """Every block's pairs in one statement over a table ``recs`` (``i`` and
    :data:`HOUSEHOLD_COLUMNS`), the threshold written in: for ``cdp identify``, which prepares
    it once and runs it on a few dozen records (duplicate pairs possible)."""
    blocks = " UNION ALL ".join(f"({_household_block_sql(b)})" for b in HOUSEHOLD_BLOCKS)
    return f"WITH hh AS ({HOUSEHOLD_TABLE_SQL}) {blocks}".replace("$jw", repr(float(HOUSEHOLD_NAME_JW)))


#: Runs :func:`household_pairs_sql` on the ``recs`` frame given (``i``, ``j``).
PairsOf = Callable[[pl.DataFrame], pl.DataFrame]


def _household_pairs(g: pl.DataFrame, cfg: IdentitySettings, pairs_of: PairsOf | None = None) -> pl.DataFrame:
    """Index pairs ``i < j`` of records with one name (typos, swapped first/last) at one address.

    One query per block (:data:`HOUSEHOLD_BLOCKS`), the condition applied inside the block's
    join, so only one block's hash table and the matching pairs are held at a time (1M persons:
    ~23 M candidate pairs, 2.5 M kept). ``pairs_of``: all blocks at once by that function
    instead (``cdp identify``: a few dozen records, a prepared statement).
    """
    if pairs_of is not None:
        return pairs_of(g.select("i", *HOUSEHOLD_COLUMNS)).unique()
    con = duckdb.connect()
    try:
        if cfg.duckdb_threads:
            con.execute(f"SET threads = {int(cfg.duckdb_threads)}")
        if cfg.duckdb_memory_limit:
            con.execute("SET memory_limit = ?", [cfg.duckdb_memory_limit])
        con.execute("SET preserve_insertion_order = false")
        con.register("recs", g.select("i", *HOUSEHOLD_COLUMNS).to_arrow())
        con.execute(f"CREATE TEMP TABLE hh AS {HOUSEHOLD_TABLE_SQL}")
        con.unregister("recs")
        out = [frame(con.sql(_household_block_sql(block), params={"jw": HOUSEHOLD_NAME_JW}))
               for block in HOUSEHOLD_BLOCKS]
        return pl.concat(out).unique()
    finally:
        con.close()


def ambiguous_groups(std: pl.DataFrame, cfg: IdentitySettings, distinct: pl.DataFrame | None = None,
                     pairs_of: PairsOf | None = None) -> pl.DataFrame:
    """``record_key, household_group`` of records whose name-at-address group holds several persons.

    Records with one name at one address — allowing a typo in either name, swapped first and
    last names, a postcode typo or a street spelt differently within one postcode — are usually
    one person, unless the group itself shows two: a ``sen`` or ``jun`` (it exists because
    someone else there has the name), two same-name records with birth dates years apart, two
    records of one duplicate-free source (``duplicate_free_sources``: their own master data
    holds two customers of that name there), or a pair of ``distinct`` (``record_key_l,
    record_key_r`` known to be two persons, e.g. each with an own mailbox: ``contacts_disagree``).
    Then name + address say nothing about which of them a record without a birth date belongs to
    (``pairs_of``: see :func:`_household_pairs`). (Two different ERP numbers or bonus cards
    claimed in the group are no such sign: at 100k hard 99 % of the pairs it would have held
    apart were one person with a stale or wrong cross-reference.)
    """
    empty = pl.DataFrame(schema={"record_key": pl.String, "household_group": pl.UInt64})
    cols = ["record_key", "source_system", "first_name_first", "last_name_core", "postcode_std", "street_std",
            "house_number_std", "city_std", "birth_date", "name_suffix", "erp_key", "bonus_key"]
    g = (std.select(cols)
         .filter(pl.col("first_name_first").is_not_null() & pl.col("last_name_core").is_not_null()
                 & (pl.col("postcode_std").is_not_null() | pl.col("street_std").is_not_null()))
         .with_row_index("i"))
    if g.height == 0:
        return empty
    pairs = _household_pairs(g, cfg, pairs_of)
    if pairs.height == 0:
        return empty
    comp = components(g.height, pairs["i"].to_numpy(), pairs["j"].to_numpy())
    g = g.with_columns(pl.Series("household_group", comp, dtype=pl.UInt64))
    g = g.filter(pl.len().over("household_group") > 1).filter(pl.len().over("household_group") <= MAX_HOUSEHOLD_GROUP)
    # what _distinct_persons and the duplicate-free-source rule read (a shared key overrides them)
    info = ["i", "source_system", "birth_date", "name_suffix", "erp_key", "bonus_key"]
    p = (pairs.join(g.select(info), on="i").join(g.select(pl.col(info).name.suffix("_r")), left_on="j", right_on="i_r"))
    same_exclusive = ((pl.col("source_system") == pl.col("source_system_r"))
                      & pl.col("source_system").is_in(list(cfg.duplicate_free_sources)))
    two = p.filter(_distinct_persons(cfg) | same_exclusive).select("i")
    flagged = [g.filter(pl.col("name_suffix").is_not_null()).select("household_group"),
               g.join(two, on="i", how="semi").select("household_group")]
    if distinct is not None and distinct.height:
        hg = g.select("record_key", "household_group")
        d = (distinct.select("record_key_l", "record_key_r")
             .join(hg.rename({"record_key": "record_key_l"}), on="record_key_l")
             .join(hg.rename({"record_key": "record_key_r", "household_group": "_r"}), on="record_key_r")
             .filter(pl.col("household_group") == pl.col("_r")))
        flagged.append(d.select("household_group"))
    many = pl.concat(flagged).unique()
    return g.join(many, on="household_group", how="semi").select("record_key", "household_group")


def household_vetoes(edges: pl.DataFrame, std: pl.DataFrame, cfg: IdentitySettings,
                     pairs_of: PairsOf | None = None) -> pl.DataFrame:
    """Soft veto ``ambiguous_household`` on scored pairs touching an :func:`ambiguous_groups`
    record whose only evidence is name + address (no birth date, e-mail, phone or trusted key
    agrees): with two persons of that name there, such a pair could be either of them
    (``pairs_of``: see :func:`_household_pairs`)."""

    need = [c for c in INDEPENDENT_EVIDENCE if c != "gamma_address"]
    if edges.height == 0 or not cfg.ambiguous_household_veto or not set(need) <= set(edges.columns):
        return edges
    # two records of a group that are two persons by their own contacts show the household has two
    grp = ambiguous_groups(std, cfg, edges.filter(pl.col("veto") == "contacts_disagree"), pairs_of)
    if grp.height == 0:
        return edges
    e = (edges.join(grp.rename({"record_key": "record_key_l", "household_group": "_gl"}), on="record_key_l", how="left")
         .join(grp.rename({"record_key": "record_key_r", "household_group": "_gr"}), on="record_key_r", how="left"))
    # in such a household the same Gmail mailbox with and without a dot is two persons' addresses
    # ("thomaskaiser@", "thomas.kaiser@"): only the exact e-mail or a +tag variant of it counts
    strong = pl.any_horizontal([pl.col("gamma_email").is_in([EMAIL_EXACT, EMAIL_TAG]).fill_null(False)]
                               + [pl.col(c).fill_null(-1) >= INDEPENDENT_EVIDENCE[c] for c in need if c != "gamma_email"])
    ambiguous = (pl.col("_gl").is_not_null() | pl.col("_gr").is_not_null()) & ~strong
    return e.with_columns(
        pl.when(pl.col("veto").is_null() & ambiguous).then(pl.lit("ambiguous_household"))
        .otherwise(pl.col("veto")).alias("veto")
    ).drop("_gl", "_gr")


def conflict_pairs(clusters: pl.DataFrame, std: pl.DataFrame, cfg: IdentitySettings,
                   direct: pl.DataFrame | None = None) -> pl.DataFrame:
    """Record pairs in one cluster that cannot be one person (``record_key_l, record_key_r``).

    Clusters join records transitively: a record without a birth date can bridge a parent and
    a child. Within each cluster, one ``sen`` and one ``jun`` become a cannot-link unless they
    share a trusted key or were scored as a match themselves (``direct``: ``record_key_l,
    record_key_r`` of matching edges). Birth dates years apart were such a conflict too, until
    the public benchmark found it wrong on every FEBRL3 pair it split (a replaced birth date):
    the model weighs birth dates on each scored pair instead.
    """
    cols = ["record_key", "birth_date", "name_suffix", "erp_key", "bonus_key"]
    x = clusters.select("record_key", "cluster").join(std.select(cols), on="record_key").filter(
        pl.col("birth_date").is_not_null() | pl.col("name_suffix").is_not_null())
    x = x.filter(pl.len().over("cluster") > 1)
    if x.height == 0:
        return pl.DataFrame(schema={"record_key_l": pl.String, "record_key_r": pl.String})
    p = x.join(x, on="cluster", suffix="_r").filter(pl.col("record_key") < pl.col("record_key_r"))
    out = p.filter(_distinct_persons(cfg, dates=False)).select(pl.col("record_key").alias("record_key_l"), "record_key_r")
    if direct is not None and direct.height:
        out = out.join(direct.select("record_key_l", "record_key_r"), on=["record_key_l", "record_key_r"], how="anti")
    return out


def apply_vetoes(edges: pl.DataFrame, std: pl.DataFrame, cfg: IdentitySettings, always: bool = False,
                 distinct: list[str] | tuple[str, ...] = ()) -> pl.DataFrame:
    """``edges`` with a ``veto`` column (``always``: see :func:`vetoes`; ``distinct``: see
    :func:`evidence_vetoes`)."""
    if edges.height == 0:
        return edges.with_columns(pl.lit(None, pl.String).alias("veto"))
    v = vetoes(edges, std, cfg, always)
    e = evidence_vetoes(edges.join(v, on=["record_key_l", "record_key_r"], how="left"), cfg, distinct)
    return household_vetoes(e, std, cfg)
