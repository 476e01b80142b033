"""The model set-up derived from the data: which comparisons, which blocking rules, which link type.

No canonical person field is required. :func:`derive_setup` looks at the Splink input (one row
per person record, see :func:`identity.model.splink_input`), measures the fill rate of every
field group per source and keeps:

* the comparisons whose fields are filled in at least :data:`MIN_FILL` of the records (a field
  empty everywhere contributes nothing and breaks nothing);
* the prediction and training blocking rules whose columns are all present;
* ``dedupe_only`` for one source system, ``link_and_dedupe`` for several.

The set-up is printed by ``cdp resolve`` / ``cdp identity train`` (:meth:`ModelSetup.describe`),
saved in the model JSON (``cdp_setup``), and can be overridden in settings
(``identity.comparisons``, ``identity.blocking_rules``, ``identity.training_blocking_rules``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import polars as pl

from cdp.config import IdentitySettings

#: A field group counts as present when at least this share of all records fills it.
MIN_FILL = 0.01

#: Field groups: the comparison of that name needs any of these Splink input columns filled.
FIELD_GROUPS: dict[str, list[str]] = {
    "name": ["first_name_std", "last_name_core"],
    "birth_date": ["birth_date"],
    "email": ["email_std"],
    "phone": ["phone_e164", "mobile_e164"],
    "address": ["postcode_std", "street_std", "city_std"],
    "erp_key": ["erp_key"],
    "bonus_key": ["bonus_key"],
}

#: Prediction blocking, in order; each rule names the columns it joins on (an SQL string for the
#: swapped-names rule). A rule is used when all its columns are present.
PREDICTION_RULES: list[tuple[str, ...]] = [
    ("email_block",), ("mobile_block",), ("phone_block",), ("erp_key",), ("bonus_key",),
    ("first_name_std", "last_name_core"),
    ("last_name_core", "birth_date"), ("first_name_first", "birth_date"), ("birth_date", "postcode_std"),
    ("last_name_core", "postcode_std"), ("first_name_first", "postcode_std"),
    # a postcode typo and a replaced birth date: the surname in the same town still finds the pair
    ("last_name_city_block",),
    ("street_std", "house_number_std", "postcode_std"),
    ("SWAPPED",),
    # broad rules for pairs with typos everywhere but one field (capped blocks, see splink_input)
    ("birth_date_block",), ("postcode_block",), ("street_house_block",),
]
SWAPPED_SQL = "l.first_name_std = r.last_name_core AND l.last_name_core = r.first_name_std"

#: A derived prediction rule that would compare more pairs than this many per record is left out
#: (and named in the printed set-up): one placeholder value or one huge block must not turn a
#: resolve into hours. Tight rules on real data stay far below (at 1M persons: < 15 per record).
MAX_RULE_PAIRS_PER_RECORD = 50

#: EM training passes, in order of preference; the comparisons a rule blocks on are not
#: estimated in that pass, so passes are chosen until every comparison was free in one.
TRAINING_RULES: list[tuple[str, ...]] = [
    ("email_block",),
    ("birth_date", "postcode_std"),
    ("last_name_core", "first_name_first"),
    ("mobile_block",),
    ("street_std", "house_number_std", "postcode_std"),
    ("last_name_core", "birth_date"),
    ("first_name_first", "birth_date"),
    ("last_name_core", "postcode_std"),
    # broad fallbacks (EM samples at most ``em_max_pairs``): the only way to estimate the name
    # comparison when names and one other field are all there is
    ("birth_date",),
    ("postcode_std",),
]

#: Rules for the prior (share of matching pairs): near-certain matches.
PRIOR_RULES: list[tuple[str, ...]] = [
    ("email_block", "first_name_first"),
    ("last_name_core", "first_name_first", "birth_date"),
    ("last_name_core", "first_name_first", "postcode_std"),
    ("street_std", "house_number_std", "postcode_std", "birth_date"),
    ("mobile_block", "birth_date"),
]

#: Which comparisons a blocking column fixes (for the EM coverage check).
COLUMN_GROUP = {c: g for g, cols in FIELD_GROUPS.items() for c in cols} | {
    "first_name_first": "name", "email_block": "email", "birth_date_block": "birth_date", "postcode_block": "address", "mobile_block": "phone", "phone_block": "phone",
    "house_number_std": "address", "street_house_block": "address",
}
#: Blocking columns that hold more than one comparison fixed.
MULTI_GROUP_COLUMNS = {"last_name_city_block": {"name", "address"}}


@dataclass
class ModelSetup:
    """What the model compares and how pairs are found; saved with the model as ``cdp_setup``."""

    link_type: Literal["dedupe_only", "link_and_dedupe"]
    sources: list[str]
    comparisons: list[str]
    blocking_rules: list[str | list[str]]
    training_rules: list[list[str]]
    prior_rules: list[list[str]]
    #: Fill rate per field group: overall and per source.
    fill_rates: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Which parts came from settings rather than from the data.
    overridden: list[str] = field(default_factory=list)
    #: Derived prediction rules left out because they would compare too many pairs (rule → pairs).
    too_broad: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """The set-up in a few readable lines (no personal data)."""
        present = ", ".join(f"{g} {self.fill_rates[g]['all']:.0%}" for g in self.comparisons if g in self.fill_rates)
        absent = [g for g in FIELD_GROUPS if g not in self.comparisons]
        rules = "; ".join(r if isinstance(r, str) else "+".join(r) for r in self.blocking_rules)
        lines = [
            f"identity set-up: {self.link_type} over {len(self.sources)} source(s) ({', '.join(self.sources)})",
            f"  comparisons: {present}" + (f"  (not used: {', '.join(absent)})" if absent else ""),
            f"  prediction blocking: {rules}",
            f"  training passes (until each comparison is estimated twice): {'; '.join('+'.join(r) for r in self.training_rules)}",
        ]
        if self.too_broad:
            lines.append("  left out, too many pairs: " + "; ".join(f"{r} ({n:,} pairs)" for r, n in self.too_broad.items()))
        if self.overridden:
            lines.append(f"  from settings: {', '.join(self.overridden)}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return asdict(self)


def fill_rates(inp: pl.DataFrame) -> dict[str, dict[str, float]]:
    """Share of records with any column of each field group filled, overall and per source."""
    exprs = [pl.any_horizontal([pl.col(c).is_not_null() for c in cols if c in inp.columns]).alias(g)
             for g, cols in FIELD_GROUPS.items()]
    flags = inp.select("source_system", *exprs)
    overall = flags.select(pl.col(list(FIELD_GROUPS)).mean()).row(0, named=True) if inp.height else {}
    per = flags.group_by("source_system").agg(pl.col(list(FIELD_GROUPS)).mean()).sort("source_system")
    out: dict[str, dict[str, float]] = {}
    for g in FIELD_GROUPS:
        out[g] = {"all": round(float(overall.get(g) or 0.0), 4)}
        for row in per.iter_rows(named=True):
            out[g][row["source_system"]] = round(float(row[g] or 0.0), 4)
    return out


def _present_columns(inp: pl.DataFrame) -> set[str]:
    n = max(inp.height, 1)
    nulls = inp.null_count().row(0, named=True)
    return {c for c in inp.columns if (n - nulls[c]) / n >= MIN_FILL}


def _usable(rule: tuple[str, ...], present: set[str]) -> bool:
    cols = ("first_name_std", "last_name_core") if rule == ("SWAPPED",) else rule
    return all(c in present for c in cols)


def rule_pairs(inp: pl.DataFrame, rule: tuple[str, ...] | list[str]) -> int:
    """Pairs a blocking rule on these columns compares (records with equal, non-null values)."""
    cols = list(rule)
    sizes = inp.select(cols).drop_nulls().group_by(cols).len()["len"].cast(pl.Int64)
    return int((sizes * (sizes - 1) // 2).sum())


def _within_budget(rules: list[tuple[str, ...]], inp: pl.DataFrame) -> tuple[list[tuple[str, ...]], dict[str, int]]:
    """The rules that compare at most :data:`MAX_RULE_PAIRS_PER_RECORD` pairs per record, and the others."""
    budget = MAX_RULE_PAIRS_PER_RECORD * max(inp.height, 1)
    kept: list[tuple[str, ...]] = []
    too_broad: dict[str, int] = {}
    for r in rules:
        pairs = 0 if r == ("SWAPPED",) else rule_pairs(inp, r)
        if pairs > budget:
            too_broad["+".join(r)] = pairs
        else:
            kept.append(r)
    return kept, too_broad


def rule_groups(rule: list[str] | tuple[str, ...]) -> set[str]:
    """The comparisons a blocking rule (a list of columns) holds fixed."""
    groups = {COLUMN_GROUP[c] for c in rule if c in COLUMN_GROUP}
    return groups.union(*(MULTI_GROUP_COLUMNS.get(c, set()) for c in rule))


def derive_setup(inp: pl.DataFrame, cfg: IdentitySettings | None = None) -> ModelSetup:
    """The set-up for a Splink input frame (see the module docstring)."""
    cfg = cfg or IdentitySettings()
    rates = fill_rates(inp)
    sources = sorted(inp["source_system"].unique().drop_nulls().to_list())
    present = _present_columns(inp)
    comps = [g for g in FIELD_GROUPS if rates[g]["all"] >= MIN_FILL]
    overridden: list[str] = []
    if cfg.comparisons:
        unknown = [c for c in cfg.comparisons if c not in FIELD_GROUPS]
        if unknown:
            raise ValueError(f"identity.comparisons: unknown comparison(s) {unknown}; known: {list(FIELD_GROUPS)}")
        comps, overridden = list(cfg.comparisons), overridden + ["comparisons"]
    usable, too_broad = _within_budget([r for r in PREDICTION_RULES if _usable(r, present)], inp)
    rules: list[str | list[str]] = [SWAPPED_SQL if r == ("SWAPPED",) else list(r) for r in usable]
    if cfg.blocking_rules:
        rules, overridden, too_broad = list(cfg.blocking_rules), overridden + ["blocking_rules"], {}
    # all usable passes, in preference order: training runs them until every comparison was
    # estimated twice, skipping a pass that finds too few pairs
    training = [list(r) for r in TRAINING_RULES if _usable(r, present)]
    if cfg.training_blocking_rules:
        training, overridden = [list(r) for r in cfg.training_blocking_rules], overridden + ["training_blocking_rules"]
    prior = [list(r) for r in PRIOR_RULES if _usable(r, present)]
    return ModelSetup(
        link_type="dedupe_only" if len(sources) <= 1 else "link_and_dedupe",
        sources=sources, comparisons=comps, blocking_rules=rules, training_rules=training,
        prior_rules=prior, fill_rates=rates, overridden=overridden, too_broad=too_broad,
    )


def setup_from_dict(d: dict) -> ModelSetup:
    """A saved ``cdp_setup`` back as a :class:`ModelSetup`."""
    return ModelSetup(**{k: d[k] for k in ModelSetup.__dataclass_fields__ if k in d})
