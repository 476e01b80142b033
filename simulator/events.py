"""Contact and consent events over several years, shaped by each person's habits.

Counts are Poisson draws (rate per year x years active x the person's activity), times are
uniform within the time the record existed and the person was active.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator import reference as ref
from simulator.population import DAY, YEAR
from simulator.profiles import Profile

HABIT_ORDER = ("online", "hotline", "store", "mixed")


def _take(values, ev: pl.DataFrame) -> pl.Series:
    """``values[i]`` for each event row (``values`` per record of the context)."""
    return pl.Series(np.asarray(values)[ev["i"].to_numpy()])


def _rate(habit: np.ndarray, rates: tuple[float, float, float, float]) -> np.ndarray:
    return np.select([habit == h for h in HABIT_ORDER], list(rates), 0.0)


# share of contacts per local hour of the day (shops, hotline and web are busiest 9-21h)
_HOURS = np.array([0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.6, 1.5, 3, 5, 6, 6.5, 6, 6, 6, 6.5, 7, 7.5, 7.5,
                   7, 6, 4.5, 3, 1.5])


def _draw(rng, start, end, rate, activity, cap=500):
    """Repeat indices by a Poisson count and draw a time for each event.

    The day is uniform within [start, end); the hour follows the daily rhythm of customers.
    """
    years = np.maximum(end - start, 0) / YEAR
    k = np.minimum(rng.poisson(rate * years * activity), cap)
    idx = np.repeat(np.arange(len(start)), k)
    ts = start[idx] + (rng.random(len(idx)) * (end[idx] - start[idx])).astype(np.int64)
    hour = rng.choice(24, size=len(idx), p=_HOURS / _HOURS.sum())
    local = ts - ts % DAY + (hour - 1) * 3600 + rng.integers(0, 3600, len(idx))  # CET ≈ UTC+1
    ts = np.where((local >= start[idx]) & (local < end[idx]), local, ts)
    return idx, ts


def record_context(R: pl.DataFrame, P: pl.DataFrame, source: str, final_end: int) -> pl.DataFrame:
    """Records of one source with their person's habit, activity and active period."""
    df = (R.filter((pl.col("source") == source) & ~pl.col("is_guest"))
          .select("rid", "pidx", "record_id", "created", "is_dup")
          .join(P.select("pidx", "habit", "activity", "churned_at", "birth_days", "plz_new",
                         "change_ts"), on="pidx", how="left", maintain_order="left"))
    end = pl.when((pl.col("churned_at") > 0) & (pl.col("churned_at") < final_end)).then(
        pl.col("churned_at")).otherwise(final_end)
    return df.with_columns(end=pl.max_horizontal(end, pl.col("created")))


def _products(rng, n_docs):
    """Items for ``n_docs`` documents: (doc index, product index, quantity, unit price)."""
    n_items = rng.choice([1, 2, 3], size=n_docs, p=[0.6, 0.28, 0.12])
    doc = np.repeat(np.arange(n_docs), n_items)
    w = ref.PRODUCT_WEIGHTS / ref.PRODUCT_WEIGHTS.sum()
    prod = rng.choice(len(ref.PRODUCTS), size=len(doc), p=w)
    qty = rng.choice([1, 2, 3], size=len(doc), p=[0.85, 0.12, 0.03])
    price = np.array([p[3] for p in ref.PRODUCTS])[prod]
    price = np.where(rng.random(len(doc)) < 0.1, np.round(price * 0.9, 2), price)
    return doc, prod, qty, price


