"""Build the 360° profile database ``data/cdp.duckdb`` from the canonical and identity layers.

The build writes a brand-new DuckDB file next to the target and renames it over
``data/cdp.duckdb`` only when every table is complete, so an analyst who has the old file open
keeps reading the old state and nobody ever sees a half-built database.

The SQL of every table lives in ``profiles/sql/<table>.sql``. Those files read temporary tables
the build creates first:

* ``src_person_records``, ``src_contact_events``, ``src_consent_events``: the canonical layer
  (columns exactly as in :mod:`cdp.schema`);
* ``src_identity_link``, ``src_customer_id_history``, ``src_person_std``: the identity outputs;
* ``src_name_key``: each first and last name with its search key (:func:`name_keys`);
* both without the guest checkouts this run's retention step tombstoned (the loading anti-joins
  ``privacy_expired_record``, :func:`privacy.hooks.expired_records_table`);
* ``cfg_*``: the profile settings (trust ranking, consent grid, thresholds) as small tables, so
  the SQL needs no parameters and tunables stay configuration.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from cdp.config import Settings
from cdp.db import frame, scalar
from cdp.lake import read_table, swap_database
from cdp.schema import ALL, CANONICAL_TABLES, PERSON_RECORD, duckdb_ddl
from cdp.standardise import email_std, name_key, phones_to_e164, standardise
from pipelines.contracts import contracts_dir
from pipelines.load_log import newest_loaded_date
from privacy.hooks import (
    EXPIRED_RECORDS,
    apply_to_profiles,
    expired_records_table,
    restriction_table,
)
from profiles import cx

log = logging.getLogger(__name__)

#: SQL files in build order; each creates the table or view of the same name.
BUILD_ORDER = [
    "identity_link",
    "customer_id_history",
    "contact_history",
    "consent_event",
    "customer",
    "contact_point",
    "objection",
    "consent",
    "legal_basis",
    "preferred_channel",
    "customer_value",
    "customer_lookup",
    "match_confidence",
    "person_record",
    "customer_360",
    "agent_profile",
    "agent_profile_export",
    "agent_contact",
    "steward_profile",
]
#: What a role sees, one table per role (built sorted by customer_id for the console's lookups).
ROLE_TABLES = ["agent_profile", "steward_profile"]
#: The objects the database offers analysts (documented, checked for comments).
TABLES = [
    "customer",
    "identity_link",
    "customer_id_history",
    "contact_history",
    "consent_event",
    "contact_point",
    "objection",
    "consent",
    "legal_basis",
    "preferred_channel",
    "customer_value",
    "customer_lookup",
    "match_confidence",
    "person_record",
    "profile_build",
    *cx.TABLES,
    *ROLE_TABLES,
]
VIEWS = ["customer_360", "agent_profile_export", "agent_contact", *cx.VIEWS]
#: Views that pass one table's rows through unchanged (a subset of them): their columns carry that
#: table's comments, not the first same-named column's of :data:`_COMMENT_SOURCES`.
ROW_SUBSET_VIEWS = {"agent_profile_export": "agent_profile"}

IDENTITY_FILES = {
    "src_identity_link": "identity_link.parquet",
    "src_customer_id_history": "customer_id_history.parquet",
    "src_person_std": "person_records_std.parquet",
}
_IDENTITY_LINK_COLUMNS = {
    "record_key": "VARCHAR",
    "source_system": "VARCHAR",
    "source_record_id": "VARCHAR",
    "customer_id": "VARCHAR",
    "match_probability": "DOUBLE",
    "link_method": "VARCHAR",
    "model_version": "VARCHAR",
    "run_id": "VARCHAR",
}
_HISTORY_COLUMNS = {
    "old_customer_id": "VARCHAR",
    "new_customer_id": "VARCHAR",
    "changed_at": "TIMESTAMPTZ",
    "reason": "VARCHAR",
    "run_id": "VARCHAR",
}
#: identity's link_evidence.parquet (identity/evidence.py): why each record was linked
_EVIDENCE_COLUMNS = {
    "record_key": "VARCHAR",
    "linked_to": "VARCHAR",
    "link_method": "VARCHAR",
    "rule": "VARCHAR",
    "match_probability": "DOUBLE",
    "match_weight": "DOUBLE",
    "fields": "STRUCT(comparison VARCHAR, level INTEGER, label VARCHAR, top_level BOOLEAN, match_weight DOUBLE)[]",
}
_STD_COLUMNS = {
    "record_key": "VARCHAR",
    "first_name_std": "VARCHAR",
    "last_name_std": "VARCHAR",
    "email_std": "VARCHAR",
    "phone_e164": "VARCHAR",
    "mobile_e164": "VARCHAR",
    "street_std": "VARCHAR",
    "house_number_std": "VARCHAR",
    "postcode_std": "VARCHAR",
    "city_std": "VARCHAR",
    "birth_date": "DATE",
}


def sql_text(name: str) -> str:
    """The SQL of one profile table or view (``profiles/sql/<name>.sql``)."""
    return resources.files("profiles").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


@contextmanager
def building_database(settings: Settings, copy_current: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a new profile database beside ``data/cdp.duckdb`` (a copy of the current
    one with ``copy_current``), swapped in when the block ends without an error; on an error the
    current database stays as it was and the new one is removed."""
    target = settings.paths.duckdb
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.building-{uuid.uuid4().hex}")
    try:
        if copy_current:
            shutil.copyfile(target, tmp)
        con = duckdb.connect(str(tmp))
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET enable_progress_bar = false")
            _limit_memory(con, settings, tmp)
            yield con
            con.execute("CHECKPOINT")
        finally:
            con.close()
        swap_database(tmp, target)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
        shutil.rmtree(tmp.with_name(tmp.name + ".spill"), ignore_errors=True)


