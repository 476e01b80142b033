"""``cdp forget``: erasure (Art. 17 GDPR) across every layer, and a tombstone that keeps it erased.

Order of work, chosen so that a crash half-way never lets the person come back:

1. find the customer and every person record of theirs (identity's cluster, plus records that
   match its identifiers by the tombstone rule, e.g. an unlinked guest checkout with the same
   name and e-mail);
2. write the tombstone (keyed hashes only) and the minimal consent proof *first*: from now on
   ingestion and the canonical build suppress the person whatever else fails;
3. remove their rows from the staged, quarantined and canonical Parquet (and fix the load log
   counts: the rows move to ``rows_suppressed``), from the identity outputs, the model's
   term-frequency tables and the stewards' override files: data scrubbed in place, no stage
   re-run here;
4. trigger the pipeline run (``pipeline``: ``cdp forget`` passes the job ``cdp run`` runs, which
   rebuilds canonical, identity, ``data/cdp.duckdb`` and the agent views; no stage is re-run
   here), remove them from every other export, delete export / report files that still name
   them;
5. append the audit entry.

The landing directory is not touched: it holds the source systems' deliveries as received;
the tombstone keeps them from re-entering (see docs/data-protection.md).
"""

from __future__ import annotations

import csv
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import duckdb
import polars as pl

from cdp.config import Settings
from cdp.db import scalar
from cdp.lake import atomic_path, read_table, write_parquet_atomic
from cdp.schema import CANONICAL_TABLES, CONSENT_EVENT
from dsr.subject import PipelineRun, customer_record_keys, person_records, resolve_customer
from identity.identify_index import drop_index
from identity.io import OUTPUTS, output_path
from identity.model import splink_input
from pipelines.contracts import contracts_of
from pipelines.load_log import loaded, read_load_log, write_load_log
from pipelines.mapping import canonical_rows
from privacy import identifiers as ids
from privacy import store
from privacy.suppression import canonical_drop_keys, quarantined_rows_to_drop, staged_rows_to_drop

log = logging.getLogger(__name__)


@dataclass
class ForgetReport:
    """What one erasure removed (counts and file names, no personal data)."""

    customer_id: str
    tombstone_id: str
    record_keys: int
    tombstone_hashes: int
    removed: dict[str, int] = field(default_factory=dict)
    deleted_files: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


@dataclass
class ForgetPlan:
    """What ``cdp forget`` would erase (``--dry-run``): counts per place and record keys only."""

    customer_id: str
    customer_ids: list[str]
    record_keys: list[str]
    tombstone_hashes: dict[str, int]
    counts: dict[str, int] = field(default_factory=dict)
    files_to_delete: list[str] = field(default_factory=list)
    consent_proof_events: int = 0


@dataclass
class _Subject:
    customer_id: str
    key_list: list[str]
    cids: list[str]
    std_all: pl.DataFrame
    subject_std: pl.DataFrame
    hashes: pl.DataFrame
    plain: list[str]


def _find_subject(settings: Settings, query: str) -> _Subject:
    customer_id = resolve_customer(settings, query)
    keys = set(customer_record_keys(settings, customer_id))
    people = person_records(settings)
    std_all = ids.standardised(people)
    for _ in range(3):  # records matching the person's identifiers (unlinked guest checkouts ...)
        found = ids.identifier_hashes(settings, std_all.filter(pl.col("record_key").is_in(list(keys))))
        more = set(ids.match_person_records(settings, std_all, found).to_list()) - keys
        if not more:
            break
        keys |= more
    key_list = sorted(keys)
    subject_std = std_all.filter(pl.col("record_key").is_in(key_list))
    subject_raw = people.filter(pl.col("record_key").is_in(key_list))
    hashes = pl.concat([
        ids.identifier_hashes(settings, subject_std).select("kind", "hash"),
        pl.DataFrame({"kind": "record_key",
                      "hash": [ids.keyed_hash(settings.privacy.secret, "record_key", k) for k in key_list]},
                     schema={"kind": pl.String, "hash": pl.String}),
    ]).unique()
    cids = _customer_ids(settings, customer_id)
    return _Subject(customer_id, key_list, cids, std_all, subject_std, hashes,
                    _plain_values(subject_raw, subject_std, key_list, cids))


