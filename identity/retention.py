"""Guest retention, applied after identity resolution: expired guest checkouts get tombstones.

The rule is data protection's (:mod:`privacy.retention`); this step feeds it this run's canonical
tables and identity links and writes what it decides to the privacy store. It runs after
``identity.resolve`` and before the profile build, so the flow points one way: canonical →
identity → retention → profiles. The profile build of the same run leaves the tombstoned
records out; ingestion and the canonical build drop them from the next run on (like an erased
person's records), so they never come back.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from cdp.config import Settings
from cdp.lake import read_table
from cdp.schema import CANONICAL_TABLES
from identity.io import output_path
from pipelines.contracts import contracts_of
from privacy import identifiers as ids
from privacy import store
from privacy.retention import expired_guest_keys, guest_retention_days, retention_tombstones

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Expiry:
    """What one retention step did (counts only, no record keys)."""

    expired: int  # guest records past retention and never linked to a registered customer
    tombstoned: int  # new retention tombstones written (expired records not tombstoned before)
    tombstone_id: str | None


def expire_guests(settings: Settings) -> Expiry:
    """Tombstone the guest checkouts that passed their source's retention period and that this
    run's identity links to no registered customer.

    Reads the canonical tables and ``data/lake/identity/identity_link.parquet``; appends one
    tombstone per newly expired record to ``data/privacy/tombstones.parquet`` (reason
    ``retention``) and one ``retention`` entry to the audit log.
    """
    tables = {t: read_table(settings.paths.canonical_table(t), schema) for t, schema in CANONICAL_TABLES.items()}
    days = guest_retention_days(settings, {s: c.guest_retention_days for s, c in contracts_of(settings).items()})
    link_file = output_path(settings, "identity_link")
    links = pl.scan_parquet(link_file) if link_file.is_file() else None
    expired = expired_guest_keys(settings, tables, days, links)
    if expired.len() == 0:
        return Expiry(0, 0, None)
    tombstone_id = uuid.uuid4().hex
    rows = retention_tombstones(settings, expired, store.read_tombstones(settings), tombstone_id, datetime.now(UTC))
    if rows.height:
        store.append(settings, "tombstones.parquet", ids.TOMBSTONE, rows)
        store.audit(settings, "retention", None, "guest checkout past its retention period, never linked to a "
                    "registered customer", "cdp", {"tombstone_id": tombstone_id, "records": rows.height})
    log.info("retention: %d guest checkouts expired, %d new tombstones", expired.len(), rows.height)
    return Expiry(expired.len(), rows.height, tombstone_id if rows.height else None)
