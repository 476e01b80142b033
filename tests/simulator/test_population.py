"""The simulated population has Germany's width of names: a long surname tail, first names by birth
cohort, a quarter of names of other origins with their own letters, and the systems' spellings."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from simulator import names
from simulator.population import build_persons
from simulator.profiles import get_profile

N = 20_000
D0 = 1_740_960_000  # 2025-03-03
T0 = D0 - 6 * 365 * 86_400


def _persons(n: int, seed: int, profile: str = "realistic") -> pl.DataFrame:
    return build_persons(n, np.random.default_rng([seed, 1]), get_profile(profile), T0, D0, [])


@pytest.fixture(scope="module")
def persons() -> pl.DataFrame:
    return _persons(N, seed=7)


def test_surnames_have_a_long_tail_and_no_dominant_name(persons):
    counts = persons["last_name_old"].value_counts(sort=True)
    assert counts.height >= 2_000  # 244 surnames before
    assert counts["count"][0] / N < 0.02  # Müller is about 1 %
    top100 = counts["count"].head(100).sum() / N
    assert top100 < 0.35  # most people carry a name outside the hundred most common ones
    once = (counts["count"] == 1).sum()
    assert once >= 0.25 * counts.height  # a real tail: many surnames seen once in 20,000 people


def test_a_quarter_of_names_are_of_other_origins(persons):
    share = (persons["name_origin"] != "de").mean()
    assert 0.22 <= share <= 0.28
    origins = set(persons["name_origin"])
    assert {"tr", "pl", "ru", "ar", "it", "gr", "yu", "ro", "vn"} <= origins


def test_first_names_follow_the_birth_cohort(persons):
    year = persons["birth_days"] / 365.25 + 1970

    def top(lo, hi, gender):
        sel = persons.filter((year >= lo) & (year < hi) & (pl.col("gender") == gender)
                             & (pl.col("name_origin") == "de"))
        return set(sel["first_name"].value_counts(sort=True)["first_name"].head(10))

    for g in ("m", "f"):
        old, young = top(1950, 1960, g), top(1990, 2000, g)
        assert len(old & young) <= 2, (g, old & young)
    assert persons["first_name"].n_unique() >= 800


def test_own_letters_and_double_names_are_in_the_population(persons):
    text = "".join(persons["last_name_old"].to_list() + persons["first_name"].to_list())
    for letter in "şğıłśżćčđșễ":
        assert letter in text, letter
    last = persons.filter(pl.col("name_origin") == "de")["last_name_old"]
    assert last.str.contains(r"^\p{Lu}\p{Ll}+-\p{Lu}").mean() > 0.005  # Müller-Lüdenscheidt
    assert persons["first_name"].str.contains(r"^\p{Lu}\p{Ll}+-\p{Lu}").mean() > 0.02  # Anna-Lena


def test_polish_and_russian_surnames_take_the_female_form(persons):
    women = persons.filter((pl.col("gender") == "f") & pl.col("name_origin").is_in(["pl", "ru"]))
    assert women["last_name_old"].str.contains(r"(ska|cka|owa|ewa)$").sum() > 20
    assert not women["last_name_old"].str.contains(r"^(\S+ski|\S+ow)$").any()


def test_same_seed_same_population_other_seed_differs():
    a, b, c = _persons(2_000, 11), _persons(2_000, 11), _persons(2_000, 12)
    assert a.equals(b)
    assert not a["last_name_old"].equals(c["last_name_old"])


def test_vocabulary_is_built_without_randomness_of_the_run():
    names.origins.cache_clear()
    first = [(o.code, o.surnames.tolist(), o.surname_p.tolist()) for o in names.origins()]
    names.origins.cache_clear()
    second = [(o.code, o.surnames.tolist(), o.surname_p.tolist()) for o in names.origins()]
    assert first == second
    assert sum(len(o.surnames) for o in names.origins()) >= 10_000


def test_folding_keeps_what_a_system_can_store():
    def fold(kind, s):
        return pl.select(pl.lit(s).str.replace_many(*names.fold_map(kind))).item()

    assert fold("cp1252", "Şahin Öztürk Wiśniewski Łukasz José Šarić Čolić") == "Sahin Öztürk Wisniewski Lukasz José Šaric Colic"
    assert fold("german", "Şahin Öztürk Łukasz José") == "Sahin Öztürk Lukasz Jose"
    assert fold("ascii", "Müller Yılmaz Nguyễn") == "Mueller Yilmaz Nguyen"


def test_other_romanisations():
    assert "Ivanov" in names.romanisations("Iwanow", "ru")
    assert "Shevchenko" in names.romanisations("Schewtschenko", "ru")
    assert "Muhammad" in names.romanisations("Mohammed", "ar")
    assert names.romanisations("Müller", "de") == []


@pytest.mark.parametrize("persons", [10, 25, 60])
def test_tiny_populations_generate(tmp_path, persons):
    # a population too small for a common-name group (k = 0) used to crash build_persons
    from simulator import generate

    generate(persons=persons, seed=11, out=tmp_path / "landing", truth=tmp_path / "truth")
    assert any((tmp_path / "landing").rglob("*.*"))
