"""CLI commands of the identity stage (registered by cli.main)."""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict

import typer

from identity import explain
from identity.evaluate import evaluate
from identity.identify import Identifier, QueryError
from identity.io import OverrideError, add_override, list_overrides
from identity.model import StaleModelError
from identity.resolve import ChurnLimitExceeded, resolve
from identity.retention import expire_guests
from identity.train import TrainingError, train
from identity.veto import SOFT_VETOES

identity_app = typer.Typer(help="Identity model: training, steward overrides.", no_args_is_help=True)


def resolve_cmd(
    ctx: typer.Context,
    incremental: bool = typer.Option(False, "--incremental", help="Score only new/changed records"),
    force: bool = typer.Option(False, "--force", help="Write even if id churn is above the limit"),
    engine: str = typer.Option(None, "--engine",
                               help="Splink backend for scoring pairs: duckdb or spark (default: identity.engine)"),
) -> None:
    """Resolve person records into customers with stable customer ids, then apply guest
    retention on the new links (expired guest checkouts get tombstones, as in `cdp run`)."""

    engine = engine or ctx.obj.identity.engine
    if engine not in ("duckdb", "spark"):
        raise typer.BadParameter(f"engine {engine!r} is not known; use duckdb or spark")
    ctx.obj.identity.engine = engine

    try:
        rep = resolve(ctx.obj, incremental=incremental, force=force)
    except (ChurnLimitExceeded, StaleModelError, TrainingError) as exc:
        typer.echo(f"stopped: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(asdict(rep), indent=1, default=str))
    expiry = expire_guests(ctx.obj)
    typer.echo(f"retention: {expiry.expired} expired guest checkouts, {expiry.tombstoned} new retention tombstones",
               err=True)


def eval_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Compare identity_link with the simulator's truth (pairwise, B-cubed, hard negatives)."""

    res = evaluate(ctx.obj)
    if as_json:
        typer.echo(json.dumps(res, indent=1))
        return
    _echo_evaluation(res)


def explain_cmd(
    ctx: typer.Context,
    rec_a: str = typer.Argument(None, help="record key, e.g. erp:10004711"),
    rec_b: str = typer.Argument(None, help="second record key"),
    customer: str = typer.Option(None, "--customer", help="explain one customer's records and links"),
    dashboards: bool = typer.Option(False, "--dashboards", help="write comparison viewer + cluster studio HTML"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Why two records are (not) the same person, or how a customer was formed."""

    if dashboards:
        for p in explain.write_dashboards(ctx.obj):
            typer.echo(f"wrote {p}")
        return
    if customer:
        res = explain.explain_customer(ctx.obj, customer)
        if as_json:
            typer.echo(json.dumps(res, indent=1, default=str))
            return
        _echo_customer(customer, res)
        return
    if not (rec_a and rec_b):
        raise typer.BadParameter("give two record keys, or --customer ID, or --dashboards")

    try:
        res = explain.explain_pair(ctx.obj, rec_a, rec_b)
    except StaleModelError as exc:
        typer.echo(f"stopped: {exc}", err=True)
        raise typer.Exit(2) from exc
    except KeyError as exc:
        typer.echo(f"error: {exc.args[0] if exc.args else exc}: record keys are <source>:<id> as "
                   "`cdp explain --customer ID` or `cdp profile QUERY` list them (e.g. erp:10004711)",
                   err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(res, indent=1, default=str))
        return
    _echo_pair(rec_a, rec_b, res)


def train_cmd(ctx: typer.Context) -> None:
    """Retrain the Splink model (u by random sampling, m by EM) and save a new version."""

    try:
        typer.echo(f"saved {train(ctx.obj)}")
    except TrainingError as exc:
        typer.echo(f"stopped: {exc}", err=True)
        raise typer.Exit(2) from exc


def override_cmd(
    ctx: typer.Context,
    decision: str = typer.Argument(..., help="must-link or cannot-link"),
    rec_a: str = typer.Argument(..., help="record key, e.g. erp:10004711"),
    rec_b: str = typer.Argument(..., help="second record key"),
    reason: str = typer.Option(..., "--reason", help="why (kept for the audit trail)"),
    actor: str = typer.Option(None, "--actor", help="steward name (default: $USER)"),
) -> None:
    """Record a steward's must-link / cannot-link; honoured from the next `cdp resolve` on."""
    try:
        row = add_override(ctx.obj, rec_a, rec_b, decision, reason, actor or getpass.getuser())
    except OverrideError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(f"{row['decision']} {row['record_a']} {row['record_b']} by {row['steward']} "
               f"at {row['decided_at']} (applied on the next cdp resolve)")


def overrides_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """List the steward overrides in data/overrides/ (later rows win for the same pair)."""

    rows = list_overrides(ctx.obj)
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
        return
    if not rows:
        typer.echo(f"no overrides in {ctx.obj.paths.overrides}")
    for r in rows:
        typer.echo(f"{r['file']}:{r['row']}  {r['decision']:11s} {r['record_a']} {r['record_b']}  "
                   f"{r['steward'] or '-'} {r['decided_at'] or '-'}  {r['reason']}")


def identify_cmd(  # noqa: PLR0913 -- Typer: one parameter per command-line option
    ctx: typer.Context,
    first_name: str = typer.Option(None, "--first-name"),
    last_name: str = typer.Option(None, "--last-name"),
    street: str = typer.Option(None, "--street", help="street, may include the house number"),
    house_number: str = typer.Option(None, "--house-number"),
    postcode: str = typer.Option(None, "--postcode"),
    city: str = typer.Option(None, "--city"),
    birth_date: str = typer.Option(None, "--birth-date", help="YYYY-MM-DD or DD.MM.YYYY"),
    email: str = typer.Option(None, "--email"),
    phone: str = typer.Option(None, "--phone", help="any format; German numbers without +49 are fine"),
    erp_customer_no: str = typer.Option(None, "--erp-customer-no", help="ERP customer number (Kundennummer)"),
    bonus_card_no: str = typer.Option(None, "--bonus-card", help="bonus card number"),
    customer_id: str = typer.Option(None, "--customer-id", help="a CDP customer id (a former one is followed)"),
    limit: int = typer.Option(5, "--limit", help="at most this many candidates"),
    min_probability: float = typer.Option(None, "--min-probability",
                                          help="leave out candidates below (default identity.predict_threshold)"),
    build_index: bool = typer.Option(False, "--build-index", help="only build the candidate index (after cdp resolve)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Which customers is this person? Candidates with match probability and evidence, from the trained model."""

    idf = Identifier(ctx.obj)
    if build_index:
        typer.echo(json.dumps(idf.warm()) if as_json else "identify index ready: {records} records, {rules} rules, "
                   "model {model_version}".format(**idf.warm()))
        return
    fields = {"first_name": first_name, "last_name": last_name, "street": street, "house_number": house_number,
              "postcode": postcode, "city": city, "birth_date": birth_date, "email": email, "phone": phone,
              "erp_customer_no": erp_customer_no, "bonus_card_no": bonus_card_no, "customer_id": customer_id}
    try:
        res = idf.identify({k: v for k, v in fields.items() if v}, limit=limit, min_probability=min_probability)
    except QueryError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(res.as_dict(), indent=1, default=str))
        return
    _echo_identify(res.as_dict())


def register(app: typer.Typer) -> None:
    """Add ``resolve``, ``eval``, ``explain``, ``identify`` and ``identity train`` to the ``cdp`` app."""

    app.command("resolve")(resolve_cmd)
    app.command("identify")(identify_cmd)
    app.command("eval")(eval_cmd)
    app.command("explain")(explain_cmd)
    identity_app.command("train")(train_cmd)
    identity_app.command("override")(override_cmd)
    identity_app.command("overrides")(overrides_cmd)
    app.add_typer(identity_app, name="identity")


def _echo_evaluation(res: dict) -> None:
    pw, b3 = res["pairwise"], res["bcubed"]
    typer.echo(f"records {res['records']}  model {res['model_version']}")
    typer.echo(f"pairwise  precision {pw['precision']:.4f}  recall {pw['recall']:.4f}  F1 {pw['f1']:.4f}")
    typer.echo(f"B-cubed   precision {b3['precision']:.4f}  recall {b3['recall']:.4f}  F1 {b3['f1']:.4f}")
    for k, v in res["per_source_pair"].items():
        typer.echo(f"  {k:12s} P {v['precision']:.4f} R {v['recall']:.4f} F1 {v['f1']:.4f} ({v['true_pairs']} true pairs)")
    for k, v in res.get("hard_negatives", {}).items():
        typer.echo(f"  hard negatives {k:13s} {v['wrongly_merged']}/{v['person_pairs']} wrongly merged ({v['wrongly_merged_share']:.2%})")


def _echo_customer(customer: str, res: dict) -> None:
    if res.get("retired"):
        typer.echo(f"{customer} was retired ({res['reason']}, {res['changed_at']}): now {res['now']}")
        return
    typer.echo(f"customer {customer}: {len(res['records'])} records")
    for r in res["records"]:
        typer.echo(f"  {r['record_key']:24s} {r['link_method']}")
    for e in res["edges"]:
        p = e["match_probability"]
        typer.echo(f"  {e['record_key_l']} ~ {e['record_key_r']}: {e['link_method']}"
                   f"{' (' + e['rule'] + ')' if e.get('rule') else ''} p={p if p is None else round(p, 4)}"
                   f"{' VETO ' + e['veto'] if e.get('veto') else ''}")
        for comp, f in e["fields"].items():
            typer.echo(f"      {comp:12s} {f['level']:50s} {f['match_weight']:+.2f}")


def _echo_pair(rec_a: str, rec_b: str, res: dict) -> None:
    typer.echo(f"{rec_a} vs {rec_b} (model {res['model_version']})")
    for f in res["fields"]:
        typer.echo(f"  {f['comparison']:12s} {f['level']:50s} {f['match_weight']:+7.2f}"
                   f"{'  (tf ' + format(f['tf_adjustment'], '+.2f') + ')' if f['tf_adjustment'] else ''}")
    typer.echo(f"  match weight {res['match_weight']:+.2f}  probability {res['match_probability']:.6f}")
    if res["veto"]:
        how = "does not link on its own" if res["veto"] in SOFT_VETOES else "never linked"
        typer.echo(f"  vetoed: {res['veto']} ({how})")
    if res["trusted_keys"]:
        typer.echo(f"  trusted keys agree: {', '.join(res['trusted_keys'])}")
    if res["steward"]:
        typer.echo(f"  steward override: {res['steward']}")
    typer.echo(f"  customers: {res['customer_ids']}  same customer: {res['same_customer']}")


def _echo_identify(res: dict) -> None:
    cands = res["candidates"]
    if not cands:
        typer.echo("no candidate: nobody in the base is likely this person (a new customer?)")
    for c in cands:
        how = "trusted key" if c["method"] == "trusted_key" else f"match weight {c['match_weight']:+.2f}"
        typer.echo(f"{c['customer_id']}  {c['decision']:8s} p={c['match_probability']:.4f}  ({how}, record {c['record_key']})")
        for e in c["evidence"]:
            typer.echo(f"    {'+' if e['supports'] else '-'} {e['words']}")
    typer.echo(f"{'certain' if res['certain'] else 'not certain'}; {res['records_scored']} records scored; "
               f"model {res['model_version']}; {res['timings_ms']['total']:.0f} ms")