def erp_invoices(rng, ctx: pl.DataFrame) -> pl.DataFrame:
    """Invoices (RE) and credit notes (GU) per ERP customer."""
    habit = ctx["habit"].to_numpy()
    idx, ts = _draw(rng, ctx["created"].to_numpy(), ctx["end"].to_numpy(),
                    _rate(habit, (0.6, 2.5, 1.5, 1.5)), ctx["activity"].to_numpy())
    h = habit[idx]
    u = rng.random(len(idx))
    way = np.where(h == "hotline", np.where(u < 0.7, "Telefon", np.where(u < 0.9, "Brief", "Filiale")),
          np.where(h == "store", np.where(u < 0.85, "Filiale", "Telefon"),
          np.where(h == "online", np.where(u < 0.8, "Online", "Telefon"),
                   np.array(["Filiale", "Telefon", "Brief", "Online"])[(u * 4).astype(int)])))
    doc, prod, qty, price = _products(rng, len(idx))
    cents = np.bincount(doc, weights=np.round(price * qty * 100), minlength=len(idx)).astype(np.int64)
    models = np.array([p[1] for p in ref.PRODUCTS], dtype=object)
    items = (pl.DataFrame({"doc": doc, "m": models[prod].astype(str)})
             .group_by("doc", maintain_order=True).agg(pl.col("m").unique(maintain_order=True).str.join("|")))
    art = np.full(len(idx), "", dtype=object)
    art[items["doc"].to_numpy()] = items["m"].to_numpy()
    art = np.where(rng.random(len(idx)) < 0.15, "", art)
    inv = pl.DataFrame({"rid": ctx["rid"].to_numpy()[idx], "kunde": ctx["record_id"].to_numpy()[idx],
                        "ts": ts, "art": "RE", "cents": cents, "way": way, "models": art.astype(str)})
    # credit notes for returns, a few days after the invoice
    ret = rng.random(len(inv)) < 0.06
    gu = inv.filter(ret).with_columns(
        art=pl.lit("GU"), ts=pl.col("ts") + pl.Series(rng.integers(3, 30, int(ret.sum())) * DAY),
        cents=(pl.col("cents") * pl.Series(np.where(rng.random(int(ret.sum())) < 0.7, 1.0, 0.5))).round().cast(pl.Int64))
    docs = pl.concat([inv, gu]).sort(["ts", "rid", "art"])
    year = pl.from_epoch("ts", "s").dt.year()
    seq = pl.int_range(1, pl.len() + 1).over([year, "art"])
    return docs.with_columns(doc_id=pl.col("art") + "-" + year.cast(pl.String) + "-" + seq.cast(pl.String).str.zfill(6))


CONSENT_SPECS = [
    # purpose, channel, grant probability by habit (online, hotline, store, mixed), withdrawal prob
    ("marketing", "email", (0.75, 0.3, 0.35, 0.5), 0.15),
    ("marketing", "phone", (0.05, 0.35, 0.1, 0.15), 0.2),
    ("marketing", "sms", (0.1, 0.05, 0.15, 0.1), 0.2),
    ("marketing", "letter", (0.1, 0.3, 0.4, 0.25), 0.1),
    ("profiling", "email", (0.35, 0.1, 0.1, 0.2), 0.2),
    ("service", "email", (0.5, 0.3, 0.2, 0.4), 0.05),
    ("service", "phone", (0.1, 0.5, 0.2, 0.3), 0.05),
]
_GRANT_METHODS = {
    "email": (["double_opt_in", "web_form", "paper_form", "store"], [0.6, 0.25, 0.1, 0.05]),
    "phone": (["phone_call", "paper_form"], [0.8, 0.2]),
    "sms": (["web_form", "double_opt_in", "store"], [0.5, 0.3, 0.2]),
    "letter": (["paper_form", "store", "web_form"], [0.5, 0.3, 0.2]),
}


def _text_version(ts: np.ndarray) -> np.ndarray:
    return np.where(ts < 1_620_000_000, "DS-2018-05", np.where(ts < 1_675_000_000, "DS-2021-05", "DS-2023-02"))


