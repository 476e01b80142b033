"""Phone numbers as people read them: the vectorised column formatter agrees with the one-number one."""

from __future__ import annotations

import random

import polars as pl

from exports.display import phone_display, phone_display_series


def test_phone_display_series_formats_every_number_as_phone_display_does():
    rng = random.Random(18)
    numbers: list[str | None] = []
    for _ in range(20_000):  # German numbers of every length and leading digit, incl. a national 0
        n = rng.randint(2, 17)
        numbers.append("+49" + "".join(rng.choice("0123456789") for _ in range(n)))
    numbers += ["+43" + str(rng.randint(10**6, 10**10)) for _ in range(200)]  # another country: one by one
    numbers += ["+491711234567", "+4930123456", "+4989123456", None, "", "not a number", "+49", "+4917"]
    got = phone_display_series(pl.Series("phone", numbers, dtype=pl.String))
    assert got.name == "phone" and got.len() == len(numbers)
    assert got.to_list() == [phone_display(v) for v in numbers]
    assert phone_display_series(pl.Series([], dtype=pl.String)).len() == 0
