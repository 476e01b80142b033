"""The agent console: a small read-only Flask app over the profile database.

GET only, parameterised SQL only, every value escaped by Jinja's autoescape, a strict
Content-Security-Policy (no scripts at all), and ``Cache-Control: no-store`` because every page
holds personal data. Only requests addressed to this machine's own names are answered (a
``Host`` header of another name is a DNS-rebinding page trying to read the console), and no
rendered value is longer than :data:`MAX_RENDERED_CHARS`. ``cdp serve`` runs
``create_app(settings)`` on waitress (:func:`serve`): no version banner, no access log (a
search URL holds the e-mail or name searched for).
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import waitress.server
from flask import Flask, abort, g, redirect, render_template, request, url_for

from cdp.config import Settings
from exports.console import cx_page, service
from exports.console.linkage import RECORD_NAMES, SOURCE_NAMES
from exports.console.roles import Role
from exports.display import de_date, de_money, phone_display
from identity.identify import Identifier

log = logging.getLogger(__name__)

_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
#: Host names the console answers to, besides a non-loopback ``--host`` it was started on.
LOCAL_HOSTS = ("localhost", "127.0.0.1")
#: No single value is rendered longer than this (a 10 MB "name" must not slow every page).
MAX_RENDERED_CHARS = 2_000
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
#: Lifecycle stages in an agent's words (no segment names such as "Cannot Lose Them").
STAGE_WORDS = {"new": "new customer", "active": "regular customer", "at_risk": "has not bought for a while",
               "lapsed": "former customer", "prospect": "has not bought yet"}


def _lease_per_request(app: Flask, data: service.ConsoleData) -> None:
    """Each request reads one database generation from start to end (a rebuild swaps it in
    between requests, never during one)."""

    @app.before_request
    def _open() -> None:
        if request.method not in ("GET", "HEAD"):
            abort(405)
        _ = request.host  # checks the Host header against TRUSTED_HOSTS (400 for any other name)
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


def _bounded(value: Any) -> Any:
    """Every value a template prints, cut to :data:`MAX_RENDERED_CHARS` characters."""
    if isinstance(value, str) and len(value) > MAX_RENDERED_CHARS:
        return value[:MAX_RENDERED_CHARS] + "…"
    return value


def create_app(settings: Settings, host: str | None = None) -> Flask:
    """Build the console app (read-only) for ``settings.paths.duckdb``.

    Raises:
        FileNotFoundError: when the profile database does not exist yet.
    """
    if not settings.paths.duckdb.is_file():
        raise FileNotFoundError(f"{settings.paths.duckdb} does not exist; run `cdp build-profiles` first")
    app = Flask(__name__)
    trusted = [*LOCAL_HOSTS, *([host] if host and host not in ("0.0.0.0", "::") else [])]
    app.config.update(MAX_CONTENT_LENGTH=16 * 1024, JSON_SORT_KEYS=False, TRUSTED_HOSTS=trusted)
    data = service.ConsoleData(settings)
    role = Role(settings.exports.console_role)
    app.extensions["cdp_console"] = data
    app.jinja_env.autoescape = True
    app.jinja_env.finalize = _bounded
    app.jinja_env.filters.update(dt=de_date, money=de_money, phone=phone_display,
                                 dtt=lambda v: de_date(v, time=True))
    app.jinja_env.globals.update(
        role=role, CHANNEL_WORDS=CHANNEL_WORDS, REASON_WORDS=REASON_WORDS, STATE_MARK=STATE_MARK,
        STAGE_WORDS=STAGE_WORDS, CONTACT_GROUPS=service.CONTACT_GROUPS,
        SOURCE_NAMES=SOURCE_NAMES, RECORD_NAMES=RECORD_NAMES,
        TOUCHPOINT_WORDS=cx_page.TOUCHPOINT_WORDS)
    app.register_blueprint(cx_page.blueprint)  # /cx: customer-experience charts

    _lease_per_request(app, data)
    app.after_request(_headers)

    @app.get("/")
    def search_page():
        q = request.args.get("q", "").strip()[:200]
        results, hits, callers = [], service.Hits([], 0), []
        if q:
            hits = service.search(g.cur, settings, q, role)
            results = service.result_rows(g.cur, settings, hits, role)
            callers = service.caller_candidates(g.cur, _identifier(app, settings), q)
        return render_template("search.html", q=q, results=results, total=hits.total, capped=hits.capped,
                               ignored_year=hits.ignored_year, callers=callers)

    @app.get("/customer/<customer_id>")
    def profile_page(customer_id: str):
        if not _ID.match(customer_id):
            abort(404)
        page = _int_arg("page", 1)
        contact_type = request.args.get("type") or None
        group = request.args.get("show", service.CONTACT_GROUPS[0])
        p = service.profile(g.cur, settings, customer_id, page, contact_type, group, role)
        if p is None:
            moved = service.survivor(g.cur, customer_id)
            if moved:
                return redirect(url_for("profile_page", customer_id=moved["id"], merged=customer_id))
            return render_template("not_found.html", customer_id=customer_id), 404
        merged = request.args.get("merged")
        if merged and not _ID.match(merged):
            merged = None
        return render_template("profile.html", p=p, c=p["customer"], merged=merged,
                               cx=cx_page.customer_cx(g.cur, p["customer"]["customer_id"], role))

    @app.get("/healthz")
    def healthz():
        n = g.cur.execute("SELECT count(*) FROM customer").fetchone()[0]
        return {"customers": n, "role": role.name}

    return app


def _identifier(app: Flask, settings: Settings) -> Identifier | None:
    """The app's :class:`Identifier`, opened on first use; None without identity outputs."""
    if "cdp_identifier" not in app.extensions:
        try:
            idf = Identifier(settings)
            idf.warm()
        except FileNotFoundError:
            log.info("console: no identity outputs or model, the caller check is off")
            idf = None
        except Exception as exc:  # noqa: BLE001 - the search must work without the caller check
            log.warning("console: the caller check is off: identify could not open (%s)", type(exc).__name__)
            idf = None
        app.extensions["cdp_identifier"] = idf
    return app.extensions["cdp_identifier"]


def make_server(app: Flask, host: str, port: int):
    """A waitress server for ``app`` (``port`` 0: any free port): a production WSGI server,
    without a ``Server`` banner and without an access log (request lines carry search terms)."""
    return waitress.server.create_server(
        app, host=host, port=port, ident="", threads=4, clear_untrusted_proxy_headers=True,
        max_request_body_size=16 * 1024, max_request_header_size=16 * 1024)


def serve(app: Flask, host: str, port: int) -> None:
    """Serve ``app`` until interrupted (see :func:`make_server`)."""
    make_server(app, host, port).run()
