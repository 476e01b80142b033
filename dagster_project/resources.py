"""Resources: the CDP settings (data directory) and the DuckDB profile database."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from cdp.config import Settings, load_settings


class CdpSettingsResource(dg.ConfigurableResource):
    """The one :class:`cdp.config.Settings` object; the data directory and every stage's section.

    With no fields set, settings load like the ``cdp`` CLI does (``cdp.toml``, ``CDP_*``).
    ``cdp run`` passes its complete settings as ``settings_json`` so the run sees exactly them.
    """

    data_dir: str | None = None
    config_file: str | None = None
    settings_json: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> CdpSettingsResource:
        """A resource that reproduces ``settings`` exactly, whatever the environment says."""
        return cls(settings_json=json.dumps(dataclasses.asdict(settings), default=str))

    def get(self) -> Settings:
        """Build the settings object."""
        if self.settings_json:
            return load_settings(config_file=self.config_file, env={}, **json.loads(self.settings_json))
        overrides: dict[str, Any] = {"data_dir": self.data_dir} if self.data_dir else {}
        return load_settings(self.config_file, **overrides)


class DuckDBResource(dg.ConfigurableResource):
    """The profile database ``data/cdp.duckdb``.

    Only ``profiles.build.build_profiles`` writes it (into a new file, renamed over the old one);
    assets and checks here read it through :meth:`connect`.
    """

    cdp: CdpSettingsResource

    def path(self) -> Path:
        return self.cdp.get().paths.duckdb

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the current profile database."""
        path = self.path()
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no profile database yet; materialise the profiles first")
        con = duckdb.connect(str(path), read_only=True)
        try:
            yield con
        finally:
            con.close()
