"""CLI commands of this stage (registered by cli.main)."""

from __future__ import annotations

import typer

from pipelines.canonical import build_canonical
from pipelines.ingest import ingest


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the ``cdp`` app. Import heavy modules inside the commands."""

    @app.command("ingest")
    def ingest_command(
        ctx: typer.Context,
        source: list[str] = typer.Option(None, "--source", "-s", help="Only these sources (repeatable)"),
        canonical: bool = typer.Option(True, "--canonical/--no-canonical",
                                       help="Rebuild the canonical tables after loading"),
    ) -> None:
        """Load new landing files into the lake (staged / quarantine), then rebuild the canonical tables.

        Prints the reconciliation per file (read = staged + quarantined + suppressed) and exits
        non-zero when any file failed.
        """
        from rich.console import Console
        from rich.table import Table


        settings = ctx.obj
        report = ingest(settings, sources=source or None)
        console = Console()
        table = Table(title="Ingest reconciliation")
        for col in ("file", "entity", "status", "read", "staged", "quarantined", "suppressed", "ok"):
            table.add_column(col, justify="right" if col in ("read", "staged", "quarantined", "suppressed") else "left")
        for f in report.files:
            ok = "✓" if f.status != "failed" and f.reconciles else "✗"
            style = {"failed": "red", "skipped_duplicate": "yellow"}.get(f.status)
            table.add_row(f.file, f.entity or "-", f.status, str(f.rows_read), str(f.rows_staged),
                          str(f.rows_quarantined), str(f.rows_suppressed), ok, style=style)
        console.print(table)
        n = len(report.files)
        console.print(f"{n} file(s): {len(report.loaded)} loaded, "
                      f"{sum(f.status == 'skipped_duplicate' for f in report.files)} skipped, "
                      f"{len(report.failed)} failed; reports in {settings.paths.reports / 'ingest'}")
        for f in report.failed:
            console.print(f"[red]FAILED[/red] {f.message}", markup=True, highlight=False)
        if canonical:
            counts = build_canonical(settings)
            console.print("canonical: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if report.failed:
            raise typer.Exit(code=1)
