"""`cdp identity override` / `cdp identity overrides`: what a steward types and sees."""

from typer.testing import CliRunner

from cdp.config import Settings
from cli.main import app
from identity.io import load_overrides


def _run(d, *args):
    return CliRunner().invoke(app, ["--data-dir", str(d), *args])


def test_override_appends_and_is_read_by_resolve(tmp_path):
    r = _run(tmp_path, "identity", "override", "cannot-link", "erp:1", "crm:C-2", "--reason", "twins, checked ID")
    assert r.exit_code == 0, r.output
    r = _run(tmp_path, "identity", "override", "must-link", "shop:S-9", "bonus:77", "--reason", "same card",
             "--actor", "anna")
    assert r.exit_code == 0, r.output
    must, cannot = load_overrides(Settings().with_data_dir(tmp_path))
    assert must.rows() == [("bonus:77", "shop:S-9")]
    assert cannot.rows() == [("crm:C-2", "erp:1")]
    listing = _run(tmp_path, "identity", "overrides")
    assert listing.exit_code == 0
    lines = listing.output.strip().splitlines()
    assert len(lines) == 2 and "cannot_link" in lines[0] and "twins, checked ID" in lines[0]
    assert "must_link" in lines[1] and "anna" in lines[1]


def test_override_rejects_bad_input_without_writing(tmp_path):
    assert _run(tmp_path, "identity", "override", "maybe", "erp:1", "crm:2", "--reason", "x").exit_code != 0
    assert _run(tmp_path, "identity", "override", "must-link", "erp:1", "erp:1", "--reason", "x").exit_code != 0
    assert _run(tmp_path, "identity", "override", "must-link", "erp:1", "crm:2", "--reason", " ").exit_code != 0
    assert not list((tmp_path / "overrides").glob("*.csv")) if (tmp_path / "overrides").exists() else True
    assert "no overrides" in _run(tmp_path, "identity", "overrides").output
