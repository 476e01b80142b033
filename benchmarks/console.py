"""Benchmark: agent console search and profile page server time at N customers.

Scales a built demo profile database (e.g. the 2,000-person demo) up to N customers by
replicating every customer with new customer ids (``C`` + 9 digits) and unique e-mail / phone /
id lookup keys per copy. Copy 0 keeps the demo's names; every further copy re-draws first and
last names from the simulator's German name frequency lists (``simulator.reference``). That
list holds only the ~250 most common surnames (about a third of Germans carry one of them), so
65 % of those customers get a surname from 100,000 random tokens instead (the long tail of a
real customer base). "Müller" then matches ~1.6 % of customers (in Germany ~0.3 %), "Anna
Müller" ~90 at 1M: still pessimistic for the common names.
The scaled data dir also gets the lake files the console may read (canonical person records,
identity edges), so an older console version can be measured on the same database
(``--skip-scale`` with ``PYTHONPATH`` pointing at its checkout).

Usage::

    .venv/bin/python benchmarks/console.py --source /tmp/console_dev --customers 1000000 \
        --data-dir /tmp/bench_console_1m [--skip-scale] [--label after]

Writes ``benchmarks/results/console_<N>.json`` (``--label`` runs are merged into the file under
``runs.<label>``): p50/p95/max (ms) of the full request (SQL and template rendering, measured
in-process around Flask's test client) for name, fuzzy name, e-mail, phone, card and
customer-id searches and for profile pages.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import pyarrow as pa  # noqa: E402

from cdp.config import Settings  # noqa: E402
from cdp.standardise import name_key  # noqa: E402
from exports.console.app import create_app  # noqa: E402
from simulator import reference as ref  # noqa: E402

_CUSTOMER_TABLES = ["customer", "customer_value", "consent", "preferred_channel", "identity_link",
                    "contact_history", "person_record"]
_KEY_SUFFIXED = ("record_key", "record_key_l", "record_key_r", "linked_to")


def _cid(col: str) -> str:
    return (f"'C' || lpad(CAST(CAST(substr({col}, 2) AS BIGINT) + k.i * $n AS VARCHAR), 9, '0')")


def _draw_names(ids: list[str], salutations: list[str | None], seed: int = 5) -> pa.Table:
    """First and last names by the simulator's frequencies (65 % rare random surnames)."""
    rng = np.random.default_rng(seed)
    n = len(ids)
    fem = np.array([s == "Frau" if s in ("Frau", "Herr") else rng.random() < 0.5 for s in salutations])
    fw = ref.FEMALE_WEIGHTS.sum(axis=1)
    mw = ref.MALE_WEIGHTS.sum(axis=1)
    first = np.where(fem, rng.choice(ref.FEMALE_NAMES, n, p=fw / fw.sum()),
                     rng.choice(ref.MALE_NAMES, n, p=mw / mw.sum()))
    last = rng.choice(ref.SURNAMES, n, p=ref.SURNAME_WEIGHTS / ref.SURNAME_WEIGHTS.sum())
    rnd = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    rare = ["".join(rnd.choice(letters) for _ in range(rnd.randint(4, 11))).capitalize()
            for _ in range(100_000)]
    use_rare = rng.random(n) < 0.65
    last = np.where(use_rare, np.array(rare, dtype=object)[rng.integers(0, len(rare), n)], last)
    return pa.table({"customer_id": ids, "first_name": first.tolist(), "last_name": last.tolist()})


