"""End to end on the project's own simulator: generate -> ingest -> resolve -> build-profiles.

Runs the real upstream stages through the ``cdp`` CLI on 300 simulated persons and checks the
profile invariants on what they produce.
"""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from cdp.config import ProfileSettings, Settings
from cdp.lake import read_table
from cdp.schema import CONSENT_EVENT, CONTACT_EVENT
from profiles.build import build_profiles, load_expired_records
from profiles.cx_eval import evaluate_churn
from profiles.lookup import find_customers
from tests.simulated import run_cli_steps

from .consent_oracle import expected_states
from .test_analyst_queries import BLOCKS

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def sim(tmp_path_factory) -> Settings:
    data = tmp_path_factory.mktemp("sim") / "data"
    settings = run_cli_steps(data, 300, 7, ("ingest", "resolve"))
    build_profiles(settings)
    return settings


@pytest.fixture
def scon(sim):
    c = duckdb.connect(str(sim.paths.duckdb), read_only=True)
    yield c
    c.close()


def test_contact_counts_reconcile_with_the_canonical_layer(sim, scon):
    """Every canonical contact and consent event is in contact_history, except those of the guest
    checkouts this run's retention step expired (the profiles leave them out)."""
    canon = sim.paths.canonical
    with duckdb.connect() as mem:
        assert load_expired_records(mem, sim) > 0  # the 300 simulated persons include expired guests
        expired = pl.Series(mem.execute("SELECT record_key FROM privacy_expired_record").fetchnumpy()["record_key"])
    contacts = read_table(canon / "contact_events", CONTACT_EVENT).collect()
    consents = read_table(canon / "consent_events", CONSENT_EVENT).collect()
    expected = dict(pl.concat([contacts.select("source_system", "person_record_key"),
                               consents.select("source_system", "person_record_key")])
                    .filter(~pl.col("person_record_key").is_in(expired.implode()).fill_null(False))
                    .group_by("source_system").len().rows())
    got = dict(scon.execute("SELECT source, count(*) FROM contact_history GROUP BY 1").fetchall())
    assert got == expected and sum(got.values()) > 1000


def test_each_contact_has_one_id_and_its_records_customer(scon):
    assert scon.execute("SELECT count(*) - count(DISTINCT contact_id) FROM contact_history").fetchone()[0] == 0
    assert scon.execute(
        "SELECT count(*) FROM contact_history h JOIN identity_link l ON l.record_key = h.person_record_key "
        "WHERE h.customer_id IS DISTINCT FROM l.customer_id").fetchone()[0] == 0
    # only contacts whose person record never reached identity (quarantined) have no customer
    assert scon.execute(
        "SELECT count(*) FROM contact_history WHERE customer_id IS NULL AND person_record_key IN "
        "(SELECT record_key FROM identity_link)").fetchone()[0] == 0


def _dicts(con, sql):
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def test_consent_state_per_contact_point_follows_the_rule(scon):
    # the rule stated once in plain Python (consent_oracle) against the SQL, on simulated data
    ev = scon.sql("SELECT status FROM consent_event WHERE customer_id IS NOT NULL").pl()
    # a pending sign-up (double opt-in not confirmed) is evidence only: it decides nothing
    assert "pending" in ev["status"].to_list()
    assert "objection" in ev["status"].to_list()
    events = _dicts(scon, """
        SELECT customer_id, purpose, channel, point_key, scope, status, ts,
               consent_event_key AS key, person_record_key
        FROM consent_event WHERE status IN ('granted', 'withdrawn', 'objection')
        UNION ALL
        SELECT customer_id, purpose, 'all', 'all', 'all', 'objection', objected_at, reference,
               person_record_key
        FROM objection WHERE recorded_as = 'contact'""")
    points = _dicts(scon, "SELECT customer_id, channel, point_key, record_keys FROM contact_point")
    expected = expected_states(points, events)
    got = {(r["customer_id"], r["purpose"], r["channel"], r["point_key"]): r["state"]
           for r in _dicts(scon, "SELECT customer_id, purpose, channel, point_key, state FROM consent "
                                 "WHERE reachable AND state <> 'unknown'")}
    assert got == expected
    assert any(s == "objection" for s in got.values())


def test_marketing_channel_only_where_consent_is_granted(scon):
    assert scon.execute(
        "SELECT count(*) FROM preferred_channel p LEFT JOIN consent c ON c.customer_id = p.customer_id "
        "AND c.purpose = 'marketing' AND c.channel = p.channel AND c.contact_point = p.contact_point "
        "WHERE p.purpose = 'marketing' AND p.channel IS NOT NULL AND NOT coalesce(c.is_granted, false)"
    ).fetchone()[0] == 0
    assert scon.execute(
        "SELECT count(*) FILTER (WHERE channel IS NULL AND reason IS NULL) FROM preferred_channel"
    ).fetchone()[0] == 0


def test_value_equals_sums_over_contact_history(scon):
    s = ProfileSettings()
    h = scon.sql("SELECT customer_id, type, status, amount FROM contact_history").pl()
    exp = (h.filter(pl.col("customer_id").is_not_null() & pl.col("amount").is_not_null()
                    & pl.col("type").is_in(s.purchase_types + s.return_types)
                    & (pl.col("status").fill_null("") != "cancelled"))
           .group_by("customer_id").agg(orders=(pl.col("amount") > 0).sum(),
                                        revenue=pl.col("amount").sum().clip(0).round(2))
           .filter((pl.col("orders") > 0) | (pl.col("revenue") != 0)))
    got = scon.sql("SELECT customer_id, orders, revenue FROM customer_value "
                   "WHERE orders > 0 OR revenue <> 0").pl()
    # returns of purchases outside the data never make a customer (or a prospect) worth less than 0
    assert scon.execute("SELECT count(*) FROM customer_value WHERE revenue < 0").fetchone()[0] == 0
    joined = exp.join(got, on="customer_id", how="full", coalesce=True)
    assert joined.filter((pl.col("orders") != pl.col("orders_right"))
                         | ((pl.col("revenue") - pl.col("revenue_right")).abs() > 0.01)
                         | pl.col("orders").is_null() | pl.col("orders_right").is_null()).height == 0
    assert got.height > 100


@pytest.mark.parametrize("where, query", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_analyst_queries_run_on_simulated_data(scon, where, query):
    scon.execute(query).fetchall()


def test_lookup_finds_customers_by_their_email_and_id(scon):
    rows = scon.execute("SELECT customer_id, email FROM customer WHERE email IS NOT NULL "
                        "ORDER BY customer_id LIMIT 50").fetchall()
    for cid, email in rows:
        assert cid in find_customers(scon, email.upper())
        assert find_customers(scon, cid) == [cid]



def test_churn_risk_beats_chance_against_the_simulators_truth(sim):
    r = evaluate_churn(sim.paths.duckdb, sim.paths.truth)
    assert r["churned"] > 10
    assert r["auc"] > 0.8
    assert r["calibration"]["ece"] < 0.1


def test_service_cases_and_feedback_hang_together(scon):
    bad = scon.execute("SELECT count(*) FROM service_case WHERE handling_hours < 0 "
                       "OR (first_contact_resolution AND (status <> 'closed' OR contacts > 1)) "
                       "OR (status = 'open') <> (age_days IS NOT NULL)").fetchone()[0]
    assert bad == 0
    linked = scon.execute("SELECT avg((customer_id IS NOT NULL)::INTEGER) FROM feedback").fetchone()[0]
    assert linked > 0.9
    months = scon.execute("SELECT count(*), count(nps) FROM cx_kpi_monthly").fetchone()
    assert months[0] == 24 and months[1] > 12
