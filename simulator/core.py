"""``generate``: simulate a population and the exports of the four source systems."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from cdp.lake import write_parquet_atomic, write_text_atomic
from simulator import events as ev
from simulator import formats as fmt
from simulator import records as rec
from simulator import surveys as cx
from simulator.output import FileSpec, write_export
from simulator.population import DAY, build_persons
from simulator.profiles import get_profile

log = logging.getLogger(__name__)

DEFAULT_START = date(2025, 3, 3)
HISTORY_YEARS = 6
SOURCES = ("erp", "crm", "shop", "bonus", "survey")

SPECS = {
    "kunden": FileSpec("erp", "customers", "kunden", "erp_csv", "Kundennummer", "Angelegt_am", "erp_date",
                       "Geburtsdatum", "erp_date", enc_field="Nachname", person=True,
                       defects=["bad_date", "missing_required", "bad_encoding"]),
    "rechnungen": FileSpec("erp", "invoices", "rechnungen", "erp_csv", "Belegnummer", "Belegdatum", "erp_date",
                           amount_col="Betrag", amount_kind="str", enc_field="Artikelmodelle",
                           defects=["bad_date", "missing_required", "negative_amount", "bad_encoding"]),
    "contacts": FileSpec("crm", "contacts", "contacts", "jsonl", "contact_id", "created", "iso_ts",
                         "birth_date", "iso_date", enc_field="last_name", person=True,
                         defects=["bad_date", "missing_required", "malformed_json", "bad_encoding"]),
    "interactions": FileSpec("crm", "interactions", "interactions", "jsonl", "interaction_id", "timestamp",
                             "iso_ts", enc_field="subject",
                             defects=["bad_date", "missing_required", "malformed_json", "bad_encoding"]),
    "consent_events": FileSpec("crm", "consent_events", "consent_events", "json_array", "event_id",
                               "timestamp", "iso_ts", defects=["bad_date", "missing_required"]),
    "accounts": FileSpec("shop", "accounts", "accounts", "jsonl", "account_id", "created_at", "iso_ts",
                         "birth_date", "iso_date", enc_field="last_name", person=True,
                         defects=["bad_date", "missing_required", "malformed_json", "bad_encoding"]),
    "orders": FileSpec("shop", "orders", "orders", "jsonl", "order_id", "ordered_at", "iso_ts",
                       amount_col="total", amount_kind="num",
                       defects=["bad_date", "missing_required", "negative_amount", "malformed_json"]),
    "newsletter": FileSpec("shop", "newsletter", "newsletter", "jsonl", "signup_id", "timestamp", "iso_ts",
                           defects=["bad_date", "missing_required", "malformed_json"]),
    "members": FileSpec("bonus", "members", "members", "bonus_csv", "card_number", "enrolled_at", "iso_date",
                        "birth_date", "iso_date", enc_field="last_name", person=True,
                        defects=["bad_date", "missing_required", "bad_encoding"]),
    "transactions": FileSpec("bonus", "transactions", "transactions", "bonus_csv", "transaction_id",
                             "transaction_at", "local_ts", amount_col="amount", amount_kind="str",
                             defects=["bad_date", "missing_required", "negative_amount"]),
    "responses": FileSpec("survey", "responses", "responses", "bonus_csv", "ResponseId", "EndDate", "local_ts",
                          defects=["bad_date", "missing_required"]),
}

_c = pl.col


def _mem(stage: str) -> None:
    import resource

    log.debug("simulator %s: peak RSS %.0f MB", stage, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def generate(  # noqa: PLR0913 -- the options of `cdp generate`, all but two defaulted
        persons: int, seed: int, profile: str = "realistic", dirty_rate: float = 0.01,
             out: str | Path = "data/landing", truth: str | Path = "data/truth", deliveries: int = 1,
             start_date: date = DEFAULT_START) -> dict:
    """Simulate ``persons`` people and write the four systems' exports plus the ground truth.

    Args:
        persons: number of real persons in the population.
        seed: random seed; the same arguments give byte-identical files.
        profile: ``realistic`` or ``hard`` (see docs/simulator.md).
        dirty_rate: share of rows per file that carry a defect ingestion must quarantine.
        out: landing directory; ``<out>/<source>/<YYYY-MM-DD>/<file>`` (the four source
            folders are replaced).
        truth: truth directory (identity_truth, dirty_rows, persons, manifest).
        deliveries: 1 full export plus ``deliveries - 1`` daily deltas.
        start_date: date of the initial full export.

    Returns:
        A summary: persons, records per source, rows per file, dirty rows.
    """
    if persons < 10:
        raise ValueError(f"--persons must be at least 10, got {persons}")
    if deliveries < 1:
        raise ValueError(f"--deliveries must be at least 1, got {deliveries}")
    prof = get_profile(profile)
    out, truth = Path(out), Path(truth)
    d0 = int(datetime(start_date.year, start_date.month, start_date.day, tzinfo=UTC).timestamp())
    t0 = d0 - HISTORY_YEARS * 365 * DAY
    windows = [(d0 + (j - 1) * DAY, d0 + j * DAY) for j in range(1, deliveries)]
    final_end = windows[-1][1] if windows else d0
    dates = [start_date + timedelta(days=j) for j in range(deliveries)]

    def rng(k: int) -> np.random.Generator:
        return np.random.default_rng([seed, k])

    P = build_persons(persons, rng(1), prof, t0, d0, windows)
    _mem("persons")
    R0 = rec.base_records(P, rng(2), prof, d0).with_row_index("rid").with_columns(
        pl.col("rid").cast(pl.Int64), order_id=pl.lit(None, dtype=pl.String))
    orders, guests = ev.shop_orders(rng(3), P, R0, prof, final_end)
    G = guests.select(
        rid=pl.int_range(R0.height, R0.height + guests.height, dtype=pl.Int64), source=pl.lit("shop"),
        pidx="pidx", is_dup=pl.lit(False), is_guest=pl.lit(True), created="created", order_id="order_id")
    R = pl.concat([R0, G.select(R0.columns)])
    R = rec.add_timeline(R, P, rng(4), prof, d0, windows)
    R = rec.assign_ids(R)
    _mem("records")
    V = rec.versions(R)
    F = rec.record_fields(V, R, P, rng(5), prof)
    F = rec.add_cross_references(F, R, rng(6), prof)

    _mem("fields")
    # --- events and writing: each file is produced, written and freed in turn ---------------
    for src in SOURCES:
        shutil.rmtree(out / src, ignore_errors=True)
    inj = rng(12)
    dirty_entries: list[dict] = []
    dirty_rids: list[np.ndarray] = []
    file_rows: dict[str, int] = {}
    written: dict[int, list[str]] = {j: [] for j in range(deliveries)}

    def write(name: str, lazy: pl.LazyFrame, defects: np.random.Generator | None = None) -> None:
        spec = SPECS[name]
        full = lazy.collect()
        empty = full.clear()
        parts = full.partition_by("__delivery", as_dict=True, maintain_order=True)
        del full
        for j, day in enumerate(dates):
            df = parts.pop((j,), empty)
            rel = f"{spec.source}/{day.isoformat()}/{spec.prefix}_{day.strftime('%Y%m%d')}.{spec.ext}"
            rids = df["__rid"].to_numpy() if "__rid" in df.columns else None
            body = df.drop([c for c in df.columns if c.startswith("__")])
            entries, dirty = write_export(out / rel, body, spec, dirty_rate, inj if defects is None else defects, rel)
            file_rows[rel] = body.height
            dirty_entries.extend(entries)
            if spec.person and rids is not None:
                dirty_rids.append(rids[dirty])
            written[j].append(rel)

    ids = R.select("rid", "record_id")
    guest_ids = R.filter(_c("is_guest")).select(g_order="order_id", g_id="record_id")
    orders = (orders.join(ids, on="rid", how="left", maintain_order="left")
              .join(guest_ids, left_on="order_id", right_on="g_order", how="left", maintain_order="left")
              .with_columns(account_id=pl.coalesce("record_id", "g_id")))
    write("orders", fmt.orders(orders, d0))
    survey_orders = orders.select("pidx", "ts", "status", "order_id", "account_id")
    del orders, guest_ids
    _mem("orders")
    for name in ("kunden", "contacts", "accounts", "members"):
        write(name, getattr(fmt, name)(F))
    first_v = F.sort(["rid", "delivery"]).unique("rid", keep="first", maintain_order=True)
    accounts = (R.filter((_c("source") == "shop") & ~_c("is_guest")).select("rid", "pidx", "record_id", "created")
                .join(first_v.select("rid", "email"), on="rid", how="left", maintain_order="left"))
    crm_points = ev.crm_contact_points(first_v, R)
    del first_v
    _mem("person files")
    erp_ctx = ev.record_context(R, P, "erp", final_end)
    write("rechnungen", fmt.rechnungen(ev.erp_invoices(rng(7), erp_ctx).filter(_c("ts") < final_end), d0))
    del erp_ctx
    crm_ctx = ev.record_context(R, P, "crm", final_end)
    consents = ev.crm_consents(rng(8), crm_ctx, crm_points)
    interactions = ev.crm_interactions(rng(9), crm_ctx, consents, final_end)
    consents = ev.crm_objections(rng(13), consents, interactions)
    write("consent_events", fmt.consent_events(consents, d0))
    interactions = cx.service_cases(rng(16), interactions, crm_ctx, final_end)
    write("interactions", fmt.interactions(interactions, d0))
    # the survey file draws its defects from its own generator: the other files keep theirs
    write("responses", cx.responses_file(
        cx.survey_answers(rng(14), survey_orders, interactions, crm_ctx, P, final_end), d0), rng(15))
    del crm_ctx, interactions, crm_points, survey_orders
    _mem("crm events")
    write("newsletter", fmt.newsletter(ev.shop_newsletter(rng(10), P, accounts, consents, prof, final_end), d0))
    del consents, accounts
    bonus_ctx = ev.record_context(R, P, "bonus", final_end)
    write("transactions", fmt.transactions(ev.bonus_transactions(rng(11), bonus_ctx), d0))
    del bonus_ctx
    for j in range(deliveries):
        if dirty_rate > 0:
            # an empty delivery's copy is an empty file, which ingestion records as empty, not as
            # a duplicate: copy a file that has rows
            full = sorted(r for r in written[j] if file_rows.get(r, 0) > 0) or sorted(written[j])
            rel = full[int(inj.integers(0, len(full)))]
            p = Path(rel)
            copy = str(p.with_name(f"{p.stem}_copy{p.suffix}"))
            shutil.copyfile(out / rel, out / copy)
            file_rows[copy] = file_rows[rel]
            dirty_entries.append({"source_system": rel.split("/")[0], "file": copy, "row_number": None,
                                  "defect": "duplicate_file", "column": None})

    # --- truth -------------------------------------------------------------------------------
    dirty_set = np.unique(np.concatenate(dirty_rids)) if dirty_rids else np.array([], dtype=np.int64)
    identity = _identity_truth(R, F, P, dirty_set)
    dirty_df = pl.DataFrame(dirty_entries, schema={"source_system": pl.String, "file": pl.String,
                                                   "row_number": pl.Int64, "defect": pl.String,
                                                   "column": pl.String})
    truth.mkdir(parents=True, exist_ok=True)
    write_parquet_atomic(identity, truth / "identity_truth.parquet")
    write_parquet_atomic(dirty_df, truth / "dirty_rows.parquet")
    write_parquet_atomic(_persons_truth(P, R), truth / "persons.parquet")
    summary = {
        "persons": persons,
        "seed": seed,
        "profile": profile,
        "dirty_rate": dirty_rate,
        "deliveries": [d.isoformat() for d in dates],
        "records": {s: int(v) for s, v in identity.group_by("source_system").len().sort("source_system").iter_rows()},
        "files": dict(sorted(file_rows.items())),
        "dirty_rows": dirty_df.height,
        "hard_cases": {str(k): int(v) for k, v in identity.group_by("hard_case").len().drop_nulls().sort("hard_case").iter_rows()},
    }
    manifest = {**summary, "start_date": start_date.isoformat(), "history_years": HISTORY_YEARS,
                "rates": dataclasses.asdict(prof)}
    write_text_atomic(json.dumps(manifest, indent=2, ensure_ascii=False), truth / "manifest.json")
    log.info("simulated %d persons: %d person records, %d files, %d dirty rows",
             persons, identity.height, len(file_rows), dirty_df.height)
    return summary


_PAIR_CASES = ["twin", "parent_child", "shared_email", "shared_phone", "common_name"]


def _identity_truth(R: pl.DataFrame, F: pl.DataFrame, P: pl.DataFrame, dirty_rids: np.ndarray) -> pl.DataFrame:
    flags = F.group_by("rid").agg(swapped=_c("swapped").any(), stale=_c("stale_address").any(),
                                  xref_wrong=(_c("xref_erp_wrong").fill_null(False) | _c("xref_bonus_wrong").fill_null(False)).any())
    df = (R.select("rid", "source", "record_id", "pidx", "is_guest", "is_dup")
          .join(P.select("pidx", "person_id", "household_id", "hard_case"), on="pidx", how="left")
          .join(flags, on="rid", how="left"))
    hc = (pl.when(_c("hard_case").is_in(_PAIR_CASES)).then(_c("hard_case"))
          .when(_c("swapped")).then(pl.lit("swapped_name")).otherwise(_c("hard_case")))
    return (df.with_columns(hard_case=hc, is_dirty=_c("rid").is_in(pl.Series(dirty_rids, dtype=pl.Int64).implode()))
            .sort(["source", "record_id"])
            .select(source_system="source", source_record_id="record_id", person_id="person_id",
                    is_dirty="is_dirty", household_id="household_id", hard_case="hard_case",
                    is_guest="is_guest", is_duplicate_account="is_dup", stale_address="stale",
                    wrong_cross_reference="xref_wrong"))


def _persons_truth(P: pl.DataFrame, R: pl.DataFrame) -> pl.DataFrame:
    systems = R.group_by("pidx").agg(systems=_c("source").unique().sort(), n_records=pl.len())
    never = np.iinfo(np.int64).max
    return (P.join(systems, on="pidx", how="left").sort("pidx").select(
        "person_id", "gender", "first_name", last_name="last_name_new", birth_name="last_name_old",
        name_origin="name_origin",
        birth_date=pl.from_epoch("birth_days", "d"), household_id="household_id", hard_case="hard_case",
        street="street_new", house_number="house_new", postcode="plz_new", city="city_new",
        previous_street=pl.when(_c("moved")).then(_c("street_old")),
        previous_house_number=pl.when(_c("moved")).then(_c("house_old")),
        previous_postcode=pl.when(_c("moved")).then(_c("plz_old")),
        previous_city=pl.when(_c("moved")).then(_c("city_old")),
        changed_at=pl.when(_c("change_ts") < never).then(pl.from_epoch("change_ts", "s").dt.replace_time_zone("UTC")),
        moved="moved", name_changed="renamed", email="email", mobile="mobile", landline="landline",
        habit="habit", activity="activity",
        churned_at=pl.when(_c("churned_at") > 0).then(pl.from_epoch("churned_at", "s").dt.replace_time_zone("UTC")),
        first_seen=pl.from_epoch("first_seen", "s").dt.replace_time_zone("UTC"),
        first_delivery="new_in_delivery", systems="systems", n_records="n_records"))