def plan_forget(settings: Settings, query: str, actor: str | None = None) -> ForgetPlan:
    """What :func:`forget` would erase, without changing anything (``cdp forget --dry-run``).

    Counts rows per place (staged, quarantined, canonical, identity, model, overrides,
    restrictions, profile database, exports) and lists the export files that would be deleted
    and the person record keys; never a name, e-mail or number. The preview is audited.
    """
    sub = _find_subject(settings, query)
    tomb = sub.hashes.with_columns(pl.lit("dry-run").alias("tombstone_id"),
                                   pl.lit(datetime.now(UTC)).cast(pl.Datetime("us", "UTC")).alias("erased_at"),
                                   pl.lit(ids.REASON_ERASURE).alias("reason"))
    plan = ForgetPlan(sub.customer_id, sub.cids, sub.key_list,
                      dict(sub.hashes.group_by("kind").len().sort("kind").iter_rows()))
    plan.consent_proof_events = _consent_proof(settings, sub.key_list, "dry-run").height
    plan.counts.update(_scrub_lake(settings, tomb, sub.plain, write=False))
    for t in ("person_records", "contact_events", "consent_events"):
        df = read_table(settings.paths.canonical_table(t), CANONICAL_TABLES[t]).collect()
        col = "record_key" if t == "person_records" else "person_record_key"
        plan.counts[f"canonical.{t}"] = df.filter(pl.col(col).is_in(sub.key_list)).height
    plan.counts.update(_scrub_identity(settings, sub.key_list, sub.cids, write=False))
    plan.counts["model.tf_rows"] = _scrub_tf_tables(
        settings, sub.subject_std, sub.std_all.filter(~pl.col("record_key").is_in(sub.key_list)), write=False)
    plan.counts["overrides"] = _scrub_overrides(settings, set(sub.key_list), write=False)
    plan.counts["restrictions"] = store.read_restrictions(settings).filter(
        pl.col("record_key").is_in(sub.key_list)).height
    plan.counts.update(_profile_counts(settings, sub.cids))
    removed, files = _scrub_files(settings, sub.cids, sub.plain, write=False)
    plan.counts.update(removed)
    plan.files_to_delete = files
    store.audit(settings, "forget_preview", sub.customer_id, None, actor,
                {"record_keys": len(sub.key_list), "counts": {k: v for k, v in plan.counts.items() if v}})
    return plan


def _profile_counts(settings: Settings, cids: list[str]) -> dict[str, int]:
    """Rows of the customer in the profile database, per table (read-only)."""
    db = settings.paths.duckdb
    if not db.is_file():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_columns() WHERE schema_name = 'main' AND column_name = 'customer_id' "
            "AND table_name IN (SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main') "
            "ORDER BY 1").fetchall()]
        return {f"profiles.{t}": int(scalar(
            con, f'SELECT count(*) FROM "{t}" WHERE customer_id IN (SELECT unnest(?::VARCHAR[]))', [cids]))
            for t in tables}
    finally:
        con.close()


