"""The profile database build: documented schema, atomic swap, inputs."""

from __future__ import annotations

import duckdb
import pytest

from profiles import build
from profiles.build import TABLES, VIEWS, build_profiles


def test_every_table_view_and_column_is_documented(con):
    objects = TABLES + VIEWS
    cols = con.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() "
        "WHERE table_name IN (SELECT unnest(?::VARCHAR[]))", [objects]).fetchall()
    assert {t for t, _, _ in cols} == set(objects)
    assert [(t, c) for t, c, comment in cols if not comment] == []
    tables = dict(con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall())
    views = dict(con.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
    assert all(tables[t] for t in TABLES)
    assert all(views[v] for v in VIEWS)
    # no build-time staging tables leak into the analyst's database
    assert not [t for t in tables if t.startswith(("src_", "cfg_"))]


def test_reader_with_old_file_open_keeps_working_through_a_rebuild(fixture_settings):
    build_profiles(fixture_settings)
    db = fixture_settings.paths.duckdb
    reader = duckdb.connect(str(db), read_only=True)
    before = reader.execute("SELECT built_at FROM profile_build").fetchone()[0]
    build_profiles(fixture_settings)
    # the old connection still reads the complete old database
    assert reader.execute("SELECT built_at FROM profile_build").fetchone()[0] == before
    assert reader.execute("SELECT count(*) FROM customer").fetchone()[0] == 4
    reader.close()
    fresh = duckdb.connect(str(db), read_only=True)
    assert fresh.execute("SELECT built_at FROM profile_build").fetchone()[0] > before
    fresh.close()


def test_a_failing_build_leaves_the_old_database_untouched(fixture_settings, monkeypatch):
    build_profiles(fixture_settings)
    db = fixture_settings.paths.duckdb
    old_bytes = db.read_bytes()
    real = build.sql_text

    def broken(name):
        if name == "customer_value":
            return "CREATE OR REPLACE TABLE customer_value AS SELECT no_such_column FROM customer"
        return real(name)

    monkeypatch.setattr(build, "sql_text", broken)
    with pytest.raises(duckdb.Error):
        build_profiles(fixture_settings)
    assert db.read_bytes() == old_bytes
    leftovers = [p.name for p in db.parent.iterdir() if p.name.startswith(".cdp.duckdb")]
    assert leftovers == []


def test_missing_identity_output_names_the_file(fixture_settings):
    link = fixture_settings.paths.identity / "identity_link.parquet"
    link.unlink()
    with pytest.raises(FileNotFoundError, match="identity_link.parquet"):
        build_profiles(fixture_settings)
    assert not fixture_settings.paths.duckdb.exists()


def test_without_person_records_std_profiles_standardise_with_cdp_standardise(fixture_settings):
    (fixture_settings.paths.identity / "person_records_std.parquet").unlink()
    build_profiles(fixture_settings)
    con = duckdb.connect(str(fixture_settings.paths.duckdb), read_only=True)
    email, phone, mobile = con.execute(
        "SELECT email, phone, mobile FROM customer WHERE customer_id = 'C000000001'").fetchone()
    assert (email, phone, mobile) == ("anna@example.de", "+49301234567", "+491512345678")
    assert "anna.m@example.de" in con.execute(
        "SELECT emails FROM customer WHERE customer_id = 'C000000001'").fetchone()[0]
    con.close()


def test_counts_are_returned_per_table(fixture_settings):
    counts = build_profiles(fixture_settings)
    assert counts["customer"] == 4
    # customers x purposes x channels x contact points (tests/profiles/test_consent.py)
    assert counts["consent"] == 3 * 20
    assert counts["preferred_channel"] == 4 * 2
    assert counts["contact_history"] == 18 + 8


def test_role_tables_built_in_customer_ranges_equal_one_step_build(tmp_path):
    """At 1M persons agent_profile did not fit the memory cap in one step; built a few customers
    at a time, every table (role tables included, with their comments) is the one-step build's,
    and the role tables stay sorted by customer for the console's point lookups."""
    import dataclasses
    import shutil

    import duckdb

    from profiles.build import build_profiles
    from profiles.compare import compare_databases

    from .conftest import write_fixture

    whole = write_fixture(tmp_path / "whole")
    whole = dataclasses.replace(whole, profiles=dataclasses.replace(whole.profiles, role_table_chunk=0))
    build_profiles(whole)
    chunked = write_fixture(tmp_path / "chunked")
    chunked = dataclasses.replace(chunked, profiles=dataclasses.replace(chunked.profiles, role_table_chunk=1))
    build_profiles(chunked)
    _, differences = compare_databases(str(whole.paths.duckdb), str(chunked.paths.duckdb))
    assert differences == []
    with duckdb.connect(str(chunked.paths.duckdb), read_only=True) as con:
        customers = con.execute("SELECT count(*) FROM customer").fetchone()[0]
        assert customers >= 3  # one range per customer
        for table in ("agent_profile", "steward_profile"):
            ids = [r[0] for r in con.execute(f"SELECT customer_id FROM {table}").fetchall()]
            assert ids == sorted(ids) and len(ids) == customers
            assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = ?", [table]).fetchone()[0]
        assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%__parts'").fetchone()[0]
    shutil.rmtree(tmp_path)
