"""The simulator's exports parse in their declared formats and match the ground truth."""

from __future__ import annotations

import io
import json
import re
import string
from pathlib import Path

import polars as pl
import pytest

from simulator import generate

N = 1500
DIRTY = 0.02

KUNDEN_COLS = ["Kundennummer", "Anrede", "Titel", "Vorname", "Nachname", "Straße", "PLZ", "Ort", "Land",
               "Telefon", "E-Mail", "Geburtsdatum", "Angelegt_am", "Geaendert_am"]
CONTACT_KEYS = ["contact_id", "salutation", "title", "first_name", "last_name", "email", "phone", "mobile",
                "street", "house_number", "postal_code", "city", "country", "birth_date", "erp_customer_no",
                "preferred_channel", "created", "updated"]
ACCOUNT_KEYS = ["account_id", "type", "email", "email_verified", "first_name", "last_name", "phone",
                "birth_date", "address", "bonus_card_number", "created_at", "updated_at"]
MEMBER_COLS = ["card_number", "first_name", "last_name", "birth_date", "street", "postcode", "city", "email",
               "phone", "enrolled_at", "status"]
TS_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
TS_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim")
    summary = generate(N, seed=7, dirty_rate=DIRTY, out=root / "landing", truth=root / "truth", deliveries=3)
    dirty = pl.read_parquet(root / "truth" / "dirty_rows.parquet")
    return {"root": root, "landing": root / "landing", "truth": root / "truth", "summary": summary, "dirty": dirty}


def _files(sim, pattern):
    return sorted(p for p in sim["landing"].glob(pattern) if "_copy" not in p.name)


def _dirty_rows(sim, path: Path, defects=None) -> set[int]:
    rel = path.relative_to(sim["landing"]).as_posix()
    d = sim["dirty"].filter(pl.col("file") == rel)
    if defects:
        d = d.filter(pl.col("defect").is_in(defects))
    return set(d["row_number"].drop_nulls().to_list())


