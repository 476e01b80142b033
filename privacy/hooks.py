"""Calls other stages make into data protection (one line each on their side).

* :func:`expired_records_table` — ``profiles.build`` before it loads its inputs:
  ``privacy_expired_record``, the guest checkouts this run's retention step tombstoned, which
  the loading of the canonical and identity inputs anti-joins (they leave the profiles in the
  run that expired them; from the next run on the canonical build drops them).
* :func:`restriction_table` — ``profiles.build.build_profiles`` before its tables are built:
  ``processing_restriction``, which the profile SQL joins (restriction of processing).
* :func:`apply_to_profiles` — ``profiles.build.build_profiles`` after its tables are built, before
  the swap: the pseudonymised analyst tables.
* :func:`suppressed_customers` / :func:`suppression_sources` — ``exports.audience`` before it
  selects: who no export may offer (erased, restricted) and where each list is kept.
* ``pipelines.ingest`` / ``pipelines.canonical`` call :mod:`privacy.suppression`.
"""

from __future__ import annotations

import logging
from importlib import resources

import duckdb
import polars as pl

from cdp.config import Settings
from cdp.db import scalar
from privacy import identifiers as ids
from privacy import store
from privacy.retention import expired_records

log = logging.getLogger(__name__)


def sql_text(name: str) -> str:
    """The SQL of one data-protection step (``privacy/sql/<name>.sql``)."""
    return resources.files("privacy").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


#: The temp table of :func:`expired_records_table` (one column, ``record_key``).
EXPIRED_RECORDS = "privacy_expired_record"


def expired_records_table(con: duckdb.DuckDBPyConnection, settings: Settings, guests: pl.DataFrame) -> int:
    """Build temp table ``privacy_expired_record`` (``record_key``): the records among ``guests``
    (``record_key``, ``is_guest`` of the canonical guest checkouts) that a retention tombstone
    covers. Returns its row count."""
    expired = pl.DataFrame({"record_key": expired_records(settings, guests, store.read_tombstones(settings))})
    con.register("_privacy_expired", expired.to_arrow())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {EXPIRED_RECORDS} AS SELECT record_key FROM _privacy_expired")
    con.unregister("_privacy_expired")
    return expired.height


