"""Person-describing source records: which system knows whom, since when, and how it wrote it down.

A *record* is one ERP customer, CRM contact, shop account (registered or guest) or bonus member.
A *version* is one delivery of a record: the initial export, or a delta re-delivery after the
person moved or changed their name. Noise (typos, spellings, formats) is drawn per record so a
re-delivered record keeps its typos.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from simulator import names
from simulator import reference as ref
from simulator.population import DAY, YEAR, ascii_fold
from simulator.profiles import Profile

FIELD_CHUNK = 100_000
SOURCE_CODE = {"erp": 0, "crm": 1, "shop": 2, "bonus": 3}


def base_records(P: pl.DataFrame, rng: np.random.Generator, prof: Profile, d0: int) -> pl.DataFrame:
    """One row per non-guest record: source, person index, created time, duplicate flag."""
    frames = []
    first_seen = P["first_seen"].to_numpy()
    for src in ("erp", "crm", "shop", "bonus"):
        member = P[f"in_{src}"].to_numpy()
        if src == "shop":  # some shop customers only ever check out as guests
            member = member & (rng.random(len(P)) < 0.8)
        pidx = np.flatnonzero(member)
        dup_rate = {"shop": prof.duplicate_shop_account, "crm": prof.duplicate_crm_contact}.get(src, 0)
        dups = pidx[rng.random(len(pidx)) < dup_rate]
        all_p = np.concatenate([pidx, dups])
        is_dup = np.concatenate([np.zeros(len(pidx), bool), np.ones(len(dups), bool)])
        fs = first_seen[all_p]
        initial = fs < d0
        span = np.maximum(d0 - fs - 1, 1)
        lag = np.minimum(rng.exponential(1.5 * YEAR, len(all_p)), span * rng.random(len(all_p)) + 1)
        created = np.where(initial, fs + lag.astype(np.int64), fs + rng.integers(0, 3600 * 6, len(all_p)))
        created = np.where(initial, np.minimum(created, d0 - 60), created)
        dup_lag = (rng.random(len(all_p)) * np.maximum(d0 - created - 60, 1)).astype(np.int64)
        created = np.where(is_dup & initial, created + dup_lag, created)
        frames.append(pl.DataFrame({"source": src, "pidx": all_p, "is_dup": is_dup,
                                    "is_guest": False, "created": created}))
    return pl.concat(frames)


def add_timeline(R: pl.DataFrame, P: pl.DataFrame, rng: np.random.Generator, prof: Profile,
                 d0: int, windows: list[tuple[int, int]]) -> pl.DataFrame:
    """Add ``updated`` (state of the initial export), ``delivery`` (first delivery) and delta touches."""
    n = len(R)
    pidx = R["pidx"].to_numpy()
    created = R["created"].to_numpy()
    guest = R["is_guest"].to_numpy()
    change = P["change_ts"].to_numpy()[pidx]
    delivery = np.where(created < d0, 0, 1 + (created - d0) // DAY)
    u = rng.random(n)
    seen = rng.random(n) >= prof.stale_after_move
    normal = created + (u * np.maximum(d0 - created, 1)).astype(np.int64)
    hist_change = change < d0
    before = created < change
    upd = normal
    upd = np.where(hist_change & before & seen, change + (u * np.maximum(d0 - change, 1)).astype(np.int64), upd)
    upd = np.where(hist_change & before & ~seen, created + (u * np.maximum(change - created, 1)).astype(np.int64), upd)
    upd = np.where(delivery > 0, created, upd)
    upd = np.where(guest, created, upd)
    upd = np.minimum(upd, np.where(delivery > 0, upd, d0 - 1))
    touch = np.full(n, -1)
    touch_ts = np.zeros(n, dtype=np.int64)
    delta_change = (change >= d0) & (change < np.iinfo(np.int64).max) & ~guest & (delivery == 0)
    if windows:
        ends = np.array([w[1] for w in windows])
        j = np.clip((change - d0) // DAY, 0, len(windows) - 1)
        t = delta_change & seen
        touch = np.where(t, j + 1, -1)
        touch_ts = np.where(t, change + (rng.random(n) * np.maximum(ends[j] - change, 1)).astype(np.int64), 0)
    return R.with_columns(updated=upd, delivery=delivery, touch=touch, touch_ts=touch_ts)


def assign_ids(R: pl.DataFrame) -> pl.DataFrame:
    """Give each record its id, numbered in order of creation like the source systems do."""
    R = R.sort(["source", "is_guest", "created", "rid"])
    seq = pl.int_range(1, pl.len() + 1).over(["source", "is_guest"])
    bonus_body = (pl.lit("2760") + (seq + 10_000_000).cast(pl.String))
    digits = [bonus_body.str.slice(i, 1).cast(pl.Int64) for i in range(12)]
    weighted = sum((d * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)), start=pl.lit(0, pl.Int64))
    check = (10 - (weighted % 10)) % 10
    R = R.with_columns(
        record_id=pl.when(pl.col("source") == "erp").then((seq + 10_000_000).cast(pl.String))
        .when(pl.col("source") == "crm").then(pl.lit("CRM-") + seq.cast(pl.String).str.zfill(7))
        .when((pl.col("source") == "shop") & pl.col("is_guest")).then(pl.lit("G-") + seq.cast(pl.String).str.zfill(6))
        .when(pl.col("source") == "shop").then(pl.lit("S-") + seq.cast(pl.String).str.zfill(6))
        .otherwise(bonus_body + check.cast(pl.String))
    )
    return R.sort("rid")


def versions(R: pl.DataFrame) -> pl.DataFrame:
    """One row per delivered version of a record: (rid, delivery, snap = state time)."""
    first = R.select("rid", "delivery", snap=pl.col("updated"))
    touched = R.filter(pl.col("touch") > 0).select("rid", delivery=pl.col("touch"), snap=pl.col("touch_ts"))
    return pl.concat([first, touched]).sort(["delivery", "rid"])


# ---------------------------------------------------------------------------------------------
# noise


def _typo(s: str, u: float, kind: int) -> str:
    if len(s) < 3:
        return s
    i = 1 + int(u * (len(s) - 2))
    c = s[i]
    if kind == 0:  # neighbouring key
        nb = ref.QWERTZ_NEIGHBOURS.get(c.lower())
        if not nb:
            return s[:i] + s[i + 1:]
        r = nb[int(u * 1000) % len(nb)]
        return s[:i] + (r.upper() if c.isupper() else r) + s[i + 1:]
    if kind == 1:  # dropped letter
        return s[:i] + s[i + 1:]
    if kind == 2:  # doubled letter
        return s[:i] + c + s[i:]
    return s[:i - 1] + s[i] + s[i - 1] + s[i + 1:]  # swapped neighbours


def apply_typos(values: pl.Series, mask: np.ndarray, u: np.ndarray, kind: np.ndarray) -> pl.Series:
    """Keyboard typos, dropped, doubled and swapped letters on the masked rows only."""
    idx = np.flatnonzero(mask & values.is_not_null().to_numpy())
    if len(idx) == 0:
        return values
    vals = values.gather(idx).to_list()
    new = [_typo(v, float(a), int(k)) for v, a, k in zip(vals, u[idx], kind[idx], strict=True)]
    return values.scatter(idx, pl.Series(new, dtype=pl.String))


_STRIP = (["ä", "ö", "ü", "Ä", "Ö", "Ü"], ["a", "o", "u", "A", "O", "U"])


def _phone_expr(kind: pl.Expr, pre: pl.Expr, rest: pl.Expr) -> pl.Expr:
    """A number (area/prefix without 0 + subscriber number) in one of nine German formats."""
    return (
        pl.when(kind == 0).then("0" + pre + " " + rest)
        .when(kind == 1).then("0" + pre + rest)
        .when(kind == 2).then("+49 " + pre + " " + rest)
        .when(kind == 3).then("+49" + pre + rest)
        .when(kind == 4).then("0049 " + pre + " " + rest)
        .when(kind == 5).then("0" + pre + "/" + rest)
        .when(kind == 6).then("(0" + pre + ") " + rest.str.slice(0, rest.str.len_chars() - 1) + "-"
                              + rest.str.slice(-1))
        .when(kind == 7).then("+49 (0)" + pre + " " + rest)
        .otherwise("0" + pre + "-" + rest)
    )


def record_fields(V: pl.DataFrame, R: pl.DataFrame, P: pl.DataFrame, rng: np.random.Generator,
                  prof: Profile) -> pl.DataFrame:
    """Every person field of every version, as the record's source system wrote it."""
    n = len(R)
    src = R["source"].to_numpy()
    f = {k: rng.random(n) for k in (
        "swap", "caps", "translit", "strip", "dblvar", "suffix", "typo_f", "typo_l", "typo_u",
        "street_var", "house_var", "wrong_plz", "email_var", "plus", "miss_email", "miss_phone",
        "miss_mobile", "miss_birth", "miss_addr", "title_drop", "sal_empty", "pref", "split", "rom",
        "nick", "plain", "dbl_last")}
    ints = {k: rng.integers(0, 9, n) for k in (
        "dblkind", "typo_kind", "street_kind", "house_kind", "plz_digit", "email_kind", "fmt_m",
        "fmt_l", "pref_kind")}
    noise = pl.DataFrame({"rid": np.arange(n), **{f"r_{k}": v for k, v in f.items()},
                          **{f"k_{k}": v for k, v in ints.items()}})
    src_mult = np.select([src == "erp", src == "bonus"], [2.0, 2.0], 1.0)
    translit_mask = f["translit"] < np.minimum(prof.transliterate * src_mult, 0.9)

    pcols = ["pidx", "person_id", "gender", "first_name", "last_name_old", "last_name_new", "title",
             "name_suffix", "birth_days", "city_old", "plz_old", "street_old", "house_old", "area",
             "city_new", "plz_new", "street_new", "house_new", "email", "mobile", "landline",
             "habit", "change_ts", "moved", "renamed", "hard_case", "household_id", "first_alt",
             "last_alt", "first_rom", "last_old_rom", "last_new_rom", "nickname"]
    draws = _Draws(R.select("rid", "source", "pidx", "is_dup", "is_guest", "record_id", "created"),
                   P.select(pcols), noise, f, ints, translit_mask)
    chunks = []
    for off in range(0, V.height, FIELD_CHUNK):
        chunks.append(_fields(V.slice(off, FIELD_CHUNK), draws, prof))
    return pl.concat(chunks) if chunks else _fields(V, draws, prof)


