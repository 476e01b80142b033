"""The simulated population: persons, households, habits, moves, name changes, hard negatives.

Everything is drawn with numpy in whole arrays; the result is one Polars frame, one row per person.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator import names
from simulator import reference as ref
from simulator.profiles import Profile

DAY = 86_400
YEAR = 365 * DAY
HABITS = np.array(["online", "hotline", "store", "mixed"], dtype=object)
SOURCES = ("erp", "crm", "shop", "bonus")

#: P(in system | habit), columns in SOURCES order.
MEMBERSHIP = {
    "online": (0.25, 0.40, 0.95, 0.15),
    "hotline": (0.80, 0.90, 0.15, 0.20),
    "store": (0.50, 0.25, 0.10, 0.90),
    "mixed": (0.60, 0.60, 0.60, 0.60),
}
HOME_SYSTEM = {"online": 2, "hotline": 1, "store": 3, "mixed": 0}

def ascii_fold(expr: pl.Expr) -> pl.Expr:
    """ä→ae, ß→ss, ş→s, ł→l, ễ→e … (how e-mail addresses and old systems write names)."""
    return expr.str.replace_many(*names.fold_map("ascii"))


def _choice(rng, values, weights, size):
    p = np.asarray(weights, dtype=float)
    return values[rng.choice(len(values), size=size, p=p / p.sum())]


def _birth_days(rng, n):
    years = np.arange(1935, 2007)
    w = np.where(years < 1945, 0.5, np.where(years < 1955, 1.0, np.where(years < 1970, 1.5,
                 np.where(years < 1990, 1.15, 1.0))))
    y = rng.choice(years, size=n, p=w / w.sum())
    doy = rng.integers(0, 365, size=n)
    base = (np.array(y - 1970) * 365.25).astype(np.int64)
    return base + doy


def _year_index(birth_days):
    year = np.floor(1970 + birth_days / 365.25).astype(np.int64)
    return np.clip(year - names.YEARS[0], 0, len(names.YEARS) - 1)


def _draw_origins(rng, birth_days):
    """Index into ``names.origins()`` per person; the mix shifts with the birth cohort."""
    ors = names.origins()
    year = 1970 + birth_days / 365.25
    era = np.where(year < 1960, 0, np.where(year < 1985, 1, 2))
    out = np.zeros(len(birth_days), dtype=np.int64)
    for e in range(3):
        m = np.flatnonzero(era == e)
        p = np.array([o.share * o.eras[e] for o in ors])
        out[m] = rng.choice(len(ors), size=len(m), p=p / p.sum())
    return out


def _sample_rows(rng, cdf_rows: np.ndarray, row: np.ndarray) -> np.ndarray:
    """For each element, an index drawn from the distribution in ``cdf_rows[row]``."""
    out = np.empty(len(row), dtype=np.int64)
    u = rng.random(len(row))
    for r in np.unique(row):
        m = row == r
        out[m] = np.minimum(np.searchsorted(cdf_rows[r], u[m], side="right"), cdf_rows.shape[1] - 1)
    return out


def _first_names(rng, gender, birth_days, origin):
    """First names by origin, gender and birth year (``d``: a name of either list)."""
    n = len(gender)
    out = np.empty(n, dtype=object)
    g = np.where(gender == "d", np.where(rng.random(n) < 0.5, "m", "f"), gender)
    yi = _year_index(birth_days)
    for oi, o in enumerate(names.origins()):
        for gg, pool, p in (("m", o.male, o.male_p), ("f", o.female, o.female_p)):
            sel = np.flatnonzero((origin == oi) & (g == gg))
            if len(sel):
                out[sel] = pool[_sample_rows(rng, _cdf(o.code, gg, p), yi[sel])]
    return out


_CDF: dict[tuple[str, str], np.ndarray] = {}


def _cdf(code, g, p):
    key = (code, g)
    if key not in _CDF:
        _CDF[key] = np.cumsum(p, axis=1)
    return _CDF[key]


def _draw_surnames(rng, origin):
    """(surname, origin index of the surname) per person; masculine forms (see ``_gendered``)."""
    n = len(origin)
    ors = names.origins()
    src = origin.copy()
    ru = [i for i, o in enumerate(ors) if o.code == "ru"][0]
    # many Russian-German families (Aussiedler) carry a German surname
    src[(origin == ru) & (rng.random(n) < 0.35)] = 0
    out = np.empty(n, dtype=object)
    for oi, o in enumerate(ors):
        sel = np.flatnonzero(src == oi)
        if len(sel):
            out[sel] = o.surnames[rng.choice(len(o.surnames), size=len(sel), p=o.surname_p)]
    return out, src


def _gendered(last: np.ndarray, gender: np.ndarray) -> np.ndarray:
    """Kowalski → Kowalska, Iwanow → Iwanowa for women (and back for men), per hyphen part."""
    to_f, to_m = names.gender_forms()
    out = last.copy()
    for i, (name, g) in enumerate(zip(last.tolist(), gender.tolist(), strict=True)):
        forms = to_f if g == "f" else to_m if g == "m" else None
        if forms is None:
            continue
        if "-" in name:
            out[i] = "-".join(forms.get(p, p) for p in name.split("-"))
        elif name in forms:
            out[i] = forms[name]
    return out


def _pick_variant(rng, values: np.ndarray, origin_codes: np.ndarray, options,
                  only: tuple[str, ...] | None = None) -> np.ndarray:
    """One alternative spelling per person from ``options(value, origin)``, or None.

    ``only``: the origins that can have one (the others are skipped, which keeps 1M persons fast).
    """
    u = rng.random(len(values))
    out = np.full(len(values), None, dtype=object)
    idx = np.flatnonzero(np.isin(origin_codes, only)) if only else np.arange(len(values))
    cache: dict[tuple[str, str], list[str]] = {}
    vals, codes = values[idx].tolist(), origin_codes[idx].tolist()
    for i, v, o in zip(idx.tolist(), vals, codes, strict=True):
        key = (v, o)
        alts = cache.get(key)
        if alts is None:
            alts = cache[key] = options(v, o)
        if alts:
            out[i] = alts[int(u[i] * len(alts))]
    return out


def _addresses(rng, n, city=None):
    """(city index, postcode, street, house number) arrays; ``city`` fixes the city."""
    if city is None:
        city = rng.choice(len(ref.CITY_NAMES), size=n, p=ref.CITY_WEIGHTS / ref.CITY_WEIGHTS.sum())
    lo, hi = ref.CITY_PLZ_LO[city], ref.CITY_PLZ_HI[city]
    plz = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    street = _choice(rng, ref.STREETS, ref.STREET_WEIGHTS, n)
    num = np.where(rng.random(n) < 0.8, rng.integers(1, 60, n), rng.integers(1, 220, n))
    letter = np.where(rng.random(n) < 0.08, np.array(list("abcd"), dtype=object)[rng.integers(0, 4, n)], "")
    house = np.char.add(num.astype(str), letter.astype(str)).astype(object)
    return city, plz, street, house


def _emails(rng, first, last, birth_days):
    """Unique personal e-mail addresses built from the name like people do."""
    df = pl.DataFrame({"f": first, "l": last, "y": (1970 + birth_days // 365).astype(np.int64)})
    pattern = rng.integers(0, 8, len(df))
    digits = rng.integers(1, 99, len(df))
    provider = _choice(rng, ref.EMAIL_PROVIDERS, ref.EMAIL_PROVIDER_WEIGHTS, len(df))
    f = (ascii_fold(pl.col("f")).str.to_lowercase().str.replace_all(r"[^a-z-]+", "-")
         .str.split("-").list.first())
    lname = _email_name(pl.col("l"))
    p = pl.col("p")
    local = (
        pl.when(p == 0).then(f + "." + lname)
        .when(p == 1).then(f + lname)
        .when(p == 2).then(f.str.slice(0, 1) + "." + lname)
        .when(p == 3).then(lname + "." + f)
        .when(p == 4).then(f + "_" + lname)
        .when(p == 5).then(f + "." + lname + (pl.col("y") % 100).cast(pl.String).str.zfill(2))
        .when(p == 6).then(f + pl.col("d").cast(pl.String))
        .otherwise(lname + pl.col("d").cast(pl.String))
    )
    out = df.with_columns(p=pattern, d=digits, prov=provider).select(
        e=local + "@" + pl.col("prov"))["e"]
    # the provider only hands out each address once: add digits to later holders
    for i in range(6):
        dup = out.is_duplicated() & (pl.Series(np.arange(len(out))) != _first_index(out))
        if not dup.any():
            break
        extra = pl.Series(rng.integers(1, 10 ** (2 + i), len(out))).cast(pl.String)
        parts = out.str.split_exact("@", 1).struct.unnest()
        fixed = parts["field_0"] + extra + "@" + parts["field_1"]
        out = pl.select(pl.when(dup).then(fixed).otherwise(out)).to_series()
    return out.to_numpy().astype(object)


def _email_name(expr: pl.Expr) -> pl.Expr:
    return ascii_fold(expr).str.to_lowercase().str.replace_all(r"[^a-z-]", "")


def _first_index(s: pl.Series) -> pl.Series:
    df = pl.DataFrame({"v": s, "i": np.arange(len(s))})
    return df.select(pl.col("i").min().over("v"))["i"]


def _numbers(rng, n, digits_lo, digits_hi):
    k = rng.integers(digits_lo, digits_hi + 1, n)
    num = (rng.random(n) * (10.0 ** k)).astype(np.int64)
    return pl.Series(num).cast(pl.String).str.zfill(0).to_numpy(), k


def _compound_first_names(rng, first, gender, birth, origin):
    """Given names of several words: Vietnamese middle names, Arabic father's names, Turkish pairs."""
    codes = np.array([o.code for o in names.origins()])[origin]
    vn = np.flatnonzero(codes == "vn")
    g = np.where(gender[vn] == "m", "m", "f")
    for gg in ("m", "f"):
        sel = vn[g == gg]
        mid = names.VN_MIDDLE[gg][rng.integers(0, len(names.VN_MIDDLE[gg]), len(sel))]
        first[sel] = np.char.add(np.char.add(mid.astype(str), " "), first[sel].astype(str)).astype(object)
    for code, share, father in (("ar", 0.3, True), ("tr", 0.1, False)):
        sel = np.flatnonzero((codes == code) & (rng.random(len(first)) < share))
        if not len(sel):
            continue
        g2 = np.where(father, np.full(len(sel), "m", dtype=object), gender[sel])
        second = _first_names(rng, g2, birth[sel], origin[sel])
        ok = second != first[sel]
        sel, second = sel[ok], second[ok]
        first[sel] = np.char.add(np.char.add(first[sel].astype(str), " "), second.astype(str)).astype(object)


