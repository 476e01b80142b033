"""Find customers by what a caller or analyst knows, and read one customer's 360° profile.

Lookups go through the indexed ``customer_lookup`` table built by ``profiles/sql/customer_lookup.sql``;
a query is normalised here exactly as the keys are normalised there.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import duckdb
import phonenumbers

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
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def normalize_name(text: str) -> str:
    """A name as ``customer_lookup`` stores it: lower case, umlauts spelled out, no punctuation."""
    s = text.lower().translate(_UMLAUTS)
    s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    s = re.sub(r"[^a-z0-9 -]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def phone_keys(text: str) -> list[str]:
    """Keys a phone query may be stored under: E.164 (German default region) and plain digits."""
    if not _PHONE_CHARS.match(text):
        return []
    digits = re.sub(r"\D", "", text)
    if len(digits) < 6:
        return []
    keys = [digits]
    try:
        parsed = phonenumbers.parse(text, "DE")
        if phonenumbers.is_possible_number(parsed):
            keys.append(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    except phonenumbers.NumberParseException:
        pass
    # The same rule as profiles/sql/_person_std_fallback.sql, for data without identity's E.164.
    raw = re.sub(r"[^0-9+]", "", text)
    if raw.startswith("+"):
        keys.append("+" + raw.replace("+", ""))
    elif raw.startswith("00"):
        keys.append("+" + raw[2:])
    elif raw.startswith("0"):
        keys.append("+49" + raw[1:])
    return list(dict.fromkeys(keys))


def query_keys(query: str) -> list[str]:
    """All normalised keys a free-text query could match in ``customer_lookup``."""
    q = query.strip()
    if not q:
        return []
    keys = [q.lower(), *phone_keys(q)]
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


def get_profile(con: duckdb.DuckDBPyConnection, customer_id: str) -> dict[str, Any] | None:
    """One customer's 360° profile: the ``customer_360`` row plus consent and channel rows.

    Reads the tables behind the ``customer_360`` view directly (each is sorted by customer_id),
    which is several times faster than filtering the view at a million customers; the result's
    ``customer`` dict has exactly the view's columns and values.

    Returns:
        ``{"customer": {...}, "consent": [...], "preferred_channel": [...]}`` or ``None`` when the
        customer id is unknown.
    """
    rows = _rows(con.execute("SELECT * FROM customer WHERE customer_id = ?", [customer_id]))
    if not rows:
        return None
    customer = rows[0]
    value = _rows(con.execute("SELECT * FROM customer_value WHERE customer_id = ?", [customer_id]))
    customer.update({k: v for k, v in (value[0] if value else {}).items() if k != "customer_id"})
    consent = _rows(con.execute(
        "SELECT purpose, channel, contact_point, reachable, state, decided_at, source, method, evidence "
        "FROM consent WHERE customer_id = ? ORDER BY purpose, channel, point_key", [customer_id]))
    channels = _rows(con.execute(
        "SELECT purpose, channel, contact_point, reason, allowed_channels FROM preferred_channel "
        "WHERE customer_id = ? ORDER BY purpose", [customer_id]))
    by_purpose = {r["purpose"]: r for r in channels}
    for purpose in ("marketing", "service"):
        r = by_purpose.get(purpose, {})
        customer[f"{purpose}_channel"] = r.get("channel")
        customer[f"{purpose}_contact_point"] = r.get("contact_point")
        customer[f"{purpose}_channel_reason"] = r.get("reason")
    customer["granted_consents"] = sorted({f"{r['purpose']}:{r['channel']}" for r in consent
                                           if r["state"] == "granted"})
    customer["withdrawn_consents"] = sorted({f"{r['purpose']}:{r['channel']}" for r in consent
                                             if r["state"] in ("withdrawn", "objection")})
    customer["objections"] = [r[0] for r in con.execute(
        "SELECT DISTINCT purpose FROM objection WHERE customer_id = ? AND active ORDER BY 1",
        [customer_id]).fetchall()]
    count, last = con.execute(
        "SELECT count(*), max(ts) FROM contact_history WHERE customer_id = ?", [customer_id]).fetchone()
    customer["contact_count"], customer["last_contact_at"] = count, last
    customer["recent_contacts"] = _rows(con.execute(
        "SELECT ts, source, channel, direction, type, summary, outcome, status, amount, contact_id "
        "FROM contact_history WHERE customer_id = ? ORDER BY ts DESC NULLS LAST, contact_id "
        "LIMIT (SELECT recent_contacts FROM profile_build)", [customer_id]))
    return {"customer": customer, "consent": consent, "preferred_channel": channels}
