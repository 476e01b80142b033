"""Ingestion of the simulator's exports: the quarantine matches the injected dirty rows exactly."""

from __future__ import annotations

import polars as pl
import pytest

from cdp.lake import read_table
from cdp.schema import CANONICAL_TABLES, storage_schema
from pipelines.canonical import build_canonical, canonical_path
from pipelines.ingest import ingest
from pipelines.load_log import SKIPPED

simulator = pytest.importorskip("simulator.core")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    from cdp.config import Settings

    root = tmp_path_factory.mktemp("sim") / "data"
    settings = Settings(data_dir=root)
    settings.ingest.ge_sample_rows = 500  # exercise the sampled expectations on a real sample
    simulator.generate(persons=400, seed=7, deliveries=2, out=root / "landing", truth=root / "truth")
    report = ingest(settings)
    return settings, report


def test_every_file_reconciles_and_none_fails(simulated):
    settings, report = simulated
    assert report.ok, [f.message for f in report.failed]
    for f in report.files:
        assert f.rows_read == f.rows_staged + f.rows_quarantined + f.rows_suppressed, f.file
    log = pl.read_parquet(settings.paths.load_log)
    assert log.height == len(report.files)


def test_quarantine_is_exactly_the_injected_dirty_rows(simulated):
    settings, _ = simulated
    truth = pl.read_parquet(settings.paths.truth / "dirty_rows.parquet")
    rows = truth.filter(pl.col("row_number").is_not_null()).select("file", "row_number", "defect")
    q = read_table(settings.paths.quarantine).collect()
    got = set(zip(q["_source_file"], q["_row_number"], strict=True))
    want = set(zip(rows["file"], rows["row_number"], strict=True))
    assert want - got == set(), "dirty rows that were not quarantined"
    assert got - want == set(), "clean rows that were quarantined"
    assert q["_reason"].str.contains(" row ").all()


def test_duplicate_files_are_skipped(simulated):
    settings, report = simulated
    truth = pl.read_parquet(settings.paths.truth / "dirty_rows.parquet")
    dups = set(truth.filter(pl.col("defect") == "duplicate_file")["file"])
    assert dups
    status = {f.file: f.status for f in report.files}
    assert all(status[d] == SKIPPED for d in dups), {d: status.get(d) for d in dups}


def test_ge_agrees_with_polars_on_every_load(simulated):
    _, report = simulated
    for f in report.loaded:
        assert f.ge_disagreements == [], (f.file, f.ge_disagreements)


def test_canonical_tables_have_the_schema_and_one_row_per_record(simulated):
    settings, _ = simulated
    counts = build_canonical(settings)
    for table, schema in CANONICAL_TABLES.items():
        df = pl.read_parquet(canonical_path(settings, table))
        assert df.schema == storage_schema(schema)  # enums as strings on disk
        assert df.height == counts[table] > 0
    pr = pl.read_parquet(canonical_path(settings, "person_records"))
    assert pr["record_key"].is_unique().all()
    assert set(pr["source_system"]) == {"erp", "crm", "shop", "bonus"}
    truth = pl.read_parquet(settings.paths.truth / "identity_truth.parquet")
    # every person record the simulator made and ingestion accepted is there under its key
    keys = set(truth["source_system"] + ":" + truth["source_record_id"])
    assert set(pr["record_key"]) <= keys


def _in_memory_oracle(settings) -> dict[str, pl.DataFrame]:
    """The canonical build as it was before streaming: whole tables in memory, then dedupe."""
    from cdp.schema import conform
    from pipelines.canonical import staged_current
    from pipelines.contracts import contracts_of
    from pipelines.load_log import LOADED, read_load_log
    from pipelines.mapping import KEY_COLUMN, map_to_canonical

    loads = read_load_log(settings).filter(pl.col("status") == LOADED)
    parts: dict[str, list[pl.DataFrame]] = {t: [] for t in CANONICAL_TABLES}
    for contract in contracts_of(settings).values():
        for entity in contract.entities:
            current = staged_current(settings, entity, loads) if entity.canonical else None
            for table, mapping in (entity.canonical.items() if current is not None else []):
                parts[table].append(conform(map_to_canonical(current, entity, table, mapping),
                                            CANONICAL_TABLES[table]))
    return {t: pl.concat(parts[t]).unique(subset=[KEY_COLUMN[t]], keep="last", maintain_order=True)
            for t in CANONICAL_TABLES}


def test_streamed_build_equals_the_in_memory_build(simulated):
    """Two deliveries of every export: the streamed build keeps exactly the newest rows."""
    import dataclasses

    settings, _ = simulated
    # nothing expires before 2000, so the privacy filter keeps every row and the oracle applies
    settings = dataclasses.replace(settings, privacy=dataclasses.replace(settings.privacy,
                                                                         retention_as_of="2000-01-01"))
    counts = build_canonical(settings)
    want = _in_memory_oracle(settings)
    loads = pl.read_parquet(settings.paths.load_log)
    assert loads.filter(pl.col("entity") == "contacts").height >= 2  # older deliveries exist
    for table, df in want.items():
        got = pl.read_parquet(canonical_path(settings, table))
        assert counts[table] == got.height == df.height, table
        assert got.equals(df), table  # same rows, same order, same types
