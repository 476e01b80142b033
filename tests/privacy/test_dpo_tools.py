"""DPO tools: `cdp forget` previews and asks before erasing; `cdp audit` has headers and filters."""

from __future__ import annotations

from typer.testing import CliRunner

from cli.main import app
from dagster_project.run import dagster_instance
from privacy.store import read_audit_log, read_tombstones
from tests.privacy.conftest import multi_source_customer, person_identifiers, scan


def _cdp(s, *args, input=None):
    return CliRunner().invoke(app, ["--data-dir", str(s.data_dir), *args], input=input)


def test_forget_dry_run_shows_counts_and_record_keys_and_changes_nothing(install):
    s = install
    cid = multi_source_customer(s)
    idents = person_identifiers(s, cid)
    typed = idents["emails"][0]
    with dagster_instance(s) as instance:
        runs = len(instance.get_run_records())
    res = _cdp(s, "forget", typed, "--dry-run")
    assert res.exit_code == 0, res.output
    out = res.output
    assert f"would erase customer {cid}" in out
    for key in idents["keys"]:
        assert key in out
    assert "canonical.person_records" in out and "profiles.contact_history" in out
    assert "dry run: nothing was changed" in out
    # no name, e-mail or phone beyond what the DPO typed
    others = [v for v in (*idents["emails"], *idents["phones"], *idents["full_names"]) if v != typed]
    assert not [v for v in others if v in out]
    # nothing erased, no pipeline run
    assert read_tombstones(s).height == 0
    with dagster_instance(s) as instance:
        assert len(instance.get_run_records()) == runs
    assert scan(s.paths.root, idents["emails"])
    assert read_audit_log(s)[-1]["action"] == "forget_preview"


def test_forget_asks_and_a_no_erases_nothing(install):
    s = install
    cid = multi_source_customer(s)
    res = _cdp(s, "forget", cid, "--reason", "DSR-7", input="n\n")
    assert res.exit_code == 1 and "Erase customer" in res.output and "nothing erased" in res.output
    assert read_tombstones(s).height == 0
    res = _cdp(s, "forget", cid, "--reason", "DSR-7", input="y\n")
    assert res.exit_code == 0, res.output
    assert f"erased {cid}" in res.output and read_tombstones(s).height > 0


def test_audit_has_headers_and_filters_by_subject_action_and_date(install):
    s = install
    cid = multi_source_customer(s)
    assert _cdp(s, "forget", cid, "--dry-run").exit_code == 0
    assert _cdp(s, "restrict", cid, "--reason", "accuracy contested").exit_code == 0
    out = _cdp(s, "audit").output
    assert out.splitlines()[0].split()[:4] == ["when", "(UTC)", "actor", "action"]
    only = _cdp(s, "audit", "--action", "restrict", "--subject", cid).output.splitlines()
    assert len(only) == 3 and "restrict" in only[2] and cid in only[2]
    assert "no audit entries match" in _cdp(s, "audit", "--until", "01.01.2000").output
    today = read_audit_log(s)[-1]["at"][:10]
    assert len(_cdp(s, "audit", "--since", today).output.splitlines()) == 2 + 2
    assert _cdp(s, "audit", "--since", "yesterday").exit_code == 2
