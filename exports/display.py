"""How contact data is shown to people (console, agent-view export): one format everywhere."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

import phonenumbers
import polars as pl
from phonenumbers.phonemetadata import PhoneMetadata


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


#: The country whose numbers :func:`phone_display_series` formats without a call per number.
_FAST_CC, _FAST_REGION = 49, "DE"


@cache
def _fast_rules() -> tuple[list[int], list[tuple[str, str, str]]]:
    """The possible national-number lengths and the ordered ``(leading digits, pattern, format)``
    of German numbers, from phonenumbers' own metadata (nothing re-typed here)."""
    meta = PhoneMetadata.metadata_for_region(_FAST_REGION)
    assert meta is not None, "phonenumbers ships German metadata"
    # possibility depends on the length alone (phonenumbers' _test_number_length): ask it per length
    lengths = [n for n in range(2, 18)
               if phonenumbers.is_possible_number(phonenumbers.parse(f"+{_FAST_CC}" + "2" * n, None))]
    formats: list[tuple[str, str, str]] = []
    for f in meta.intl_number_format or meta.number_format:
        lead = f.leading_digits_pattern[-1] if f.leading_digits_pattern else ""
        # phonenumbers writes groups as \1; polars as ${1}
        fmt = re.sub(r"\\(\d)", r"${\1}", (f.format or "").replace("$", "$$"))
        formats.append((lead, f.pattern or "", fmt))
    return lengths, formats


def phone_display_series(e164: pl.Series) -> pl.Series:
    """:func:`phone_display` for a whole column, with the same result for every value.

    German numbers (``+49`` and a national number not starting with 0, the form the
    standardiser stores) are formatted vectorised with phonenumbers' own German formatting
    rules, applied the way ``phonenumbers.format_number`` applies them (the first format whose
    leading digits match and whose pattern matches the whole number); every other value goes
    through :func:`phone_display`, once per distinct value.
    """
    lengths, formats = _fast_rules()
    s = e164.cast(pl.String)
    frame = s.to_frame("v").unique().filter(pl.col("v").is_not_null())
    v = pl.col("v")
    nsn = v.str.slice(len(f"+{_FAST_CC}"))
    fast = v.str.contains(rf"^\+{_FAST_CC}[1-9][0-9]*$") & nsn.str.len_chars().is_in(lengths)
    chosen: Any = None
    for i, (lead, pattern, _) in enumerate(formats):
        hit = nsn.str.contains(f"^(?:{pattern})$")
        if lead:
            hit = nsn.str.contains(f"^(?:{lead})") & hit
        chosen = pl.when(hit).then(i) if chosen is None else chosen.when(hit).then(i)
    frame = frame.with_columns(n=nsn, f=chosen.otherwise(-1) if chosen is not None else pl.lit(-1), fast=fast)
    # each number through its chosen format only (no format matched: the national number as is)
    parts = [frame.filter(~pl.col("fast")).with_columns(d=pl.lit(None, pl.String))]
    for key, part in frame.filter(pl.col("fast")).group_by("f"):
        i = int(key[0])
        body = pl.col("n") if i < 0 else pl.col("n").str.replace(f"^(?:{formats[i][1]})$", formats[i][2])
        parts.append(part.with_columns(d=pl.lit(f"+{_FAST_CC} ") + body))
    frame = pl.concat(parts).select("v", "d")
    slow = frame.filter(pl.col("d").is_null())["v"]
    frame = frame.with_columns(pl.when(pl.col("d").is_null()).then(
        pl.col("v").replace_strict(slow, [phone_display(x) for x in slow], default=None,
                                   return_dtype=pl.String)).otherwise(pl.col("d")).alias("d"))
    out = s.to_frame("v").join(frame, on="v", how="left", maintain_order="left")["d"]
    return out.alias(e164.name)


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
