"""The job's wiring with stand-in stages: progress, failure isolation, blocking checks, summary."""

import pytest

from cdp.config import Settings
from dagster_project.run import run_pipeline, summary_lines

from . import fakes

FILES = ["erp/2024-03-01/kunden_20240301.csv", "erp/2024-03-02/rechnungen_20240302.csv",
         "crm/2024-03-01/contacts_20240301.jsonl", "shop/2024-03-02/accounts_20240302.jsonl",
         "bonus/2024-03-01/members_20240301.csv"]


@pytest.fixture
def settings(tmp_path):
    s = Settings().with_data_dir(tmp_path / "data")
    s.privacy.secret = "a-test-secret-not-the-demo-one"  # hand-written data: the demo secret is refused
    fakes.deliver(s, FILES)
    return s


def test_a_clean_run_materialises_everything_and_reports_counts(settings, monkeypatch):
    fakes.install(monkeypatch)
    lines = []
    summary = run_pipeline(settings, echo=lines.append)
    assert summary.success, summary.failures
    assert summary.load_dates == ["2024-03-01", "2024-03-02"]
    assert summary.metadata("sources/erp/customers")["rows_staged"] == 100
    assert summary.metadata("identity/customers")["dagster/row_count"] == 2
    assert summary.metadata("profiles/customer")["dagster/row_count"] == 2
    # one progress line per stage (per source for ingest), not per asset or partition
    assert sum(line.strip().startswith("✓ sources/erp ") for line in lines) == 1
    assert sum(line.strip().startswith("✓ profiles ") for line in lines) == 1
    # header, path, 5 sources, canonical/identity/retention/profiles/exports/reports
    assert len(lines) == 2 + 5 + 6, "\n".join(lines)
    assert any(line.strip().startswith("✓ retention ") and "expired guest checkouts" in line for line in lines)
    assert lines[1].startswith("cdp run: full rebuild: no profile database yet"), lines[1]
    # the load dates that exist are the partitions, registered on the instance `dagster dev` shows
    from dagster_project.run import dagster_instance

    with dagster_instance(settings) as instance:
        assert instance.get_dynamic_partitions("load_date") == ["2024-03-01", "2024-03-02"]
        status = instance.get_latest_materialization_event(
            __import__("dagster").AssetKey(["sources", "erp", "customers"]))
        assert status is not None
    text = "\n".join(summary_lines(summary, settings))
    assert "customers resolved" in text and str(settings.paths.duckdb) in text and "dagster dev" in text
    assert "checks" in text and "0 failed" in text


def test_a_failing_source_does_not_stop_the_other_sources(settings, monkeypatch):
    fakes.install(monkeypatch, failing_source="crm")
    summary = run_pipeline(settings, echo=lambda _: None)
    assert not summary.success and summary.failures == ["ingest_crm"]
    assert {"sources/erp/customers", "sources/shop/accounts", "sources/bonus/members"} <= set(summary.materialized)
    assert "profiles/customer" not in summary.materialized
    assert not settings.paths.duckdb.exists()


def test_a_contract_breach_blocks_downstream_and_a_small_one_only_warns(settings, monkeypatch):
    fakes.install(monkeypatch, quarantined={"shop": 30})  # 30% of the shop file
    summary = run_pipeline(settings, echo=lambda _: None)
    check = summary.check("sources/shop/accounts", "contract")
    assert check["severity"] == "ERROR" and not check["passed"]
    assert "canonical/person_records" not in summary.materialized
    assert "sources/erp/customers" in summary.materialized

    settings.paths.load_log.unlink()
    fakes.install(monkeypatch, quarantined={"shop": 3})  # 3%: under the contract's 5%
    summary = run_pipeline(settings, echo=lambda _: None)
    check = summary.check("sources/shop/accounts", "contract")
    assert check["passed"] and "quarantined" in check["description"]
    assert "profiles/customer" in summary.materialized


def test_no_deliveries_is_an_error_that_says_what_to_do(tmp_path, monkeypatch):
    fakes.install(monkeypatch)
    with pytest.raises(FileNotFoundError, match="cdp generate"):
        run_pipeline(Settings().with_data_dir(tmp_path), echo=lambda _: None)


def test_cdp_run_on_an_empty_data_dir_tells_the_user_to_generate(tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "run"])
    assert result.exit_code == 2
    assert "cdp generate" in result.output


def test_a_successful_run_removes_the_empty_temp_dirs_it_made(settings, monkeypatch):
    """Identity's DuckDB spills under data/tmp/duckdb-identity; after a successful run no empty
    temp directory of the run is left behind (a directory that was there before stays)."""
    import dagster_project.assets as assets

    fakes.install(monkeypatch)
    fake_resolve = assets.resolve
    kept = settings.paths.root / "tmp" / "mine"
    kept.mkdir(parents=True)

    def resolve(s, **kwargs):
        (s.paths.root / "tmp" / "duckdb-identity").mkdir(parents=True, exist_ok=True)  # as identity.model does
        (s.paths.root / "tmp" / "spark" / "abc").mkdir(parents=True, exist_ok=True)
        (s.paths.root / "tmp" / "spark" / "log.txt").write_text("kept: not empty")
        return fake_resolve(s, **kwargs)

    monkeypatch.setattr(assets, "resolve", resolve)
    assert run_pipeline(settings, echo=lambda _: None).success
    tmp = settings.paths.root / "tmp"
    assert not (tmp / "duckdb-identity").exists() and not (tmp / "spark" / "abc").exists()
    assert kept.is_dir() and (tmp / "spark" / "log.txt").is_file()
