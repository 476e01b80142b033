"""One event dated 2099 cannot move "now" (issue 15, class 2): ``profile_build.as_of`` stops at
the end of the newest delivery day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import duckdb
import polars as pl

from cdp.lake import write_parquet_atomic
from profiles.build import build_profiles
from tests.exports.conftest import write_fixture


def _as_of(settings) -> datetime:
    with duckdb.connect(str(settings.paths.duckdb), read_only=True) as con:
        return con.execute("SELECT as_of FROM profile_build").fetchone()[0]


def test_as_of_never_passes_the_newest_delivery(tmp_path):
    s = write_fixture(tmp_path / "data")
    honest = _as_of(s)
    path = s.paths.canonical_table("contact_events") / "part-0.parquet"
    ev = pl.read_parquet(path)
    future = ev.head(1).with_columns(pl.lit(datetime(2099, 12, 31, tzinfo=UTC)).cast(ev.schema["ts"]).alias("ts"),
                                     pl.lit("2099-x").alias("event_key"))
    write_parquet_atomic(pl.concat([ev, future]), path)
    newest = honest.date()
    write_parquet_atomic(pl.DataFrame({"status": ["loaded", "failed"], "load_date": [newest, date(2099, 1, 1)]}),
                         s.paths.load_log)
    build_profiles(s)
    assert _as_of(s) == datetime.combine(newest + timedelta(days=1), time(), tzinfo=UTC)