def _jsonl(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return data.split(b"\n")[:-1] if data else []


def test_erp_files_are_cp1252_semicolon_csv_with_german_headers(sim):
    files = _files(sim, "erp/*/kunden_*.csv")
    assert len(files) == 3
    n_births = 0
    for path in files:
        data = path.read_bytes()
        lines = data.split(b"\r\n")
        assert lines[-1] == b"" and b"\n" not in data.replace(b"\r\n", b"")  # CRLF only
        assert lines[0].decode("cp1252").split(";") == KUNDEN_COLS
        broken = _dirty_rows(sim, path, ["bad_encoding"])
        for i, line in enumerate(lines[1:-1], start=1):
            try:
                line.decode("cp1252")
                assert i not in broken, f"{path.name} row {i} should not decode as cp1252"
            except UnicodeDecodeError:
                assert i in broken, f"{path.name} row {i} is undeclared broken encoding"
        df = pl.read_csv(io.StringIO(data.decode("cp1252", errors="replace")), separator=";",
                         infer_schema=False)
        assert df.height == sim["summary"]["files"][path.relative_to(sim["landing"]).as_posix()]
        clean = df.with_row_index("row", offset=1).filter(~pl.col("row").is_in(list(_dirty_rows(sim, path))))
        assert clean["Kundennummer"].str.contains(r"^\d{8}$").all()
        assert clean["PLZ"].str.contains(r"^\d{5}$").all()
        assert clean["Angelegt_am"].str.contains(r"^\d{2}\.\d{2}\.\d{4}$").all()
        births = clean["Geburtsdatum"].drop_nulls()
        assert births.str.strptime(pl.Date, "%d.%m.%Y", strict=False).null_count() == 0
        n_births += births.len()
    assert n_births > 0  # a small delta file may have none
    # umlauts and ß survive in cp1252, and some names are transliterated
    kunden = files[0].read_bytes().decode("cp1252", errors="replace")
    assert "ü" in kunden and "ß" in kunden and "ue" in kunden


def test_erp_invoices_use_decimal_comma_and_document_numbers(sim):
    path = _files(sim, "erp/*/rechnungen_*.csv")[0]
    df = pl.read_csv(io.StringIO(path.read_bytes().decode("cp1252", errors="replace")), separator=";",
                     infer_schema=False).with_row_index("row", offset=1)
    clean = df.filter(~pl.col("row").is_in(list(_dirty_rows(sim, path))))
    assert clean["Betrag"].str.contains(r"^\d+,\d{2}$").all()
    assert clean["Belegnummer"].str.contains(r"^(RE|GU)-\d{4}-\d{6}$").all()
    assert set(clean["Belegart"]) == {"RE", "GU"}
    assert set(clean["Vertriebsweg"]) <= {"Filiale", "Telefon", "Brief", "Online"}
    negative = _dirty_rows(sim, path, ["negative_amount"])
    assert negative and df.filter(pl.col("row").is_in(list(negative)))["Betrag"].str.starts_with("-").all()


def test_crm_and_shop_jsonl_lines_parse_except_declared_defects(sim):
    for pattern, keys, ts_re, ts_key in (
        ("crm/*/contacts_*.jsonl", CONTACT_KEYS, TS_OFFSET, "updated"),
        ("crm/*/interactions_*.jsonl", None, TS_OFFSET, "timestamp"),
        ("shop/*/accounts_*.jsonl", ACCOUNT_KEYS, TS_UTC, "updated_at"),
        ("shop/*/orders_*.jsonl", None, TS_UTC, "ordered_at"),
        ("shop/*/newsletter_*.jsonl", None, TS_UTC, "timestamp"),
    ):
        files = _files(sim, pattern)
        assert len(files) == 3
        for path in files:
            bad = _dirty_rows(sim, path, ["malformed_json", "bad_encoding"])
            all_dirty = _dirty_rows(sim, path)
            for i, line in enumerate(_jsonl(path), start=1):
                try:
                    obj = json.loads(line.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    assert i in bad, f"{path.name} line {i} is broken but not in dirty_rows"
                    continue
                assert i not in bad, f"{path.name} line {i} is declared broken but parses"
                if keys:
                    assert list(obj) == keys
                if i not in all_dirty:
                    assert ts_re.match(obj[ts_key]), (path.name, i)


def test_consent_events_are_one_json_array(sim):
    path = _files(sim, "crm/*/consent_events_*.json")[0]
    events = json.loads(path.read_text("utf-8"))
    assert isinstance(events, list) and len(events) > 100
    # objections (issue 16): a CRM records "Widerspruch Werbung" letters as status objection
    assert {e["status"] for e in events} == {"granted", "withdrawn", "objection"}
    assert {"double_opt_in", "phone_call"} <= {e["method"] for e in events}
    assert {e["purpose"] for e in events} == {"marketing", "profiling", "service"}
    assert all(e["channel"] == "all" and e["contact_point"] == "all"
               for e in events if e["status"] == "objection")
    # the contact point a CRM knows: the address for e-mail, the number for a phone opt-in
    by = {(e["channel"], e["status"]): e["contact_point"] for e in events if e["contact_point"] not in (None, "all")}
    assert "@" in by[("email", "granted")] and "@" not in by[("phone", "granted")]


def test_shop_accounts_include_guests_without_birth_date(sim):
    rows = [json.loads(x) for p in _files(sim, "shop/*/accounts_*.jsonl") for x in _jsonl(p)
            if _safe_json(x)]
    guests = [r for r in rows if r["type"] == "guest"]
    registered = [r for r in rows if r["type"] == "registered"]
    assert guests and registered
    assert all(r["birth_date"] is None for r in guests)
    assert all(r["account_id"].startswith("G-") for r in guests if r["account_id"])
    assert set(guests[0]["address"]) == {"street", "zip", "city", "country"}
    assert any(r["bonus_card_number"] for r in registered)
    orders = [json.loads(x) for x in _jsonl(_files(sim, "shop/*/orders_*.jsonl")[0]) if _safe_json(x)]
    assert {o["status"] for o in orders} == {"completed", "cancelled", "returned"}
    assert all(o["items"] and o["items"][0]["product_model"] for o in orders)


def _safe_json(line: bytes) -> bool:
    try:
        json.loads(line.decode("utf-8"))
        return True
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False


def test_bonus_csv_members_and_transactions(sim):
    path = _files(sim, "bonus/*/members_*.csv")[0]
    df = pl.read_csv(io.StringIO(path.read_bytes().decode("utf-8", errors="replace")), infer_schema=False)
    assert df.columns == MEMBER_COLS
    clean = df.with_row_index("row", offset=1).filter(~pl.col("row").is_in(list(_dirty_rows(sim, path))))
    assert clean["card_number"].str.contains(r"^2760\d{9}$").all()
    assert clean["email"].null_count() > 0.5 * clean.height  # bonus members often lack an e-mail
    tx = pl.read_csv(_files(sim, "bonus/*/transactions_*.csv")[0], infer_schema=False)
    assert tx.columns == ["transaction_id", "card_number", "store_id", "transaction_at", "amount", "points", "type"]
    assert set(tx["type"]) == {"purchase", "return"}


def _delivered_person_ids(sim) -> dict[tuple[str, str], int]:
    seen: dict[tuple[str, str], int] = {}

    def add(src, rid):
        if rid:
            seen[(src, rid)] = seen.get((src, rid), 0) + 1

    for p in _files(sim, "erp/*/kunden_*.csv"):
        df = pl.read_csv(io.StringIO(p.read_bytes().decode("cp1252", errors="replace")), separator=";", infer_schema=False)
        for r in df["Kundennummer"].to_list():
            add("erp", r)
    for p in _files(sim, "bonus/*/members_*.csv"):
        df = pl.read_csv(io.StringIO(p.read_bytes().decode("utf-8", errors="replace")), infer_schema=False)
        for r in df["card_number"].to_list():
            add("bonus", r)
    for src, pattern, key in (("crm", "crm/*/contacts_*.jsonl", "contact_id"), ("shop", "shop/*/accounts_*.jsonl", "account_id")):
        for p in _files(sim, pattern):
            for line in _jsonl(p):
                m = re.search(rf'"{key}":"([^"]+)"'.encode(), line)
                if m:
                    add(src, m.group(1).decode())
    return seen


def test_truth_covers_every_person_record_exactly_once(sim):
    truth = pl.read_parquet(sim["truth"] / "identity_truth.parquet")
    assert {"source_system", "source_record_id", "person_id", "is_dirty", "household_id", "hard_case"} <= set(truth.columns)
    keys = set(zip(truth["source_system"], truth["source_record_id"], strict=True))
    assert len(keys) == truth.height  # unique
    delivered = _delivered_person_ids(sim)
    assert set(delivered) <= keys  # no delivered person record without truth
    missing = keys - set(delivered)
    # only records whose (only) delivered row lost its primary key are absent from the files
    lost = truth.filter(pl.struct("source_system", "source_record_id").is_in(
        [{"source_system": s, "source_record_id": r} for s, r in missing]))
    assert lost["is_dirty"].all()
    assert len(missing) <= sim["dirty"].filter(pl.col("defect") == "missing_required").height
    assert truth["source_record_id"].str.contains(r"^(INT|CE|O|NL|T|RE|GU)-").sum() == 0
    assert set(truth["source_system"]) == {"erp", "crm", "shop", "bonus"}
    # persons appear in 1 to 4 systems, some in all four
    per_person = truth.group_by("person_id").agg(pl.col("source_system").n_unique().alias("k"))
    assert set(per_person["k"]) == {1, 2, 3, 4}


def test_hard_cases_present_at_requested_rates(sim):
    persons = pl.read_parquet(sim["truth"] / "persons.parquet")
    counts = dict(persons.group_by("hard_case").len().drop_nulls().iter_rows())
    # realistic: twin 0.4 %, parent_child 0.8 %, shared_email 0.8 %, shared_phone 1 %, common_name 1 %
    for case, rate in {"twin": 0.004, "parent_child": 0.008, "shared_email": 0.008, "shared_phone": 0.01,
                       "common_name": 0.01}.items():
        assert abs(counts[case] - rate * N) <= max(4, 0.3 * rate * N), case
    twins = persons.filter(pl.col("hard_case") == "twin").group_by("household_id").agg(
        pl.col("last_name").n_unique().alias("ln"), pl.col("birth_date").n_unique().alias("bd"),
        pl.col("first_name").n_unique().alias("fn"), pl.col("street").n_unique().alias("st"), pl.len())
    assert (twins["len"] == 2).all() and (twins["ln"] == 1).all() and (twins["bd"] == 1).all()
    assert (twins["fn"] == 2).all() and (twins["st"] == 1).all()
    pc = persons.filter(pl.col("hard_case") == "parent_child").group_by("household_id").agg(
        pl.col("first_name").n_unique().alias("fn"),
        (pl.col("birth_date").max() - pl.col("birth_date").min()).dt.total_days().alias("gap"))
    assert (pc["fn"] == 1).all() and pc["gap"].is_between(24 * 365, 36 * 366).all()
    se = persons.filter(pl.col("hard_case") == "shared_email").group_by("household_id").agg(
        pl.col("email").n_unique().alias("e"), pl.col("person_id").n_unique().alias("p"))
    assert (se["e"] == 1).all() and (se["p"] == 2).all()
    truth = pl.read_parquet(sim["truth"] / "identity_truth.parquet")
    assert {"swapped_name", "married_name_change", "moved"} <= set(truth["hard_case"].drop_nulls())
    assert truth["is_duplicate_account"].sum() > 0 and truth["wrong_cross_reference"].sum() > 0


def test_dirty_rows_at_requested_rate_and_marked_in_truth(sim):
    dirty = sim["dirty"]
    rows = sum(n for f, n in sim["summary"]["files"].items() if "_copy" not in f)
    row_level = dirty.filter(pl.col("row_number").is_not_null())
    assert 0.7 * DIRTY * rows <= row_level.height <= 1.3 * DIRTY * rows
    assert {"bad_date", "bad_encoding", "missing_required", "negative_amount", "malformed_json",
            "duplicate_file"} <= set(dirty["defect"])
    dup = dirty.filter(pl.col("defect") == "duplicate_file")
    assert dup.height == 3  # one resent file per delivery
    for rel in dup["file"]:
        copy = sim["landing"] / rel
        original = copy.with_name(copy.name.replace("_copy", ""))
        assert copy.read_bytes() == original.read_bytes()
    truth = pl.read_parquet(sim["truth"] / "identity_truth.parquet")
    person_files = row_level.filter(pl.col("file").str.contains("kunden_|contacts_|accounts_|members_"))
    assert truth["is_dirty"].sum() == person_files.select("file", "row_number").unique().height or \
        truth["is_dirty"].sum() >= 0.9 * person_files.height


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path):
    def run(name, seed):
        root = tmp_path / name
        generate(300, seed=seed, out=root / "landing", truth=root / "truth", deliveries=2)
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    a, b, c = run("a", 11), run("b", 11), run("c", 12)
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a)
    assert any(a[k] != c.get(k) for k in a if k.startswith("landing/"))