def _name_variants(rng, first, last_old, origin, renamed):
    """Per person: another split of the name into first/last field, or None.

    Vietnamese: the middle name dropped (``Lan``) or moved into the surname (``Nguyễn Thị``);
    Arabic: the father's name moved into the surname (``Ali Hassan``); Turkish: the second given
    name dropped. Persons whose surname changed keep one split.
    """
    n = len(first)
    codes = np.array([o.code for o in names.origins()])[origin]
    u = rng.random(n)
    fa = np.full(n, None, dtype=object)
    la = np.full(n, None, dtype=object)
    for i in np.flatnonzero(np.isin(codes, ["vn", "ar", "tr"]) & ~renamed).tolist():
        words = first[i].split(" ")
        if len(words) < 2:
            continue
        if codes[i] == "vn":
            fa[i] = words[-1]
            la[i] = f"{last_old[i]} {' '.join(words[:-1])}" if u[i] < 0.3 else last_old[i]
        elif codes[i] == "ar":
            fa[i], la[i] = words[0], f"{' '.join(words[1:])} {last_old[i]}"
        else:
            fa[i], la[i] = words[0], last_old[i]
    return fa, la


def build_persons(n: int, rng: np.random.Generator, prof: Profile, t0: int, d0: int,
                  delta_windows: list[tuple[int, int]]) -> pl.DataFrame:
    """Draw ``n`` persons; return one row per person with every attribute the sources copy.

    ``t0``/``d0`` are the history start and the initial export cut (epoch seconds);
    ``delta_windows`` the (start, end) of each later delivery.
    """
    idx = np.arange(n)
    gender = _choice(rng, np.array(["m", "f", "d"], dtype=object), [0.493, 0.5, 0.007], n)
    birth = _birth_days(rng, n)
    origin = _draw_origins(rng, birth)
    first = _first_names(rng, gender, birth, origin)
    german = origin == 0
    dbl = german & (rng.random(n) < prof.double_first_name)
    year = 1970 + birth / 365.25
    yi = _year_index(birth)
    for g in ("m", "f"):
        pool, peaks = names.double_first()[g]
        w = np.exp(-0.5 * ((names.YEARS[:, None] - peaks[None, :]) / 12.0) ** 2) + 1e-6
        sel = np.flatnonzero(dbl & (gender == g))
        first[sel] = pool[_sample_rows(rng, np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1), yi[sel])]
    _compound_first_names(rng, first, gender, birth, origin)
    last, last_origin = _draw_surnames(rng, origin)
    # double surnames (Müller-Lüdenscheidt): adults of German origin
    dsn = np.flatnonzero(german & (rng.random(n) < prof.double_surname) & (year < 2000))
    second, _ = _draw_surnames(rng, np.zeros(len(dsn), dtype=np.int64))
    last[dsn] = np.char.add(np.char.add(last[dsn].astype(str), "-"), second.astype(str)).astype(object)
    title = np.where(rng.random(n) < prof.title_dr,
                     np.where(rng.random(n) < 0.1, "Prof. Dr.", "Dr."), np.array(None, dtype=object)).astype(object)
    city, plz, street, house = _addresses(rng, n)
    household = idx.copy()
    hard = np.full(n, None, dtype=object)
    has_mobile = rng.random(n) < 0.85
    has_landline = rng.random(n) < 0.5
    # "prefix number" without the leading 0; the sources format it in every German way
    mobile = np.char.add(np.char.add(
        _choice(rng, ref.MOBILE_PREFIXES, np.ones(len(ref.MOBILE_PREFIXES)), n).astype(str), " "),
        (rng.integers(1_000_000, 9_999_999, n)).astype(str)).astype(object)
    landline_local = rng.integers(10_000, 9_999_999, n).astype(str).astype(object)

    # habits shift with age: older people phone and visit stores, younger ones shop online
    age = (d0 // DAY - birth) / 365.25
    p_online = np.clip(0.55 - (age - 20) * 0.008, 0.1, 0.6)
    u = rng.random(n)
    habit = np.where(u < p_online, "online",
                     np.where(u < p_online + 0.22, "hotline",
                              np.where(u < p_online + 0.22 + 0.28, "store", "mixed"))).astype(object)
    activity = rng.lognormal(0.0, 0.6, n)
    churned = np.where(rng.random(n) < 0.25, t0 + (rng.random(n) * (d0 - t0)).astype(np.int64), -1)
    first_seen = t0 + (rng.random(n) ** 0.8 * (d0 - t0 - 30 * DAY)).astype(np.int64)

    # --- hard negatives: disjoint pairs taken from a permutation ------------------------------
    perm = rng.permutation(n)
    pos = 0

    def take_pairs(share):
        nonlocal pos
        k = int(n * share / 2)
        a, b = perm[pos:pos + k], perm[pos + k:pos + 2 * k]
        pos += 2 * k
        return a, b

    def share_address(a, b):
        city[b], plz[b], street[b], house[b] = city[a], plz[a], street[a], house[a]
        household[b] = household[a]

    a, b = take_pairs(prof.twin)
    last[b], birth[b] = last[a], birth[a]
    share_address(a, b)
    gender[b] = np.where(rng.random(len(b)) < 0.5, gender[a], gender[b])
    origin[b], last_origin[b] = origin[a], last_origin[a]
    first[b] = _first_names(rng, gender[b], birth[b], origin[b])
    same = first[b] == first[a]
    first[b[same]] = np.where(gender[b[same]] == "f", "Anna", "Paul")
    first[b[same & (first[a] == first[b])]] = "Maria"
    hard[a] = hard[b] = "twin"
    twins = (a, b)

    a, b = take_pairs(prof.parent_child)
    gap = rng.integers(25, 36, len(a))
    parent_year = rng.integers(1940, 1970, len(a))
    birth[a] = ((parent_year - 1970) * 365.25).astype(np.int64) + rng.integers(0, 365, len(a))
    birth[b] = ((parent_year + gap - 1970) * 365.25).astype(np.int64) + rng.integers(0, 365, len(a))
    gender[b] = gender[a]
    first[b], last[b] = first[a], last[a]
    origin[b], last_origin[b] = origin[a], last_origin[a]
    share_address(a, b)
    has_landline[b] = has_landline[a]
    hard[a] = hard[b] = "parent_child"
    suffix = np.full(n, None, dtype=object)
    suffix[a], suffix[b] = "sen.", "jun."
    parent_child = (a, b)

    a, b = take_pairs(prof.shared_email)
    same_name = rng.random(len(a)) < 0.75
    last[b[same_name]] = last[a[same_name]]
    last_origin[b[same_name]] = last_origin[a[same_name]]
    share_address(a, b)
    hard[a] = hard[b] = "shared_email"
    spouses_email = (a, b)

    a, b = take_pairs(prof.shared_phone)
    last[b] = last[a]
    last_origin[b] = last_origin[a]
    share_address(a, b)
    has_landline[a] = has_landline[b] = True
    landline_local[b] = landline_local[a]
    hard[a] = hard[b] = "shared_phone"

    k = int(n * prof.common_name)
    common = perm[pos:pos + k]
    pos += k
    # small groups (2 to common_name_group persons) sharing a very common name in one big city:
    # one of the 5 most frequent first names of their birth year and gender, one of the 20 most
    # frequent surnames (Thomas Müller, Sabine Schmidt …)
    if k > 0:  # a small population may have no common-name group at all
        sizes = rng.integers(2, prof.common_name_group + 1, max(k, 1))
        n_groups = int(np.searchsorted(np.cumsum(sizes), k)) + 1
        group = np.repeat(np.arange(n_groups), sizes[:n_groups])[:k]
        de = names.origins()[0]
        g_gender = np.where(rng.random(n_groups) < 0.5, "m", "f").astype(object)
        g_year = _year_index(birth[common][np.searchsorted(group, np.arange(n_groups))])
        g_first = np.empty(n_groups, dtype=object)
        for gg, pool, p in (("m", de.male, de.male_p), ("f", de.female, de.female_p)):
            sel = np.flatnonzero(g_gender == gg)
            top5 = np.argsort(-p, axis=1)[:, :5]
            g_first[sel] = pool[top5[g_year[sel], rng.integers(0, 5, len(sel))]]
        g_last = de.surnames[rng.integers(0, 20, n_groups)]
        g_city = rng.integers(0, 10, n_groups)  # the ten biggest cities
        gender[common], first[common], last[common] = g_gender[group], g_first[group], g_last[group]
        born = birth[common[np.searchsorted(group, group)]] + rng.integers(-3 * 365, 3 * 365, k)
        birth[common] = np.minimum(born, int((2006 - 1970) * 365.25) + 364)  # the same cohort, adults
        origin[common], last_origin[common] = 0, 0
        ci, pz, st, hn = _addresses(rng, k, city=g_city[group])
        city[common], plz[common], street[common], house[common] = ci, pz, st, hn
        hard[common] = "common_name"
    reserved = perm[:pos]

    last = _gendered(last, gender)
    emails = _emails(rng, first, last, birth)
    a, b = spouses_email
    fam_local = pl.DataFrame({"l": last[a].astype(str), "d": rng.integers(1, 99, len(a))}).select(
        "familie." + _email_name(pl.col("l")) + pl.col("d").cast(pl.String) + "@web.de")
    fam = fam_local.to_series().to_numpy().astype(object)
    use_fam = rng.random(len(a)) < 0.5
    shared = np.where(use_fam, fam, emails[a])
    emails[a] = shared
    emails[b] = shared

    # --- changes over time: moves and marriage name changes -----------------------------------
    free = np.ones(n, dtype=bool)
    free[reserved] = False
    change_ts = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    moved = np.zeros(n, dtype=bool)
    renamed = np.zeros(n, dtype=bool)
    old_last = last.copy()
    new_city, new_plz, new_street, new_house = city.copy(), plz.copy(), street.copy(), house.copy()

    p_marry = np.where(gender == "f", prof.marriage_name_change * 1.7, prof.marriage_name_change * 0.3)
    marry = free & (rng.random(n) < p_marry) & (age > 22)
    move = free & ((rng.random(n) < prof.move) | (marry & (rng.random(n) < 0.6)))
    # a person's address changes only after they are known to the company
    change_ts_hist = first_seen + (rng.random(n) * (d0 - first_seen - DAY)).astype(np.int64)

    # deltas: a few more persons move or marry inside each later delivery window
    delta_change = np.full(n, -1)
    cand = np.flatnonzero(free & ~marry & ~move)
    cand = cand[rng.permutation(len(cand))]
    per = int(round(n * prof.delta_changes))
    off = 0
    for j, (ws, we) in enumerate(delta_windows, start=1):
        sel = cand[off:off + per]
        off += per
        delta_change[sel] = j
        change_ts[sel] = ws + (rng.random(len(sel)) * (we - ws)).astype(np.int64)
        is_marry = rng.random(len(sel)) < 0.3
        marry[sel[is_marry]] = True
        move[sel[~is_marry]] = True
    hist = (marry | move) & (delta_change < 0)
    change_ts[hist] = change_ts_hist[hist]

    moved[move] = True
    renamed[marry] = True
    m = np.flatnonzero(move)
    local = rng.random(len(m)) < 0.6
    ci, pz, st, hn = _addresses(rng, len(m))
    ci = np.where(local, city[m], ci)
    ci_local, pz_local, st_local, hn_local = _addresses(rng, len(m), city=ci)
    new_city[m], new_plz[m], new_street[m], new_house[m] = ci_local, pz_local, st_local, hn_local
    new_last = last.copy()
    r = np.flatnonzero(marry)
    # the spouse's origin: the same as one's own in 70 % of marriages, else the population's mix
    spouse = np.where(rng.random(len(r)) < 0.7, origin[r], _draw_origins(rng, birth[r]))
    new_last[r], new_origin = _draw_surnames(rng, spouse)
    hyphen = rng.random(len(r)) < 0.1
    new_last[r[hyphen]] = np.char.add(np.char.add(new_last[r[hyphen]].astype(str), "-"),
                                      old_last[r[hyphen]].astype(str))
    new_last = _gendered(new_last, gender)
    new_last_origin = last_origin.copy()
    new_last_origin[r] = np.where(hyphen, last_origin[r], new_origin)
    hard[r] = np.where(hard[r] == None, "married_name_change", hard[r])  # noqa: E711
    mv = np.flatnonzero(move & ~marry)
    hard[mv] = np.where(hard[mv] == None, "moved", hard[mv])  # noqa: E711

    codes = np.array([o.code for o in names.origins()])
    first_alt, last_alt = _name_variants(rng, first, old_last, origin, renamed)
    roman = ("ru", "ar", "gr")
    first_rom = _pick_variant(rng, first, codes[origin], names.romanisations, roman)
    last_old_rom = _pick_variant(rng, old_last, codes[last_origin], names.romanisations, roman)
    last_new_rom = _pick_variant(rng, new_last, codes[new_last_origin], names.romanisations, roman)
    nickname = _pick_variant(rng, first, codes[origin], lambda v, o: names.nickname_options(v))

    # persons who first appear in a delta delivery
    new_in = np.zeros(n, dtype=np.int64)
    cand_new = np.flatnonzero(free & (delta_change < 0) & ~marry & ~move)
    cand_new = cand_new[rng.permutation(len(cand_new))]
    per = int(round(n * prof.delta_new_persons))
    off = 0
    for j, (ws, we) in enumerate(delta_windows, start=1):
        sel = cand_new[off:off + per]
        off += per
        new_in[sel] = j
        first_seen[sel] = ws + (rng.random(len(sel)) * (we - ws) * 0.5).astype(np.int64)

    # which systems know the person
    member = np.zeros((n, 4), dtype=bool)
    for h, probs in MEMBERSHIP.items():
        m = habit == h
        member[m] = rng.random((int(m.sum()), 4)) < np.array(probs)
    none = ~member.any(axis=1)
    home = np.array([HOME_SYSTEM[h] for h in habit])
    member[none, home[none]] = True
    # twins and parent/child pairs are customers of the same systems more often than not
    for a, b in (twins, parent_child):
        copy = rng.random(len(a)) < 0.5
        member[b[copy]] = member[a[copy]]

    return pl.DataFrame(
        {
            "pidx": idx,
            "person_id": pl.Series(idx + 1).cast(pl.String).str.zfill(8).str.replace(r"^", "P"),
            "gender": gender.astype(str),
            "first_name": first.astype(str),
            "last_name_old": old_last.astype(str),
            "last_name_new": new_last.astype(str),
            "name_origin": codes[origin].astype(str),
            "first_alt": pl.Series(first_alt.tolist(), dtype=pl.String),
            "last_alt": pl.Series(last_alt.tolist(), dtype=pl.String),
            "first_rom": pl.Series(first_rom.tolist(), dtype=pl.String),
            "last_old_rom": pl.Series(last_old_rom.tolist(), dtype=pl.String),
            "last_new_rom": pl.Series(last_new_rom.tolist(), dtype=pl.String),
            "nickname": pl.Series(nickname.tolist(), dtype=pl.String),
            "title": pl.Series(title.tolist(), dtype=pl.String),
            "name_suffix": pl.Series(suffix.tolist(), dtype=pl.String),
            "birth_days": birth,
            "household_id": pl.Series(household + 1).cast(pl.String).str.zfill(8).str.replace(r"^", "H"),
            "hard_case": pl.Series(hard.tolist(), dtype=pl.String),
            "city_old": ref.CITY_NAMES[city].astype(str),
            "plz_old": pl.Series(plz).cast(pl.String).str.zfill(5),
            "street_old": street.astype(str),
            "house_old": house.astype(str),
            "area": ref.CITY_AREA[city].astype(str),
            "city_new": ref.CITY_NAMES[new_city].astype(str),
            "plz_new": pl.Series(new_plz).cast(pl.String).str.zfill(5),
            "street_new": new_street.astype(str),
            "house_new": new_house.astype(str),
            "email": emails.astype(str),
            "mobile": pl.Series(np.where(has_mobile, mobile, np.array(None, dtype=object)).tolist(), dtype=pl.String),
            "landline": pl.Series(np.where(has_landline, landline_local, np.array(None, dtype=object)).tolist(), dtype=pl.String),
            "habit": habit.astype(str),
            "activity": activity,
            "churned_at": churned,
            "first_seen": first_seen,
            "new_in_delivery": new_in,
            "change_ts": change_ts,
            "moved": moved,
            "renamed": renamed,
            "in_erp": member[:, 0],
            "in_crm": member[:, 1],
            "in_shop": member[:, 2],
            "in_bonus": member[:, 3],
        }
    )
