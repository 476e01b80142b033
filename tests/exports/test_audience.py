"""Audience exports: only people with a granted consent for the purpose and channel, ever."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from cdp.lake import write_parquet_atomic
from cli.main import app
from exports.audience import export_audience


def _ids(path) -> dict[str, str]:
    df = pl.read_csv(path) if str(path).endswith(".csv") else pl.read_parquet(path)
    return dict(zip(df["customer_id"], df["channel"], strict=True))


def test_marketing_audience_uses_only_granted_channels_across_merged_records(built, tmp_path):
    r = export_audience(built, "marketing", out=tmp_path / "m.csv")
    got = _ids(r.path)
    # Anna's e-mail grant on her CRM record was withdrawn later on her merged shop record, her
    # phone grant likewise: only the letter consent is left.
    assert got["C000000001"] == "letter"
    assert got["C000000002"] in {"email", "phone"}
    assert "C000000004" not in got  # never consented
    assert "C000000005" not in got  # sms consent but no mobile
    assert r.excluded["no_consent"] == 1 and r.excluded["no_reachable_channel"] == 1
    assert r.exported == len(got) and r.population == 6


def test_phone_list_holds_nobody_without_phone_consent(built, tmp_path):
    r = export_audience(built, "marketing", filters={"channel": "phone"}, out=tmp_path / "p.parquet")
    got = _ids(r.path)
    # Bernd withdrew phone and granted it again later; Anna granted then withdrew on another record.
    assert got == {"C000000002": "phone"}
    df = pl.read_parquet(r.path)
    assert df["contact_point"].to_list() == ["+491522222222"]
    assert r.excluded["withdrawn"] == 1  # Anna


def test_product_model_audience_for_a_safety_notice(built, tmp_path):
    r = export_audience(built, "marketing", product_model="KM-200", out=tmp_path / "km.csv")
    # buyers of KM-200: Anna, Bernd, Dieter (a cancelled order does not count for the script customer)
    assert r.population == 3
    assert set(_ids(r.path)) == {"C000000001", "C000000002"}
    report = json.loads(r.report_path.read_text())
    assert report["excluded"]["no_consent"] == 1 and report["population"] == 3
    assert report["selection"]["product_model"] == "KM-200"


def test_service_audience_requires_service_consent(built, tmp_path):
    r = export_audience(built, "service", out=tmp_path / "s.jsonl")
    rows = [json.loads(line) for line in r.path.read_text().splitlines()]
    assert [(x["customer_id"], x["channel"], x["contact_point"]) for x in rows] == [
        ("C000000003", "phone", "+49403333333")]


def test_suppression_lists_exclude_and_are_counted(fresh, tmp_path):
    erased = fresh.paths.privacy / "erasures.parquet"
    write_parquet_atomic(pl.DataFrame({"customer_id": ["C000000006"]}), erased)
    r = export_audience(fresh, "marketing", out=tmp_path / "m.csv")
    assert "C000000006" not in _ids(r.path)
    assert r.excluded["erased"] == 1 and r.excluded["restricted"] == 0


def test_erased_and_restricted_are_left_out_whatever_lists_are_configured(fresh, tmp_path):
    """Data protection's lists come from the privacy layer, not from configuration: a setting
    that names only another list still leaves erased and restricted customers out (a restriction
    recorded before the profiles were rebuilt included), and the report counts and names each."""
    from datetime import UTC, datetime

    from privacy import store

    store.append(fresh, "erasures.parquet", store.ERASURE, pl.DataFrame(
        {"customer_id": ["C000000006"], "tombstone_id": ["t-1"], "erased_at": [datetime.now(UTC)]}))
    store.replace(fresh, "restrictions.parquet", pl.DataFrame(
        {"record_key": ["crm:2"], "customer_id": ["C000000002"], "reason": ["test"],
         "restricted_at": [datetime.now(UTC)], "actor": ["test"]}, schema=store.RESTRICTION))
    bounced = fresh.data_dir / "lists" / "bounced.parquet"
    write_parquet_atomic(pl.DataFrame({"cid": ["C000000001"]}), bounced)
    fresh.exports.suppression_lists = [{"reason": "bounced", "file": "lists/bounced.parquet", "column": "cid"}]
    r = export_audience(fresh, "marketing", out=tmp_path / "m.csv")
    assert not {"C000000001", "C000000002", "C000000006"} & set(_ids(r.path))
    assert (r.excluded["erased"], r.excluded["restricted"], r.excluded["bounced"]) == (1, 1, 1)
    reasons = json.loads(r.report_path.read_text())["reasons"]
    assert reasons["erased"] == "on the suppression list privacy/erasures.parquet"
    assert reasons["restricted"] == "on the suppression list privacy/restrictions.parquet"
    assert reasons["bounced"] == "on the suppression list lists/bounced.parquet"


def test_every_exported_row_has_a_granted_consent_event_as_latest(built, tmp_path):
    """Re-derive consent from the raw events: the latest event per purpose x channel is a grant."""
    import duckdb

    for channel in (None, "email", "phone", "sms", "letter"):
        r = export_audience(built, "marketing", filters={"channel": channel} if channel else None,
                            out=tmp_path / f"a-{channel}.csv")
        con = duckdb.connect(str(built.paths.duckdb), read_only=True)
        for cid, ch in _ids(r.path).items():
            latest = con.execute(
                "SELECT status FROM consent_event WHERE customer_id = ? AND purpose = 'marketing' "
                "AND channel = ? ORDER BY ts DESC, status = 'granted' LIMIT 1", [cid, ch]).fetchone()
            assert latest == ("granted",), (cid, ch)
            if channel:
                assert ch == channel
        con.close()


def test_bad_input_is_refused_with_the_reason(built, tmp_path):
    with pytest.raises(ValueError, match="purpose"):
        export_audience(built, "spam", out=tmp_path / "x.csv")
    with pytest.raises(ValueError, match="channel"):
        export_audience(built, "marketing", filters={"channel": "fax"}, out=tmp_path / "x.csv")
    with pytest.raises(ValueError, match="filter"):
        export_audience(built, "marketing", filters={"where": "1=1"}, out=tmp_path / "x.csv")


def test_cli_writes_file_and_report(built, tmp_path):
    out = tmp_path / "cli.csv"
    res = CliRunner().invoke(app, ["--data-dir", str(built.data_dir), "export", "audience",
                                   "--purpose", "marketing", "--channel", "phone", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "1 of 6 customers" in res.output
    assert _ids(out) == {"C000000002": "phone"}
    assert (tmp_path / "cli.suppression.json").is_file()