def test_deliveries_redeliver_changed_records_with_newer_timestamp(sim):
    days = sorted(p.name for p in (sim["landing"] / "crm").iterdir())
    assert days == ["2025-03-03", "2025-03-04", "2025-03-05"]
    def load(pattern):
        out = {}
        for p in _files(sim, pattern):
            for line in _jsonl(p):
                if _safe_json(line):
                    obj = json.loads(line)
                    out.setdefault(obj["account_id" if "account_id" in obj else "contact_id"], []).append((p.parent.name, obj))
        return out
    changed = 0
    for pattern, ts in (("crm/*/contacts_*.jsonl", "updated"), ("shop/*/accounts_*.jsonl", "updated_at")):
        for rid, versions in load(pattern).items():
            if len(versions) > 1 and rid:
                (d1, v1), (d2, v2) = versions[0], versions[-1]
                assert d1 < d2 and v1[ts] < v2[ts]
                if {k: v for k, v in v1.items() if k not in (ts,)} != {k: v for k, v in v2.items() if k not in (ts,)}:
                    changed += 1
    assert changed > 0
    # deltas also bring new persons' records and new events
    files = sim["summary"]["files"]
    assert files["crm/2025-03-05/interactions_20250305.jsonl"] > 0
    assert files["erp/2025-03-04/kunden_20250304.csv"] > 0


