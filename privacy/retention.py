"""Retention: guest checkouts nobody registered behind are dropped after a configured period.

The period is per source, in the contract (``retention: {guest_days: 730}`` at the top of
``data_contracts/<source>.yml``), falling back to ``settings.privacy.guest_retention_days``
(0 or negative: keep forever). A guest record expires when its last activity (the newest of
``updated_at``, ``created_at`` and its contact and consent events) is older than the period
before the reference date (``settings.privacy.retention_as_of``: ``today``, a date, or by default
the newest event in the data) and it was never linked to a registered customer: this run's
identity links put no non-guest record into its cluster, and no non-guest record has its
e-mail address.

The step that applies the rule runs after identity (``identity.retention.expire_guests``): it
writes one retention tombstone per expired record (the keyed hash of its record key, reason
``retention``; :func:`retention_tombstones`). The profile build of the same run leaves the
tombstoned records out (:func:`privacy.hooks.expired_records_table`), and from the next run on
ingestion and the canonical build drop them like an erased person's (``privacy.suppression``),
so a guest checkout delivered again stays expired.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import polars as pl

from cdp.config import Settings
from cdp.standardise import email_std
from privacy.identifiers import REASON_RETENTION, TOMBSTONE, covered_records, hash_series

log = logging.getLogger(__name__)


def guest_retention_days(settings: Settings, configured: Mapping[str, int | None]) -> dict[str, int]:
    """Guest retention in days per source: the contract's ``retention.guest_days``
    (``configured``, by source) or ``privacy.guest_retention_days``."""
    default = settings.privacy.guest_retention_days
    return {source: default if days is None else days for source, days in configured.items()}


def reference_time(settings: Settings, tables: Mapping[str, pl.DataFrame | pl.LazyFrame]) -> datetime:
    """The instant retention counts back from.

    ``privacy.retention_as_of``: ``today`` (the wall clock; use this in production), an ISO date,
    or empty: the newest contact or consent event in the data (as profiles' ``as_of``), so a
    replayed or simulated history expires as it would have on its own last day.
    """
    as_of = settings.privacy.retention_as_of.strip().lower()
    if as_of == "today":
        return datetime.now(UTC)
    if as_of:
        t = datetime.fromisoformat(as_of)
        return t if t.tzinfo else t.replace(tzinfo=UTC)
    latest = pl.concat([tables[t].lazy().select(pl.col("ts").max())
                        for t in ("contact_events", "consent_events")]).collect()["ts"].drop_nulls()
    if not latest.len():
        return datetime.now(UTC)
    newest = latest.max()
    assert isinstance(newest, datetime)
    return newest


def expired_guest_keys(settings: Settings, tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
                       retention_days: Mapping[str, int], links: pl.LazyFrame | None) -> pl.Series:
    """Record keys of guest checkouts past their source's retention period and never linked.

    Args:
        settings: the CDP settings (reference date).
        tables: the canonical tables, as frames or lazy frames; only guest records and their
            activity are collected.
        retention_days: guest retention per source (:func:`guest_retention_days`).
        links: this run's identity links (``record_key``, ``customer_id``); None before identity
            ever ran (then only the e-mail rule links a guest to a registered customer).
    """
    lazy = {k: v.lazy() for k, v in tables.items()}
    people = lazy["person_records"]
    empty = pl.Series("record_key", [], pl.String)
    days = {s: d for s, d in retention_days.items() if d > 0}
    if not days:
        return empty
    guests = people.filter(pl.col("is_guest").fill_null(False)) \
        .select("record_key", "source_system", "updated_at", "created_at").collect()
    if guests.height == 0:
        return empty
    now = reference_time(settings, lazy)
    limits = pl.DataFrame({"source_system": list(days),
                           "_cutoff": [now - timedelta(days=d) for d in days.values()]},
                          schema={"source_system": pl.String, "_cutoff": pl.Datetime("us", "UTC")})
    g = guests.join(limits, on="source_system", how="inner")
    activity = pl.concat([
        lazy[t].select(pl.col("person_record_key").alias("record_key"), "ts")
        for t in ("contact_events", "consent_events")
    ]).join(g.lazy().select("record_key"), on="record_key", how="semi") \
        .group_by("record_key").agg(pl.col("ts").max().alias("_last_event")).collect()
    g = g.join(activity, on="record_key", how="left")
    g = g.with_columns(pl.max_horizontal("updated_at", "created_at", "_last_event").alias("_last"))
    old = g.filter(pl.col("_last").is_null() | (pl.col("_last") < pl.col("_cutoff")))
    if old.height == 0:
        return empty
    linked = _linked_to_registered(people, links, old["record_key"])
    expired = old.filter(~pl.col("record_key").is_in(linked.implode()))["record_key"]
    if expired.len():
        log.info("retention: %d guest checkout records expired", expired.len())
    return expired


def _linked_to_registered(people: pl.LazyFrame, links: pl.LazyFrame | None, candidates: pl.Series) -> pl.Series:
    """Candidate guest record keys that share a cluster or an e-mail address with a non-guest record."""
    parts = []
    flags = people.select("record_key", pl.col("is_guest").fill_null(False))
    cand = pl.LazyFrame({"record_key": candidates.cast(pl.String)})
    if links is not None:
        link = links.select("record_key", "customer_id").join(flags, on="record_key")
        registered = link.filter(~pl.col("is_guest")).select("customer_id").unique()
        parts.append(link.filter(pl.col("is_guest")).join(cand, on="record_key", how="semi")
                     .join(registered, on="customer_id", how="semi").select("record_key").collect()["record_key"])
    mails = people.select("record_key", pl.col("is_guest").fill_null(False), email_std().alias("e"))
    reg_mails = mails.filter(~pl.col("is_guest") & pl.col("e").is_not_null()).select("e").unique()
    parts.append(mails.filter(pl.col("is_guest")).join(cand, on="record_key", how="semi")
                 .join(reg_mails, on="e", how="semi").select("record_key").collect()["record_key"])
    return pl.concat(parts).unique()


def retention_tombstones(settings: Settings, expired: pl.Series, tombstones: pl.DataFrame,
                         tombstone_id: str, at: datetime) -> pl.DataFrame:
    """Tombstone rows (``privacy.identifiers.TOMBSTONE``) for expired guest record keys: the keyed
    hash of each record key, reason ``retention``; keys a retention tombstone covers already are
    left out, so a re-run writes nothing twice."""
    keys = expired.cast(pl.String).unique().sort()
    done = tombstones.filter((pl.col("reason") == REASON_RETENTION) & (pl.col("kind") == "record_key"))["hash"]
    hashes = hash_series(settings, "record_key", keys)
    new = hashes.filter(~hashes.is_in(done.implode()))
    return pl.DataFrame({"tombstone_id": tombstone_id, "kind": "record_key", "hash": new, "erased_at": at,
                         "reason": REASON_RETENTION}, schema=TOMBSTONE)


def expired_records(settings: Settings, guests: pl.DataFrame, tombstones: pl.DataFrame) -> pl.Series:
    """Record keys among ``guests`` (``record_key``, ``is_guest``) that a retention tombstone covers:
    what the profile build leaves out in the run that wrote the tombstones."""
    return covered_records(settings, guests, tombstones.filter(pl.col("reason") == REASON_RETENTION))
