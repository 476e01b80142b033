"""``cdp export agent-views``: the ``agent_profile_export`` view as files a call-centre tool imports.

Writes two flat files under ``data/exports/agent_views/`` and ``manifest.json`` beside them:

* ``agent_profile.<ext>``: one row per customer, one value per cell: lists (ERP numbers, card
  numbers, consents, source systems) joined with ``"; "``, phones in one display format
  (``+49 171 3385319``). What is in it and how it is masked (bonus card numbers ``•••• 0017``)
  is the view's decision, the same the console shows; which customers are in it too
  (``agent_profile_export``: ``agent_profile`` less the customers under a restriction of
  processing, ``profiles/sql/agent_profile_export.sql``); this module only flattens it;
* ``agent_contacts.<ext>``: the recent contacts, one row per customer × contact, keyed by
  ``customer_id``.

Formats: ``parquet``, ``csv`` (UTF-8, comma), ``excel`` (a CSV that German Excel opens with
umlauts and columns intact: UTF-8 with byte-order mark, semicolon-separated) and ``jsonl``.
The manifest holds row counts, both schemas with column comments, build times, and the load ids
of the source deliveries the profiles were built from. Files are written under a temp name and
renamed, the manifest last, so a reader that finds a manifest finds the complete files it
describes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
from duckdb.func import FunctionNullHandling, PythonUDFType

from cdp.config import Settings
from cdp.db import scalar
from cdp.lake import atomic_path, write_text_atomic
from exports.audience import refuse_unapplied_withdrawals
from exports.db import connect_profiles, csv_safe_select
from exports.display import phone_display, phone_display_series
from pipelines.load_log import LOADED, read_load_log

log = logging.getLogger(__name__)

#: format -> (file extension, COPY options)
FORMATS = {
    "parquet": ("parquet", "(FORMAT parquet, COMPRESSION zstd)"),
    "csv": ("csv", "(FORMAT csv, HEADER true)"),
    "excel": ("csv", "(FORMAT csv, HEADER true, DELIMITER ';')"),
    "jsonl": ("jsonl", "(FORMAT json)"),
}
_CANONICAL = ["person_records", "contact_events", "consent_events"]
BOM = "\ufeff".encode()

#: The view the export reads: the agent role's rows that may leave the CDP (no restricted customers).
VIEW = "agent_profile_export"

#: The customer file: flat columns over agent_profile_export (see the module docstring).
PROFILE_SQL = """
SELECT customer_id, salutation, title, first_name, last_name, email,
       phone_display(phone) AS phone, phone_display(mobile) AS mobile,
       street, house_number, postcode, city, country,
       nullif(array_to_string(erp_customer_numbers, '; '), '') AS erp_customer_numbers,
       nullif(array_to_string(bonus_card_numbers, '; '), '') AS bonus_card_numbers,
       nullif(array_to_string(sources, '; '), '') AS known_in,
       service_channel,
       CASE WHEN service_channel IN ('phone', 'sms') THEN phone_display(service_contact_point)
            ELSE service_contact_point END AS service_contact_point,
       service_channel_reason, marketing_channel, marketing_channel_reason,
       nullif(array_to_string(granted_consents, '; '), '') AS granted_consents,
       nullif(array_to_string(withdrawn_consents, '; '), '') AS withdrawn_consents,
       lifecycle_stage, customer_type, open_tickets,
       strftime(last_contact_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M') AS last_contact_at_utc,
       len(recent_contacts) AS recent_contacts
FROM agent_profile_export{where}
ORDER BY customer_id
"""

#: The contacts file: one row per customer × recent contact, newest first; ``n`` is the place
#: in ``recent_contacts`` (newest first, then by contact id: two contacts at the same minute get
#: the same numbers in every export).
CONTACTS_SQL = """
SELECT customer_id, n,
       strftime(c.ts AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M') AS contact_at_utc,
       c.channel, c.direction, c.type, c.summary, c.outcome, c.status
FROM (SELECT customer_id, unnest(recent_contacts) AS c, generate_subscripts(recent_contacts, 1) AS n
      FROM agent_profile_export{where})
ORDER BY customer_id, n
"""

COMMENTS = {
    "phone": "Best landline phone, display format (+49 30 1234567); E.164 in customer.phone.",
    "mobile": "Best mobile phone, display format (+49 171 3385319); E.164 in customer.mobile.",
    "erp_customer_numbers": "ERP customer numbers, '; '-separated.",
    "bonus_card_numbers": "Bonus card numbers masked to the last 4 digits, '; '-separated.",
    "known_in": "Source systems that know the customer, '; '-separated.",
    "granted_consents": "Currently granted consents as purpose:channel, '; '-separated.",
    "withdrawn_consents": "Currently withdrawn consents as purpose:channel, '; '-separated.",
    "last_contact_at_utc": "Time of the latest contact (UTC, YYYY-MM-DD HH:MM).",
    "recent_contacts": "Number of this customer's rows in agent_contacts.",
    "n": "1 = the customer's most recent contact.",
    "contact_at_utc": "When (UTC, YYYY-MM-DD HH:MM).",
}


def export_agent_views(settings: Settings, fmt: str = "parquet") -> Path:
    """Write the agent views (customers and their recent contacts) with a manifest.

    Args:
        settings: the CDP settings (reads ``data/cdp.duckdb`` read-only, the canonical layer's
            load ids and ``data/lake/load_log.parquet``).
        fmt: ``parquet``, ``csv``, ``excel`` (CSV with BOM and semicolons) or ``jsonl``.

    Returns:
        The path of the customer file (``agent_profile.<ext>``); ``agent_contacts.<ext>`` is
        beside it.
    """
    if fmt not in FORMATS:
        raise ValueError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    ext, options = FORMATS[fmt]
    out_dir = settings.paths.exports / "agent_views"
    targets = {"profile": out_dir / f"agent_profile.{ext}", "contacts": out_dir / f"agent_contacts.{ext}"}
    con = connect_profiles(settings)
    try:
        refuse_unapplied_withdrawals(con, settings)  # agents must not see a withdrawn consent as granted
        comments = dict(con.execute(
            "SELECT column_name, comment FROM duckdb_columns() "
            "WHERE schema_name = 'main' AND table_name = $view", {"view": VIEW}).fetchall())
        if not comments:
            raise RuntimeError(f"{settings.paths.duckdb}: view {VIEW} is missing; rebuild profiles")
        con.create_function("phone_display", _phone_udf(_phone_cache(con)), ["varchar"], "varchar",
                            type=PythonUDFType.ARROW, null_handling=FunctionNullHandling.SPECIAL)
        _limit_memory(con, settings)
        slices = _slices(con, settings.exports.agent_views_slice_customers)
        counts, schemas = {}, {}
        # both files are renamed into place together, after both were written
        with contextlib.ExitStack() as renames:
            for part, sql in (("profile", PROFILE_SQL), ("contacts", CONTACTS_SQL)):
                queries = [_slice_query(con, sql, sl, ext) for sl in slices]
                rel = con.sql(queries[0][0], params=queries[0][1])
                schemas[part] = [{"name": c, "type": str(t), "description": COMMENTS.get(c) or comments.get(c)}
                                 for c, t in zip(rel.columns, rel.types, strict=True)]
                tmp = renames.enter_context(atomic_path(targets[part]))
                counts[part] = _copy_slices(con, queries, tmp, fmt)
                if fmt == "excel":
                    _prepend_bom(tmp)
        build = con.execute("SELECT built_at, as_of FROM profile_build").fetchone()
    finally:
        con.close()
    manifest = {
        "file": targets["profile"].name,
        "contacts_file": targets["contacts"].name,
        "format": fmt,
        "encoding": "utf-8-sig" if fmt == "excel" else "utf-8",
        **({"delimiter": ";"} if fmt == "excel" else {"delimiter": ","} if fmt == "csv" else {}),
        "view": VIEW,
        "row_count": counts["profile"],
        "contacts_row_count": counts["contacts"],
        "schema": schemas["profile"],
        "contacts_schema": schemas["contacts"],
        "exported_at": datetime.now(UTC).isoformat(),
        "profiles_built_at": build[0].isoformat() if build and build[0] else None,
        "profiles_as_of": build[1].isoformat() if build and build[1] else None,
        "source_loads": source_loads(settings),
    }
    write_text_atomic(json.dumps(manifest, indent=2, ensure_ascii=False), out_dir / "manifest.json")
    log.info("agent views: %d customers, %d contacts -> %s", counts["profile"], counts["contacts"], out_dir)
    return targets["profile"]


def _slice_query(con: duckdb.DuckDBPyConnection, sql: str, bounds: dict[str, str],
                 ext: str) -> tuple[str, dict[str, str]]:
    """``sql`` for the customers of one slice (``lo`` ≤ customer_id < ``hi``; a missing bound
    leaves that side open; ``null``: the customers without an id), with its parameters. Plain
    range conditions: DuckDB pushes them into every scan of the view (row groups outside the
    range are skipped), so the slices together cost one pass."""
    conds = []
    if bounds.get("null"):
        conds.append("customer_id IS NULL")
        bounds = {}
    if "lo" in bounds:
        conds.append("customer_id >= $lo")
    if "hi" in bounds:
        conds.append("customer_id < $hi")
    query = sql.format(where=" WHERE " + " AND ".join(f"({c})" for c in conds) if conds else "")
    if ext == "csv":  # CSV and Excel: no formula injection through a cell
        query = csv_safe_select(con, query, bounds)
    return query, bounds


def _limit_memory(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    limit = settings.exports.duckdb_memory_limit
    if limit:
        if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", limit):
            raise ValueError(f"exports.duckdb_memory_limit: {limit!r} is not a size like '1GB'")
        con.execute(f"SET memory_limit = '{limit}'")  # a validated size; SET takes no parameters


def _slices(con: duckdb.DuckDBPyConnection, size: int) -> list[dict]:
    """Customer-id ranges of about ``size`` customers each, in customer order, as bounds
    ``lo`` (inclusive) and ``hi`` (exclusive); one unbounded range when ``size`` is 0 or there
    are fewer customers."""
    cuts: list[str] = []
    if size > 0:
        cuts = [r[0] for r in con.execute(
            "SELECT customer_id FROM (SELECT customer_id, row_number() OVER (ORDER BY customer_id) AS n "
            "FROM customer WHERE customer_id IS NOT NULL) WHERE n > 1 AND n % $size = 1 ORDER BY 1",
            {"size": size}).fetchall()]
    los: list[str | None] = [None, *cuts]
    his: list[str | None] = [*cuts, None]
    out: list[dict] = [{k: v for k, v in (("lo", lo), ("hi", hi)) if v is not None}
                       for lo, hi in zip(los, his, strict=True)]
    if len(out) > 1 and scalar(con, "SELECT count(*) FROM customer WHERE customer_id IS NULL"):
        out.append({"null": True})  # sorted last, as ORDER BY customer_id puts them
    return out


def _copy_slices(con: duckdb.DuckDBPyConnection, queries: list[tuple[str, dict]], out: Path, fmt: str) -> int:
    """Each slice's query written to ``out``, in order; the number of rows written.

    One slice at a time keeps memory at one slice's customers and their recent contacts (the
    view aggregates contact_history per customer; at a million customers all at once took 9 GB).
    Each slice goes to a part file beside ``out``; the parts are then joined into ``out``.
    """
    options = FORMATS[fmt][1]
    # COPY cannot bind the file name; it is our own path, quoted. COPY returns the number of
    # rows it wrote: the manifest's row count always matches the file.
    if len(queries) == 1:
        query, params = queries[0]
        return scalar(con, f"COPY ({query}) TO '{_quote(out)}' {options}", params)
    parts = [out.with_name(f"{out.name}.{i:05d}") for i in range(len(queries))]
    try:
        n = sum(scalar(con, f"COPY ({q}) TO '{_quote(p)}' {options}", params)
                for p, (q, params) in zip(parts, queries, strict=True))
        if fmt == "parquet":  # the parts read back in order (insertion order is kept), one file out
            scalar(con, f"COPY (SELECT * FROM read_parquet($parts)) TO '{_quote(out)}' {options}",
                   {"parts": [str(p) for p in parts]})
        else:  # text formats: the parts one after another, the header line once
            with out.open("wb") as dst:
                for i, p in enumerate(parts):
                    with p.open("rb") as src:
                        if i and fmt != "jsonl":
                            src.readline()
                        shutil.copyfileobj(src, dst, 1 << 20)
        return n
    finally:
        for p in parts:
            p.unlink(missing_ok=True)


def _phone_cache(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """Display formats of the phone numbers the export will show, formatted in one vectorised
    pass (:func:`phone_display_series`): one phonenumbers call per number cost ~50 µs, a minute
    at a million customers. Only a cache: a number not in it is formatted on its own."""
    numbers = con.sql(
        "SELECT DISTINCT p FROM (SELECT phone AS p FROM customer UNION ALL SELECT mobile FROM customer "
        "UNION ALL SELECT contact_point FROM preferred_channel WHERE channel IN ('phone', 'sms')) "
        "WHERE p IS NOT NULL").pl()["p"]
    return dict(zip(numbers.to_list(), phone_display_series(numbers).to_list(), strict=True))


def _phone_udf(cache: dict[str, str | None]):
    """``phone_display`` over one Arrow vector: cached display formats, the rest one by one."""
    def udf(e164: pa.Array) -> pa.Array:
        return pa.array([cache[v] if v in cache else phone_display(v) for v in e164.to_pylist()], pa.string())
    return udf


def _prepend_bom(path: Path) -> None:
    """Put the UTF-8 byte-order mark in front of ``path`` (Excel then reads it as UTF-8)."""
    with_bom = path.with_name(path.name + ".bom")
    with path.open("rb") as src, with_bom.open("wb") as dst:
        dst.write(BOM)
        shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(with_bom, path)


def source_loads(settings: Settings) -> list[dict]:
    """The deliveries the profiles were built from: load ids found in the canonical layer, with
    source, entity, file and load time from ``load_log.parquet`` (empty when neither exists)."""
    paths = settings.paths
    files = [str(p) for t in _CANONICAL for p in paths.canonical_table(t).rglob("*.parquet")
             if not p.name.startswith(".")]
    con = duckdb.connect()
    try:
        used = set()
        if files:
            used = {r[0] for r in con.execute(
                "SELECT DISTINCT _load_id FROM read_parquet(?, union_by_name = true) "
                "WHERE _load_id IS NOT NULL", [files]).fetchall()}
        load_log = read_load_log(settings)  # empty when nothing was loaded yet
        wanted = ["load_id", "source", "entity", "file", "load_date", "status", "finished_at"]
        # a load log from an older ingest may lack columns: NULL, not an error
        select = ", ".join(f'CAST("{c}" AS VARCHAR)' if c in load_log.columns else "NULL" for c in wanted)
        con.register("load_log", load_log)
        log_rows = con.execute(f"SELECT {select} FROM load_log ORDER BY 2, 3, 1").fetchall()
    finally:
        con.close()
    out = []
    for load_id, source, entity, file, load_date, status, finished in log_rows:
        if (used and load_id in used) or (not used and status == LOADED):
            out.append({"load_id": load_id, "source": source, "entity": entity, "file": file,
                        "load_date": load_date, "finished_at": finished})
    known = {o["load_id"] for o in out}
    out += [{"load_id": i} for i in sorted(used - known)]
    return out


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
