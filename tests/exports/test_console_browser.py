"""The console in a real browser: Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import shutil

import pytest

from exports.console.screenshots import CHROMIUM, browser_page, running_console

from .conftest import XSS_NAME

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} missing: run `make browser`")]


@pytest.fixture(scope="module")
def console(built):
    built.exports.console_role = "agent"
    with running_console(built) as base, browser_page() as page:
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        yield base, page, dialogs


def test_search_open_profile_see_timeline_and_consent(console):
    base, page, _ = console
    page.goto(base + "/")
    page.fill("input[name=q]", "Ana Mueler")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("table.list")
    assert page.locator("td.name a").first.inner_text().strip() == "Anna Müller"
    page.locator("td.name a").first.click()
    page.wait_for_selector("#consent")
    assert page.locator("#customer-name").inner_text().endswith("Anna Müller")
    assert "Letter" in page.locator("#channel-marketing").inner_text()
    letter = page.locator("#consent td.st-granted")
    assert letter.count() == 1 and "granted" in letter.inner_text()
    assert page.locator("#consent td.st-withdrawn").count() == 2
    rows = page.locator("#timeline tbody tr")
    assert rows.count() == 25
    page.click("a[rel=next]")
    page.wait_for_selector("text=page 2 of 2")
    assert page.locator("#timeline tbody tr").count() == 5  # 30 service contacts
    page.click("#timeline-tabs >> text=marketing")
    page.wait_for_selector("text=5 marketing contacts")
    # the consent and channel answer is visible without scrolling
    page.goto(base + "/customer/C000000001")
    assert page.locator("#channel-marketing").is_visible()
    box = page.locator("#consent").bounding_box()
    assert box["y"] + box["height"] <= 900


def test_a_script_name_is_shown_as_text(console):
    base, page, dialogs = console
    page.goto(base + "/customer/C000000003")
    page.wait_for_selector("#customer-name")
    assert XSS_NAME in page.locator("#customer-name").inner_text()
    page.goto(base + "/?q=x%40example.de")
    page.wait_for_selector("table.list")
    assert XSS_NAME in page.locator("td.name").first.inner_text()
    assert dialogs == []


def test_retired_id_lands_on_the_survivor(console):
    base, page, _ = console
    page.goto(base + "/customer/C000000009")
    assert page.url.split("?")[0].endswith("/customer/C000000001")
    assert "was merged into" in page.locator(".notice").inner_text()
