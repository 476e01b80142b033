"""Benchmark: ``cdp identify`` latency, and agreement with batch resolution, at N persons.

Runs over a data directory where ``cdp run`` (or ``cdp resolve``) has resolved a simulated base
with its truth (``<data>/truth/`` or ``--truth``). The base is never written to: the identity
outputs, the model and the privacy files identify reads are copied into ``--work`` first, and
the candidate index is built there (its build time is reported).

The query mix (``--queries`` in all, seeded), built from the base and the simulator's truth:

* ``record``: a source record's own fields as delivered (name, street, postcode, city, birth
  date, and its e-mail or phone when it has one);
* ``typo``: a person's true name with one typo (a transposition or a dropped letter) in the
  last or first name, plus birth date and postcode;
* ``moved``: a person who moved: true name, birth date and the *new* address (several of their
  records hold the old one);
* ``partial``: name only, name + postcode, e-mail only, phone only, bonus card only, ERP
  customer number only (from a record that has the field);
* ``new``: a brand-new person: first name, last name, birth date and address drawn from
  different persons of the base (nobody has them together).

Reported: p50 / p95 / p99 / max of the in-process ``Identifier.identify`` wall time per query
(and its CPU time, and per step), after a warm-up of 20 queries; the machine's load average
(2 cores shared with other jobs: wall time waits for them). Agreement: for queries built from
existing records or persons, whether the top candidate is the batch customer (the record's
``identity_link`` customer; for a person, the customer holding most of their records), and
whether it is a ``match`` (batch would link). For ``new`` queries: the share that got a
``match`` (a false certain answer). Memory: the resident set of a fresh process that opens the
index and answers the first 500 queries (as ``cdp serve-identify`` would), split into heap and
the memory-mapped index pages.

Baseline, in the same run: Splink's own per-record scoring, ``linker.inference.predict_between``
(the replacement of ``find_matches_to_new_records`` in Splink 5) of the one query record against
the whole base with the saved model, its blocking rules and TF tables, on DuckDB, for the first
``--baseline-queries`` queries: latency and whether its best-scoring record's customer is ours.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/identify.py --data-dir /work/bench1m/s18b/d100k \
        --work /work/bench1m/s18b/identify_100k --queries 2000

Writes ``benchmarks/results/identify_<N>.json`` (N = persons in the truth).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import polars as pl  # noqa: E402

from cdp.config import Settings  # noqa: E402
from cdp.standardise import standardise  # noqa: E402
from identity import model as m  # noqa: E402
from identity.identify import Identifier, query_record  # noqa: E402
from identity.identify_index import build_index, index_dir  # noqa: E402
from identity.io import load_person_records  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def _copy_inputs(base: Path, work: Path) -> Settings:
    """Copy what identify reads (identity outputs, model, privacy files) into ``work``."""
    if work.exists():
        shutil.rmtree(work)
    (work / "lake" / "identity").mkdir(parents=True)
    for name in ("person_records_std", "identity_link", "customer_id_history", "runs"):
        p = base / "lake" / "identity" / f"{name}.parquet"
        if p.is_file():
            shutil.copy2(p, work / "lake" / "identity" / p.name)
    shutil.copytree(base / "models", work / "models")
    if (base / "privacy").is_dir():
        shutil.copytree(base / "privacy", work / "privacy")
    return Settings().with_data_dir(work)


def _standardise_here(base: Settings, work: Path) -> Settings:
    """``--no-batch``: person_records_std from the base's canonical records (``cdp.standardise``),
    ``identity_link`` one customer per record, the base's trained model."""
    if work.exists():
        shutil.rmtree(work)
    (work / "lake" / "identity").mkdir(parents=True)
    shutil.copytree(base.paths.root / "models", work / "models")
    recs = load_person_records(base)
    std = standardise(recs)
    del recs
    std.write_parquet(work / "lake" / "identity" / "person_records_std.parquet")
    std.select("record_key", "source_system", "source_record_id",
               pl.format("R{}", pl.int_range(pl.len())).alias("customer_id")).write_parquet(
        work / "lake" / "identity" / "identity_link.parquet")
    return Settings().with_data_dir(work)


def _typo(s: str, rnd: random.Random) -> str:
    if len(s) < 4:
        return s
    i = rnd.randint(1, len(s) - 2)
    if rnd.random() < 0.5:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s[:i] + s[i + 1:]


def _address(p: dict) -> dict:
    return {"street": p["street"], "house_number": p["house_number"], "postcode": p["postcode"], "city": p["city"]}


