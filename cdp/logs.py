"""Logging setup. The pipeline logs counts, ids of loads and files, never personal data.

The terminal is for people: it shows the CDP's own warnings and errors (more with
``--log-level INFO``). Everything else, the libraries' chatter included (Splink's training
progress, Great Expectations' temporary docs sites, Dagster, Python warnings), goes to a log
file under ``<data dir>/logs/``, which is created only when something is written to it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

#: Top-level packages of this project: only their records may reach the terminal.
OWN_PACKAGES = frozenset(
    {"cdp", "privacy", "simulator", "pipelines", "identity", "profiles", "exports", "dsr", "cli",
     "dagster_project"}
)
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class _OwnRecords(logging.Filter):
    """Lets through records of this project's loggers only (not Splink's, GE's or Dagster's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.split(".", 1)[0] in OWN_PACKAGES


class _LazyFileHandler(logging.FileHandler):
    """A file handler whose directory and file appear with the first record (none for a quiet command)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is None:
            Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        super().emit(record)


def log_file_path(log_dir: Path, command: str | None) -> Path:
    """``<log_dir>/cdp-<command>-<YYYYmmdd-HHMMSS>.log`` (local time, like the file's mtime)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path(log_dir) / f"cdp-{command or 'main'}-{stamp}.log"


def configure_logging(level: str = "WARNING", log_file: Path | None = None) -> Path | None:
    """Terminal and file logging for the CLI.

    Args:
        level: the lowest level of the CDP's own messages shown on the terminal (DEBUG, INFO,
            WARNING, ERROR). Library messages never reach the terminal.
        log_file: where every message at INFO or above (DEBUG with ``level="DEBUG"``) is kept,
            libraries included; ``None`` keeps nothing.

    Returns:
        ``log_file``. Messages must never contain names, e-mails, phones or addresses.
    """
    level = level.upper()
    if level not in LEVELS:
        raise ValueError(f"--log-level {level}: choose one of {', '.join(LEVELS)}")
    terminal = RichHandler(console=Console(stderr=True), rich_tracebacks=False, show_path=False,
                           show_time=False)
    terminal.setLevel(level)
    terminal.addFilter(_OwnRecords())
    handlers: list[logging.Handler] = [terminal]
    if log_file is not None:
        file_handler = _LazyFileHandler(log_file)
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
        file_handler.setLevel(logging.DEBUG if level == "DEBUG" else logging.INFO)
        handlers.append(file_handler)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    for h in handlers:
        root.addHandler(h)
    root.setLevel(logging.DEBUG if level == "DEBUG" else logging.INFO)
    # Libraries that attach their own stream handlers or set their own levels: route them
    # through the root handlers above (file only) instead.
    for name in ("splink", "great_expectations", "dagster", "alembic", "py4j", "urllib3", "werkzeug"):
        lib = logging.getLogger(name)
        lib.setLevel(logging.NOTSET)
        lib.propagate = True
        for h in list(lib.handlers):
            if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler):
                lib.removeHandler(h)
    logging.captureWarnings(True)
    return log_file


def current_log_file() -> Path | None:
    """The file :func:`configure_logging` writes to, if any."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None
