"""The daily delta of the profile database: only the affected customers' rows are rebuilt.

A copy of ``data/cdp.duckdb`` is updated and renamed over it (as a full build is), so a failed
delta leaves the previous database. What a delta changes:

* **affected customers** (``A0``): the old and new customer of every person record that is new
  or changed in the canonical layer (its ``_load_id`` is a load the database was not built
  from), that an event new or changed in a new load names, or that identity moved to another
  customer (or dropped: erased, or an expired guest checkout: the retention step of this run
  tombstoned it, the loading leaves it out), or whose link evidence now names another record;
  and customers whose survey answers refer to a new or changed order or case;
* **scope** (``S``): ``A0`` plus every customer sharing a consent contact point with one of
  them (a withdrawal applies to an address whoever holds it, ``consent.sql``); the tables are
  computed in a scratch database over ``S`` and its own contact-point neighbours (so every
  withdrawal that applies to a point of ``S`` is there), with the same SQL as the full build,
  and the rows of ``S`` replace theirs (delete + insert); service cases are replaced by case id,
  with every contact of those cases;
* **every customer**: the tables that rank customers against each other or count back from
  ``as_of`` (``customer_value``, ``preferred_channel``, ``churn_risk``, ``customer_experience``,
  the monthly KPIs, the pseudonymised tables) are recomputed from the updated tables, and the age
  of open service cases is moved to the new ``as_of``.

The result is the database a full build over the same canonical and identity outputs writes
(``tests/profiles/test_incremental.py`` compares every table both ways).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import duckdb

from cdp.config import Settings
from cdp.db import scalar
from cdp.schema import CANONICAL_TABLES, duckdb_ddl
from privacy.hooks import apply_to_profiles, pseudo_rows, restriction_table
from profiles import build, cx
from profiles.build import (
    _EVIDENCE_COLUMNS,
    _HISTORY_COLUMNS,
    _IDENTITY_LINK_COLUMNS,
    _STD_COLUMNS,
    BUILD_ORDER,
    IDENTITY_FILES,
    PERSON_KEY,
    STATE_SCHEMA,
    _capped_as_of,
    _check_comments,
    _counts,
    _load_config,
    _load_parquet,
    _parquet_files,
    _standardise_consent_points,
    build_fingerprint,
    building_database,
    load_expired_records,
    not_expired,
)

log = logging.getLogger(__name__)

#: Tables whose rows are replaced per customer in scope; the second value is the row key for
#: rows without a customer (a contact of a person record identity does not know).
SPLICED = {
    "identity_link": None,
    "contact_history": "contact_id",
    "consent_event": "consent_event_key",
    "customer": None,
    "contact_point": None,
    "objection": None,
    "consent": None,
    "legal_basis": None,
    "customer_lookup": None,
    "person_record": None,
    "feedback": "response_id",
    "campaign_response": "message_id",
}
SCRATCH = "delta_scratch"


class NotIncremental(RuntimeError):
    """The database cannot take a delta (none yet, no build state, other settings): build it whole."""


def incremental_status(settings: Settings) -> tuple[bool, str]:
    """Whether the profile database can take a daily delta, and why (not)."""
    db = settings.paths.duckdb
    if not db.is_file():
        return False, "no profile database yet"
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return False, "the profile database cannot be opened"
    try:
        if not _state_exists(con):
            return False, "the profile database has no build state (built by an older version)"
        fp = scalar(con, f"SELECT fingerprint FROM {STATE_SCHEMA}.state")
    finally:
        con.close()
    if fp != build_fingerprint(settings):
        return False, "settings, data contracts or profile SQL changed since the database was built"
    return True, "a profile database built with the same settings exists: only new deliveries are applied"


def _state_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'state'",
                       [STATE_SCHEMA]))


def update_profiles(settings: Settings) -> dict[str, int | float | str]:
    """Apply the canonical and identity changes since the last build to ``data/cdp.duckdb``.

    Returns:
        Row counts per table and view, plus ``delta_*`` figures (customers affected, in scope).

    Raises:
        NotIncremental: when :func:`incremental_status` says no; build the database whole.
    """
    ok, why = incremental_status(settings)
    if not ok:
        raise NotIncremental(why)
    started = time.perf_counter()
    with building_database(settings, copy_current=True) as con:
        stats = _apply(con, settings)
        _check_comments(con)
        counts: dict[str, int | float | str] = dict(_counts(con))
        counts.update(stats)
    log.info("profiles (delta): %s customers affected, %s in scope, %.1f s", counts.get("delta_customers_affected"),
             counts.get("delta_customers_in_scope"), time.perf_counter() - started)
    return counts


def _files(settings: Settings, table: str) -> list[str]:
    return _parquet_files(settings.paths.canonical_table(table))


def _apply(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, int | float | str]:
    main = scalar(con, "SELECT current_database()")
    t = {"start": time.perf_counter()}
    paths = settings.paths
    files = {tbl: _files(settings, tbl) for tbl in CANONICAL_TABLES}
    # loads in the canonical layer now, and the new ones
    parts = [f"SELECT DISTINCT _load_id AS load_id FROM read_parquet({_list(f)})" for f in files.values() if f]
    con.execute("CREATE TEMP TABLE delta_all_loads AS " + " UNION ".join(parts) if parts else
                "CREATE TEMP TABLE delta_all_loads (load_id VARCHAR)")
    con.execute(f"CREATE TEMP TABLE delta_loads AS SELECT load_id FROM delta_all_loads WHERE load_id IS NOT NULL "
                f"EXCEPT SELECT load_id FROM {STATE_SCHEMA}.loads")
    # guest checkouts this run's retention step expired leave like dropped records: identity_link
    # still has them at the old customer, delta_link not, so their customers are affected
    load_expired_records(con, settings)
    _load_parquet(con, "delta_link", paths.identity / IDENTITY_FILES["src_identity_link"], _IDENTITY_LINK_COLUMNS,
                  required=True, where=not_expired("record_key"))
    con.execute(f"CREATE TEMP TABLE delta_records AS SELECT record_key FROM read_parquet({_list(files['person_records'])}) "
                "WHERE _load_id IN (SELECT load_id FROM delta_loads)" if files["person_records"] else
                "CREATE TEMP TABLE delta_records (record_key VARCHAR)")
    ev = []
    if files["contact_events"]:
        ev.append(f"SELECT event_key AS contact_id, event_key AS row_key, person_record_key, case_id, source_system, "
                  f"event_type, source_event_id FROM read_parquet({_list(files['contact_events'])}) "
                  "WHERE _load_id IN (SELECT load_id FROM delta_loads)")
    if files["consent_events"]:
        ev.append(f"SELECT 'consent_change:' || consent_event_key, consent_event_key, person_record_key, NULL, "
                  f"source_system, 'consent', NULL FROM read_parquet({_list(files['consent_events'])}) "
                  "WHERE _load_id IN (SELECT load_id FROM delta_loads)")
    con.execute("CREATE TEMP TABLE delta_events AS " + " UNION ALL ".join(ev) if ev else
                "CREATE TEMP TABLE delta_events (contact_id VARCHAR, row_key VARCHAR, person_record_key VARCHAR, "
                "case_id VARCHAR, source_system VARCHAR, event_type VARCHAR, source_event_id VARCHAR)")
    con.execute("""
        CREATE TEMP TABLE delta_touched AS
        SELECT record_key FROM delta_records
        UNION SELECT person_record_key FROM delta_events WHERE person_record_key IS NOT NULL
        UNION SELECT record_key FROM identity_link o FULL JOIN delta_link n USING (record_key)
              WHERE o.customer_id IS DISTINCT FROM n.customer_id""")
    evidence = paths.identity / "link_evidence.parquet"
    if evidence.is_file():
        # a record whose link evidence names another record now (the one it named expired or
        # left the customer): person_record shows the new reason
        con.execute(f"""
            INSERT INTO delta_touched
            SELECT p.record_key FROM person_record p
            LEFT JOIN (SELECT record_key, linked_to FROM read_parquet(?)
                       WHERE {not_expired("linked_to")}) e USING (record_key)
            WHERE p.linked_to IS DISTINCT FROM e.linked_to""", [str(evidence)])
    con.execute("""
        CREATE TEMP TABLE delta_a0 AS
        SELECT customer_id FROM identity_link WHERE record_key IN (SELECT record_key FROM delta_touched)
        UNION SELECT customer_id FROM delta_link WHERE record_key IN (SELECT record_key FROM delta_touched)
        UNION SELECT customer_id FROM feedback WHERE customer_id IS NOT NULL AND (
              refers_to IN (SELECT source_event_id FROM delta_events WHERE source_system = 'shop' AND event_type = 'order')
              OR refers_to IN (SELECT case_id FROM delta_events WHERE case_id IS NOT NULL))""")
    t["affected"] = time.perf_counter()
    # the global inputs: "now", settings tables, profile_build (in the database being updated)
    latest = None
    if files["contact_events"] or files["consent_events"]:
        latest = scalar(con, "SELECT greatest(" + ", ".join(
            f"(SELECT max(ts) FROM read_parquet({_list(files[x])}))" for x in ("contact_events", "consent_events")
            if files[x]) + ")")
    as_of = _capped_as_of(settings, latest)
    _load_config(con, settings, as_of)
    _load_parquet(con, "src_customer_id_history", paths.identity / "customer_id_history.parquet",
                  _HISTORY_COLUMNS, required=False)

    # pass 1: the new contact points of the affected customers, for the consent neighbours
    _scratch(con, settings, files, "delta_a0", main, upto="consent")
    con.execute(f"""
        CREATE TEMP TABLE delta_points AS
        SELECT point_key FROM {main}.consent WHERE customer_id IN (SELECT customer_id FROM delta_a0)
        UNION SELECT point_key FROM {SCRATCH}.consent
        UNION SELECT point_key FROM {SCRATCH}.consent_event
              WHERE consent_event_key IN (SELECT row_key FROM delta_events)""")
    con.execute(f"""
        CREATE TEMP TABLE delta_scope AS
        SELECT customer_id FROM delta_a0
        UNION SELECT customer_id FROM {main}.consent WHERE point_key IN (SELECT point_key FROM delta_points)""")
    con.execute(f"""
        CREATE TEMP TABLE delta_support AS
        SELECT customer_id FROM delta_scope
        UNION SELECT customer_id FROM {main}.consent WHERE point_key IN (
            SELECT point_key FROM delta_points
            UNION SELECT point_key FROM {main}.consent WHERE customer_id IN (SELECT customer_id FROM delta_scope))""")
    t["scope"] = time.perf_counter()
    # pass 2: every table over the support set
    _scratch(con, settings, files, "delta_support", main, upto=None)
    t["scratch"] = time.perf_counter()
    _splice(con, main)
    t["splice"] = time.perf_counter()
    recomputed = _recompute(con, settings, main)
    t["recompute"] = time.perf_counter()
    con.execute(f"DETACH {SCRATCH}")
    con.execute(f"CREATE OR REPLACE TABLE {STATE_SCHEMA}.loads AS SELECT load_id FROM delta_all_loads "
                "WHERE load_id IS NOT NULL")
    con.execute(f"UPDATE {STATE_SCHEMA}.state SET mode = 'delta'")
    stats: dict[str, int | float | str] = {
        "delta_loads": scalar(con, "SELECT count(*) FROM delta_loads"),
        "delta_customers_affected": scalar(con, "SELECT count(*) FROM delta_a0"),
        "delta_customers_in_scope": scalar(con, "SELECT count(*) FROM delta_scope"),
        "delta_customers_loaded": scalar(con, "SELECT count(*) FROM delta_support"),
    }
    stats.update({f"delta_recompute_{k}_s": v for k, v in recomputed.items()})
    marks = list(t)
    for a, b in zip(marks, marks[1:], strict=False):
        stats[f"delta_{b}_s"] = round(t[b] - t[a], 2)
    return stats


def _list(files: list[str]) -> str:
    """A DuckDB list literal of our own file paths (read_parquet cannot bind a list in DDL)."""
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"


def _canonical(con: duckdb.DuckDBPyConnection, table: str, files: list[str], where: str) -> None:
    """``src_<table>``: the canonical rows matching ``where`` (exact ``cdp.schema`` columns)."""
    name = f"src_{table}"
    schema = CANONICAL_TABLES[table]
    con.execute(duckdb_ddl(name, schema).replace("CREATE OR REPLACE TABLE", "CREATE OR REPLACE TEMP TABLE", 1))
    if not files:
        return
    present = {r[0] for r in con.execute(
        f"DESCRIBE SELECT * FROM read_parquet({_list(files)}, union_by_name = true)").fetchall()}
    cols = ", ".join(f'"{c}"' if c in present else "NULL" for c in schema.names())
    con.execute(f"INSERT INTO {name} SELECT {cols} FROM read_parquet({_list(files)}, union_by_name = true) "
                f"WHERE ({where}) AND {not_expired(PERSON_KEY[table])}")


def _scratch(con: duckdb.DuckDBPyConnection, settings: Settings, files: dict[str, list[str]], scope: str,
             main: str, upto: str | None) -> None:
    """Build the profile tables for the customers in temp table ``scope`` into database
    ``delta_scratch`` (in memory) with the full build's SQL."""
    paths = settings.paths
    con.execute(f"USE {main}")
    if scalar(con, "SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [SCRATCH]):
        con.execute(f"DETACH {SCRATCH}")
    con.execute(f"ATTACH ':memory:' AS {SCRATCH}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE src_identity_link AS SELECT * FROM delta_link "
                f"WHERE customer_id IN (SELECT customer_id FROM {scope})")
    con.execute("CREATE OR REPLACE TEMP TABLE delta_scope_records AS SELECT record_key FROM src_identity_link")
    recs = "SELECT record_key FROM delta_scope_records"
    _canonical(con, "person_records", files["person_records"], f"record_key IN ({recs})")
    _canonical(con, "contact_events", files["contact_events"],
               f"person_record_key IN ({recs}) OR _load_id IN (SELECT load_id FROM delta_loads)")
    _canonical(con, "consent_events", files["consent_events"],
               f"person_record_key IN ({recs}) OR _load_id IN (SELECT load_id FROM delta_loads) "
               "OR person_record_key IS NULL OR person_record_key NOT IN (SELECT record_key FROM delta_link)")
    if upto is None and files["contact_events"]:
        # every contact of the cases in scope, and the orders and cases their survey answers name
        con.execute(f"""
            INSERT INTO src_contact_events
            SELECT * FROM (SELECT {', '.join(f'"{c}"' for c in CANONICAL_TABLES['contact_events'].names())}
                           FROM read_parquet({_list(files['contact_events'])}, union_by_name = true)) e
            WHERE (e.case_id IN (SELECT case_id FROM src_contact_events WHERE case_id IS NOT NULL
                                 UNION SELECT case_id FROM {main}.service_case
                                       WHERE customer_id IN (SELECT customer_id FROM {scope}))
                   OR e.case_id IN (SELECT refers_to FROM src_contact_events WHERE event_type = 'survey_response')
                   OR (e.source_system = 'shop' AND e.event_type = 'order' AND e.source_event_id IN (
                       SELECT refers_to FROM src_contact_events WHERE event_type = 'survey_response')))
              AND e.event_key NOT IN (SELECT event_key FROM src_contact_events)
              AND {not_expired("e.person_record_key")}""")
    std = paths.identity / "person_records_std.parquet"
    _load_parquet_where(con, "src_person_std", std, _STD_COLUMNS, f"record_key IN ({recs})")
    build.name_keys(con)
    _load_parquet_where(con, "src_link_evidence", paths.identity / "link_evidence.parquet", _EVIDENCE_COLUMNS,
                        f"record_key IN ({recs}) AND {not_expired('linked_to')}")
    _standardise_consent_points(con)
    con.execute(f"USE {SCRATCH}")
    con.execute(f"CREATE TABLE profile_build AS SELECT * FROM {main}.profile_build")
    restriction_table(con, settings)
    for name in BUILD_ORDER:
        con.execute(build.sql_text(name))
        if name == upto:
            break
    if upto is None:
        cx.build_cx_facts(con, settings, build.sql_text)
        con.execute(build.sql_text("cx_loyalty"))
    con.execute(f"USE {main}")


def _load_parquet_where(con: duckdb.DuckDBPyConnection, name: str, path: Path, columns: dict[str, str],
                        where: str) -> None:
    coldefs = ", ".join(f'"{c}" {t}' for c, t in columns.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({coldefs})")
    if not path.is_file():
        return
    present = {r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()}
    select = ", ".join(f'CAST("{c}" AS {t})' if c in present else f"CAST(NULL AS {t})" for c, t in columns.items())
    con.execute(f"INSERT INTO {name} SELECT {select} FROM read_parquet(?) WHERE {where}", [str(path)])


def _splice(con: duckdb.DuckDBPyConnection, main: str) -> None:
    """Replace the rows of the customers in scope (and changed rows without a customer)."""
    scope = "SELECT customer_id FROM delta_scope"
    changed = "SELECT contact_id FROM delta_events UNION SELECT row_key FROM delta_events"
    for table, key in SPLICED.items():
        if key is None:
            con.execute(f"DELETE FROM {main}.{table} WHERE customer_id IN ({scope})")
            con.execute(f"INSERT INTO {main}.{table} SELECT * FROM {SCRATCH}.{table} WHERE customer_id IN ({scope})")
            continue
        con.execute(f"CREATE OR REPLACE TEMP TABLE delta_rows AS SELECT * FROM {SCRATCH}.{table} "
                    f"WHERE customer_id IN ({scope}) OR (customer_id IS NULL AND {key} IN ({changed}))")
        con.execute(f"DELETE FROM {main}.{table} WHERE customer_id IN ({scope}) OR {key} IN ({changed}) "
                    f"OR {key} IN (SELECT {key} FROM delta_rows)")
        con.execute(f"INSERT INTO {main}.{table} SELECT * FROM delta_rows")
    # service cases by case id: every contact of each case in the scratch database is there
    con.execute(f"DELETE FROM {main}.service_case WHERE customer_id IN ({scope}) "
                f"OR case_id IN (SELECT case_id FROM {SCRATCH}.service_case)")
    con.execute(f"INSERT INTO {main}.service_case SELECT * FROM {SCRATCH}.service_case")
    # loyalty per customer: kept for the others, recomputed for the scope
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE delta_loyalty AS
        SELECT customer_id, points_balance, member_status, member_since FROM {main}.customer_experience
        WHERE customer_id NOT IN ({scope})
          AND (points_balance IS NOT NULL OR member_status IS NOT NULL OR member_since IS NOT NULL)
        UNION ALL
        SELECT * FROM cx_loyalty WHERE customer_id IN ({scope})""")
    con.execute("CREATE OR REPLACE TEMP TABLE cx_loyalty AS SELECT * FROM delta_loyalty")


def _recompute(con: duckdb.DuckDBPyConnection, settings: Settings, main: str) -> dict[str, float]:
    """Tables that compare customers or count back from ``as_of``, over every customer; returns
    seconds per step."""
    con.execute(f"USE {main}")
    con.execute("CREATE OR REPLACE TEMP TABLE src_identity_link AS SELECT * FROM delta_link")
    secs: dict[str, float] = {}

    def step(name: str, fn) -> None:
        t = time.perf_counter()
        fn()
        secs[name] = round(time.perf_counter() - t, 2)
        log.info("profiles (delta): %s recomputed in %.1f s", name, secs[name])

    con.execute(f"CREATE OR REPLACE TEMP TABLE delta_restricted_before AS "
                f"SELECT customer_id FROM {main}.processing_restriction")
    step("customer_id_history", lambda: con.execute(build.sql_text("customer_id_history")))
    step("processing_restriction", lambda: restriction_table(con, settings))
    # the age of open cases counts to the new as_of (service_case.sql's age_days)
    step("service_case_age", lambda: con.execute(
        "UPDATE service_case SET age_days = CAST(floor((epoch((SELECT as_of FROM profile_build)) "
        "- epoch(opened_at)) / 86400) AS INTEGER) WHERE status = 'open'"))
    step("customer_value", lambda: con.execute(build.sql_text("customer_value")))
    step("preferred_channel", lambda: con.execute(build.sql_text("preferred_channel")))
    # materialised per-role tables over customer_360 (as_of-dependent columns): over everyone
    for name in ("agent_profile", "agent_profile_export", "agent_contact", "steward_profile"):
        if name in build.BUILD_ORDER:
            step(name, lambda name=name: build.build_table(con, settings, name))
    build._inherit_view_comments(con)  # their pass-through columns carry the tables' comments
    step("cx_summaries", lambda: cx.build_cx_summaries(con, settings, build.sql_text))
    restricted_changed = scalar(con, f"""SELECT count(*) FROM (
        (SELECT customer_id FROM {main}.processing_restriction EXCEPT SELECT customer_id FROM delta_restricted_before)
        UNION ALL
        (SELECT customer_id FROM delta_restricted_before EXCEPT SELECT customer_id FROM {main}.processing_restriction))""")
    if restricted_changed:  # who is left out of the pseudo tables changed beyond the scope
        step("pseudo", lambda: apply_to_profiles(con, settings))
    else:
        def pseudo_in_scope() -> None:
            apply_to_profiles(con, settings, keep_per_row=True)
            pseudo_rows(con, settings, "SELECT customer_id FROM delta_scope")

        step("pseudo", pseudo_in_scope)
    return secs
