"""Noise profiles of the simulator: every rate the generator uses, per profile.

``realistic`` resembles a mid-sized German retailer's systems; ``hard`` raises every noise rate
and lowers cross-reference coverage. docs/simulator.md documents the values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    """Rates of one simulator profile (shares between 0 and 1 unless noted)."""

    name: str
    # --- person level -------------------------------------------------------------------
    double_first_name: float = 0.06  # persons of German origin registered with a hyphenated first name
    double_surname: float = 0.015  # adults of German origin with a double surname (Müller-Lüdenscheidt)
    title_dr: float = 0.02
    marriage_name_change: float = 0.04  # persons (mostly women) whose surname changed
    move: float = 0.10  # persons who moved within the history
    twin: float = 0.004  # share of persons that are one half of a twin pair
    parent_child: float = 0.008  # share of persons that are parent or child with the same name
    shared_email: float = 0.008  # spouses sharing one e-mail address
    shared_phone: float = 0.01  # spouses sharing one landline
    common_name: float = 0.01  # persons given a very common name in the same city as others
    common_name_group: int = 3  # … in groups of 2 to this many persons
    # --- record level: names ------------------------------------------------------------
    typo: float = 0.025  # per name field of a record
    transliterate: float = 0.15  # umlaut/ß written as ae/oe/ue/ss (ERP and bonus x2)
    strip_umlaut: float = 0.02  # umlaut written without dots (Müller -> Muller)
    all_caps_erp: float = 0.12
    lower_case_shop: float = 0.05
    swapped_name: float = 0.008  # first and last name swapped in a record
    double_name_variant: float = 0.5  # a double first name written differently (Hans Peter, H.-P., Hans)
    # a multi-word name split differently into first/last (Văn Minh / Minh, Mohammed Ali Hassan)
    name_split_variant: float = 0.3
    romanisation_variant: float = 0.2  # another romanisation (Iwanow/Ivanov, Mohammed/Muhammad)
    nickname: float = 0.02  # a short form (Alexander -> Alex; shop and bonus 1.5x, ERP 0.25x)
    plain_letters: float = 0.35  # CRM/shop: own letters typed as plain Latin letters (ş -> s, ł -> l)
    # --- record level: addresses ----------------------------------------------------------
    street_variant: float = 0.35  # Straße written Str. / Strasse / str.
    house_number_variant: float = 0.3  # 12a written 12 A / 12A
    wrong_postcode: float = 0.005
    stale_after_move: float = 0.35  # a system that did not learn about a move
    # --- record level: e-mail / phone ------------------------------------------------------
    email_case_space: float = 0.06  # upper case or surrounding whitespace
    plus_address: float = 0.03  # shop accounts using name+shop@provider
    # share of records missing a field, per source
    missing: dict = field(
        default_factory=lambda: {
            "erp": {"email": 0.45, "phone": 0.2, "birth_date": 0.3},
            "crm": {"email": 0.15, "phone": 0.35, "mobile": 0.45, "birth_date": 0.5, "address": 0.1},
            "shop": {"phone": 0.55, "birth_date": 0.45},
            "bonus": {"email": 0.7, "phone": 0.6, "birth_date": 0.1},
        }
    )
    # --- records per person ------------------------------------------------------------
    duplicate_shop_account: float = 0.03  # registered shop customers with a second account
    duplicate_crm_contact: float = 0.01
    guest_checkout: float = 0.25  # share of shop orders placed as guest
    # --- cross-references ------------------------------------------------------------------
    xref_erp_in_crm: float = 0.6  # CRM contacts of ERP customers carrying the Kundennummer
    xref_bonus_in_shop: float = 0.5  # shop accounts of bonus members carrying the card number
    xref_wrong: float = 0.02  # share of carried cross-references that point at another person
    # --- consent --------------------------------------------------------------------------
    consent_conflict: float = 0.05  # extra contradictory consent event in the other system
    # --- deltas -------------------------------------------------------------------------------
    delta_new_persons: float = 0.002  # per delta, share of N that first appears
    delta_changes: float = 0.004  # per delta, share of persons who move or change their name


REALISTIC = Profile(name="realistic")

HARD = dataclasses.replace(
    REALISTIC,
    name="hard",
    double_first_name=0.09,
    marriage_name_change=0.08,
    move=0.2,
    twin=0.012,
    parent_child=0.025,
    shared_email=0.025,
    shared_phone=0.03,
    common_name=0.03,
    common_name_group=5,
    typo=0.07,
    transliterate=0.3,
    strip_umlaut=0.06,
    all_caps_erp=0.25,
    lower_case_shop=0.12,
    swapped_name=0.03,
    double_name_variant=0.7,
    double_surname=0.03,
    name_split_variant=0.5,
    romanisation_variant=0.35,
    nickname=0.05,
    plain_letters=0.55,
    street_variant=0.55,
    house_number_variant=0.5,
    wrong_postcode=0.02,
    stale_after_move=0.5,
    email_case_space=0.15,
    plus_address=0.08,
    missing={
        "erp": {"email": 0.6, "phone": 0.35, "birth_date": 0.5},
        "crm": {"email": 0.3, "phone": 0.5, "mobile": 0.6, "birth_date": 0.7, "address": 0.2},
        "shop": {"phone": 0.7, "birth_date": 0.6},
        "bonus": {"email": 0.85, "phone": 0.75, "birth_date": 0.2},
    },
    duplicate_shop_account=0.08,
    duplicate_crm_contact=0.03,
    guest_checkout=0.35,
    xref_erp_in_crm=0.35,
    xref_bonus_in_shop=0.3,
    xref_wrong=0.06,
    consent_conflict=0.12,
)

PROFILES = {"realistic": REALISTIC, "hard": HARD}


def get_profile(name: str) -> Profile:
    """The profile called ``name`` (``realistic`` or ``hard``)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown simulator profile {name!r}; choose one of {sorted(PROFILES)}") from None
