"""``cdp identify`` on the project's own simulator (generate -> ingest -> resolve -> build-profiles,
300 persons): a typo'd known customer is found, a new person is not, Splink's own scoring agrees,
erased and restricted people are never returned, the CLI and the endpoint answer JSON on localhost,
and no query value reaches a log."""

from __future__ import annotations

import json
import logging
import re
import shutil

import polars as pl
import pytest
from splink import DuckDBAPI
from splink.internals.realtime import compare_records
from typer.testing import CliRunner

from cdp.config import Settings
from cdp.standardise import standardise
from cli.main import app
from exports.console.app import create_app
from exports.identify_api import create_identify_app
from identity import model as m
from identity.identify import Identifier, query_record
from identity.identify_index import index_dir
from identity.io import load_person_records
from tests.simulated import run_cli_steps

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def sim(tmp_path_factory) -> Settings:
    data = tmp_path_factory.mktemp("identify") / "data"
    return run_cli_steps(data, 300, 5, ("ingest", "resolve", "build-profiles"))


@pytest.fixture(scope="module")
def idf(sim) -> Identifier:
    return Identifier(sim)


def _typo(s: str) -> str:
    """Two letters swapped in the middle (a transposition, as callers' names get typed)."""
    i = len(s) // 2
    return s[: i - 1] + s[i] + s[i - 1] + s[i + 1:]


@pytest.fixture(scope="module")
def known(sim) -> list[dict]:
    """ERP customers with name, birth date and postcode, with their batch customer id."""
    recs = load_person_records(sim).filter(
        (pl.col("source_system") == "erp") & pl.col("birth_date").is_not_null() & pl.col("postcode").is_not_null()
        & (pl.col("last_name").str.len_chars() >= 5))
    link = pl.read_parquet(sim.paths.identity / "identity_link.parquet", columns=["record_key", "customer_id"])
    return recs.join(link, on="record_key").sort("record_key").head(20).to_dicts()


def test_finds_a_known_customer_from_a_typod_query(idf, known):
    hits = 0
    for r in known:
        res = idf.identify({"first_name": r["first_name"], "last_name": _typo(r["last_name"]),
                            "birth_date": r["birth_date"].isoformat(), "postcode": r["postcode"]})
        top = res.candidates[0] if res.candidates else None
        hits += top is not None and top.customer_id == r["customer_id"] and top.decision == "match"
        if top is not None and top.customer_id == r["customer_id"]:
            assert any(e["words"] == "same birth date" for e in top.evidence)
    assert hits >= 18, f"only {hits} of {len(known)} typo'd customers found as the top match"


def test_a_new_person_is_nobody_certain(idf):
    res = idf.identify({"first_name": "Zacharias", "last_name": "Oberhuberlein", "birth_date": "1931-02-28",
                        "postcode": "99998", "email": "z.oberhuberlein@nowhere.example"})
    assert not res.as_dict()["certain"]
    assert all(c.decision != "match" for c in res.candidates)


def test_trusted_key_gives_a_certain_answer(idf, known):
    r = known[0]
    res = idf.identify({"erp_customer_no": r["source_record_id"]})
    assert res.candidates[0].customer_id == r["customer_id"]
    assert res.candidates[0].method == "trusted_key" and res.candidates[0].match_probability == 1.0
    assert res.as_dict()["certain"]


def test_scores_equal_splinks_own_scoring(sim, idf, known):
    """The weights are the saved model's: Splink's compare_records on the same pairs agrees."""
    r = known[1]
    fields = {"first_name": r["first_name"], "last_name": r["last_name"], "postcode": r["postcode"]}
    ctx = idf._current()
    q = m.splink_input(standardise(query_record(fields)))
    rows, _ = ctx.index.candidate_rows(q, 1000)
    ours = idf._score(ctx, q, rows)
    assert ours.height >= 2
    qt = q.with_columns(pl.lit(ctx.tf(c, q[c][0]), pl.Float64).alias(f"tf_{c}") for c in ctx.tf.columns)
    cand = ctx.index.records[rows.tolist()]
    cols = [c for c in cand.columns if c in qt.columns]
    model = json.loads(m.latest_model(sim).path.read_text())
    for k in ("cdp_model_version", "cdp_trained_on", "cdp_setup"):
        model.pop(k)
    theirs = compare_records(
        qt.select(cols).with_columns(pl.lit("query").alias("source_dataset")).to_arrow(),
        cand.select(cols).with_columns(pl.col("source_system").alias("source_dataset")).to_arrow(),
        model, DuckDBAPI())
    t = pl.from_arrow(theirs.as_duckdbpyrelation().to_arrow_table()).select(
        pl.col("record_key_r").alias("record_key"), pl.col("match_weight").alias("splink"))
    j = ours.select("record_key", "match_weight").join(t, on="record_key")
    assert j.height == ours.height
    assert (j["match_weight"] - j["splink"]).abs().max() < 1e-6