def forget(settings: Settings, query: str, reason: str, actor: str | None = None, *,
           pipeline: PipelineRun) -> ForgetReport:
    """Erase one person everywhere and tombstone their identifiers.

    Args:
        settings: the CDP settings.
        query: customer id, e-mail, phone, name, ERP or card number (must name one customer).
        reason: why (request reference, legal ground); required, goes to the audit log.
        actor: who asked; default the OS user.
        pipeline: the pipeline run that rebuilds profiles and exports from the scrubbed layers
            (``dagster_project.run.rebuild``); triggered when ``privacy.rebuild_after_change``
            is set and a profile database exists.

    Returns:
        A :class:`ForgetReport`.

    Raises:
        SubjectNotFound: the query names no customer or several.
        ValueError: no reason given.
    """
    if not (reason or "").strip():
        raise ValueError("--reason is required for an erasure (request reference / legal ground)")
    sub = _find_subject(settings, query)
    customer_id, key_list, cids, plain = sub.customer_id, sub.key_list, sub.cids, sub.plain
    std_all, subject_std = sub.std_all, sub.subject_std
    now = datetime.now(UTC)
    tombstone_id = uuid.uuid4().hex
    tomb = sub.hashes.with_columns(pl.lit(tombstone_id).alias("tombstone_id"),
                                   pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("erased_at"),
                                   pl.lit(ids.REASON_ERASURE).alias("reason"))

    # 2. tombstone and proof first
    store.append(settings, "tombstones.parquet", ids.TOMBSTONE, tomb)
    proof = _consent_proof(settings, key_list, tombstone_id)
    if proof.height:
        store.append(settings, "consent_proof.parquet", store.CONSENT_PROOF, proof)
    store.append(settings, "erasures.parquet", store.ERASURE, pl.DataFrame(
        {"customer_id": [customer_id], "tombstone_id": [tombstone_id], "erased_at": [now]},
        schema=store.ERASURE))
    rep = ForgetReport(customer_id, tombstone_id, len(key_list), tomb.height)

    # 3. lake, identity, model, overrides, restrictions
    rep.removed.update(_scrub_lake(settings, tomb, plain))

    rep.removed.update(_scrub_canonical(settings, key_list))
    rep.removed.update(_scrub_identity(settings, key_list, cids))
    # the identify index is a copy of the identity outputs: removed, rebuilt on the next identify
    rep.removed["identity.identify_index"] = int(drop_index(settings))
    rep.removed["model.tf_rows"] = _scrub_tf_tables(settings, subject_std,
                                                    std_all.filter(~pl.col("record_key").is_in(key_list)))
    rep.removed["overrides"] = _scrub_overrides(settings, set(key_list))
    restr = store.read_restrictions(settings)
    if restr.height:
        left = restr.filter(~pl.col("record_key").is_in(key_list))
        rep.removed["restrictions"] = restr.height - left.height
        store.replace(settings, "restrictions.parquet", left)

    # 4. profiles and exports: the pipeline run, never the stages one by one
    if settings.privacy.rebuild_after_change and settings.paths.duckdb.is_file():
        pipeline(settings)
    removed, deleted = _scrub_files(settings, cids, plain)
    rep.removed.update(removed)
    rep.deleted_files = deleted
    rep.kept = ["data/privacy/tombstones.parquet (keyed hashes)",
                f"data/privacy/consent_proof.parquet ({proof.height} consent events, no identifiers)",
                "data/privacy/erasures.parquet (customer id, for export suppression)",
                "data/privacy/audit_log.jsonl (this action)"]
    store.audit(settings, "forget", customer_id, reason, actor, {
        "tombstone_id": tombstone_id, "record_keys": len(key_list), "tombstone_hashes": tomb.height,
        "removed": {k: v for k, v in rep.removed.items() if v}, "deleted_files": deleted})
    log.info("erased customer %s: %d records, %d tombstone hashes", customer_id, len(key_list), tomb.height)
    return rep


def _customer_ids(settings: Settings, customer_id: str) -> list[str]:
    """The customer id and the retired ids that redirect to it."""
    hist = settings.paths.identity / "customer_id_history.parquet"
    out = {customer_id}
    if hist.is_file():
        h = pl.read_parquet(hist)
        if h.height:
            out |= set(h.filter(pl.col("new_customer_id") == customer_id)["old_customer_id"].to_list())
    return sorted(out)


def _plain_values(raw: pl.DataFrame, std: pl.DataFrame, keys: list[str], cids: list[str]) -> list[str]:
    """Plain identifiers for scrubbing free text; held in memory during the erasure only."""
    vals: set[str] = set(keys) | set(cids)
    vals |= set(raw["source_record_id"].drop_nulls().to_list())
    for col in ("email", "phone", "mobile"):
        vals |= {v.strip() for v in raw[col].drop_nulls().to_list()}
    for col in ("email_std", "phone_e164", "mobile_e164"):
        vals |= set(std[col].drop_nulls().to_list())
    return sorted(v for v in vals if len(v) >= 6)


def _consent_proof(settings: Settings, keys: list[str], tombstone_id: str) -> pl.DataFrame:

    ev = read_table(settings.paths.canonical_table("consent_events"), CONSENT_EVENT).collect()
    ev = ev.filter(pl.col("person_record_key").is_in(keys))
    return ev.with_columns(pl.lit(tombstone_id).alias("tombstone_id")).select(store.CONSENT_PROOF.names())


def _scrub_canonical(settings: Settings, keys: list[str], write: bool = True) -> dict[str, int]:
    """Remove the person's rows from the canonical files in place: their person records and the
    events pointing at them, and whatever else the tombstones now cover (the same rule the
    canonical build applies, :func:`privacy.suppression.canonical_drop_keys`). The canonical
    stage itself is not re-run here; the pipeline run after the erasure rebuilds it."""
    tables = {t: read_table(settings.paths.canonical_table(t), schema) for t, schema in CANONICAL_TABLES.items()}
    drop = canonical_drop_keys(settings, tables)
    out = {}
    for t in CANONICAL_TABLES:
        col, covered = ("record_key", drop.people) if t == "person_records" else ("person_record_key", drop.events)
        gone = pl.concat([covered, pl.Series(keys, dtype=pl.String)]).unique()
        out[f"canonical.{t}"] = 0
        for f in sorted(settings.paths.canonical_table(t).rglob("*.parquet")):
            if f.name.startswith("."):
                continue
            df = pl.read_parquet(f)
            kept = df.filter(~pl.col(col).is_in(gone.implode()).fill_null(False))
            out[f"canonical.{t}"] += df.height - kept.height
            if write and kept.height != df.height:
                write_parquet_atomic(kept, f)
    return out