def _partial_queries(recs: pl.DataFrame, n: int, seed: int) -> list[dict]:
    """Name only, name + postcode, e-mail, phone, bonus card or ERP number only, from records."""
    out: list[dict] = []
    shapes = [("name", ["first_name", "last_name"]), ("name+postcode", ["first_name", "last_name", "postcode"]),
              ("email", ["email"]), ("phone", ["phone"]), ("bonus_card", ["bonus_card_no"]),
              ("erp_number", ["erp_customer_no"])]
    k = n // len(shapes)
    for shape, cols in shapes:
        src = recs
        if shape == "bonus_card":
            src = recs.filter(pl.col("source_system") == "bonus").with_columns(pl.col("source_record_id").alias("bonus_card_no"))
        elif shape == "erp_number":
            src = recs.filter(pl.col("source_system") == "erp").with_columns(pl.col("source_record_id").alias("erp_customer_no"))
        elif shape == "phone":
            src = recs.with_columns(pl.coalesce("mobile", "phone").alias("phone"))
        src = src.filter(pl.all_horizontal([pl.col(c).is_not_null() for c in cols]))
        for r in src.sample(min(src.height, k), seed=seed + 3).to_dicts():
            out.append({"kind": "partial", "shape": shape, "fields": {c: r[c] for c in cols},
                        "expect_record": r["record_key"]})
    return out


def build_queries(base: Settings, truth: Path, n: int, seed: int = 7) -> list[dict]:
    """The query mix (see the module docstring): each ``{"kind", "fields", "expect_record" |
    "expect_person" | None}``."""
    rnd = random.Random(seed)
    recs = load_person_records(base).filter(~pl.col("is_guest").fill_null(False))
    persons = pl.read_parquet(truth / "persons.parquet")
    tr = pl.read_parquet(truth / "identity_truth.parquet", columns=["source_system", "source_record_id", "person_id"])
    recs = recs.join(tr, on=["source_system", "source_record_id"], how="left")
    known = persons.join(recs.select("person_id").unique(), on="person_id", how="semi")
    per_kind = {"record": 0.30, "typo": 0.25, "moved": 0.10, "partial": 0.20, "new": 0.15}
    out: list[dict] = []
    sample = recs.sample(min(recs.height, int(n * per_kind["record"])), seed=seed).to_dicts()
    for r in sample:
        f = {k: r[k] for k in ("first_name", "last_name", "street", "house_number", "postcode", "city")}
        f["birth_date"] = r["birth_date"].isoformat() if r["birth_date"] else None
        if r["email"] and rnd.random() < 0.5:
            f["email"] = r["email"]
        elif r["mobile"] or r["phone"]:
            f["phone"] = r["mobile"] or r["phone"]
        out.append({"kind": "record", "fields": f, "expect_record": r["record_key"]})
    for p in known.sample(int(n * per_kind["typo"]), seed=seed + 1).to_dicts():
        first, last = p["first_name"], p["last_name"]
        if rnd.random() < 0.7:
            last = _typo(last, rnd)
        else:
            first = _typo(first, rnd)
        out.append({"kind": "typo", "fields": {"first_name": first, "last_name": last,
                                               "birth_date": p["birth_date"].isoformat(), "postcode": p["postcode"]},
                    "expect_person": p["person_id"]})
    moved = known.filter(pl.col("moved"))
    for p in moved.sample(min(moved.height, int(n * per_kind["moved"])), seed=seed + 2).to_dicts():
        out.append({"kind": "moved", "fields": {"first_name": p["first_name"], "last_name": p["last_name"],
                                                "birth_date": p["birth_date"].isoformat(), **_address(p)},
                    "expect_person": p["person_id"]})
    out += _partial_queries(recs, int(n * per_kind["partial"]), seed)
    pool = persons.sample(min(persons.height, 4 * int(n * per_kind["new"])), seed=seed + 4).to_dicts()
    for i in range(int(n * per_kind["new"])):
        a, b, c, d = pool[4 * i: 4 * i + 4]
        bd = (c["birth_date"] + timedelta(days=rnd.randint(3, 300))).isoformat()
        out.append({"kind": "new", "fields": {"first_name": a["first_name"], "last_name": b["last_name"],
                                              "birth_date": bd, **_address(d)}, "expect_record": None})
    rnd.shuffle(out)
    for q in out:
        q["fields"] = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in q["fields"].items() if v}
    return out