def scale(source: Settings, target: Settings, customers: int) -> dict:
    """Write a profile database of ``customers`` customers (plus its lake files) under target."""
    src = str(source.paths.duckdb)
    target.paths.root.mkdir(parents=True, exist_ok=True)
    if target.paths.duckdb.exists():
        target.paths.duckdb.unlink()
    shutil.rmtree(target.paths.exports / "console", ignore_errors=True)
    con = duckdb.connect(str(target.paths.duckdb))
    con.execute("SET enable_progress_bar = false")
    # a shared machine: keep DuckDB's memory bounded (it spills to disk beyond this)
    con.execute("SET memory_limit = '3GB'")
    con.execute("SET preserve_insertion_order = false")
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
            elif c in _KEY_SUFFIXED:
                sel.append(f"s.{c} || CASE WHEN k.i > 0 THEN '#' || k.i ELSE '' END AS {c}")
            elif c == "contact_id":
                sel.append("s.contact_id || '#' || k.i AS contact_id")
            elif c == "email" and t in ("customer", "person_record"):
                sel.append("CASE WHEN k.i > 0 THEN k.i || '.' ELSE '' END || s.email AS email")
            elif c == "source_record_id" and t == "person_record":
                sel.append("s.source_record_id || CASE WHEN k.i > 0 THEN '#' || k.i ELSE '' END AS source_record_id")
            else:
                sel.append(f's."{c}"')
        con.execute(
            f"CREATE TABLE {t} AS SELECT {', '.join(sel)} FROM src.{t} s, k "
            f"WHERE s.customer_id IS NOT NULL AND CAST(substr(s.customer_id, 2) AS BIGINT) + k.i * $n <= $limit "
            f"ORDER BY customer_id", {"n": base, "limit": customers})
    # re-drawn names for every copy but the first
    ids, sal = zip(*con.execute(
        "SELECT customer_id, salutation FROM customer WHERE CAST(substr(customer_id, 2) AS BIGINT) > $b "
        "ORDER BY customer_id", {"b": base}).fetchall(), strict=True)
    names = _draw_names(list(ids), list(sal))
    con.register("names_arrow", names)
    con.execute("CREATE TEMP TABLE new_name AS SELECT * FROM names_arrow")
    con.unregister("names_arrow")
    distinct = {v for col in ("first_name", "last_name") for v in names.column(col).to_pylist()}
    # the build's rule for name keys (profiles.build.name_keys), on every distinct name at once
    norm = pl.DataFrame({"name": sorted(v for v in distinct if v is not None)}, schema={"name": pl.String})
    norm = norm.with_columns(name_key(pl.col("name")).fill_null("").alias("norm"))
    con.register("name_norm_arrow", norm.to_arrow())
    con.execute("CREATE TEMP TABLE name_norm AS SELECT name, norm FROM name_norm_arrow")
    con.unregister("name_norm_arrow")
    for t in ("customer", "person_record"):
        con.execute(f"UPDATE {t} SET first_name = n.first_name, last_name = n.last_name "
                    f"FROM new_name n WHERE {t}.customer_id = n.customer_id")
    # lookup keys: e-mail, phone, ids made unique per copy; name keys of the re-drawn names
    con.execute(
        f"CREATE TABLE customer_lookup AS "
        f"SELECT CASE WHEN k.i = 0 THEN key "
        f"WHEN key_type = 'customer_id' THEN lower({_cid('s.customer_id')}) "
        f"WHEN key_type = 'email' THEN k.i || '.' || key ELSE key || '#' || k.i END AS key, key_type, "
        f"{_cid('s.customer_id')} AS customer_id FROM src.customer_lookup s, k "
        f"WHERE (key_type <> 'name' OR k.i = 0) "
        f"AND CAST(substr(s.customer_id, 2) AS BIGINT) + k.i * $n <= $limit "
        f"UNION ALL SELECT f.norm || ' ' || l.norm, 'name', n.customer_id FROM new_name n "
        f"JOIN name_norm f ON f.name = n.first_name JOIN name_norm l ON l.name = n.last_name "
        f"UNION ALL SELECT l.norm || ' ' || f.norm, 'name', n.customer_id FROM new_name n "
        f"JOIN name_norm f ON f.name = n.first_name JOIN name_norm l ON l.name = n.last_name "
        f"ORDER BY key", {"n": base, "limit": customers})
    con.execute("CREATE INDEX customer_lookup_key_idx ON customer_lookup (key)")
    con.execute("CREATE INDEX person_record_customer_idx ON person_record (customer_id)")
    con.execute("CREATE INDEX customer_id_idx ON customer (customer_id)")
    con.execute("CREATE INDEX customer_value_id_idx ON customer_value (customer_id)")
    con.execute("CREATE TABLE customer_id_history AS SELECT * FROM src.customer_id_history")
    con.execute("CREATE TABLE profile_build AS SELECT * REPLACE (now() AS built_at) FROM src.profile_build")
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in [*_CUSTOMER_TABLES, "customer_lookup"]}
    counts["distinct_name_keys"] = con.execute(
        "SELECT count(DISTINCT key) FROM customer_lookup WHERE key_type = 'name'").fetchone()[0]
    # the lake files a console may read: canonical person records and identity edges
    pr_dir = target.paths.canonical_table("person_records")
    shutil.rmtree(pr_dir, ignore_errors=True)
    pr_dir.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY (SELECT * EXCLUDE (customer_id, link_method, match_probability, linked_to, "
                f"link_reason, load_id) FROM person_record) TO '{pr_dir / 'part-0.parquet'}' (FORMAT parquet)")
    edges = source.paths.identity / "edges.parquet"
    target.paths.identity.mkdir(parents=True, exist_ok=True)
    if edges.is_file():
        con.execute(
            f"COPY (SELECT e.* REPLACE ("
            f"e.record_key_l || CASE WHEN k.i > 0 THEN '#' || k.i ELSE '' END AS record_key_l, "
            f"e.record_key_r || CASE WHEN k.i > 0 THEN '#' || k.i ELSE '' END AS record_key_r) "
            f"FROM read_parquet('{edges}') e JOIN src.identity_link l ON l.record_key = e.record_key_l, k "
            f"WHERE CAST(substr(l.customer_id, 2) AS BIGINT) + k.i * {int(base)} <= {int(customers)}) "
            f"TO '{target.paths.identity / 'edges.parquet'}' (FORMAT parquet)")
    con.execute("DETACH src")
    con.execute("CHECKPOINT")
    con.close()
    (target.paths.models / "identity").mkdir(parents=True, exist_ok=True)
    for f in (source.paths.models / "identity").glob("model_v*.json"):
        shutil.copy(f, target.paths.models / "identity" / f.name)
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


def requests_for(settings: Settings, samples: int) -> dict[str, list[str]]:
    """The request paths to time, per kind, for a sample of customers (same for every run)."""
    con = duckdb.connect(str(settings.paths.duckdb), read_only=True)
    rnd = random.Random(11)
    picks = con.execute(
        "SELECT customer_id, first_name, last_name, email, coalesce(mobile, phone), "
        "bonus_card_numbers[1] FROM customer "
        # SAMPLE takes no parameters; samples is an int from argparse
        f"USING SAMPLE reservoir({int(samples)} ROWS) REPEATABLE (3) ORDER BY customer_id").fetchall()
    con.close()
    q = {
        "search_name": [f"{f} {ln}" for _, f, ln, *_ in picks if f and ln],
        "search_name_typo": [f"{_typo(f, rnd)} {_typo(ln, rnd)}" for _, f, ln, *_ in picks if f and ln],
        "search_last_name": [ln for _, _, ln, *_ in picks if ln],
        "search_email": [e for _, _, _, e, *_ in picks if e],
        "search_phone": [ph.replace("+49", "0") for *_, ph, _ in picks if ph],
        "search_card": [card for *_, card in picks if card],
        "search_customer_id": [c for c, *_ in picks],
    }
    out = {k: ["/?" + urlencode({"q": x}) for x in v] for k, v in q.items()}
    out["profile_page"] = [f"/customer/{c}" for c, *_ in picks]
    out["profile_page_2"] = [f"/customer/{c}?page=2" for c, *_ in picks[:50]]
    return out


def worker(data_dir: Path) -> None:
    """Serve timing requests: read a path per line on stdin, answer ``status ms`` on stdout."""
    settings = Settings().with_data_dir(data_dir)
    t0 = time.perf_counter()
    app = create_app(settings)
    client = app.test_client()
    client.get("/?q=warmup")
    print(f"ready {time.perf_counter() - t0:.1f}", flush=True)
    for line in sys.stdin:
        t0 = time.perf_counter()
        r = client.get(line.strip())
        print(f"{r.status_code} {(time.perf_counter() - t0) * 1000:.3f}", flush=True)
    app.extensions["cdp_console"].close()


def measure(target: Settings, samples: int, impls: dict[str, tuple[Path, str | None]]) -> dict:
    """Time every request on each implementation, interleaved (A, B, B, A, ...) so that the
    shared machine's load hits all of them alike. ``impls``: label -> (data dir, PYTHONPATH)."""
    paths = requests_for(target, samples)
    procs, startup = {}, {}
    for label, (data_dir, pythonpath) in impls.items():
        env = dict(os.environ)
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        procs[label] = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(data_dir)], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        ready = procs[label].stdout.readline().split()
        assert ready and ready[0] == "ready", f"worker {label} did not start"
        startup[label] = float(ready[1])
    labels = list(procs)
    times = {label: {} for label in labels}
    for kind, reqs in paths.items():
        for i, path in enumerate(reqs):
            for label in (labels if i % 2 == 0 else labels[::-1]):
                p = procs[label]
                p.stdin.write(path + "\n")
                p.stdin.flush()
                status, ms = p.stdout.readline().split()
                assert status == "200", f"{label} {path}: HTTP {status}"
                times[label].setdefault(kind, []).append(float(ms))
    for p in procs.values():
        p.stdin.close()
        p.wait(timeout=60)
    return {label: {"console_startup_seconds": startup[label],
                    "requests": {k: _stats(v) for k, v in times[label].items()}} for label in labels}


