"""The Splink model: input columns, blocking rules, comparisons, and the linker plumbing.

This module is the reviewed definition of *how* records are compared. ``identity.train`` fits its
parameters (u by random sampling, m by EM) and saves them as versioned JSON under
``data/models/``; ``identity.resolve`` predicts from the saved JSON.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.comparison_level_creator import ComparisonLevelCreator

from cdp.config import Settings
from cdp.schema import Source
from cdp.standardise import umlaut_form
from identity.setup import FIELD_GROUPS, PREDICTION_RULES, SWAPPED_SQL, ModelSetup, setup_from_dict

log = logging.getLogger(__name__)

UID = "record_key"
#: Columns of the Splink input table (built from person_records_std by :func:`splink_input`).
INPUT_COLUMNS = [
    "record_key", "source_system", "first_name_std", "first_name_first", "first_name_initials",
    "first_is_initial", "last_name_core", "full_name", "birth_date", "email_std", "email_mailbox", "email_local",
    "email_block", "phone_e164", "mobile_e164", "phone_block", "mobile_block", "street_std",
    "house_number_std", "postcode_std", "city_std", "erp_key", "bonus_key", "birth_date_block", "postcode_block",
    "last_name_city_block", "street_house_block", "first_name_uml", "last_name_uml", "first_name_first_uml",
]
#: Columns with term-frequency adjustments (their TF tables are saved with the model).
TF_COLUMNS = ["full_name", "last_name_core", "email_std", "postcode_std", "first_name_first"]
#: Bump when :func:`splink_input` derives a column differently (the comparison SQL may be the
#: same while its inputs changed). 2: ``first_is_initial`` only for single letters ("h p").
#: 3: ``birth_date_block``, ``postcode_block``. 4: ``last_name_city_block``, ``street_house_block``.
#: 5: the names' umlaut forms (``*_uml``). 6: a cap per broad key (:data:`BROAD_BLOCK_MAX_RECORDS`).
INPUT_VERSION = 6
#: A blocking value shared by more records than this is not used for blocking (placeholder
#: phones, family e-mails at a shop's counter); other rules still find the true pairs.
MAX_BLOCK_VALUE_RECORDS = 30
#: Broad blocking keys (birth date alone, postcode alone, surname + town, street + number without
#: the postcode) block only values shared by at most this many records: a placeholder date such as
#: 1900-01-01, a big city's central postcode, "Müller in Berlin" or "Hauptstraße 1" in every town
#: would otherwise compare every pair of a huge block (the number of pairs grows with the square
#: of the block: at 1M persons street + number alone made ~480M pairs). Those records' true pairs
#: are left to the tighter rules. A street + number or a surname in one town is one house or one
#: family: a block of more than 10 records is mostly the same street name in several towns or
#: several families; a postcode holds many people: 20. At 100k simulated persons the blocks above
#: these caps made 2.5M of the candidate pairs (street + number 1.49M, postcode 0.87M, surname +
#: town 0.14M) and held 57 true pairs no other rule finds (of 308k); on FEBRL no street or surname
#: block exceeds 6 and postcode blocks above 20 hold 3 (FEBRL3) and 1 (FEBRL4) such pairs.
#: F1 before / after: benchmarks/README.md, issue 14.
BROAD_BLOCK_MAX_RECORDS = {"birth_date_block": 60, "postcode_block": 20,
                           "last_name_city_block": 10, "street_house_block": 10}
#: Broad composite keys: the capped column and the columns it joins (equal in both records).
BROAD_COMPOSITE_BLOCKS = {
    "last_name_city_block": ("last_name_core", "city_std"),
    "street_house_block": ("street_std", "house_number_std"),
}


def _lvl(sql: str, label: str, **configure) -> ComparisonLevelCreator:
    lvl = cll.CustomLevel(sql, label_for_charts=label)
    return lvl.configure(**configure) if configure else lvl


#: The per-record umlaut form (:func:`cdp.standardise.umlaut_form`) of each name column that a
#: one-edit level compares.
UMLAUT_COLUMNS = {"first_name_std": "first_name_uml", "last_name_core": "last_name_uml",
                  "first_name_first": "first_name_first_uml"}


def _within_one_edit(a: str, b: str) -> str:
    """SQL: Damerau-Levenshtein distance of ``a`` and ``b`` at most 1, with two cheap tests first
    that every such pair passes (the distance itself is by far the costliest function of the
    comparisons, evaluated for millions of candidate pairs): the lengths differ by at most one,
    and one edit leaves the first or the last letter as it was unless a name is two letters or
    shorter. Same result as the distance alone. ``left``/``right``, not ``a[1]``: Spark SQL has no
    string subscript."""
    return (f"(abs(length({a}) - length({b})) <= 1 AND (least(length({a}), length({b})) <= 2 OR "
            f"left({a}, 1) = left({b}, 1) OR right({a}, 1) = right({b}, 1)) AND damerau_levenshtein({a}, {b}) <= 1)")


def _one_edit(col: str) -> str:
    """SQL: ``col`` (a folded name) at most one edit apart in the two records, an umlaut counting as
    one letter ("öfrieder" → "oefrieder" / "frieder" is one edit). The umlaut forms are input
    columns, null where a name holds no ``ae/oe/ue``: where both are null the second test is the
    first one again and is skipped."""
    u = UMLAUT_COLUMNS[col]
    return (f"({_within_one_edit(f'{col}_l', f'{col}_r')} OR (({u}_l IS NOT NULL OR {u}_r IS NOT NULL) AND "
            f"{_within_one_edit(f'coalesce({u}_l, {col}_l)', f'coalesce({u}_r, {col}_r)')}))")


def _numbered(a: str, b: str) -> str:
    """SQL: local part ``b`` is ``a`` plus a separator and a short number ("weber48" → "weber48.44")."""
    return (f"(starts_with({b}, {a}) AND "
            f"regexp_matches(substr({b}, length({a}) + 1), '^[._-][0-9]{{1,3}}$'))")


def comparisons(names: list[str] | None = None) -> list:
    """The comparisons, one per evidence group (:data:`identity.setup.FIELD_GROUPS`), each ending
    in an else level; ``names`` selects some of them (default: all)."""
    jw = "jaro_winkler_similarity"
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_description="first and last name (folded, particles removed)",
        comparison_levels=[
            _lvl("(first_name_std_l IS NULL AND last_name_core_l IS NULL) OR "
                 "(first_name_std_r IS NULL AND last_name_core_r IS NULL)", "null", is_null_level=True),
            _lvl("full_name_l = full_name_r", "exact first and last",
                 tf_adjustment_column="full_name", tf_adjustment_weight=1.0),
            _lvl("first_name_std_l = last_name_core_r AND last_name_core_l = first_name_std_r",
                 "first and last swapped", tf_adjustment_column="full_name", tf_adjustment_weight=1.0),
            _lvl(f"{jw}(first_name_std_l, last_name_core_r) >= 0.92 AND {jw}(last_name_core_l, first_name_std_r) >= 0.92 "
                 "AND NOT (first_name_std_l = first_name_std_r)", "first and last swapped, similar"),
            _lvl("last_name_core_l = last_name_core_r AND (first_name_first_l = first_name_first_r "
                 "OR ((first_is_initial_l OR first_is_initial_r) AND "
                 "first_name_initials_l = first_name_initials_r))",
                 "last exact, first name part or initials agree",
                 tf_adjustment_column="last_name_core", tf_adjustment_weight=0.7),
            _lvl(f"{jw}(first_name_std_l, first_name_std_r) >= 0.92 AND "
                 f"{jw}(last_name_core_l, last_name_core_r) >= 0.92", "both similar (JW>=0.92)"),
            _lvl(f"{_one_edit('first_name_std')} AND {_one_edit('last_name_core')}", "one edit in each name"),
            _lvl(f"last_name_core_l = last_name_core_r AND ({jw}(first_name_std_l, first_name_std_r) >= 0.85 OR "
                 f"{_one_edit('first_name_first')})",
                 "last exact, first similar (or its first part one edit apart)"),
            _lvl(f"first_name_std_l = first_name_std_r AND {jw}(last_name_core_l, last_name_core_r) >= 0.88",
                 "first exact, last similar"),
            _lvl("first_name_std_l = first_name_std_r", "first exact, last different"),
            _lvl("last_name_core_l = last_name_core_r AND (first_name_std_l IS NULL OR first_name_std_r IS NULL)",
                 "last exact, a first name missing"),
            # a short form or a second given name ("andreas" / "andi", "thanh mai" / "mai") mostly
            # keeps the first three letters or sits inside the other; two people of one household
            # mostly do not: each level gets its own m/u, so the data says how much either is worth
            _lvl("last_name_core_l = last_name_core_r AND length(first_name_std_l) >= 3 AND length(first_name_std_r) >= 3 "
                 "AND (substr(first_name_std_l, 1, 3) = substr(first_name_std_r, 1, 3) "
                 "OR strpos(first_name_std_l, first_name_std_r) > 0 OR strpos(first_name_std_r, first_name_std_l) > 0)",
                 "last exact, first names share three letters or one contains the other"),
            _lvl("last_name_core_l = last_name_core_r", "last exact, first different"),
            # first and last swapped and then one of them changed (a typo, a replaced value): one name
            # still sits in the other record's other field
            _lvl(f"{jw}(first_name_std_l, last_name_core_r) >= 0.92 OR {jw}(last_name_core_l, first_name_std_r) >= 0.92",
                 "one name in the other field (swapped, the other changed)"),
            _lvl(f"{jw}(first_name_std_l, first_name_std_r) >= 0.88 OR {jw}(last_name_core_l, last_name_core_r) >= 0.88",
                 "one name similar (JW>=0.88)"),
            _lvl(f"{jw}(first_name_std_l, first_name_std_r) >= 0.7 AND {jw}(last_name_core_l, last_name_core_r) >= 0.7",
                 "both weakly similar (JW>=0.7)"),
            cll.ElseLevel(),
        ],
    )
    dob = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            _lvl("birth_date_l = birth_date_r", "exact"),
            # two dates one typo or transposition apart as YYYYMMDD (same length: a substitution or a
            # swap of neighbours) keep the year or the day: that cheap test first, the same result
            _lvl("(year(birth_date_l) = year(birth_date_r) OR day(birth_date_l) = day(birth_date_r)) AND "
                 "damerau_levenshtein(strftime(birth_date_l, '%Y%m%d'), strftime(birth_date_r, '%Y%m%d')) <= 1",
                 "one digit typo or transposition"),
            _lvl("day(birth_date_l) = month(birth_date_r) AND month(birth_date_l) = day(birth_date_r) "
                 "AND year(birth_date_l) = year(birth_date_r)", "day and month swapped"),
            _lvl("abs(date_diff('day', birth_date_l, birth_date_r)) <= 366", "within a year"),
            cll.ElseLevel(),
        ],
    )
    email = cl.CustomComparison(
        output_column_name="email",
        comparison_levels=[
            cll.NullLevel("email_std"),
            _lvl("email_std_l = email_std_r", "exact", tf_adjustment_column="email_std",
                 tf_adjustment_weight=1.0),
            _lvl("email_mailbox_l = email_mailbox_r", "same mailbox (Gmail ignores dots)"),
            _lvl("email_local_l = email_local_r AND "
                 "regexp_extract(email_std_l, '@(.*)$', 1) = regexp_extract(email_std_r, '@(.*)$', 1)",
                 "same address but for a +tag (a provider without documented plus-addressing)"),
            _lvl("email_local_l = email_local_r", "same local part, other domain"),
            _lvl(f"{_numbered('email_local_l', 'email_local_r')} OR {_numbered('email_local_r', 'email_local_l')}",
                 "same local part plus a number (a second account: name.2@)"),
            # two numbered mailboxes of one stem ("name60@" / "name81@") are two accounts, not a typo
            _lvl(f"{jw}(email_std_l, email_std_r) >= 0.9 AND NOT (regexp_matches(email_local_l, '[0-9]') AND "
                 "regexp_matches(email_local_r, '[0-9]') AND regexp_replace(email_local_l, '[0-9]+', '', 'g') = "
                 "regexp_replace(email_local_r, '[0-9]+', '', 'g'))", "similar (JW>=0.9), not two numbered mailboxes"),
            cll.ElseLevel(),
        ],
    )
    phone = cl.CustomComparison(
        output_column_name="phone",
        comparison_levels=[
            _lvl("(phone_e164_l IS NULL AND mobile_e164_l IS NULL) OR "
                 "(phone_e164_r IS NULL AND mobile_e164_r IS NULL)", "null", is_null_level=True),
            _lvl("mobile_e164_l = mobile_e164_r OR mobile_e164_l = phone_e164_r OR "
                 "phone_e164_l = mobile_e164_r", "same mobile"),
            _lvl("phone_e164_l = phone_e164_r", "same landline"),
            _lvl("mobile_e164_l IS NOT NULL AND mobile_e164_r IS NOT NULL", "both have a mobile, different"),
            cll.ElseLevel(),
        ],
    )
    pc_typo = _within_one_edit("postcode_std_l", "postcode_std_r")
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            _lvl("(postcode_std_l IS NULL AND street_std_l IS NULL) OR (postcode_std_r IS NULL AND street_std_r IS NULL)",
                 "null", is_null_level=True),
            _lvl("street_std_l = street_std_r AND house_number_std_l = house_number_std_r AND "
                 "postcode_std_l = postcode_std_r", "same street, number and postcode"),
            _lvl(f"postcode_std_l = postcode_std_r AND {jw}(street_std_l, street_std_r) >= 0.88 AND "
                 "(house_number_std_l = house_number_std_r OR house_number_std_l IS NULL OR "
                 "house_number_std_r IS NULL)", "same postcode, street similar"),
            _lvl("street_std_l = street_std_r AND house_number_std_l = house_number_std_r AND "
                 f"(city_std_l = city_std_r OR {pc_typo})",
                 "same street and number, postcode typo or same city"),
            _lvl(f"house_number_std_l = house_number_std_r AND ({pc_typo} "
                 f"OR {jw}(street_std_l, street_std_r) >= 0.88)", "same number, postcode or street one typo off"),
            # a house number typo or a move within the street: weaker than the number agreeing, far
            # rarer between two people than the postcode alone
            _lvl("postcode_std_l = postcode_std_r AND street_std_l = street_std_r",
                 "same postcode and street, number differs"),
            # the same street with a typo somewhere in the rest (postcode digits, city spelling) and
            # the number differing or missing: far rarer between two people than no agreement at all
            _lvl(f"{jw}(street_std_l, street_std_r) >= 0.88 AND ({pc_typo} "
                 f"OR {jw}(city_std_l, city_std_r) >= 0.9)", "street similar, postcode one typo or city similar"),
            _lvl("postcode_std_l = postcode_std_r", "same postcode",
                 tf_adjustment_column="postcode_std", tf_adjustment_weight=0.5),
            _lvl("city_std_l = city_std_r", "same city"),
            cll.ElseLevel(),
        ],
    )

    def key(col: str, system: str) -> cl.CustomComparison:
        return cl.CustomComparison(
            output_column_name=col,
            comparison_levels=[
                _lvl(f"{col}_l IS NULL OR {col}_r IS NULL OR (source_system_l = '{system}' AND "
                     f"source_system_r = '{system}')", "null or both native", is_null_level=True),
                _lvl(f"{col}_l = {col}_r", "exact"),
                cll.ElseLevel(),
            ],
        )

    every = {"name": name, "birth_date": dob, "email": email, "phone": phone, "address": address,
             "erp_key": key("erp_key", Source.ERP), "bonus_key": key("bonus_key", Source.BONUS)}
    return [c for g, c in every.items() if names is None or g in names]


#: The e-mail comparison's "exact", "same mailbox" (Gmail's dots) and "same but for a +tag" gammas.
EMAIL_EXACT, EMAIL_MAILBOX, EMAIL_TAG = 6, 5, 4
#: The e-mail comparison's variant levels: "same local part, other domain", "same local part plus
#: a number", "similar".
EMAIL_OTHER_DOMAIN, EMAIL_NUMBERED, EMAIL_SIMILAR = 3, 2, 1
#: "Both present and different" gammas: e-mail else level, phone "different mobiles" or else.
EMAIL_DIFFERENT, PHONE_DIFFERENT_MAX = 0, 1
#: The phone comparison's "both have a mobile, different" gamma.
PHONE_TWO_MOBILES = 1
#: Gamma values that count as evidence independent of the name (see :func:`comparisons`):
#: birth date exact or one typo, e-mail exact, same mailbox or +tag variant, same mobile or landline, same
#: street + number (+ postcode or a postcode typo), a shared ERP / bonus key.
INDEPENDENT_EVIDENCE = {"gamma_birth_date": 3, "gamma_email": EMAIL_TAG, "gamma_phone": 2, "gamma_address": 5,
                        "gamma_erp_key": 1, "gamma_bonus_key": 1}


def blocking_rule(rule: str | list[str]):
    """A set-up's blocking rule: a list of columns (all equal) or a Splink SQL condition."""
    return rule if isinstance(rule, str) else block_on(*rule)


