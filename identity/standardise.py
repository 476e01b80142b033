"""German-aware standardisation of person records, as Polars expressions.

Every function here maps canonical ``person_records`` (``cdp.schema.PERSON_RECORD``) to the
fields identity matches on. The original values stay in the canonical layer; the standardised
ones (``*_std``) sit beside them in ``person_records_std.parquet``.

Folding rules (documented because they decide matches):

* names and streets are lower-cased, whitespace is collapsed, ``ä→ae ö→oe ü→ue ß→ss`` and other
  accents are stripped (``é→e``), so ``Müller``, ``MUELLER`` and ``Mueller`` agree;
* academic titles (``Dr.``, ``Prof.``, ``Dipl.-Ing.``) are removed from name fields, nobility
  particles (``von``, ``van``, ``zu``, ``de`` …) are kept in ``last_name_std`` and removed in
  ``last_name_core``; hyphens in first names become spaces (``Hans-Peter`` = ``Hans Peter``)
  and ``first_name_initials`` holds ``hp`` for ``Hans-Peter``, ``H.-P.`` and ``H. P.``;
* e-mail is trimmed and lower-cased; dots and ``+tag`` are dropped only for providers that
  document it (Gmail dots and plus; plus-addressing at Outlook/Hotmail, iCloud, Posteo,
  Fastmail, Proton); ``googlemail.com`` is ``gmail.com``;
* phones are parsed with ``phonenumbers`` (default region DE) and written as E.164; this runs
  on the unique values only;
* streets: ``Straße``/``Strasse``/``Str.`` → ``str``, the house number and its suffix are split
  off (``Hauptstr. 12 A`` → ``hauptstr`` + ``12a``); postcodes keep digits only, a German
  4-digit postcode gets its lost leading zero back.
"""

from __future__ import annotations

from datetime import date

import phonenumbers
import polars as pl

TITLE_PATTERN = (
    r"(?i)\b(?:prof|dr|dipl|ing|med|rer|nat|phil|jur|habil|mag|hc|h\.c|dr-ing|dipl-ing|"
    r"dipl-kfm|dipl-kffr|ba|ma|msc|bsc|mba)\b\.?"
)
PARTICLES = ["von", "van", "zu", "vom", "zum", "zur", "der", "den", "de", "del", "di", "da", "le", "la", "ten", "ter"]
PARTICLE_PATTERN = r"\b(?:" + "|".join(PARTICLES) + r")\b"

#: Providers whose documentation says dots in the local part are ignored.
DOTLESS_PROVIDERS = ["gmail.com"]
#: Providers that document ``user+tag@`` delivering to ``user@``.
PLUS_PROVIDERS = [
    "gmail.com", "outlook.com", "outlook.de", "hotmail.com", "hotmail.de", "live.com", "live.de",
    "icloud.com", "me.com", "mac.com", "posteo.de", "posteo.net", "fastmail.com", "proton.me",
    "protonmail.com",
]
DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}

#: Birth dates systems use as "unknown".
PLACEHOLDER_BIRTH_DATES = ["1900-01-01", "1901-01-01", "1970-01-01", "1899-12-30"]

STD_COLUMNS = [
    "record_key", "source_system", "source_record_id", "first_name_std", "first_name_first",
    "first_name_initials", "last_name_std", "last_name_core", "name_suffix", "email_std", "email_local",
    "phone_e164", "mobile_e164", "street_std", "house_number_std", "postcode_std", "city_std",
    "birth_date", "erp_key", "bonus_key", "record_hash",
]


def fold(expr: pl.Expr) -> pl.Expr:
    """Lower-case, fold umlauts/ß to ae/oe/ue/ss, strip other accents, collapse whitespace."""
    e = expr.str.to_lowercase()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("æ", "ae"), ("ø", "oe"),
                 ("å", "aa"), ("ł", "l"), ("đ", "d")):
        e = e.str.replace_all(a, b, literal=True)
    e = e.str.normalize("NFKD").str.replace_all(r"\p{M}", "")
    return _squash(e)


def _squash(expr: pl.Expr) -> pl.Expr:
    e = expr.str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(e == "").then(None).otherwise(e)


