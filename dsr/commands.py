"""CLI commands of data protection: ``cdp sar``, ``cdp forget``, ``cdp restrict``, ``cdp audit``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from dsr.audit import filter_audit, format_audit
from dsr.erase import ForgetPlan, ForgetReport, forget, plan_forget
from dsr.restrict import restrict
from dsr.ropa import write_record_of_processing
from dsr.sar import sar
from dsr.subject import SubjectNotFound
from privacy.store import read_audit_log


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the ``cdp`` app. Import heavy modules inside the commands."""

    @app.command("sar")
    def sar_cmd(
        ctx: typer.Context,
        query: str = typer.Argument(..., help="customer id, e-mail, phone, name, ERP or card number"),
        out: Path = typer.Option(..., "--out", help="directory for the JSON and HTML export"),  # noqa: B008
        reason: str = typer.Option(None, "--reason", help="request reference (audit log)"),
        actor: str = typer.Option(None, "--actor", help="who (default: OS user)"),
    ) -> None:
        """Subject-access export (Art. 15/20 GDPR) of one person as JSON and HTML (runs the pipeline
        first when deliveries are not processed yet or the profile database is stale)."""

        try:
            paths = sar(ctx.obj, query, out, actor=actor, reason=reason, pipeline=ctx.meta["refresh"],
                        echo=typer.echo)
        except SubjectNotFound as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"subject access export -> {paths['json']}\n                      -> {paths['html']}")

    @app.command("forget")
    def forget_cmd(
        ctx: typer.Context,
        query: str = typer.Argument(..., help="customer id, e-mail, phone, name, ERP or card number"),
        reason: str = typer.Option(None, "--reason", help="request reference / legal ground (required to erase)"),
        dry_run: bool = typer.Option(False, "--dry-run", help="only show what would be erased"),
        yes: bool = typer.Option(False, "--yes", help="erase without asking for confirmation"),
        actor: str = typer.Option(None, "--actor", help="who (default: OS user)"),
    ) -> None:
        """Erase one person everywhere (Art. 17 GDPR) and keep them from coming back.

        Shows first what would be erased (counts per place and the person record keys) and asks
        for confirmation; --dry-run only shows it, --yes skips the question.
        """

        _forget(ctx, query, reason, dry_run=dry_run, yes=yes, actor=actor)

    @app.command("restrict")
    def restrict_cmd(
        ctx: typer.Context,
        query: str = typer.Argument(..., help="customer id, e-mail, phone, name, ERP or card number"),
        reason: str = typer.Option(..., "--reason", help="request reference / legal ground"),
        lift: bool = typer.Option(False, "--lift", help="lift the restriction"),
        actor: str = typer.Option(None, "--actor", help="who (default: OS user)"),
    ) -> None:
        """Restrict processing (Art. 18 GDPR): kept, but out of profiling, audiences and exports."""

        try:
            r = restrict(ctx.obj, query, reason, actor=actor, lift=lift, pipeline=ctx.meta["rebuild"])
        except (SubjectNotFound, ValueError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        verb = "lifted restriction of" if lift else "restricted"
        typer.echo(f"{verb} {r['customer_id']} ({r['records']} person records)")

    @app.command("ropa")
    def ropa_cmd(ctx: typer.Context) -> None:
        """Write the record of processing activities (Art. 30 GDPR) to data/reports/ (Markdown, HTML)."""

        paths = write_record_of_processing(ctx.obj)
        typer.echo(f"record of processing -> {paths['markdown']}\n                     -> {paths['html']}")

    @app.command("audit")
    def audit_cmd(
        ctx: typer.Context,
        subject: str = typer.Option(None, "--subject", help="only entries about this customer id / record key"),
        action: str = typer.Option(None, "--action", help="only this action (sar, forget, restrict ...)"),
        since: str = typer.Option(None, "--since", help="from this date (YYYY-MM-DD or DD.MM.YYYY)"),
        until: str = typer.Option(None, "--until", help="up to and including this date"),
        as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table"),
    ) -> None:
        """Show the data-protection audit log (sar, forget, restrict, overrides), filtered."""

        _audit(ctx, subject, action, since, until, as_json)


def _forget(ctx: typer.Context, query: str, reason: str | None, *, dry_run: bool, yes: bool,
            actor: str | None) -> None:
    """Preview, confirm (unless --yes), erase; --dry-run stops after the preview."""
    try:
        if not dry_run and not (reason or "").strip():
            raise ValueError("--reason is required for an erasure (request reference / legal ground)")
        if dry_run or not yes:
            plan = plan_forget(ctx.obj, query, actor=actor)
            _print_plan(plan)
            if dry_run:
                typer.echo("dry run: nothing was changed")
                return
            if not typer.confirm(f"Erase customer {plan.customer_id} irreversibly?", default=False):
                typer.echo("nothing erased")
                raise typer.Exit(1)
        rep = forget(ctx.obj, query, reason or "", actor=actor, pipeline=ctx.meta["rebuild"])
    except (SubjectNotFound, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    _echo_erasure(rep)


def _audit(ctx: typer.Context, subject: str | None, action: str | None, since: str | None,
           until: str | None, as_json: bool) -> None:
    try:
        entries = filter_audit(read_audit_log(ctx.obj), subject=subject, action=action,
                               since=since, until=until)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        for e in entries:
            typer.echo(json.dumps(e, ensure_ascii=False))
        return
    typer.echo(format_audit(entries))


def _print_plan(plan: ForgetPlan) -> None:
    typer.echo(f"would erase customer {plan.customer_id}"
               + (f" (and retired ids {', '.join(c for c in plan.customer_ids if c != plan.customer_id)})"
                  if len(plan.customer_ids) > 1 else ""))
    typer.echo(f"  person records ({len(plan.record_keys)}): {', '.join(plan.record_keys)}")
    typer.echo("  tombstone hashes kept: " + ", ".join(f"{k} {v}" for k, v in plan.tombstone_hashes.items()))
    typer.echo(f"  consent events kept as proof (no identifiers): {plan.consent_proof_events}")
    width = max((len(k) for k in plan.counts), default=10)
    typer.echo(f"  {'place':<{width}}  rows")
    for k, v in plan.counts.items():
        if v:
            typer.echo(f"  {k:<{width}}  {v:>5}")
    for f in plan.files_to_delete:
        typer.echo(f"  file to delete: {f}")

def _echo_erasure(rep: ForgetReport) -> None:
    typer.echo(f"erased {rep.customer_id}: {rep.record_keys} person records, "
               f"{rep.tombstone_hashes} tombstone hashes (tombstone {rep.tombstone_id})")
    for k, v in rep.removed.items():
        if v:
            typer.echo(f"  removed {k}: {v}")
    for f in rep.deleted_files:
        typer.echo(f"  deleted {f}")
    for k in rep.kept:
        typer.echo(f"  kept {k}")

