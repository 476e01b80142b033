"""The simulated survey tool, service cases and campaigns depend on what happened to the person."""

from __future__ import annotations

import json

import polars as pl
import pytest

from simulator import generate


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    root = tmp_path_factory.mktemp("cx")
    generate(3000, seed=11, dirty_rate=0.0, out=root / "landing", truth=root / "truth")
    day = next((root / "landing" / "survey").iterdir())
    answers = pl.read_csv(next(day.glob("responses_*.csv")), infer_schema_length=0)
    crm_day = next((root / "landing" / "crm").iterdir())
    inter = pl.DataFrame([json.loads(line) for line in
                          next(crm_day.glob("interactions_*.jsonl")).read_text().splitlines()])
    truth = (pl.read_parquet(root / "truth" / "identity_truth.parquet")
             .join(pl.read_parquet(root / "truth" / "persons.parquet").select("person_id", "churned_at"),
                   on="person_id"))
    return answers, inter, truth


def test_survey_export_is_a_qualtrics_style_csv(sim):
    answers, _, _ = sim
    assert answers.columns[:7] == ["StartDate", "EndDate", "Status", "Progress", "Finished", "RecordedDate",
                                   "ResponseId"]
    assert answers["ResponseId"].str.contains(r"^R_[0-9A-Za-z]{15}$").all()
    assert set(answers["touchpoint"].unique()) >= {"online_order", "delivery", "hotline", "repair"}
    nps = answers["Q1_NPS"].cast(pl.Int64, strict=False).drop_nulls()
    assert nps.min() >= 0 and nps.max() <= 10


def test_a_late_delivery_and_an_unresolved_case_lower_the_score(sim):
    answers, _, _ = sim
    a = answers.with_columns(nps=pl.col("Q1_NPS").cast(pl.Float64, strict=False),
                             csat=pl.col("Q2_CSAT").cast(pl.Float64, strict=False))
    mean = dict(a.group_by("touchpoint").agg(pl.col("nps").mean()).iter_rows())
    assert mean["delivery"] < mean["online_order"] - 1.5


def test_nobody_answers_after_churning(sim):
    answers, _, truth = sim
    who = answers.with_columns(ts=pl.col("EndDate").str.to_datetime("%Y-%m-%d %H:%M:%S")
                               .dt.replace_time_zone("Europe/Berlin", ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")).join(
        truth, left_on=["contact_system", "ExternalReference"],
        right_on=["source_system", "source_record_id"], how="inner")
    assert who.height > 0.9 * answers.height
    assert who.filter(pl.col("churned_at").is_not_null() & (pl.col("ts") > pl.col("churned_at"))).height == 0


def test_cases_span_channels_and_campaigns_have_ids(sim):
    _, inter, _ = sim
    cases = inter.filter(pl.col("case_id").is_not_null()).group_by("case_id").agg(
        pl.col("channel").n_unique().alias("channels"), pl.col("category").first(),
        pl.col("outcome").eq("reopened").any().alias("reopened"))
    assert cases.filter(pl.col("channels") > 1).height > 0.1 * cases.height
    assert set(cases["category"].unique()) == {"complaint", "warranty", "billing", "delivery", "question"}
    assert cases["reopened"].any()
    camp = inter.filter(pl.col("type") == "campaign_email")
    assert camp["campaign_id"].is_not_null().all()
    assert camp["campaign_id"].str.contains("-BONUS$").any()  # other departments write too