def crm_consents(rng, ctx: pl.DataFrame, points: pl.DataFrame | None = None) -> pl.DataFrame:
    """Grants and withdrawals per CRM contact × purpose × channel, each for a contact point.

    ``points`` (``rid``, ``email``, ``phone``, ``mobile``, ``address``: the contact as the CRM
    first held it) gives the contact point the way a CRM records it: an e-mail consent is for
    the contact's address, a call-centre opt-in for the number, a paper form for postal
    advertising covers the person ("all"); an "unsubscribe from everything" withdrawal is "all".
    """
    habit = ctx["habit"].to_numpy()
    start, end = ctx["created"].to_numpy(), ctx["end"].to_numpy()
    rows = []
    for purpose, channel, probs, p_w in CONSENT_SPECS:
        g = np.flatnonzero(rng.random(len(ctx)) < _rate(habit, probs))
        gts = start[g] + (rng.random(len(g)) * np.maximum(end[g] - start[g], 1) * 0.3).astype(np.int64)
        methods, mw = _GRANT_METHODS[channel]
        gm = np.array(methods)[rng.choice(len(methods), size=len(g), p=mw)]
        rows.append(pl.DataFrame({"i": g, "purpose": purpose, "channel": channel, "status": "granted",
                                  "ts": gts, "method": gm}))
        w = rng.random(len(g)) < p_w
        wts = gts[w] + (rng.random(int(w.sum())) * np.maximum(end[g][w] - gts[w], 1)).astype(np.int64)
        wm = np.array(["web_form", "phone_call", "paper_form"])[rng.integers(0, 3, int(w.sum()))]
        rows.append(pl.DataFrame({"i": g[w], "purpose": purpose, "channel": channel,
                                  "status": "withdrawn", "ts": wts, "method": wm}))
    ev = pl.concat(rows)
    tv = _text_version(ev["ts"].to_numpy())
    tv = np.where((ev["method"].to_numpy() == "phone_call") & (rng.random(len(ev)) < 0.5), np.array(None, dtype=object), tv)
    ev = ev.with_columns(text_version=pl.Series(tv.tolist(), dtype=pl.String),
                         rid=_take(ctx["rid"].to_numpy(), ev),
                         contact_id=_take(ctx["record_id"].to_numpy(), ev),
                         pidx=_take(ctx["pidx"].to_numpy(), ev))
    ev = ev.with_columns(contact_point=_consent_points(rng, ev, points))
    ev = ev.sort(["ts", "rid", "purpose", "channel", "status"])
    return ev.with_columns(event_id=pl.lit("CE-") + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(8)).drop("i")


def crm_contact_points(first_v: pl.DataFrame, R: pl.DataFrame) -> pl.DataFrame:
    """Each CRM contact's e-mail, phone, mobile and postal address as the CRM first held them."""
    crm = R.filter(pl.col("source") == "crm").select("rid")
    v = first_v.join(crm, on="rid", how="semi")
    address = pl.when(pl.col("address_missing").fill_null(False) | pl.col("street").is_null()).then(None) \
        .otherwise(pl.concat_str([pl.col("street"), pl.lit(" "), pl.col("house"), pl.lit(", "),
                                  pl.col("plz"), pl.lit(" "), pl.col("city")]))
    return v.select("rid", "email", "phone", mobile="mobile_out", address=address)


def _consent_points(rng, ev: pl.DataFrame, points: pl.DataFrame | None) -> pl.Series:
    """The contact point each CRM consent event was recorded for (see :func:`crm_consents`)."""
    n = len(ev)
    if points is None:
        return pl.Series("contact_point", [None] * n, dtype=pl.String)
    p = ev.select("rid").join(points, on="rid", how="left", maintain_order="left")
    channel, method = ev["channel"].to_numpy(), ev["method"].to_numpy()
    status = ev["status"].to_numpy()
    email, phone = p["email"].to_numpy(), p["phone"].to_numpy()
    mobile, address = p["mobile"].to_numpy(), p["address"].to_numpy()
    point = np.where(channel == "email", email,
            np.where(channel == "phone", np.where(pd_null(phone), mobile, phone),
            np.where(channel == "sms", np.where(pd_null(mobile), phone, mobile),
                     np.where(rng.random(n) < 0.3, address, "all"))))
    # a withdrawal on a web or paper form is often "no advertising at all"
    everything = (status == "withdrawn") & (method != "phone_call") & (rng.random(n) < 0.5)
    point = np.where(everything, "all", point)
    return pl.Series("contact_point", point.tolist(), dtype=pl.String)


