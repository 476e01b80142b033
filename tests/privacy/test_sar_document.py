"""The subject-access document in a real browser (Debian's headless Chromium via Playwright):
German, readable on screen and on paper, dates as TT.MM.JJJJ, no technical column names."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from dsr.sar import sar
from tests.privacy.conftest import multi_source_customer, person_identifiers

CHROMIUM = "/usr/bin/chromium"

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    not Path(CHROMIUM).exists() and shutil.which("chromium") is None, reason="chromium missing")]

SECTIONS = ["1. Informationen nach Art. 15 Abs. 1 DSGVO", "2. Ihr zusammengeführtes Kundenprofil",
            "3. Ihre Datensätze in unseren Systemen", "4. Einwilligungen und Widersprüche",
            "5. Ihre Kontakte mit uns", "6. Abgeleitete Angaben"]


def test_sar_document_reads_and_prints_in_a_browser(install, tmp_path):
    from playwright.sync_api import sync_playwright

    s = install
    cid = multi_source_customer(s)
    out = sar(s, cid, tmp_path / "sar", actor="dpo", reason="DSR-10")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            page.goto(out["html"].resolve().as_uri())
            assert page.locator("html").get_attribute("lang") == "de"
            assert [h.strip() for h in page.locator("h2").all_inner_texts()][:6] == SECTIONS
            # fits the window: no 4,000-pixel-wide table
            assert page.evaluate("document.documentElement.scrollWidth") <= 1100
            text = page.locator("body").inner_text()
            # plain German labels, not column or SQL file names
            for technical in ("rfm_segment", "record_key", "source_row_number", ".sql", "customer_value"):
                assert technical not in text
            assert "Verantwortlich" in text and "Widerspruch" in text and "Speicherdauer" in text
            # German dates only: no ISO timestamps (rejected rows are quoted as the source delivered
            # them, its formats included); at least one TT.MM.JJJJ
            ours = page.evaluate("() => { const c = document.body.cloneNode(true); "
                                 "c.querySelectorAll('.as-delivered').forEach(e => e.remove()); "
                                 "return c.textContent; }")
            assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", ours)
            assert re.search(r"\b\d{2}\.\d{2}\.\d{4}\b", text)
            # every source record appears with its system name and number
            for key in person_identifiers(s, cid)["keys"]:
                assert key.split(":", 1)[1] in text
            shot = tmp_path / "sar.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            pdf = page.pdf(format="A4")
            assert pdf[:4] == b"%PDF" and len(pdf) > 10_000
        finally:
            browser.close()
