"""Ingestion: every row ends staged or quarantined with its reason; files fail alone; re-runs are safe."""

from __future__ import annotations

import json

import polars as pl
import pytest

from cdp.lake import read_table
from pipelines import ingest as ingest_mod
from pipelines.ingest import ingest
from pipelines.load_log import FAILED, LOADED, SKIPPED, read_load_log
from tests.pipelines.conftest import EXPECTED_QUARANTINE, KUNDEN, write_landing


def _quarantine(settings) -> pl.DataFrame:
    return read_table(settings.paths.quarantine).collect()


def _staged(settings, source, entity) -> pl.DataFrame:
    return read_table(settings.paths.staged / source / entity).collect()


def test_every_row_is_staged_or_quarantined_with_reason(settings, landing):
    report = ingest(settings)
    assert report.ok, [f.message for f in report.failed]
    assert len(report.loaded) == 9
    for f in report.files:
        assert f.rows_read == f.rows_staged + f.rows_quarantined + f.rows_suppressed, f.file
    q = _quarantine(settings)
    got = {(r["_source_file"], r["_row_number"], rule)
           for r in q.iter_rows(named=True) for rule in r["_failed_rules"]}
    assert EXPECTED_QUARANTINE <= got
    assert q.height == len({(f, n) for f, n, _ in EXPECTED_QUARANTINE})  # nothing else quarantined
    row = q.filter((pl.col("_source_file").str.ends_with("kunden_20240308.csv")) & (pl.col("_row_number") == 2))
    reason = row["_reason"][0]
    assert "kunden_20240308.csv row 2" in reason and "Geburtsdatum" in reason and "Geburtsdatum:type" in reason
    assert row["_raw"][0] == KUNDEN[2]  # the raw text exactly as delivered
    # staged rows are typed and carry lineage
    kunden = _staged(settings, "erp", "customers")
    assert kunden.schema["Geburtsdatum"] == pl.Date
    assert set(kunden["_row_number"]) == {1}
    assert kunden["PLZ"][0] == "01067"  # leading zero kept
    assert kunden["_load_id"][0] == report.files[[f.file for f in report.files].index(
        "erp/2024-03-08/kunden_20240308.csv")].load_id
    inv = _staged(settings, "erp", "invoices")
    assert inv.filter(pl.col("Belegnummer") == "RE-2024-000001")["Betrag"][0] == pytest.approx(129.95)
    assert inv.filter(pl.col("Belegnummer") == "RE-2024-000001")["Artikelmodelle"][0].to_list() == ["KM-200", "KM-300"]
    # staged under the delivery date partition
    assert (settings.paths.staged / "erp" / "customers" / "load_date=2024-03-08").is_dir()
    log = read_load_log(settings)
    assert set(log["status"]) == {LOADED} and log["content_sha256"].str.len_chars().min() == 64


def test_ge_results_agree_with_polars_verdicts_and_are_reported(settings, landing):
    report = ingest(settings)
    for f in report.loaded:
        assert f.ge_disagreements == [], (f.file, f.ge_disagreements)
        doc = json.loads((settings.paths.reports / "ingest" / f"{f.load_id}.json").read_text())
        assert doc["great_expectations"]["full"]["results"], f.file  # real GE validation results
        assert (settings.paths.root / f.report_path).is_file()
    inv = next(f for f in report.loaded if f.entity == "invoices")
    doc = json.loads((settings.paths.reports / "ingest" / f"{inv.load_id}.json").read_text())
    by_rule = {c["rule"]: c for c in doc["ge_vs_polars"]}
    assert by_rule["Betrag:min"]["ge_unexpected"] == 1 and by_rule["Betrag:min"]["polars_unexpected"] == 1
    assert by_rule["Belegart:allowed"]["ge_unexpected"] == 1
    assert inv.ge_success is False
    assert "Betrag:min" in (settings.paths.root / inv.report_path).read_text()
    assert (settings.paths.reports / "ingest" / "index.html").is_file()


def test_rerun_skips_loaded_content_and_duplicate_copies(settings, landing):
    first = ingest(settings)
    again = ingest(settings)
    assert {f.status for f in again.files} == {SKIPPED}
    # the same content under another name is a duplicate delivery, not a new load
    src = landing / "erp" / "2024-03-08" / "kunden_20240308.csv"
    (landing / "erp" / "2024-03-09").mkdir()
    (landing / "erp" / "2024-03-09" / "kunden_20240309.csv").write_bytes(src.read_bytes())
    third = ingest(settings)
    dup = next(f for f in third.files if f.file.endswith("kunden_20240309.csv"))
    assert dup.status == SKIPPED and "kunden_20240308.csv" in dup.message
    staged_rows = _staged(settings, "erp", "customers").height
    assert staged_rows == next(f for f in first.files if f.entity == "customers").rows_staged


