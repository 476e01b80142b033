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
from exports.contact_rules import apply_contact_rules
from exports.db import connect_profiles, csv_safe_select, sql_text
from pipelines.withdrawals import staged_withdrawals
from privacy.hooks import suppressed_customers, suppression_sources

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
        settings: the CDP settings (reads ``data/cdp.duckdb`` read-only, the data-protection
            suppressions through :func:`privacy.hooks.suppressed_customers` and any further
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
        refuse_unapplied_withdrawals(con, settings)
        reasons = _load_suppressions(con, settings)
        rules = apply_contact_rules(con, settings, purpose)  # contact pressure, non-responders
        con.execute("CREATE TEMP TABLE audience_result AS " + sql_text("audience"), params)
        population = scalar(con, "SELECT count(*) FROM audience_result")
        excluded = {r: 0 for r in (*reasons, *rules, *BASE_REASONS)}
        excluded.update(dict(con.execute(
            "SELECT excluded_reason, count(*) FROM audience_result WHERE excluded_reason IS NOT NULL "
            "GROUP BY 1").fetchall()))
        by_channel = dict(con.execute(
            "SELECT channel, count(*) FROM audience_result WHERE excluded_reason IS NULL "
            "GROUP BY 1 ORDER BY 1").fetchall())
        select = f"SELECT {_OUT_COLUMNS} FROM audience_result WHERE excluded_reason IS NULL ORDER BY customer_id"
        if out.suffix.lower() == ".csv":
            select = csv_safe_select(con, select)
        with atomic_path(out) as tmp:
            # COPY cannot bind the file name; it is the caller's path, quoted.
            con.execute(f"COPY ({select}) TO '{_quote(tmp)}' {_FORMATS[out.suffix.lower()]}")
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
            **rules,
        },
    }
    write_text_atomic(json.dumps(report, indent=2, ensure_ascii=False), report_path)
    log.info("audience %s: %d of %d exported -> %s", purpose, exported, population, out)
    return AudienceResult(out, report_path, population, exported, excluded, by_channel)


def refuse_unapplied_withdrawals(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Refuse to export from a profile database that misses a staged withdrawal.

    A withdrawal is staged even when its file is over the failed-row limit, but the blocking
    check then stops the run before the profiles are rebuilt: the database still says
    "granted". Only withdrawals of records the database knows count (a new record's withdrawal
    has no customer to leave out yet).

    Raises:
        ValueError: the files and rows of withdrawals the database does not have yet.
    """
    staged = staged_withdrawals(settings)
    if staged.height == 0:
        return
    con.register("staged_withdrawals", staged.to_arrow())
    missing = con.execute(
        "SELECT _source_file, count(*), min(_row_number) FROM staged_withdrawals s "
        "WHERE s.consent_event_key NOT IN (SELECT consent_event_key FROM consent_event) "
        "AND s.person_record_key IN (SELECT record_key FROM identity_link) GROUP BY 1 ORDER BY 1").fetchall()
    con.unregister("staged_withdrawals")
    if missing:
        where = "; ".join(f"{f} ({n} row(s), first row {r})" for f, n, r in missing)
        raise ValueError(
            f"{settings.paths.duckdb.name} is older than {sum(n for _, n, _ in missing)} staged consent "
            f"withdrawal(s): {where}. Run `cdp run` (see docs/operations.md, a blocked check) so the "
            "withdrawals are applied, then export again (rule consent:withdrawal_not_applied)")


def _load_suppressions(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, str]:
    """Fill temp table audience_suppression: who data protection says no export may offer
    (erased, restricted: :func:`privacy.hooks.suppressed_customers`, the one reader of the
    privacy store), then the further lists configured in ``exports.suppression_lists``; reason ->
    the list's file."""
    con.execute("CREATE TEMP TABLE audience_suppression (customer_id VARCHAR, reason VARCHAR)")
    con.register("_privacy_suppressed", suppressed_customers(settings).to_arrow())
    con.execute("INSERT INTO audience_suppression SELECT customer_id, reason FROM _privacy_suppressed")
    con.unregister("_privacy_suppressed")
    used = suppression_sources(settings)
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
