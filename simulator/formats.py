"""Column layouts of the export files: one function per file, returning a lazy frame in file order.

Each frame carries ``__delivery`` (index of the delivery the row belongs to) and, for person
files, ``__rid`` (the simulator's record index); both are dropped before writing.
"""

from __future__ import annotations

import polars as pl

from simulator.population import DAY

_c = pl.col


def _berlin(col: str) -> pl.Expr:
    return (pl.from_epoch(col, "s").dt.replace_time_zone("UTC").dt.convert_time_zone("Europe/Berlin")
            .dt.strftime("%Y-%m-%dT%H:%M:%S%:z"))


def _berlin_local(col: str) -> pl.Expr:
    return (pl.from_epoch(col, "s").dt.replace_time_zone("UTC").dt.convert_time_zone("Europe/Berlin")
            .dt.strftime("%Y-%m-%d %H:%M:%S"))


def _utc(col: str) -> pl.Expr:
    return pl.from_epoch(col, "s").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _erp_date(col: str) -> pl.Expr:
    return pl.from_epoch(col, "s").dt.strftime("%d.%m.%Y")


def _money(cents: pl.Expr, sep: str) -> pl.Expr:
    return (cents // 100).cast(pl.String) + sep + (cents % 100).cast(pl.String).str.zfill(2)


def _delivery(d0: int) -> pl.Expr:
    ts = _c("ts")
    return pl.when(ts < d0).then(0).otherwise(1 + (ts - d0) // DAY).alias("__delivery")


_META = [_c("delivery").alias("__delivery"), _c("rid").alias("__rid")]
_STREET_FULL = _c("street") + " " + _c("house")


def _person(F: pl.DataFrame, source: str) -> pl.LazyFrame:
    return F.lazy().filter(_c("source") == source).sort(["delivery", "record_id"])


def kunden(F: pl.DataFrame) -> pl.LazyFrame:
    """ERP customer master."""
    return _person(F, "erp").select(
        *_META, Kundennummer="record_id", Anrede="salutation", Titel="title_out", Vorname="first",
        Nachname="last", **{"Straße": _STREET_FULL}, PLZ="plz", Ort="city", Land=pl.lit("DE"),
        Telefon="phone", **{"E-Mail": "email"}, Geburtsdatum=_c("birth_date").dt.strftime("%d.%m.%Y"),
        Angelegt_am=_erp_date("created"), Geaendert_am=_erp_date("snap"))


def contacts(F: pl.DataFrame) -> pl.LazyFrame:
    """CRM contacts."""
    no_addr = _c("address_missing")

    def addr(col):
        return pl.when(no_addr).then(None).otherwise(_c(col))

    return _person(F, "crm").select(
        *_META, contact_id="record_id", salutation="salutation", title="title_out", first_name="first",
        last_name="last", email="email", phone="phone", mobile="mobile_out", street=addr("street"),
        house_number=addr("house"), postal_code=addr("plz"), city=addr("city"), country=pl.lit("DE"),
        birth_date=_c("birth_date").dt.strftime("%Y-%m-%d"), erp_customer_no="xref_erp",
        preferred_channel="preferred_channel", created=_berlin("created"), updated=_berlin("snap"))


def accounts(F: pl.DataFrame) -> pl.LazyFrame:
    """Shop accounts, registered and guest."""
    return _person(F, "shop").select(
        *_META, account_id="record_id",
        type=pl.when(_c("is_guest")).then(pl.lit("guest")).otherwise(pl.lit("registered")),
        email="email", email_verified=~_c("is_guest") & ((_c("rid") % 10) < 8),
        first_name="first", last_name="last", phone="phone",
        birth_date=_c("birth_date").dt.strftime("%Y-%m-%d"),
        address=pl.struct(street=_STREET_FULL, zip=_c("plz"), city=_c("city"), country=pl.lit("DE")),
        bonus_card_number="xref_bonus", created_at=_utc("created"), updated_at=_utc("snap"))


def members(F: pl.DataFrame) -> pl.LazyFrame:
    """Bonus-program members."""
    return _person(F, "bonus").select(
        *_META, card_number="record_id", first_name="first", last_name="last",
        birth_date=_c("birth_date").dt.strftime("%Y-%m-%d"), street=_STREET_FULL, postcode="plz",
        city="city", email="email", phone="phone",
        enrolled_at=pl.from_epoch("created", "s").dt.strftime("%Y-%m-%d"),
        status=pl.when((_c("rid") % 33) == 0).then(pl.lit("blocked")).otherwise(pl.lit("active")))


def rechnungen(invoices: pl.DataFrame, d0: int) -> pl.LazyFrame:
    """ERP invoices and credit notes."""
    return invoices.lazy().sort("ts", "doc_id").select(
        Belegnummer="doc_id", Belegart="art", Kundennummer="kunde", Belegdatum=_erp_date("ts"),
        Betrag=_money(_c("cents"), ","), Waehrung=pl.lit("EUR"), Vertriebsweg="way",
        Artikelmodelle="models", __delivery=_delivery(d0))


def interactions(ev: pl.DataFrame, d0: int) -> pl.LazyFrame:
    """CRM interactions."""
    return ev.lazy().select(
        interaction_id="interaction_id", contact_id="contact_id", timestamp=_berlin("ts"), channel="channel",
        direction="direction", type="type", subject="subject", outcome="outcome", status="status",
        __delivery=_delivery(d0))


def consent_events(ev: pl.DataFrame, d0: int) -> pl.LazyFrame:
    """CRM consent events (one JSON array per file)."""
    return ev.lazy().select(
        event_id="event_id", contact_id="contact_id", purpose="purpose", channel="channel",
        contact_point="contact_point", status="status", timestamp=_berlin("ts"), method="method", text_version="text_version", __delivery=_delivery(d0))


def orders(ev: pl.DataFrame, d0: int) -> pl.LazyFrame:
    """Shop orders with line items."""
    return ev.lazy().select(
        order_id="order_id", account_id="account_id", ordered_at=_utc("ts"), status="status",
        channel="channel", currency=pl.lit("EUR"), total="total", items="items", __delivery=_delivery(d0))


def newsletter(ev: pl.DataFrame, d0: int) -> pl.LazyFrame:
    """Shop newsletter subscribe / unsubscribe events."""
    return ev.lazy().select(
        signup_id="signup_id", account_id="account_id", email="email", action="action", timestamp=_utc("ts"),
        confirmed_at=pl.when(_c("confirmed") > 0).then(_utc("confirmed")).otherwise(None),
        form="form", __delivery=_delivery(d0))


def transactions(ev: pl.DataFrame, d0: int) -> pl.LazyFrame:
    """Bonus card transactions."""
    return ev.lazy().select(
        transaction_id="transaction_id", card_number="card_number", store_id="store_id",
        transaction_at=_berlin_local("ts"), amount=_money(_c("cents"), "."), points="points", type="type",
        __delivery=_delivery(d0))