def restriction_table(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Build ``processing_restriction`` (one row per restricted customer) in the new database:
    an input the profile SQL joins (``customer_value.sql``, ``preferred_channel.sql``).

    Expects the profile build's temp table ``src_identity_link``.
    """
    restr = store.read_restrictions(settings)
    con.register("_privacy_restrictions", restr.to_arrow())
    con.execute("CREATE OR REPLACE TEMP TABLE privacy_restricted_records AS "
                "SELECT record_key, reason, restricted_at, actor FROM _privacy_restrictions")
    con.unregister("_privacy_restrictions")
    con.execute(sql_text("restriction"))


#: Who no export may offer: reason -> the privacy-store file (``data/privacy/``) that lists them.
SUPPRESSION_FILES = {"erased": "erasures.parquet", "restricted": "restrictions.parquet"}


def suppressed_customers(settings: Settings) -> pl.DataFrame:
    """``customer_id``, ``reason``: the customers no export may offer, one row per customer and
    reason (:data:`SUPPRESSION_FILES`): erased customer ids (``erased``) and customers under a
    restriction of processing (``restricted``: the current customer id each profile build
    refreshes, or the one ``cdp restrict`` recorded if no build ran since, so a restriction
    holds before the rebuild it triggers has finished)."""
    lists = [store.read_erasures(settings).select("customer_id", pl.lit("erased").alias("reason")),
             store.read_restrictions(settings).select("customer_id", pl.lit("restricted").alias("reason"))]
    return pl.concat(lists).drop_nulls("customer_id").unique(maintain_order=True)


def suppression_sources(settings: Settings) -> dict[str, str]:
    """reason -> where its list is kept, for a report (relative to the data directory when
    inside it: ``privacy/erasures.parquet``)."""
    out = {}
    for reason, name in SUPPRESSION_FILES.items():
        path = store.privacy_file(settings, name)
        try:
            out[reason] = path.relative_to(settings.data_dir).as_posix()
        except ValueError:
            out[reason] = str(path)
    return out


#: The pseudonymised tables with one row per contact / consent row: a daily delta replaces the
#: rows of the customers it touched instead of rebuilding them (see :func:`pseudo_rows`).
PSEUDO_PER_ROW = ("pseudo.contact_history", "pseudo.consent")


def _pseudo_statements() -> list[tuple[str | None, str]]:
    """``(target table or None, statement)`` of ``privacy/sql/pseudo.sql``, in order."""
    out = []
    for stmt in (s.strip() for s in sql_text("pseudo").split(";\n")):
        body = "\n".join(line for line in stmt.splitlines() if not line.lstrip().startswith("--")).strip()
        if not body:
            continue
        target = None
        if body.startswith("CREATE OR REPLACE TABLE "):
            target = body.removeprefix("CREATE OR REPLACE TABLE ").split()[0]
        out.append((target, body))
    return out


def pseudo_rows(con: duckdb.DuckDBPyConnection, settings: Settings, customers: str) -> None:
    """Replace the rows of ``customers`` (a query of ``customer_id``; retired ids included) in
    :data:`PSEUDO_PER_ROW` with what ``pseudo.sql`` gives them now. Expects ``privacy_pseudonym``
    of every current customer (:func:`apply_to_profiles` made it)."""
    ids_ = pl.DataFrame(con.execute(customers).fetchall(), schema={"customer_id": pl.String}, orient="row")
    gone = ids_.select(ids.hash_series(settings, "pseudonym", ids_["customer_id"]).str.slice(0, 20).alias("pseudo_id"))
    con.register("_privacy_pseudo_gone", gone.to_arrow())
    try:
        for target, stmt in _pseudo_statements():
            if target not in PSEUDO_PER_ROW:
                continue
            select = stmt.split(" AS\n", 1)[1]
            con.execute(f"DELETE FROM {target} WHERE pseudo_id IN (SELECT pseudo_id FROM _privacy_pseudo_gone)")
            con.execute(f"INSERT INTO {target} SELECT * FROM ({select}) WHERE pseudo_id IN "
                        "(SELECT pseudo_id FROM _privacy_pseudo_gone)")
    finally:
        con.unregister("_privacy_pseudo_gone")


def apply_to_profiles(con: duckdb.DuckDBPyConnection, settings: Settings, keep_per_row: bool = False) -> None:
    """Build schema ``pseudo`` in the new database and refresh the current customer id in
    ``data/privacy/restrictions.parquet`` (the audience export's suppression list).

    ``keep_per_row``: leave the tables of :data:`PSEUDO_PER_ROW` as they are (a daily delta
    replaces its customers' rows with :func:`pseudo_rows`).

    Expects the profile build's temp table ``src_identity_link`` and the built tables
    ``processing_restriction``, ``customer_360``, ``contact_history``, ``consent``.
    """
    restr = store.read_restrictions(settings)
    if restr.height:
        current = pl.DataFrame(
            con.execute("SELECT record_key, customer_id FROM src_identity_link").fetchall(),
            schema={"record_key": pl.String, "customer_id": pl.String}, orient="row")
        refreshed = restr.drop("customer_id").join(current, on="record_key", how="left") \
            .select(store.RESTRICTION.names())
        if not refreshed.equals(restr):
            store.replace(settings, "restrictions.parquet", refreshed)
    n_restricted = scalar(con, "SELECT count(*) FROM processing_restriction")

    customers = pl.DataFrame(con.execute("SELECT customer_id FROM customer").fetchall(),
                             schema={"customer_id": pl.String}, orient="row")
    pseudo = customers.with_columns(
        ids.hash_series(settings, "pseudonym", customers["customer_id"]).str.slice(0, 20)
        .alias("pseudo_id"))
    con.register("_privacy_pseudonym", pseudo.to_arrow())
    con.execute("CREATE OR REPLACE TEMP TABLE privacy_pseudonym AS SELECT * FROM _privacy_pseudonym")
    con.unregister("_privacy_pseudonym")
    for target, stmt in _pseudo_statements():
        if not (keep_per_row and target in PSEUDO_PER_ROW):
            con.execute(stmt)
    _comment_pseudo_columns(con)
    log.info("privacy: %d customers restricted; pseudonymised tables built", n_restricted)


_PSEUDO_COMMENTS = {
    "pseudo_id": "Pseudonym of the customer: HMAC-SHA256 of the customer id under the installation "
                 "secret (first 20 hex digits); stable across builds, the same in every pseudo table.",
    "birth_year": "Year of birth (the birth date is left out).",
    "postcode_area": "First two digits of the postcode (the address is left out).",
    "has_email": "Whether an e-mail address is known (the address itself is left out).",
    "has_phone": "Whether a phone or mobile number is known (the number itself is left out).",
}


def _comment_pseudo_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Every pseudo column carries the comment of the main-schema column it passes through."""
    cols = con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'pseudo'"
                       ).fetchall()
    known = dict(con.execute(
        "SELECT column_name, first(comment ORDER BY table_name) FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND coalesce(comment, '') <> '' GROUP BY 1").fetchall())
    for table, column in cols:
        text = _PSEUDO_COMMENTS.get(column) or known.get(column) or f"As {column} in the main schema."
        # COMMENT ON cannot take a bound parameter; the text is our own, quoted here.
        literal = "'" + text.replace("'", "''") + "'"
        con.execute(f'COMMENT ON COLUMN pseudo."{table}"."{column}" IS {literal}')


