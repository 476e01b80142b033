"""The console as a server (issue 15, class 6): only its own host names, waitress without a
banner or access log, bounded values."""

from __future__ import annotations

import logging
import threading
import urllib.request

import pytest

from exports.console.app import MAX_RENDERED_CHARS, create_app, make_server


@pytest.fixture
def app(built):
    return create_app(built)


@pytest.mark.parametrize("host", ["evil.example", "rebind.attacker.test:8765", "192.168.1.5"])
def test_a_foreign_host_header_is_refused(app, host):
    resp = app.test_client().get("/?q=anna", headers={"Host": host})
    assert resp.status_code == 400
    assert b"anna" not in resp.data.lower()


@pytest.mark.parametrize("host", ["localhost", "localhost:8765", "127.0.0.1:8765"])
def test_local_host_names_are_answered(app, host):
    assert app.test_client().get("/", headers={"Host": host}).status_code == 200


def test_no_rendered_value_is_longer_than_the_limit(app):
    with app.app_context():
        out = app.jinja_env.from_string("<p>{{ v }}</p>").render(v="M" * 10 * MAX_RENDERED_CHARS)
    assert len(out) < MAX_RENDERED_CHARS + 20


def test_waitress_sends_no_banner_and_logs_no_search(app, caplog):
    server = make_server(app, "127.0.0.1", 0)
    port = server.socket.getsockname()[1]
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    try:
        with caplog.at_level(logging.DEBUG):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/?q=anna%40example.de", timeout=10) as resp:
                assert resp.status == 200
                assert resp.headers.get("Server") is None
                assert b"anna@example.de" in resp.read()
    finally:
        server.close()
    assert not [r for r in caplog.records if "anna" in r.getMessage()]