def _contains_any(col: str, plain: list[str]) -> pl.Expr:
    if not plain:
        return pl.lit(False)
    return pl.col(col).str.contains(names_pattern(plain)).fill_null(False)


def _scrub_lake(settings: Settings, tomb: pl.DataFrame, plain: list[str], write: bool = True) -> dict[str, int]:
    """Remove the person's rows from staged and quarantined files; move the counts in the load log."""

    contracts = contracts_of(settings)
    ll = read_load_log(settings)
    root = settings.paths.root
    staged_n = quarantined_n = 0
    changes: dict[str, tuple[int, int]] = {}
    for row in loaded(ll).iter_rows(named=True):
        contract = contracts.get(row["source"])
        entity = next((e for e in contract.entities if e.name == row["entity"]), None) if contract else None
        ds = dq = 0
        if entity is not None and row["staged_path"] and (root / row["staged_path"]).is_file():
            p = root / row["staged_path"]
            df = pl.read_parquet(p)
            drop = staged_rows_to_drop(settings, partial(canonical_rows, entity=entity), df, tomb)
            if drop.len():
                kept = df.filter(~pl.col("_row_number").is_in(drop.implode()))
                ds = df.height - kept.height
                if write:
                    write_parquet_atomic(kept, p)
        if row["quarantine_path"] and (root / row["quarantine_path"]).is_file():
            p = root / row["quarantine_path"]
            df = pl.read_parquet(p)
            hit = quarantined_rows_to_drop(settings, row["source"], df, tomb)
            mask = pl.int_range(pl.len(), dtype=pl.UInt32).is_in(hit.implode()) | _contains_any("_raw", plain)
            kept = df.filter(~mask)
            dq = df.height - kept.height
            if dq and write:
                write_parquet_atomic(kept, p)
        if ds or dq:
            changes[row["load_id"]] = (ds, dq)
            staged_n += ds
            quarantined_n += dq
    if changes and write:
        ds_map = {k: v[0] for k, v in changes.items()}
        dq_map = {k: v[1] for k, v in changes.items()}
        ll = ll.with_columns(
            (pl.col("rows_staged") - pl.col("load_id").replace_strict(ds_map, default=0)).alias("rows_staged"),
            (pl.col("rows_quarantined") - pl.col("load_id").replace_strict(dq_map, default=0)).alias("rows_quarantined"),
            (pl.col("rows_suppressed").fill_null(0)
             + pl.col("load_id").replace_strict(ds_map, default=0)
             + pl.col("load_id").replace_strict(dq_map, default=0)).alias("rows_suppressed"),
        )
        write_load_log(settings, ll)
    return {"staged_rows": staged_n, "quarantined_rows": quarantined_n}


def _scrub_identity(settings: Settings, keys: list[str], cids: list[str], write: bool = True) -> dict[str, int]:

    out = {}
    for name in OUTPUTS:
        p = output_path(settings, name)
        if not p.is_file():
            continue
        df = pl.read_parquet(p)
        # A null (a retired id without successor) is nobody's: is_in gives null there, and a
        # null keep would drop the row, so every membership test counts null as "not the person's".
        def hit(col: str, values: list[str]) -> pl.Expr:
            return pl.col(col).is_in(values).fill_null(False)

        keep = pl.lit(True)
        if "record_key" in df.columns:
            keep = ~hit("record_key", keys)
        if "linked_to" in df.columns:
            keep = keep & ~hit("linked_to", keys)
        if "record_key_l" in df.columns:
            keep = keep & ~hit("record_key_l", keys) & ~hit("record_key_r", keys)
        if "old_customer_id" in df.columns:
            keep = keep & ~hit("old_customer_id", cids) & ~hit("new_customer_id", cids)
        kept = df.filter(keep)
        if kept.height != df.height and write:
            write_parquet_atomic(kept, p)
        out[f"identity.{name}"] = df.height - kept.height
    return out


