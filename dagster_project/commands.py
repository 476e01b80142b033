"""CLI commands of this stage (registered by cli.main)."""

from __future__ import annotations

import contextlib

import typer

from cdp.logs import current_log_file
from cdp.runlock import RunLocked
from dagster_project.run import DemoSecret, PoolBusy, run_pipeline, summary_lines


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the ``cdp`` app. Import heavy modules inside the commands."""

    @app.command("run")
    def run(
        ctx: typer.Context,
        incremental: bool = typer.Option(False, "--incremental", help="Identity: match only new/changed records"),
        force: bool = typer.Option(False, "--force", help="Identity: accept an id churn above the limit"),
        full: bool = typer.Option(False, "--full", help="Rebuild identity and profiles from scratch (default: a "
                                  "daily delta when the profile database was built with the same settings)"),
    ) -> None:
        """Run the whole pipeline through Dagster, in-process: ingest → canonical → identity → profiles → exports."""
        from rich.console import Console

        settings = ctx.obj
        console = Console(highlight=False)
        # On a terminal a spinner names the running stage; in a pipe or a log only the result lines.
        spinner = console.status("starting") if console.is_terminal else contextlib.nullcontext()
        with spinner as live:
            status = (lambda stage: live.update(f"running {stage} …")) if live is not None else None
            try:
                summary = run_pipeline(settings, incremental=incremental, force=force, full=full,
                                       echo=lambda line: console.print(line, markup=False, soft_wrap=True), status=status)
            except FileNotFoundError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2) from exc
            except (RunLocked, PoolBusy, DemoSecret) as exc:
                typer.echo(f"cdp run: {exc}", err=True)
                raise typer.Exit(3) from exc
        for line in summary_lines(summary, settings, current_log_file()):
            console.print(line, markup=False, soft_wrap=True)
        if not summary.success:
            raise typer.Exit(1)
