"""Customer experience in exports: contact rules in audiences, the CX page and the agent's CX summary.

The export fixture (conftest) plus CX events: Anna has a detractor answer with a comment, an open
complaint that went from phone to e-mail and a bonus card with points; Bernd got three marketing
e-mails from two departments in the week before as_of (contact pressure); the customer with the
script name ignored her last five campaign e-mails (non-responder on e-mail, her only channel).
"""

from __future__ import annotations

import json
import shutil

import pytest

from exports.audience import export_audience
from exports.console.app import create_app
from exports.console.screenshots import CHROMIUM, browser_page, running_console

from . import conftest as fx

CX_PERSONS = [fx._person("C000000001", "bonus", "2760000000017", "Anna", "Müller")]


def _cx(i, rk, when, channel, etype, direction="inbound", **kw):
    row = fx._contact(i, rk, when, channel, etype, **kw)
    row["direction"] = direction
    return row


CX_CONTACTS = [
    _cx(500, "shop:S-1", "2024-05-20 18:00", "web", "survey_response", touchpoint="delivery",
        refers_to="O-1", nps=3, csat=2, comment="Lieferung kam zu spät.", outcome="completed",
        summary="survey SV_purchase on delivery"),
    _cx(501, "crm:CRM-1", "2024-06-01 09:00", "phone", "call", summary="Reklamation Gerät defekt",
        case_id="CASE-0000001", case_category="complaint", case_opened_at=fx.ts("2024-06-01 09:00"),
        agent_team="Reklamation", outcome="open", status="open"),
    _cx(502, "crm:CRM-1", "2024-06-04 10:00", "email", "email", direction="outbound",
        summary="Reklamation Gerät defekt", case_id="CASE-0000001", case_category="complaint",
        case_opened_at=fx.ts("2024-06-01 09:00"), agent_team="Reklamation", outcome="open", status="open"),
    _cx(503, "bonus:2760000000017", "2021-01-01", "store", "membership", status="active",
        direction=None, summary="bonus program membership"),
    _cx(504, "bonus:2760000000017", "2024-05-02 11:00", "store", "card_purchase", amount=20.0,
        currency="EUR", loyalty_points=1240, status="completed"),
    # contact pressure: three marketing mails in the week before as_of (2024-06-10)
    *[_cx(510 + i, "crm:CRM-2", f"2024-06-0{4 + i * 2} 08:00", "email", "email", direction="outbound",
          summary="Newsletter", campaign_id=f"CMP-2024-W23{'-BONUS' if i else ''}", outcome="ignored")
      for i in range(3)],
    # non-responder: five campaign e-mails, none opened
    *[_cx(520 + i, "shop:S-3", f"2024-0{1 + i}-15 08:00", "email", "email", direction="outbound",
          summary="Newsletter", campaign_id=f"CMP-2024-W0{3 + i}", outcome="ignored")
      for i in range(5)],
]


@pytest.fixture(scope="module")
def cx_built(tmp_path_factory):
    persons, contacts = fx.PERSONS, fx.CONTACTS
    fx.PERSONS, fx.CONTACTS = persons + CX_PERSONS, contacts + CX_CONTACTS
    try:
        return fx.write_fixture(tmp_path_factory.mktemp("cx") / "data")
    finally:
        fx.PERSONS, fx.CONTACTS = persons, contacts


def test_marketing_audience_honours_contact_pressure_and_non_responders(cx_built, tmp_path):
    res = export_audience(cx_built, "marketing", out=tmp_path / "m.csv")
    report = json.loads(res.report_path.read_text())
    exported = res.path.read_text()
    assert report["excluded"]["contact_pressure"] == 1 and "C000000002" not in exported
    assert report["excluded"]["non_responder"] == 1 and "C000000003" not in exported
    assert "3 or more marketing messages in the last 7 days" in report["reasons"]["contact_pressure"]
    assert "last 5" in report["reasons"]["non_responder"]
    # a service notice is not marketing: neither rule applies
    svc = json.loads(export_audience(cx_built, "service", out=tmp_path / "s.csv").report_path.read_text())
    assert "contact_pressure" not in svc["excluded"] and "non_responder" not in svc["excluded"]


def test_contact_rules_are_configurable(cx_built, tmp_path):
    cx_built.exports.contact_cap_messages = 4
    cx_built.exports.non_responder_last_k = 6
    try:
        res = export_audience(cx_built, "marketing", out=tmp_path / "m.csv")
    finally:
        cx_built.exports.contact_cap_messages = 3
        cx_built.exports.non_responder_last_k = 5
    exported = res.path.read_text()
    assert res.excluded["contact_pressure"] == 0 and res.excluded["non_responder"] == 0
    assert "C000000002" in exported and "C000000003" in exported


def test_profile_page_shows_score_open_case_churn_and_points(cx_built):
    client = create_app(cx_built).test_client()
    html = client.get("/customer/C000000001").get_data(as_text=True)
    assert "NPS 3" in html and "detractor" in html and "Lieferung kam zu spät." in html
    assert "1 open · oldest 8 days" in html and "PHONE → EMAIL" in html
    assert "1.240 points" in html and "member status: active" in html
    assert 'id="cx-churn"' in html


def test_cx_page_draws_charts_without_scripts(cx_built):
    client = create_app(cx_built).test_client()
    resp = client.get("/cx")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<script" not in html
    assert html.count("<svg") >= 8
    assert "Complaints per 1,000 customers" in html and "First-contact resolution" in html


browser = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} missing: run `make browser`")


@browser
@pytest.mark.browser
def test_cx_in_a_real_browser(cx_built):
    cx_built.exports.console_role = "agent"
    with running_console(cx_built) as base, browser_page() as page:
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(base + "/customer/C000000001")
        summary = page.locator("#cx-summary")
        box = summary.bounding_box()
        assert box["y"] + box["height"] <= 900  # above the fold on a 1440 x 900 screen
        assert "detractor" in page.locator("#cx-score").inner_text()
        page.click("text=Customer experience")
        page.wait_for_selector("#cx-headline")
        assert page.locator("figure.cx-chart svg").count() >= 8
        nps = page.locator("#chart-1 svg").bounding_box()
        assert nps["width"] > 300 and nps["height"] > 100
        assert page.locator("#chart-4 rect.bar").count() >= 1  # complaints per 1,000 customers
        # nothing blocked by the Content-Security-Policy (the favicon's 404 is no concern)
        assert [e for e in errors if "Refused" in e or "Content Security Policy" in e] == []
