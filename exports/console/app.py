"""The agent console: a small read-only Flask app over the profile database.

GET only, parameterised SQL only, every value escaped by Jinja's autoescape, a strict
Content-Security-Policy (no scripts at all), and ``Cache-Control: no-store`` because every page
holds personal data. ``create_app(settings)`` is what ``cdp serve`` runs.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import date, datetime
from typing import Any

from flask import Flask, abort, g, redirect, render_template, request, url_for

from cdp.config import Settings
from exports.console import service
from exports.console.linkage import RECORD_NAMES, SOURCE_NAMES, confidence_words
from exports.console.roles import Role

log = logging.getLogger(__name__)

_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
CHANNEL_WORDS = {"email": "E-mail", "phone": "Phone", "sms": "SMS", "letter": "Letter",
                 "store": "Store", "web": "Web", "app": "App", "chat": "Chat"}
REASON_WORDS = {
    "stated_preference": "the customer asked for this channel",
    "observed_use": "the channel the customer uses and answers",
    "fallback_order": "default order (no preference or use seen)",
    "no_marketing_consent": "no marketing consent on any channel",
    "no_contact_point_for_consented_channel": "consented, but no contact details for that channel",
    "no_contact_point": "no contact details on file",
    "all_channels_withdrawn": "the customer withdrew every channel",
    "objection": "the customer objected (Art. 21 GDPR)",
    "no_legal_basis": "no legal basis for this purpose",
}
STATE_MARK = {"granted": "✓", "withdrawn": "✗", "objection": "⊘", "unknown": "–"}


def _fmt_dt(value: Any, with_time: bool = False) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M" if with_time else "%d.%m.%Y")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def _money(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:,.2f} €".replace(",", "X").replace(".", ",").replace("X", ".")


def _lease_per_request(app: Flask, data: service.ConsoleData) -> None:
    """Each request reads one database generation from start to end (a rebuild swaps it in
    between requests, never during one)."""

    @app.before_request
    def _open() -> None:
        if request.method not in ("GET", "HEAD"):
            abort(405)
        g.t0 = time.perf_counter()
        g.lease = data.lease()
        g.cur = g.lease[1]

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        g.pop("cur", None)
        lease = g.pop("lease", None)
        if lease is not None:
            data.release(*lease)


def _headers(resp):
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Cache-Control"] = "no-store"
    if "t0" in g:
        resp.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - g.t0) * 1000:.1f}"
    return resp


def _int_arg(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, str(default)))
    except ValueError:
        return default


def create_app(settings: Settings) -> Flask:
    """Build the console app (read-only) for ``settings.paths.duckdb``.

    Raises:
        FileNotFoundError: when the profile database does not exist yet.
    """
    if not settings.paths.duckdb.is_file():
        raise FileNotFoundError(f"{settings.paths.duckdb} does not exist; run `cdp build-profiles` first")
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=16 * 1024, JSON_SORT_KEYS=False)
    data = service.ConsoleData(settings)
    role = Role(settings.exports.console_role)
    app.extensions["cdp_console"] = data
    app.jinja_env.autoescape = True
    app.jinja_env.filters.update(dt=_fmt_dt, money=_money,
                                 dtt=lambda v: _fmt_dt(v, with_time=True))
    app.jinja_env.globals.update(
        role=role, CHANNEL_WORDS=CHANNEL_WORDS, REASON_WORDS=REASON_WORDS, STATE_MARK=STATE_MARK,
        SOURCE_NAMES=SOURCE_NAMES, RECORD_NAMES=RECORD_NAMES, confidence_words=confidence_words)

    _lease_per_request(app, data)
    app.after_request(_headers)

    @app.get("/")
    def search_page():
        q = request.args.get("q", "").strip()[:200]
        results = []
        if q:
            hits = service.search(g.cur, settings, q)
            results = service.result_rows(g.cur, hits)
        return render_template("search.html", q=q, results=results)

    @app.get("/customer/<customer_id>")
    def profile_page(customer_id: str):
        if not _ID.match(customer_id):
            abort(404)
        page = _int_arg("page", 1)
        contact_type = request.args.get("type") or None
        p = service.profile(g.cur, settings, customer_id, page, contact_type)
        if p is None:
            moved = service.survivor(g.cur, customer_id)
            if moved:
                return redirect(url_for("profile_page", customer_id=moved["id"], merged=customer_id))
            return render_template("not_found.html", customer_id=customer_id), 404
        merged = request.args.get("merged")
        if merged and not _ID.match(merged):
            merged = None
        return render_template("profile.html", p=p, c=p["customer"], merged=merged)

    @app.get("/healthz")
    def healthz():
        n = g.cur.execute("SELECT count(*) FROM customer").fetchone()[0]
        return {"customers": n, "role": role.name}

    return app
