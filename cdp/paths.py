"""One path convention for every layer of the data directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    """Where each layer lives under the data directory (default ``./data``)."""

    root: Path

    @property
    def landing(self) -> Path:
        """Raw exports exactly as delivered: ``landing/<source>/<YYYY-MM-DD>/<file>``."""
        return self.root / "landing"

    @property
    def truth(self) -> Path:
        """The simulator's ground truth; the pipeline never reads it."""
        return self.root / "truth"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def staged(self) -> Path:
        return self.lake / "staged"

    @property
    def quarantine(self) -> Path:
        return self.lake / "quarantine"

    @property
    def canonical(self) -> Path:
        return self.lake / "canonical"

    @property
    def identity(self) -> Path:
        return self.lake / "identity"

    @property
    def load_log(self) -> Path:
        return self.lake / "load_log.parquet"

    @property
    def models(self) -> Path:
        """Trained Splink models (versioned JSON) and their term-frequency tables."""
        return self.root / "models"

    @property
    def overrides(self) -> Path:
        """Data stewards' must-link / cannot-link decisions."""
        return self.root / "overrides"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def privacy(self) -> Path:
        """Tombstones, restrictions and the audit log."""
        return self.root / "privacy"

    @property
    def duckdb(self) -> Path:
        return self.root / "cdp.duckdb"

    def canonical_table(self, name: str) -> Path:
        """Directory of one canonical table (``person_records``, ``contact_events``, ``consent_events``)."""
        return self.canonical / name
