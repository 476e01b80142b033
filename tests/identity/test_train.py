"""Term-frequency tables: a value's weight reflects other persons holding it, not its duplicates."""

import polars as pl
import pytest

from identity.model import TF_COLUMNS
from identity.train import records_per_person, tf_tables


def _frame(names: list[str]) -> pl.DataFrame:
    return pl.DataFrame({c: names if c == "full_name" else [None] * len(names) for c in TF_COLUMNS},
                        schema={c: pl.String for c in TF_COLUMNS})


def test_a_name_one_person_holds_twice_is_as_rare_as_a_name_held_once():
    """Two registers with every person once in each (FEBRL4): "anna weber" twice is one person,
    not a common name; "thomas mueller" held by three persons (six records) stays more common."""
    names = ["anna weber", "anna weber", "ole rask"] + ["thomas mueller"] * 6 + [f"p{i}" for i in range(91)]
    tf = tf_tables(_frame(names), per_person=2.0)["full_name"]
    get = dict(zip(tf["full_name"], tf["tf_full_name"], strict=True))
    assert get["anna weber"] == pytest.approx(get["ole rask"])
    assert get["thomas mueller"] == pytest.approx(5 / 100)  # the three persons' records less one own duplicate
    # without duplicates (per_person 1) the counts are Splink's: share of all records
    plain = dict(tf_tables(_frame(names))["full_name"].iter_rows())
    assert plain["anna weber"] == pytest.approx(2 / 100)


@pytest.mark.parametrize("prior, n, expected", [
    (1e-4, 10_000, 1.9999), (None, 10_000, 1.0), (0.5, 10_000, 10.0), (1e-4, 1, 1.0),
])
def test_records_per_person_from_the_prior(prior, n, expected):
    assert records_per_person(prior, n) == pytest.approx(expected)
