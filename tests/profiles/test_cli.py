"""`cdp build-profiles` and `cdp profile`."""

from __future__ import annotations

from typer.testing import CliRunner

from cli.main import app


def test_build_then_profile_by_email(fixture_settings):
    runner = CliRunner()
    data = str(fixture_settings.data_dir)
    result = runner.invoke(app, ["--data-dir", data, "build-profiles"])
    assert result.exit_code == 0, result.output
    assert "customer" in result.output
    result = runner.invoke(app, ["--data-dir", data, "profile", "anna@example.de"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "C000000001" in out and "Müller" in out
    assert "withdrawn" in out and "granted" in out
    assert "Beschwerde" in out  # the latest contact
    assert "185.00" in out  # net revenue


def test_profile_unknown_and_ambiguous(fixture_settings):
    runner = CliRunner()
    data = str(fixture_settings.data_dir)
    assert runner.invoke(app, ["--data-dir", data, "profile", "x"]).exit_code == 2  # not built
    runner.invoke(app, ["--data-dir", data, "build-profiles"])
    assert runner.invoke(app, ["--data-dir", data, "profile", "nobody@example.de"]).exit_code == 1
