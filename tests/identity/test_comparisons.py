"""The e-mail comparison's levels on real address pairs (the SQL Splink runs, evaluated in DuckDB)."""

import duckdb
import polars as pl
import pytest

from cdp.schema import PERSON_RECORD, conform
from cdp.standardise import standardise
from identity.model import (
    EMAIL_DIFFERENT,
    EMAIL_EXACT,
    EMAIL_MAILBOX,
    EMAIL_TAG,
    INDEPENDENT_EVIDENCE,
    comparisons,
    splink_input,
)


def _email_gamma(a: str, b: str) -> int:
    comp = next(c.get_comparison("duckdb") for c in comparisons()
                if c.get_comparison("duckdb").output_column_name == "email")
    levels = comp.as_dict()["comparison_levels"]
    std = standardise(conform(pl.DataFrame({"record_key": ["crm:1", "shop:2"], "source_system": ["crm", "shop"],
                                            "source_record_id": ["1", "2"], "email": [a, b]}), PERSON_RECORD))
    cols = ["email_std", "email_mailbox", "email_local"]
    row = {f"{c}_l": std[c][0] for c in cols} | {f"{c}_r": std[c][1] for c in cols}
    con = duckdb.connect()
    con.register("p", pl.DataFrame([row]).to_arrow())
    gamma = len(levels) - 2  # levels run from "null" (-1) and the best (n - 2) down to "else" (0)
    for lvl in levels:
        cond = lvl["sql_condition"]
        hit = cond == "ELSE" or con.sql(f"SELECT coalesce(({cond}), false) FROM p").fetchall()[0][0]
        if hit:
            return -1 if lvl.get("is_null_level") else gamma
        if not lvl.get("is_null_level"):
            gamma -= 1
    raise AssertionError("no level matched")


@pytest.mark.parametrize("a, b, expected", [
    ("Weber48@Hotmail.de ", "weber48@hotmail.de", EMAIL_EXACT),
    ("thomas.kaiser@gmail.com", "thomaskaiser@gmail.com", EMAIL_MAILBOX),
    # a +tag at a provider that documents no plus-addressing: one mailbox, a level of its own
    ("d.weber@t-online.de", "d.weber+shop@t-online.de", EMAIL_TAG),
    ("ralf.becker@gmx.de", "ralf.becker@web.de", EMAIL_TAG - 1),  # same local part, other provider
    # a second shop account: the same local part plus a number, at another provider
    ("weber48@hotmail.de", "weber48.44@gmx.de", EMAIL_TAG - 2),
    ("schmidt93@web.de", "schmidt93.31+shop@gmx.de", EMAIL_TAG - 2),
    # a parent's and a child's own mailboxes say they are two people
    ("mueller.laura@yahoo.de", "mueller45@gmail.com", EMAIL_DIFFERENT),
    ("giulia.vetter69@freenet.de", "giulia_vetter@hotmail.de", EMAIL_DIFFERENT),
    # digits without a separator (a provider's collision number): only "similar", below the
    # second-account level
    ("hans.mueller@gmx.de", "hans.mueller42@web.de", EMAIL_DIFFERENT + 1),
    # two numbered mailboxes of one stem are two accounts (merged two people when "similar")
    ("name60@gmx.de", "name81@gmx.de", EMAIL_DIFFERENT),
])
def test_email_levels(a, b, expected):
    assert _email_gamma(a, b) == expected


def _level(comparison: str, a: dict, b: dict) -> tuple[int, str]:
    """(gamma, label) of the level two person records reach in one comparison."""
    comp = next(c.get_comparison("duckdb") for c in comparisons()
                if c.get_comparison("duckdb").output_column_name == comparison)
    levels = comp.as_dict()["comparison_levels"]
    recs = pl.DataFrame([{"record_key": "crm:1", "source_system": "crm", "source_record_id": "1"} | a,
                         {"record_key": "shop:2", "source_system": "shop", "source_record_id": "2"} | b])
    std = splink_input(standardise(conform(recs, PERSON_RECORD)))
    row = {f"{c}_l": std[c][0] for c in std.columns} | {f"{c}_r": std[c][1] for c in std.columns}
    con = duckdb.connect()
    con.register("p", pl.DataFrame([row]).to_arrow())
    gamma = len(levels) - 2
    for lvl in levels:
        cond = lvl["sql_condition"]
        if cond == "ELSE" or con.sql(f"SELECT coalesce(({cond}), false) FROM p").fetchall()[0][0]:
            return (-1 if lvl.get("is_null_level") else gamma), lvl.get("label_for_charts", "")
        if not lvl.get("is_null_level"):
            gamma -= 1
    raise AssertionError("no level matched")


