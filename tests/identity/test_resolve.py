"""End to end on small seeded records: accuracy, stable ids, overrides, churn, incremental."""

import shutil

import polars as pl
import pytest

from cdp.config import Settings
from identity.evaluate import evaluate_frames
from identity.resolve import ChurnLimitExceeded, resolve
from tests.identity.synth import make_records


@pytest.fixture(scope="module")
def data():
    return make_records(700, seed=11)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data):
    """A data dir with a trained model and one full run."""
    d = tmp_path_factory.mktemp("idbase")
    resolve(Settings().with_data_dir(d), records=data[0])
    return d


@pytest.fixture
def settings(tmp_path, trained):
    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    return Settings().with_data_dir(tmp_path)


def _link(s):
    return pl.read_parquet(s.paths.identity / "identity_link.parquet")


def test_outputs_and_accuracy(settings, data):
    link = _link(settings)
    assert link.height == data[0].height
    assert link["customer_id"].str.contains(r"^C\d{9}$").all()
    for name in ("customer_id_history", "membership", "person_records_std", "edges", "runs"):
        assert (settings.paths.identity / f"{name}.parquet").exists()
    res = evaluate_frames(link, data[1])
    assert res["pairwise"]["f1"] > 0.95
    assert res["hard_negatives"]["twin"]["wrongly_merged_share"] < 0.1


def test_rerun_keeps_every_customer_id(settings, data):
    before = dict(_link(settings).select("record_key", "customer_id").iter_rows())
    rep = resolve(settings, records=data[0])
    after = dict(_link(settings).select("record_key", "customer_id").iter_rows())
    assert before == after and rep.churn == 0


def _merged_pair(settings, data):
    """Two records of different true persons that ended up in one customer (if any), else two linked records."""
    link = _link(settings).join(data[1].select("record_key", "person_id"), on="record_key")
    multi = link.group_by("customer_id").agg("record_key", pl.col("person_id").n_unique().alias("p")) \
        .filter(pl.col("record_key").list.len() > 1).sort("p", "customer_id", descending=[True, False])
    keys = multi["record_key"][0].sort().to_list()
    return keys[0], keys[1]


def test_cannot_link_override_splits_and_must_link_merges(settings, data):
    a, b = _merged_pair(settings, data)
    settings.paths.overrides.mkdir(parents=True, exist_ok=True)
    (settings.paths.overrides / "steward.csv").write_text(f"record_a,record_b,decision,reason\n{a},{b},cannot_link,checked\n")
    resolve(settings, records=data[0], force=True)
    m = dict(_link(settings).select("record_key", "customer_id").iter_rows())
    assert m[a] != m[b]
    hist = pl.read_parquet(settings.paths.identity / "customer_id_history.parquet")
    assert "split" in hist["reason"].to_list()
    # membership keeps what the customer was before
    mem = pl.read_parquet(settings.paths.identity / "membership.parquet")
    assert mem.filter(pl.col("valid_to").is_not_null()).height >= 1

    link = _link(settings)
    singles = link.group_by("customer_id").len().filter(pl.col("len") == 1)["customer_id"].sort().to_list()
    ka = link.filter(pl.col("customer_id") == singles[0])["record_key"][0]
    kb = link.filter(pl.col("customer_id") == singles[1])["record_key"][0]
    (settings.paths.overrides / "steward2.csv").write_text(f"record_a,record_b,decision\n{ka},{kb},must_link\n")
    resolve(settings, records=data[0], force=True)
    m = dict(_link(settings).select("record_key", "customer_id").iter_rows())
    assert m[ka] == m[kb] and m[a] != m[b]


def test_link_evidence_names_the_link_that_put_each_record_in_its_customer(settings, data):
    link = _link(settings)
    ev = pl.read_parquet(settings.paths.identity / "link_evidence.parquet")
    sizes = link.group_by("customer_id").len()
    linked = link.join(sizes.filter(pl.col("len") > 1), on="customer_id", how="semi")
    # one row per record of a multi-record customer, naming a record of the same customer
    assert sorted(ev["record_key"].to_list()) == sorted(linked["record_key"].to_list())
    cid = dict(link.select("record_key", "customer_id").iter_rows())
    assert all(cid[r] == cid[o] and r != o for r, o in ev.select("record_key", "linked_to").iter_rows())
    # the same method and probability identity_link holds; a key link names its key
    both = ev.join(link, on="record_key", suffix="_link")
    assert (both["link_method"] == both["link_method_link"]).all()
    assert (both["match_probability"] - both["match_probability_link"]).abs().max() < 1e-9
    keyed = ev.filter(pl.col("link_method") == "deterministic")
    assert keyed.height and keyed["rule"].is_not_null().all()
    scored = ev.filter(pl.col("link_method") == "probabilistic").select(pl.col("fields").explode()).unnest("fields")
    assert scored.height and scored["label"].is_not_null().all() and scored["top_level"].any()


def test_a_must_link_is_the_evidence_of_its_records(settings, data):
    link = _link(settings)
    singles = link.group_by("customer_id").len().filter(pl.col("len") == 1)["customer_id"].sort().to_list()
    ka, kb = (link.filter(pl.col("customer_id") == c)["record_key"][0] for c in singles[:2])
    settings.paths.overrides.mkdir(parents=True, exist_ok=True)
    (settings.paths.overrides / "steward.csv").write_text(f"record_a,record_b,decision\n{ka},{kb},must_link\n")
    resolve(settings, records=data[0], force=True)
    ev = pl.read_parquet(settings.paths.identity / "link_evidence.parquet").filter(pl.col("record_key").is_in([ka, kb]))
    assert sorted(ev["linked_to"].to_list()) == sorted([ka, kb])
    assert ev["rule"].str.contains("must_link").all()