def test_hard_profile_is_noisier_than_realistic(tmp_path):
    def stats(profile):
        root = tmp_path / profile
        generate(1000, seed=5, profile=profile, dirty_rate=0, out=root / "landing", truth=root / "truth")
        truth = pl.read_parquet(root / "truth" / "identity_truth.parquet")
        contacts = [json.loads(x) for x in (root / "landing").glob("crm/*/contacts_*.jsonl").__next__().read_bytes().splitlines()]
        xref = sum(1 for c in contacts if c["erp_customer_no"]) / len(contacts)
        return truth["hard_case"].is_not_null().mean(), xref

    hard_share_r, xref_r = stats("realistic")
    hard_share_h, xref_h = stats("hard")
    assert hard_share_h > 1.5 * hard_share_r
    assert xref_h < xref_r


def test_cli_generate_writes_under_data_dir(tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "generate", "--persons", "200", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "landing" / "erp" / "2025-03-03" / "kunden_20250303.csv").is_file()
    assert (tmp_path / "truth" / "identity_truth.parquet").is_file()
    assert "person records" in result.output
    bad = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "generate", "--profile", "nope"])
    assert bad.exit_code != 0


def test_own_letters_in_utf8_sources_and_folded_where_a_system_cannot_store_them(sim):
    from simulator import names

    not_cp1252 = names.fold_map("cp1252")[0]
    letters = "".join(not_cp1252)
    crm = "".join(p.read_bytes().decode("utf-8", errors="replace") for p in _files(sim, "crm/*/contacts_*.jsonl"))
    assert sum(crm.count(c) for c in "şğıłśżćčș") >= 10  # the CRM keeps Şahin, Wiśniewski, Kovačević
    erp = pl.concat([pl.read_csv(io.StringIO(p.read_bytes().decode("cp1252", errors="replace")), separator=";",
                                 infer_schema=False) for p in _files(sim, "erp/*/kunden_*.csv")])
    erp_names = "".join(erp["Vorname"].drop_nulls().to_list() + erp["Nachname"].drop_nulls().to_list())
    assert not set(erp_names) & set(letters)
    assert "ü" in erp_names and set("éáóç") & set(erp_names)  # what Windows-1252 has stays
    # the ERP writes the true surname with its letters folded (Şahin -> Sahin, Wiśniewska -> Wisniewska)
    persons = pl.read_parquet(sim["truth"] / "persons.parquet").filter(
        pl.col("birth_name").str.contains("[" + letters + "]"))
    truth = pl.read_parquet(sim["truth"] / "identity_truth.parquet").filter(pl.col("source_system") == "erp")
    folded = persons.select("person_id", want=pl.col("birth_name").str.replace_many(*names.fold_map("cp1252")))
    rows = (erp.join(truth, left_on="Kundennummer", right_on="source_record_id")
            .join(folded, on="person_id"))
    assert rows.height >= 20
    same = rows.filter(pl.col("Nachname").str.to_lowercase() == pl.col("want").str.to_lowercase()).height
    assert same >= 0.6 * rows.height
    # the bonus program's terminal stores German letters only
    members = pl.concat([pl.read_csv(io.StringIO(p.read_bytes().decode("utf-8", errors="replace")), infer_schema=False)
                         .with_row_index("row", offset=1).filter(~pl.col("row").is_in(list(_dirty_rows(sim, p))))
                         for p in _files(sim, "bonus/*/members_*.csv")])
    bonus_names = "".join(members["first_name"].drop_nulls().to_list() + members["last_name"].drop_nulls().to_list())
    assert set(bonus_names) <= set(string.ascii_letters + " -.'äöüÄÖÜß")
