"""On the project's own simulator (generate -> ingest -> resolve -> build-profiles, 300 persons):
no audience ever holds a person whose latest consent event for the purpose and channel, across
all of their merged source records, is not a grant."""

from __future__ import annotations

import re

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from cdp.config import Settings
from cli.main import app
from exports.audience import export_audience
from exports.console.app import create_app
from tests.simulated import run_cli_steps

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def sim(tmp_path_factory) -> Settings:
    data = tmp_path_factory.mktemp("sim") / "data"
    return run_cli_steps(data, 300, 5, ("ingest", "resolve", "build-profiles"))


def _events_from_the_lake(settings: Settings, purpose: str) -> pl.DataFrame:
    """Canonical consent events of ``purpose`` with the customer id identity gave their record
    (from the lake, not from the profiles' SQL)."""
    files = [str(p) for p in settings.paths.canonical_table("consent_events").rglob("*.parquet")]
    link = pl.read_parquet(settings.paths.identity / "identity_link.parquet", columns=["record_key", "customer_id"])
    ev = pl.read_parquet(files).filter(pl.col("purpose") == purpose)
    return ev.join(link, left_on="person_record_key", right_on="record_key")


def _later_refusal(events: pl.DataFrame, cid: str, channel: str, point: str, since) -> bool:
    """A withdrawal or objection of this customer after ``since`` that names this contact point
    (spelt as delivered, any case) or names none / ``all``."""
    return events.filter(
        (pl.col("customer_id") == cid) & (pl.col("channel") == channel)
        & pl.col("status").is_in(["withdrawn", "objection"])
        & (pl.col("ts") >= pl.lit(since).cast(pl.Datetime("us", "UTC")) if since is not None else pl.lit(True))
        & (pl.col("contact_point").is_null() | (pl.col("contact_point") == "all")
           | (pl.col("contact_point").str.to_lowercase() == point.lower()))).height > 0


@pytest.mark.parametrize("purpose, channel", [("marketing", None), ("marketing", "phone"),
                                              ("marketing", "email"), ("service", None)])
def test_audience_only_holds_contact_points_with_their_own_grant(sim, tmp_path, purpose, channel):
    """Consent is per contact point (issue 16): each exported address or number has its own
    granted consent where the purpose's legal basis is consent, and no later withdrawal or
    objection in the lake names it (or names no point)."""
    events = _events_from_the_lake(sim, purpose)
    r = export_audience(sim, purpose, filters={"channel": channel} if channel else None,
                        out=tmp_path / "a.parquet")
    df = pl.read_parquet(r.path)
    assert df.height > 0 and df["customer_id"].n_unique() == df.height
    needs_consent = sim.privacy.legal_basis.get(purpose) == "consent"
    con = duckdb.connect(str(sim.paths.duckdb), read_only=True)
    for cid, ch, point in df.select("customer_id", "channel", "contact_point").iter_rows():
        row = con.execute("SELECT state, decided_at FROM consent WHERE customer_id = ? AND purpose = ? "
                          "AND channel = ? AND contact_point = ?", [cid, purpose, ch, point]).fetchone()
        if needs_consent:
            assert row is not None and row[0] == "granted", (cid, purpose, ch)
        assert not _later_refusal(events, cid, ch, point, row[1] if row else None), (cid, purpose, ch)
    con.close()
    # everybody with a latest grant and a contact point is either exported or has a reason
    assert r.exported + sum(r.excluded.values()) == r.population
    if channel:  # the simulation has withdrawals on this channel for the rule to honour
        assert events.filter((pl.col("channel") == channel) & (pl.col("status") == "withdrawn")).height


def test_console_finds_simulated_customers_by_card_and_erp_number(sim):
    con = duckdb.connect(str(sim.paths.duckdb), read_only=True)
    cid, card = con.execute("SELECT customer_id, bonus_card_numbers[1] FROM customer "
                            "WHERE len(bonus_card_numbers) > 0 ORDER BY customer_id LIMIT 1").fetchone()
    cid2, erp = con.execute("SELECT customer_id, erp_customer_numbers[1] FROM customer "
                            "WHERE len(erp_customer_numbers) > 0 ORDER BY customer_id LIMIT 1").fetchone()
    con.close()
    flask_app = create_app(sim)
    client = flask_app.test_client()
    assert f"/customer/{cid}" in client.get("/", query_string={"q": card}).get_data(as_text=True)
    assert f"/customer/{cid2}" in client.get("/", query_string={"q": erp}).get_data(as_text=True)
    html = client.get(f"/customer/{cid}").get_data(as_text=True)
    assert card not in html and card[-4:] in html  # agents see the last 4 digits only
    flask_app.extensions["cdp_console"].close()