def test_bad_override_file_names_file_and_row(settings, data):
    from identity.io import OverrideError

    settings.paths.overrides.mkdir(parents=True, exist_ok=True)
    (settings.paths.overrides / "bad.csv").write_text("record_a,record_b,decision\nerp:1,crm:2,maybe\n")
    with pytest.raises(OverrideError, match=r"bad.csv: row 1"):
        resolve(settings, records=data[0])


def test_churn_limit_stops_the_run_unless_forced(settings, data):
    settings.identity.match_threshold = 0.999999999  # nearly every link falls apart
    settings.identity.max_id_churn = 0.01
    before = _link(settings)
    with pytest.raises(ChurnLimitExceeded, match="max_id_churn"):
        resolve(settings, records=data[0])
    assert _link(settings).equals(before)  # nothing written
    rep = resolve(settings, records=data[0], force=True)
    assert rep.churn > 0.01


def test_incremental_agrees_with_full_run(tmp_path, trained, data):
    recs = data[0]
    inc_dir, full_dir = tmp_path / "inc", tmp_path / "full"
    for d in (inc_dir, full_dir):
        shutil.copytree(trained / "models", d / "models")
    s_inc, s_full = Settings().with_data_dir(inc_dir), Settings().with_data_dir(full_dir)
    old = recs.filter(pl.col("record_key").hash(seed=1) % 10 != 0)
    resolve(s_inc, records=old)
    rep = resolve(s_inc, records=recs, incremental=True)
    assert rep.mode == "incremental" and rep.records_scored == recs.height - old.height
    resolve(s_full, records=recs)

    def partition(s):
        df = _link(s)
        return df.join(df.group_by("customer_id").agg(pl.col("record_key").sort().alias("m")), on="customer_id") \
            .select("record_key", "m")

    j = partition(s_inc).join(partition(s_full), on="record_key")
    assert j.height == recs.height
    assert (j["m"] == j["m_right"]).mean() >= 0.995


def test_explain_pair_and_customer(settings):
    from identity.explain import explain_customer, explain_pair

    link = _link(settings)
    big = link.group_by("customer_id").len().filter(pl.col("len") >= 2).sort("customer_id")["customer_id"][0]
    a, b = link.filter(pl.col("customer_id") == big)["record_key"].sort().to_list()[:2]
    res = explain_pair(settings, a, b)
    assert res["same_customer"] is True
    assert {f["comparison"] for f in res["fields"]} >= {"name", "birth_date", "email", "address", "phone"}
    assert all(f["level"] for f in res["fields"])
    import json
    import math

    from identity.model import latest_model

    prior = json.loads(latest_model(settings).path.read_text())["probability_two_random_records_match"]
    total = math.log2(prior / (1 - prior)) + sum(f["match_weight"] + f["tf_adjustment"] for f in res["fields"])
    assert abs(res["match_weight"] - total) < 0.05  # the fields explain the whole score
    cust = explain_customer(settings, big)
    assert {r["record_key"] for r in cust["records"]} >= {a, b} and cust["edges"]


def _make_stale(settings):
    """Pretend the saved model was trained before the comparison levels changed."""
    import json

    from identity.model import latest_model

    p = latest_model(settings).path
    d = json.loads(p.read_text())
    d["cdp_trained_on"]["settings_fingerprint"] = "0000000000000000"
    p.write_text(json.dumps(d))


def test_fingerprint_changes_with_the_comparison_levels(monkeypatch):
    import identity.model as m

    before = m.settings_fingerprint()
    real = m.comparisons
    monkeypatch.setattr(m, "comparisons", lambda names=None: real(names)[:-1])  # a comparison dropped
    assert m.settings_fingerprint() != before


def test_stale_model_is_retrained_or_refused(settings, data):
    from typer.testing import CliRunner

    from cli.main import app
    from identity.model import latest_model

    _make_stale(settings)
    r = CliRunner().invoke(app, ["--data-dir", str(settings.data_dir), "resolve"],
                           env={"CDP_IDENTITY__RETRAIN_STALE_MODEL": "false"})
    assert r.exit_code == 2 and "cdp identity train" in r.output, r.output
    assert latest_model(settings).version == "v1"
    import logging

    seen = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda rec: seen.append(rec.getMessage())
    logging.getLogger("identity.resolve").addHandler(handler)
    try:
        rep = resolve(settings, records=data[0])
    finally:
        logging.getLogger("identity.resolve").removeHandler(handler)
    assert any("retraining" in msg for msg in seen)
    assert rep.model_version == "v2" and latest_model(settings).is_current


def test_explain_pair_with_a_missing_birth_date_and_a_soft_veto(settings):
    from identity.explain import explain_pair

    std = pl.read_parquet(settings.paths.identity / "person_records_std.parquet")
    no_dob = std.filter(pl.col("birth_date").is_null())["record_key"].sort()
    with_dob = std.filter(pl.col("birth_date").is_not_null())["record_key"].sort()
    res = explain_pair(settings, no_dob[0], with_dob[0])
    dob = next(f for f in res["fields"] if f["comparison"] == "birth_date")
    assert dob["gamma"] == -1 and "null" in dob["level"].lower()
    edges = pl.read_parquet(settings.paths.identity / "edges.parquet")
    from identity.veto import SOFT_VETOES

    soft = edges.filter(pl.col("veto").is_in(SOFT_VETOES)).sort("record_key_l", "record_key_r")
    assert soft.height  # the explanation names the soft veto that kept the pair apart in resolve
    row = soft.row(0, named=True)
    assert explain_pair(settings, row["record_key_l"], row["record_key_r"])["veto"] == row["veto"]
