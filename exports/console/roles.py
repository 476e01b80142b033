"""What each console role may see. The role is fixed when the server starts (``cdp serve --role``);
there is no per-request switch, so a link cannot widen what an agent sees.

* ``agent`` (default, call centre and stores): name, current contact points and address, the ids
  a caller quotes (customer and ERP numbers in full; bonus card numbers masked to the last 4
  digits), birth year only, consent with its evidence, the channel to use, lifecycle stage and
  value segment, open issues and the timeline (no amounts), the source records behind the
  golden record (source, id, name and town) and why they were linked in words. Not shown:
  full birth date, historic e-mails/phones/addresses, revenue/CLV, match probabilities.
* ``steward`` (data stewards, DPO): everything above unmasked, plus all known contact data,
  each source record's contact fields, match probabilities, revenue and CLV.
"""

from __future__ import annotations

from typing import Any

ROLES = ("agent", "steward")


def mask_card(number: str | None) -> str | None:
    """``2760100000017`` -> ``•••• 0017``."""
    if not number:
        return number
    return "•••• " + number[-4:]


class Role:
    """Field policy of one console role."""

    def __init__(self, name: str):
        if name not in ROLES:
            raise ValueError(f"console role {name!r}: choose one of {', '.join(ROLES)}")
        self.name = name
        self.full = name == "steward"

    def birth(self, value: Any) -> str | None:
        """The birth date as the role may see it (agent: the year only)."""
        if value is None:
            return None
        return value.isoformat() if self.full else f"{value.year} (year only)"

    def card(self, number: str | None) -> str | None:
        """A bonus card number (agent: last 4 digits)."""
        return number if self.full else mask_card(number)

    def record_id(self, source: str, record_id: str | None) -> str | None:
        """A source record id; card numbers are masked for agents."""
        return self.card(record_id) if source == "bonus" else record_id

    def record_key(self, record_key: str) -> str:
        """A record key ``source:id`` with the id masked as :meth:`record_id` does."""
        source, _, rid = record_key.partition(":")
        return f"{source}:{self.record_id(source, rid)}"
