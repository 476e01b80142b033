"""Keyed hashes of a person's identifiers, and matching records against them.

A tombstone never holds a plain identifier: every value is ``HMAC-SHA256(secret, kind:value)``
with ``settings.privacy.secret``, taken over the *standardised* value (identity's e-mail and
E.164 phone rules), so the same person delivered again in another spelling still matches.

Kinds and what they are used for (the matching rule, see :func:`match_person_records`):

* ``record_key``: ``<source>:<source_record_id>``; always suppresses the record and its events;
* ``name_dob``, ``name_email``, ``name_phone``: full standardised name plus one more identifier;
  suppress a *new* record of the same person (a new guest checkout, a new CRM contact);
* ``email``, ``phone``, ``erp_no``, ``card_no``: single identifiers; kept to answer "was this
  identifier erased?" and, for ``email``, to suppress person-less events (a newsletter sign-up
  without an account). They never suppress a person record on their own: a shared family
  e-mail or a wrong cross-reference must not erase somebody else.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import polars as pl

from cdp.config import Settings
from cdp.schema import schema
from cdp.standardise import standardise

#: Kinds that suppress a person record on their own.
RECORD_KINDS = ("record_key", "name_dob", "name_email", "name_phone")
#: Every kind a tombstone may hold.
KINDS = (*RECORD_KINDS, "email", "phone", "erp_no", "card_no")

#: Why a tombstone was written: ``cdp forget`` (every kind) or guest retention (``record_key``
#: of an expired guest checkout; it covers guest records only).
REASON_ERASURE = "erasure"
REASON_RETENTION = "retention"

TOMBSTONE = schema({
    "tombstone_id": pl.String,  # one per erasure or retention run (also in the audit log)
    "kind": pl.String,
    "hash": pl.String,  # HMAC-SHA256 hex of "<kind>:<standardised value>"
    "erased_at": pl.Datetime("us", "UTC"),
    "reason": pl.String,  # REASON_ERASURE or REASON_RETENTION
})


def keyed_hash(secret: str, kind: str, value: str) -> str:
    """HMAC-SHA256 (hex) of ``"<kind>:<value>"`` under ``secret``."""
    return hmac.new(secret.encode("utf-8"), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def hash_series(settings: Settings, kind: str, values: pl.Series) -> pl.Series:
    """Keyed hashes of a string column (nulls stay null); each distinct value is hashed once."""
    secret = settings.privacy.secret
    values = values.cast(pl.String)
    uniq = values.drop_nulls().unique()
    mapping = {v: keyed_hash(secret, kind, v) for v in uniq.to_list() if v != ""}
    return values.replace_strict(mapping, default=None, return_dtype=pl.String)


def standardised(records: pl.DataFrame) -> pl.DataFrame:
    """Identity's standardised matching fields for canonical person records (``cdp.schema``)."""
    return standardise(records)


def _name() -> pl.Expr:
    return pl.when(pl.col("first_name_std").is_not_null() & pl.col("last_name_std").is_not_null()) \
        .then(pl.concat_str(["first_name_std", "last_name_std"], separator=" "))


def _with(name: pl.Expr, other: pl.Expr) -> pl.Expr:
    return pl.when(name.is_not_null() & other.is_not_null()) \
        .then(pl.concat_str([name, other.cast(pl.String)], separator="|"))


def identifier_values(std: pl.DataFrame) -> pl.DataFrame:
    """Long frame ``record_key, kind, value`` of every identifier of standardised records."""
    name = _name()
    exprs = {
        "record_key": pl.col("record_key"),
        "email": pl.col("email_std"),
        "phone": pl.col("phone_e164"),
        "phone_mobile": pl.col("mobile_e164"),
        "erp_no": pl.col("erp_key"),
        "card_no": pl.col("bonus_key"),
        "name_dob": _with(name, pl.col("birth_date")),
        "name_email": _with(name, pl.col("email_std")),
        "name_phone": _with(name, pl.col("phone_e164")),
        "name_phone_mobile": _with(name, pl.col("mobile_e164")),
    }
    wide = std.select(pl.col("record_key").alias("_key"), *[e.alias(k) for k, e in exprs.items()])
    long = wide.unpivot(index="_key", variable_name="kind", value_name="value").drop_nulls("value")
    long = long.with_columns(pl.col("kind").str.replace(r"_mobile$", ""))
    return long.rename({"_key": "record_key"}).filter(pl.col("value") != "").unique()


