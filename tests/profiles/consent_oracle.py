"""A plain-Python statement of the consent rule, to check the SQL against (issue 16).

For one contact point of a customer (channel + point key, held by some person records), an
event of the same customer and purpose applies when its channel is the point's channel or
``all`` and
* it names this contact point (scope ``contact_point``), or
* it names none (scope ``all`` / ``unknown``) and is a withdrawal or objection, or
* it names none, is a grant, and was recorded against a person record that holds the point.
A withdrawal or objection of *any* customer (or of a record identity could not place) also
applies when it names the point, or names none and its record holds the point.
The latest applicable event decides; at equal times objection beats withdrawn beats granted.
"""

from __future__ import annotations

from collections import defaultdict

RESTRICTIVE = {"objection": 0, "withdrawn": 1, "granted": 2}


def applies(event: dict, channel: str, point_key: str | None, record_keys: list[str]) -> bool:
    if event["channel"] not in (channel, "all"):
        return False
    if event["scope"] == "contact_point":
        return event["point_key"] == point_key
    if event["status"] != "granted":
        return True
    return point_key is None or event["person_record_key"] in record_keys


def applies_anywhere(event: dict, channel: str, point_key: str | None,
                     holders: dict[tuple, set[str]]) -> bool:
    """A withdrawal or objection that covers this contact point wherever it is held."""
    if event["status"] == "granted" or event["channel"] not in (channel, "all") or point_key is None:
        return False
    if event["scope"] == "contact_point":
        return event["point_key"] == point_key
    return event["person_record_key"] in holders.get((channel, point_key), set())


def expected_states(points: list[dict], events: list[dict]) -> dict[tuple, str]:
    """(customer_id, purpose, channel, point_key) -> state for every point x purpose with events.

    ``events`` may include events whose ``customer_id`` is None (record not placed by identity).
    """
    by_customer = defaultdict(list)
    for e in events:
        by_customer[e["customer_id"]].append(e)
    holders: dict[tuple, set[str]] = defaultdict(set)
    for p in points:
        holders[(p["channel"], p["point_key"])].update(p["record_keys"])
    out = {}
    for p in points:
        for purpose in {e["purpose"] for e in events}:
            hits = [e for e in events if e["purpose"] == purpose and (
                (e["customer_id"] == p["customer_id"]
                 and applies(e, p["channel"], p["point_key"], p["record_keys"]))
                or applies_anywhere(e, p["channel"], p["point_key"], holders))]
            if not hits:
                continue
            best = min(hits, key=lambda e: (-e["ts"].timestamp(), RESTRICTIVE[e["status"]], e["key"]))
            out[(p["customer_id"], purpose, p["channel"], p["point_key"])] = best["status"]
    return out
