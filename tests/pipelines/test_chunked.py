"""Big files are read in chunks: the lake, load log and GE verdicts equal the whole-file load."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from cdp.config import Settings
from cdp.lake import read_table
from pipelines import ingest as ingest_mod
from pipelines.ingest import ingest
from pipelines.load_log import LOADED, read_load_log

simulator = pytest.importorskip("simulator.core")


def _lake(settings: Settings, kind: str) -> dict[str, pl.DataFrame]:
    base = getattr(settings.paths, kind)
    return {p.relative_to(base).as_posix(): pl.read_parquet(p).drop("_ingested_at")
            for p in sorted(base.rglob("*.parquet"))}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    base = tmp_path_factory.mktemp("chunks")
    simulator.generate(persons=150, seed=11, deliveries=1, out=base / "landing", truth=base / "truth")
    out = {}
    for name, batch in (("whole", 1_000_000), ("chunked", 61)):
        s = Settings(data_dir=base / name)
        s.ingest.batch_rows = batch
        s.ingest.ge_sample_rows = 50
        s.paths.root.mkdir(parents=True)
        shutil.copytree(base / "landing", s.paths.landing)
        out[name] = (s, ingest(s))
    return out


def test_chunked_load_equals_whole_file_load(both):
    (sw, rw), (sc, rc) = both["whole"], both["chunked"]
    assert rc.ok and rw.ok
    assert any(f.rows_read > 61 * 3 for f in rc.loaded)  # several chunks really happened
    for kind in ("staged", "quarantine"):
        a, b = _lake(sw, kind), _lake(sc, kind)
        assert a.keys() == b.keys() and a
        for name in a:  # same rows in the same order, row numbers, reasons, _extra
            assert a[name].equals(b[name]), (kind, name)
    cols = ["file", "rows_read", "rows_staged", "rows_quarantined", "status", "ge_success", "warnings"]
    assert read_load_log(sw).select(cols).sort("file").equals(read_load_log(sc).select(cols).sort("file"))
    assert sum(f.rows_quarantined for f in rc.loaded) > 0  # the simulator's dirty rows, duplicates included


def test_chunked_ge_agrees_with_polars_and_sees_every_row(both):
    _, rc = both["chunked"]
    for f in rc.loaded:
        assert f.ge_disagreements == [], (f.file, f.ge_disagreements)
    big = max(rc.loaded, key=lambda f: f.rows_read)
    import json
    doc = json.loads((both["chunked"][0].paths.reports / "ingest" / f"{big.load_id}.json").read_text())
    full = {c["rule"]: c for c in doc["ge_vs_polars"] if c["scope"] == "full"}
    assert full["row:readable"]["element_count"] == big.rows_read  # summed over the chunks
    assert full["row:readable"]["chunks"] > 1
    unique = next(c for r, c in full.items() if r.endswith(":unique"))
    assert unique["batch"] == "full"  # uniqueness checked once over the whole file
    assert doc["ge_sample_rows"] == 50


def test_unique_rule_spans_chunks(tmp_path):
    s = Settings(data_dir=tmp_path / "data")
    s.ingest.batch_rows = 4
    rows = ["transaction_id,card_number,store_id,transaction_at,amount,points,type"]
    rows += [f"T-{i},2760000000001,S01,2024-03-05 10:00:00,1.00,1,purchase" for i in range(1, 11)]
    rows[9] = "T-2,2760000000001,S01,2024-03-05 10:00:00,1.00,1,purchase"  # row 9 repeats row 2's id
    p = s.paths.landing / "bonus" / "2024-03-08" / "transactions_20240308.csv"
    p.parent.mkdir(parents=True)
    p.write_text("\n".join(rows) + "\n")
    (f,) = ingest(s).loaded
    q = read_table(s.paths.quarantine).collect()
    assert sorted(q["_row_number"]) == [2, 9] and f.rows_staged == 8
    assert all(r == ["transaction_id:unique"] for r in q["_failed_rules"].to_list())
    assert f.ge_success is False and f.ge_disagreements == []


def test_quoted_line_breaks_fall_back_to_whole_file(tmp_path):
    s = Settings(data_dir=tmp_path / "data")
    s.ingest.batch_rows = 2
    rows = ["card_number,first_name,last_name,enrolled_at"]
    rows += [f"27600000000{i:02d},Max,Muster,2020-01-01" for i in range(1, 6)]
    rows[3] = '2760000000003,"Max\nJunior",Muster,2020-01-01'
    p = s.paths.landing / "bonus" / "2024-03-08" / "members_20240308.csv"
    p.parent.mkdir(parents=True)
    p.write_text("\n".join(rows) + "\n")
    (f,) = ingest(s).loaded
    assert f.rows_read == 5 and f.reconciles
    assert any("span several lines" in w for w in f.warnings)
    staged = read_table(s.paths.staged).collect()
    assert staged.filter(pl.col("_row_number") == 3)["first_name"][0] == "Max\nJunior"


def test_crash_between_chunks_leaves_no_partial_load(tmp_path, monkeypatch):
    s = Settings(data_dir=tmp_path / "data")
    s.ingest.batch_rows = 3
    rows = ["transaction_id,card_number,store_id,transaction_at,amount,points,type"]
    rows += [f"T-{i},2760000000001,S01,2024-03-05 10:00:00,1.00,1,purchase" for i in range(1, 11)]
    p = s.paths.landing / "bonus" / "2024-03-08" / "transactions_20240308.csv"
    p.parent.mkdir(parents=True)
    p.write_text("\n".join(rows) + "\n")
    real = ingest_mod.evaluate
    calls = {"n": 0}

    def crash_on_third_chunk(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("power cut")
        return real(*a, **k)

    monkeypatch.setattr(ingest_mod, "evaluate", crash_on_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        ingest(s)
    assert not list(s.paths.staged.rglob("*.parquet"))  # chunks 1-2 were written, but only to a temp name
    assert not list(s.paths.lake.rglob(".tmp-*"))  # and removed when the load died
    assert read_load_log(s).height == 0
    # a hard kill leaves a temp file behind: the re-run must remove it
    stale = s.paths.staged / "bonus" / "transactions" / "load_date=2024-03-08"
    stale.mkdir(parents=True, exist_ok=True)
    load_id = "bonus-transactions-20240308-" + ingest_mod.scan_file(p).sha256[:12]
    (stale / f".tmp-dead-{load_id}.parquet.partial").write_bytes(b"PAR1 partial")
    monkeypatch.setattr(ingest_mod, "evaluate", real)
    (f,) = ingest(s).loaded
    assert f.status == LOADED and f.rows_staged == 10
    assert pl.read_parquet(s.paths.root / f.staged_path)["_row_number"].to_list() == list(range(1, 11))
    assert not list(s.paths.lake.rglob(".tmp-*"))
