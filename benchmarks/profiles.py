"""Benchmark: build the profile database for N persons and time `cdp profile` lookups.

The canonical and identity inputs are synthesised directly (vectorised, seeded) in the exact
shapes of ``cdp.schema`` and docs/stages.md, so the benchmark does not depend on running the
simulator, ingestion and identity at that size. Per person: 1-4 source records (erp, crm, shop,
bonus), ~8 contact events and ~1.5 consent events on average.

Usage::

    .venv/bin/python benchmarks/profiles.py --persons 1000000 [--lookups 1000] [--data-dir DIR]

Writes ``benchmarks/results/profiles_<N>.json``: build seconds, row counts, and p50/p95 (ms) of
``find_customers`` by e-mail, phone and customer id, and of the full profile read.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and its name would shadow
# the `profiles` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from cdp.config import Settings  # noqa: E402
from cdp.lake import write_parquet_atomic  # noqa: E402
from cdp.schema import CONSENT_EVENT, CONTACT_EVENT, PERSON_RECORD, conform  # noqa: E402
from profiles.build import build_profiles  # noqa: E402
from profiles.lookup import find_customers, read_profile  # noqa: E402

SOURCES = ["erp", "crm", "shop", "bonus"]
ENTITY = {"erp": "customers", "crm": "contacts", "shop": "accounts", "bonus": "members"}
FIRST = ["Anna", "Bernd", "Carla", "Dieter", "Eva", "Frank", "Gül", "Hans", "Ines", "Jörg"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"]
CITIES = ["Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart", "Dresden"]
EVENT_KINDS = [  # source, entity, channel, direction, type, outcome, has amount
    ("erp", "invoices", "store", "inbound", "invoice", None, True),
    ("erp", "invoices", "store", "inbound", "credit_note", None, True),
    ("crm", "interactions", "phone", "inbound", "call", "resolved", False),
    ("crm", "interactions", "email", "outbound", "email", "opened", False),
    ("crm", "interactions", "email", "inbound", "ticket", "open", False),
    ("shop", "orders", "web", "inbound", "order", None, True),
    ("bonus", "transactions", "store", "inbound", "card_purchase", None, True),
]


def _nullable(values: np.ndarray, mask: np.ndarray) -> pl.Series:
    """Strings where ``mask``, else null."""
    return pl.select(pl.when(pl.Series(mask)).then(pl.Series(values.astype(str)))).to_series()


def synthesise(data_dir: Path, persons: int, seed: int = 1) -> Settings:
    """Write canonical + identity inputs for ``persons`` people under ``data_dir``."""
    rng = np.random.default_rng(seed)
    settings = Settings().with_data_dir(data_dir)
    paths = settings.paths
    t_end = datetime(2025, 6, 30, tzinfo=UTC).timestamp()
    span = 4 * 365 * 86400

    # person records: each person is in 1..4 sources
    has = rng.random((persons, 4)) < np.array([0.45, 0.55, 0.6, 0.4])
    has[~has.any(axis=1), 2] = True
    pid, src_idx = np.nonzero(has)
    n = len(pid)
    src = np.array(SOURCES)[src_idx]
    rid = np.char.add(np.array(["", "CRM-", "S-", "2760"])[src_idx], np.char.zfill((pid + 1).astype(str), 9))
    record_key = np.char.add(np.char.add(src, ":"), rid)
    updated = t_end - rng.random(n) * span
    emails = np.char.add(np.char.add("p", (pid + 1).astype(str)), "@example.de")
    email_mask = rng.random(n) < np.where(src == "bonus", 0.3, 0.9)
    phone = np.char.add("+4930", np.char.zfill((pid + 1).astype(str), 8))
    phone_mask = rng.random(n) < 0.6
    persons_df = pl.DataFrame({
        "record_key": record_key, "source_system": src,
        "source_entity": np.array([ENTITY[s] for s in SOURCES])[src_idx],
        "source_record_id": rid,
        "first_name": np.array(FIRST)[pid % len(FIRST)],
        "last_name": np.array(LAST)[(pid // 7) % len(LAST)],
        "email": _nullable(emails, email_mask),
        "email_verified": rng.random(n) < 0.5,
        "phone": _nullable(phone, phone_mask),
        "street": np.char.add("Hauptstraße ", ((pid % 200) + 1).astype(str)),
        "postcode": np.char.zfill((pid % 99999).astype(str), 5),
        "city": np.array(CITIES)[pid % len(CITIES)],
        "country": "DE",
        "stated_channel": _nullable(np.full(n, "email"), rng.random(n) < 0.1),
        "created_at": pl.Series((updated - 86400 * 365) * 1e6).cast(pl.Int64).cast(pl.Datetime("us", "UTC")),
        "updated_at": pl.Series(updated * 1e6).cast(pl.Int64).cast(pl.Datetime("us", "UTC")),
        "_source_file": "bench", "_row_number": np.arange(1, n + 1), "_load_id": "bench",
    })
    write_parquet_atomic(conform(persons_df, PERSON_RECORD), paths.canonical_table("person_records") / "part-0.parquet")
    cid = np.char.add("C", np.char.zfill((pid + 1).astype(str), 9))
    write_parquet_atomic(pl.DataFrame({
        "record_key": record_key, "source_system": src, "source_record_id": rid, "customer_id": cid,
        "match_probability": 1.0, "link_method": "deterministic", "model_version": "bench", "run_id": "bench",
    }), paths.identity / "identity_link.parquet")
    write_parquet_atomic(pl.DataFrame({
        "record_key": record_key,
        "email_std": _nullable(emails, email_mask),
        "phone_e164": _nullable(phone, phone_mask),
    }), paths.identity / "person_records_std.parquet")
    k = max(persons // 100, 1)
    write_parquet_atomic(pl.DataFrame({
        "old_customer_id": np.char.add("C9", np.char.zfill(np.arange(k).astype(str), 8)),
        "new_customer_id": cid[rng.integers(0, n, k)],
        "changed_at": datetime(2025, 6, 1, tzinfo=UTC), "reason": "merge", "run_id": "bench",
    }), paths.identity / "customer_id_history.parquet")

    # contact events: ~8 per person, on a random record of the person of the right source
    m = persons * 8
    kind = rng.integers(0, len(EVENT_KINDS), m)
    rec = rng.integers(0, n, m)
    kinds = np.array([k[:6] for k in EVENT_KINDS], dtype=object)
    amount = np.round(rng.gamma(2.0, 40.0, m), 2)
    amount = np.where(np.isin(kind, [1]), -amount / 3, amount)
    has_amount = np.array([k[6] for k in EVENT_KINDS])[kind]
    ts_ev = pl.Series((t_end - rng.random(m) * span) * 1e6).cast(pl.Int64).cast(pl.Datetime("us", "UTC"))
    ids = np.char.add("E", np.arange(m).astype(str))
    ev = pl.DataFrame({
        "source_system": kinds[kind, 0].astype(str), "source_entity": kinds[kind, 1].astype(str),
        "source_event_id": ids, "person_record_key": record_key[rec], "ts": ts_ev,
        "channel": kinds[kind, 2].astype(str), "direction": kinds[kind, 3].astype(str),
        "event_type": kinds[kind, 4].astype(str),
        "outcome": pl.Series(kinds[kind, 5].tolist(), dtype=pl.String),
        "amount": np.where(has_amount, amount, np.nan), "currency": "EUR",
        "summary": "benchmark", "_source_file": "bench", "_row_number": np.arange(1, m + 1), "_load_id": "bench",
    }).with_columns(
        event_key=pl.concat_str("source_system", pl.lit(":"), "source_entity", pl.lit(":"), "source_event_id"),
        amount=pl.col("amount").fill_nan(None),
    )
    write_parquet_atomic(conform(ev, CONTACT_EVENT), paths.canonical_table("contact_events") / "part-0.parquet")

    c = int(persons * 1.5)
    crec = rng.integers(0, n, c)
    cons = pl.DataFrame({
        "source_system": "crm", "source_entity": "consent_events",
        "source_event_id": np.char.add("CE", np.arange(c).astype(str)),
        "person_record_key": record_key[crec],
        "purpose": np.array(["marketing", "profiling", "service"])[rng.integers(0, 3, c)],
        "channel": np.array(["email", "phone", "sms", "letter"])[rng.integers(0, 4, c)],
        "status": np.where(rng.random(c) < 0.7, "granted", "withdrawn"),
        "ts": pl.Series((t_end - rng.random(c) * span) * 1e6).cast(pl.Int64).cast(pl.Datetime("us", "UTC")),
        "method": "double_opt_in", "evidence": "DS-2023-02",
        "_source_file": "bench", "_row_number": np.arange(1, c + 1), "_load_id": "bench",
    }).with_columns(consent_event_key=pl.concat_str(
        "source_system", pl.lit(":"), "source_entity", pl.lit(":"), "source_event_id"))
    write_parquet_atomic(conform(cons, CONSENT_EVENT), paths.canonical_table("consent_events") / "part-0.parquet")
    return settings


def _pct(xs: list[float]) -> dict[str, float]:
    a = np.array(xs) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 2), "p95_ms": round(float(np.percentile(a, 95)), 2),
            "max_ms": round(float(a.max()), 2)}


def measure_lookups(db: Path, lookups: int, seed: int = 2) -> dict:
    """p50/p95 of find_customers by e-mail, phone and id, and of reading the full profile."""
    con = duckdb.connect(str(db), read_only=True)
    rng = np.random.default_rng(seed)
    sample = {
        "email": con.execute("SELECT key FROM customer_lookup WHERE key_type = 'email' USING SAMPLE 2000 ROWS").fetchall(),
        "phone": con.execute("SELECT key FROM customer_lookup WHERE key_type = 'phone' USING SAMPLE 2000 ROWS").fetchall(),
        "customer_id": con.execute("SELECT customer_id FROM customer USING SAMPLE 2000 ROWS").fetchall(),
    }
    out: dict = {}
    all_find: list[float] = []
    profile_times: list[float] = []
    for kind, rows in sample.items():
        queries = [rows[i][0] for i in rng.integers(0, len(rows), lookups // 3 + 1)]
        if kind == "customer_id":
            queries = [q.upper() for q in queries]
        times = []
        for q in queries:
            t0 = time.perf_counter()
            ids = find_customers(con, q)
            times.append(time.perf_counter() - t0)
            if not ids:
                raise AssertionError(f"lookup by {kind} found nothing")
            t1 = time.perf_counter()
            read_profile(con, ids[0])
            profile_times.append(time.perf_counter() - t1)
        out[f"find_by_{kind}"] = _pct(times)
        all_find += times
    out["find_all"] = _pct(all_find)
    out["get_profile"] = _pct(profile_times)
    out["lookups"] = len(all_find)
    con.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--lookups", type=int, default=1000)
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--results", type=Path, default=Path(__file__).parent / "results")
    ap.add_argument("--lookups-only", action="store_true",
                    help="re-measure lookups on the database already in --data-dir; keep the build figures")
    args = ap.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-profiles-")) / "data"
    out = args.results / f"profiles_{args.persons}.json"
    if args.lookups_only:
        result = json.loads(out.read_text())
        result["lookup"] = measure_lookups(Settings().with_data_dir(data_dir).paths.duckdb, args.lookups)
        result["lookup_measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        out.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result["lookup"], indent=2))
        return

    t0 = time.perf_counter()
    if (data_dir / "lake" / "identity" / "identity_link.parquet").is_file():
        settings = Settings().with_data_dir(data_dir)
    else:
        settings = synthesise(data_dir, args.persons)
    synth_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    counts = build_profiles(settings)
    build_s = time.perf_counter() - t0
    result = {
        "benchmark": "profiles",
        "persons": args.persons,
        "synthesise_seconds": round(synth_s, 1),
        "build_seconds": round(build_s, 1),
        "build_under_5_min": build_s < 300,
        "counts": counts,
        "database_mb": round(settings.paths.duckdb.stat().st_size / 2**20, 1),
        "lookup": measure_lookups(settings.paths.duckdb, args.lookups),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "duckdb": duckdb.__version__, "note": "CPU shared with other jobs"},
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