def _pct(xs: list[float]) -> dict:
    if not xs:
        return {}
    s = sorted(xs)

    def at(p: float) -> float:
        return round(s[min(len(s) - 1, int(round(p * (len(s) - 1))))], 2)

    return {"n": len(s), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(s[-1], 2),
            "mean": round(statistics.fmean(s), 2)}


def _expected_customers(base: Settings, truth: Path) -> tuple[dict[str, str], dict[str, str]]:
    link = pl.read_parquet(base.paths.identity / "identity_link.parquet", columns=["record_key", "customer_id",
                                                                                   "source_system", "source_record_id"])
    tr = pl.read_parquet(truth / "identity_truth.parquet", columns=["source_system", "source_record_id", "person_id"])
    by_record = dict(link.select("record_key", "customer_id").iter_rows())
    major = (link.join(tr, on=["source_system", "source_record_id"]).group_by("person_id", "customer_id").len()
             .sort(["person_id", "len", "customer_id"], descending=[False, True, False])
             .unique("person_id", keep="first"))
    return by_record, dict(major.select("person_id", "customer_id").iter_rows())


def run_ours(idf: Identifier, queries: list[dict], by_record: dict, by_person: dict) -> dict:
    for q in queries[:20]:  # warm-up: regex compilation, first DuckDB plans, TF tables
        idf.identify(q["fields"])
    wall, cpu, steps = {}, {}, {}
    agree: dict[str, list[int]] = {}
    for q in queries:
        c0, t0 = time.process_time(), time.perf_counter()
        res = idf.identify(q["fields"])
        w, c = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
        kind = q["kind"] if q["kind"] != "partial" else f"partial:{q['shape']}"
        for key in dict.fromkeys(("all", q["kind"], kind)):
            wall.setdefault(key, []).append(w)
            cpu.setdefault(key, []).append(c)
        for s, v in res.timings_ms.items():
            steps.setdefault(s, []).append(v)
        top = res.candidates[0] if res.candidates else None
        q["ours_top"] = top.customer_id if top else None
        if q["kind"] == "new":
            agree.setdefault("new", []).append(int(bool(top and top.decision == "match")))
            continue
        want = by_record.get(q.get("expect_record")) if q.get("expect_record") else by_person.get(q.get("expect_person"))
        agree.setdefault(kind, []).append(int(top is not None and top.customer_id == want))
        agree.setdefault(kind + ":match", []).append(int(top is not None and top.customer_id == want
                                                         and top.decision == "match"))
        q["want"] = want
    return {
        "latency_ms": {k: _pct(v) for k, v in sorted(wall.items())},
        "cpu_ms": {k: _pct(v) for k, v in sorted(cpu.items())},
        "steps_ms": {k: _pct(v) for k, v in steps.items()},
        "agreement": {k: {"n": len(v), "rate": round(sum(v) / len(v), 4)} for k, v in sorted(agree.items())},
    }


def run_baseline(settings: Settings, queries: list[dict], by_record: dict) -> dict:
    """Splink 5's per-record scoring: predict_between(one query record, the whole base)."""
    model = m.latest_model(settings)
    std = pl.read_parquet(settings.paths.identity / "person_records_std.parquet")
    inp = m.sort_by_source(m.splink_input(std))
    del std
    db_api = m.duckdb_api(settings)
    t0 = time.perf_counter()
    sdf_base = m.register_sources(db_api, inp, prefix="")
    cust = dict(pl.read_parquet(settings.paths.identity / "identity_link.parquet",
                                columns=["record_key", "customer_id"]).iter_rows())
    times, same = [], []
    linker = None
    for i, q in enumerate(queries):
        qi = m.splink_input(standardise(query_record(q["fields"])))
        sdf_q = m.register_sources(db_api, qi, prefix=f"q{i}_")
        if linker is None:
            linker = m.load_linker(settings, model, sdf_q + sdf_base)
            m.register_tf_tables(linker, db_api, model)
            setup_s = time.perf_counter() - t0
        t = time.perf_counter()
        pred = linker.inference.predict_between(sdf_q, sdf_base,
                                                threshold_match_probability=settings.identity.predict_threshold)
        rel = pred.as_duckdbpyrelation()
        best = rel.order("match_probability DESC, record_key_r").limit(1).fetchall()
        times.append((time.perf_counter() - t) * 1000)
        cols = rel.columns
        top = cust.get(best[0][cols.index("record_key_r")]) if best else None
        same.append(int(top == q.get("ours_top")))
    return {"method": "splink.inference.predict_between(query, base) per query (Splink 5; find_matches_to_new_records "
                      "was removed), saved model, its blocking rules and TF tables, DuckDB",
            "setup_s": round(setup_s, 2) if linker else None, "latency_ms": _pct(times),
            "top_customer_same_as_ours": {"n": len(same), "rate": round(sum(same) / max(1, len(same)), 4)}}


