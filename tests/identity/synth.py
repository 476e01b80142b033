"""Small seeded canonical person records with known truth, for identity tests.

The project's simulator produces landing files; these tests need canonical records directly, with
controlled defects (typos, umlaut spellings, formats, twins, shared family e-mails).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl

from cdp.schema import PERSON_RECORD, conform

FIRST = ["Jürgen", "Hans-Peter", "Anna", "Maria", "Stefan", "Sabine", "Thomas", "Petra", "Michael",
         "Ursula", "Klaus", "Monika", "Andreas", "Birgit", "Jörg", "Käthe", "Lukas", "Sophie", "Felix",
         "Lena", "Tobias", "Julia", "Matthias", "Katrin", "Björn", "Heike", "Uwe", "Gisela", "Jan", "Laura"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
        "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
        "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner",
        "Krause", "Meier", "Lehmann", "von Brandt", "Groß", "Köhler", "Weiß", "Jäger", "Böhm"]
STREETS = ["Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße", "Goethestraße", "Am Markt",
           "Lindenallee", "Kirchplatz", "Bergstraße", "Mühlenweg", "Rosenstraße", "Waldstraße"]
CITIES = [("10115", "Berlin"), ("01067", "Dresden"), ("80331", "München"), ("50667", "Köln"),
          ("20095", "Hamburg"), ("60311", "Frankfurt am Main"), ("04109", "Leipzig"), ("70173", "Stuttgart")]


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 4:
        return s
    i = rng.randrange(1, len(s) - 1)
    return s[:i] + s[i + 1] + s[i] + s[i + 2:]


def _fold(s: str) -> str:
    return s.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae").replace("ß", "ss")


def make_persons(n: int, seed: int = 1) -> list[dict]:
    """``n`` persons (with twins and parent/child pairs sharing household e-mail and address)."""
    rng = random.Random(seed)
    persons = []
    pid = 0
    while len(persons) < n:
        pc, city = rng.choice(CITIES)
        last = rng.choice(LAST)
        street = f"{rng.choice(STREETS)} {rng.randint(1, 120)}{rng.choice(['', '', '', 'a', 'b'])}"
        dob = date(1945, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
        household = f"H{pid}"
        kind = rng.random()
        members = [(rng.choice(FIRST), dob, None)]
        if kind < 0.06:  # twins: same birth date, other first name
            other = rng.choice([f for f in FIRST if f != members[0][0]])
            members = [(members[0][0], dob, "twin"), (other, dob, "twin")]
        elif kind < 0.10:  # parent and child, same first name, shared e-mail
            child = dob + timedelta(days=365 * rng.randint(22, 30))
            members = [(members[0][0], dob, "parent_child"), (members[0][0], child, "parent_child")]
        shared_email = f"familie.{_fold(last).lower().replace(' ', '')}{pid}@web.de" if len(members) > 1 else None
        for first, d, hard in members:
            pid += 1
            local = f"{_fold(first).lower().replace('-', '')}.{_fold(last).lower().replace(' ', '')}{pid}"
            persons.append(dict(
                person_id=f"P{pid:06d}", household_id=household, hard_case=hard,
                first=first, last=last, dob=d, street=street, postcode=pc, city=city,
                email=shared_email if hard else f"{local}@{rng.choice(['gmail.com', 'web.de', 'gmx.de'])}",
                mobile=f"+49 15{rng.randint(1, 9)} {rng.randint(1000000, 9999999)}",
            ))
    return persons[:n]


def make_records(n_persons: int, seed: int = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Canonical person records and truth (``record_key, person_id, household_id, hard_case``)."""
    rng = random.Random(seed)
    rows, truth = [], []
    counters = {"erp": 10000000, "crm": 0, "shop": 0, "bonus": 2760000000000}
    for p in make_persons(n_persons, seed):
        sources = [s for s in ("erp", "crm", "shop", "bonus") if rng.random() < 0.6] or ["shop"]
        if rng.random() < 0.15:
            sources.append("shop")  # a second (guest) account
        erp_no = bonus_no = None
        for src in sources:
            counters[src] += 1
            rid = {"erp": str(counters["erp"]), "crm": f"CRM-{counters['crm']:07d}",
                   "shop": f"S-{counters['shop']:06d}", "bonus": str(counters["bonus"])}[src]
            if src == "erp":
                erp_no = rid
            if src == "bonus":
                bonus_no = rid
            first, last = p["first"], p["last"]
            r = rng.random()
            if r < 0.1:
                first, last = first.upper(), last.upper()
            elif r < 0.2:
                first, last = _fold(first), _fold(last)
            elif r < 0.27:
                last = _typo(rng, last)
            elif r < 0.32:
                first = _typo(rng, first)
            street = p["street"]
            if rng.random() < 0.4:
                street = street.replace("straße", "str.")
            mobile = p["mobile"]
            if rng.random() < 0.5:
                mobile = "0" + mobile[4:].replace(" ", "")
            rows.append(dict(
                record_key=f"{src}:{rid}", source_system=src, source_record_id=rid,
                first_name=first, last_name=last,
                birth_date=p["dob"] if (src != "shop" and rng.random() < 0.9) else None,
                email=(p["email"].upper() if rng.random() < 0.1 else p["email"]) if (src != "bonus" or rng.random() < 0.3) else None,
                mobile=mobile if rng.random() < 0.6 else None,
                street=street, postcode=p["postcode"], city=p["city"], country="DE",
                xref_erp_customer_no=erp_no if src == "crm" and rng.random() < 0.5 else None,
                xref_bonus_card_no=bonus_no if src == "shop" and rng.random() < 0.5 else None,
            ))
            truth.append(dict(record_key=f"{src}:{rid}", source_system=src, source_record_id=rid,
                              person_id=p["person_id"], household_id=p["household_id"],
                              hard_case=p["hard_case"]))
    return conform(pl.DataFrame(rows), PERSON_RECORD), pl.DataFrame(truth)
