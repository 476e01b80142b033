"""Keeping tombstoned records out: suppression at ingestion and in the canonical build.

The source systems keep delivering their full exports, erased persons and expired guest
checkouts included. Ingestion calls :func:`suppress_rows` for every file before it writes staged
and quarantined rows: rows a tombstone covers (an erased person's; an expired guest checkout's,
see :mod:`privacy.retention`) are dropped and counted as ``rows_suppressed`` in the load log
(read = staged + quarantined + suppressed). :func:`filter_canonical` applies the same rule once
more to the canonical tables (for staged rows loaded before the tombstone was written).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import polars as pl

from cdp.config import Settings
from cdp.schema import PERSON_RECORD, Source, conform
from cdp.standardise import email_std
from privacy import identifiers as ids
from privacy.store import read_tombstones

log = logging.getLogger(__name__)

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

#: The stage's mapping of one file's staged rows to canonical tables (``{table: frame}``).
ToCanonical = Callable[[pl.DataFrame], Mapping[str, pl.DataFrame]]


def _email_std(values: pl.Series) -> pl.Series:
    return pl.DataFrame({"email": values.cast(pl.String)}).select(email_std())["email"] \
        if values.len() else values.cast(pl.String)


def staged_rows_to_drop(settings: Settings, to_canonical: ToCanonical, staged: pl.DataFrame,
                        tombstones: pl.DataFrame) -> pl.Series:
    """``_row_number`` of staged rows of one file that a tombstone covers.

    Person rows match by :func:`privacy.identifiers.covered_records`; event rows when
    their person record key is tombstoned, or when they name no person record but carry an
    erased e-mail address (a newsletter sign-up without an account).
    """
    drop: list[pl.Series] = []
    keys = ids.hashes_of(tombstones, "record_key")
    emails = ids.hashes_of(tombstones, "email")
    canonical = to_canonical(staged)
    for table, can in canonical.items():
        if can.height == 0:
            continue
        if table == "person_records":
            hit = ids.covered_records(settings, conform(can, PERSON_RECORD), tombstones)
            drop.append(can.filter(pl.col("record_key").is_in(hit.implode()))["_row_number"])
        elif keys:
            h = ids.hash_series(settings, "record_key", can["person_record_key"])
            drop.append(can.filter(h.is_in(list(keys)).fill_null(False))["_row_number"])
    email_cols = [c for c, t in staged.schema.items()
                  if "email" in c and "verified" not in c and t == pl.String]
    if emails and email_cols and "person_records" not in canonical:
        for can in canonical.values():
            orphan = staged.join(can.filter(pl.col("person_record_key").is_null())
                                 .select("_row_number"), on="_row_number", how="semi") \
                if "person_record_key" in can.columns else staged.head(0)
            for c in email_cols:
                h = ids.hash_series(settings, "email", _email_std(orphan[c]))
                drop.append(orphan.filter(h.is_in(list(emails)).fill_null(False))["_row_number"])
    if not drop:
        return pl.Series("_row_number", [], pl.Int64)
    return pl.concat(drop).unique()


def quarantined_rows_to_drop(settings: Settings, source: str, quarantined: pl.DataFrame,
                             tombstones: pl.DataFrame) -> pl.Series:
    """Row positions of quarantined rows whose raw text holds an erased record id or e-mail.

    Quarantined rows failed parsing, so they are matched on the tokens of their raw text: each
    token as ``<source>:<token>`` against record-key hashes (for the file's own source and every
    other known source: a survey answer names the CRM contact or shop account it was sent to),
    each token with an ``@`` as a standardised e-mail against e-mail hashes.
    """
    keys = ids.hashes_of(tombstones, "record_key")
    emails = ids.hashes_of(tombstones, "email")
    if quarantined.height == 0 or not (keys or emails):
        return pl.Series("idx", [], pl.UInt32)
    tok = quarantined.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("idx"),
                             pl.col("_raw").map_elements(ids.raw_tokens, return_dtype=pl.List(pl.String))
                             .alias("tok")).explode("tok").drop_nulls("tok")
    by_key = [tok["idx"].filter(ids.hash_series(settings, "record_key", tok["tok"].str.replace(r"^", f"{src}:"))
                                .is_in(list(keys)).fill_null(False))
              for src in dict.fromkeys([source, *(s.value for s in Source)])]
    mail = tok["tok"].str.contains("@")
    by_mail = ids.hash_series(settings, "email", _email_std(tok["tok"].filter(mail)))
    hits = pl.concat([*by_key, tok["idx"].filter(mail).filter(by_mail.is_in(list(emails)).fill_null(False))])
    return hits.unique()


def suppress_rows(settings: Settings, source: str, to_canonical: ToCanonical,
                  staged: pl.DataFrame, quarantined: pl.DataFrame
                  ) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Ingestion hook: drop the rows of erased persons from one file's staged and quarantined rows.

    ``to_canonical`` is the calling stage's mapping of staged rows to canonical tables (only
    called when tombstones exist).

    Returns:
        ``(staged, quarantined, rows_suppressed)``.
    """
    tombstones = read_tombstones(settings)
    if tombstones.height == 0:
        return staged, quarantined, 0
    drop = staged_rows_to_drop(settings, to_canonical, staged, tombstones)
    q_drop = quarantined_rows_to_drop(settings, source, quarantined, tombstones)
    n = len(drop) + len(q_drop)
    if n:
        staged = staged.filter(~pl.col("_row_number").is_in(drop.implode()))
        quarantined = quarantined.with_row_index("_i").filter(
            ~pl.col("_i").is_in(q_drop.implode())).drop("_i")
        log.info("%s: %d rows of erased persons suppressed", source, n)
    return staged, quarantined, n