def pd_null(a: np.ndarray) -> np.ndarray:
    """Null (None) or empty entries of an object array."""
    return np.array([v is None or v == "" for v in a], dtype=bool)


#: Share of "Widerspruch Werbung" letters the CRM also records as an objection (the rest sit
#: in the interactions only, as in CRMs where nobody files the letter's consequence).
OBJECTION_RECORDED = 0.7


def crm_objections(rng, consents: pl.DataFrame, interactions: pl.DataFrame) -> pl.DataFrame:
    """Add the objections (Art. 21) a CRM records when an objection letter arrives.

    Each "Widerspruch Werbung" letter becomes, with probability :data:`OBJECTION_RECORDED`, a
    consent event ``status=objection`` for marketing on every channel and contact point, a few
    days after the letter (method ``letter``). Event ids are renumbered in time order.
    """
    letters = interactions.filter((pl.col("type") == "letter")
                                  & (pl.col("subject") == "Widerspruch Werbung"))
    keep = rng.random(len(letters)) < OBJECTION_RECORDED
    letters = letters.filter(pl.Series(keep))
    delay = rng.integers(3600, 5 * DAY, len(letters))
    obj = letters.select(
        purpose=pl.lit("marketing"), channel=pl.lit("all"), status=pl.lit("objection"),
        ts=pl.col("ts") + pl.Series(delay), method=pl.lit("letter"),
        text_version=pl.lit(None, dtype=pl.String), rid="rid", contact_id="contact_id",
        pidx=pl.lit(None, dtype=consents.schema["pidx"]), contact_point=pl.lit("all"))
    out = pl.concat([consents.drop("event_id"), obj.select(consents.drop("event_id").columns)],
                    how="vertical_relaxed")
    out = out.sort(["ts", "rid", "purpose", "channel", "status"])
    return out.with_columns(event_id=pl.lit("CE-") + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(8))


_INTERACTION_SPECS = [
    # type, channel, rates by habit (online, hotline, store, mixed)
    ("call", "phone", (0.2, 4.0, 0.3, 1.0)),
    ("email", "email", (1.0, 0.3, 0.2, 0.8)),
    ("chat", "chat", (0.5, 0.0, 0.0, 0.2)),
    ("store_visit", "store", (0.0, 0.2, 2.0, 0.8)),
    ("letter", "letter", (0.0, 0.15, 0.1, 0.05)),
    ("ticket", "email", (0.3, 0.3, 0.2, 0.3)),
]


