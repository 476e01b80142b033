"""``cdp export audience``: consent-filtered campaign and notice audiences.

One row per customer with the channel to use and the contact point for it. A contact point is
exported only with its own granted consent for the purpose (``consent.is_granted`` per
customer x purpose x channel x contact point) and a legal basis for the purpose
(``legal_basis``), so a phone list never holds a number without phone consent and an e-mail list
never an address other than the one that opted in. Beside the file a suppression report says how many customers of the
selected population were left out, and why.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cdp.config import Settings
from cdp.db import scalar
from cdp.lake import atomic_path, write_text_atomic
from exports.db import connect_profiles, sql_text

log = logging.getLogger(__name__)

#: Filters an audience accepts besides purpose, product model and segment (no SQL from users).
FILTERS = ("channel", "lifecycle", "customer_type", "postcode_prefix", "city")
#: Exclusion reasons always listed in the report (suppression lists add their own).
BASE_REASONS = ("objection", "no_consent", "withdrawn", "no_reachable_channel")
_FORMATS = {".csv": "(FORMAT csv, HEADER true)", ".parquet": "(FORMAT parquet, COMPRESSION zstd)",
            ".jsonl": "(FORMAT json)", ".json": "(FORMAT json)"}
_OUT_COLUMNS = ("customer_id, salutation, title, first_name, last_name, channel, contact_point, "
                "consent_given_at, consent_source, consent_method, consent_evidence, "
                "lifecycle_stage, rfm_segment, customer_type")


@dataclass
class AudienceResult:
    """What an audience export wrote and what it left out."""

    path: Path
    report_path: Path
    population: int
    exported: int
    excluded: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)


def export_audience(
    settings: Settings,
    purpose: str,
    product_model: str | None = None,
    segment: str | None = None,
    filters: dict[str, str] | None = None,
    out: str | Path = "audience.csv",
) -> AudienceResult:
    """Export everyone of a population who may be contacted for ``purpose``, with their channel.

    Args:
        settings: the CDP settings (reads ``data/cdp.duckdb`` read-only and the suppression
            lists in ``settings.exports.suppression_lists``).
        purpose: consent purpose, e.g. ``marketing`` or ``service``.
        product_model: only customers who bought this product model (not cancelled).
        segment: only customers in this RFM segment (``customer_value.rfm_segment``).
        filters: optional ``channel`` (only this channel), ``lifecycle``, ``customer_type``,
            ``postcode_prefix``, ``city``.
        out: the file to write; ``.csv``, ``.parquet`` or ``.jsonl``. The suppression report
            goes beside it as ``<name>.suppression.json``.

    Returns:
        An :class:`AudienceResult` with counts per exclusion reason and per channel.
    """
    filters = dict(filters or {})
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise ValueError(f"unknown audience filter(s) {sorted(unknown)}; allowed: {', '.join(FILTERS)}")
    purposes = settings.profiles.purposes
    if purpose not in purposes:
        raise ValueError(f"--purpose {purpose!r}: not a configured purpose ({', '.join(purposes)})")
    channel = filters.get("channel")
    if channel is not None and channel not in settings.profiles.consent_channels:
        raise ValueError(f"--channel {channel!r}: not a consent channel "
                         f"({', '.join(settings.profiles.consent_channels)})")
    out = Path(out)
    if out.suffix.lower() not in _FORMATS:
        raise ValueError(f"--out {out}: use a .csv, .parquet or .jsonl file name")
    report_path = out.with_name(out.stem + ".suppression.json")
    params = {
        "purpose": purpose,
        "channel": channel,
        "product_model": product_model,
        "segment": segment,
        "lifecycle": filters.get("lifecycle"),
        "customer_type": filters.get("customer_type"),
        "postcode_prefix": filters.get("postcode_prefix"),
        "city": filters.get("city"),
        "purchase_types": list(settings.profiles.purchase_types),
        "channel_order": list(settings.exports.audience_channel_order),
    }
    con = connect_profiles(settings)
    try:
        reasons = _load_suppressions(con, settings)
        con.execute("CREATE TEMP TABLE audience_result AS " + sql_text("audience"), params)
        population = scalar(con, "SELECT count(*) FROM audience_result")
        excluded = {r: 0 for r in (*reasons, *BASE_REASONS)}
        excluded.update(dict(con.execute(
            "SELECT excluded_reason, count(*) FROM audience_result WHERE excluded_reason IS NOT NULL "
            "GROUP BY 1").fetchall()))
        by_channel = dict(con.execute(
            "SELECT channel, count(*) FROM audience_result WHERE excluded_reason IS NULL "
            "GROUP BY 1 ORDER BY 1").fetchall())
        with atomic_path(out) as tmp:
            # COPY cannot bind the file name; it is the caller's path, quoted.
            con.execute(
                f"COPY (SELECT {_OUT_COLUMNS} FROM audience_result WHERE excluded_reason IS NULL "
                f"ORDER BY customer_id) TO '{_quote(tmp)}' {_FORMATS[out.suffix.lower()]}")
        built = con.execute("SELECT built_at FROM profile_build").fetchone()
    finally:
        con.close()
    exported = sum(by_channel.values())
    report = {
        "audience_file": out.name,
        "created_at": datetime.now(UTC).isoformat(),
        "profiles_built_at": built[0].isoformat() if built and built[0] else None,
        "selection": {"purpose": purpose, "product_model": product_model, "segment": segment,
                      **{k: v for k, v in filters.items() if v is not None}},
        "population": population,
        "exported": exported,
        "exported_by_channel": by_channel,
        "excluded": excluded,
        "excluded_total": population - exported,
        "reasons": {
            "objection": "objected to processing for the purpose (Art. 21 GDPR), recorded as a "
                         "consent event or a contact typed as an objection",
            "no_consent": "no granted consent for the purpose on any allowed channel (never asked)",
            "withdrawn": "consent for the purpose was withdrawn and not granted again",
            "no_reachable_channel": "consent granted, but for no contact point a person record "
                                    "holds (a consent is bound to the address it was given for)",
            **{r: "on the suppression list " + f for r, f in reasons.items()},
        },
    }
    write_text_atomic(json.dumps(report, indent=2, ensure_ascii=False), report_path)
    log.info("audience %s: %d of %d exported -> %s", purpose, exported, population, out)
    return AudienceResult(out, report_path, population, exported, excluded, by_channel)


def _load_suppressions(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, str]:
    """Fill temp table audience_suppression from the configured lists; reason -> file used."""
    con.execute("CREATE TEMP TABLE audience_suppression (customer_id VARCHAR, reason VARCHAR)")
    used: dict[str, str] = {}
    for entry in settings.exports.suppression_lists:
        path = Path(settings.data_dir) / entry["file"]
        reason = entry["reason"]
        used.setdefault(reason, str(entry["file"]))
        if not path.is_file():
            continue
        column = entry.get("column", "customer_id")
        cols = {r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()}
        if column not in cols:
            raise ValueError(f"{path}: suppression list has no column {column!r} "
                             f"(settings exports.suppression_lists)")
        con.execute(
            f'INSERT INTO audience_suppression SELECT CAST("{column}" AS VARCHAR), ? '
            "FROM read_parquet(?)", [reason, str(path)])
        log.info("suppression list %s: %s", reason, path)
    return used


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