def test_changed_content_under_same_name_is_a_new_load(settings, landing):
    ingest(settings)
    p = landing / "erp" / "2024-03-08" / "kunden_20240308.csv"
    p.write_bytes(p.read_bytes() + "10000009;Herr;;Neu;Kunde;Weg 9;10115;Berlin;DE;;;;01.01.2020;\r\n".encode("cp1252"))
    report = ingest(settings)
    changed = next(f for f in report.files if f.file.endswith("kunden_20240308.csv"))
    assert changed.status == LOADED and changed.rows_staged == 2
    assert len(read_load_log(settings).filter(pl.col("file") == changed.file)) == 2


def test_crash_mid_file_is_completed_by_rerun(settings, landing, monkeypatch):
    real = ingest_mod.append_load_log
    calls = {"n": 0}

    def crash_on_third(s, row):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("power cut")  # after the data files, before the log entry
        real(s, row)

    monkeypatch.setattr(ingest_mod, "append_load_log", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        ingest(settings)
    monkeypatch.setattr(ingest_mod, "append_load_log", real)
    assert len(read_load_log(settings)) == 2
    report = ingest(settings)
    assert sum(f.status == LOADED for f in report.files) == 7 and sum(f.status == SKIPPED for f in report.files) == 2
    log = read_load_log(settings)
    assert log.height == 9 + 2
    # no duplicated rows, no temp files: each loaded file's staged Parquet holds exactly its rows
    for r in log.filter(pl.col("status") == LOADED).iter_rows(named=True):
        assert pl.read_parquet(settings.paths.root / r["staged_path"]).height == r["rows_staged"]
    assert not list(settings.paths.lake.rglob(".tmp-*"))
    total = sum(pl.read_parquet(p).height for p in settings.paths.staged.rglob("*.parquet"))
    assert total == int(log.filter(pl.col("status") == LOADED)["rows_staged"].sum())


def test_bad_files_fail_alone_with_clear_messages(settings, landing):
    day = landing / "erp" / "2024-03-08"
    # missing required column
    (landing / "bonus" / "2024-03-08" / "members_20240309.csv").write_text(
        "card_number,first_name,birth_date\n2760000000009,Max,1980-01-01\n")
    # undecodable (UTF-16 text in a cp1252 contract)
    (day / "kunden_20240309.csv").write_bytes("\r\n".join(KUNDEN).encode("utf-16"))
    # empty file
    (day / "rechnungen_20240309.csv").write_bytes(b"")
    # no contract entity matches
    (day / "lieferanten_20240308.csv").write_text("a;b\n1;2\n")
    # no contract for the source at all
    (landing / "crm2" / "2024-03-08").mkdir(parents=True)
    (landing / "crm2" / "2024-03-08" / "x.jsonl").write_text("{}\n")
    report = ingest(settings)
    failed = {f.file.split("/")[-1]: f.message for f in report.failed}
    assert set(failed) == {"members_20240309.csv", "kunden_20240309.csv", "rechnungen_20240309.csv",
                           "lieferanten_20240308.csv", "x.jsonl"}
    assert "missing required column 'last_name'" in failed["members_20240309.csv"]
    assert "last_name:required" in failed["members_20240309.csv"] and "bonus.yml" in failed["members_20240309.csv"]
    assert "undecodable" in failed["kunden_20240309.csv"] and "cp1252" in failed["kunden_20240309.csv"]
    assert "empty file" in failed["rechnungen_20240309.csv"]
    assert "matches no contract" in failed["lieferanten_20240308.csv"]
    assert "crm2" in failed["x.jsonl"]
    assert len(report.loaded) == 9  # the good files all loaded
    assert not report.ok
    log = read_load_log(settings)
    assert log.filter(pl.col("status") == FAILED).height == 5


def test_schema_drift_is_kept_in_extra_with_warning(settings, landing):
    report = ingest(settings)
    acc = next(f for f in report.loaded if f.entity == "accounts")
    assert any("loyalty_tier" in w and "_extra" in w for w in acc.warnings)
    staged = _staged(settings, "shop", "accounts")
    extra = staged.filter(pl.col("account_id") == "S-000001")["_extra"][0]
    assert json.loads(extra) == {"loyalty_tier": "gold"}
    assert staged.filter(pl.col("account_id") == "S-000001")["address_zip"][0] == "01067"


def test_only_requested_sources_are_loaded(settings, landing):
    report = ingest(settings, sources=["bonus"])
    assert {f.source for f in report.files} == {"bonus"}
    with pytest.raises(ValueError, match="no contract"):
        ingest(settings, sources=["nope"])


def test_second_delivery_date_partitions(settings, landing):
    write_landing(settings.paths.root, day="2024-03-09")
    p = landing / "erp" / "2024-03-09" / "kunden_20240309.csv"
    p.write_bytes(p.read_bytes() + "10000009;Herr;;Neu;Kunde;Weg 9;10115;Berlin;DE;;;;01.01.2020;\r\n".encode("cp1252"))
    report = ingest(settings)
    assert sum(f.status == "skipped_duplicate" for f in report.files) == 8  # identical content
    dates = sorted(p.name for p in (settings.paths.staged / "erp" / "customers").iterdir())
    assert dates == ["load_date=2024-03-08", "load_date=2024-03-09"]


def test_ge_whole_file_checks_see_rows_outside_the_sample(settings):
    """With a 10-row GE sample, GE's whole-file expectations still catch a bad row among 300."""
    settings.ingest.ge_sample_rows = 10
    rows = ["transaction_id,card_number,store_id,transaction_at,amount,points,type"]
    rows += [f"T-{i},2760000000001,S01,2024-03-05 10:00:00,1.00,1,purchase" for i in range(1, 301)]
    rows[200] = "T-200,2760000000001,S01,2024-03-05 10:00:00,-9.00,1,purchase"  # row 200: below min 0
    rows[250] = "T-1,2760000000001,S01,2024-03-05 10:00:00,1.00,1,purchase"  # row 250: duplicate id
    p = settings.paths.landing / "bonus" / "2024-03-08" / "transactions_20240308.csv"
    p.parent.mkdir(parents=True)
    p.write_text("\n".join(rows) + "\n")
    (f,) = ingest(settings).loaded
    assert f.rows_quarantined == 3  # row 200, and rows 1 and 250 (same id)
    assert f.ge_success is False and f.ge_disagreements == []
    doc = json.loads((settings.paths.reports / "ingest" / f"{f.load_id}.json").read_text())
    full = {c["rule"]: c for c in doc["ge_vs_polars"] if c["scope"] == "full"}
    assert full["amount:min"]["expectation"] == "expect_column_min_to_be_between"
    assert full["amount:min"]["success"] is False and full["amount:min"]["polars_unexpected"] == 1
    assert full["transaction_id:unique"]["success"] is False
    assert full["amount:required"]["success"] is True
    sample = [c for c in doc["ge_vs_polars"] if c["scope"] == "sample"]
    assert sample and all(c["element_count"] <= 10 for c in sample)
    assert doc["ge_sample_rows"] == 10


PEOPLE_CONTRACT = """
source: people
defaults: {format: csv, encoding: utf-8, delimiter: ",", date_format: "%Y%m%d"}
entities:
  people:
    files: "people.csv"
    primary_key: [id]
    fields:
      id: {type: string, required: true}
      name: {type: string}
      born: {type: date, min: 1900-01-01, max: today, on_invalid: null}
      code: {type: string, pattern: '^[A-Z]$'}
"""


def test_on_invalid_null_stages_the_row_with_the_field_empty_and_says_so(settings):
    """A birth date that is no date (31 Feb) or out of range empties the field, not the row;
    the rule is still counted and warned about. Fields without the option still quarantine."""
    contracts = settings.paths.root / "contracts"
    contracts.mkdir(parents=True)
    (contracts / "people.yml").write_text(PEOPLE_CONTRACT)
    settings.ingest.contracts_dir = str(contracts)
    p = settings.paths.landing / "people" / "2024-03-08" / "people.csv"
    p.parent.mkdir(parents=True)
    p.write_text("id,name,born,code\n1,A,19800201,X\n2,B,19850231,X\n3,C,18000101,X\n4,D,19900101,xx\n")
    (f,) = ingest(settings).loaded
    assert (f.rows_staged, f.rows_quarantined) == (3, 1)  # row 4 breaks code:pattern (no option)
    staged = _staged(settings, "people", "people").sort("id")
    assert staged["id"].to_list() == ["1", "2", "3"]
    assert staged["born"].to_list()[1:] == [None, None] and staged["born"][0] is not None
    assert f.rule_counts["born:type"] == 1 and f.rule_counts["born:min"] == 1
    assert any("born empty" in w and "born:type" in w for w in f.warnings)
    assert f.ge_disagreements == []


def test_on_invalid_rejects_unknown_values_and_required_fields(settings, tmp_path):
    from pipelines.contracts import ContractError, load_contract

    for bad in ("on_invalid: drop", "required: true, on_invalid: null"):
        path = tmp_path / "c.yml"
        path.write_text(PEOPLE_CONTRACT.replace("on_invalid: null", bad))
        with pytest.raises(ContractError, match="on_invalid"):
            load_contract(path)
