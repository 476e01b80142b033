"""German-aware standardisation of person records, as Polars expressions.

Every function here maps canonical ``person_records`` (``cdp.schema.PERSON_RECORD``) to the
fields identity matches on. The original values stay in the canonical layer; the standardised
ones (``*_std``) sit beside them in ``person_records_std.parquet``.

Folding rules (documented because they decide matches):

* names and streets are lower-cased, whitespace is collapsed, ``ä→ae ö→oe ü→ue ß→ss`` and other
  accents are stripped (``é→e``), so ``Müller``, ``MUELLER`` and ``Mueller`` agree; a name's
  search key (:func:`name_key`, for ``customer_lookup`` and a query) is folded the same way;
* academic titles (``Dr.``, ``Prof.``, ``Dipl.-Ing.``) are removed from name fields, nobility
  particles (``von``, ``van``, ``zu``, ``de`` …) are kept in ``last_name_std`` and removed in
  ``last_name_core``; hyphens in first names become spaces (``Hans-Peter`` = ``Hans Peter``)
  and ``first_name_initials`` holds ``hp`` for ``Hans-Peter``, ``H.-P.`` and ``H. P.``;
* e-mail is trimmed and lower-cased; ``+tag`` is dropped only for providers that document
  plus-addressing (Gmail, Outlook/Hotmail, iCloud, Posteo, Fastmail, Proton); ``googlemail.com``
  is ``gmail.com``. Gmail's documented dot rule is *not* applied to ``email_std`` (the trusted
  key): name-built addresses such as ``anna.mueller@`` and ``annamueller@`` belong to different
  people in our data. ``email_mailbox`` holds the dot-free Gmail form, a weaker comparison level;
* phones are written as E.164 (default region DE): common German formats by a vectorised rule,
  everything else by ``phonenumbers``, on the distinct values only. A German mobile number
  (``+4915…``, ``+4916…``, ``+4917…``) delivered in the landline field is moved to ``mobile_e164``;
* every text rule runs once per distinct input value (names, streets and cities repeat a lot),
  and :func:`standardise` can reuse an earlier run's rows for records whose input is unchanged
  (``raw_hash``), so an incremental run standardises only new or changed records;
* streets: ``Straße``/``Strasse``/``Str.`` → ``str``, the house number and its suffix are split
  off (``Hauptstr. 12 A`` → ``hauptstr`` + ``12a``); postcodes keep digits only, a German
  4-digit postcode gets its lost leading zero back.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

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
    "email_mailbox",
    "phone_e164", "mobile_e164", "street_std", "house_number_std", "postcode_std", "city_std",
    "birth_date", "erp_key", "bonus_key", "raw_hash", "record_hash",
]


def fold(expr: pl.Expr) -> pl.Expr:
    """Lower-case, fold umlauts/ß to ae/oe/ue/ss, strip other accents, collapse whitespace."""
    e = expr.str.to_lowercase()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("æ", "ae"), ("ø", "oe"),
                 ("å", "aa"), ("ł", "l"), ("đ", "d"), ("ı", "i")):
        e = e.str.replace_all(a, b, literal=True)
    e = e.str.normalize("NFKD").str.replace_all(r"\p{M}", "")
    return _squash(e)


def name_key(expr: pl.Expr) -> pl.Expr:
    """A name as a search key (``customer_lookup``, the console's name search, a typed query):
    folded like every name here (:func:`fold`), any character but letters, digits, spaces and
    hyphens a space, single spaces; null when nothing is left. ``Weiß,  Carla`` → ``weiss carla``,
    ``Müller-Lüdenscheidt`` → ``mueller-luedenscheidt``. Keying the parts of a name and joining
    them with a space gives the key of the whole name."""
    return _squash(fold(expr).str.replace_all(r"[^a-z0-9 -]", " "))


#: What :func:`fold` wrote for the German umlauts, back to one letter each (see :func:`umlaut_form`).
UMLAUT_FORMS = (("ae", "ä"), ("oe", "ö"), ("ue", "ü"))


def umlaut_form(folded: pl.Expr) -> pl.Expr:
    """A folded name with ``ae``/``oe``/``ue`` back to one letter each (``oefrieder`` → ``öfrieder``),
    so that an umlaut lost in one record plus a typo is one edit, not two; null where the name holds
    none of them (its umlaut form is the name itself). Identity compares it per pair: computed once
    per record here, not in the comparison SQL."""
    e = folded
    for a, b in UMLAUT_FORMS:
        e = e.str.replace_all(a, b, literal=True)
    return pl.when(folded.str.contains("ae|oe|ue")).then(e)


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
#: The spellings of a generational suffix, each to ``sen`` or ``jun``.
SUFFIX_NAMES = {"senior": "sen", "sr": "sen", "junior": "jun", "jr": "jun"}


#: A suffix as the last of several tokens of a (standardised) first-name field — a swapped name;
#: "Jun" alone is a first name.
FIRST_NAME_SUFFIX_PATTERN = r"\s(sen|senior|sr|jun|junior|jr)$"


def name_suffix(col: str = "last_name") -> pl.Expr:
    """Generational suffix in a last name: ``Hoffmann sen.`` → ``sen``, ``jun.``/``jr`` → ``jun``."""
    raw = fold(pl.col(col)).str.extract(SUFFIX_PATTERN, 1)
    return raw.replace(SUFFIX_NAMES)


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
    return pl.when(valid).then(pl.concat_str([local, pl.lit("@"), domain])).otherwise(None)


def email_mailbox(std: pl.Expr) -> pl.Expr:
    """The mailbox an address delivers to: ``email_std`` with Gmail's ignored dots removed."""
    local, domain = std.str.extract(r"^([^@]+)@", 1), std.str.extract(r"@([^@]+)$", 1)
    local = pl.when(domain.is_in(DOTLESS_PROVIDERS)).then(local.str.replace_all(".", "", literal=True)).otherwise(local)
    return pl.concat_str([local, pl.lit("@"), domain])


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


#: German numbers the vectorised rule handles: +49 / 0049 / 0 then 6-13 digits (no trunk 0).
_DE_FAST = r"^\+49[1-9]\d{5,12}$"


def _fast_de(raw: pl.Expr) -> pl.Expr:
    """E.164 for plain German numbers (``030 1234567``, ``+49 (30) 123``, ``0049…``); else null."""
    d = raw.str.replace_all(r"\(0\)", "").str.replace_all(r"[\s/\-().]", "")
    d = (pl.when(d.str.starts_with("00")).then(pl.lit("+") + d.str.slice(2))
         .when(d.str.starts_with("+")).then(d)
         .when(d.str.contains(r"^0[1-9]")).then(pl.lit("+49") + d.str.slice(1))
         .otherwise(None))
    return pl.when(d.str.contains(_DE_FAST)).then(d)


def phones_to_e164(series: pl.Series, region: str = "DE") -> pl.Series:
    """E.164 for a column of phone numbers: a vectorised rule for plain German numbers, and
    ``phonenumbers`` for the rest, each distinct value once."""
    if series.null_count() == series.len():  # no number at all (a query without a phone)
        return pl.Series(series.name, [None] * series.len(), dtype=pl.String)
    uniq = series.drop_nulls().unique().to_frame("raw")
    if region == "DE":
        uniq = uniq.with_columns(_fast_de(pl.col("raw")).alias("e164"))
    else:
        uniq = uniq.with_columns(pl.lit(None, pl.String).alias("e164"))
    rest = uniq.filter(pl.col("e164").is_null())["raw"].to_list()
    slow = pl.DataFrame({"raw": pl.Series(rest, dtype=pl.String),
                         "slow": pl.Series([_e164(v, region) for v in rest], dtype=pl.String)})
    mapping = uniq.join(slow, on="raw", how="left").select("raw", pl.coalesce("e164", "slow").alias("e164"))
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


def birth_date_std(col: str = "birth_date", today: date | None = None) -> pl.Expr:
    """Birth date; placeholder dates (1900-01-01, 1970-01-01 …) and dates after ``today``
    (default: the day it is called) become null."""
    placeholders = pl.Series(PLACEHOLDER_BIRTH_DATES).str.to_date().implode()
    d = pl.col(col)
    bad = d.is_in(placeholders) | (d > pl.lit(today or date.today())) | (d.dt.year() < 1900)
    return pl.when(bad).then(None).otherwise(d)


#: Input columns of the canonical record that standardisation reads (``raw_hash`` covers them).
RAW_COLUMNS = [
    "source_system", "source_record_id", "first_name", "last_name", "email", "phone", "mobile",
    "street", "house_number", "postcode", "city", "country", "birth_date", "xref_erp_customer_no",
    "xref_bonus_card_no",
]
MOBILE_PREFIX = r"^\+491[567]"


def _per_unique(df: pl.DataFrame, cols: list[str], exprs: list[pl.Expr]) -> pl.DataFrame:
    """Evaluate ``exprs`` once per distinct value of ``cols`` and join the results back."""
    u = df.select(cols).unique().with_columns(exprs)
    return df.join(u, on=cols, how="left", nulls_equal=True, maintain_order="left")


#: Bump when standardisation derives a column differently: cached rows of older versions are
#: standardised again. 2: a ``sen``/``jun`` in a swapped first-name field ("Krüger sen.").
STANDARDISE_VERSION = 3


def raw_hash(records: pl.DataFrame) -> pl.Series:
    """A hash of the fields standardisation reads and of :data:`STANDARDISE_VERSION`."""
    seed = 11 + STANDARDISE_VERSION
    return records.select(pl.struct(RAW_COLUMNS).hash(seed=seed).cast(pl.String).alias("raw_hash"))["raw_hash"]


def standardise(records: pl.DataFrame, region: str = "DE", cache: pl.DataFrame | None = None) -> pl.DataFrame:
    """Canonical person records → the standardised matching fields (see ``STD_COLUMNS``).

    Args:
        records: canonical person records.
        region: default phone region.
        cache: an earlier ``person_records_std`` (with ``raw_hash``): its rows are reused for
            records whose key and input fields are unchanged, only the rest is standardised.
    """
    records = records.with_columns(raw_hash(records))
    reused = None
    if cache is not None and cache.height and "raw_hash" in cache.columns and \
            set(STD_COLUMNS) <= set(cache.columns):
        reused = cache.select(STD_COLUMNS).join(records.select("record_key", "raw_hash"),
                                                on=["record_key", "raw_hash"], how="semi")
        records = records.join(reused.select("record_key"), on="record_key", how="anti")
    out = _standardise(records, region)
    if reused is not None and reused.height:
        out = pl.concat([reused, out], how="vertical_relaxed")
    return out


def _phones(df: pl.DataFrame, region: str) -> pl.DataFrame:
    """``phone_e164`` and ``mobile_e164`` (Python's ``phonenumbers`` for the unusual ones)."""
    df = df.with_columns(
        pl.col("phone").str.strip_chars(), pl.col("mobile").str.strip_chars()
    )
    phone, mobile = phones_to_e164(df["phone"], region), phones_to_e164(df["mobile"], region)
    # a German mobile number delivered in the landline field matches as a mobile
    moved = phone.str.contains(MOBILE_PREFIX).fill_null(False) & mobile.is_null()
    return df.with_columns(
        pl.when(moved).then(None).otherwise(phone).alias("phone_e164"),
        pl.when(moved).then(phone).otherwise(mobile).alias("mobile_e164"),
    )


@lru_cache(maxsize=1)
def _steps(today: date) -> tuple[tuple[tuple[str, ...], tuple[pl.Expr, ...]], ...]:
    """The text rules after the phones, in order: (input columns, expressions). A step with
    input columns runs once per distinct value of them (:func:`_per_unique`); built once a day
    (``birth_date_std`` compares with today), so a server does not rebuild ~200 expressions
    per record."""
    # first and last name swapped at entry: "Krüger sen." in the first-name field
    first_suffix = pl.col("first_name_std").str.extract(FIRST_NAME_SUFFIX_PATTERN, 1)
    steps: list[tuple[list[str], list[pl.Expr]]] = [
        (["first_name"], [first_name_std().alias("first_name_std")]),
        (["last_name"], [last_name_std().alias("last_name_std"), name_suffix().alias("name_suffix")]),
        ([], [pl.coalesce("name_suffix", first_suffix.replace(SUFFIX_NAMES)).alias("name_suffix"),
              _squash(pl.col("first_name_std").str.replace(FIRST_NAME_SUFFIX_PATTERN, "")).alias("first_name_std")]),
        (["email"], [email_std().alias("email_std")]),
        (["street", "house_number"], street_parts()),
        (["postcode", "country"], [postcode_std().alias("postcode_std")]),
        (["city"], [city_std().alias("city_std")]),
        ([], [birth_date_std(today=today).alias("birth_date")]),
        ([], [
            pl.col("first_name_std").str.split(" ").list.first().alias("first_name_first"),
            first_name_initials(pl.col("first_name_std")).alias("first_name_initials"),
            last_name_core(pl.col("last_name_std")).alias("last_name_core"),
            # local part without any +tag: fuzzy evidence only (email_std keeps documented rules)
            pl.col("email_std").str.extract(r"^([^@+]+)", 1).alias("email_local"),
            email_mailbox(pl.col("email_std")).alias("email_mailbox"),
            # one column per trusted key: the id a record *is* or *claims* in that system
            pl.when(pl.col("source_system") == "erp").then(pl.col("source_record_id"))
            .otherwise(pl.col("xref_erp_customer_no").str.strip_chars()).alias("erp_key"),
            pl.when(pl.col("source_system") == "bonus").then(pl.col("source_record_id"))
            .otherwise(pl.col("xref_bonus_card_no").str.replace_all(r"\s", "")).alias("bonus_key"),
        ]),
        ([], [pl.struct([c for c in STD_COLUMNS if c not in ("record_key", "record_hash", "raw_hash")]).hash(seed=7)
              .cast(pl.String).alias("record_hash")]),
    ]
    return tuple((tuple(c), tuple(e)) for c, e in steps)


def _standardise(records: pl.DataFrame, region: str) -> pl.DataFrame:
    df = _phones(records, region)
    steps = _steps(date.today())
    if df.height == 1:
        return _standardise_one(df, steps)
    for cols, exprs in steps:
        df = _per_unique(df, list(cols), list(exprs)) if cols else df.with_columns(exprs)
    return df.select(STD_COLUMNS)


#: One record at a time (``cdp identify``): the outputs of each per-value step are remembered for
#: this many distinct inputs (first names, postcodes, cities, streets repeat across callers).
ONE_RECORD_CACHE_SIZE = 200_000
_one_record_cache: dict[tuple, tuple] = {}


def _standardise_one(df: pl.DataFrame, steps: tuple[tuple[tuple[str, ...], tuple[pl.Expr, ...]], ...]) -> pl.DataFrame:
    """One record in one lazy plan instead of a collect per step (the engine evaluates a
    sub-expression used several times once); a per-value step whose input was seen before
    gives its remembered outputs. Its cost is mostly the regular expressions, compiled per
    evaluation (~10 ms for all steps on one row)."""
    row = df.row(0, named=True)
    lf = df.lazy()
    missed: list[tuple[tuple, list[str]]] = []
    for i, (cols, exprs) in enumerate(steps):
        if not cols:
            lf = lf.with_columns(exprs)
            continue
        names = [e.meta.output_name() for e in exprs]
        key = (i, *(row[c] for c in cols))
        hit = _one_record_cache.get(key)
        if hit is not None:
            lf = lf.with_columns(pl.lit(v, pl.String).alias(n) for n, v in zip(names, hit, strict=True))
        else:
            kept = [f"__step{i}_{n}" for n in names]  # before a later step changes them
            lf = lf.with_columns(exprs).with_columns(pl.col(n).alias(k) for n, k in zip(names, kept, strict=True))
            missed.append((key, kept))
    out = lf.select(*STD_COLUMNS, *[k for _key, kept in missed for k in kept]).collect()
    if missed:
        if len(_one_record_cache) > ONE_RECORD_CACHE_SIZE:
            _one_record_cache.clear()
        r = out.row(0, named=True)
        for key, kept in missed:
            _one_record_cache[key] = tuple(r[k] for k in kept)
    return out.select(STD_COLUMNS)
