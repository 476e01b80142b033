"""Restriction of processing, subject access, the pseudonymised analyst view, the audit log."""

from __future__ import annotations

import json

import duckdb
import polars as pl

from dagster_project.run import dagster_instance, rebuild
from dsr.restrict import restrict
from dsr.sar import sar
from privacy.store import read_audit_log
from tests.privacy.conftest import multi_source_customer, person_identifiers


def _one(settings, sql, params=()):
    con = duckdb.connect(str(settings.paths.duckdb), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _marketing_audience(settings, tmp_path):
    from exports.audience import export_audience

    res = export_audience(settings, "marketing", out=tmp_path / "aud.csv")
    return res, pl.read_csv(res.path, infer_schema=False)


def test_restricted_customer_is_kept_but_not_profiled_or_exported(install, tmp_path):
    s = install
    # a customer the marketing audience would include and who is profiled (has a segment)
    _, before = _marketing_audience(s, tmp_path)
    profiled = {c for (c,) in _one(s, "SELECT customer_id FROM customer_value WHERE rfm_segment IS NOT NULL")}
    cid = sorted(set(before["customer_id"].to_list()) & profiled)[0]
    with dagster_instance(s) as instance:
        runs = len(instance.get_run_records())
    restrict(s, cid, reason="accuracy contested (DSR-7)", actor="dpo", pipeline=rebuild)
    with dagster_instance(s) as instance:  # the change went through a pipeline run
        assert len(instance.get_run_records()) == runs + 1

    assert _one(s, "SELECT count(*) FROM customer WHERE customer_id = ?", [cid]) == [(1,)]
    assert _one(s, "SELECT count(*) FROM contact_history WHERE customer_id = ?", [cid])[0][0] > 0
    assert _one(s, "SELECT r_score, rfm_segment, clv_estimate, lifecycle_stage FROM customer_value "
                "WHERE customer_id = ?", [cid]) == [(None, None, None, None)]
    assert _one(s, "SELECT channel FROM preferred_channel WHERE customer_id = ? AND purpose = 'marketing'",
                [cid]) == [(None,)]
    res, after = _marketing_audience(s, tmp_path)
    assert cid not in after["customer_id"].to_list() and res.excluded["restricted"] >= 1
    agent = pl.read_parquet(s.paths.exports / "agent_views" / "agent_profile.parquet")
    assert cid not in agent["customer_id"].to_list()
    assert _one(s, "SELECT count(*) FROM customer_360_pseudo")[0][0] == \
        _one(s, "SELECT count(*) FROM customer")[0][0] - 1

    restrict(s, cid, reason="accuracy confirmed (DSR-7)", lift=True, pipeline=rebuild)
    assert _one(s, "SELECT rfm_segment IS NOT NULL FROM customer_value WHERE customer_id = ?", [cid]) == [(True,)]
    _, lifted = _marketing_audience(s, tmp_path)
    assert cid in lifted["customer_id"].to_list()
    actions = [(e["action"], e["actor"]) for e in read_audit_log(s)]
    assert actions[-2][0] == "restrict" and actions[-2][1] == "dpo" and actions[-1][0] == "lift_restriction"


def test_subject_access_export_lists_records_contacts_consent_and_sources(install, tmp_path):
    s = install
    cid = multi_source_customer(s)
    idents = person_identifiers(s, cid)
    out = sar(s, idents["emails"][0], tmp_path / "sar", actor="dpo", reason="DSR-9")
    doc = json.loads(out["json"].read_text(encoding="utf-8"))
    assert doc["subject"]["customer_id"] == cid
    assert sorted(r["record_key"] for r in doc["source_records"]) == sorted(idents["keys"])
    assert {d["record_key"] for d in doc["source_deliveries"]} == set(idents["keys"])
    assert all(d["_source_file"] and d["_row_number"] for d in doc["source_deliveries"])
    n_contacts = _one(s, "SELECT count(*) FROM contact_history WHERE customer_id = ?", [cid])[0][0]
    assert len(doc["contact_events"]) == n_contacts > 0
    assert doc["consent_events"] and all("evidence" in e and e["method"] for e in doc["consent_events"])
    value = doc["profile"]["customer_value"][0]
    assert "rfm_segment" in value and "customer_value" in doc["profile"]["derivation"]
    assert doc["profile"]["customer"][0]["name_source"] in {"erp", "crm", "shop", "bonus"}
    page = out["html"].read_text(encoding="utf-8")
    # the printable document is German (issue 16): one section per kind of data
    assert "Einwilligungen und Widersprüche" in page and idents["emails"][0] in page
    assert read_audit_log(s)[-1]["action"] == "sar"


def test_pseudonymised_view_has_behaviour_but_no_identifiers(install):
    s = install
    cid = multi_source_customer(s)
    idents = person_identifiers(s, cid)
    rows = _one(s, "SELECT * FROM customer_360_pseudo")
    cols = [r[0] for r in _one(s, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'customer_360_pseudo'")]
    assert {"pseudo_id", "revenue", "rfm_segment", "contact_count"} <= set(cols)
    assert not {"customer_id", "first_name", "last_name", "email", "phone", "street", "birth_date"} & set(cols)
    text = json.dumps(rows, default=str)
    assert cid not in text
    assert not any(v in text for v in idents["emails"] + idents["ids"] + idents["full_names"])
    assert len(rows) == _one(s, "SELECT count(*) FROM customer")[0][0]
    # stable across rebuilds (same secret), and no mapping table in the database
    from profiles.build import build_profiles

    first = {r[0] for r in rows}
    build_profiles(s)
    assert {r[0] for r in _one(s, "SELECT pseudo_id FROM customer_360_pseudo")} == first
    assert not _one(s, "SELECT table_name FROM duckdb_tables() WHERE table_name ILIKE '%pseudonym%'")
