"""customer_value: figures equal sums over contact_history; RFM, CLV, lifecycle."""

from __future__ import annotations

import polars as pl

from cdp.config import ProfileSettings


def test_value_figures_equal_sums_over_contact_history(con):
    s = ProfileSettings()
    h = con.sql("SELECT customer_id, type, status, amount FROM contact_history").pl()
    tx = h.filter(
        pl.col("customer_id").is_not_null()
        & pl.col("amount").is_not_null()
        & pl.col("type").is_in(s.purchase_types + s.return_types)
        & (pl.col("status").fill_null("") != "cancelled")
    )
    expected = tx.group_by("customer_id").agg(
        orders=(pl.col("amount") > 0).sum(),
        revenue=pl.col("amount").sum().round(2),
        gross=pl.col("amount").filter(pl.col("amount") > 0).sum().round(2),
    ).sort("customer_id")
    got = con.execute(
        "SELECT customer_id, orders, revenue, gross_revenue FROM customer_value WHERE orders > 0 "
        "ORDER BY customer_id").fetchall()
    assert got == [(r["customer_id"], r["orders"], r["revenue"], r["gross"]) for r in expected.iter_rows(named=True)]


def test_revenue_is_net_of_returns_and_ignores_cancellations(con):
    row = con.execute(
        "SELECT orders, returns, gross_revenue, returned_amount, revenue FROM customer_value "
        "WHERE customer_id = 'C000000001'").fetchone()
    # invoices 100 + 50, shop order 80 (the cancelled 30 does not count); credit note 20, return 25
    assert row == (3, 2, 230.0, 45.0, 185.0)


def test_lifecycle_and_customer_type(con):
    rows = dict(con.execute(
        "SELECT customer_id, lifecycle_stage || '/' || customer_type FROM customer_value").fetchall())
    assert rows == {
        "C000000001": "active/existing",
        "C000000002": "new/new",
        "C000000003": "prospect/prospect",
        "C000000004": "lapsed/existing",
    }


def test_rfm_scores_and_segments(con):
    rows = con.execute(
        "SELECT customer_id, r_score, f_score, m_score, rfm_segment, clv_estimate FROM customer_value "
        "ORDER BY customer_id").fetchall()
    for cid, r, f, m, segment, clv in rows:
        if cid == "C000000003":
            assert (r, f, m, segment, clv) == (None, None, None, "No Purchase", 0.0)
        else:
            assert all(1 <= x <= 5 for x in (r, f, m))
            assert clv >= 0
    by_id = {r[0]: r for r in rows}
    assert by_id["C000000004"][1] == 1 and by_id["C000000004"][4] == "Lost"  # oldest purchase
    assert by_id["C000000002"][1] == 5  # most recent purchase
    # the lapsed customer's CLV is discounted far below the active one's
    assert by_id["C000000004"][5] < by_id["C000000001"][5]