def build_profiles(settings: Settings) -> dict[str, int]:
    """Build every profile table into a new DuckDB file and swap it over ``data/cdp.duckdb``.

    Args:
        settings: the CDP settings; reads ``settings.paths.canonical`` and
            ``settings.paths.identity``, writes ``settings.paths.duckdb``.

    Returns:
        Row count per table and view, e.g. ``{"customer": 1234, ...}``.

    Raises:
        FileNotFoundError: when the identity outputs are missing (run ``cdp resolve`` first).
    """
    paths = settings.paths
    link_file = paths.identity / IDENTITY_FILES["src_identity_link"]
    if not link_file.is_file():
        raise FileNotFoundError(f"{link_file}: identity_link is missing; run `cdp resolve` first")
    started = time.perf_counter()
    with building_database(settings) as con:
        _load_inputs(con, settings)
        _load_config(con, settings, as_of_of_sources(con, settings))
        # Data protection: restriction of processing is an input the profile SQL joins.
        restriction_table(con, settings)
        for name in BUILD_ORDER:
            t0 = time.perf_counter()
            build_table(con, settings, name)
            log.info("built %s in %.1f s", name, time.perf_counter() - t0)
        # Data protection: the pseudonymised analyst tables.
        apply_to_profiles(con, settings)
        # Customer experience last: churn risk only where customer_value's profiling gate lets scores through.
        cx.build_customer_experience(con, settings, sql_text)
        _inherit_view_comments(con)
        _check_comments(con)
        counts = _counts(con)
        write_build_state(con, settings)
    log.info(
        "profiles: %d customers, %d contacts, %d consent events in %.1f s -> %s",
        counts["customer"],
        counts["contact_history"],
        counts["consent_event"],
        time.perf_counter() - started,
        paths.duckdb,
    )
    return counts


#: The role tables hold one list-heavy row per customer; built over every customer at once their
#: aggregates outgrow the memory cap (agent_profile ran out of 8 GB at 1M persons), so they are
#: built ``profiles.role_table_chunk`` customers at a time, in customer_id order.
CHUNKED = set(ROLE_TABLES)
#: What the role tables read per customer, and the column naming the customer: during a chunk each
#: is shadowed by a temp view of the chunk's customers (a table not listed is read whole, which is
#: still right, as every join is on the customer).
PER_CUSTOMER_INPUTS = {
    "customer": "customer_id",
    "customer_value": "customer_id",
    "preferred_channel": "customer_id",
    "consent": "customer_id",
    "objection": "customer_id",
    "contact_history": "customer_id",
    "processing_restriction": "customer_id",
    "customer_id_history": "new_customer_id",
    "person_record": "customer_id",
    "agent_profile": "customer_id",
}


