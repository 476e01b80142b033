"""Why a customer's source records were linked, in plain words (not match weights).

Built from ``identity_link.link_method`` and the scored identity edges between the customer's
records (``data/lake/identity/edges.parquet``: trusted-key rule, or the model's per-field
comparison levels). A spanning tree of the strongest edges is shown, so every record is
explained once.
"""

from __future__ import annotations

from typing import Any

SOURCE_NAMES = {"erp": "ERP", "crm": "CRM", "shop": "web shop", "bonus": "bonus program"}
RECORD_NAMES = {"erp": "ERP customer", "crm": "CRM contact", "shop": "shop account", "bonus": "bonus card"}

#: (comparison, model level label) -> words; levels not listed read "<comparison>: <label>".
LEVEL_WORDS = {
    ("name", "exact first and last"): "the same name",
    ("name", "first and last swapped"): "the same name (first and last name swapped)",
    ("name", "last exact, first name part or initials agree"): "the same last name and matching initials",
    ("name", "both similar (JW>=0.92)"): "a similar name",
    ("name", "last exact, first similar"): "the same last name and a similar first name",
    ("name", "first exact, last similar"): "the same first name and a similar last name",
    ("name", "first exact, last different"): "the same first name",
    ("name", "last exact, first different"): "the same last name",
    ("birth_date", "exact"): "the same birth date",
    ("birth_date", "one digit typo or transposition"): "a birth date one typo apart",
    ("birth_date", "day and month swapped"): "a birth date with day and month swapped",
    ("birth_date", "within a year"): "a birth date within a year",
    ("email", "exact"): "the same e-mail address",
    ("email", "same local part, other domain"): "the same e-mail name at another provider",
    ("email", "similar (JW>=0.9)"): "a similar e-mail address",
    ("phone", "same mobile"): "the same mobile number",
    ("phone", "same landline"): "the same phone number",
    ("address", "same street, number and postcode"): "the same address",
    ("address", "same postcode, street similar"): "the same postcode and a similar street",
    ("address", "same postcode"): "the same postcode",
    ("address", "same city"): "the same city",
    ("erp_key", "exact"): "the same ERP customer number",
    ("bonus_key", "exact"): "the same bonus card number",
}


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _src(record_key: str) -> str:
    return record_key.split(":", 1)[0]


def edge_reason(edge: dict[str, Any], levels: dict[tuple[str, int], str]) -> str:
    """One edge in words, e.g. "same e-mail address and birth date"."""
    method, rule = edge.get("link_method"), edge.get("rule")
    left, right = _src(edge["record_key_l"]), _src(edge["record_key_r"])
    if method == "must_link":
        return "confirmed by a data steward"
    if rule == "erp_customer_no":
        other = right if left == "erp" else left
        if "erp" in (left, right) and other != "erp":
            return f"linked by the ERP customer number stored in the {SOURCE_NAMES.get(other, other)}"
        return "linked by the same ERP customer number"
    if rule == "bonus_card_no":
        other = right if left == "bonus" else left
        if "bonus" in (left, right) and other != "bonus":
            return f"linked by the bonus card number stored in the {SOURCE_NAMES.get(other, other)}"
        return "linked by the same bonus card number"
    if rule == "email":
        return "the same e-mail address and first name"
    if rule:
        return f"the same {rule.replace('_', ' ')}"
    agreeing = []
    for comp in ("erp_key", "bonus_key", "email", "phone", "name", "birth_date", "address"):
        gamma, weight = edge.get(f"gamma_{comp}"), edge.get(f"mw_{comp}")
        if gamma is None or gamma < 0 or weight is None or weight <= 0:
            continue
        label = levels.get((comp, gamma))
        if label is None:
            continue
        agreeing.append((weight, LEVEL_WORDS.get((comp, label), f"{comp.replace('_', ' ')}: {label}")))
    agreeing.sort(key=lambda t: -t[0])
    words = [w for _, w in agreeing[:4]]
    return _join(words) if words else "similar details (matching model)"


def explain_links(records: list[dict[str, Any]], edges: list[dict[str, Any]],
                  levels: dict[tuple[str, int], str]) -> list[dict[str, Any]]:
    """Pick the strongest edges that connect all records (a spanning tree) and word them.

    Returns:
        ``[{"left": record_key, "right": record_key, "reason": str, "method": str,
        "match_probability": float | None}]``, trusted keys and steward decisions first.
    """
    keys = {r["record_key"] for r in records}
    parent = {k: k for k in keys}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def strength(e: dict[str, Any]) -> tuple:
        rank = {"must_link": 0, "deterministic": 1}.get(e.get("link_method") or "", 2)
        return (rank, -(e.get("match_probability") or 0.0), e["record_key_l"], e["record_key_r"])

    out = []
    for e in sorted(edges, key=strength):
        a, b = e["record_key_l"], e["record_key_r"]
        if a not in keys or b not in keys or find(a) == find(b):
            continue
        parent[find(a)] = find(b)
        out.append({"left": a, "right": b, "reason": edge_reason(e, levels),
                    "method": e.get("link_method"), "match_probability": e.get("match_probability")})
    # Records the edges do not reach (no edges delivered, steward overrides): say what we know.
    linked = {k for e in out for k in (e["left"], e["right"])}
    for r in records:
        if len(records) > 1 and r["record_key"] not in linked:
            method = r.get("link_method")
            reason = {"must_link": "confirmed by a data steward",
                      "deterministic": "linked by a trusted key (customer or card number, e-mail)",
                      "probabilistic": "linked by the matching model on similar details"}.get(
                method, "linked by identity resolution")
            out.append({"left": r["record_key"], "right": None, "reason": reason, "method": method,
                        "match_probability": r.get("match_probability")})
    return out


def confidence_words(p: float | None) -> str | None:
    """A match probability as words an agent can act on."""
    if p is None:
        return None
    if p >= 0.999:
        return "certain"
    if p >= 0.99:
        return "very likely"
    if p >= 0.95:
        return "likely"
    return "possible, check with the caller"
