"""Words for source systems, record kinds and link confidence on the profile page.

Why each record was linked comes worded from the profile database (``person_record.link_reason``,
the evidence identity wrote for the link) and, for model links, how sure in words
(``link_confidence``).
"""

from __future__ import annotations

SOURCE_NAMES = {"erp": "ERP", "crm": "CRM", "shop": "web shop", "bonus": "bonus program"}
RECORD_NAMES = {"erp": "ERP customer", "crm": "CRM contact", "shop": "shop account", "bonus": "bonus card"}
