"""Which sources and entities exist: read from the data contracts, so a new source needs no Python."""

from __future__ import annotations

from pathlib import Path

from pipelines.contracts import load_contracts


def source_entities(directory: str | Path) -> dict[str, list[str]]:
    """Map each source in ``<directory>/*.yml`` to its entity names, in contract order."""

    return {source: [e.name for e in c.entities] for source, c in load_contracts(directory).items()}
