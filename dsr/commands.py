"""CLI commands of data protection: ``cdp sar``, ``cdp forget``, ``cdp restrict``, ``cdp audit``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from dsr.erase import ForgetReport, forget
from dsr.restrict import restrict
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
        """Subject-access export (Art. 15/20 GDPR) of one person as JSON and HTML."""

        try:
            paths = sar(ctx.obj, query, out, actor=actor, reason=reason)
        except SubjectNotFound as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"subject access export -> {paths['json']}\n                      -> {paths['html']}")

    @app.command("forget")
    def forget_cmd(
        ctx: typer.Context,
        query: str = typer.Argument(..., help="customer id, e-mail, phone, name, ERP or card number"),
        reason: str = typer.Option(..., "--reason", help="request reference / legal ground"),
        actor: str = typer.Option(None, "--actor", help="who (default: OS user)"),
    ) -> None:
        """Erase one person everywhere (Art. 17 GDPR) and keep them from coming back."""

        try:
            rep = forget(ctx.obj, query, reason, actor=actor, rebuild=ctx.meta.get("rebuild"))
        except (SubjectNotFound, ValueError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        _echo_erasure(rep)

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
            r = restrict(ctx.obj, query, reason, actor=actor, lift=lift,
                         rebuild=ctx.meta.get("rebuild"))
        except (SubjectNotFound, ValueError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        verb = "lifted restriction of" if lift else "restricted"
        typer.echo(f"{verb} {r['customer_id']} ({r['records']} person records)")

    @app.command("audit")
    def audit_cmd(
        ctx: typer.Context,
        as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table"),
    ) -> None:
        """Show the data-protection audit log (sar, forget, restrict, overrides)."""

        for e in read_audit_log(ctx.obj):
            typer.echo(json.dumps(e, ensure_ascii=False) if as_json else _audit_line(e))


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


def _audit_line(e: dict) -> str:
    return (f"{e['at']}  {e['actor']:<12} {e['action']:<17} {e.get('subject') or '-':<12} "
            f"{e.get('reason') or ''}")
