"""How contact data is shown to people (console, agent-view export): one format everywhere."""

from __future__ import annotations

from functools import lru_cache

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
