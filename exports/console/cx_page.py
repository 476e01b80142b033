"""The console's customer-experience page (``/cx``) and the CX summary on the agent profile.

Charts, not tables, for the people who run customer service and marketing: NPS by month and by
touchpoint, CSAT and CES, complaints per 1,000 customers, first-contact resolution and handling
time, churn rate and churn risk, multichannel customers. The console allows no scripts (its
Content-Security-Policy), so every chart is inline SVG drawn on the server: this module turns
the KPI tables into coordinates, the template draws them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
from flask import Blueprint, g, render_template

from cdp.db import has_table
from exports.console.roles import Role
from exports.db import rows, sql_text

blueprint = Blueprint("cx", __name__)

#: plot area of every chart, in SVG user units
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 560, 200, 44, 12, 12, 28
TOUCHPOINT_WORDS = {"online_order": "Online order", "delivery": "Delivery (late)", "hotline": "Hotline",
                    "email_service": "E-mail service", "chat": "Chat", "store": "Store", "repair": "Repair"}


@dataclass
class Chart:
    """One chart's geometry: series as SVG points, bars as rectangles, axis ticks and labels."""

    title: str
    unit: str
    lines: list[dict] = field(default_factory=list)  # {name, css, points, dots: [{x, y, label}]}
    bars: list[dict] = field(default_factory=list)  # {x, y, w, h, label, value, css}
    y_ticks: list[dict] = field(default_factory=list)  # {y, label}
    x_ticks: list[dict] = field(default_factory=list)  # {x, label}
    zero_y: float | None = None
    empty: bool = False
    note: str = ""
    width: int = WIDTH
    height: int = HEIGHT


def _scale(lo: float, hi: float):
    span = (hi - lo) or 1.0
    return lambda v: TOP + (HEIGHT - TOP - BOTTOM) * (1 - (v - lo) / span)


def _ticks(lo: float, hi: float, n: int = 4, fmt: str = "{:g}") -> list[dict]:
    y = _scale(lo, hi)
    return [{"y": round(y(lo + (hi - lo) * i / n), 1), "label": fmt.format(lo + (hi - lo) * i / n)}
            for i in range(n + 1)]


def _month_ticks(months: list, step: int = 3) -> list[dict]:
    n = len(months)
    xs = _xs(n)
    return [{"x": xs[i], "label": m.strftime("%m/%y")} for i, m in enumerate(months) if (n - 1 - i) % step == 0]


def _xs(n: int) -> list[float]:
    w = WIDTH - LEFT - RIGHT
    return [round(LEFT + (w * (i + 0.5) / n), 1) for i in range(n)]


def line_chart(title: str, unit: str, months: list, series: dict[str, list], y_range: tuple[float, float],
               fmt: str = "{:g}", zero: bool = False) -> Chart:
    """Monthly lines (a gap where a value is missing) on a fixed y range ``(low, high)``."""
    lo, hi = y_range
    y = _scale(lo, hi)
    xs = _xs(len(months))
    chart = Chart(title, unit, y_ticks=_ticks(lo, hi, fmt=fmt), x_ticks=_month_ticks(months),
                  zero_y=round(y(0), 1) if zero and lo < 0 < hi else None)
    for k, (name, values) in enumerate(series.items()):
        segs: list[list[str]] = []
        cur: list[str] = []
        dots: list[dict] = []
        for x, v, m in zip(xs, values, months, strict=True):
            if v is None:
                if cur:
                    segs.append(cur)
                cur = []
                continue
            py = round(y(min(max(float(v), lo), hi)), 1)
            cur.append(f"{x},{py}")
            dots.append({"x": x, "y": py, "label": f"{m.strftime('%m/%Y')}: {fmt.format(v)}{unit}"})
        if cur:
            segs.append(cur)
        chart.lines.append({"name": name, "css": f"s{k}", "paths": [" ".join(s) for s in segs], "dots": dots})
    chart.empty = not any(line["dots"] for line in chart.lines)
    return chart


def bar_chart(title: str, unit: str, bars: list[tuple], hi: float | None = None, fmt: str = "{:g}",
              months: list | None = None) -> Chart:
    """Vertical bars from ``(label, value, css class)``; ``months`` labels the x axis like the line charts."""
    labels = [b[0] for b in bars]
    css = [b[2] for b in bars]
    vals = [float(b[1]) if b[1] is not None else None for b in bars]
    top = hi if hi is not None else max([v for v in vals if v is not None] or [1.0]) * 1.1 or 1.0
    y = _scale(0, top)
    xs = _xs(len(labels))
    w = max((WIDTH - LEFT - RIGHT) / max(len(labels), 1) * 0.7, 2)
    chart = Chart(title, unit, y_ticks=_ticks(0, top, fmt=fmt),
                  x_ticks=_month_ticks(months) if months else
                  [{"x": x, "label": lab} for x, lab in zip(xs, labels, strict=True)])
    for i, (x, v, lab) in enumerate(zip(xs, vals, labels, strict=True)):
        if v is None:
            continue
        py = y(min(v, top))
        chart.bars.append({"x": round(x - w / 2, 1), "y": round(py, 1), "w": round(w, 1),
                           "h": round(HEIGHT - BOTTOM - py, 1), "label": f"{lab}: {fmt.format(v)}{unit}",
                           "css": css[i]})
    chart.empty = not chart.bars
    return chart


