"""Customer experience: service cases across channels, campaign ids, and survey answers.

Everything here depends on what happened to the person:

* a service case (CRM) opens with a ticket or an inbound call, e-mail or chat; complaints and
  warranty claims often continue on other channels (same ``case_id``), a few are reopened after
  closing, and recent ones are still open;
* every marketing e-mail belongs to a campaign (``CMP-<ISO year>-W<week>``); other departments
  (bonus program, shop, service) sometimes mail the same person within two days
  (``CMP-…-BONUS`` ...), the contact pressure audiences cap; a customer who has churned still
  receives them while subscribed, and hardly reacts any more;
* the survey tool asks after an order (NPS + CSAT) and after a service case (CSAT + CES, NPS
  for complaints). A delayed delivery, an open complaint, a reopened case or many contacts on
  one case lower the score; a customer close to churning answers less often and lower.

The survey export is a flat response CSV the way Qualtrics writes it ("numeric values", one
header row, embedded data fields as extra columns).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator.population import DAY, YEAR

_c = pl.col

#: Ticket / call subjects that open a case of this category (everything else: question).
CATEGORY_BY_SUBJECT = {
    "Reklamation Gerät defekt": "complaint", "Beschwerde Kundendienst": "complaint",
    "Schriftliche Beschwerde": "complaint", "Reklamation": "complaint",
    "Garantieantrag": "warranty", "Garantiefall": "warranty", "Reparaturannahme": "warranty",
    "Falsche Abbuchung": "billing", "Frage zur Rechnung": "billing", "Rechnungskopie": "billing",
    "Lieferung unvollständig": "delivery", "Lieferstatus": "delivery", "Chat: Lieferzeit": "delivery",
    "Frage zur Bestellung": "delivery",
}
CATEGORIES = ("complaint", "warranty", "billing", "delivery", "question")
#: P(the case needs more than one contact), by category
_FOLLOW_UP = {"complaint": 0.6, "warranty": 0.5, "delivery": 0.35, "billing": 0.3, "question": 0.1}
#: P(a closed case is reopened), by category
_REOPEN = {"complaint": 0.1, "warranty": 0.08, "delivery": 0.04, "billing": 0.04, "question": 0.01}
AGENT_TEAM = {"complaint": "Reklamation", "warranty": "Technik", "billing": "Buchhaltung",
              "delivery": "Logistik", "question": "1st Level"}
_FOLLOW_CHANNEL = (("phone", "call"), ("email", "email"), ("store", "store_visit"))
_CASE_TYPES = ("ticket", "call", "email", "chat")


def service_cases(rng: np.random.Generator, inter: pl.DataFrame, ctx: pl.DataFrame,
                  final_end: int) -> pl.DataFrame:
    """CRM interactions with case ids, categories, case times, agent teams and campaign ids.

    Args:
        inter: :func:`simulator.events.crm_interactions` output.
        ctx: the CRM record context (``rid``, ``churned_at`` ...).
        final_end: end of the last delivery (epoch seconds).

    Returns:
        The interactions plus follow-up contacts and late campaign e-mails, re-numbered, with
        ``case_id``, ``category``, ``agent_team``, ``case_opened_at``, ``case_closed_at`` (epoch
        seconds, null while open) and ``campaign_id``.
    """
    inter = inter.drop("interaction_id")
    opens = ((_c("type") == "ticket") | ((_c("direction") == "inbound") & _c("type").is_in(_CASE_TYPES[1:])))
    first = inter.filter(opens)
    rest = inter.filter(~opens)
    n = first.height
    cat = first["subject"].replace_strict(CATEGORY_BY_SUBJECT, default="question").to_numpy()
    case_no = np.arange(1, n + 1)
    # follow-up contacts of the same case, on another channel, days apart
    k = np.where(rng.random(n) < np.vectorize(_FOLLOW_UP.get)(cat), rng.integers(1, 4, n), 0)
    idx = np.repeat(np.arange(n), k)
    step = np.cumsum(rng.exponential(3.0, len(idx)) * DAY + 3600, dtype=float).astype(np.int64)
    # restart the cumulative sum per case
    starts = np.repeat(np.cumsum(k) - k, k)
    base = np.concatenate([[0], step])[starts]
    gap = step - base
    ts0 = first["ts"].to_numpy()
    f_ts = ts0[idx] + gap
    ch = rng.integers(0, len(_FOLLOW_CHANNEL), len(idx))
    follow = pl.DataFrame({
        "ts": f_ts, "channel": [_FOLLOW_CHANNEL[j][0] for j in ch],
        "direction": np.where(rng.random(len(idx)) < 0.3, "outbound", "inbound"),
        "type": [_FOLLOW_CHANNEL[j][1] for j in ch], "case_no": case_no[idx],
    })
    cases = pl.DataFrame({"case_no": case_no, "category": cat, "opened": ts0,
                          "open_now": first["status"].to_numpy() == "open",
                          "last": ts0 + _last_gap(idx, gap, n)})
    # a case closes some hours after its last contact; some are reopened by one more contact
    close = cases["last"].to_numpy() + (rng.exponential(6.0, n) * 3600).astype(np.int64) + 600
    reopen = ~cases["open_now"].to_numpy() & (rng.random(n) < np.vectorize(_REOPEN.get)(cat))
    r_ts = close + (rng.exponential(10.0, n) * DAY).astype(np.int64) + DAY
    reopened = pl.DataFrame({"ts": r_ts[reopen], "channel": "phone", "direction": "inbound",
                             "type": "call", "case_no": case_no[reopen]})
    close = np.where(reopen, r_ts + (rng.exponential(2.0, n) * DAY).astype(np.int64) + 3600, close)
    # recent cases are still being worked on
    open_now = cases["open_now"].to_numpy() | (close > final_end)
    cases = cases.with_columns(closed=pl.Series(np.where(open_now, -1, close)),
                               reopen=pl.Series(reopen))
    case_ids = pl.Series([f"CASE-{i:07d}" for i in case_no])
    first = first.with_columns(case_no=pl.Series(case_no))
    by_case = first.select("case_no", "rid", "contact_id", "subject")
    extra = (pl.concat([follow.with_columns(outcome=pl.lit("resolved")),
                        reopened.with_columns(outcome=pl.lit("reopened"))])
             .join(by_case, on="case_no", how="left")
             .filter(_c("ts") < final_end))
    case_rows = pl.concat([first, extra], how="diagonal_relaxed").join(
        cases.select("case_no", "category", "opened", "closed", "reopen").with_columns(
            case_id=case_ids), on="case_no", how="left")
    case_rows = case_rows.with_columns(
        status=pl.when(_c("closed") < 0).then(pl.lit("open")).otherwise(pl.lit("closed")),
        outcome=pl.when(_c("outcome") == "reopened").then(_c("outcome"))
        .when(_c("closed") < 0).then(pl.coalesce(_c("outcome").replace("resolved", "open"), pl.lit("open")))
        .otherwise(pl.lit("resolved")),
        agent_team=pl.when(_c("channel") == "store").then(pl.lit("Filiale"))
        .otherwise(_c("category").replace_strict(AGENT_TEAM, default=None)),
        case_opened_at=_c("opened"),
        case_closed_at=pl.when(_c("closed") > 0).then(_c("closed")),
    ).drop("case_no", "opened", "closed", "reopen")
    camp = _campaigns(rng, rest, ctx, final_end)
    ev = pl.concat([case_rows, camp], how="diagonal_relaxed").sort(["ts", "rid", "type"])
    return ev.with_columns(
        interaction_id=pl.lit("INT-") + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(8))


def _last_gap(idx: np.ndarray, gap: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.int64)
    np.maximum.at(out, idx, gap)
    return out


def _week_campaign(ts: pl.Expr) -> pl.Expr:
    d = pl.from_epoch(ts, "s")
    return (pl.lit("CMP-") + d.dt.iso_year().cast(pl.String) + "-W"
            + d.dt.week().cast(pl.String).str.zfill(2))


def _campaigns(rng, rest: pl.DataFrame, ctx: pl.DataFrame, final_end: int) -> pl.DataFrame:
    """Campaign ids on marketing e-mails; churned subscribers keep getting them and ignore them."""
    camp = rest.filter(_c("type") == "campaign_email")
    other = rest.filter(_c("type") != "campaign_email")
    churn = ctx.select("rid", "churned_at")
    camp = camp.join(churn, on="rid", how="left", maintain_order="left")
    # in the last half year before churning, a customer reacts less and less
    fading = (_c("churned_at") > 0) & (_c("ts") > _c("churned_at") - YEAR // 2)
    u = pl.Series(rng.random(camp.height))
    camp = camp.with_columns(outcome=pl.when(fading & (u < 0.7)).then(pl.lit("ignored")).otherwise(_c("outcome")))
    # after churning: still subscribed (nobody unsubscribes), mails arrive, nobody reacts
    last = camp.group_by("rid").agg(_c("ts").max().alias("last"), _c("contact_id").first(),
                                    _c("churned_at").first())
    last = last.filter((_c("churned_at") > 0) & (_c("churned_at") < final_end)
                       & (_c("last") >= _c("churned_at") - 30 * DAY)).sort("rid")
    span = np.maximum(final_end - last["churned_at"].to_numpy(), 0)
    k = rng.poisson(10.0 * span / YEAR)
    idx = np.repeat(np.arange(last.height), k)
    ts = last["churned_at"].to_numpy()[idx] + (rng.random(len(idx)) * span[idx]).astype(np.int64)
    late = pl.DataFrame({"ts": ts, "rid": last["rid"].to_numpy()[idx],
                         "contact_id": last["contact_id"].to_numpy()[idx]}).with_columns(
        channel=pl.lit("email"), direction=pl.lit("outbound"), type=pl.lit("campaign_email"),
        outcome=pl.Series(np.where(rng.random(len(idx)) < 0.03, "opened", "ignored")),
        status=pl.lit("closed"))
    camp = pl.concat([camp.drop("churned_at"), late], how="diagonal_relaxed")
    names = ["Newsletter Frühjahr", "Newsletter Sommer", "Herbstaktion", "Black Week",
             "Weihnachtsangebote", "Neujahrsrabatt", "Bonuspunkte x2"]
    week = pl.from_epoch("ts", "s").dt.week()
    camp = camp.with_columns(campaign_id=_week_campaign(_c("ts")),
                             subject=(week % len(names)).replace_strict(dict(enumerate(names))))
    # other departments mail the same people in the same days, unaware of each other
    m = rng.random(camp.height) < 0.12
    k = rng.integers(1, 4, int(m.sum()))
    base = camp.filter(pl.Series(m))
    idx = np.repeat(np.arange(base.height), k)
    dept = np.array(list(_DEPARTMENTS))[rng.integers(0, len(_DEPARTMENTS), len(idx))]
    sib = base[idx].with_columns(
        ts=_c("ts") + pl.Series(rng.integers(0, 2 * DAY, len(idx))),
        campaign_id=_c("campaign_id") + "-" + pl.Series(dept),
        subject=pl.Series(dept).replace_strict(_DEPARTMENTS),
        outcome=pl.Series(np.where(rng.random(len(idx)) < 0.15, "opened", "ignored")))
    sib = sib.filter(_c("ts") < final_end)
    return pl.concat([other, camp, sib], how="diagonal_relaxed")


_DEPARTMENTS = {"BONUS": "Ihr Punktestand", "SHOP": "Neu im Shop", "SERVICE": "Wartungsangebot"}


# ---------------------------------------------------------------------------------------------
# survey answers

_COMMENTS = {
    "late": ["Lieferung kam zu spät.", "Paket drei Tage verspätet, keine Info.", "Warten auf die Lieferung war ärgerlich."],
    "case_bad": ["Musste mehrmals anrufen.", "Problem immer noch nicht gelöst.", "Niemand fühlt sich zuständig."],
    "bad": ["Enttäuscht.", "Qualität hat nachgelassen.", "Zu teuer für das, was man bekommt."],
    "ok": ["Alles in Ordnung.", "Passt.", "Ganz okay."],
    "good": ["Schnelle Lieferung, gerne wieder!", "Sehr freundliche Beratung.", "Top Service, danke!"],
}


def survey_answers(rng: np.random.Generator, orders: pl.DataFrame, inter: pl.DataFrame,
                   crm_ctx: pl.DataFrame, P: pl.DataFrame, final_end: int) -> pl.DataFrame:
    """Survey responses after shop orders and CRM service cases.

    Args:
        orders: shop orders (``pidx``, ``ts``, ``status``, ``order_id``, ``account_id``).
        inter: interactions from :func:`service_cases`.
        crm_ctx: the CRM record context (``rid`` → ``pidx``).
        P: the population (``pidx``, ``churned_at``).
        final_end: end of the last delivery.

    Returns:
        One row per response: ``ts`` (answered), ``source``/``record_id`` (who), ``survey``,
        ``touchpoint``, ``reference``, ``nps``/``csat``/``ces`` (null when not asked),
        ``comment``, ``finished``.
    """
    n_p = P.height
    sat = rng.normal(0.0, 1.0, n_p)  # how content a person is in general
    churned = P["churned_at"].to_numpy()
    pidx_of_rid = crm_ctx.select("rid", "pidx")
    cases = (inter.filter(_c("case_id").is_not_null())
             .join(pidx_of_rid, on="rid", how="left")
             .group_by("case_id").agg(
                 pidx=_c("pidx").first(), contact_id=_c("contact_id").first(), category=_c("category").first(),
                 channel=_c("channel").sort_by("ts").first(), opened=_c("case_opened_at").first(),
                 closed=_c("case_closed_at").first(), contacts=pl.len(),
                 reopened=(_c("outcome") == "reopened").any())
             .sort("case_id"))
    # -- after an order -------------------------------------------------------------------
    o = orders.filter(_c("status") != "cancelled").select("pidx", "ts", "order_id", "account_id")
    o = o.filter(pl.Series(rng.random(o.height) < 0.3))
    late = rng.random(o.height) < 0.12
    o = o.with_columns(late=pl.Series(late),
                       answered=_c("ts") + pl.Series(((3 + rng.exponential(3, o.height)
                                                       + np.where(late, 4, 0)) * DAY).astype(np.int64)))
    complaints = cases.filter(_c("category") == "complaint").select(
        "pidx", c_open="opened", c_closed=pl.col("closed").fill_null(np.iinfo(np.int64).max))
    o = o.with_row_index("k")
    hit = (o.select("k", "pidx", "answered").join(complaints, on="pidx", how="inner")
           .filter((_c("c_open") < _c("answered")) & (_c("c_closed") > _c("answered")))
           .select("k").unique())
    o = o.with_columns(open_complaint=_c("k").is_in(hit["k"].implode())).drop("k")
    op = o["pidx"].to_numpy()
    oa = o["answered"].to_numpy()
    near = (churned[op] > 0) & (oa > churned[op] - YEAR)
    s = sat[op] - 2.2 * o["late"].to_numpy() - 2.0 * o["open_complaint"].to_numpy() - 1.2 * near
    orders_out = pl.DataFrame({
        "pidx": op, "ts": oa, "source": "shop", "record_id": o["account_id"],
        "survey": "SV_purchase", "touchpoint": np.where(o["late"].to_numpy(), "delivery", "online_order"),
        "reference": o["order_id"],
        "nps": np.clip(np.round(8.2 + 1.4 * s + rng.normal(0, 1.0, len(op))), 0, 10),
        "csat": np.clip(np.round(4.1 + 0.6 * s + rng.normal(0, 0.5, len(op))), 1, 5),
        "ces": np.full(len(op), np.nan), "late": o["late"].to_numpy(), "case_bad": np.zeros(len(op), bool),
        "score": s,
    })
    # -- after a service case ---------------------------------------------------------------
    c = cases.filter(pl.Series(rng.random(cases.height) < 0.4) & _c("pidx").is_not_null())
    cp = c["pidx"].to_numpy().astype(np.int64)
    is_open = c["closed"].is_null().to_numpy()
    # open cases are asked after the first contact, closed ones after closing
    ca = np.where(is_open, c["opened"].to_numpy() + 2 * DAY,
                  c["closed"].fill_null(0).to_numpy() + (1 + rng.exponential(1.5, len(cp))).astype(np.int64) * DAY)
    extra = c["contacts"].to_numpy() - 1
    reopened = c["reopened"].to_numpy()
    near = (churned[cp] > 0) & (ca > churned[cp] - YEAR)
    s = sat[cp] - 1.6 * is_open - 0.6 * extra - 1.5 * reopened - 1.2 * near
    cat = c["category"].to_numpy()
    chan = c["channel"].to_numpy()
    tp = np.where(cat == "warranty", "repair", np.select(
        [chan == "phone", chan == "store", chan == "chat"], ["hotline", "store", "chat"], "email_service"))
    cases_out = pl.DataFrame({
        "pidx": cp, "ts": ca, "source": "crm", "record_id": c["contact_id"],
        "survey": "SV_service", "touchpoint": tp, "reference": c["case_id"],
        "nps": np.where(cat == "complaint", np.clip(np.round(7.0 + 1.5 * s + rng.normal(0, 1.2, len(cp))), 0, 10), np.nan),
        "csat": np.clip(np.round(4.0 + 0.7 * s + rng.normal(0, 0.5, len(cp))), 1, 5),
        "ces": np.clip(np.round(5.6 + 0.8 * s + rng.normal(0, 0.7, len(cp))), 1, 7),
        "late": np.zeros(len(cp), bool), "case_bad": is_open | reopened | (extra >= 2), "score": s,
    })
    out = pl.concat([orders_out, cases_out], how="vertical_relaxed")
    pi = out["pidx"].to_numpy()
    ts = out["ts"].to_numpy()
    # who answers: fewer as they drift away, nobody after churning
    near = (churned[pi] > 0) & (ts > churned[pi] - YEAR)
    gone = (churned[pi] > 0) & (ts >= churned[pi])
    answers = (rng.random(len(pi)) < np.where(near, 0.25, 0.6)) & ~gone & (ts < final_end)
    out = out.filter(pl.Series(answers))
    n = out.height
    u = rng.random(n)
    s = out["score"].to_numpy()
    kind = np.select([out["late"].to_numpy(), out["case_bad"].to_numpy() & (s < 0), s < -1.0, s > 0.8],
                     ["late", "case_bad", "bad", "good"], "ok")
    pick = (rng.random(n) * 3).astype(int)
    comment = np.array([_COMMENTS[k][j] for k, j in zip(kind, pick, strict=True)], dtype=object)
    comment[u < np.where(kind == "ok", 0.75, 0.35)] = None  # most answers come without a comment
    finished = rng.random(n) > 0.04
    out = out.with_columns(comment=pl.Series(comment.tolist(), dtype=pl.String),
                           finished=pl.Series(finished))
    # an unfinished response has the first question at most
    out = out.with_columns(
        csat=pl.when(_c("finished")).then(_c("csat")), ces=pl.when(_c("finished")).then(_c("ces")),
        comment=pl.when(_c("finished")).then(_c("comment")))
    out = out.sort(["ts", "pidx"]).with_columns(
        response_id=pl.Series(_response_ids(rng, n)),
        started=_c("ts") - pl.Series(rng.integers(40, 600, n)))
    return out.drop("late", "case_bad", "score")


_ALNUM = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))


def _response_ids(rng, n: int) -> list[str]:
    """Qualtrics-style response ids ``R_`` + 15 letters and digits."""
    chars = _ALNUM[rng.integers(0, len(_ALNUM), (n, 15))]
    return ["R_" + "".join(row) for row in chars]


def _local(col: str) -> pl.Expr:
    return (pl.from_epoch(col, "s").dt.replace_time_zone("UTC").dt.convert_time_zone("Europe/Berlin")
            .dt.strftime("%Y-%m-%d %H:%M:%S"))


def responses_file(ans: pl.DataFrame, d0: int) -> pl.LazyFrame:
    """The survey tool's response export (Qualtrics CSV layout, numeric answers)."""
    def score(col: str) -> pl.Expr:
        return pl.when(_c(col).is_not_nan()).then(_c(col).cast(pl.Int64, strict=False)).cast(pl.String)

    return ans.lazy().select(
        StartDate=_local("started"), EndDate=_local("ts"), Status=pl.lit("0"),
        Progress=pl.when(_c("finished")).then(pl.lit("100")).otherwise(pl.lit("50")),
        Finished=pl.when(_c("finished")).then(pl.lit("True")).otherwise(pl.lit("False")),
        RecordedDate=_local("ts"), ResponseId="response_id", DistributionChannel=pl.lit("email"),
        UserLanguage=pl.lit("DE"), SurveyID="survey", ExternalReference="record_id",
        contact_system="source", touchpoint="touchpoint", reference_id="reference",
        Q1_NPS=score("nps"), Q2_CSAT=score("csat"), Q3_CES=score("ces"), Q4_Comment="comment",
        __delivery=pl.when(_c("ts") < d0).then(0).otherwise(1 + (_c("ts") - d0) // DAY))
