"""CLI commands of this stage (registered by cli.main)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from simulator.core import DEFAULT_START, generate


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the ``cdp`` app. Import heavy modules inside the commands."""

    @app.command("generate")
    def generate_cmd(  # noqa: PLR0913 -- Typer: one parameter per command-line option
        ctx: typer.Context,
        persons: int = typer.Option(10_000, "--persons", "-n", help="Number of simulated real persons."),
        seed: int = typer.Option(42, "--seed", help="Random seed; same seed and options give byte-identical files."),
        profile: str = typer.Option("realistic", "--profile", help="Noise profile: realistic | hard."),
        dirty_rate: float = typer.Option(0.01, "--dirty-rate", help="Share of rows per file with a defect to quarantine."),
        out: Path = typer.Option(None, "--out", help="Landing directory (default: <data-dir>/landing)."),
        truth: Path = typer.Option(None, "--truth", help="Truth directory (default: <data-dir>/truth)."),
        deliveries: int = typer.Option(1, "--deliveries", help="1 full export plus K-1 daily delta deliveries."),
        start_date: str = typer.Option(None, "--start-date", help="Date of the full export, YYYY-MM-DD (default 2025-03-03)."),
    ) -> None:
        """Simulate the four source systems' exports (ERP, CRM, shop, bonus) and the ground truth."""
        from rich.console import Console
        from rich.table import Table


        settings = ctx.obj
        start = datetime.strptime(start_date, "%Y-%m-%d").date() if start_date else DEFAULT_START
        out_dir = out or settings.paths.landing
        truth_dir = truth or settings.paths.truth
        try:
            summary = generate(persons, seed, profile=profile, dirty_rate=dirty_rate, out=out_dir,
                               truth=truth_dir, deliveries=deliveries, start_date=start)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        console = Console()
        table = Table(title=f"Simulated {persons:,} persons (seed {seed}, profile {profile})")
        table.add_column("file (under landing)")
        table.add_column("rows", justify="right")
        for rel, rows in summary["files"].items():
            table.add_row(rel, f"{rows:,}")
        console.print(table)
        recs = ", ".join(f"{s} {n:,}" for s, n in summary["records"].items())
        console.print(f"person records: {recs}; dirty rows: {summary['dirty_rows']:,}")
        console.print(f"landing: {out_dir}   truth: {truth_dir}")
