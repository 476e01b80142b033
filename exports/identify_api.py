"""``cdp serve-identify``: the identify endpoint for source systems (JSON in, JSON out, localhost).

``POST /identify`` takes one person record as a JSON object (the fields of
:data:`identity.identify.QUERY_FIELDS` and ``customer_id``, any subset, plus optional ``limit``
and ``min_probability``) and answers ``identity.identify.IdentifyResult.as_dict()``: the candidate
customers with match probability, decision (``match``: batch resolution would link; ``possible``)
and the evidence in plain words. ``GET /healthz`` answers the index size and model version.

Like the console: bound to 127.0.0.1 by default, only requests addressed to this machine's own
names are answered (DNS rebinding), no access log (a request holds personal data), no value of
a query in any log line, 16 KB at most per request. The console (GET only, no scripts) stays a
separate app: this one is for programs.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, request

from cdp.config import Settings
from exports.console.app import LOCAL_HOSTS
from identity.identify import Identifier, QueryError

log = logging.getLogger(__name__)

#: Default port of ``cdp serve-identify`` (the console uses 8765).
DEFAULT_PORT = 8766


def create_identify_app(settings: Settings, host: str | None = None, identifier: Identifier | None = None) -> Flask:
    """The identify API app. The candidate index is opened (and built if needed) on creation."""
    app = Flask(__name__)
    trusted = [*LOCAL_HOSTS, *([host] if host and host not in ("0.0.0.0", "::") else [])]
    app.config.update(MAX_CONTENT_LENGTH=16 * 1024, TRUSTED_HOSTS=trusted)
    idf = identifier or Identifier(settings)
    idf.warm()
    app.extensions["cdp_identifier"] = idf

    @app.after_request
    def _headers(resp):
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        return resp

    @app.post("/identify")
    def identify_endpoint():
        _ = request.host  # checks the Host header against TRUSTED_HOSTS (400 for any other name)
        body: Any = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify(error="send one JSON object: the person's fields, e.g. "
                                 '{"first_name": "…", "last_name": "…", "postcode": "…"}'), 400
        limit = body.pop("limit", 5)
        min_p = body.pop("min_probability", None)
        if not isinstance(limit, int) or not 1 <= limit <= 50:
            return jsonify(error="limit: a whole number from 1 to 50"), 400
        if min_p is not None and not (isinstance(min_p, int | float) and 0 <= min_p <= 1):
            return jsonify(error="min_probability: a number from 0 to 1"), 400
        bad = [k for k, v in body.items() if v is not None and not isinstance(v, str | int)]
        if bad:
            return jsonify(error=f"field(s) {sorted(bad)}: give text"), 400
        try:
            res = idf.identify({k: str(v) for k, v in body.items() if v is not None}, limit=limit,
                               min_probability=min_p)
        except QueryError as exc:
            return jsonify(error=str(exc)), 400
        return jsonify(res.as_dict())

    @app.get("/healthz")
    def healthz():
        _ = request.host
        return jsonify(idf.warm())

    return app
