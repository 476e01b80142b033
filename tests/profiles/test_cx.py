"""Customer experience in the profile: feedback, service cases, campaign responses, churn risk, KPIs.

The profile fixture (conftest) plus CX events; the README's customer-experience queries are run
on it and must answer its questions. The churn model is checked against the simulator's truth
in test_simulated_cx below.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest

from privacy import store
from profiles.build import build_profiles

from . import conftest as fx
from .test_analyst_queries import BLOCKS

_cx = fx._contact


CASE = dict(case_id="CASE-0000001", case_category="complaint", case_opened_at=fx.ts("2024-06-01 09:00"),
            agent_team="Reklamation")
CX_CONTACTS = [
    # Anna: a late delivery, a detractor answer, a complaint open on two channels
    _cx("survey", "responses", "R_a", "shop:S-000001", "2024-05-18 19:00", "web", "inbound",
        "survey_response", touchpoint="delivery", refers_to="O-0000001", nps=2, csat=1,
        comment="Lieferung kam zu spät.", outcome="completed", summary="survey SV_purchase on delivery"),
    _cx("crm", "interactions", "INT-00000101", "crm:CRM-0000001", "2024-06-01 09:00", "phone", "inbound",
        "call", summary="Reklamation Gerät defekt", outcome="open", status="open", **CASE),
    _cx("crm", "interactions", "INT-00000102", "crm:CRM-0000001", "2024-06-03 09:00", "email", "outbound",
        "email", summary="Reklamation Gerät defekt", outcome="open", status="open", **CASE),
    _cx("bonus", "transactions", "T-9", "bonus:2760000000001", "2024-05-02 11:00", "store", "inbound",
        "card_purchase", amount=12.0, loyalty_points=300, store_id="S01"),
    _cx("bonus", "members", "2760000000001", "bonus:2760000000001", "2021-01-01", "store", None,
        "membership", status="active", summary="bonus program membership"),
    # Carla: a billing question solved in one call, then a promoter answer
    _cx("crm", "interactions", "INT-00000103", "crm:CRM-0000003", "2024-05-02 10:00", "phone", "inbound",
        "call", summary="Frage zur Rechnung", outcome="resolved", status="closed", case_id="CASE-0000002",
        case_category="billing", case_opened_at=fx.ts("2024-05-02 10:00"),
        case_closed_at=fx.ts("2024-05-02 10:30"), agent_team="Buchhaltung"),
    _cx("survey", "responses", "R_c", "crm:CRM-0000003", "2024-05-03 10:00", "web", "inbound",
        "survey_response", touchpoint="hotline", refers_to="CASE-0000002", nps=10, csat=5, ces=7,
        outcome="completed", summary="survey SV_service on hotline"),
    # Carla's delivery case: its first e-mail came in a delivery while open, the closing call later
    _cx("crm", "interactions", "INT-00000104", "crm:CRM-0000003", "2024-04-02 10:00", "email", "inbound",
        "email", summary="Lieferstatus", outcome="open", status="open", case_id="CASE-0000003",
        case_category="delivery", case_opened_at=fx.ts("2024-04-02 10:00")),
    _cx("crm", "interactions", "INT-00000105", "crm:CRM-0000003", "2024-04-04 11:00", "phone", "outbound",
        "call", summary="Lieferstatus", outcome="resolved", status="closed", case_id="CASE-0000003",
        case_category="delivery", case_opened_at=fx.ts("2024-04-02 10:00"),
        case_closed_at=fx.ts("2024-04-04 12:00")),
    # Bernd prefers e-mail (his newsletter grant) and never opened a campaign e-mail
    *[_cx("shop", "mailings", f"M-{i}", "shop:S-000002", f"2024-05-2{2 + i} 08:00", "email",
          "outbound", "email", summary="Newsletter", campaign_id=f"CMP-2024-W2{i}", outcome="ignored")
      for i in range(3)],
]


@pytest.fixture(scope="module")
def cx_settings(tmp_path_factory):
    contacts = fx.CONTACTS
    fx.CONTACTS = contacts + CX_CONTACTS
    try:
        settings = fx.write_fixture(tmp_path_factory.mktemp("cx") / "data")
    finally:
        fx.CONTACTS = contacts
    build_profiles(settings)
    return settings


@pytest.fixture
def cx(cx_settings):
    c = duckdb.connect(str(cx_settings.paths.duckdb), read_only=True)
    yield c
    c.close()


def _block(text: str) -> str:
    """The README query whose SQL contains ``text``."""
    found = [q for _, q in BLOCKS if text in q]
    assert len(found) == 1, f"README: {len(found)} queries contain {text!r}"
    return found[0]


def test_feedback_links_answer_to_customer_and_touchpoint(cx):
    rows = cx.execute("SELECT customer_id, touchpoint, nps_group, order_contact_id, case_id FROM feedback "
                      "ORDER BY answered_at").fetchall()
    assert rows == [("C000000003", "hotline", "promoter", None, "CASE-0000002"),
                    ("C000000001", "delivery", "detractor", "shop:orders:O-0000001", None)]


def test_service_case_spans_channels(cx):
    anna = cx.execute("SELECT status, contacts, channel_history, age_days, first_contact_resolution "
                      "FROM service_case WHERE case_id = 'CASE-0000001'").fetchone()
    assert anna == ("open", 2, ["phone", "email"], 9, False)
    carla = cx.execute("SELECT status, handling_hours, first_contact_resolution FROM service_case "
                       "WHERE case_id = 'CASE-0000002'").fetchone()
    assert carla == ("closed", 0.5, True)


def test_a_case_is_in_the_state_its_latest_contact_says(cx):
    r = cx.execute("SELECT status, closed_at IS NOT NULL, handling_hours, contacts, first_contact_resolution "
                   "FROM service_case WHERE case_id = 'CASE-0000003'").fetchone()
    assert r == ("closed", True, 50.0, 2, False)


def test_customer_experience_has_scores_cases_points(cx):
    r = cx.execute("SELECT latest_nps, latest_comment, open_cases, oldest_open_case_days, points_balance, "
                   "member_status FROM customer_experience WHERE customer_id = 'C000000001'").fetchone()
    assert r == (2, "Lieferung kam zu spät.", 1, 9, 300, "active")


def test_churn_risk_only_where_profiling_is_allowed(cx_settings):
    con = duckdb.connect(str(cx_settings.paths.duckdb), read_only=True)
    try:
        scored = {r[0] for r in con.execute("SELECT customer_id FROM churn_risk").fetchall()}
        flags = con.execute("SELECT open_complaint, detractor FROM churn_risk WHERE customer_id = 'C000000001'"
                            ).fetchone()
    finally:
        con.close()
    assert "C000000001" in scored and "C000000003" not in scored  # Carla never bought anything
    assert flags == (True, True)
    store.append(cx_settings, "restrictions.parquet", store.RESTRICTION, pl.DataFrame([dict(
        record_key="crm:CRM-0000001", customer_id="C000000001", reason="accuracy contested",
        restricted_at=fx.ts("2024-06-20"), actor="dpo")], schema=store.RESTRICTION))
    build_profiles(cx_settings)
    con = duckdb.connect(str(cx_settings.paths.duckdb), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM churn_risk WHERE customer_id = 'C000000001'").fetchone()[0] == 0
        assert con.execute("SELECT churn_risk FROM customer_experience WHERE customer_id = 'C000000001'"
                           ).fetchone()[0] is None
    finally:
        con.close()


def test_readme_cx_questions_answer_the_fixture(cx):
    detractors = cx.execute(_block("latest_nps_group = 'detractor'")).fetchall()
    assert [(r[0], r[3]) for r in detractors] == [("C000000001", "CASE-0000001")]
    per_1000 = {r[0]: r for r in cx.execute(_block("complaints_per_1000")).fetchall()}
    assert per_1000[date(2024, 6, 1)][1] == 1  # Anna's complaint in June
    never = cx.execute(_block("HAVING NOT bool_or(r.opened)")).fetchall()
    assert [(r[0], r[1]) for r in never] == [("C000000002", 3)]


def test_kpi_month_counts(cx):
    june = cx.execute("SELECT complaints, cases_opened, nps_responses FROM cx_kpi_monthly "
                      "WHERE month = DATE '2024-06-01'").fetchone()
    may = cx.execute("SELECT nps, csat, fcr_rate FROM cx_kpi_monthly WHERE month = DATE '2024-05-01'").fetchone()
    assert june == (1, 1, 0)
    assert may == (0.0, 3.0, 1.0)  # one promoter, one detractor; Carla's case solved at first contact
