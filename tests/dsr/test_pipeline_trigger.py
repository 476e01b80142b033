"""Data-subject requests go through the pipeline run (the job `cdp run` runs), never stage by stage.

`cdp sar` answers from an up-to-date profile: with deliveries not processed yet it runs the
pipeline first and says so; with an up-to-date database it only reads. (`forget` and `restrict`
trigger the run after their change: tests/privacy/test_forget.py, test_restrict_sar_pseudo.py.)
"""

from __future__ import annotations

import ast
import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from cli.main import app
from dagster_project.run import dagster_instance
from dsr.sar import ProfilesOutOfDate, sar

REPO = Path(__file__).resolve().parents[2]
#: The stages' entry points: a data-subject request triggers the pipeline instead.
STAGE_FUNCTIONS = {"ingest", "build_canonical", "resolve", "expire_guests", "build_profiles", "update_profiles",
                   "build_profiles_spark", "export_agent_views", "export_audience", "run_pipeline"}


def _runs(settings) -> int:
    with dagster_instance(settings) as instance:
        return len(instance.get_run_records())


def _shop_customer(settings) -> tuple[str, str]:
    """A customer with a shop account, and the account's record key."""
    con = duckdb.connect(str(settings.paths.duckdb), read_only=True)
    try:
        return con.execute("SELECT customer_id, record_key FROM identity_link WHERE source_system = 'shop' "
                           "ORDER BY customer_id LIMIT 1").fetchone()
    finally:
        con.close()


def _deliver_accounts_again(settings) -> str:
    """The shop's accounts export delivered again the next day (one byte different)."""
    old = sorted((settings.paths.landing / "shop").rglob("accounts_*.jsonl"))[-1]
    day = date.fromisoformat(old.parent.name) + timedelta(days=1)
    new = settings.paths.landing / "shop" / day.isoformat() / f"accounts_{day:%Y%m%d}.jsonl"
    new.parent.mkdir(parents=True)
    new.write_bytes(old.read_bytes() + b"\n")
    return new.relative_to(settings.paths.landing).as_posix()


def test_no_dsr_module_calls_a_stage():
    offenders = []
    for path in sorted((REPO / "dsr").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                offenders += [f"{path.name}: {a.name}" for a in node.names if a.name in STAGE_FUNCTIONS]
    assert offenders == []


def test_sar_on_an_up_to_date_profile_only_reads(install, tmp_path):
    s = install
    cid, _ = _shop_customer(s)
    runs = _runs(s)
    lines: list[str] = []
    out = sar(s, cid, tmp_path / "sar", pipeline=lambda _s: pytest.fail("the pipeline ran"), echo=lines.append)
    assert lines == [] and _runs(s) == runs
    assert json.loads(out["json"].read_text(encoding="utf-8"))["subject"]["customer_id"] == cid


def test_sar_runs_the_pipeline_first_when_a_delivery_is_not_processed(install, tmp_path):
    s = install
    cid, record_key = _shop_customer(s)
    new_file = _deliver_accounts_again(s)
    # without a pipeline to run, an out-of-date profile is refused (and nothing is written)
    with pytest.raises(ProfilesOutOfDate, match="1 landed file"):
        sar(s, cid, tmp_path / "refused")
    assert not (tmp_path / "refused").exists()

    runs = _runs(s)
    res = CliRunner().invoke(app, ["--data-dir", str(s.data_dir), "sar", cid, "--out", str(tmp_path / "sar")])
    assert res.exit_code == 0, res.output
    first = res.output.splitlines()[0]
    assert first.startswith("sar: the profile database is not up to date (1 landed file(s) not processed yet)")
    assert "running the pipeline first" in first
    assert _runs(s) == runs + 1  # one Dagster run of the job `cdp run` runs
    with dagster_instance(s) as instance:
        run = instance.get_run_records(limit=1)[0].dagster_run
    assert run.job_name == "cdp_job" and run.is_success
    log = pl.read_parquet(s.paths.load_log).filter(pl.col("file") == new_file)
    assert log["status"].to_list() == ["loaded"]
    # the export answers from the refreshed data: the new delivery of the account is listed
    doc = json.loads(next((tmp_path / "sar").glob("*.json")).read_text(encoding="utf-8"))
    assert doc["subject"]["customer_id"] == cid
    files = {d["_source_file"] for d in doc["source_deliveries"] if d["record_key"] == record_key}
    assert any(f.endswith(Path(new_file).name) for f in files), files
    # and now it is up to date: the next request only reads
    res = CliRunner().invoke(app, ["--data-dir", str(s.data_dir), "sar", cid, "--out", str(tmp_path / "again")])
    assert res.exit_code == 0 and "running the pipeline" not in res.output and _runs(s) == runs + 1
