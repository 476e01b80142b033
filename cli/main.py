"""The ``cdp`` command line. Each stage registers its own commands from ``<stage>/commands.py``.

Errors end in one line that says what went wrong and what to do; ``--debug`` (or
``CDP_DEBUG=1``) shows the traceback instead. Library output goes to a log file under
``<data dir>/logs/`` (see :mod:`cdp.logs`).
"""

from __future__ import annotations

import enum
import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

import typer
import typer.core

from cdp.config import load_settings
from cdp.logs import configure_logging, log_file_path
from dagster_project.run import rebuild, refresh

log = logging.getLogger(__name__)

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
    "cli.sql",
]

class LogLevel(enum.StrEnum):
    """``--log-level`` values (see :data:`cdp.logs.LEVELS`)."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


#: Set by the root callback: whether a failure shows its traceback.
STATE: dict[str, bool] = {"debug": False}


@app.callback()
def _root(
    ctx: typer.Context,
    config: Path = typer.Option(None, "--config", help="TOML settings file (default: ./cdp.toml)"),
    data_dir: Path = typer.Option(None, "--data-dir", help="Data directory (default: ./data or $CDP_DATA_DIR)"),
    log_level: LogLevel = typer.Option(
        LogLevel.WARNING, "--log-level", case_sensitive=False,
        help="Lowest level of the CDP's own messages shown here; everything goes to <data dir>/logs/"),
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback when a command fails"),
) -> None:
    STATE["debug"] = debug or os.environ.get("CDP_DEBUG", "") not in ("", "0")
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
    settings = load_settings(config, **overrides)
    configure_logging(log_level.value, log_file_path(settings.paths.root / "logs", ctx.invoked_subcommand))
    ctx.obj = settings
    # data-subject requests go through the pipeline run (cdp run's job), never stage by stage:
    # forget and restrict rebuild after their change, sar refreshes a stale profile first
    ctx.meta["rebuild"] = rebuild
    ctx.meta["refresh"] = refresh


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def _flag_type(self: typer.core.TyperOption, ctx: Any) -> str | None:
    """On/off flags take no value: show no ``<bool>`` placeholder in ``--help``."""
    if self.is_flag or self.is_bool_flag:
        return None
    return _option_type(self, ctx)


_option_type = typer.core.TyperOption.display_type_rich
setattr(typer.core.TyperOption, "display_type_rich", _flag_type)  # noqa: B010 - a patch, on purpose


def error_line(exc: BaseException) -> str:
    """One line for the terminal: the message (which names the file, option or record) only."""
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    text = " ".join(str(text).split()) or type(exc).__name__
    return f"error: {text}"


def main() -> None:
    """Entry point: run the app; a failure prints one line unless ``--debug``."""
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - the one place that turns failures into a message
        if STATE["debug"]:
            raise
        # the traceback goes to the log file only ("traceback" is not one of our loggers)
        logging.getLogger("traceback").error("command failed", exc_info=exc)
        typer.echo(f"{error_line(exc)}  (--debug shows the traceback)", err=True)
        sys.exit(1)