@pytest.mark.parametrize("a, b, label", [
    # names swapped and then one of them replaced or mistyped: one name still sits crosswise
    (("Oliver", "Sherriff"), ("Went", "Oliver"), "one name in the other field (swapped, the other changed)"),
    (("Rhett", "George"), ("Maier", "Rhet"), "one name in the other field (swapped, the other changed)"),
    (("Oliver", "Sherriff"), ("Sherriff", "Oliver"), "first and last swapped"),
    (("Oliver", "Sherriff"), ("Anna", "Weber"), "all other"),
])
def test_name_levels(a, b, label):
    got = _level("name", {"first_name": a[0], "last_name": a[1]}, {"first_name": b[0], "last_name": b[1]})[1]
    assert got.lower().startswith(label.lower())


def test_same_street_other_number_is_its_own_level_below_independent_evidence():
    home = {"street": "Hauptstraße", "house_number": "12", "postcode": "01067", "city": "Dresden"}
    gamma, label = _level("address", home, home | {"house_number": "21"})
    assert label == "same postcode and street, number differs"
    assert gamma == INDEPENDENT_EVIDENCE["gamma_address"] - 1  # not enough to count as independent evidence
    gamma, label = _level("address", home, home | {"postcode": "01069"})
    assert gamma == INDEPENDENT_EVIDENCE["gamma_address"] + 1  # same street and number, postcode typo
    assert _level("address", home, home | {"street": "Bahnhofstraße"})[0] < gamma


def test_same_street_with_a_postcode_or_city_typo_is_not_else():
    home = {"street": "Hauptstraße", "house_number": "12", "postcode": "01067", "city": "Dresden"}
    gamma, label = _level("address", home, home | {"house_number": None, "postcode": "01076"})
    assert label == "street similar, postcode one typo or city similar"
    assert 0 < gamma < INDEPENDENT_EVIDENCE["gamma_address"]
    other = {"street": "Bahnhofstraße", "house_number": "3", "postcode": "80331", "city": "München"}
    assert _level("address", home, other)[0] == 0


@pytest.mark.parametrize("a, b, label", [
    # an umlaut lost in one record and a letter dropped: one edit, not two ("oe" counts as one letter)
    (("Öfrieder", "Müller"), ("Frieder", "Muller"), "one edit in each name"),
    (("Anna", "Kröger"), ("Anna", "Kroeger"), "exact first and last"),
])
def test_an_umlaut_counts_as_one_letter(a, b, label):
    got = _level("name", {"first_name": a[0], "last_name": a[1]}, {"first_name": b[0], "last_name": b[1]})[1]
    assert got.lower().startswith(label.lower())


def test_a_short_form_of_the_first_name_ranks_above_another_first_name():
    """"Andreas" / "Andi" (a short form keeps the first letters) and "Thanh Mai" / "Mai" (a second given
    name) are a level of their own, above two unrelated first names at one surname — the level a
    parent and child or a couple reach."""
    def level(f1, f2):
        return _level("name", {"first_name": f1, "last_name": "Schmalmann"}, {"first_name": f2, "last_name": "Schmalmann"})

    related = level("Andreas", "Andi")
    assert related[1].startswith("last exact, first names share three letters")
    assert level("Thanh Mai", "Mai")[1] == related[1]
    unrelated = level("Jonas", "Dieter")
    assert unrelated[1] == "last exact, first different"
    assert level("Horst", "Heidrun")[1] == unrelated[1]  # one initial is not a short form
    assert 0 < unrelated[0] < related[0]
