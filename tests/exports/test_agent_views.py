"""The agent-views export: the agent_profile view as a file, with a manifest."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from cli.main import app
from exports.agent_views import export_agent_views
from exports.display import phone_display
from profiles.build import build_profiles


def _profiles_stage(settings) -> None:
    """The pipeline run a restriction triggers, on this hand-built fixture: it has no deliveries
    for the real job to ingest, and the profile database is the only stage its data feeds."""
    build_profiles(settings)


def _read(path, fmt):
    if fmt == "parquet":
        return pl.read_parquet(path)
    if fmt == "csv":
        return pl.read_csv(path)
    if fmt == "excel":
        return pl.read_csv(path, separator=";", encoding="utf8-lossy")
    return pl.read_ndjson(path)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "excel", "jsonl"])
def test_export_writes_every_customer_and_a_manifest(built, fmt):
    path = export_agent_views(built, fmt)
    assert path.parent == built.paths.exports / "agent_views"
    manifest = json.loads((path.parent / "manifest.json").read_text())
    df = _read(path, fmt)
    contacts = _read(path.parent / manifest["contacts_file"], fmt)
    assert contacts.height == manifest["contacts_row_count"] > 0
    assert set(contacts["customer_id"]) <= set(df["customer_id"])
    assert all(dt != pl.List and not isinstance(dt, pl.Struct | pl.List) for dt in df.dtypes)  # flat
    assert df.height == manifest["row_count"] == 6
    assert [c["name"] for c in manifest["schema"]] == df.columns
    assert "birth_date" not in df.columns  # agents do not get the birth date
    assert manifest["file"] == path.name and manifest["profiles_built_at"]
    # the load the canonical rows came from, with its load-log details; not unrelated loads
    assert [x["load_id"] for x in manifest["source_loads"]] == ["load-test-1"]
    assert manifest["source_loads"][0]["source"] == "crm"


def test_csv_cells_hold_plain_values_not_json(built):
    df = pl.read_csv(export_agent_views(built, "csv"))
    anna = df.filter(pl.col("customer_id") == "C000000001").row(0, named=True)
    assert anna["granted_consents"] == "marketing:letter"
    # the console's format, behind the apostrophe that keeps a spreadsheet from evaluating "+49…"
    assert anna["mobile"] == "'" + phone_display("+491511111111")
    assert phone_display("+491511111111") != "+491511111111"
    assert not any(str(v).startswith(("[", "{")) for v in anna.values() if v is not None)


def test_excel_csv_has_a_bom_semicolons_and_intact_umlauts(built):
    path = export_agent_views(built, "excel")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw[3:].split(b"\n", 1)[0].decode("utf-8")
    assert header.startswith("customer_id;salutation;") and "," not in header
    text = raw.decode("utf-8-sig")
    assert "München" in text and "Müller" in text
    contacts = (path.parent / "agent_contacts.csv").read_bytes()
    assert contacts.startswith(b"\xef\xbb\xbfcustomer_id;n;")


def test_cli_rejects_unknown_format(built):
    res = CliRunner().invoke(app, ["--data-dir", str(built.data_dir), "export", "agent-views", "--format", "xml"])
    assert res.exit_code != 0


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_restricted_customer_is_left_out_and_row_count_is_what_was_written(fresh, fmt):
    from dsr.restrict import restrict

    restrict(fresh, "C000000002", reason="accuracy contested (test)", pipeline=_profiles_stage)
    path = export_agent_views(fresh, fmt)
    manifest = json.loads((path.parent / "manifest.json").read_text())
    df = pl.read_parquet(path) if fmt == "parquet" else pl.read_ndjson(path)
    assert "C000000002" not in df["customer_id"].to_list()
    contacts = _read(path.parent / manifest["contacts_file"], fmt)
    assert "C000000002" not in contacts["customer_id"].to_list()
    assert df.height == manifest["row_count"] == 5


@pytest.mark.parametrize("fmt", ["parquet", "csv", "excel", "jsonl"])
def test_slices_of_customers_write_the_same_files_as_one_pass(fresh, fmt):
    """The export goes through the customers in slices (bounded memory at a million customers):
    any slice size gives the same rows in the same order, one header, a restricted customer
    left out, as the one-pass export."""
    from dsr.restrict import restrict

    restrict(fresh, "C000000004", reason="accuracy contested (test)", pipeline=_profiles_stage)
    fresh.exports.agent_views_slice_customers = 0  # one pass
    path = export_agent_views(fresh, fmt)
    contacts_path = path.parent / json.loads((path.parent / "manifest.json").read_text())["contacts_file"]
    whole = path.read_bytes(), contacts_path.read_bytes()
    for size in (1, 2, 4):
        fresh.exports.agent_views_slice_customers = size
        export_agent_views(fresh, fmt)
        manifest = json.loads((path.parent / "manifest.json").read_text())
        if fmt == "parquet":  # same rows in the same order (the bytes carry writer metadata)
            assert pl.read_parquet(path).equals(_frame(whole[0]))
            assert pl.read_parquet(contacts_path).equals(_frame(whole[1]))
        else:
            assert (path.read_bytes(), contacts_path.read_bytes()) == whole
        assert manifest["row_count"] == 5 and not list(path.parent.glob(".*"))
    df = _read(path, fmt)
    assert "C000000004" not in df["customer_id"].to_list()
    assert df["customer_id"].to_list() == sorted(df["customer_id"].to_list())


def _frame(data: bytes) -> pl.DataFrame:
    import io

    return pl.read_parquet(io.BytesIO(data))


def test_which_customers_an_export_carries_is_decided_in_the_profile_database(fresh):
    """The restriction rule is part of the agent role's SQL, not of the export: the view
    agent_profile_export holds exactly the rows the file holds, the restricted customer is in
    agent_profile (the console shows them with the restriction) and not in the view, and the
    view's columns say what agent_profile's say."""
    import duckdb

    from dsr.restrict import restrict

    restrict(fresh, "C000000002", reason="accuracy contested (test)", pipeline=_profiles_stage)
    path = export_agent_views(fresh, "parquet")
    manifest = json.loads((path.parent / "manifest.json").read_text())
    con = duckdb.connect(str(fresh.paths.duckdb), read_only=True)
    try:
        exportable = [r[0] for r in con.execute(
            "SELECT customer_id FROM agent_profile_export ORDER BY customer_id").fetchall()]
        restricted = con.execute("SELECT restricted_since IS NOT NULL FROM agent_profile "
                                 "WHERE customer_id = 'C000000002'").fetchall()
        comments = con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() "
            "WHERE table_name IN ('agent_profile', 'agent_profile_export') ORDER BY column_name, table_name"
        ).fetchall()
    finally:
        con.close()
    assert pl.read_parquet(path)["customer_id"].to_list() == exportable == manifest_ids(manifest, path)
    assert "C000000002" not in exportable and restricted == [(True,)]
    by_table: dict[str, dict[str, str]] = {}
    for table, column, comment in comments:
        by_table.setdefault(table, {})[column] = comment
    assert by_table["agent_profile_export"] == by_table["agent_profile"]
    assert "masked" in by_table["agent_profile_export"]["bonus_card_numbers"]
    assert manifest["view"] == "agent_profile_export"


def manifest_ids(manifest: dict, path) -> list[str]:
    """The customer ids of the file the manifest names, in file order."""
    return pl.read_parquet(path.parent / manifest["file"])["customer_id"].to_list()
