"""A file's last line needs no line break after it (RFC 4180; FEBRL's CSVs, many exports): for
CSV (UTF-8 and Windows-1252) and JSON Lines, a file stages the same rows with or without the
final line break, and quarantines the same rows. Only a last record that is not whole (a quote
left open, fewer fields than the header, unfinished JSON) counts as cut off (``row:truncated``).
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pipelines.contracts import load_contract
from pipelines.readers import read_raw
from pipelines.rules import evaluate

CONTRACTS = Path(__file__).resolve().parents[2] / "data_contracts"
CASES = hsettings(max_examples=40, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
#: values with what makes CSV hard: delimiters, quotes, line breaks, spaces, letters outside ASCII
free = st.text(alphabet=string.ascii_letters + ' ,;"\n\r\'äöüßé-', min_size=0, max_size=10)


def _entity(source: str, name: str):
    return next(e for e in load_contract(CONTRACTS / f"{source}.yml").entities if e.name == name)


def _stage(data: bytes, rel: str, entity) -> tuple[pl.DataFrame, list[int], list[list[str]]]:
    raw = read_raw(data, rel, entity)
    v = evaluate(raw.frame, entity, rel)
    q = v.quarantined.sort("_row_number")
    return v.staged.sort("_row_number"), q["_row_number"].to_list(), q["_failed_rules"].to_list()


def _same_either_way(body: bytes, eol: bytes, rel: str, entity) -> tuple[list[int], list[list[str]]]:
    staged_ended, q_ended, _ = _stage(body + eol, rel, entity)
    staged_open, q_open, rules_open = _stage(body, rel, entity)
    assert staged_open.equals(staged_ended), (staged_open, staged_ended)
    assert q_open == q_ended
    return q_open, rules_open


def _csv_field(v: str, delim: str) -> str:
    return '"' + v.replace('"', '""') + '"' if any(c in v for c in (delim, '"', "\n", "\r")) or v != v.strip() else v


MEMBER_HEADER = ("card_number,first_name,last_name,birth_date,street,postcode,city,email,phone,enrolled_at,status")


@st.composite
def member_rows(draw):
    rows = []
    for i in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["ok", "ok", "ok", "short", "bad_status"]))
        # a broken row's quoted line break would make its next line a record of its own
        val = free if kind == "ok" else free.map(lambda v: v.replace("\n", " ").replace("\r", " "))
        row = [f"2760{i:09d}", _csv_field(draw(val), ","), "Muster" + str(i), draw(st.sampled_from(["1980-02-01", ""])),
               _csv_field(draw(val), ","), "01067", _csv_field(draw(val), ","), "", "", "2021-05-01",
               draw(st.sampled_from(["active", "blocked", ""]))]
        if kind == "short":
            row = row[:-2]
        elif kind == "bad_status":
            row[-1] = "acti"  # a value cut inside the last field: the contract's allowed values catch it
        rows.append((",".join(row), kind))
    return rows


@CASES
@given(member_rows())
def test_csv_stages_the_same_rows_with_or_without_the_final_line_break(rows):
    entity = _entity("bonus", "members")
    body = "\n".join([MEMBER_HEADER, *(r for r, _ in rows)]).encode()
    quarantined, rules = _same_either_way(body, b"\n", "bonus/2024-03-08/members_20240308.csv", entity)
    assert quarantined == [i + 1 for i, (_, kind) in enumerate(rows) if kind != "ok"]
    if rows[-1][1] == "short":
        assert "row:truncated" in rules[-1]  # fewer fields and no line break: cut off


ERP_HEADER = "Kundennummer;Anrede;Titel;Vorname;Nachname;Straße;PLZ;Ort;Land;Telefon;E-Mail;Geburtsdatum;Angelegt_am;Geaendert_am"


@st.composite
def erp_rows(draw):
    rows = []
    for i in range(draw(st.integers(1, 6))):
        row = [f"1{i:07d}", "Herr", "", _csv_field(draw(free), ";"), "Müller", _csv_field(draw(free), ";"),
               "01067", "Dresden", "DE", "", "", "01.02.1980", "01.01.2020",
               draw(st.sampled_from(["", "02.02.2021"]))]
        rows.append(";".join(row))
    return rows


@CASES
@given(erp_rows())
def test_windows_1252_csv_with_crlf_stages_the_same_rows_either_way(rows):
    entity = _entity("erp", "customers")
    body = "\r\n".join([ERP_HEADER, *rows]).encode("cp1252")
    quarantined, _ = _same_either_way(body, b"\r\n", "erp/2024-03-08/kunden_20240308.csv", entity)
    assert quarantined == []  # every row is whole and valid: all staged, the last one too


@st.composite
def contact_lines(draw):
    lines = []
    for i in range(draw(st.integers(1, 6))):
        obj = {"contact_id": f"CRM-{i:07d}", "first_name": draw(free), "last_name": "Muster",
               "city": draw(free), "created": "2024-03-05T14:22:10+01:00"}
        line = json.dumps(obj, ensure_ascii=draw(st.booleans()))
        if draw(st.integers(0, 4)) == 0:
            line = line[: len(line) // 2]  # unfinished JSON
        lines.append(line)
    return lines


@CASES
@given(contact_lines())
def test_jsonl_stages_the_same_rows_with_or_without_the_final_line_break(lines):
    entity = _entity("crm", "contacts")
    quarantined, rules = _same_either_way("\n".join(lines).encode(), b"\n", "crm/2024-03-08/contacts_20240308.jsonl",
                                          entity)
    unfinished = [i + 1 for i, line in enumerate(lines) if not line.endswith("}")]
    assert quarantined == unfinished
    if unfinished and unfinished[-1] == len(lines):
        assert rules[-1] == ["row:truncated"]


def test_a_whole_last_row_without_line_break_is_staged_a_cut_one_is_not():
    entity = _entity("bonus", "members")
    whole = MEMBER_HEADER + "\n2760000000001,Max,Muster,1980-02-01,,01067,Dresden,,,2021-05-01,active"
    staged, quarantined, _ = _stage(whole.encode(), "bonus/x/members_1.csv", entity)
    assert staged["card_number"].to_list() == ["2760000000001"] and quarantined == []
    for cut in (whole.removesuffix(",2021-05-01,active"), whole.replace(",Max,", ',"Max,')):
        staged, quarantined, rules = _stage(cut.encode(), "bonus/x/members_1.csv", entity)
        assert staged.height == 0 and quarantined == [1] and "row:truncated" in rules[0]
