"""A small simulated data directory run through the CLI, for the end-to-end test modules."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdp.config import Settings
from cli.main import app


def run_cli_steps(data: Path, persons: int, seed: int, steps: tuple[str, ...]) -> Settings:
    """``cdp generate --persons N --seed S`` and then each of ``steps`` on ``data``.

    A failing step fails the test that needs it (a skip here once hid a broken ``cdp resolve``
    behind 23 skipped tests), with the step, its exit code and the end of its output.
    """
    runner = CliRunner()
    for args in (["generate", "--persons", str(persons), "--seed", str(seed)], *([s] for s in steps)):
        res = runner.invoke(app, ["--data-dir", str(data), *args])
        if res.exit_code != 0:
            pytest.fail(f"`cdp {args[0]}` failed (exit {res.exit_code}): {res.output[-300:]}")
    return Settings().with_data_dir(data)