@dataclass(frozen=True)
class _Draws:
    """What every chunk of versions joins: the records and persons they belong to, and each
    record's random draws (uniform ``f``, small integers ``ints``, both also as the ``noise``
    frame's ``r_*`` / ``k_*`` columns; ``translit_mask``: records that transliterate umlauts)."""

    records: pl.DataFrame
    persons: pl.DataFrame
    noise: pl.DataFrame
    f: dict[str, np.ndarray]
    ints: dict[str, np.ndarray]
    translit_mask: np.ndarray


def _fields(V: pl.DataFrame, draws: _Draws, prof: Profile) -> pl.DataFrame:
    c = pl.col
    f, ints, translit_mask = draws.f, draws.ints, draws.translit_mask
    df = (V.join(draws.records, on="rid", how="left", maintain_order="left")
          .join(draws.persons, on="pidx", how="left", maintain_order="left")
          .join(draws.noise, on="rid", how="left", maintain_order="left"))
    changed = c("snap") >= c("change_ts")
    new_name = c("renamed") & changed
    # how this system split, romanised and shortened the name (docs/simulator.md, error model)
    split = c("first_alt").is_not_null() & (c("r_split") < prof.name_split_variant)
    rom = c("r_rom") < prof.romanisation_variant
    nick_rate = (pl.when(c("source") == "erp").then(prof.nickname * 0.25)
                 .when(c("source").is_in(["shop", "bonus"])).then(prof.nickname * 1.5)
                 .otherwise(prof.nickname))
    nick = ~split & c("nickname").is_not_null() & (c("r_nick") < nick_rate)
    first = (pl.when(split).then(c("first_alt"))
             .when(nick).then(c("nickname"))
             .when(rom & c("first_rom").is_not_null()).then(c("first_rom"))
             .otherwise(c("first_name")))
    last_rom = pl.when(new_name).then(c("last_new_rom")).otherwise(c("last_old_rom"))
    last = pl.when(new_name).then(c("last_name_new")).otherwise(c("last_name_old"))
    last = (pl.when(split & ~new_name & c("last_alt").is_not_null()).then(c("last_alt"))
            .when(rom & last_rom.is_not_null()).then(last_rom)
            .otherwise(last))
    df = df.with_columns(first=first, last=last)
    is_double = c("first").str.contains("-")
    parts = c("first").str.split("-")
    first = (
        pl.when(is_double & (c("r_dblvar") < prof.double_name_variant))
        .then(pl.when(c("k_dblkind") < 4).then(c("first").str.replace("-", " "))
              .when(c("k_dblkind") < 6).then(parts.list.get(0).str.slice(0, 1) + ".-"
                                             + parts.list.get(1).str.slice(0, 1) + ".")
              .otherwise(parts.list.get(0)))
        .otherwise(c("first"))
    )
    # a double surname (Müller-Lüdenscheidt) written with a space or only its first part
    dbl_last = c("last").str.contains(r"^\p{Lu}\p{Ll}{2,}-\p{Lu}") & (c("r_dbl_last") < prof.double_name_variant)
    last = (pl.when(dbl_last & (c("k_dblkind") < 5)).then(c("last").str.replace("-", " ", literal=True))
            .when(dbl_last).then(c("last").str.split("-").list.first())
            .otherwise(c("last")))
    last = pl.when(c("name_suffix").is_not_null() & (c("r_suffix") < 0.3)).then(
        last + " " + c("name_suffix")).otherwise(last)
    addr_new = c("moved") & changed
    street = pl.when(addr_new).then(c("street_new")).otherwise(c("street_old"))
    house = pl.when(addr_new).then(c("house_new")).otherwise(c("house_old"))
    plz = pl.when(addr_new).then(c("plz_new")).otherwise(c("plz_old"))
    city = pl.when(addr_new).then(c("city_new")).otherwise(c("city_old"))
    df = df.with_columns(first=first, last=last, street=street, house=house, plz=plz, city=city)

    tl = pl.Series(translit_mask).gather(df["rid"])
    df = df.with_columns(
        first=pl.when(tl).then(ascii_fold(c("first"))).otherwise(c("first")),
        last=pl.when(tl).then(ascii_fold(c("last"))).otherwise(c("last")),
    ).with_columns(
        first=pl.when(c("r_strip") < prof.strip_umlaut).then(c("first").str.replace_many(*_STRIP)).otherwise(c("first")),
        last=pl.when(c("r_strip") < prof.strip_umlaut).then(c("last").str.replace_many(*_STRIP)).otherwise(c("last")),
    )
    # letters a system or keyboard lacks: the bonus terminal has German letters only; in the CRM
    # and the shop a share of names is typed on a German keyboard (ş -> s, ł -> l, ễ -> e)
    plain = (c("source") == "bonus") | (c("source").is_in(["crm", "shop"]) & (c("r_plain") < prof.plain_letters))
    german = names.fold_map("german")
    df = df.with_columns(
        first=pl.when(plain).then(c("first").str.replace_many(*german)).otherwise(c("first")),
        last=pl.when(plain).then(c("last").str.replace_many(*german)).otherwise(c("last")),
    )
    rid = df["rid"].to_numpy()
    u = f["typo_u"][rid]
    kind = ints["typo_kind"][rid] % 4
    df = df.with_columns(
        first=apply_typos(df["first"], f["typo_f"][rid] < prof.typo, u, kind),
        last=apply_typos(df["last"], f["typo_l"][rid] < prof.typo, 1 - u, kind),
    )
    swap = c("r_swap") < prof.swapped_name
    df = df.with_columns(
        first=pl.when(swap).then(c("last")).otherwise(c("first")),
        last=pl.when(swap).then(c("first")).otherwise(c("last")),
        swapped=swap,
    )
    caps = (c("source") == "erp") & (c("r_caps") < prof.all_caps_erp)
    lower = (c("source") == "shop") & (c("r_caps") < prof.lower_case_shop)
    erp = c("source") == "erp"
    df = df.with_columns(
        first=pl.when(caps).then(c("first").str.to_uppercase()).when(lower).then(c("first").str.to_lowercase()).otherwise(c("first")),
        last=pl.when(caps).then(c("last").str.to_uppercase()).when(lower).then(c("last").str.to_lowercase()).otherwise(c("last")),
    )
    # streets: Straße / Str. / Strasse, house numbers 12a / 12 A / 12A
    sv = c("r_street_var") < prof.street_variant
    sk = c("k_street_kind")
    street = (
        pl.when(sv & (sk < 5)).then(c("street").str.replace("straße$", "str.").str.replace("Straße$", "Str."))
        .when(sv & (sk < 8)).then(c("street").str.replace_all("ß", "ss"))
        .when(sv).then(c("street").str.replace("straße$", "str").str.replace("Straße$", "Str"))
        .otherwise(c("street"))
    )
    hv = (c("r_house_var") < prof.house_number_variant) & c("house").str.contains("[a-d]$")
    hk = c("k_house_kind")
    letter = c("house").str.slice(-1)
    num = c("house").str.slice(0, c("house").str.len_chars() - 1)
    house = (pl.when(hv & (hk < 3)).then(num + " " + letter.str.to_uppercase())
             .when(hv & (hk < 6)).then(num + letter.str.to_uppercase())
             .when(hv).then(num + " " + letter).otherwise(c("house")))
    wrong = c("r_wrong_plz") < prof.wrong_postcode
    plz = pl.when(wrong).then(c("plz").str.slice(0, 4) + ((c("plz").str.slice(4, 1).cast(pl.Int64) + 1
                               + c("k_plz_digit")) % 10).cast(pl.String)).otherwise(c("plz"))
    city = pl.when(erp & (c("r_caps") < prof.all_caps_erp * 0.5)).then(c("city").str.to_uppercase()).otherwise(c("city"))
    df = df.with_columns(street=street, house=house, plz=plz, city=city,
                         wrong_postcode=wrong, stale_address=c("moved") & ~changed)

    # e-mail: missing by source, case / whitespace variants, plus-addressing in the shop
    miss = prof.missing
    def miss_rate(field):
        return (pl.when(c("source") == "erp").then(miss["erp"].get(field, 0.0))
                .when(c("source") == "crm").then(miss["crm"].get(field, 0.0))
                .when(c("source") == "shop").then(miss["shop"].get(field, 0.0))
                .otherwise(miss["bonus"].get(field, 0.0)))
    e = c("email")
    at = e.str.split_exact("@", 1)
    loc, dom = at.struct.field("field_0"), at.struct.field("field_1")
    ek = c("k_email_kind")
    shop = c("source") == "shop"
    dup_email = loc + pl.lit(".") + (c("rid") % 97 + 2).cast(pl.String) + "@" + pl.when(dom == "gmx.de").then(pl.lit("web.de")).otherwise(pl.lit("gmx.de"))
    e = pl.when(shop & c("is_dup")).then(dup_email).otherwise(e)
    e = pl.when(shop & (c("r_plus") < prof.plus_address)).then(
        e.str.replace("@", "+shop@", literal=True)).otherwise(e)
    ev = c("r_email_var") < prof.email_case_space
    e = (pl.when(ev & (ek < 3)).then(e.str.to_uppercase())
         .when(ev & (ek < 6)).then(e.str.slice(0, 1).str.to_uppercase() + e.str.slice(1))
         .when(ev & (ek < 8)).then(" " + e)
         .when(ev).then(e + " ").otherwise(e))
    e = pl.when(~shop & (c("r_miss_email") < miss_rate("email"))).then(None).otherwise(e)

    mob = c("mobile").str.split_exact(" ", 1)
    mobile = _phone_expr(c("k_fmt_m"), mob.struct.field("field_0"), mob.struct.field("field_1"))
    landline = _phone_expr(c("k_fmt_l"), c("area").str.slice(1), c("landline"))
    birth = pl.from_epoch(c("birth_days"), "d")
    birth = pl.when(c("is_guest") | (c("r_miss_birth") < miss_rate("birth_date"))).then(None).otherwise(birth)
    sal = pl.when(c("gender") == "m").then(pl.lit("Herr")).when(c("gender") == "f").then(pl.lit("Frau")).otherwise(pl.lit("Divers"))
    sal = pl.when(erp & (c("r_sal_empty") < 0.08)).then(None).otherwise(sal)
    title = pl.when(c("r_title_drop") < 0.4).then(None).otherwise(c("title"))
    # CRM keeps landline and mobile apart; the others have one phone field
    mobile_missing = c("r_miss_mobile") < miss_rate("mobile")
    phone_missing = c("r_miss_phone") < miss_rate("phone")
    crm = c("source") == "crm"
    phone = (pl.when(crm).then(pl.when(phone_missing).then(None).otherwise(landline))
             .when(phone_missing).then(None)
             .when(c("landline").is_not_null() & ((c("source") == "erp") | (c("k_fmt_m") < 3))).then(landline)
             .otherwise(mobile))
    mobile = pl.when(crm & ~mobile_missing).then(mobile).otherwise(None)
    pref = (pl.when(crm & (c("r_pref") < 0.2)).then(
        pl.when(c("k_pref_kind") < 6).then(
            pl.when(c("habit") == "online").then(pl.lit("email"))
            .when(c("habit") == "hotline").then(pl.lit("phone"))
            .when(c("habit") == "store").then(pl.lit("letter")).otherwise(pl.lit("email")))
        .when(c("k_pref_kind") < 7).then(pl.lit("sms"))
        .when(c("k_pref_kind") < 8).then(pl.lit("phone")).otherwise(pl.lit("letter"))))
    addr_missing = crm & (c("r_miss_addr") < miss["crm"].get("address", 0.0))
    df = df.with_columns(email=e, phone=phone, mobile_out=mobile, birth_date=birth, salutation=sal,
                         title_out=title, preferred_channel=pref, address_missing=addr_missing)
    # Windows-1252 cannot store ş, ł, ć, ğ, ı, ș, ễ …: the ERP writes the base letter (ö, é, š stay)
    cp1252 = names.fold_map("cp1252")
    df = df.with_columns(
        first=pl.when(erp).then(c("first").str.replace_many(*cp1252)).otherwise(c("first")),
        last=pl.when(erp).then(c("last").str.replace_many(*cp1252)).otherwise(c("last")),
    )
    return df.select("rid", "delivery", "snap", "source", "pidx", "is_dup", "is_guest", "record_id",
                     "created", "first", "last", "street", "house", "plz", "city", "email", "phone",
                     "mobile_out", "birth_date", "salutation", "title_out", "preferred_channel",
                     "address_missing", "swapped", "wrong_postcode", "stale_address")