def filter_canonical(settings: Settings, tables: dict[str, Frame]) -> dict[str, Frame]:
    """Canonical-build hook: drop the records tombstones cover (erased persons, expired guest
    checkouts), with their events.

    ``tables`` holds the three canonical tables as frames or lazy frames; the result has the
    same kind. With lazy frames nothing is held in memory but the keys to drop: the rows are
    filtered as the caller streams them.
    """
    drop = canonical_drop_keys(settings, tables)
    if drop.people.len() == 0 and drop.events.len() == 0:
        return tables
    out = {"person_records": tables["person_records"].filter(
        ~pl.col("record_key").is_in(drop.people.implode()))}
    for name in ("contact_events", "consent_events"):
        out[name] = tables[name].filter(
            ~pl.col("person_record_key").is_in(drop.events.implode()).fill_null(False))
    return out


@dataclass(frozen=True)
class DropKeys:
    """Record keys the canonical build drops: person records, and events by ``person_record_key``."""

    people: pl.Series
    events: pl.Series


def canonical_drop_keys(settings: Settings, tables: dict[str, Frame]) -> DropKeys:
    """The record keys to drop from the canonical tables (erased persons, expired guests).

    People: records a tombstone covers (:func:`privacy.identifiers.covered_records`). Events:
    those keys, plus any ``person_record_key`` whose own keyed hash is tombstoned (a person
    record already scrubbed from the staged layer); only keys that name no current person
    record are hashed for that.
    """
    lazy = {k: v.lazy() for k, v in tables.items()}
    tombstones = read_tombstones(settings)
    drop = _erased_people(settings, lazy["person_records"], tombstones)
    orphans = _erased_orphan_keys(settings, lazy, tombstones)
    events = pl.concat([drop, orphans]).unique()
    if drop.len() or orphans.len():
        log.info("canonical: %d person records a tombstone covers (erased persons, expired guest "
                 "checkouts) dropped, with their events", drop.len())
    return DropKeys(drop, events)


def _erased_people(settings: Settings, people: pl.LazyFrame, tombstones: pl.DataFrame,
                   batch: int = 500_000) -> pl.Series:
    """Record keys of person records a tombstone covers, in batches of rows."""
    if not tombstones.filter(pl.col("kind").is_in(ids.RECORD_KINDS)).height:
        return pl.Series("record_key", [], pl.String)
    if not tombstones.filter((pl.col("reason") != ids.REASON_RETENTION) & (pl.col("kind") != "record_key")).height:
        # record keys alone decide: two narrow columns suffice, no standardising
        people = people.select("record_key", "is_guest")
    n = people.select(pl.len()).collect().item()
    hits = [pl.Series("record_key", [], pl.String)]
    for offset in range(0, n, batch):
        part = people.slice(offset, batch).collect()
        part = conform(part, PERSON_RECORD) if "first_name" in part.columns else part
        hits.append(ids.covered_records(settings, part, tombstones))
    return pl.concat(hits).unique()


def _erased_orphan_keys(settings: Settings, tables: dict[str, pl.LazyFrame],
                        tombstones: pl.DataFrame) -> pl.Series:
    """Events' ``person_record_key`` values with no current person record, whose hash is tombstoned."""
    keys = ids.hashes_of(tombstones, "record_key")
    if not keys:
        return pl.Series("person_record_key", [], pl.String)
    people = tables["person_records"].select("record_key")
    refs = pl.concat([tables[t].select("person_record_key") for t in ("contact_events", "consent_events")]) \
        .drop_nulls().unique().join(people, left_on="person_record_key", right_on="record_key", how="anti") \
        .collect()["person_record_key"]
    return refs.filter(ids.hash_series(settings, "record_key", refs).is_in(list(keys)).fill_null(False))
