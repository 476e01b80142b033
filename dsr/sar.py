"""``cdp sar``: subject-access export (Art. 15 / 20 GDPR) as JSON and a printable German HTML
document (:mod:`dsr.sar_document`).

Everything the CDP holds about one person, each item with where it came from: the source
records (current canonical state and every staged delivery with file, row and load id), every
contact, every consent event with its evidence and the resulting consent state, the identity
links (how each record was matched), and the derived attributes (golden record with the source
of each attribute, value and segment, preferred channels) with the rule that derived them.

It answers from an up-to-date profile: when deliveries are not processed yet or the profile
database is missing or stale (:func:`profiles.freshness.out_of_date`), the pipeline run comes
first (``pipeline``: the job ``cdp run`` runs), never a stage re-run here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from cdp.config import Settings
from cdp.db import has_table
from cdp.lake import read_table, write_text_atomic
from dsr.sar_document import render_sar_html
from dsr.subject import PipelineRun, customer_record_keys, person_records, resolve_customer
from pipelines.contracts import contracts_of
from pipelines.ingest import QUARANTINE
from pipelines.load_log import loaded, read_load_log
from pipelines.mapping import map_to_canonical
from privacy import identifiers as ids
from privacy import store
from profiles.freshness import out_of_date

DERIVATION = {
    "customer": "golden record: per attribute group the most trusted source (profiles.trust_ranking), "
                "the newest value for recency_first groups; *_source columns name the source "
                "(profiles/sql/customer.sql)",
    "customer_value": "purchases and returns summed over contact_history; R/F/M scores by percent rank "
                      "among purchasing customers; segment from the scores; CLV from net revenue and "
                      "tenure (profiles/sql/customer_value.sql)",
    "preferred_channel": "per purpose the consented channel with a contact point: stated preference, "
                         "else observed use and response, else the fallback order "
                         "(profiles/sql/preferred_channel.sql)",
    "consent": "per purpose x channel x contact point the latest event that applies to that contact "
               "point; objection and withdrawal win ties (profiles/sql/consent.sql)",
    "churn_risk": "probability of no longer buying: an MBG/NBD model of the purchase days plus service "
                  "signals (profiles/cx.py)",
}
#: customer-experience tables in the export: table -> section title
CX_TABLES = {"feedback": "Survey answers and comments", "service_case": "Service cases",
             "churn_risk": "Churn risk (profiling)", "customer_experience": "Customer experience summary"}


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _staged_deliveries(settings: Settings, keys: list[str]) -> list[dict[str, Any]]:
    """Every staged row (all deliveries) of the person records, with its lineage."""

    contracts = contracts_of(settings)
    out = []
    for row in loaded(read_load_log(settings)).iter_rows(named=True):
        contract = contracts.get(row["source"])
        entity = next((e for e in contract.entities if e.name == row["entity"]), None) if contract else None
        if entity is None or "person_records" not in entity.canonical or not row["staged_path"]:
            continue
        p = settings.paths.root / row["staged_path"]
        if not p.is_file():
            continue
        df = pl.read_parquet(p)
        can = map_to_canonical(df, entity, "person_records", entity.canonical["person_records"])
        hit = can.filter(pl.col("record_key").is_in(keys)).select("record_key", "_row_number")
        if hit.height:
            rows = df.join(hit, on="_row_number")  # _extra too: the columns no contract names
            for r in rows.to_dicts():
                r["_load_date"] = row["load_date"]
                out.append(r)
    return out


def _quarantined_rows(settings: Settings, people: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows rejected at ingestion that name one of the person's record ids or e-mail addresses
    (they never reached a table, but they are data about the person all the same)."""
    emails = {e.strip().lower() for e in people["email"].drop_nulls().to_list()}
    out = []
    for src_dir in sorted(p for p in settings.paths.quarantine.glob("*") if p.is_dir()):
        own = set(people.filter(pl.col("source_system") == src_dir.name)["source_record_id"].to_list())
        if not (own or emails):
            continue
        q = read_table(src_dir, QUARANTINE).collect()
        tok = q.select(pl.col("_raw").map_elements(ids.raw_tokens, return_dtype=pl.List(pl.String)))
        mine = tok.to_series().list.eval(
            pl.element().is_in(list(own)) | pl.element().str.to_lowercase().is_in(list(emails))).list.any()
        out += q.filter(mine.fill_null(False)).to_dicts()
    return out


class ProfilesOutOfDate(RuntimeError):
    """The profile database does not show everything delivered and no pipeline run was given."""