def _strip_titles(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(TITLE_PATTERN, " ")


def first_name_std(col: str = "first_name") -> pl.Expr:
    """``Dr. Hans-Peter`` → ``hans peter``; initials keep only letters (``H.-P.`` → ``h p``)."""
    e = _strip_titles(pl.col(col))
    e = fold(e).str.replace_all(r"[-.,/_]", " ").str.replace_all(r"[^a-z ']", "")
    return _squash(e)


def first_name_initials(std: pl.Expr) -> pl.Expr:
    """First letters of each first-name token: ``hans peter`` → ``hp``, ``h p`` → ``hp``."""
    return std.str.split(" ").list.eval(pl.element().str.slice(0, 1)).list.join("")


SUFFIX_PATTERN = r"\b(sen|senior|sr|jun|junior|jr)\b\.?"


def name_suffix(col: str = "last_name") -> pl.Expr:
    """Generational suffix in a last name: ``Hoffmann sen.`` → ``sen``, ``jun.``/``jr`` → ``jun``."""
    raw = fold(pl.col(col)).str.extract(SUFFIX_PATTERN, 1)
    return raw.replace({"senior": "sen", "sr": "sen", "junior": "jun", "jr": "jun"})


def last_name_std(col: str = "last_name") -> pl.Expr:
    """Folded last name with particles kept (``von der Heide``), generational suffix removed."""
    e = fold(_strip_titles(pl.col(col))).str.replace_all(SUFFIX_PATTERN, " ")
    e = e.str.replace_all(r"\s*-\s*", "-").str.replace_all(r"[.,/_]", " ").str.replace_all(r"[^a-z '\-]", "")
    return _squash(e)


def last_name_core(std: pl.Expr) -> pl.Expr:
    """Last name without nobility particles: ``von der heide`` → ``heide``."""
    core = _squash(std.str.replace_all(PARTICLE_PATTERN, " "))
    return pl.coalesce(core, std)


def email_std(col: str = "email") -> pl.Expr:
    """Trimmed, lower-cased e-mail with documented provider rules applied; invalid → null."""
    e = pl.col(col).str.strip_chars().str.to_lowercase().str.replace_all(r"\s", "")
    valid = e.str.contains(r"^[^@]+@[^@]+\.[a-z]{2,}$")
    local = e.str.extract(r"^([^@]+)@", 1)
    domain = e.str.extract(r"@([^@]+)$", 1).replace(DOMAIN_ALIASES)
    local = pl.when(domain.is_in(PLUS_PROVIDERS)).then(local.str.replace(r"\+.*$", "")).otherwise(local)
    local = pl.when(domain.is_in(DOTLESS_PROVIDERS)).then(local.str.replace_all(".", "", literal=True)).otherwise(local)
    return pl.when(valid).then(pl.concat_str([local, pl.lit("@"), domain])).otherwise(None)


def _e164(value: str | None, region: str = "DE") -> str | None:
    if value is None:
        return None
    raw = value.strip()
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        num = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def phones_to_e164(series: pl.Series, region: str = "DE") -> pl.Series:
    """E.164 for a column of phone numbers, parsing each distinct value once."""
    uniq = series.drop_nulls().unique()
    mapping = pl.DataFrame(
        {"raw": uniq, "e164": pl.Series([_e164(v, region) for v in uniq.to_list()], dtype=pl.String)}
    )
    return (
        series.to_frame("raw").join(mapping, on="raw", how="left", maintain_order="left")["e164"]
        .alias(series.name)
    )


STREET_RE = r"^(.*?)[\s,]*(\d+)\s*([a-z]?)\b(?:\s*[-/+]\s*\d+\s*[a-z]?)?\s*$"


def street_parts(street: str = "street", house_number: str = "house_number") -> list[pl.Expr]:
    """``street_std`` and ``house_number_std`` from a street that may hold the number."""
    s = fold(pl.col(street))
    s = s.str.replace_all(r"(stra(ss|ß)e|str\.?)\b", "str").str.replace_all(r"\bstr\b", "str")
    s = s.str.replace_all(r"(\w)(str)\b", "${1}str")  # keep compound form "hauptstr"
    s = s.str.replace_all(r"\bpl\.", "platz").str.replace_all(r"\bweg\.", "weg")
    has_no = s.str.contains(STREET_RE)
    name = pl.when(has_no).then(s.str.extract(STREET_RE, 1)).otherwise(s)
    name = _squash(name.str.replace_all(r"[.,]", " ").str.replace_all(r"\s*-\s*", "-"))
    # "hauptstr" and "haupt str" are one street
    name = name.str.replace_all(r"\s+str$", "str").str.replace_all(r"-str$", "str")
    num_in_street = pl.concat_str([s.str.extract(STREET_RE, 2), s.str.extract(STREET_RE, 3)])
    sep = pl.col(house_number).str.to_lowercase().str.replace_all(r"\s", "")
    sep = sep.str.extract(r"^(\d+[a-z]?)", 1)
    number = pl.coalesce(sep, pl.when(has_no).then(num_in_street))
    return [name.alias("street_std"), number.alias("house_number_std")]


def postcode_std(col: str = "postcode", country: str = "country") -> pl.Expr:
    """Digits only; a German 4-digit postcode gets its leading zero back; else null."""
    d = pl.col(col).str.replace_all(r"\D", "")
    de = pl.col(country).fill_null("DE").str.to_uppercase() == "DE"
    d = pl.when(de & (d.str.len_chars() == 4)).then(pl.lit("0") + d).otherwise(d)
    ok = pl.when(de).then(d.str.len_chars() == 5).otherwise(d.str.len_chars().is_between(4, 6))
    return pl.when(ok).then(d).otherwise(None)


def city_std(col: str = "city") -> pl.Expr:
    """Folded city without district suffixes in brackets (``Frankfurt (Oder)`` stays distinct)."""
    e = fold(pl.col(col)).str.replace_all(r"\s*/\s*", "/").str.replace_all(r"[^a-z ()/\-]", "")
    e = e.str.replace(r"^(frankfurt) am main$", "frankfurt").str.replace(r"^(frankfurt) a\.? ?m\.?$", "frankfurt")
    return _squash(e)


def birth_date_std(col: str = "birth_date") -> pl.Expr:
    """Birth date; placeholder dates (1900-01-01, 1970-01-01 …) and future dates become null."""
    placeholders = pl.Series(PLACEHOLDER_BIRTH_DATES).str.to_date().implode()
    d = pl.col(col)
    bad = d.is_in(placeholders) | (d > pl.lit(date.today())) | (d.dt.year() < 1900)
    return pl.when(bad).then(None).otherwise(d)


def standardise(records: pl.DataFrame, region: str = "DE") -> pl.DataFrame:
    """Canonical person records → the standardised matching fields (see ``STD_COLUMNS``)."""
    df = records.with_columns(
        pl.col("phone").str.strip_chars(), pl.col("mobile").str.strip_chars()
    )
    df = df.with_columns(
        phones_to_e164(df["phone"], region).alias("phone_e164"),
        phones_to_e164(df["mobile"], region).alias("mobile_e164"),
    )
    fn = first_name_std()
    ln = last_name_std()
    df = df.with_columns(
        fn.alias("first_name_std"),
        ln.alias("last_name_std"),
        name_suffix().alias("name_suffix"),
        email_std().alias("email_std"),
        *street_parts(),
        postcode_std().alias("postcode_std"),
        city_std().alias("city_std"),
        birth_date_std().alias("birth_date_std"),
    )
    df = df.with_columns(
        pl.col("first_name_std").str.split(" ").list.first().alias("first_name_first"),
        first_name_initials(pl.col("first_name_std")).alias("first_name_initials"),
        last_name_core(pl.col("last_name_std")).alias("last_name_core"),
        # local part without any +tag: fuzzy evidence only (email_std keeps documented rules)
        pl.col("email_std").str.extract(r"^([^@+]+)", 1).alias("email_local"),
        # one column per trusted key: the id a record *is* or *claims* in that system
        pl.when(pl.col("source_system") == "erp").then(pl.col("source_record_id"))
        .otherwise(pl.col("xref_erp_customer_no").str.strip_chars()).alias("erp_key"),
        pl.when(pl.col("source_system") == "bonus").then(pl.col("source_record_id"))
        .otherwise(pl.col("xref_bonus_card_no").str.replace_all(r"\s", "")).alias("bonus_key"),
    )
    # a mobile number delivered in the landline field still matches as a mobile
    df = df.with_columns(
        pl.col("birth_date_std").alias("birth_date"),
    )
    out = df.select([c for c in STD_COLUMNS if c != "record_hash"])
    return out.with_columns(
        pl.struct([c for c in STD_COLUMNS if c not in ("record_key", "record_hash")]).hash(seed=7)
        .cast(pl.String).alias("record_hash")
    )