def _alias_data_dir(target: Settings, alias: Path) -> Path:
    """A second data dir on the same database file (own sidecar), for an older console."""
    alias.mkdir(parents=True, exist_ok=True)
    for name in ("cdp.duckdb", "lake", "models"):
        link = alias / name
        if not link.exists():
            link.symlink_to(target.paths.root / name)
    return alias


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, help="data dir of a built demo (cdp.duckdb)")
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--skip-scale", action="store_true", help="measure the scaled --data-dir as it is")
    ap.add_argument("--before", type=Path, default=None,
                    help="a checkout of an older console (its exports/ is imported) to time alongside")
    ap.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--results", type=Path, default=Path(__file__).parent / "results")
    a = ap.parse_args()
    if a.worker:
        worker(a.worker)
        return
    work = a.data_dir or Path(tempfile.mkdtemp(prefix="bench-console-"))
    target = Settings().with_data_dir(work)
    counts, scale_s = None, None
    if not a.skip_scale:
        t0 = time.perf_counter()
        counts = scale(Settings().with_data_dir(a.source), target, a.customers)
        scale_s = round(time.perf_counter() - t0, 1)
    impls = {"after": (work, None)}
    if a.before:
        impls = {"before": (_alias_data_dir(target, work.with_name(work.name + "-before")), str(a.before)),
                 **impls}
    for data_dir, _ in impls.values():  # each run builds its sidecar from scratch
        shutil.rmtree(Path(data_dir) / "exports" / "console", ignore_errors=True)
    con = duckdb.connect(str(target.paths.duckdb), read_only=True)
    n = con.execute("SELECT count(*) FROM customer").fetchone()[0]
    if counts is None:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in [*_CUSTOMER_TABLES, "customer_lookup"]}
    con.close()
    load = round(os.getloadavg()[0], 1)
    runs = measure(target, a.samples, impls)
    for run in runs.values():
        run["under_target_p95"] = all(v["p95_ms"] < 100 for v in run["requests"].values())
    result = {
        "benchmark": "console",
        "created_at": datetime.now(UTC).isoformat(),
        "customers": n,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "duckdb": duckdb.__version__, "load_avg_1m_at_start": load,
                    "load_avg_1m_at_end": round(os.getloadavg()[0], 1),
                    "note": "2 shared cores; other jobs ran at the same time"},
        "method": "full request in-process (Flask test client: SQL and template rendering); "
                  "implementations in separate worker processes on the same database file, "
                  "requests interleaved",
        "scale_seconds": scale_s,
        "counts": counts,
        "target_ms": 100,
        "runs": runs,
    }
    a.results.mkdir(parents=True, exist_ok=True)
    out = a.results / f"console_{n}.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v["requests"] for k, v in runs.items()}, indent=2))
    print(out)
    if a.data_dir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
