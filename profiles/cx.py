"""Customer experience in the profile: feedback, service cases, campaign responses, churn risk.

Runs inside the profile build, after data protection has gated ``customer_value`` (restricted
customers, and whoever else the profiling rules exclude, have no ``customer_type`` there):

1. ``feedback``, ``service_case``, ``campaign_response``: facts, one row per response / case /
   message (``profiles/sql/<table>.sql``);
2. ``churn_risk``: per customer who may be profiled and has bought something, the probability
   of having churned: an MBG/NBD model (``lifetimes.ModifiedBetaGeoFitter``, the BG/NBD variant
   in which a customer can also drop out right after the first purchase; plain BG/NBD calls
   every one-time buyer alive) of their purchase days gives P(alive);
   service signals (an open complaint, a detractor answer, a withdrawn consent, no reaction to
   recent campaigns) shift its log-odds by configured weights;
3. ``customer_experience``: one row per customer (latest score and comment, open cases with
   age, churn risk, points and member status, contact pressure), and the view
   ``agent_experience``: the part of it a service agent sees (the console reads it);
4. ``cx_kpi_monthly`` and ``cx_nps_touchpoint_monthly``: the KPIs service and marketing
   managers watch.

Why ``lifetimes`` and not ``pymc-marketing`` (measured on this 2-core machine, 20,000 simulated
BG/NBD customers): lifetimes installs three small pure-Python wheels (5 MB) and fits in 1.4 s;
pymc-marketing 0.19 pulls about 30 packages (775 MB: PyMC, PyTensor, numba, matplotlib ...),
imports in 9 s and needed 94 s for a MAP fit, for the same P(alive) quality (correlation with
the true state 0.741 vs 0.745). pymc-marketing is the maintained successor (lifetimes has had no
release since 2020), but lifetimes' model code is small, works on numpy 2 / pandas 3 and is
checked against the simulator's truth (benchmarks/churn.py), so the profile build stays fast.
"""

from __future__ import annotations

import logging
import math
import warnings

import duckdb
import numpy as np
import pandas as pd

from cdp.config import Settings

log = logging.getLogger(__name__)

#: SQL files built before and after churn_risk, in order.
FACT_TABLES = ["feedback", "service_case", "campaign_response"]
SUMMARY_TABLES = ["customer_experience", "agent_experience", "cx_kpi_monthly", "cx_nps_touchpoint_monthly"]
#: the tables and views this module adds to data/cdp.duckdb
VIEWS = ["agent_experience"]
TABLES = [*FACT_TABLES, "churn_risk", *(t for t in SUMMARY_TABLES if t not in VIEWS)]
SIGNALS = ("open_complaint", "detractor", "withdrawn_consent", "unresponsive")
#: the model is fitted on at most this many customers (a seeded sample); scores are for all
FIT_SAMPLE = 200_000
MODEL = "MBG/NBD (lifetimes.ModifiedBetaGeoFitter) + service signals"


def build_customer_experience(con: duckdb.DuckDBPyConnection, settings: Settings, sql_text) -> None:
    """Create every CX table in the database being built (``sql_text(name)`` reads the SQL)."""
    build_cx_facts(con, settings, sql_text)
    con.execute(sql_text("cx_loyalty"))
    build_cx_summaries(con, settings, sql_text)


def build_cx_facts(con: duckdb.DuckDBPyConnection, settings: Settings, sql_text) -> None:
    """``cfg_cx`` and the fact tables (one row per response / case / message)."""
    p = settings.profiles
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cfg_cx AS SELECT ?::INTEGER AS campaign_order_window_days, "
        "?::INTEGER AS cx_kpi_months", [p.campaign_order_window_days, p.cx_kpi_months])
    for name in FACT_TABLES:
        con.execute(sql_text(name))