def _scrub_tf_tables(settings: Settings, subject_std: pl.DataFrame, rest_std: pl.DataFrame,
                     write: bool = True) -> int:
    """Drop term-frequency rows whose value only the erased person had."""

    tf_dirs = [d for d in settings.paths.models.rglob("*_tf") if d.is_dir()]
    if not tf_dirs or subject_std.height == 0:
        return 0
    mine, rest = splink_input(subject_std), splink_input(rest_std)
    n = 0
    for d in tf_dirs:
        for p in d.glob("tf_*.parquet"):
            df = pl.read_parquet(p)
            col = p.stem[3:]
            if col not in df.columns or col not in mine.columns:
                continue
            gone = set(mine[col].drop_nulls().cast(pl.String).to_list()) \
                - set(rest[col].drop_nulls().cast(pl.String).to_list())
            if not gone:
                continue
            kept = df.filter(~pl.col(col).cast(pl.String).is_in(list(gone)))
            if kept.height != df.height:
                n += df.height - kept.height
                if write:
                    write_parquet_atomic(kept, p)
    return n


def _scrub_overrides(settings: Settings, keys: set[str], write: bool = True) -> int:
    """Remove steward override rows that name an erased record (the CSVs are rewritten)."""
    n = 0
    for p in sorted(settings.paths.overrides.glob("*.csv")):
        with p.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            fields, rows = reader.fieldnames or [], list(reader)
        kept = [r for r in rows if (r.get("record_a") or "").strip() not in keys
                and (r.get("record_b") or "").strip() not in keys]
        if len(kept) != len(rows):
            n += len(rows) - len(kept)
            if not write:
                continue
            with atomic_path(p) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=fields)
                w.writeheader()
                w.writerows(kept)
    return n


_TABULAR = {".parquet", ".csv", ".jsonl"}


def _read_tabular(p: Path) -> pl.DataFrame:
    if p.suffix == ".parquet":
        return pl.read_parquet(p)
    if p.suffix == ".csv":
        return pl.read_csv(p, infer_schema=False)
    return pl.read_ndjson(p)


def _write_tabular(df: pl.DataFrame, p: Path) -> None:
    if p.suffix == ".parquet":
        write_parquet_atomic(df, p)
        return
    with atomic_path(p) as tmp:
        df.write_csv(tmp) if p.suffix == ".csv" else df.write_ndjson(tmp)


def _scrub_files(settings: Settings, cids: list[str], plain: list[str],
                 write: bool = True) -> tuple[dict[str, int], list[str]]:
    """Exports: drop the customer's rows from tabular files; delete any export or report file
    that still names them (a subject-access export, a hand-made extract)."""
    root = settings.paths.root
    pattern = names_pattern(plain) if plain else ""
    rows = 0
    deleted = []
    for base in (settings.paths.exports, settings.paths.reports):
        if not base.is_dir():
            continue
        for p in sorted(x for x in base.rglob("*") if x.is_file()):
            df = None
            if p.suffix in _TABULAR:
                try:
                    df = _read_tabular(p)
                except (pl.exceptions.PolarsError, OSError, ValueError):  # unreadable: the byte scan decides
                    df = None
            if df is not None:
                if "customer_id" in df.columns:
                    kept = df.filter(~pl.col("customer_id").cast(pl.String).is_in(cids))
                    if kept.height != df.height:
                        rows += df.height - kept.height
                        if write:
                            _write_tabular(kept, p)
                    df = kept
                named = _frame_names_any(df, plain)
            else:
                named = bool(plain) and re.search(pattern, p.read_bytes().decode("utf-8", "replace")) is not None
            if named:
                if write:
                    p.unlink()
                deleted.append(p.relative_to(root).as_posix())
    return {"export_rows": rows}, deleted


def names_pattern(plain: list[str]) -> str:
    """A case-insensitive regex matching any of the values as a whole token (not inside a
    longer number or id: ``10000035`` does not match ``2760100000352``)."""
    alts = "|".join(re.escape(v) for v in sorted(plain, key=len, reverse=True))
    return rf"(?i)(?:^|[^0-9a-z])(?:{alts})(?:[^0-9a-z]|$)"


def _frame_names_any(df: pl.DataFrame, plain: list[str]) -> bool:
    """Whether any cell of a frame (nested values as JSON text) holds one of the values."""
    if not plain or df.height == 0:
        return False
    pattern = names_pattern(plain)
    for c, t in df.schema.items():
        col = pl.col(c).cast(pl.String) if not t.is_nested() else pl.col(c).map_elements(
            lambda v: json.dumps(v.to_list() if isinstance(v, pl.Series) else v, default=str),
            return_dtype=pl.String)
        if df.select(col.str.contains(pattern).fill_null(False).any()).item():
            return True
    return False