def _pct(values: list) -> list:
    return [None if v is None else 100 * v for v in values]


def _month_bars(months: list, values: list) -> list[tuple]:
    return [(m.strftime("%m/%Y"), v, "s0") for m, v in zip(months, values, strict=True)]


def dashboard(cur: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """Every chart of the CX page, or None when the database has no CX tables yet."""
    if not has_table(cur, "cx_kpi_monthly"):
        return None
    k = rows(cur.execute("SELECT * FROM cx_kpi_monthly ORDER BY month"))
    months = [r["month"] for r in k]
    col = {c: [r[c] for r in k] for c in (k[0] if k else {})}
    tp = rows(cur.execute(sql_text("cx_touchpoints")))
    risk = rows(cur.execute(
        "SELECT risk_level, count(*) AS n FROM churn_risk GROUP BY 1 "
        "ORDER BY list_position(['high', 'medium', 'low'], risk_level)"))
    head = rows(cur.execute(sql_text("cx_headline")))[0]
    charts = []
    if months:
        nps_tp = [r for r in tp if r["nps"] is not None]
        charts = [
            line_chart("NPS by month", "", months, {"NPS": col["nps"]}, (-100, 100), zero=True),
            bar_chart("NPS by touchpoint, last 12 months", "",
                      [(TOUCHPOINT_WORDS.get(r["touchpoint"], r["touchpoint"]), r["nps"] + 100,
                        "s0" if r["nps"] >= 0 else "bad") for r in nps_tp], hi=200, fmt="{:.0f}"),
            line_chart("CSAT (1-5) and CES (1-7) by month", "", months,
                       {"CSAT": col["csat"], "CES": col["ces"]}, (1, 7), fmt="{:.1f}"),
            bar_chart("Complaints per 1,000 customers", "", _month_bars(months, col["complaints_per_1000"]),
                      fmt="{:.1f}", months=months),
            line_chart("First-contact resolution", " %", months, {"FCR": _pct(col["fcr_rate"])}, (0, 100),
                       fmt="{:.0f}"),
            bar_chart("Median handling time (hours)", " h", _month_bars(months, col["median_handling_hours"]),
                      fmt="{:.0f}", months=months),
            line_chart("Churn rate (last purchase in the month, no purchase for a year after)", " %", months,
                       {"churn": _pct(col["churn_rate"])},
                       (0, max([v for v in _pct(col["churn_rate"]) if v is not None] or [1]) * 1.2), fmt="{:.1f}"),
            line_chart("Customers active on more than one channel", " %", months,
                       {"multichannel": _pct(col["multichannel_share"])}, (0, 100), fmt="{:.0f}"),
            bar_chart("Churn risk now (customers)", "",
                      [(r["risk_level"], r["n"], {"high": "bad", "medium": "warn"}.get(r["risk_level"], "s0"))
                       for r in risk], fmt="{:.0f}"),
        ]
        charts[1].note = "bars start at -100; left of the middle line = more detractors than promoters"
        charts[1].zero_y = round(_scale(0, 200)(100), 1)
        charts[1].y_ticks = [{"y": t["y"], "label": f"{float(t['label']) - 100:.0f}"} for t in charts[1].y_ticks]
        for b in charts[1].bars:
            name, value = b["label"].rsplit(": ", 1)
            b["label"] = f"{name}: {float(value) - 100:.0f}"
    return {"head": head, "charts": charts, "months": months}


def customer_cx(cur: duckdb.DuckDBPyConnection, customer_id: str, role: Role) -> dict[str, Any] | None:
    """The role's CX summary of one customer (its experience view, ``agent_experience`` for
    agents), or None when the role has none or the database has no CX tables."""
    view = role.experience_view
    if view is None or not has_table(cur, view):
        return None
    # the view name comes from the fixed role table (roles.VIEWS), never from the request
    found = rows(cur.execute(f"SELECT * FROM {view} WHERE customer_id = ?", [customer_id]))
    return found[0] if found else None


@blueprint.get("/cx")
def cx_page():
    """Charts of the monthly CX KPIs."""
    return render_template("cx.html", d=dashboard(g.cur), W=WIDTH, H=HEIGHT, L=LEFT, R=RIGHT, T=TOP, B=BOTTOM)