def crm_interactions(rng, ctx: pl.DataFrame, consents: pl.DataFrame, final_end: int,
                     open_ticket_rate: float = 0.02) -> pl.DataFrame:
    """Calls, e-mails, chats, store visits, letters, tickets and campaign e-mails per contact."""
    habit = ctx["habit"].to_numpy()
    start, end, act = ctx["created"].to_numpy(), ctx["end"].to_numpy(), ctx["activity"].to_numpy()
    parts = []
    for typ, channel, rates in _INTERACTION_SPECS:
        idx, ts = _draw(rng, start, end, _rate(habit, rates), act)
        u = rng.random(len(idx))
        if typ == "ticket":
            chan = np.where(habit[idx] == "hotline", "phone", "email")
            direction = np.full(len(idx), "inbound")
            recent = ts > final_end - 30 * DAY
            status = np.where((recent & (u < 0.4)) | (u < 0.03), "open", "closed")
            outcome = np.where(status == "open", np.where(u < 0.02, "escalated", "open"), "resolved")
        else:
            chan = np.full(len(idx), channel)
            outbound = (u < 0.2) & np.isin(typ, ["call", "email", "letter"])
            direction = np.where(outbound, "outbound", "inbound")
            outcome = np.where(outbound & (typ == "call") & (u < 0.07), "no_answer",
                               np.where(u > 0.95, "escalated", "resolved"))
            status = np.full(len(idx), "closed")
        parts.append(pl.DataFrame({"i": idx, "ts": ts, "channel": chan, "direction": direction,
                                   "type": typ, "outcome": outcome, "status": status}))
    # extra open complaints in the last 30 days
    k = np.flatnonzero((rng.random(len(ctx)) < open_ticket_rate) & (end >= final_end - DAY))
    ts = final_end - (rng.random(len(k)) * 30 * DAY).astype(np.int64)
    parts.append(pl.DataFrame({"i": k, "ts": np.maximum(ts, start[k]), "channel": "phone",
                               "direction": "inbound", "type": "ticket",
                               "outcome": np.where(rng.random(len(k)) < 0.3, "escalated", "open"),
                               "status": "open"}))
    # campaign e-mails only go to contacts while they consent to marketing by e-mail
    mk = consents.filter((pl.col("purpose") == "marketing") & (pl.col("channel") == "email"))
    span = (mk.group_by("rid").agg(g=pl.col("ts").filter(pl.col("status") == "granted").min(),
                                   w=pl.col("ts").filter(pl.col("status") == "withdrawn").min())
            .filter(pl.col("g").is_not_null()).sort("rid"))
    rid_to_i = pl.DataFrame({"rid": ctx["rid"], "i": np.arange(len(ctx))})
    span = span.join(rid_to_i, on="rid", how="left")
    si = span["i"].to_numpy()
    s_start = span["g"].to_numpy()
    s_end = np.where(span["w"].is_null().to_numpy(), end[si], span["w"].fill_null(0).to_numpy())
    s_end = np.minimum(np.maximum(s_end, s_start), end[si])
    cidx, cts = _draw(rng, s_start, s_end, np.full(len(si), 10.0), np.ones(len(si)))
    h = habit[si][cidx]
    u = rng.random(len(cidx))
    p_open = np.select([h == "online", h == "mixed"], [0.45, 0.3], 0.1)
    p_click = np.select([h == "online", h == "mixed"], [0.25, 0.1], 0.02)
    outcome = np.where(u < p_click, "clicked", np.where(u < p_click + p_open, "opened", "ignored"))
    parts.append(pl.DataFrame({"i": si[cidx], "ts": cts, "channel": "email", "direction": "outbound",
                               "type": "campaign_email", "outcome": outcome, "status": "closed"}))
    ev = pl.concat(parts)
    n_subj = {t: len(v) for t, v in ref.SUBJECTS.items()}
    pick = rng.random(len(ev))
    subj = pl.Series(np.empty(len(ev), dtype=object))
    types = ev["type"].to_numpy()
    subj_arr = np.empty(len(ev), dtype=object)
    for t, opts in ref.SUBJECTS.items():
        m = types == t
        subj_arr[m] = np.array(opts, dtype=object)[(pick[m] * n_subj[t]).astype(int)]
    del subj
    ev = ev.with_columns(subject=pl.Series(subj_arr.astype(str)),
                         rid=_take(ctx["rid"].to_numpy(), ev),
                         contact_id=_take(ctx["record_id"].to_numpy(), ev))
    ev = ev.sort(["ts", "rid", "type"])
    return ev.with_columns(interaction_id=pl.lit("INT-") + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(8)).drop("i")