def blocking_rules(setup: ModelSetup | None = None) -> list:
    """Prediction blocking: tight rules, each catching a different kind of true pair."""
    rules = setup.blocking_rules if setup is not None else [
        SWAPPED_SQL if r == ("SWAPPED",) else list(r) for r in PREDICTION_RULES]
    return [blocking_rule(r) for r in rules]


def splink_settings(setup: ModelSetup) -> SettingsCreator:
    """The Splink settings (untrained) for a set-up."""
    return SettingsCreator(
        link_type=setup.link_type,
        unique_id_column_name=UID,
        blocking_rules_to_generate_predictions=blocking_rules(setup),
        comparisons=comparisons(setup.comparisons),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        max_iterations=20,
        em_convergence=0.001,
    )


def splink_input(std: pl.DataFrame) -> pl.DataFrame:
    """person_records_std → the Splink input table (adds blocking helper columns)."""
    # every new column reads only std's columns: one pass (one record for ``cdp identify``)
    exprs = [
        pl.col("first_name_std").str.contains(r"^[a-z]( [a-z])*$").fill_null(False).alias("first_is_initial"),
        pl.concat_str(["first_name_std", "last_name_core"], separator=" ").alias("full_name"),
        *[umlaut_form(pl.col(c)).alias(u) for c, u in UMLAUT_COLUMNS.items()],
    ]
    for src, dst, cap in (("email_std", "email_block", MAX_BLOCK_VALUE_RECORDS),
                          ("phone_e164", "phone_block", MAX_BLOCK_VALUE_RECORDS),
                          ("mobile_e164", "mobile_block", MAX_BLOCK_VALUE_RECORDS),
                          ("birth_date", "birth_date_block", BROAD_BLOCK_MAX_RECORDS["birth_date_block"]),
                          ("postcode_std", "postcode_block", BROAD_BLOCK_MAX_RECORDS["postcode_block"])):
        exprs.append(pl.when(pl.len().over(src) <= cap).then(pl.col(src)).alias(dst))
    for dst, cols in BROAD_COMPOSITE_BLOCKS.items():
        key = pl.concat_str(list(cols), separator="\x1f")  # null when any part is null
        exprs.append(pl.when(pl.len().over(key) <= BROAD_BLOCK_MAX_RECORDS[dst]).then(key).alias(dst))
    return std.lazy().with_columns(exprs).select(INPUT_COLUMNS).collect()