def test_cli_json_shape(sim, known):
    r = known[2]
    res = CliRunner().invoke(app, ["--data-dir", str(sim.paths.root), "identify", "--first-name", r["first_name"],
                                   "--last-name", r["last_name"], "--postcode", r["postcode"], "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out) >= {"candidates", "certain", "fields_used", "records_scored", "model_version", "timings_ms"}
    assert out["fields_used"] == ["first_name", "last_name", "postcode"]
    c = out["candidates"][0]
    assert set(c) >= {"customer_id", "match_probability", "decision", "evidence"}
    assert re.fullmatch(r"C\d{9}", c["customer_id"]) and 0 <= c["match_probability"] <= 1
    assert all(set(e) >= {"field", "words", "supports"} for e in c["evidence"])
    bad = CliRunner().invoke(app, ["--data-dir", str(sim.paths.root), "identify", "--birth-date", "1980-13-45"])
    assert bad.exit_code != 0


def test_endpoint_answers_json_and_only_on_localhost(sim, known):
    client = create_identify_app(sim).test_client()
    r = known[3]
    resp = client.post("/identify", json={"first_name": r["first_name"], "last_name": r["last_name"],
                                          "birth_date": r["birth_date"].isoformat()})
    assert resp.status_code == 200
    assert resp.get_json()["candidates"][0]["customer_id"] == r["customer_id"]
    assert client.post("/identify", json={"shoe_size": "44"}).status_code == 400
    assert client.post("/identify", data="not json").status_code == 400
    # a page on another name (DNS rebinding) gets no answer
    assert client.post("/identify", json={"last_name": "x"}, headers={"Host": "evil.example"}).status_code == 400
    refused = CliRunner().invoke(app, ["--data-dir", str(sim.paths.root), "serve-identify", "--host", "0.0.0.0"])
    assert refused.exit_code == 2 and "refusing" in refused.output


def test_no_query_value_in_logs(sim, known, caplog):
    r = known[4]
    caplog.set_level(logging.DEBUG)
    idf = Identifier(sim)
    shutil.rmtree(index_dir(sim), ignore_errors=True)  # the index build logs too
    idf.identify({"first_name": r["first_name"], "last_name": r["last_name"], "postcode": r["postcode"],
                  "email": "caller.secret@example.org"})
    text = "\n".join(rec.getMessage() for rec in caplog.records)
    for value in (r["first_name"], r["last_name"], r["postcode"], "caller.secret"):
        assert value not in text


def test_console_asks_is_the_caller_one_of_these(sim, known):
    r = known[5]
    sim.exports.console_role = "agent"
    flask_app = create_app(sim)
    try:
        html = flask_app.test_client().get("/", query_string={
            "q": f"{r['first_name']} {_typo(r['last_name'])} {r['postcode']}"}).get_data(as_text=True)
    finally:
        flask_app.extensions["cdp_console"].close()
    assert "Is the caller one of these?" in html
    section = html.split('id="caller-check"')[1]
    assert r["customer_id"] in section
    assert r["birth_date"].isoformat() not in section  # masked as the agent view: no birth date
    assert not re.search(r"0\.\d{4}", section)  # agents get words, not probabilities


def test_erased_and_restricted_people_are_never_found(sim, known, tmp_path):
    d = tmp_path / "data"
    shutil.copytree(sim.paths.root, d)
    s = Settings().with_data_dir(d)
    runner = CliRunner()
    gone, held = known[6], known[7]
    q = {k: {"first_name": r["first_name"], "last_name": r["last_name"], "birth_date": r["birth_date"].isoformat(),
             "postcode": r["postcode"], "erp_customer_no": r["source_record_id"]} for k, r in
         (("gone", gone), ("held", held))}
    idf = Identifier(s)
    assert idf.identify(q["gone"]).candidates[0].customer_id == gone["customer_id"]
    res = runner.invoke(app, ["--data-dir", str(d), "forget", gone["customer_id"], "--reason", "test", "--yes"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["--data-dir", str(d), "restrict", held["customer_id"], "--reason", "test"])
    assert res.exit_code == 0, res.output
    for key, r in (("gone", gone), ("held", held)):
        found = [c.customer_id for c in idf.identify(q[key], min_probability=0.0).candidates]
        assert r["customer_id"] not in found
        fresh = [c.customer_id for c in Identifier(s).identify(q[key], min_probability=0.0).candidates]
        assert r["customer_id"] not in fresh
