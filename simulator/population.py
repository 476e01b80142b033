"""The simulated population: persons, households, habits, moves, name changes, hard negatives.

Everything is drawn with numpy in whole arrays; the result is one Polars frame, one row per person.
"""

from __future__ import annotations

import numpy as np
import polars as pl

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

_TRANSLIT = (["ä", "ö", "ü", "Ä", "Ö", "Ü", "ß", "é", "ş", "Ş", "ğ", "ı", "İ", "ł"],
             ["ae", "oe", "ue", "Ae", "Oe", "Ue", "ss", "e", "s", "S", "g", "i", "I", "l"])


def ascii_fold(expr: pl.Expr) -> pl.Expr:
    """ä→ae, ß→ss, … (how e-mail addresses and old systems write German names)."""
    return expr.str.replace_many(*_TRANSLIT)


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


def _first_names(rng, gender, birth_days):
    year = 1970 + birth_days / 365.25
    era = np.where(year < 1960, 0, np.where(year < 1985, 1, 2))
    out = np.empty(len(gender), dtype=object)
    for g, names, weights in (("m", ref.MALE_NAMES, ref.MALE_WEIGHTS),
                              ("f", ref.FEMALE_NAMES, ref.FEMALE_WEIGHTS)):
        for e in range(3):
            m = (gender == g) & (era == e)
            out[m] = _choice(rng, names, weights[:, e], int(m.sum()))
    m = gender == "d"
    pool = np.concatenate([ref.MALE_NAMES, ref.FEMALE_NAMES])
    out[m] = pool[rng.integers(0, len(pool), int(m.sum()))]
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
    f = ascii_fold(pl.col("f").str.split("-").list.first()).str.to_lowercase()
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


def build_persons(n: int, rng: np.random.Generator, prof: Profile, t0: int, d0: int,
                  delta_windows: list[tuple[int, int]]) -> pl.DataFrame:
    """Draw ``n`` persons; return one row per person with every attribute the sources copy.

    ``t0``/``d0`` are the history start and the initial export cut (epoch seconds);
    ``delta_windows`` the (start, end) of each later delivery.
    """
    idx = np.arange(n)
    gender = _choice(rng, np.array(["m", "f", "d"], dtype=object), [0.493, 0.5, 0.007], n)
    birth = _birth_days(rng, n)
    first = _first_names(rng, gender, birth)
    dbl = rng.random(n) < prof.double_first_name
    for g, pool in (("m", ref.MALE_DOUBLE), ("f", ref.FEMALE_DOUBLE)):
        m = dbl & (gender == g)
        first[m] = pool[rng.integers(0, len(pool), int(m.sum()))]
    last = _choice(rng, ref.SURNAMES, ref.SURNAME_WEIGHTS, n)
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
    first[b] = _first_names(rng, gender[b], birth[b])
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
    share_address(a, b)
    has_landline[b] = has_landline[a]
    hard[a] = hard[b] = "parent_child"
    suffix = np.full(n, None, dtype=object)
    suffix[a], suffix[b] = "sen.", "jun."
    parent_child = (a, b)

    a, b = take_pairs(prof.shared_email)
    same_name = rng.random(len(a)) < 0.75
    last[b[same_name]] = last[a[same_name]]
    share_address(a, b)
    hard[a] = hard[b] = "shared_email"
    spouses_email = (a, b)

    a, b = take_pairs(prof.shared_phone)
    last[b] = last[a]
    share_address(a, b)
    has_landline[a] = has_landline[b] = True
    landline_local[b] = landline_local[a]
    hard[a] = hard[b] = "shared_phone"

    k = int(n * prof.common_name)
    common = perm[pos:pos + k]
    pos += k
    combo = rng.integers(0, len(ref.COMMON_NAMES), k)
    big_cities = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    for c in range(len(ref.COMMON_NAMES)):
        m = common[combo == c]
        g, fn, ln = ref.COMMON_NAMES[c]
        gender[m], first[m], last[m] = g, fn, ln
        ci, pz, st, hn = _addresses(rng, len(m), city=np.full(len(m), big_cities[c]))
        city[m], plz[m], street[m], house[m] = ci, pz, st, hn
    hard[common] = "common_name"
    reserved = perm[:pos]

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
    new_last[r] = _choice(rng, ref.SURNAMES, ref.SURNAME_WEIGHTS, len(r))
    hyphen = rng.random(len(r)) < 0.1
    new_last[r[hyphen]] = np.char.add(np.char.add(new_last[r[hyphen]].astype(str), "-"),
                                      old_last[r[hyphen]].astype(str))
    hard[r] = np.where(hard[r] == None, "married_name_change", hard[r])  # noqa: E711
    mv = np.flatnonzero(move & ~marry)
    hard[mv] = np.where(hard[mv] == None, "moved", hard[mv])  # noqa: E711

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
