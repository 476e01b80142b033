"""Benchmark: agent console search and profile page server time at N customers.

Scales a built demo profile database (e.g. the 2,000-person demo) up to N customers by
replicating every customer with new customer ids (``C`` + 9 digits) and unique e-mail / phone /
id lookup keys per copy; names repeat across copies, so one name matches N/2,000 times as many
customers as in the demo (a pessimistic fan-out for the fuzzy join). To give the fuzzy step a
realistic vocabulary, 100,000 random name tokens are added to the token vocabulary.

Usage::

    .venv/bin/python benchmarks/console.py --source /tmp/console_dev --customers 1000000

Writes ``benchmarks/results/console_<N>.json``: p50/p95/max (ms) of the full request (SQL and
template rendering, measured in-process around Flask's test client) for name, fuzzy name,
e-mail, phone and customer-id searches and for profile pages.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import duckdb  # noqa: E402

from cdp.config import Settings  # noqa: E402
from exports.console.app import create_app  # noqa: E402
from exports.console.index import build_search_index, index_path  # noqa: E402
from exports.db import sql_text  # noqa: E402

_CUSTOMER_TABLES = ["customer", "customer_value", "consent", "preferred_channel", "identity_link",
                    "contact_history"]


def _cid(col: str) -> str:
    return (f"'C' || lpad(CAST(CAST(substr({col}, 2) AS BIGINT) + k.i * $n AS VARCHAR), 9, '0')")


def scale(source: Settings, target: Settings, customers: int) -> dict:
    """Write a profile database of ``customers`` customers and its console index under target."""
    src = str(source.paths.duckdb)
    target.paths.root.mkdir(parents=True, exist_ok=True)
    if target.paths.duckdb.exists():
        target.paths.duckdb.unlink()
    con = duckdb.connect(str(target.paths.duckdb))
    con.execute("SET enable_progress_bar = false")
    con.execute(f"ATTACH '{src}' AS src (READ_ONLY)")
    n = con.execute("SELECT count(*) FROM src.customer").fetchone()[0]
    copies = -(-customers // n)
    base = con.execute("SELECT max(CAST(substr(customer_id, 2) AS BIGINT)) FROM src.customer").fetchone()[0]
    con.execute("CREATE TEMP TABLE k AS SELECT range AS i FROM range($copies)", {"copies": copies})
    for t in _CUSTOMER_TABLES:
        cols = [r[0] for r in con.execute(f"DESCRIBE src.{t}").fetchall()]
        sel = []
        for c in cols:
            if c == "customer_id":
                sel.append(f"{_cid('s.customer_id')} AS customer_id")
            elif c == "record_key":
                sel.append("s.record_key || CASE WHEN k.i > 0 THEN '#' || k.i ELSE '' END AS record_key")
            elif c == "contact_id":
                sel.append("s.contact_id || '#' || k.i AS contact_id")
            elif c == "email" and t == "customer":
                sel.append("CASE WHEN k.i > 0 THEN k.i || '.' ELSE '' END || s.email AS email")
            else:
                sel.append(f's."{c}"')
        con.execute(
            f"CREATE TABLE {t} AS SELECT {', '.join(sel)} FROM src.{t} s, k "
            f"WHERE s.customer_id IS NOT NULL AND CAST(substr(s.customer_id, 2) AS BIGINT) + k.i * $n <= $limit "
            f"ORDER BY customer_id", {"n": base, "limit": customers})
    # lookup keys: names repeat across copies, everything else is made unique per copy
    con.execute(
        f"CREATE TABLE customer_lookup AS SELECT CASE WHEN key_type = 'name' OR k.i = 0 THEN key "
        f"WHEN key_type = 'customer_id' THEN lower({_cid('s.customer_id')}) "
        f"WHEN key_type = 'email' THEN k.i || '.' || key ELSE key || '#' || k.i END AS key, key_type, "
        f"{_cid('s.customer_id')} AS customer_id FROM src.customer_lookup s, k "
        f"WHERE CAST(substr(s.customer_id, 2) AS BIGINT) + k.i * $n <= $limit ORDER BY key",
        {"n": base, "limit": customers})
    con.execute("CREATE INDEX customer_lookup_key_idx ON customer_lookup (key)")
    con.execute("CREATE TABLE customer_id_history AS SELECT * FROM src.customer_id_history")
    con.execute("CREATE TABLE profile_build AS SELECT * REPLACE (now() AS built_at) FROM src.profile_build")
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in [*_CUSTOMER_TABLES, "customer_lookup"]}
    con.execute("DETACH src")
    con.execute("CHECKPOINT")
    con.close()
    # the console index: names from the scaled lookup; source records and edges replicated
    (target.paths.models / "identity").mkdir(parents=True, exist_ok=True)
    for f in (source.paths.models / "identity").glob("model_v*.json"):
        shutil.copy(f, target.paths.models / "identity" / f.name)
    build_search_index(target)
    idx = duckdb.connect(str(index_path(target)))
    idx.execute(f"ATTACH '{index_path(source)}' AS s (READ_ONLY)")
    idx.execute("CREATE TEMP TABLE k AS SELECT range AS i FROM range($copies)", {"copies": copies})
    for t in ("source_record", "link_edge"):
        cols = [r[0] for r in idx.execute(f"DESCRIBE s.{t}").fetchall()]
        sel = [f"{_cid('x.customer_id')} AS customer_id" if c == "customer_id" else
               (f"x.{c} || CASE WHEN k.i > 0 THEN '#' || k.i ELSE '' END AS {c}"
                if c in ("record_key", "record_key_l", "record_key_r") else f'x."{c}"') for c in cols]
        idx.execute(f"CREATE OR REPLACE TABLE {t} AS SELECT {', '.join(sel)} FROM s.{t} x, k "
                    f"WHERE CAST(substr(x.customer_id, 2) AS BIGINT) + k.i * $n <= $limit ORDER BY customer_id",
                    {"n": base, "limit": customers})
    rnd = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    extra = [("".join(rnd.choice(letters) for _ in range(rnd.randint(4, 11))),) for _ in range(100_000)]
    idx.execute("CREATE TEMP TABLE extra (token VARCHAR)")
    idx.executemany("INSERT INTO extra VALUES (?)", extra)
    idx.execute("INSERT INTO name_token SELECT DISTINCT token, 1, length(token) FROM extra "
                "WHERE token NOT IN (SELECT token FROM name_token)")
    idx.execute("CREATE OR REPLACE TABLE name_token AS SELECT * FROM name_token ORDER BY token")
    variant_sql = next(st for st in sql_text("search_index").split(";") if "TABLE name_variant" in st)
    idx.execute(variant_sql)
    counts["name_token"] = idx.execute("SELECT count(*) FROM name_token").fetchone()[0]
    counts["customer_token"] = idx.execute("SELECT count(*) FROM customer_token").fetchone()[0]
    idx.execute("DETACH s")
    idx.execute("CHECKPOINT")
    idx.close()
    return counts


def _typo(name: str, rnd: random.Random) -> str:
    if len(name) < 5:
        return name
    i = rnd.randrange(1, len(name) - 2)
    return name[:i] + name[i + 1] + name[i] + name[i + 2:]  # transpose two letters


def _stats(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2),
            "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 2), "max_ms": round(ms[-1], 2)}


def measure(settings: Settings, samples: int) -> dict:
    con = duckdb.connect(str(settings.paths.duckdb), read_only=True)
    rnd = random.Random(11)
    n = con.execute("SELECT count(*) FROM customer").fetchone()[0]
    picks = con.execute(
        "SELECT customer_id, first_name, last_name, email, coalesce(mobile, phone) FROM customer "
        # SAMPLE takes no parameters; samples is an int from argparse
        f"USING SAMPLE reservoir({int(samples)} ROWS) REPEATABLE (3)").fetchall()
    con.close()
    app = create_app(settings)
    client = app.test_client()
    client.get("/?q=warmup")
    queries = {
        "search_name": [f"{f} {ln}" for _, f, ln, _, _ in picks if f and ln],
        "search_name_typo": [f"{_typo(f, rnd)} {_typo(ln, rnd)}" for _, f, ln, _, _ in picks if f and ln],
        "search_last_name": [ln for _, _, ln, _, _ in picks if ln],
        "search_email": [e for _, _, _, e, _ in picks if e],
        "search_phone": [ph.replace("+49", "0") for *_, ph in picks if ph],
        "search_customer_id": [c for c, *_ in picks],
    }
    out = {}
    for kind, qs in queries.items():
        times = []
        for q in qs:
            t0 = time.perf_counter()
            r = client.get("/", query_string={"q": q})
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200
        out[kind] = _stats(times)
    times = []
    for c, *_ in picks:
        t0 = time.perf_counter()
        r = client.get(f"/customer/{c}")
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, c
    out["profile_page"] = _stats(times)
    times = []
    for c, *_ in picks[:50]:
        t0 = time.perf_counter()
        client.get(f"/customer/{c}?page=2")
        times.append((time.perf_counter() - t0) * 1000)
    out["profile_page_2"] = _stats(times)
    app.extensions["cdp_console"].close()
    return {"customers": n, "requests": out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, required=True, help="data dir of a built demo (cdp.duckdb)")
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--results", type=Path, default=Path(__file__).parent / "results")
    a = ap.parse_args()
    source = Settings().with_data_dir(a.source)
    if not index_path(source).is_file():
        build_search_index(source)
    work = a.data_dir or Path(tempfile.mkdtemp(prefix="bench-console-"))
    target = Settings().with_data_dir(work)
    t0 = time.perf_counter()
    counts = scale(source, target, a.customers)
    scale_s = time.perf_counter() - t0
    result = {
        "benchmark": "console",
        "created_at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "duckdb": duckdb.__version__, "note": "2 shared cores; other jobs ran at the same time"},
        "scale_seconds": round(scale_s, 1),
        "counts": counts,
        **measure(target, a.samples),
        "target_ms": 100,
    }
    result["under_target_p95"] = all(v["p95_ms"] < 100 for v in result["requests"].values())
    a.results.mkdir(parents=True, exist_ok=True)
    out = a.results / f"console_{result['customers']}.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result["requests"], indent=2))
    print(out)
    if a.data_dir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