def build_table(con: duckdb.DuckDBPyConnection, settings: Settings, name: str) -> None:
    """Run ``profiles/sql/<name>.sql``; a role table in ranges of customers (:data:`CHUNKED`)."""
    chunk = settings.profiles.role_table_chunk
    if name not in CHUNKED or chunk <= 0:
        con.execute(sql_text(name))
        return
    starts = [r[0] for r in con.execute(
        "SELECT customer_id FROM (SELECT customer_id, row_number() OVER (ORDER BY customer_id) - 1 AS i "
        "FROM customer) WHERE i % ? = 0 ORDER BY customer_id", [chunk]).fetchall()]
    if len(starts) <= 1:
        con.execute(sql_text(name))
        return
    where = '"{}"."{}"'.format(*con.execute("SELECT current_database(), current_schema()").fetchone() or ("", ""))
    inputs = [(t, c) for t, c in PER_CUSTOMER_INPUTS.items()
              if t != name and scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? "
                                           "AND database_name = current_database()", [t])]
    parts = f"{name}__parts"
    try:
        for i, lo in enumerate(starts):
            hi = starts[i + 1] if i + 1 < len(starts) else None
            for table, col in inputs:
                # customer ids are the CDP's own keys, quoted as literals (a view takes no parameters)
                cond = f"{col} >= {_literal(lo)}" + (f" AND {col} < {_literal(hi)}" if hi is not None else "")
                con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM {where}.{table} WHERE {cond}")
            con.execute(sql_text(name))
            if i == 0:
                con.execute(f"DROP TABLE IF EXISTS {parts}")
                con.execute(f"ALTER TABLE {name} RENAME TO {parts}")  # keeps the table's comments
            else:
                con.execute(f"INSERT INTO {parts} SELECT * FROM {name}")
                con.execute(f"DROP TABLE {name}")
    finally:
        for table, _ in inputs:
            con.execute(f"DROP VIEW IF EXISTS temp.main.{table}")
    con.execute(f"DROP TABLE IF EXISTS {name}")
    con.execute(f"ALTER TABLE {parts} RENAME TO {name}")


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


#: Schema of the build's own bookkeeping (not an analyst table): the settings fingerprint and
#: the loads the database was built from, which decide whether a daily delta may update it.
STATE_SCHEMA = "cdp_build"