def build_cx_summaries(con: duckdb.DuckDBPyConnection, settings: Settings, sql_text) -> None:
    """``churn_risk`` and the summaries over every customer (reads the temp table ``cx_loyalty``)."""
    build_churn_risk(con, settings)
    for name in SUMMARY_TABLES:
        con.execute(sql_text(name))


def build_churn_risk(con: duckdb.DuckDBPyConnection, settings: Settings) -> int:
    """``churn_risk``: one row per customer who may be profiled and has a purchase.

    Returns:
        The number of customers scored.
    """
    p = settings.profiles
    rfm = con.execute(_RFM_SQL).df()
    sig = con.execute(_SIGNALS_SQL).df()
    df = rfm.merge(sig, on="customer_id", how="left").fillna({s: False for s in SIGNALS})
    if len(df):
        p_alive, expected, params = _bgnbd(df)
    else:
        p_alive, expected, params = np.array([]), np.array([]), {}
    logit = np.log(np.clip(1 - p_alive, 1e-6, 1 - 1e-6)) - np.log(np.clip(p_alive, 1e-6, 1 - 1e-6))
    for s in SIGNALS:
        logit = logit + float(p.churn_signal_weights.get(s, 0.0)) * df[s].to_numpy(dtype=float)
    prob = 1 / (1 + np.exp(-logit))
    out = pd.DataFrame({
        "customer_id": df["customer_id"],
        "purchase_days": df["frequency"].astype("int64") + 1,
        "recency_days": (df["T"] - df["recency"]).round().astype("int64"),
        "tenure_days": df["T"].round().astype("int64"),
        "p_alive": np.round(p_alive, 4),
        "expected_purchases_90d": np.round(expected, 3),
        **{s: df[s].astype(bool) for s in SIGNALS},
        "churn_probability": np.round(prob, 4),
        "risk_level": np.where(prob >= p.churn_high, "high", np.where(prob >= p.churn_medium, "medium", "low")),
    })
    con.register("_churn_risk", out)
    con.execute(_CHURN_TABLE_SQL, [MODEL, _params_text(params)])
    con.unregister("_churn_risk")
    for col, text in _CHURN_COMMENTS.items():
        literal = "'" + text.replace("'", "''") + "'"  # our own text; COMMENT ON takes no parameter
        con.execute(f'COMMENT ON COLUMN churn_risk."{col}" IS {literal}')
    con.execute("COMMENT ON TABLE churn_risk IS 'One row per customer who may be profiled (customer_value.customer_type "
                "is set: no restriction, a profiling basis) and bought at least once: probability of having churned "
                "as of profile_build.as_of, from a BG/NBD model of the purchase days plus service signals.'")
    log.info("churn_risk: %d customers scored (%s)", len(out), _params_text(params))
    return len(out)


def _bgnbd(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, dict]:
    """P(alive) and expected purchases in the next 90 days (days as the time unit)."""
    # Imported here, not at the top: lifetimes pulls in scipy.stats and autograd (about 1.2 s),
    # which every `cdp` command would pay; only the profile build needs it. It also sets a
    # pandas option pandas 3 deprecates, hence the silenced warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import ModifiedBetaGeoFitter

    fit = df if len(df) <= FIT_SAMPLE else df.sample(FIT_SAMPLE, random_state=0)
    bgf = ModifiedBetaGeoFitter(penalizer_coef=0.001)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        bgf.fit(fit["frequency"], fit["recency"], fit["T"])
        p_alive = bgf.conditional_probability_alive(df["frequency"], df["recency"], df["T"])
        expected = bgf.conditional_expected_number_of_purchases_up_to_time(
            90, df["frequency"], df["recency"], df["T"])
    p_alive = np.nan_to_num(np.asarray(p_alive, dtype=float), nan=1.0)
    expected = np.nan_to_num(np.asarray(expected, dtype=float), nan=0.0)
    return p_alive, expected, {k: float(v) for k, v in bgf.params_.items()}


def _params_text(params: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in params.items() if math.isfinite(v)) or "not fitted"


