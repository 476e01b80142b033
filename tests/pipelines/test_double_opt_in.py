"""A newsletter sign-up counts as a marketing e-mail grant only once its double opt-in is confirmed."""

import json

import duckdb
import polars as pl

from cdp.config import load_settings
from pipelines.canonical import build_canonical
from pipelines.ingest import ingest
from simulator import generate


def test_unconfirmed_newsletter_signups_are_pending_not_granted(tmp_path):
    settings = load_settings(env={}, data_dir=tmp_path)
    generate(300, seed=11, dirty_rate=0.0, out=settings.paths.landing, truth=settings.paths.truth)
    ingest(settings)
    build_canonical(settings)

    raw = []
    for f in settings.paths.landing.glob("shop/*/newsletter_*.jsonl"):
        raw += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line]
    unconfirmed = {r["signup_id"] for r in raw if r["action"] == "subscribe" and not r["confirmed_at"]}
    confirmed = {r["signup_id"] for r in raw if r["action"] == "subscribe" and r["confirmed_at"]}
    assert unconfirmed and confirmed

    events = pl.read_parquet(settings.paths.canonical_table("consent_events") / "*.parquet")
    shop = events.filter(pl.col("source_entity") == "newsletter")
    status = dict(zip(shop["source_event_id"], shop["status"], strict=True))
    assert {status[i] for i in unconfirmed} == {"pending"}
    assert {status[i] for i in confirmed} == {"granted"}
    methods = dict(zip(shop["source_event_id"], shop["method"], strict=True))
    assert {methods[i] for i in confirmed} == {"double_opt_in"}

    # and pending never becomes a grant in the consent state DuckDB computes from these events
    con = duckdb.connect()
    con.register("e", shop.to_arrow())
    assert con.sql("select count(*) from e where status = 'pending' and method = 'double_opt_in'").fetchall() == [(0,)]
