"""Screenshots of the console for the docs: ``python -m exports.console.screenshots --data-dir D``.

Starts the console on a free localhost port in a thread and drives Debian's headless Chromium
through Playwright. Writes ``console-search.png``, ``console-profile.png``,
``console-records.png`` (the profile's source records and why they were linked) and
``console-cx.png`` (the customer-experience page).
"""

from __future__ import annotations

import argparse
import threading
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

from cdp.config import Settings, load_settings
from exports.console.app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextmanager
def running_console(settings: Settings):
    """Serve the console on 127.0.0.1:<free port> in a thread; yields the base URL."""
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        app.extensions["cdp_console"].close()


@contextmanager
def browser_page(width: int = 1440, height: int = 900):
    """A headless Chromium page (Playwright driving /usr/bin/chromium)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def take(settings: Settings, out: Path, query: str, customer_id: str | None = None) -> list[Path]:
    """Screenshot the search results for ``query`` and a profile (the first hit by default)."""
    out.mkdir(parents=True, exist_ok=True)
    with running_console(settings) as base, browser_page() as page:
        page.goto(base + "/")
        page.fill("input[name=q]", query)
        page.press("input[name=q]", "Enter")
        page.wait_for_selector("table.list")
        search_png = out / "console-search.png"
        page.screenshot(path=str(search_png))
        if customer_id:
            page.goto(f"{base}/customer/{customer_id}")
        else:
            page.click("td.name a >> nth=0")
        page.wait_for_selector("#consent")
        profile_png = out / "console-profile.png"
        page.screenshot(path=str(profile_png))
        records_png = out / "console-records.png"  # below the fold: who this is, why linked
        page.locator("#records").screenshot(path=str(records_png))
        page.goto(f"{base}/cx")
        page.wait_for_selector("#cx-headline")
        cx_png = out / "console-cx.png"
        page.screenshot(path=str(cx_png), full_page=True)
    return [search_png, profile_png, records_png, cx_png]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--out", default="docs/img")
    ap.add_argument("--query", default="Mueller")
    ap.add_argument("--customer")
    ap.add_argument("--role", default="agent")
    a = ap.parse_args()
    settings = load_settings(data_dir=a.data_dir)
    settings.exports.console_role = a.role
    for p in take(settings, Path(a.out), a.query, a.customer):
        print(p)


if __name__ == "__main__":
    main()
