"""Words for source systems, record kinds and link confidence on the profile page.

Why each record was linked comes worded from the profile database (``person_record.link_reason``,
the details a record shares with the closest other record of the customer).
"""

from __future__ import annotations

SOURCE_NAMES = {"erp": "ERP", "crm": "CRM", "shop": "web shop", "bonus": "bonus program"}
RECORD_NAMES = {"erp": "ERP customer", "crm": "CRM contact", "shop": "shop account", "bonus": "bonus card"}


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