def ensure_up_to_date(settings: Settings, pipeline: PipelineRun | None,
                      echo: Callable[[str], None] = lambda _line: None) -> str | None:
    """Run the pipeline first when the profile database is not up to date; returns why it ran
    (None: it was up to date, nothing ran).

    Raises:
        ProfilesOutOfDate: out of date and no ``pipeline`` to run.
    """
    why = out_of_date(settings)
    if why is None:
        return None
    if pipeline is None:
        raise ProfilesOutOfDate(f"the profile database is not up to date ({why}); run `cdp run` first")
    echo(f"sar: the profile database is not up to date ({why}): running the pipeline first")
    pipeline(settings)
    return why


def sar(settings: Settings, query: str, out_dir: str | Path, actor: str | None = None,
        reason: str | None = None, *, pipeline: PipelineRun | None = None,
        echo: Callable[[str], None] = lambda _line: None) -> dict[str, Path]:
    """Write the subject-access export of one customer to ``out_dir``.

    Args:
        settings: the CDP settings.
        query: customer id, e-mail, phone, name, ERP or card number (must name one customer).
        out_dir: directory for ``sar_<customer_id>_<date>.json`` and ``.html``. Keep it outside
            ``data/`` or under ``data/exports/sar/``; ``cdp forget`` deletes it there.
        actor: who ran it (audit log); default the OS user.
        reason: request reference (audit log).
        pipeline: the pipeline run (``dagster_project.run.refresh``) triggered first when the
            profile database is not up to date; without one an out-of-date database is an error.
        echo: where the one line saying the pipeline runs first goes.

    Returns:
        ``{"json": path, "html": path}``.

    Raises:
        ProfilesOutOfDate: the profile database is not up to date and no ``pipeline`` was given.
    """
    ensure_up_to_date(settings, pipeline, echo)
    customer_id = resolve_customer(settings, query)
    keys = customer_record_keys(settings, customer_id)
    con = duckdb.connect(str(settings.paths.duckdb), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        one = "WHERE customer_id = ?"
        doc: dict[str, Any] = {
            "subject": {"customer_id": customer_id, "record_keys": keys},
            "generated_at": datetime.now(UTC).isoformat(),
            "controller_note": "Export under Art. 15 and 20 GDPR of every personal data item the "
                               "Customer Data Platform holds, with its source.",
            "profile": {
                "customer": _rows(con, f"SELECT * FROM customer {one}", [customer_id]),
                "customer_value": _rows(con, f"SELECT * FROM customer_value {one}", [customer_id]),
                "preferred_channel": _rows(con, f"SELECT * FROM preferred_channel {one} ORDER BY purpose",
                                           [customer_id]),
                "consent": _rows(con, f"SELECT * FROM consent {one} ORDER BY purpose, channel", [customer_id]),
                "legal_basis": _rows(con, f"SELECT * FROM legal_basis {one} ORDER BY purpose", [customer_id])
                if has_table(con, "legal_basis") else [],
                "objections": _rows(con, f"SELECT * FROM objection {one} ORDER BY objected_at", [customer_id])
                if has_table(con, "objection") else [],
                "processing_restriction": _rows(
                    con, f"SELECT * FROM processing_restriction {one}", [customer_id])
                if has_table(con, "processing_restriction") else [],
                # customer experience: survey answers and comments, service cases, churn score
                **{t: _rows(con, f"SELECT * FROM {t} {one}", [customer_id]) if has_table(con, t) else []
                   for t in CX_TABLES},
                "derivation": DERIVATION,
                "built": _rows(con, "SELECT * FROM profile_build", []),
            },
            "identity_links": _rows(con, f"SELECT * FROM identity_link {one} ORDER BY record_key", [customer_id]),
            "contact_events": _rows(con, f"SELECT * FROM contact_history {one} ORDER BY ts, contact_id",
                                    [customer_id]),
            "consent_events": _rows(con, f"SELECT * FROM consent_event {one} ORDER BY ts", [customer_id]),
        }
    finally:
        con.close()
    people = person_records(settings).filter(pl.col("record_key").is_in(keys))
    doc["source_records"] = people.to_dicts()
    doc["source_deliveries"] = _staged_deliveries(settings, keys)
    doc["rejected_deliveries"] = _quarantined_rows(settings, people)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"sar_{customer_id}_{date.today():%Y%m%d}"
    jpath, hpath = out_dir / f"{stem}.json", out_dir / f"{stem}.html"
    text = json.dumps(doc, indent=2, ensure_ascii=False, default=str)
    write_text_atomic(text, jpath)
    write_text_atomic(render_sar_html(json.loads(text), settings), hpath)
    store.audit(settings, "sar", customer_id, reason, actor, {
        "records": len(keys), "contacts": len(doc["contact_events"]),
        "consent_events": len(doc["consent_events"]), "files": [jpath.name, hpath.name]})
    return {"json": jpath, "html": hpath}