def build_fingerprint(settings: Settings) -> str:
    """A hash of everything besides the data that shapes the profile tables: the settings, the
    data contracts and the profile / data-protection SQL. A different fingerprint means the
    next build must be a full rebuild."""
    h = hashlib.sha256()
    d = dataclasses.asdict(settings)
    d.pop("data_dir", None)
    h.update(json.dumps(d, sort_keys=True, default=str).encode())
    for f in sorted(contracts_dir(settings).glob("*.yml")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    for pkg in ("profiles", "privacy"):
        for sql_file in sorted(resources.files(pkg).joinpath("sql").iterdir(), key=lambda x: x.name):
            if sql_file.name.endswith(".sql"):
                h.update(sql_file.name.encode() + b"\0" + sql_file.read_bytes())
    return h.hexdigest()


def write_build_state(con: duckdb.DuckDBPyConnection, settings: Settings, mode: str = "full") -> None:
    """``cdp_build.state`` (fingerprint, mode) and ``cdp_build.loads`` (the load ids in the
    canonical tables the database holds), read by the next daily delta."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {STATE_SCHEMA}")
    con.execute(f"CREATE OR REPLACE TABLE {STATE_SCHEMA}.state AS "
                "SELECT ?::VARCHAR AS fingerprint, ?::VARCHAR AS mode", [build_fingerprint(settings), mode])
    con.execute(f"CREATE OR REPLACE TABLE {STATE_SCHEMA}.loads AS SELECT DISTINCT _load_id AS load_id FROM ("
                + " UNION ALL ".join(f"SELECT _load_id FROM src_{t}" for t in CANONICAL_TABLES)
                + ") WHERE _load_id IS NOT NULL")
    con.execute(f"COMMENT ON TABLE {STATE_SCHEMA}.state IS 'Bookkeeping of the profile build (not for analysis): "
                "the fingerprint of settings, contracts and SQL it was built with.'")
    con.execute(f"COMMENT ON TABLE {STATE_SCHEMA}.loads IS 'Bookkeeping of the profile build (not for analysis): "
                "the source loads the database was built from.'")


def _limit_memory(con: duckdb.DuckDBPyConnection, settings: Settings, db_file: Path) -> None:
    limit = settings.profiles.duckdb_memory_limit
    if limit:
        if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", limit):
            raise ValueError(f"profiles.duckdb_memory_limit: {limit!r} is not a size like '6GB'")
        con.execute(f"SET memory_limit = '{limit}'")  # a validated size; SET takes no parameters
    spill = db_file.with_name(db_file.name + ".spill")
    con.execute("SET temp_directory = ?", [str(spill)])
    con.execute("SET preserve_insertion_order = false")


def _parquet_files(directory: Path) -> list[str]:
    return sorted(
        str(p) for p in directory.rglob("*.parquet") if not p.name.startswith(".")
    )


#: The column of each canonical table that names its person record.
PERSON_KEY = {"person_records": "record_key", "contact_events": "person_record_key",
              "consent_events": "person_record_key"}


def not_expired(column: str) -> str:
    """SQL condition: ``column`` (a person record key) names no record that a retention
    tombstone covers (temp table ``privacy_expired_record``, see :func:`load_expired_records`)."""
    return f"({column} IS NULL OR {column} NOT IN (SELECT record_key FROM {EXPIRED_RECORDS}))"


def load_expired_records(con: duckdb.DuckDBPyConnection, settings: Settings) -> int:
    """``privacy_expired_record``: the canonical guest checkouts a retention tombstone covers
    (the retention step after identity wrote it in this run); the loading of every input
    leaves them out. Returns how many."""
    n = expired_records_table(con, settings, guest_records(settings))
    if n:
        log.info("profiles: %d expired guest checkouts left out", n)
    return n


def guest_records(settings: Settings) -> pl.DataFrame:
    """``record_key, is_guest`` of the canonical guest checkouts."""
    return read_table(settings.paths.canonical_table("person_records"), PERSON_RECORD) \
        .filter(pl.col("is_guest").fill_null(False)).select("record_key", "is_guest").collect()


def _load_inputs(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    paths = settings.paths
    load_expired_records(con, settings)
    for table, schema in CANONICAL_TABLES.items():
        name = f"src_{table}"
        files = _parquet_files(paths.canonical_table(table))
        ddl = duckdb_ddl(name, schema).replace("CREATE OR REPLACE TABLE", "CREATE TEMP TABLE", 1)
        con.execute(ddl)
        if files:
            present = {r[0] for r in con.execute(
                "DESCRIBE SELECT * FROM read_parquet(?, union_by_name = true)", [files]).fetchall()}
            # a column added to the schema later (consent contact_point) is NULL in older files
            cols = ", ".join(f'"{c}"' if c in present else "NULL" for c in schema.names())
            con.execute(
                f"INSERT INTO {name} SELECT {cols} FROM read_parquet(?, union_by_name = true) "
                f"WHERE {not_expired(PERSON_KEY[table])}",
                [files],
            )
        log.info("loaded %s: %d files", name, len(files))
    _standardise_consent_points(con)
    _load_parquet(con, "src_identity_link", paths.identity / "identity_link.parquet",
                  _IDENTITY_LINK_COLUMNS, required=True, where=not_expired("record_key"))
    _load_parquet(con, "src_customer_id_history", paths.identity / "customer_id_history.parquet",
                  _HISTORY_COLUMNS, required=False)
    _load_parquet(con, "src_link_evidence", paths.identity / "link_evidence.parquet",
                  _EVIDENCE_COLUMNS, required=False, where=EVIDENCE_KEPT)
    std = paths.identity / "person_records_std.parquet"
    if std.is_file():
        _load_parquet(con, "src_person_std", std, _STD_COLUMNS, required=True, where=not_expired("record_key"))
    else:
        # the same standardiser identity uses (cdp.standardise), never a second set of rules
        log.warning("%s missing: standardising the person records here with cdp.standardise", std)
        records = frame(con.sql("SELECT * FROM src_person_records"))
        std_cols = list(_STD_COLUMNS)
        std_rows = standardise(records).select(std_cols) if records.height else pl.DataFrame(
            schema={c: pl.Date if c == "birth_date" else pl.String for c in std_cols})
        con.register("_person_std", std_rows.to_arrow())
        select = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in _STD_COLUMNS.items())
        con.execute(f"CREATE TEMP TABLE src_person_std AS SELECT {select} FROM _person_std")
        con.unregister("_person_std")
    name_keys(con)


def name_keys(con: duckdb.DuckDBPyConnection) -> None:
    """``src_name_key``: each distinct first and last name (as delivered and identity's
    standardised ones) with its search key by :func:`cdp.standardise.name_key`, the rule a
    query is keyed by (``profiles/lookup.py``); ``customer_lookup.sql`` joins the parts."""
    names = pl.DataFrame(con.execute(
        "SELECT DISTINCT name FROM (SELECT unnest([first_name, last_name]) AS name FROM src_person_records "
        "UNION ALL SELECT unnest([first_name_std, last_name_std]) FROM src_person_std) WHERE name IS NOT NULL"
        ).fetchall(), schema={"name": pl.String}, orient="row")
    keys = names.with_columns(name_key(pl.col("name")).alias("key"))
    con.register("_name_key", keys.to_arrow())
    con.execute("CREATE OR REPLACE TEMP TABLE src_name_key AS SELECT name, key FROM _name_key")
    con.unregister("_name_key")


def _standardise_consent_points(con: duckdb.DuckDBPyConnection) -> None:
    """``src_consent_point``: each distinct consent contact point standardised the way identity
    standardises person records (e-mail rules, E.164), so a consent matches its address."""
    points = pl.DataFrame(con.execute(
        "SELECT DISTINCT contact_point FROM src_consent_events "
        "WHERE contact_point IS NOT NULL AND lower(trim(contact_point)) <> ?", [ALL]).fetchall(),
        schema={"contact_point": pl.String}, orient="row")
    std = points.select(
        "contact_point",
        email_std("contact_point").alias("email_std"),
        phones_to_e164(points["contact_point"]).alias("phone_e164"),
    )
    con.register("_consent_point_std", std.to_arrow())
    con.execute("CREATE OR REPLACE TEMP TABLE src_consent_point AS SELECT * FROM _consent_point_std")
    con.unregister("_consent_point_std")


def _load_parquet(con, name: str, path: Path, columns: dict[str, str], required: bool, where: str = "TRUE") -> None:
    coldefs = ", ".join(f'"{c}" {t}' for c, t in columns.items())
    con.execute(f"CREATE TEMP TABLE {name} ({coldefs})")
    if not path.is_file():
        if required:
            raise FileNotFoundError(f"{path}: required identity output is missing")
        return
    present = {r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()}
    missing = [c for c in columns if c not in present and c in ("record_key", "customer_id",
                                                                "old_customer_id", "new_customer_id")]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    select = ", ".join(
        f'CAST("{c}" AS {t}) AS "{c}"' if c in present else f'CAST(NULL AS {t}) AS "{c}"' for c, t in columns.items()
    )
    con.execute(f"INSERT INTO {name} SELECT * FROM (SELECT {select} FROM read_parquet(?)) WHERE {where}",
                [str(path)])


#: Link evidence of kept records, and never naming an expired one as the record linked to.
EVIDENCE_KEPT = f"{not_expired('record_key')} AND {not_expired('linked_to')}"


def as_of_of_sources(con: duckdb.DuckDBPyConnection, settings: Settings) -> datetime:
    """"Now" of the build: ``profiles.as_of``, else the latest event in ``src_contact_events`` /
    ``src_consent_events``, never past the end of the newest delivery day."""
    return _capped_as_of(settings, scalar(
        con, "SELECT greatest((SELECT max(ts) FROM src_contact_events), (SELECT max(ts) FROM src_consent_events))"))


def _capped_as_of(settings: Settings, latest: datetime | None) -> datetime:
    p = settings.profiles
    if p.as_of:
        as_of = datetime.fromisoformat(p.as_of)
        return as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    as_of = latest or datetime.now(UTC)
    # "Now" never passes the end of the newest delivery day: one event dated 2099 would
    # otherwise turn every active customer lapsed (ingestion quarantines such rows too).
    newest = newest_delivery_end(settings)
    if newest is not None and as_of > newest:
        log.warning("profile_build.as_of: latest event is after the newest delivery; using %s", newest)
        as_of = newest
    return as_of


def _load_config(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: datetime) -> None:
    p = settings.profiles
    con.execute("CREATE TEMP TABLE cfg_trust (attribute VARCHAR, source_system VARCHAR, rank INTEGER)")
    con.executemany(
        "INSERT INTO cfg_trust VALUES (?, ?, ?)",
        [(attr, src, i) for attr, srcs in p.trust_ranking.items() for i, src in enumerate(srcs)]
        or [("name", "", 0)],
    )
    con.execute(
        "CREATE TEMP TABLE cfg_recency_first AS SELECT unnest(?::VARCHAR[]) AS attribute",
        [list(p.recency_first)],
    )
    con.execute(
        "CREATE TEMP TABLE cfg_consent_grid AS "
        "SELECT pu AS purpose, ch AS channel FROM unnest(?::VARCHAR[]) t(pu), unnest(?::VARCHAR[]) u(ch)",
        [list(p.purposes), list(p.consent_channels)],
    )
    _load_channel_purposes(con, settings)
    con.execute("CREATE TEMP TABLE cfg_channel_order (channel VARCHAR, rank INTEGER)")
    con.executemany(
        "INSERT INTO cfg_channel_order VALUES (?, ?)",
        [(ch, i) for i, ch in enumerate(dict.fromkeys(p.channel_fallback_order), start=1)],
    )
    con.execute(
        "CREATE TEMP TABLE cfg_event_class AS "
        "SELECT unnest(?::VARCHAR[]) AS event_type, 'purchase' AS class "
        "UNION ALL SELECT unnest(?::VARCHAR[]), 'return'",
        [list(p.purchase_types), list(p.return_types)],
    )
    _load_privacy_config(con, settings)
    con.execute("CREATE TEMP TABLE cfg_stage_factor (stage VARCHAR, factor DOUBLE)")
    con.executemany("INSERT INTO cfg_stage_factor VALUES (?, ?)", list(p.clv_stage_factor.items()))
    con.execute(sql_text("profile_build"))
    con.execute("INSERT INTO profile_build VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        datetime.now(UTC), as_of, p.at_risk_after_days, p.lapsed_after_days, p.new_customer_days,
        p.channel_half_life_days, p.clv_horizon_years, p.recent_contacts,
    ])


def newest_delivery_end(settings: Settings) -> datetime | None:
    """The end (next midnight, UTC) of the newest delivery date in the load log, if any."""
    newest = newest_loaded_date(settings)
    if newest is None:
        return None
    return datetime.combine(newest + timedelta(days=1), dtime(), tzinfo=UTC)


#: Legal bases a purpose can have (privacy.legal_basis).
LEGAL_BASES = ("consent", "legitimate_interest", "contract", "none")


def _load_privacy_config(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """``cfg_legal_basis`` (purpose, basis) and ``cfg_objection_subject`` from privacy settings."""
    pv = settings.privacy
    bases = {pu: pv.legal_basis.get(pu, "none") for pu in settings.profiles.purposes}
    for pu, basis in bases.items():
        if basis not in LEGAL_BASES:
            raise ValueError(f"privacy.legal_basis.{pu}: {basis!r} is not one of {', '.join(LEGAL_BASES)}")
    con.execute("CREATE TEMP TABLE cfg_legal_basis (purpose VARCHAR, basis VARCHAR)")
    con.executemany("INSERT INTO cfg_legal_basis VALUES (?, ?)", list(bases.items()))
    con.execute("CREATE TEMP TABLE cfg_objection_subject "
                "(subject VARCHAR, purpose VARCHAR, source VARCHAR, type VARCHAR)")
    rows = []
    for i, o in enumerate(pv.objection_subjects):
        if not o.get("subject") or not o.get("purpose"):
            raise ValueError(f"privacy.objection_subjects[{i}]: needs 'subject' and 'purpose'")
        rows.append((o["subject"].strip().lower(), o["purpose"], o.get("source"), o.get("type")))
    if rows:
        con.executemany("INSERT INTO cfg_objection_subject VALUES (?, ?, ?, ?)", rows)
    con.execute(ADDRESS_KEY_MACRO)


#: One address key for person records and consent events: folded, letters and digits only
#: (a macro the profile SQL calls; the Spark engine expands it inline).
ADDRESS_KEY_MACRO = (
    "CREATE TEMP MACRO address_key(s) AS nullif(regexp_replace(replace(replace(replace(replace("
    "replace(lower(s), 'ß', 'ss'), 'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'strasse', 'str'),"
    " '[^a-z0-9]', '', 'g'), '')")


#: How contact history counts as using a channel for a purpose (profiles.channel_purposes).
CHANNEL_SIGNALS = ("use", "response")


def _load_channel_purposes(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """``cfg_channel_purpose`` (purpose, signal, needs_grant, restrictable): the purposes that get
    a preferred channel. A contact point needs a granted consent where the purpose's legal basis
    is consent; a restriction of processing (Art. 18) stops every purpose but a contract's."""
    p, bases = settings.profiles, settings.privacy.legal_basis
    rows = []
    for pu, signal in p.channel_purposes.items():
        if pu not in p.purposes:
            raise ValueError(f"profiles.channel_purposes.{pu}: not one of profiles.purposes {p.purposes}")
        if signal not in CHANNEL_SIGNALS:
            raise ValueError(f"profiles.channel_purposes.{pu}: {signal!r} is not one of {', '.join(CHANNEL_SIGNALS)}")
        basis = bases.get(pu, "none")
        rows.append((pu, signal, basis == "consent", basis != "contract"))
    con.execute("CREATE TEMP TABLE cfg_channel_purpose "
                "(purpose VARCHAR, signal VARCHAR, needs_grant BOOLEAN, restrictable BOOLEAN)")
    if rows:
        con.executemany("INSERT INTO cfg_channel_purpose VALUES (?, ?, ?, ?)", rows)


#: Where a view column without its own COMMENT takes its comment from, in order.
_COMMENT_SOURCES = ["customer", "customer_value", "preferred_channel", "consent", "contact_history", "agent_profile"]


def _inherit_view_comments(con: duckdb.DuckDBPyConnection) -> None:
    """Give view (and role table) columns that pass a table column through that column's comment."""
    rows = con.execute(
        "SELECT v.table_name, v.column_name, t.comment "
        "FROM duckdb_columns() v "
        "JOIN duckdb_columns() t ON t.column_name = v.column_name "
        " AND t.table_name IN (SELECT unnest(?::VARCHAR[])) AND coalesce(t.comment, '') <> '' "
        "WHERE v.table_name IN (SELECT unnest(?::VARCHAR[])) AND coalesce(v.comment, '') = '' "
        "ORDER BY v.table_name, v.column_name, list_position(?::VARCHAR[], t.table_name)",
        [_COMMENT_SOURCES, VIEWS + ROLE_TABLES, _COMMENT_SOURCES],
    ).fetchall()
    done: set[tuple[str, str]] = set()
    for view, column, comment in rows:
        if (view, column) in done:
            continue
        done.add((view, column))
        # COMMENT ON cannot take a bound parameter; the text is our own comment, quoted here.
        literal = "'" + comment.replace("'", "''") + "'"
        con.execute(f'COMMENT ON COLUMN "{view}"."{column}" IS {literal}')
    # after the role tables got theirs: a row-subset view says what its table says
    for view, table in ROW_SUBSET_VIEWS.items():
        for column, comment in con.execute(
                "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ? "
                "AND database_name = current_database() AND schema_name = 'main' "
                "AND coalesce(comment, '') <> '' ORDER BY column_index", [table]).fetchall():
            # COMMENT ON cannot take a bound parameter; the text is our own comment, quoted here.
            literal = "'" + comment.replace("'", "''") + "'"
            con.execute(f'COMMENT ON COLUMN "{view}"."{column}" IS {literal}')


def _check_comments(con: duckdb.DuckDBPyConnection) -> None:
    objects = TABLES + VIEWS
    missing = con.execute(
        "SELECT table_name || '.' || column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' "
        "AND table_name IN (SELECT unnest(?::VARCHAR[])) AND coalesce(comment, '') = '' "
        "ORDER BY 1",
        [objects],
    ).fetchall()
    if missing:
        raise RuntimeError(
            "profiles/sql: COMMENT ON COLUMN missing for " + ", ".join(m[0] for m in missing)
        )
    documented = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE coalesce(comment, '') <> '' "
            "UNION SELECT view_name FROM duckdb_views() WHERE coalesce(comment, '') <> ''"
        ).fetchall()
    }
    undocumented = [o for o in objects if o not in documented]
    if undocumented:
        raise RuntimeError("profiles/sql: COMMENT ON TABLE/VIEW missing for " + ", ".join(undocumented))


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    out = {}
    for name in TABLES + VIEWS:
        out[name] = scalar(con, f'SELECT count(*) FROM "{name}"')
    return out
