"""The `cdp` command line as a user meets it: one-line errors, clean help, library output in a log file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

ROOT = Path(__file__).resolve().parents[2]


def cdp(*args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the real entry point in a subprocess (the way a terminal user does)."""
    code = "from cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, "--data-dir", str(data_dir), *args],
                          input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.mark.parametrize("args, says", [
    (["serve"], "run `cdp build-profiles` first"),
    (["export", "agent-views", "--format", "xml"], "choose one of parquet, csv, excel, jsonl"),
    (["sql", "-c", "SELECT 1"], "run `make demo`"),
])
def test_an_error_is_one_line_that_says_what_to_do(tmp_path, args, says):
    out = cdp(*args, data_dir=tmp_path / "missing")
    assert out.returncode != 0
    assert "Traceback" not in out.stderr + out.stdout
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], out.stderr


def test_explain_with_unknown_records_says_what_a_record_key_looks_like(tmp_path):
    import polars as pl

    std = tmp_path / "data" / "lake" / "identity" / "person_records_std.parquet"
    std.parent.mkdir(parents=True)
    pl.DataFrame({"record_key": ["erp:1"]}).write_parquet(std)
    out = cdp("explain", "nope:1", "nope:2", data_dir=tmp_path / "data")
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert out.returncode != 0 and "Traceback" not in out.stderr and len(lines) == 1, out.stderr
    assert "<source>:<id>" in lines[0]


def test_debug_shows_the_traceback(tmp_path):
    out = cdp("--debug", "serve", data_dir=tmp_path / "missing")
    assert out.returncode != 0 and "Traceback" in out.stderr


def test_an_unknown_log_level_is_a_usage_error_not_a_traceback(tmp_path):
    out = cdp("--log-level", "LOUD", "run", data_dir=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "--log-level" in out.stderr


@pytest.mark.parametrize("command", [[], ["run"], ["sql"], ["export", "agent-views"], ["serve"], ["ingest"]])
def test_help_shows_no_bool_placeholder(command):
    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=120)
    assert result.exit_code == 0
    assert "<bool>" not in result.output and "Usage" in result.output


def test_library_output_goes_to_the_log_file_not_the_terminal(tmp_path, caplog):
    import logging

    from cdp.logs import configure_logging, current_log_file

    log_file = tmp_path / "logs" / "cdp-test.log"
    assert not log_file.parent.exists()
    configure_logging("WARNING", log_file)
    try:
        logging.getLogger("splink.internals.estimate_u").info("Running chunk 3/10")
        logging.getLogger("great_expectations").info("Created temporary directory for ephemeral docs site")
        assert current_log_file() == log_file
        text = log_file.read_text(encoding="utf-8")
        assert "Running chunk 3/10" in text and "ephemeral docs site" in text
    finally:
        configure_logging("WARNING", None)


def test_a_quiet_command_leaves_no_log_file(tmp_path):
    out = cdp("--help", data_dir=tmp_path)
    assert out.returncode == 0 and not (tmp_path / "logs").exists()
