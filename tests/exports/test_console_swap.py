"""The console while `cdp build-profiles` swaps the profile database under it (os.replace)."""

from __future__ import annotations

import http.client
import threading
import urllib.error
import urllib.parse
import urllib.request

import polars as pl
from werkzeug.serving import make_server

from cdp.lake import write_parquet_atomic
from exports.console.app import create_app
from profiles.build import build_profiles


def _get(base: str, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(base + path, timeout=30) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def test_requests_during_and_after_a_rebuild_never_fail_and_see_the_new_data(fresh):
    app = create_app(fresh)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    paths = ["/customer/C000000002", "/?q=Bernd+Schmidt", "/?q=Schmitd", "/customer/C000000001?page=2",
             "/?q=anna%40example.de", "/healthz"]
    failures: list[str] = []
    served = [0]
    stop = threading.Event()

    def hammer(offset: int) -> None:
        i = offset
        while not stop.is_set():
            path = paths[i % len(paths)]
            try:
                status, _ = _get(base, path)
                if status != 200:
                    failures.append(f"{path}: HTTP {status}")
            except (OSError, http.client.HTTPException) as e:  # reset, timeout, bad reply: a failed request too
                failures.append(f"{path}: {e!r}")
            served[0] += 1
            i += 1

    workers = [threading.Thread(target=hammer, args=(k,)) for k in range(3)]
    try:
        status, html = _get(base, "/customer/C000000002")
        assert status == 200 and "Bernhard" not in html
        for w in workers:
            w.start()
        # The CRM renames Bernd to Bernhard; the profiles are rebuilt and swapped in while the
        # console is answering requests.
        part = fresh.paths.canonical_table("person_records") / "part-0.parquet"
        df = pl.read_parquet(part).with_columns(
            pl.when(pl.col("record_key") == "crm:CRM-2").then(pl.lit("Bernhard"))
            .otherwise(pl.col("first_name")).alias("first_name"))
        write_parquet_atomic(df, part)
        before = served[0]
        build_profiles(fresh)
        # requests after the swap see the new golden record and the new search index
        status, html = _get(base, "/customer/C000000002")
        assert status == 200 and "Bernhard" in html
        status, html = _get(base, "/?q=" + urllib.parse.quote("Bernhard Schmidt"))
        assert status == 200 and "/customer/C000000002" in html and "Bernhard" in html
        stop.wait(0.5)
    finally:
        stop.set()
        for w in workers:
            if w.is_alive():
                w.join(timeout=30)
        server.shutdown()
        app.extensions["cdp_console"].close()
    assert served[0] > before  # the swap really happened under load
    assert failures == []
