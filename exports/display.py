"""How contact data is shown to people (console, agent-view export): one format everywhere."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

import phonenumbers


@lru_cache(maxsize=65536)
def phone_display(e164: str | None) -> str | None:
    """A stored E.164 number in the international display format: ``+49 171 3385319``.

    The stored value (``+491713385319``) is what systems dial and match on; this is what people
    read and type. A value that is not a valid number is returned as stored.
    """
    if not e164:
        return e164
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if not phonenumbers.is_possible_number(number):
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def de_date(v: Any, time: bool = False) -> str:
    """``TT.MM.JJJJ`` (``TT.MM.JJJJ HH:MM`` with time); '–' for nothing."""
    if v is None or v == "":
        return "–"
    if isinstance(v, str):
        try:
            v = datetime.fromisoformat(v) if "T" in v or " " in v else date.fromisoformat(v)
        except ValueError:
            return v
    if isinstance(v, datetime):
        return v.strftime("%d.%m.%Y %H:%M" if time else "%d.%m.%Y")
    if isinstance(v, date):
        return v.strftime("%d.%m.%Y")
    return str(v)


def de_money(v: Any) -> str:
    if v is None:
        return "–"
    return f"{float(v):,.2f} €".replace(",", "X").replace(".", ",").replace("X", ".")