def test_a_common_name_says_how_many_and_a_postcode_narrows_it(sim):
    from dataclasses import replace

    from exports.console import service

    con = duckdb.connect(str(sim.paths.duckdb), read_only=True)
    last, holders = con.execute("SELECT last_name, count(*) n FROM customer WHERE last_name IS NOT NULL "
                                "GROUP BY ALL ORDER BY n DESC, last_name LIMIT 1").fetchone()
    postcode = con.execute("SELECT postcode FROM customer WHERE last_name = ? AND postcode IS NOT NULL "
                           "ORDER BY customer_id LIMIT 1", [last]).fetchone()[0]
    with_postcode = con.execute("SELECT count(*) FROM customer WHERE last_name = ? AND postcode = ?",
                                [last, postcode]).fetchone()[0]
    con.close()
    assert holders >= 3
    small = replace(sim, exports=replace(sim.exports, search_limit=2, console_role="agent"))
    app = create_app(small)
    try:
        client = app.test_client()
        html = client.get("/", query_string={"q": last}).get_data(as_text=True)
        narrowed = client.get("/", query_string={"q": f"{last} {postcode}"}).get_data(as_text=True)
        data = app.extensions["cdp_console"]
        gen, cur = data.lease()
        try:
            hits = service.search(cur, small, f"{last} {postcode}")
        finally:
            data.release(gen, cur)
    finally:
        app.extensions["cdp_console"].close()
    found = re.search(r"Showing 2 of (\d+) customers", html)
    assert found and int(found.group(1)) >= holders
    assert "add a first name or postcode" in html and "birth year" not in html  # agents see no birth date
    assert 1 <= hits.total <= int(found.group(1)) and hits.total >= with_postcode
    assert len(hits) == min(2, hits.total) and (hits.total > 2) == ("Showing" in narrowed)


def test_agent_view_export_masks_card_numbers_like_the_console(sim):
    from exports.agent_views import export_agent_views

    path = export_agent_views(sim, "excel")
    df = pl.read_csv(path, separator=";", encoding="utf8-lossy", infer_schema=False)
    cards = df["bonus_card_numbers"].drop_nulls()
    con = duckdb.connect(str(sim.paths.duckdb), read_only=True)
    full = {n for (ns,) in con.execute("SELECT bonus_card_numbers FROM customer").fetchall() for n in ns or []}
    con.close()
    assert cards.len() > 0 and cards.str.contains(r"^•••• \d{4}(; •••• \d{4})*$").all()
    assert not any(n in path.read_text(encoding="utf-8-sig") for n in full)


def _readme_commands() -> list[str]:
    """Every `.venv/bin/cdp …` line of the README's ```sh blocks (what a user copies)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    return [line.split("#")[0].strip() for b in blocks for line in b.splitlines()
            if line.strip().startswith(".venv/bin/cdp ")]


@pytest.mark.parametrize("command", _readme_commands())
def test_readme_commands_work_as_typed_after_a_demo(sim, tmp_path, monkeypatch, command):
    import shlex

    monkeypatch.chdir(tmp_path)
    args = shlex.split(command)[1:]
    res = CliRunner().invoke(app, ["--data-dir", str(sim.data_dir), *args])
    assert res.exit_code == 0, f"{command}: {res.output[-500:]}"
    assert "error" not in res.output.lower()


def test_console_and_agent_view_export_show_the_same_masked_cards(sim):
    """Both read agent_profile: the console's card chips are the export's cells, never a full number."""
    from exports.agent_views import export_agent_views

    df = pl.read_parquet(export_agent_views(sim, "parquet")).filter(pl.col("bonus_card_numbers").is_not_null())
    con = duckdb.connect(str(sim.paths.duckdb), read_only=True)
    full = dict(con.execute("SELECT customer_id, bonus_card_numbers FROM customer").fetchall())
    con.close()
    sim.exports.console_role = "agent"
    app = create_app(sim)
    try:
        for cid, cards in df.select("customer_id", "bonus_card_numbers").head(5).iter_rows():
            html = app.test_client().get(f"/customer/{cid}").get_data(as_text=True)
            shown = re.findall(r'<span class="chip">Card ([^<]+)</span>', html)
            assert shown and "; ".join(shown) == cards
            assert not any(n in html for n in full[cid])
    finally:
        app.extensions["cdp_console"].close()
