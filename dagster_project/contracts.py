"""Which sources and entities exist: read from the data contracts, so a new source needs no Python."""

from __future__ import annotations

from pathlib import Path

from cdp.config import Settings
from pipelines.contracts import load_contracts


def contracts_dir(settings: Settings) -> Path:
    """The contracts directory of ``settings``; a relative path that does not exist in the
    working directory is taken relative to the repository (so ``dagster dev`` works anywhere)."""
    configured = Path(settings.ingest.contracts_dir)
    if configured.is_absolute() or configured.is_dir():
        return configured
    return Path(__file__).resolve().parents[1] / configured


def source_entities(directory: str | Path) -> dict[str, list[str]]:
    """Map each source in ``<directory>/*.yml`` to its entity names, in contract order."""

    return {source: [e.name for e in c.entities] for source, c in load_contracts(directory).items()}
