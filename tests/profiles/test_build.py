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
