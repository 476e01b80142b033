"""Closed vocabularies are Polars enums in memory and plain strings on disk."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from cdp.lake import read_table, write_parquet_atomic
from cdp.schema import CONSENT_EVENT, CONTACT_EVENT, DIRECTION, VocabularyError, conform


def test_a_value_outside_the_vocabulary_is_an_error_naming_the_column_not_the_value():
    with pytest.raises(VocabularyError, match="column 'direction'.*inbound, outbound") as err:
        conform(pl.DataFrame({"direction": ["inbound", "sideways-secret"]}), CONTACT_EVENT)
    assert "sideways-secret" not in str(err.value)
    ok = conform(pl.DataFrame({"status": ["granted", None, "objection"]}), CONSENT_EVENT)
    assert isinstance(ok.schema["status"], pl.Enum) and ok["status"].to_list() == ["granted", None, "objection"]


def test_enums_are_strings_in_parquet_and_duckdb_and_enums_when_read_back(tmp_path):
    events = conform(pl.DataFrame({"event_key": ["a", "b"], "direction": ["inbound", "outbound"]}), CONTACT_EVENT)
    write_parquet_atomic(events, tmp_path / "t" / "part-0.parquet")
    # a file written before the enums (plain strings) reads the same way
    pl.DataFrame({"event_key": ["c"], "direction": ["inbound"]}).write_parquet(tmp_path / "t" / "old.parquet")
    back = read_table(tmp_path / "t", CONTACT_EVENT).collect()
    assert back.schema["direction"] == DIRECTION and sorted(back["direction"].to_list()) == ["inbound", "inbound", "outbound"]
    typ = duckdb.sql(f"DESCRIBE SELECT direction FROM read_parquet('{tmp_path}/t/part-0.parquet')").fetchall()[0][1]
    assert typ == "VARCHAR"
