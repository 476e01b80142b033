import polars as pl
import pytest

from cdp import schema
from cdp.lake import partition_dir, read_table, write_parquet_atomic


def test_atomic_write_leaves_no_partial_file_on_crash(tmp_path, monkeypatch):
    target = partition_dir(tmp_path / "staged" / "erp" / "customers", "2026-01-02") / "l1.parquet"
    df = pl.DataFrame({"a": [1, 2, 3]})

    def boom(self, path, **kwargs):
        open(path, "wb").write(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", boom)
    with pytest.raises(OSError):
        write_parquet_atomic(df, target)
    assert list(target.parent.iterdir()) == []
    monkeypatch.undo()
    write_parquet_atomic(df, target)
    assert target.parent.name == "load_date=2026-01-02"
    assert read_table(tmp_path / "staged").collect()["a"].to_list() == [1, 2, 3]


def test_read_table_of_nothing_is_empty_canonical_frame(tmp_path):
    out = read_table(tmp_path / "missing", schema.PERSON_RECORD).collect()
    assert out.height == 0 and out.schema == schema.PERSON_RECORD


def test_conform_orders_casts_and_fills():
    df = pl.DataFrame({"email": ["a@b.de"], "source_system": ["crm"], "junk": [1]})
    out = schema.conform(df, schema.PERSON_RECORD)
    assert out.columns == list(schema.PERSON_RECORD.names())
    assert out["email"].to_list() == ["a@b.de"] and out["first_name"].to_list() == [None]


def test_duckdb_ddl_covers_every_type():
    import duckdb

    con = duckdb.connect()
    for name, sch in schema.CANONICAL_TABLES.items():
        con.sql(schema.duckdb_ddl(name, sch))
        cols = con.sql(f"select column_name from duckdb_columns() where table_name = '{name}'").fetchall()
        assert [c[0] for c in cols] == list(sch.names())
