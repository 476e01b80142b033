"""Withdrawals that always win: which consent withdrawals are staged, and which could not be.

A withdrawal (or objection) must never wait for other rows. Two helpers serve that rule:

* :func:`staged_withdrawals`: every staged row that a contract maps to a withdrawn
  ``consent_events`` row, with its canonical key. An export compares them with the profile
  database it reads and refuses when one is missing (the run that would apply it was stopped,
  e.g. by a blocking check on another file), see ``exports/audience.py``.
* :func:`withdrawal_findings`: quarantined rows of a consent entity that are withdrawals, or
  that could not be read at all (they may be): findings for the data protection officer,
  written to ``data/reports/dpo/<load_id>.json`` (file, row, rules; never a value).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from cdp.config import Settings
from cdp.lake import read_table, write_text_atomic
from cdp.schema import ConsentStatus
from pipelines.contracts import Entity, contracts_of
from pipelines.mapping import map_to_canonical, mapped_expr

CONSENT = "consent_events"
#: statuses that take a consent back: a withdrawal, or an objection (Art. 21)
WITHDRAWALS = [ConsentStatus.WITHDRAWN.value, ConsentStatus.OBJECTION.value]


def consent_entities(settings: Settings) -> list[Entity]:
    """Contract entities whose rows map to canonical consent events."""
    return [e for c in contracts_of(settings).values() for e in c.entities if CONSENT in e.canonical]


def staged_withdrawals(settings: Settings) -> pl.DataFrame:
    """Every staged withdrawal or objection: ``consent_event_key``, ``person_record_key``, ``_source_file``,
    ``_row_number`` (empty when there is none)."""
    cols = pl.Schema({"consent_event_key": pl.String, "person_record_key": pl.String, "_source_file": pl.String,
                      "_row_number": pl.Int64})
    parts = []
    for e in consent_entities(settings):
        d = settings.paths.staged / e.source / e.name
        if not d.is_dir():
            continue
        staged = read_table(d).collect()
        mapped = map_to_canonical(staged, e, CONSENT, e.canonical[CONSENT])
        parts.append(mapped.filter(pl.col("status").is_in(WITHDRAWALS)).select(
            "consent_event_key", "person_record_key", "_source_file", "_row_number"))
    return pl.concat(parts, how="vertical_relaxed").cast(cols) if parts else pl.DataFrame(schema=cols)


def withdrawal_findings(entity: Entity, evaluated: pl.DataFrame) -> pl.DataFrame:
    """The rejected rows of a consent entity's chunk that are (or may be) withdrawals:
    ``_row_number``, ``finding`` (``withdrawal_quarantined`` / ``unreadable_consent_row``)."""
    status = mapped_expr(entity.canonical[CONSENT].get("status"), pl.String)
    fails = [c for c in evaluated.columns if c.startswith("__fail__")]
    bad = pl.col("_read_error").is_not_null()
    if fails:
        bad = bad | pl.any_horizontal(fails)
    return evaluated.filter(bad).select(
        "_row_number",
        pl.when(pl.col("_read_error").is_not_null()).then(pl.lit("unreadable_consent_row"))
        .when(status.is_in(WITHDRAWALS)).then(pl.lit("withdrawal_quarantined")).otherwise(None).alias("finding"),
    ).drop_nulls("finding")


def write_findings(settings: Settings, load_id: str, file: str, rows: pl.DataFrame) -> Path:
    """``data/reports/dpo/<load_id>.json``: each finding (``_row_number``, ``finding``,
    ``_failed_rules``) with its file, row and failed rules."""
    doc = {"load_id": load_id, "file": file,
           "action": "withdrawals that could not be applied: check the quarantined rows and apply them by hand "
                     "(see docs/operations.md)",
           "findings": [{"row": r["_row_number"], "finding": r["finding"], "rules": r["_failed_rules"]}
                        for r in rows.sort("_row_number").iter_rows(named=True)]}
    path = settings.paths.reports / "dpo" / f"{load_id}.json"
    write_text_atomic(json.dumps(doc, indent=1), path)
    return path
