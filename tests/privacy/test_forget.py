"""Erasure: forget a person, re-run the pipeline on the same landing files, find nothing of them."""

from __future__ import annotations

import logging
import shutil

import polars as pl
import pytest

from dagster_project.run import dagster_instance, rebuild
from dsr.erase import forget
from dsr.subject import SubjectNotFound
from privacy.store import read_audit_log, read_tombstones
from tests.privacy.conftest import multi_source_customer, person_identifiers, scan


def _runs(settings) -> int:
    with dagster_instance(settings) as instance:
        return len(instance.get_run_records())


def _rerun(settings) -> None:
    """The pipeline again on the same landing files (the job `cdp run` runs)."""
    rebuild(settings)


def _values(idents: dict[str, list[str]], std_phones: list[str]) -> list[str]:
    return [*idents["ids"], *idents["keys"], *idents["emails"], *idents["phones"], *std_phones,
            *idents["names"], *idents["full_names"]]


def test_forgotten_person_is_gone_and_stays_gone_after_rerun(install, caplog):
    s = install
    cid = multi_source_customer(s)
    idents = person_identifiers(s, cid)
    std = pl.read_parquet(s.paths.identity / "person_records_std.parquet").filter(
        pl.col("record_key").is_in(idents["keys"]))
    std_phones = [p for c in ("phone_e164", "mobile_e164") for p in std[c].drop_nulls().to_list()]
    values = _values(idents, std_phones)
    assert len(idents["keys"]) >= 3 and idents["emails"]
    assert scan(s.paths.root, values), "the person must be findable before the erasure"

    runs = _runs(s)
    rep = forget(s, idents["emails"][0], reason="ticket DSR-1", actor="dpo@example", pipeline=rebuild)
    assert rep.customer_id == cid and rep.record_keys >= len(idents["keys"])
    assert scan(s.paths.root, values) == []
    # the profiles and agent views were rebuilt by a pipeline run (a Dagster run on the instance)
    assert _runs(s) == runs + 1

    # the tombstone holds hashes, never the values
    tomb = read_tombstones(s)
    assert tomb.height >= len(idents["keys"])
    assert not any(v.lower() in h for v in values for h in tomb["hash"].to_list())

    # same landing files, pipeline again in place: nothing comes back
    with caplog.at_level(logging.DEBUG):
        _rerun(s)
    assert scan(s.paths.root, values) == []

    # and from scratch: everything but data/privacy rebuilt from the landing files
    for d in ("lake", "models", "exports", "reports"):
        shutil.rmtree(s.paths.root / d, ignore_errors=True)
    s.paths.duckdb.unlink()
    with caplog.at_level(logging.DEBUG):
        _rerun(s)
    assert scan(s.paths.root, values) == []
    ll = pl.read_parquet(s.paths.load_log).filter(pl.col("status") == "loaded")
    assert ll["rows_suppressed"].sum() >= len(idents["keys"])
    assert (ll["rows_read"] == ll["rows_staged"] + ll["rows_quarantined"] + ll["rows_suppressed"]).all()
    # logs of the re-runs hold nothing of the person either
    assert not [v for v in values if v.lower() in caplog.text.lower()]

    audit = read_audit_log(s)
    assert audit[-1]["action"] == "forget" and audit[-1]["actor"] == "dpo@example"
    assert audit[-1]["reason"] == "ticket DSR-1" and audit[-1]["subject"] == cid
    assert not any(v in str(audit) for v in values)


def test_forget_keeps_the_consent_withdrawal_proof_without_identifiers(install):
    s = install
    cid = multi_source_customer(s)
    idents = person_identifiers(s, cid)
    forget(s, cid, reason="DSR-2", pipeline=rebuild)
    proof = pl.read_parquet(s.paths.privacy / "consent_proof.parquet")
    assert proof.height >= 1
    assert set(proof.columns) >= {"purpose", "channel", "status", "ts", "method", "evidence"}
    text = proof.write_ndjson().lower()
    assert not any(v.lower() in text for v in idents["emails"] + idents["ids"])


def test_forget_needs_a_reason_and_one_customer(install):
    with pytest.raises(ValueError, match="reason"):
        forget(install, "C000000001", reason=" ", pipeline=rebuild)
    with pytest.raises(SubjectNotFound):
        forget(install, "nobody-at-all@nowhere.invalid", reason="DSR-3", pipeline=rebuild)
    assert read_tombstones(install).height == 0
