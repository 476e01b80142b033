"""CLI commands of this stage (registered by cdp.cli)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the ``cdp`` app. Import heavy modules inside the commands."""