def duckdb_api(settings: Settings) -> DuckDBAPI:
    """A DuckDB connection for Splink with this installation's thread/memory limits."""
    con = duckdb.connect()
    ids = settings.identity
    if ids.duckdb_threads:
        con.execute(f"SET threads = {int(ids.duckdb_threads)}")
    if ids.duckdb_memory_limit and re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", ids.duckdb_memory_limit):
        con.execute(f"SET memory_limit = '{ids.duckdb_memory_limit}'")
    # spill under the data dir (DuckDB's default is ./.tmp in whatever the working directory is)
    spill = Path(settings.data_dir) / "tmp" / "duckdb-identity"
    spill.mkdir(parents=True, exist_ok=True)  # DuckDB creates only the last level
    con.execute("SET temp_directory = ?", [str(spill)])
    con.execute("SET preserve_insertion_order = false")
    return DuckDBAPI(connection=con)


def register_sources(db_api: DuckDBAPI, frame: pl.DataFrame, prefix: str = "") -> list:
    """Register one table per source system (link_and_dedupe over all sources).

    A frame already sorted by ``source_system`` (see :func:`sort_by_source`) is registered as
    zero-copy Arrow slices of itself; any other frame is sorted (one copy) first.
    """
    if not frame["source_system"].is_sorted():
        frame = sort_by_source(frame)
    sdfs = []
    offset = 0
    counts = frame["source_system"].value_counts(sort=False).sort("source_system")
    for src, n in counts.iter_rows():
        # string views, not large_string: DuckDB scans polars' buffers without a copy
        part = frame.slice(offset, n).to_arrow(compat_level=pl.CompatLevel.newest())
        offset += n
        sdfs.append(db_api.register(part, dataset_display_name=f"{prefix}{src}"))
    return sdfs


