"""Logging setup. The pipeline logs counts, ids of loads and files, never personal data."""

from __future__ import annotations

import logging

from rich.logging import RichHandler


def configure_logging(level: str = "INFO") -> None:
    """Console logging for the CLI. Messages must never contain names, e-mails, phones or addresses."""
    logging.basicConfig(
        level=level,
        format="%(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(rich_tracebacks=False, show_path=False)],
        force=True,
    )
    for noisy in ("splink", "great_expectations", "dagster"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
