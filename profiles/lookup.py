"""Find customers by what a caller or analyst knows, and read one customer's 360° profile.

Lookups go through the indexed ``customer_lookup`` table built by ``profiles/sql/customer_lookup.sql``.
Its keys come from :mod:`cdp.standardise`, the one standardiser: e-mail and phone keys are the
build's standardised columns (``email_std``, ``phone_e164``), name keys are
:func:`cdp.standardise.name_key` of each name part (the build's ``src_name_key``); a query is
standardised here with the same functions.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import duckdb
import polars as pl

from cdp.standardise import email_std, name_key, phones_to_e164

# Which kind of match ranks first when one query matches several customers.
_KEY_PRIORITY = [
    "customer_id",
    "retired_customer_id",
    "erp_customer_no",
    "bonus_card_no",
    "record_key",
    "source_record_id",
    "email",
    "phone",
    "phone_digits",
    "name",
]
_PHONE_CHARS = re.compile(r"^[0-9+()\-/. ]+$")


@lru_cache(maxsize=1024)  # a console search keys its query twice (exact keys, fuzzy names)
def normalize_name(text: str) -> str:
    """A name as ``customer_lookup`` stores it (:func:`cdp.standardise.name_key`); ``""`` when
    nothing is left."""
    return pl.select(name_key(pl.lit(text, pl.String))).item() or ""


def phone_keys(text: str) -> list[str]:
    """Keys a phone query may be stored under: plain digits, and E.164 by the standardiser the
    build used for ``phone_e164`` / ``mobile_e164`` (:func:`cdp.standardise.phones_to_e164`)."""
    if not _PHONE_CHARS.match(text):
        return []
    digits = re.sub(r"\D", "", text)
    if len(digits) < 6:
        return []
    e164 = phones_to_e164(pl.Series([text], dtype=pl.String))[0]
    return list(dict.fromkeys([digits, *([e164] if e164 else [])]))


def email_key(text: str) -> str | None:
    """An e-mail query as the build stored ``email_std`` (:func:`cdp.standardise.email_std`)."""
    if "@" not in text:
        return None
    return pl.DataFrame({"email": [text]}).select(email_std())["email"][0]


def query_keys(query: str) -> list[str]:
    """All normalised keys a free-text query could match in ``customer_lookup``."""
    q = query.strip()
    if not q:
        return []
    keys = [q.lower(), *phone_keys(q)]
    email = email_key(q)
    if email:
        keys.append(email)
    name = normalize_name(q)
    if name:
        keys.append(name)
    return list(dict.fromkeys(keys))


def find_customers(con: duckdb.DuckDBPyConnection, query: str) -> list[str]:
    """Customer ids matching a customer id (also a retired one), e-mail, phone, name, ERP number or card number.

    Args:
        con: a connection to the profile database (``data/cdp.duckdb``, read-only is fine).
        query: what the user typed, e.g. ``C000000123``, ``anna@example.de``, ``030 1234567``,
            ``Anna Müller``, ``10004711``, ``2760000000001``.

    Returns:
        Distinct customer ids, best match kind first (ids before e-mail/phone before names).
    """
    keys = query_keys(query)
    if not keys:
        return []
    placeholders = ", ".join("?" for _ in keys)
    rows = con.execute(
        f"SELECT customer_id, key_type FROM customer_lookup WHERE key IN ({placeholders})", keys
    ).fetchall()
    best: dict[str, int] = {}
    for customer_id, key_type in rows:
        rank = _KEY_PRIORITY.index(key_type) if key_type in _KEY_PRIORITY else len(_KEY_PRIORITY)
        best[customer_id] = min(rank, best.get(customer_id, rank))
    return sorted(best, key=lambda c: (best[c], c))


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def read_profile(con: duckdb.DuckDBPyConnection, customer_id: str) -> dict[str, Any] | None:
    """One customer's 360° profile as the ``customer_360`` view defines it, with the consent and
    preferred-channel rows behind it (nothing is assembled here: the view is the one definition).

    Returns:
        ``{"customer": {...}, "consent": [...], "preferred_channel": [...]}`` or ``None`` when the
        customer id is unknown.
    """
    rows = _rows(con.execute("SELECT * FROM customer_360 WHERE customer_id = ?", [customer_id]))
    if not rows:
        return None
    consent = _rows(con.execute(
        "SELECT purpose, channel, contact_point, reachable, state, decided_at, source, method, evidence "
        "FROM consent WHERE customer_id = ? ORDER BY purpose, channel, point_key", [customer_id]))
    channels = _rows(con.execute(
        "SELECT purpose, channel, contact_point, reason, allowed_channels FROM preferred_channel "
        "WHERE customer_id = ? ORDER BY purpose", [customer_id]))
    return {"customer": rows[0], "consent": consent, "preferred_channel": channels}
