"""The agent-views export: the agent_profile view as a file, with a manifest."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from cli.main import app
from exports.agent_views import export_agent_views


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_export_writes_every_customer_and_a_manifest(built, fmt):
    path = export_agent_views(built, fmt)
    assert path.parent == built.paths.exports / "agent_views"
    manifest = json.loads((path.parent / "manifest.json").read_text())
    if fmt == "parquet":
        df = pl.read_parquet(path)
    elif fmt == "csv":
        df = pl.read_csv(path)
    else:
        df = pl.read_ndjson(path)
    assert df.height == manifest["row_count"] == 6
    assert [c["name"] for c in manifest["schema"]] == df.columns
    assert "birth_date" not in df.columns  # agents do not get the birth date
    assert manifest["file"] == path.name and manifest["profiles_built_at"]
    # the load the canonical rows came from, with its load-log details; not unrelated loads
    assert [x["load_id"] for x in manifest["source_loads"]] == ["load-test-1"]
    assert manifest["source_loads"][0]["source"] == "crm"


def test_csv_keeps_lists_as_json(built):
    df = pl.read_csv(export_agent_views(built, "csv"))
    anna = df.filter(pl.col("customer_id") == "C000000001").row(0, named=True)
    assert json.loads(anna["granted_consents"]) == ["marketing:letter"]


def test_cli_rejects_unknown_format(built):
    res = CliRunner().invoke(app, ["--data-dir", str(built.data_dir), "export", "agent-views", "--format", "xml"])
    assert res.exit_code != 0


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_restricted_customer_is_left_out_and_row_count_is_what_was_written(fresh, fmt):
    from dsr.restrict import restrict

    restrict(fresh, "C000000002", reason="accuracy contested (test)")
    path = export_agent_views(fresh, fmt)
    manifest = json.loads((path.parent / "manifest.json").read_text())
    df = pl.read_parquet(path) if fmt == "parquet" else pl.read_ndjson(path)
    assert "C000000002" not in df["customer_id"].to_list()
    assert df.height == manifest["row_count"] == 5