def add_cross_references(F: pl.DataFrame, R: pl.DataFrame, rng: np.random.Generator,
                         prof: Profile) -> pl.DataFrame:
    """CRM contacts carrying the ERP number and shop accounts carrying the bonus card, partially and sometimes wrongly."""
    out = []
    for src, target, cov, col in (("crm", "erp", prof.xref_erp_in_crm, "xref_erp"),
                                  ("shop", "bonus", prof.xref_bonus_in_shop, "xref_bonus")):
        tgt = (R.filter((pl.col("source") == target) & ~pl.col("is_dup"))
               .group_by("pidx").agg(pl.col("record_id").min()).sort("pidx"))
        ids = tgt["record_id"].to_numpy()
        recs = R.filter((pl.col("source") == src) & ~pl.col("is_guest")).select("rid", "pidx")
        m = recs.join(tgt.rename({"record_id": "own"}), on="pidx", how="left", maintain_order="left")
        k = len(m)
        u = rng.random(k)
        wrong_pick = ids[rng.integers(0, max(len(ids), 1), k)] if len(ids) else np.full(k, None)
        own = m["own"].to_numpy()
        has = pl.Series(own).is_not_null().to_numpy()
        carry = has & (u < cov)
        wrong = (carry & (rng.random(k) < prof.xref_wrong)) | (~has & (u < prof.xref_wrong * 0.3))
        val = np.where(wrong, wrong_pick, np.where(carry, own, np.array(None, dtype=object)))
        out.append(pl.DataFrame({"rid": m["rid"], col: pl.Series(val.tolist(), dtype=pl.String),
                                 f"{col}_wrong": wrong & (val != own)}))
    x = out[0].join(out[1], on="rid", how="full", coalesce=True)
    return F.join(x, on="rid", how="left", maintain_order="left")