def sort_by_source(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` grouped by ``source_system`` (stable: the row order within a source is kept)."""
    return frame.sort("source_system", maintain_order=True)


def settings_fingerprint(names: list[str] | None = None) -> str:
    """A hash of what a trained model's parameters depend on: the comparisons' levels (SQL, null
    levels, TF columns) of the model's comparisons ``names`` (default: all), the input columns
    and :data:`INPUT_VERSION` (not the m/u values)."""
    comps = []
    for c in comparisons(names):
        d = c.get_comparison("duckdb").as_dict()
        comps.append([d["output_column_name"]] + [
            [lv["sql_condition"], bool(lv.get("is_null_level")), lv.get("tf_adjustment_column")]
            for lv in d["comparison_levels"]])
    blob = json.dumps({"comparisons": comps, "input": INPUT_COLUMNS, "input_version": INPUT_VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class StaleModelError(RuntimeError):
    """The saved model was trained for other comparisons than the current code defines."""


@dataclass
class ModelRef:
    """A saved model: its JSON path, version string, set-up and TF tables directory."""

    path: Path
    version: str
    #: ``settings_fingerprint()`` at training time (None: a model saved before fingerprints).
    fingerprint: str | None = None
    #: The set-up it was trained with (None: a model saved before set-ups were derived: all comparisons).
    setup: ModelSetup | None = None

    @property
    def comparison_names(self) -> list[str]:
        return self.setup.comparisons if self.setup is not None else list(FIELD_GROUPS)

    @property
    def is_current(self) -> bool:
        """Trained for the comparisons and inputs the code defines now."""
        return self.fingerprint == settings_fingerprint(self.comparison_names)

    def require_current(self) -> None:
        """Raise :class:`StaleModelError` (naming the file and the fix) unless current."""
        if not self.is_current:
            raise StaleModelError(
                f"{self.path} was trained for other comparisons (settings fingerprint "
                f"{self.fingerprint or 'missing'}, current {settings_fingerprint(self.comparison_names)}): "
                "retrain with `cdp identity train`")

    def fits(self, setup: ModelSetup) -> bool:
        """Trained with the comparisons and link type the data calls for now."""
        return (self.setup is not None and self.setup.comparisons == setup.comparisons
                and self.setup.link_type == setup.link_type)

    @property
    def tf_dir(self) -> Path:
        return self.path.with_suffix("").with_name(self.path.stem + "_tf")


def model_dir(settings: Settings) -> Path:
    return settings.paths.models / "identity"


def latest_model(settings: Settings) -> ModelRef | None:
    """The newest saved model (highest version number), or None."""
    d = model_dir(settings)
    found = []
    for p in d.glob("model_v*.json"):
        m = re.fullmatch(r"model_v(\d+)\.json", p.name)
        if m:
            found.append((int(m.group(1)), p))
    if not found:
        return None
    n, p = max(found)
    d = json.loads(p.read_text())
    setup = setup_from_dict(d["cdp_setup"]) if d.get("cdp_setup") else None
    return ModelRef(p, d.get("cdp_model_version", f"v{n}"), (d.get("cdp_trained_on") or {}).get("settings_fingerprint"),
                    setup)


def load_linker(settings: Settings, model: ModelRef, sdfs: list) -> Linker:
    """A Linker over registered inputs with a saved model's parameters."""
    d = json.loads(model.path.read_text())
    for k in ("cdp_model_version", "cdp_trained_on", "cdp_setup"):
        d.pop(k, None)
    if len(sdfs) == 1 and d.get("link_type") == "link_and_dedupe":
        # one source at hand (a pair to explain, a one-source delivery): Splink's link_and_dedupe
        # needs two input tables; the comparisons and parameters are the same
        d["link_type"] = "dedupe_only"
    return Linker(sdfs, d)


def register_tf_tables(linker: Linker, db_api: DuckDBAPI, model: ModelRef) -> None:
    """Register the TF tables saved with a model (needed by predict_between/within, score_pair)."""
    used = {lv.get("tf_adjustment_column") for c in json.loads(model.path.read_text())["comparisons"]
            for lv in c["comparison_levels"]}
    for col in TF_COLUMNS:
        if col not in used:
            continue
        p = model.tf_dir / f"tf_{col}.parquet"
        if p.exists():
            tf = db_api.register(pl.read_parquet(p).to_arrow(), dataset_display_name=f"saved_tf_{col}")
            linker.table_management.register_term_frequency_lookup(tf, col)


def edge_columns(rel_columns: list[str]) -> list[str]:
    """The columns of Splink's scored pairs that identity keeps (keys, weights, per-field gammas)."""
    keep = ["record_key_l", "record_key_r", "source_dataset_l", "source_dataset_r",
            "match_weight", "match_probability", "match_key"]
    keep += [c for c in rel_columns if c.startswith(("gamma_", "mw_", "tf_"))]
    return [c for c in keep if c in rel_columns]
