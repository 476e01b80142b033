"""The model set-up follows the data: one source or many, any subset of the person fields."""

import json

import polars as pl
import pytest

from cdp.config import Settings
from identity.evaluate import evaluate_frames
from identity.model import latest_model
from identity.resolve import resolve
from identity.train import TrainingError
from tests.identity.synth import make_records

PERSON_FIELDS = ["first_name", "last_name", "birth_date", "email", "phone", "mobile", "street", "house_number",
                 "postcode", "city", "xref_erp_customer_no", "xref_bonus_card_no"]


@pytest.fixture(scope="module")
def data():
    return make_records(400, seed=5)


def _one_source(recs: pl.DataFrame, truth: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every record delivered by one legacy system (its own ids are the old record keys)."""
    relabel = [pl.lit("legacy").alias("source_system"), pl.col("record_key").alias("source_record_id"),
               ("legacy:" + pl.col("record_key")).alias("record_key")]
    return recs.with_columns(relabel), truth.with_columns(relabel)


def _only(recs: pl.DataFrame, keep: list[str]) -> pl.DataFrame:
    return recs.with_columns(pl.lit(None, recs.schema[c]).alias(c) for c in PERSON_FIELDS if c not in keep)


def _run(tmp_path, recs, truth):
    s = Settings().with_data_dir(tmp_path)
    rep = resolve(s, records=recs)
    link = pl.read_parquet(s.paths.identity / "identity_link.parquet")
    assert link.height == recs.height
    setup = json.loads(latest_model(s).path.read_text())["cdp_setup"]
    return rep, evaluate_frames(link, truth)["pairwise"], setup


def test_one_source_is_deduplicated(tmp_path, data):
    recs, truth = _one_source(*data)
    rep, pw, setup = _run(tmp_path, recs, truth)
    assert setup["link_type"] == "dedupe_only"
    assert pw["f1"] > 0.9, pw
    # the second run predicts from the saved one-source model
    assert resolve(Settings().with_data_dir(tmp_path), records=recs).model_version == rep.model_version


def test_an_export_without_e_mails_resolves(tmp_path, data):
    recs, truth = data
    rep, pw, setup = _run(tmp_path, recs.with_columns(pl.lit(None, pl.String).alias("email")), truth)
    assert "email" not in setup["comparisons"] and setup["link_type"] == "link_and_dedupe"
    assert not any("email_block" in r for r in setup["blocking_rules"])
    assert pw["f1"] > 0.9, pw


def test_names_and_birth_dates_only_from_one_source(tmp_path, data):
    recs, truth = _one_source(*data)
    # judged on the records that have a birth date: a name alone is no evidence among 400 persons
    # drawn from 30 first and 36 last names
    dated = truth.join(recs.filter(pl.col("birth_date").is_not_null()), on="record_key", how="semi")
    _, pw, setup = _run(tmp_path, _only(recs, ["first_name", "last_name", "birth_date"]), dated)
    assert setup["comparisons"] == ["name", "birth_date"]
    assert pw["f1"] > 0.9, pw


def test_address_only_runs_and_links_nothing_on_thin_evidence(tmp_path, data):
    recs, truth = data
    # no names, no birth dates, no contacts, no cross-references: address and the sources' own keys
    rep, pw, setup = _run(tmp_path, _only(recs, ["street", "postcode", "city"]), truth)
    assert setup["comparisons"] == ["address", "erp_key", "bonus_key"]
    assert rep.customers <= recs.height


def test_training_without_usable_pairs_says_which_fields_it_tried(tmp_path, data):
    recs, _ = _one_source(*data)
    with pytest.raises(TrainingError, match=r"birth_date.*identity\.comparisons"):
        resolve(Settings().with_data_dir(tmp_path), records=_only(recs, ["birth_date"]))


def test_settings_override_the_derived_set_up(tmp_path, data):
    recs, truth = data
    s = Settings().with_data_dir(tmp_path)
    s.identity.comparisons = ["name", "birth_date", "address"]
    s.identity.blocking_rules = [["last_name_core", "birth_date"], ["first_name_first", "postcode_std"]]
    resolve(s, records=recs)
    setup = json.loads(latest_model(s).path.read_text())["cdp_setup"]
    assert setup["comparisons"] == ["name", "birth_date", "address"]
    assert setup["overridden"] == ["comparisons", "blocking_rules"]


def _crowd(n_crowd: int, n_other: int) -> pl.DataFrame:
    """Splink input rows: ``n_crowd`` records share one surname, town, street and number (a
    placeholder address and a very common name), ``n_other`` records are all different."""
    from identity.model import INPUT_COLUMNS
    rows = [{"record_key": f"r{i}", "source_system": "crm",
             "last_name_core": "mueller" if i < n_crowd else f"name{i}",
             "city_std": "berlin" if i < n_crowd else f"town{i}",
             "street_std": "hauptstr" if i < n_crowd else f"street{i}",
             "house_number_std": "1" if i < n_crowd else str(i),
             "first_name_std": f"first{i}", "postcode_std": f"{10000 + i}"} for i in range(n_crowd + n_other)]
    return pl.DataFrame(rows).with_columns(
        [pl.lit(None, pl.String).alias(c) for c in INPUT_COLUMNS
         if c not in {"record_key", "source_system", "last_name_core", "city_std", "street_std",
                      "house_number_std", "first_name_std", "postcode_std"}])


def test_a_huge_block_is_not_compared_pair_by_pair():
    """One crowded value (a placeholder address, "Müller in Berlin") would compare every pair of
    its records: the broad composite keys leave such a block out, and a derived rule that would
    still compare too many pairs per record is dropped and named in the printed set-up."""
    from identity.model import BROAD_BLOCK_MAX_RECORDS, splink_input
    from identity.setup import derive_setup, rule_pairs

    cap = max(BROAD_BLOCK_MAX_RECORDS["last_name_city_block"], BROAD_BLOCK_MAX_RECORDS["street_house_block"])
    std = _crowd(cap + 1, 40)
    inp = splink_input(std.drop("full_name", "first_is_initial", "last_name_city_block", "street_house_block",
                                strict=False))
    assert inp.filter(pl.col("last_name_core") == "mueller")["last_name_city_block"].null_count() == cap + 1
    assert inp.filter(pl.col("last_name_core") != "mueller")["street_house_block"].null_count() == 0
    assert rule_pairs(inp, ["street_house_block"]) == 0

    crowded = _crowd(400, 100)  # 400 records at one address in one postcode: 79,800 pairs
    crowded = crowded.with_columns(pl.lit("10115").alias("postcode_std"))
    setup = derive_setup(splink_input(crowded.drop("full_name", "first_is_initial", "last_name_city_block",
                                                   "street_house_block", strict=False)))
    assert "street_std+house_number_std+postcode_std" in setup.too_broad
    assert ["street_std", "house_number_std", "postcode_std"] not in setup.blocking_rules
    assert "too many pairs" in setup.describe()
