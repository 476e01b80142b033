"""CLI commands of this stage (registered by cli.main): ``cdp export agent-views``,
``cdp export audience`` and ``cdp serve`` (the agent console)."""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path

import typer

from exports.agent_views import export_agent_views
from exports.audience import export_audience
from exports.console.app import create_app, serve
from exports.identify_api import DEFAULT_PORT, create_identify_app

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the ``cdp`` app. Import heavy modules inside the commands."""
    export_app = typer.Typer(help="Export agent views and consent-filtered audiences.", no_args_is_help=True)
    app.add_typer(export_app, name="export")

    @export_app.command("agent-views")
    def agent_views_cmd(
        ctx: typer.Context,
        fmt: str = typer.Option("parquet", "--format",
                                help="parquet, csv, excel (CSV for Excel: UTF-8 with BOM, semicolons) or jsonl"),
    ) -> None:
        """Write the agent views (customers + recent contacts, flat columns) to data/exports/agent_views/."""

        path = export_agent_views(ctx.obj, fmt)
        contacts = path.with_name(path.name.replace("agent_profile", "agent_contacts"))
        typer.echo(f"agent views -> {path}\n   contacts -> {contacts}\n   manifest -> {path.parent / 'manifest.json'}")

    @export_app.command("audience")
    def audience_cmd(  # noqa: PLR0913 -- Typer: one parameter per command-line option
        ctx: typer.Context,
        purpose: str = typer.Option(..., "--purpose", help="consent purpose: marketing or service"),
        out: Path = typer.Option(..., "--out", help="output file (.csv, .parquet or .jsonl)"),  # noqa: B008
        product_model: str = typer.Option(None, "--product-model", help="only buyers of this product model"),
        segment: str = typer.Option(None, "--segment", help="only this RFM segment, e.g. Champions"),
        channel: str = typer.Option(None, "--channel", help="only this channel (email, phone, sms, letter)"),
        lifecycle: str = typer.Option(None, "--lifecycle", help="only this lifecycle stage (new, active, at_risk, lapsed, prospect)"),
        customer_type: str = typer.Option(None, "--customer-type", help="new, existing or prospect"),
        postcode_prefix: str = typer.Option(None, "--postcode-prefix", help="only postcodes starting with this"),
        city: str = typer.Option(None, "--city", help="only this city"),
    ) -> None:
        """Export everyone who may be contacted for a purpose, with channel and contact point."""

        filters = {k: v for k, v in dict(channel=channel, lifecycle=lifecycle, customer_type=customer_type,
                                         postcode_prefix=postcode_prefix, city=city).items() if v}
        try:
            r = export_audience(ctx.obj, purpose, product_model=product_model, segment=segment,
                                filters=filters, out=out)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"{r.exported:,} of {r.population:,} customers -> {r.path}")
        typer.echo("by channel: " + (", ".join(f"{k} {v:,}" for k, v in r.by_channel.items()) or "–"))
        typer.echo("excluded: " + ", ".join(f"{k} {v:,}" for k, v in r.excluded.items()))
        typer.echo(f"suppression report -> {r.report_path}")

    @app.command("serve")
    def serve_cmd(
        ctx: typer.Context,
        host: str = typer.Option(None, "--host", help="interface to listen on (default 127.0.0.1)"),
        port: int = typer.Option(None, "--port", help="port (default 8765)"),
        role: str = typer.Option(None, "--role", help="agent (need-to-know, default) or steward"),
        allow_remote: bool = typer.Option(False, "--allow-remote",
                                          help="allow a non-loopback --host (the console has no login)"),
    ) -> None:
        """Serve the read-only agent console over data/cdp.duckdb (localhost by default)."""

        settings = ctx.obj
        host = host or settings.exports.console_host
        port = port or settings.exports.console_port
        if role:
            settings.exports.console_role = role
        if not is_loopback(host):
            if not allow_remote:
                typer.echo(f"refusing to listen on {host}: the console has no login and shows personal "
                           "data. Use 127.0.0.1, or pass --allow-remote behind an authenticating proxy.",
                           err=True)
                raise typer.Exit(2)
            log.warning("console listening on non-loopback %s: anyone who can reach it sees customer data", host)
        flask_app = create_app(settings, host=host)
        typer.echo(f"agent console ({settings.exports.console_role} view) on http://{host}:{port}/")
        serve(flask_app, host, port)

    @app.command("serve-identify")
    def serve_identify_cmd(
        ctx: typer.Context,
        host: str = typer.Option("127.0.0.1", "--host", help="interface to listen on"),
        port: int = typer.Option(DEFAULT_PORT, "--port", help="port"),
        allow_remote: bool = typer.Option(False, "--allow-remote",
                                          help="allow a non-loopback --host (the endpoint has no login)"),
    ) -> None:
        """Serve POST /identify (JSON in, JSON out): which customers is this person? (localhost by default)"""

        if not is_loopback(host):
            if not allow_remote:
                typer.echo(f"refusing to listen on {host}: the endpoint has no login and answers with "
                           "customer ids. Use 127.0.0.1, or pass --allow-remote behind an authenticating proxy.",
                           err=True)
                raise typer.Exit(2)
            log.warning("identify endpoint listening on non-loopback %s", host)
        flask_app = create_identify_app(ctx.obj, host=host)
        typer.echo(f"identify endpoint on http://{host}:{port}/identify (POST JSON)")
        serve(flask_app, host, port)