def shop_orders(rng, P: pl.DataFrame, R: pl.DataFrame, prof: Profile, final_end: int):
    """Orders of shop customers; guest checkouts become guest account records.

    Returns (orders with ``rid`` of the registered account or ``guest_n``, guest records for R).
    """
    shop_p = np.flatnonzero(P["in_shop"].to_numpy())
    reg = (R.filter((pl.col("source") == "shop") & ~pl.col("is_guest"))
           .group_by("pidx").agg(prim=pl.col("rid").filter(~pl.col("is_dup")).first(),
                                 dup=pl.col("rid").filter(pl.col("is_dup")).first(),
                                 start=pl.col("created").min(),
                                 dup_start=pl.col("created").filter(pl.col("is_dup")).first())
           .sort("pidx"))
    ctx = (pl.DataFrame({"pidx": shop_p}).join(reg, on="pidx", how="left", maintain_order="left")
           .join(P.select("pidx", "habit", "activity", "churned_at", "first_seen", "birth_days"),
                 on="pidx", how="left", maintain_order="left"))
    start = ctx["start"].fill_null(ctx["first_seen"]).to_numpy()
    churn = ctx["churned_at"].to_numpy()
    end = np.where((churn > 0) & (churn < final_end), churn, final_end)
    end = np.maximum(end, start)
    habit = ctx["habit"].to_numpy()
    has_reg = ctx["prim"].is_not_null().to_numpy()
    # guest-only buyers order less often than registered customers
    rate = _rate(habit, (4.0, 0.6, 0.5, 1.5)) * np.where(has_reg, 1.0, 0.35)
    idx, ts = _draw(rng, start, end, rate, ctx["activity"].to_numpy())
    # a new person's first order arrives with them
    no_orders = np.bincount(idx, minlength=len(ctx)) == 0
    extra = np.flatnonzero(no_orders & ~has_reg)
    idx = np.concatenate([idx, extra])
    ts = np.concatenate([ts, start[extra] + rng.integers(0, 3600, len(extra))])
    u = rng.random(len(idx))
    guest = ~has_reg[idx] | (u < prof.guest_checkout * 0.4)
    prim = ctx["prim"].fill_null(-1).to_numpy()[idx]
    dup = ctx["dup"].fill_null(-1).to_numpy()[idx]
    dup_start = ctx["dup_start"].fill_null(np.iinfo(np.int64).max).to_numpy()[idx]
    use_dup = (dup >= 0) & (ts >= dup_start) & (rng.random(len(idx)) < 0.3)
    rid = np.where(guest, -1, np.where(use_dup, dup, prim))
    age = (ts / DAY - ctx["birth_days"].to_numpy()[idx]) / 365.25
    channel = np.where(rng.random(len(idx)) < np.where(age < 40, 0.4, 0.1), "app", "web")
    us = rng.random(len(idx))
    status = np.where(us < 0.05, "cancelled", np.where(us < 0.12, "returned", "completed"))
    orders = pl.DataFrame({"pidx": shop_p[idx], "ts": ts, "rid": rid, "guest": guest,
                           "channel": channel, "status": status}).sort(["ts", "pidx"])
    orders = orders.with_columns(order_id=pl.lit("O-") + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(7))
    doc, prod, qty, price = _products(rng, len(orders))
    prods = pl.DataFrame({"x": np.arange(len(ref.PRODUCTS)), "sku": [p[0] for p in ref.PRODUCTS],
                          "product_model": [p[1] for p in ref.PRODUCTS], "name": [p[2] for p in ref.PRODUCTS]})
    items = (pl.DataFrame({"doc": doc, "x": prod, "quantity": qty, "unit_price": price})
             .join(prods, on="x", how="left", maintain_order="left"))
    agg = (items.group_by("doc", maintain_order=True)
           .agg(items=pl.struct("sku", "product_model", "name", "quantity", "unit_price"),
                total=(pl.col("quantity") * pl.col("unit_price")).sum().round(2)))
    orders = pl.concat([orders, agg.drop("doc")], how="horizontal")
    guests = orders.filter(pl.col("guest")).select("pidx", created="ts", order_id="order_id")
    return orders, guests


