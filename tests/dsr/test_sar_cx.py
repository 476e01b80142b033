"""A subject-access export includes the customer-experience data: survey comments, cases, churn score."""

from __future__ import annotations

import json

import polars as pl

from cdp.lake import write_parquet_atomic
from dsr.sar import sar
from tests.exports.test_cx import cx_built  # noqa: F401  (the fixture)


def test_sar_includes_survey_comments_cases_and_churn_score(cx_built, tmp_path):  # noqa: F811
    # the hand-built fixture has no staged files: a load log that says so
    log = pl.read_parquet(cx_built.paths.load_log)
    if "staged_path" not in log.columns:
        write_parquet_atomic(log.with_columns(staged_path=pl.lit(None, pl.String), load_date=pl.lit(None, pl.Date)),
                             cx_built.paths.load_log)
    out = sar(cx_built, "anna@example.de", tmp_path / "sar", actor="dpo", reason="DSR-17")
    doc = json.loads(out["json"].read_text(encoding="utf-8"))
    p = doc["profile"]
    assert [f["comment"] for f in p["feedback"]] == ["Lieferung kam zu spät."]
    assert [c["case_id"] for c in p["service_case"]] == ["CASE-0000001"]
    assert len(p["churn_risk"]) == 1 and "churn_risk" in p["derivation"]
