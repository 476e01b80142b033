"""The console's roles and the view each one reads. The role is fixed when the server starts
(``cdp serve --role``, setting ``exports.console_role``); there is no per-request switch, so a
link cannot widen what an agent sees.

What a role may see is decided once, in SQL (``profiles/sql``), not here or in the templates:

* ``agent`` (default, call centre and stores): the ``agent_profile`` view (bonus card numbers
  masked, no birth date or year, no revenue/CLV/RFM, no match probabilities) and the
  ``agent_contact`` view for the timeline (no sources, amounts or ids); the agent-view export
  reads the same view.
* ``steward`` (data stewards, DPO): the ``steward_profile`` view (the golden record unmasked with
  its sources, all known contact data, the source records with their linkage evidence; no
  marketing scores, so no experience summary with its churn risk) and the whole
  ``contact_history``.

The profile page shows the fields of the role's view row that it knows how to lay out, and only
those: a column the view drops disappears from the page. The search list reads the same view
(``exports/sql/search_results.sql``), and its postcode / birth-year refinements filter it.
"""

from __future__ import annotations

#: role -> (profile view, contact view, experience view or None)
VIEWS: dict[str, tuple[str, str, str | None]] = {
    "agent": ("agent_profile", "agent_contact", "agent_experience"),
    "steward": ("steward_profile", "contact_history", None),
}
ROLES = tuple(VIEWS)


class Role:
    """One console role: its name and the views it reads."""

    def __init__(self, name: str):
        if name not in VIEWS:
            raise ValueError(f"console role {name!r}: choose one of {', '.join(ROLES)}")
        self.name = name
        self.profile_view, self.contact_view, self.experience_view = VIEWS[name]
