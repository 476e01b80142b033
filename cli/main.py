"""The ``cdp`` command line. Each stage registers its own commands from ``<stage>/commands.py``."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import typer

from cdp.config import load_settings
from cdp.logs import configure_logging
from dagster_project.run import rebuild

app = typer.Typer(
    name="cdp",
    help="Customer Data Platform: simulate sources, ingest, resolve identities, build profiles, export.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Stage modules, in flow order. Each has ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = [
    "simulator.commands",
    "pipelines.commands",
    "identity.commands",
    "profiles.commands",
    "exports.commands",
    "dsr.commands",
    "dagster_project.commands",
]


@app.callback()
def _root(
    ctx: typer.Context,
    config: Path = typer.Option(None, "--config", help="TOML settings file (default: ./cdp.toml)"),
    data_dir: Path = typer.Option(None, "--data-dir", help="Data directory (default: ./data or $CDP_DATA_DIR)"),
    log_level: str = typer.Option("INFO", "--log-level"),
) -> None:
    configure_logging(log_level)
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
    ctx.obj = load_settings(config, **overrides)
    # data-subject requests rebuild through the pipeline run, never stage by stage
    ctx.meta["rebuild"] = rebuild


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    app()