def _status_mb() -> dict:
    """This process's resident memory from /proc/self/status (MB): all, anonymous (heap), file
    pages (the memory-mapped index), peak."""
    want = {"VmRSS": "rss_mb", "RssAnon": "anon_mb", "RssFile": "file_mb", "VmHWM": "peak_mb"}
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        k = line.split(":")[0]
        if k in want:
            out[want[k]] = round(int(line.split()[1]) / 1024, 1)
    return out


def _serve(work: str, queries: list[dict], result) -> None:
    idf = Identifier(Settings().with_data_dir(Path(work)))
    idf.warm()
    opened = _status_mb()
    for q in queries:
        idf.identify(q["fields"])
    result.put({"after_open": opened, "after_queries": _status_mb(), "queries": len(queries)})


def serving_memory(work: Path, queries: list[dict]) -> dict:
    """RSS of a fresh serving process (``cdp serve-identify`` holds the same): open the index,
    answer ``queries``; the index build's memory is not in it."""
    ctx = multiprocessing.get_context("spawn")
    result = ctx.Queue()
    p = ctx.Process(target=_serve, args=(str(work), queries, result))
    p.start()
    out = result.get()
    p.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, required=True, help="a resolved data dir (read only)")
    ap.add_argument("--truth", type=Path, default=None, help="simulator truth (default <data-dir>/truth)")
    ap.add_argument("--work", type=Path, required=True, help="scratch dir for the copied inputs and the index")
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--baseline-queries", type=int, default=50)
    ap.add_argument("--keep", action="store_true", help="keep --work afterwards")
    ap.add_argument("--no-batch", action="store_true",
                    help="the base has no identity outputs (resolve did not finish): standardise its canonical "
                         "person records here, one customer per record; latency and baseline only, no agreement")
    args = ap.parse_args()
    truth = args.truth or args.data_dir / "truth"
    n_persons = pl.scan_parquet(truth / "persons.parquet").select(pl.len()).collect().item()
    load0 = os.getloadavg()
    t = time.perf_counter()
    base = Settings().with_data_dir(args.data_dir)
    if args.no_batch:
        work = _standardise_here(base, args.work)
    else:
        work = _copy_inputs(args.data_dir, args.work)
    copy_s = time.perf_counter() - t
    queries = build_queries(base, truth, args.queries)
    by_record, by_person = _expected_customers(work, truth)
    model = m.latest_model(work)
    built = build_index(work, model)
    idf = Identifier(work)
    t = time.perf_counter()
    idf.warm()
    open_s = time.perf_counter() - t
    ours = run_ours(idf, queries, by_record, by_person)
    load1 = os.getloadavg()
    memory = serving_memory(args.work, queries[:500])
    baseline = run_baseline(work, queries[: args.baseline_queries], by_record)
    size = sum(p.stat().st_size for p in index_dir(work).iterdir())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent).stdout.strip()
    if args.no_batch:
        ours["agreement"] = {"new": ours["agreement"].get("new"), "others": "not measured: the base has no batch "
                             "resolution (--no-batch: one customer per record)"}
    out = {
        "persons": n_persons, "batch_resolution": not args.no_batch, "records": built["records"], "queries": len(queries),
        "mix": {k: sum(1 for q in queries if q["kind"] == k) for k in ("record", "typo", "moved", "partial", "new")},
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "commit": commit,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_before": [round(x, 1) for x in load0], "loadavg_after": [round(x, 1) for x in load1]},
        "index": {**built, "bytes": size, "copy_inputs_s": round(copy_s, 2), "open_s": round(open_s, 2)},
        "serving_process_memory": memory, "ours": ours, "baseline": baseline,
        "target": "p95 < 50 ms at 1,000,000 persons",
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"identify_{n_persons}.json"
    path.write_text(json.dumps(out, indent=1))
    print(json.dumps({"all": ours["latency_ms"]["all"], "agreement": ours["agreement"],
                      "baseline": baseline["latency_ms"]}, indent=1))
    print(f"wrote {path}")
    if not args.keep:
        shutil.rmtree(args.work)


if __name__ == "__main__":
    main()
