"""Contracts are data: the four sources load, a broken contract says what is wrong, a fifth source needs no Python."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from cdp.config import Settings
from pipelines.canonical import build_canonical, canonical_path
from pipelines.contracts import (
    ContractError,
    contracts_dir,
    contracts_of,
    load_contract,
)
from pipelines.ingest import ingest

STORE2 = """
source: store2
description: a second store system
defaults: {format: csv, encoding: utf-8, delimiter: "|", decimal: ",", date_format: "%d/%m/%Y"}
entities:
  clients:
    files: "clients_*.txt"
    primary_key: [client_no]
    fields:
      client_no: {type: string, required: true, pattern: '^K\\d{3}$'}
      name: {required: true}
      first: {}
      born: {type: date}
      visits: {type: int, min: 0}
    canonical:
      person_records:
        source_record_id: client_no
        last_name: name
        first_name: first
        birth_date: born
        country: {const: DE}
  receipts:
    files: "receipts_*.txt"
    primary_key: [receipt]
    fields:
      receipt: {required: true}
      client_no: {required: true}
      day: {type: date, required: true}
      total: {type: decimal, required: true}
      kind: {allowed: [sale, refund]}
    canonical:
      contact_events:
        source_event_id: receipt
        person_record_key: {field: client_no, prefix: "store2:"}
        ts: day
        channel: {const: store}
        event_type: {field: kind, map: {sale: card_purchase, refund: card_return}}
        amount: {field: total, sign: {field: kind, map: {sale: 1, refund: -1}}}
"""


def test_all_five_contracts_load(settings):
    contracts = contracts_of(settings)
    assert set(contracts) == {"erp", "crm", "shop", "bonus", "survey"}
    assert contracts["survey"].entity_for("responses_20240101.csv").name == "responses"
    assert contracts["erp"].entity_for("kunden_20240101.csv").name == "customers"
    assert contracts["shop"].entity_for("accounts_20240101.jsonl").field("address_street").source == "address.street"
    assert contracts["crm"].entity_for("consent_events_20240101.json").format == "json"


def test_broken_contract_names_file_entity_and_key(tmp_path):
    p = tmp_path / "x.yml"
    p.write_text("source: x\nentities:\n  things:\n    format: csv\n    files: 'a_*.csv'\n    fields: {a: {type: money}}\n")
    with pytest.raises(ContractError, match=r"x.yml: entity 'things', field 'a': type must be one of"):
        load_contract(p)
    p.write_text("source: x\nentities:\n  things:\n    format: csv\n    files: 'a_*.csv'\n    fields: {a: {}}\n"
                 "    canonical: {person_records: {source_record_id: a, shoe_size: a}}\n")
    with pytest.raises(ContractError, match="shoe_size: no such column in cdp.schema"):
        load_contract(p)


def test_fifth_source_needs_only_a_contract_and_files(tmp_path):
    contracts = tmp_path / "contracts"
    shutil.copytree(contracts_dir(Settings()), contracts)
    (contracts / "store2.yml").write_text(STORE2)
    settings = Settings(data_dir=tmp_path / "data")
    settings.ingest.contracts_dir = str(contracts)
    day = settings.paths.landing / "store2" / "2024-05-03"
    day.mkdir(parents=True)
    (day / "clients_20240501.txt").write_text("client_no|name|first|born|visits\nK001|Muster|Max|01/02/1980|3\n"
                                              "K002|Beispiel|Erika|31/02/1980|1\nK003||Otto||-1\n")
    (day / "receipts_20240501.txt").write_text("receipt|client_no|day|total|kind\nR1|K001|02/05/2024|10,50|sale\n"
                                               "R2|K001|03/05/2024|4,00|refund\n")
    report = ingest(settings)
    assert report.ok
    clients = next(f for f in report.files if f.entity == "clients")
    assert (clients.rows_read, clients.rows_staged, clients.rows_quarantined) == (3, 1, 2)
    assert clients.rule_counts == {"born:type": 1, "name:required": 1, "visits:min": 1}
    build_canonical(settings)
    pr = pl.read_parquet(canonical_path(settings, "person_records"))
    assert pr["record_key"].to_list() == ["store2:K001"] and pr["birth_date"][0].isoformat() == "1980-02-01"
    ev = pl.read_parquet(canonical_path(settings, "contact_events")).sort("source_event_id")
    assert ev["amount"].to_list() == [10.5, -4.0]
    assert ev["person_record_key"].to_list() == ["store2:K001", "store2:K001"]
