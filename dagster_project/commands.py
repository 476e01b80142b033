"""CLI commands of this stage (registered by cli.main)."""

from __future__ import annotations

import typer

from cdp.runlock import RunLocked
from dagster_project.run import DemoSecret, PoolBusy, run_pipeline, summary_lines


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the ``cdp`` app. Import heavy modules inside the commands."""

    @app.command("run")
    def run(
        ctx: typer.Context,
        incremental: bool = typer.Option(False, "--incremental", help="Identity: match only new/changed records"),
        force: bool = typer.Option(False, "--force", help="Identity: accept an id churn above the limit"),
    ) -> None:
        """Run the whole pipeline through Dagster, in-process: ingest → canonical → identity → profiles → exports."""
        import logging


        # Library chatter (the ephemeral instance's migrations, GE's temp docs) is not progress.
        for name in ("alembic", "great_expectations"):
            logging.getLogger(name).setLevel(logging.WARNING)
        settings = ctx.obj
        try:
            summary = run_pipeline(settings, incremental=incremental, force=force, echo=typer.echo)
        except FileNotFoundError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        except (RunLocked, PoolBusy, DemoSecret) as exc:
            typer.echo(f"cdp run: {exc}", err=True)
            raise typer.Exit(3) from exc
        for line in summary_lines(summary, settings):
            typer.echo(line)
        if not summary.success:
            raise typer.Exit(1)