# Purchase days per customer who may be profiled (the same gate as customer_value's scores).
_RFM_SQL = """
WITH days AS (
    SELECT h.customer_id, CAST(h.ts AS DATE) AS d
    FROM contact_history h
    JOIN cfg_event_class k ON k.event_type = h.type AND k.class = 'purchase'
    JOIN customer_value v ON v.customer_id = h.customer_id AND v.customer_type IS NOT NULL
    WHERE h.amount > 0 AND coalesce(h.status, '') <> 'cancelled'
      -- the model sees the history up to as_of only (as_of is capped at the newest delivery)
      AND CAST(h.ts AS DATE) <= (SELECT CAST(as_of AS DATE) FROM profile_build)
    GROUP BY ALL
)
SELECT customer_id,
       count(*) - 1 AS frequency,
       date_diff('day', min(d), max(d))::DOUBLE AS recency,
       date_diff('day', min(d), CAST((SELECT as_of FROM profile_build) AS DATE))::DOUBLE AS "T"
FROM days
GROUP BY customer_id
HAVING "T" >= 0
ORDER BY customer_id
"""

_SIGNALS_SQL = """
WITH params AS (SELECT as_of FROM profile_build),
latest_nps AS (
    SELECT customer_id, arg_max(nps, answered_at) AS nps
    FROM feedback WHERE nps IS NOT NULL AND customer_id IS NOT NULL GROUP BY customer_id
),
ranked AS (
    SELECT customer_id, opened OR clicked AS reacted,
           row_number() OVER (PARTITION BY customer_id ORDER BY sent_at DESC) AS k
    FROM campaign_response WHERE customer_id IS NOT NULL
),
unresponsive AS (
    SELECT customer_id FROM ranked WHERE k <= 5 GROUP BY customer_id
    HAVING count(*) = 5 AND NOT bool_or(reacted)
)
SELECT c.customer_id,
       c.customer_id IN (SELECT customer_id FROM service_case
                         WHERE status = 'open' AND category = 'complaint') AS open_complaint,
       coalesce(n.nps <= 6, false) AS detractor,
       c.customer_id IN (SELECT customer_id FROM consent_event, params
                         WHERE status = 'withdrawn' AND ts >= params.as_of - INTERVAL 180 DAY) AS withdrawn_consent,
       c.customer_id IN (SELECT customer_id FROM unresponsive) AS unresponsive
FROM customer c
LEFT JOIN latest_nps n USING (customer_id)
"""

_CHURN_TABLE_SQL = """
CREATE OR REPLACE TABLE churn_risk AS
SELECT *, ?::VARCHAR AS model, ?::VARCHAR AS model_params FROM _churn_risk ORDER BY customer_id
"""

_CHURN_COMMENTS = {
    "customer_id": "Customer id.",
    "purchase_days": "Days with at least one purchase (any source, not cancelled).",
    "recency_days": "Days from the last purchase day to as_of.",
    "tenure_days": "Days from the first purchase day to as_of.",
    "p_alive": "BG/NBD probability that the customer is still active (buys again), given their purchase days.",
    "expected_purchases_90d": "BG/NBD expected purchase days in the 90 days after as_of.",
    "open_complaint": "Service signal: a complaint case is open.",
    "detractor": "Service signal: the latest NPS answer was 0-6.",
    "withdrawn_consent": "Service signal: a consent was withdrawn in the 180 days before as_of.",
    "unresponsive": "Service signal: no open or click on the last 5 campaign messages.",
    "churn_probability": "P(churned): logit(1 - p_alive) shifted by profiles.churn_signal_weights for each signal present.",
    "risk_level": "high (churn_probability >= profiles.churn_high), medium (>= churn_medium) or low.",
    "model": "Model that produced the score.",
    "model_params": "Fitted BG/NBD parameters (r, alpha, a, b; time unit days).",
}