def shop_newsletter(rng, P: pl.DataFrame, accounts: pl.DataFrame, crm_consents: pl.DataFrame,
                    prof: Profile, final_end: int) -> pl.DataFrame:
    """Newsletter subscribe / unsubscribe per registered account, some contradicting the CRM."""
    acc = accounts.join(P.select("pidx", "habit"), on="pidx", how="left", maintain_order="left")
    habit = acc["habit"].to_numpy()
    start = acc["created"].to_numpy()
    n = len(acc)
    s = np.flatnonzero(rng.random(n) < _rate(habit, (0.55, 0.1, 0.15, 0.35)))
    sts = start[s] + (rng.random(len(s)) * np.maximum(final_end - start[s], 1) * 0.4).astype(np.int64)
    form = np.array(["footer", "checkout", "account"])[rng.choice(3, size=len(s), p=[0.35, 0.25, 0.4])]
    confirmed = np.where(rng.random(len(s)) < 0.85, sts + rng.integers(120, 2 * DAY, len(s)), -1)
    rows = [pl.DataFrame({"i": s, "action": "subscribe", "ts": sts, "confirmed": confirmed, "form": form})]
    w = rng.random(len(s)) < 0.2
    wts = sts[w] + (rng.random(int(w.sum())) * np.maximum(final_end - sts[w], 1)).astype(np.int64)
    rows.append(pl.DataFrame({"i": s[w], "action": "unsubscribe", "ts": wts, "confirmed": -1,
                              "form": np.where(rng.random(int(w.sum())) < 0.7, "account", "footer")}))
    # contradict the CRM's latest marketing e-mail decision for some persons in both systems
    last = (crm_consents.filter((pl.col("purpose") == "marketing") & (pl.col("channel") == "email"))
            .sort("ts").group_by("pidx", maintain_order=True).agg(pl.col("status").last(), pl.col("ts").last()))
    first_acc = (pl.DataFrame({"pidx": acc["pidx"], "i": np.arange(n)})
                 .group_by("pidx", maintain_order=True).agg(pl.col("i").first()))
    conf = last.join(first_acc, on="pidx", how="inner").sort("pidx")
    pick = rng.random(len(conf)) < prof.consent_conflict
    conf = conf.filter(pick)
    cts = conf["ts"].to_numpy() + rng.integers(DAY, 20 * DAY, len(conf))
    keep = (cts < final_end) & (cts > start[conf["i"].to_numpy()])
    conf = conf.filter(keep)
    cts = cts[keep]
    action = np.where(conf["status"].to_numpy() == "granted", "unsubscribe", "subscribe")
    confirmed = np.where(action == "subscribe", cts + 600, -1)
    rows.append(pl.DataFrame({"i": conf["i"].to_numpy(), "action": action, "ts": cts,
                              "confirmed": confirmed, "form": "account"}))
    ev = pl.concat(rows, how="vertical_relaxed")
    ev = ev.with_columns(rid=_take(acc["rid"].to_numpy(), ev),
                         account_id=_take(acc["record_id"].to_numpy(), ev),
                         email=pl.Series(acc["email"].to_list(), dtype=pl.String).gather(ev["i"]))
    ev = ev.with_columns(confirmed=pl.when(pl.col("confirmed") > final_end).then(-1).otherwise(pl.col("confirmed")))
    ev = ev.sort(["ts", "rid", "action"])
    return ev.with_columns(signup_id=pl.lit("NL-") + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(7)).drop("i")


def bonus_transactions(rng, ctx: pl.DataFrame) -> pl.DataFrame:
    """Card purchases and returns in stores near the member's home."""
    habit = ctx["habit"].to_numpy()
    idx, ts = _draw(rng, ctx["created"].to_numpy(), ctx["end"].to_numpy(),
                    _rate(habit, (1.5, 2.0, 14.0, 6.0)), ctx["activity"].to_numpy())
    cents = np.maximum(np.round(rng.lognormal(3.2, 0.8, len(idx)) * 100), 99).astype(np.int64)
    ret = rng.random(len(idx)) < 0.04
    points = np.where(ret, -(cents // 100), cents // 100)
    plz = ctx["plz_new"].to_numpy()[idx]
    store = np.char.add(np.char.add("F", plz.astype("U5").astype("U3")), (rng.integers(1, 4, len(idx))).astype(str))
    tx = pl.DataFrame({"rid": ctx["rid"].to_numpy()[idx], "card_number": ctx["record_id"].to_numpy()[idx],
                       "ts": ts, "cents": cents, "points": points,
                       "type": np.where(ret, "return", "purchase"), "store_id": store})
    tx = tx.sort(["ts", "rid"])
    return tx.with_columns(transaction_id=pl.lit("T") + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(10))