def identifier_hashes(settings: Settings, std: pl.DataFrame) -> pl.DataFrame:
    """``record_key, kind, hash`` for every identifier of standardised records."""
    vals = identifier_values(std)
    parts = [g.with_columns(hash_series(settings, kind, g["value"]).alias("hash"))
             for (kind,), g in vals.group_by("kind")] if vals.height else []
    if not parts:
        return pl.DataFrame(schema={"record_key": pl.String, "kind": pl.String, "hash": pl.String})
    return pl.concat(parts).select("record_key", "kind", "hash")


def match_person_records(settings: Settings, std: pl.DataFrame, tombstones: pl.DataFrame) -> pl.Series:
    """Record keys of standardised records that a tombstone covers (by :data:`RECORD_KINDS`)."""
    if tombstones.height == 0 or std.height == 0:
        return pl.Series("record_key", [], pl.String)
    hashes = identifier_hashes(settings, std).filter(pl.col("kind").is_in(RECORD_KINDS))
    hit = hashes.join(tombstones.select("kind", "hash").unique(), on=["kind", "hash"], how="semi")
    return hit["record_key"].unique()


def covered_records(settings: Settings, records: pl.DataFrame, tombstones: pl.DataFrame) -> pl.Series:
    """Record keys of canonical person records (``cdp.schema`` columns) that a tombstone covers.

    Erasure tombstones by :func:`match_person_records` (standardised only when a tombstone of a
    name kind exists; the record key alone needs no standardising); retention tombstones cover
    the record key of a guest checkout (an expired guest record delivered again).
    """
    empty = pl.Series("record_key", [], pl.String)
    if tombstones.height == 0 or records.height == 0:
        return empty
    retention = tombstones.filter(pl.col("reason") == REASON_RETENTION)
    erasure = tombstones.filter(pl.col("reason") != REASON_RETENTION)
    hits = [empty]
    if erasure.filter(pl.col("kind").is_in(RECORD_KINDS)).height:
        if erasure.filter(pl.col("kind").is_in(RECORD_KINDS) & (pl.col("kind") != "record_key")).height:
            hits.append(match_person_records(settings, standardised(records), erasure))
        else:
            hits.append(_keys_in(settings, records["record_key"], hashes_of(erasure, "record_key")))
    if retention.height:
        guests = records.filter(pl.col("is_guest").fill_null(False))["record_key"]
        hits.append(_keys_in(settings, guests, hashes_of(retention, "record_key")))
    return pl.concat(hits).unique()


def _keys_in(settings: Settings, keys: pl.Series, hashes: set[str]) -> pl.Series:
    """The record keys whose keyed hash is in ``hashes``."""
    if not hashes or keys.len() == 0:
        return pl.Series("record_key", [], pl.String)
    keys = keys.cast(pl.String).rename("record_key")
    return keys.filter(hash_series(settings, "record_key", keys).is_in(list(hashes)).fill_null(False))


def hashes_of(tombstones: pl.DataFrame, kind: str) -> set[str]:
    """The set of tombstone hashes of one kind."""
    return set(tombstones.filter(pl.col("kind") == kind)["hash"].to_list())


_TOKEN = re.compile(r"[\w.+\-@]+")


def raw_tokens(raw: str | None) -> list[str]:
    """Candidate identifier values in a raw (quarantined) row: ids, numbers, e-mail addresses."""
    return _TOKEN.findall(raw or "")
