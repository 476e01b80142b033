"""The CDP's assets: a few lines of glue around each stage's plain function.

Keys and groups follow the flow: ``landing/<source>/<entity>`` (raw exports, observed only) →
``sources/<source>/<entity>`` (staged + quarantine) → ``canonical/*`` → ``identity/*`` (links,
then guest retention) → ``profiles/*`` → ``exports/*``.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import polars as pl

from cdp.config import Settings
from cdp.lake import read_table
from cdp.schema import CANONICAL_TABLES
from dagster_project import checks, lake_counts
from dagster_project.partitions import LOAD_DATES
from dagster_project.resources import CdpSettingsResource, DuckDBResource
from dsr.ropa import write_record_of_processing
from exports.agent_views import export_agent_views
from identity.resolve import resolve
from identity.retention import expire_guests
from pipelines.canonical import build_canonical
from pipelines.contracts import contracts_of
from pipelines.ingest import ingest
from pipelines.load_log import LOADED
from profiles.build import TABLES, VIEWS, build_profiles
from profiles.incremental import incremental_status, update_profiles

#: DuckDB is written by one step at a time, across runs too (see dagster.yaml).
DUCKDB_POOL = "cdp_duckdb"
#: Pairwise F1 against the simulator's truth below which the identity check warns.
MIN_F1 = 0.9


def landing_key(source: str, entity: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", source, entity])


def staged_key(source: str, entity: str) -> dg.AssetKey:
    return dg.AssetKey(["sources", source, entity])


def check_result(outcome: checks.CheckOutcome, asset_key: dg.AssetKey, name: str) -> dg.AssetCheckResult:
    """An ``AssetCheckResult`` from a plain check outcome."""
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity(outcome.severity),
        description=outcome.description,
        metadata=outcome.metadata,
    )


def failed_share_limits(settings: Settings, source: str) -> dict[str, float]:
    """Per entity of ``source``: its contract's ``max_failed_share`` expectation, where it sets one."""

    contract = contracts_of(settings)[source]
    return {
        e.name: float(x.max)
        for e in contract.entities
        for x in e.expectations
        if x.kind == "max_failed_share" and x.max is not None
    }


# --- sources -------------------------------------------------------------------------------


def source_assets(source: str, entities: list[str]) -> list[dg.AssetSpec | dg.AssetsDefinition]:
    """The raw-export specs and the ingest multi-asset of one source (built from its contract).

    One multi-asset per source, so a failing source stops only its own entities.
    """
    raw = [
        dg.AssetSpec(
            landing_key(source, e),
            group_name="sources",
            description=(
                f"Raw {source} {e} exports exactly as delivered: one file per delivery under "
                f"data/landing/{source}/<YYYY-MM-DD>/. Observed, never written by the CDP."
            ),
            kinds={"file"},
        )
        for e in entities
    ]
    specs = [
        dg.AssetSpec(
            staged_key(source, e),
            group_name="sources",
            deps=[landing_key(source, e)],
            description=(
                f"Staged {source} {e}: one row per valid row of a delivered file, typed by "
                f"data_contracts/{source}.yml, with lineage (_source_file, _row_number, _load_id) "
                f"under data/lake/staged/{source}/{e}/load_date=YYYY-MM-DD/. Rejected rows go to "
                f"data/lake/quarantine/{source}/{e}/ with the rule they broke."
            ),
            kinds={"parquet", "polars"},
        )
        for e in entities
    ]
    check_specs = [
        spec
        for e in entities
        for spec in (
            dg.AssetCheckSpec("contract", asset=staged_key(source, e), blocking=True,
                              description="Data contract: failed-row share per file under ingest.max_failed_share"),
            dg.AssetCheckSpec("reconciliation", asset=staged_key(source, e), blocking=True,
                              description="Rows read = rows staged + rows quarantined"),
        )
    ]

    @dg.multi_asset(
        name=f"ingest_{source}",
        specs=specs,
        check_specs=check_specs,
        partitions_def=LOAD_DATES,
        backfill_policy=dg.BackfillPolicy.single_run(),
        can_subset=False,
    )
    def _ingest(context: dg.AssetExecutionContext, cdp: CdpSettingsResource) -> Iterator[Any]:

        settings = cdp.get()
        dates = list(context.partition_keys) if context.has_partition_key_range or context.has_partition_key else None
        report = ingest(settings, sources=[source], load_dates=dates)
        for f in report.failed:  # messages name file, rule and reason, never a value
            context.log.warning(f.message)
        limits = failed_share_limits(settings, source)
        for e in entities:
            files = lake_counts.entity_files(settings, source, e, dates)
            loaded = files.filter(pl.col("status") == LOADED)
            read, staged, quarantined, suppressed = (
                int(loaded[c].sum()) for c in ("rows_read", "rows_staged", "rows_quarantined", "rows_suppressed"))
            new_files = sum(1 for f in report.loaded if f.entity == e)
            duplicates = lake_counts.duplicate_deliveries(settings, source, e, dates)
            empty = int(loaded.filter(pl.col("rows_read") == 0).height)
            context.log.info(f"{source}/{e}: {staged} staged, {quarantined} quarantined of {read} read "
                             f"({files.height} files, {new_files} new, {len(duplicates)} duplicate(s) skipped)")
            yield dg.MaterializeResult(
                asset_key=staged_key(source, e),
                metadata={
                    "dagster/row_count": staged,
                    "rows_read": read,
                    "rows_staged": staged,
                    "rows_quarantined": quarantined,
                    "rows_suppressed": suppressed,
                    "files": files.height,
                    "files_new": new_files,
                    "files_rejected": files.height - loaded.height,
                    "files_empty": empty,
                    "duplicate_deliveries_skipped": len(duplicates),
                    **({"duplicate_files": dg.MetadataValue.md(
                        "Skipped, same content as a file loaded before:\n" +
                        "\n".join(f"- `{f}`" for f in duplicates))} if duplicates else {}),
                    "load_dates": ", ".join(sorted(set(files["load_date"].to_list()))),
                },
            )
            yield check_result(checks.contract_outcome(files, limits.get(e, settings.ingest.max_failed_share)),
                               staged_key(source, e), "contract")
            yield check_result(checks.reconciliation_outcome(read, staged, quarantined, suppressed),
                               staged_key(source, e), "reconciliation")

    return [*raw, _ingest]


# --- canonical -----------------------------------------------------------------------------

_CANONICAL_GRAIN = {
    "person_records": "one row per source record that describes a person (ERP customer, CRM contact, shop account or guest checkout, bonus member); the newest delivery of a record id wins",
    "contact_events": "one row per contact with a person (order, invoice, call, ticket, e-mail, newsletter, card purchase ...)",
    "consent_events": "one row per consent grant or withdrawal, with its evidence (source, time, method)",
}


def canonical_asset(staged: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The canonical layer, rebuilt from every staged entity."""

    @dg.multi_asset(
        name="canonical_records",
        specs=[
            dg.AssetSpec(["canonical", t], group_name="canonical", deps=staged, kinds={"parquet"},
                         description=f"Canonical {t} (data/lake/canonical/{t}/): {grain}. Columns as in cdp.schema.")
            for t, grain in _CANONICAL_GRAIN.items()
        ],
        can_subset=False,
    )
    def _canonical(context: dg.AssetExecutionContext, cdp: CdpSettingsResource) -> Iterator[dg.MaterializeResult]:

        settings = cdp.get()
        build_canonical(settings)
        for t in _CANONICAL_GRAIN:
            rows = read_table(settings.paths.canonical_table(t), CANONICAL_TABLES[t]).select(pl.len()).collect().item()
            context.log.info(f"canonical {t}: {rows} rows")
            yield dg.MaterializeResult(asset_key=["canonical", t], metadata={"dagster/row_count": rows})

    return _canonical


# --- identity ------------------------------------------------------------------------------


class IdentityConfig(dg.Config):
    """How identity resolution runs (see ``cdp resolve --help``)."""

    incremental: bool = False
    force: bool = False
    #: rebuild from scratch even when the profile database could take a daily delta
    full: bool = False


def daily_delta(settings: Settings, full: bool) -> tuple[bool, str]:
    """Whether this run applies a daily delta (identity on new and changed records only, the
    profile database updated for the affected customers) or rebuilds, and why."""
    if full:
        return False, "a full rebuild was asked for"
    return incremental_status(settings)


IDENTITY_LINK = dg.AssetKey(["identity", "identity_link"])
CUSTOMERS = dg.AssetKey(["identity", "customers"])
ID_HISTORY = dg.AssetKey(["identity", "customer_id_history"])


@dg.multi_asset(
    name="identity_resolution",
    specs=[
        dg.AssetSpec(IDENTITY_LINK, group_name="identity", deps=[["canonical", "person_records"]], kinds={"parquet", "splink"},
                     description="One row per person record: its stable customer_id, match probability, link method and model version (data/lake/identity/identity_link.parquet)."),
        dg.AssetSpec(CUSTOMERS, group_name="identity", deps=[["canonical", "person_records"]], kinds={"parquet"},
                     description="One row per resolved customer_id (a cluster of person records) with its records' validity over time (data/lake/identity/membership.parquet)."),
        dg.AssetSpec(ID_HISTORY, group_name="identity", deps=[["canonical", "person_records"]], kinds={"parquet"},
                     description="One row per retired or minted customer id: old → new, when and why (merge/split), so systems holding old ids can redirect (data/lake/identity/customer_id_history.parquet)."),
    ],
    check_specs=[
        dg.AssetCheckSpec("cluster_size", asset=IDENTITY_LINK, blocking=True,
                          description="No customer holds more non-guest records than identity.max_cluster_size (guest checkouts are one per order)"),
        dg.AssetCheckSpec("id_churn", asset=IDENTITY_LINK, blocking=True,
                          description="Share of changed customer ids under identity.max_id_churn"),
        dg.AssetCheckSpec("truth_f1", asset=IDENTITY_LINK,
                          description=f"Pairwise F1 against data/truth (simulated data only); warns below {MIN_F1}"),
    ],
    can_subset=False,
)
def identity_resolution(context: dg.AssetExecutionContext, config: IdentityConfig, cdp: CdpSettingsResource) -> Iterator[Any]:

    settings = cdp.get()
    delta, why = daily_delta(settings, config.full)
    context.log.info(f"identity: {'daily delta' if delta else 'full'} ({why})")
    report = resolve(settings, incremental=config.incremental or delta, force=config.force)
    out = lake_counts.identity_outputs(settings)
    link = out["identity_link"]
    customers = link["customer_id"].n_unique()
    context.log.info(f"identity ({report.mode}): {link.height} records → {customers} customers, churn {report.churn:.2%}")
    yield dg.MaterializeResult(asset_key=IDENTITY_LINK, metadata={
        "dagster/row_count": link.height, "customers": customers, "mode": report.mode,
        "model_version": report.model_version, "id_churn": report.churn,
        "model_trained": "train_s" in report.timings,
        **({"training_seconds": round(report.timings["train_s"], 1)} if "train_s" in report.timings else {}),
        "deterministic_edges": report.deterministic_edges, "probabilistic_edges": report.probabilistic_edges})
    yield dg.MaterializeResult(asset_key=CUSTOMERS, metadata={"dagster/row_count": customers})
    yield dg.MaterializeResult(asset_key=ID_HISTORY, metadata={"dagster/row_count": out["customer_id_history"].height})
    yield check_result(checks.cluster_size_outcome(link, settings.identity.max_cluster_size, lake_counts.guest_keys(settings)),
                       IDENTITY_LINK, "cluster_size")
    yield check_result(checks.id_churn_outcome(report.churn, settings.identity.max_id_churn), IDENTITY_LINK, "id_churn")
    yield check_result(checks.f1_outcome(link, lake_counts.identity_truth(settings), MIN_F1), IDENTITY_LINK, "truth_f1")


GUEST_RETENTION = dg.AssetKey(["identity", "guest_retention"])


@dg.asset(
    key=GUEST_RETENTION,
    group_name="identity",
    deps=[IDENTITY_LINK, *(dg.AssetKey(["canonical", t]) for t in CANONICAL_TABLES)],
    kinds={"parquet"},
    description="Guest checkouts past their source's retention period that this run's identity links to no "
                "registered customer: one retention tombstone (keyed hash of the record key) each in "
                "data/privacy/tombstones.parquet. The profile build of this run leaves them out; ingestion and "
                "the canonical build drop them from the next run on.",
)
def guest_retention(context: dg.AssetExecutionContext, cdp: CdpSettingsResource) -> dg.MaterializeResult:
    expiry = expire_guests(cdp.get())
    context.log.info(f"retention: {expiry.expired} guest checkouts expired, {expiry.tombstoned} new tombstones")
    return dg.MaterializeResult(metadata={"dagster/row_count": expiry.tombstoned, "expired": expiry.expired})


# --- profiles ------------------------------------------------------------------------------

_PROFILE_GRAIN = {
    "customer": "one row per customer: the golden record chosen by the trust ranking per attribute",
    "identity_link": "one row per source record → customer_id",
    "customer_id_history": "one row per retired/minted customer id (old → new)",
    "contact_history": "one row per contact event of a customer, across all sources",
    "consent_event": "one row per consent grant/withdrawal of a customer, with its evidence",
    "consent": "one row per customer × purpose × channel; the latest event wins across sources",
    "preferred_channel": "one row per customer: the channel they use and respond to, restricted to consented channels",
    "customer_value": "one row per customer: revenue, orders, recency, lifecycle segment",
    "customer_lookup": "one row per searchable key (name, e-mail, phone, customer or card number) → customer_id",
    "profile_build": "one row per profile build: when, from what, how many rows",
    "feedback": "one row per survey response (NPS, CSAT, CES, comment), linked to customer and order or case",
    "service_case": "one row per service case across channels: first contact, resolution, handling time, FCR",
    "campaign_response": "one row per campaign message: sent, opened, clicked, ordered within the window",
    "churn_risk": "one row per customer who may be profiled and bought: MBG/NBD P(alive) + service signals",
    "customer_experience": "one row per customer: latest scores, open cases, churn risk, points, contact pressure",
    "agent_experience": "view: one row per customer, what a service agent sees of their experience",
    "cx_kpi_monthly": "one row per month: NPS, CSAT, CES, complaints per 1,000, FCR, handling time, churn",
    "cx_nps_touchpoint_monthly": "one row per month and touchpoint: NPS and CSAT",
    "customer_360": "view: one row per customer with profile, consent, channel and value",
    "agent_profile": "one row per customer, what a service agent may see (console; the agent-view export via agent_profile_export)",
    "agent_profile_export": "view: the agent_profile rows an export may carry (no restricted customers)",
    "agent_contact": "view: one row per contact, what a service agent may see of it (the console's timeline)",
    "steward_profile": "one row per customer, what a data steward sees: golden record, sources, linkage evidence",
}


class ProfilesConfig(dg.Config):
    """How the profile database is refreshed (see ``cdp run --help``)."""

    #: build a new database from scratch even when a daily delta could update the existing one
    full: bool = False


def profile_tables() -> list[str]:
    """The tables and views of ``data/cdp.duckdb`` as the profiles stage declares them."""

    return [*TABLES, *VIEWS]


def profile_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["profiles", table])


def column_schemas(con: Any, tables: list[str]) -> dict[str, dg.TableSchema]:
    """Each table's and view's columns with their types and the comments that document them."""
    rows = con.execute(
        "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND list_contains(?, table_name) ORDER BY table_name, column_index",
        [tables],
    ).fetchall()
    columns: dict[str, list[dg.TableColumn]] = {}
    for table, name, dtype, comment in rows:
        columns.setdefault(table, []).append(dg.TableColumn(name, dtype, description=comment or None))
    return {t: dg.TableSchema(columns=cols) for t, cols in columns.items()}


def profiles_asset() -> dg.AssetsDefinition:
    """All profile tables: built together into a new DuckDB file and swapped in whole."""
    tables = profile_tables()
    deps = [IDENTITY_LINK, ID_HISTORY, GUEST_RETENTION, *(dg.AssetKey(["canonical", t]) for t in CANONICAL_TABLES)]

    @dg.multi_asset(
        name="profile_database",
        specs=[
            dg.AssetSpec(profile_key(t), group_name="profiles", deps=deps, kinds={"duckdb"},
                         description=f"data/cdp.duckdb {t}: {_PROFILE_GRAIN.get(t, 'see profiles/sql/' + t + '.sql')}.")
            for t in tables
        ],
        check_specs=[
            dg.AssetCheckSpec("consent_channel", asset=profile_key("preferred_channel"), blocking=True,
                              description="No preferred channel of a consent-based purpose (default: marketing) without a granted consent for it"),
            dg.AssetCheckSpec("counts_reconcile", asset=profile_key("customer"), blocking=True,
                              description="One customer row per resolved customer id; every identity link present"),
        ],
        can_subset=False,
        pool=DUCKDB_POOL,
    )
    def _profiles(context: dg.AssetExecutionContext, config: ProfilesConfig, cdp: CdpSettingsResource,
                  duckdb: DuckDBResource) -> Iterator[Any]:

        settings = cdp.get()
        delta, why = daily_delta(settings, config.full)
        context.log.info(f"profiles: {'daily delta' if delta else 'full build'} ({why})")
        counts = update_profiles(settings) if delta else build_profiles(settings)
        with duckdb.connect() as con:
            schemas = column_schemas(con, tables)
        path = {"build": "daily delta" if delta else "full", "build_reason": why,
                **{k: v for k, v in counts.items() if k.startswith("delta_")}}
        for t in tables:
            yield dg.MaterializeResult(asset_key=profile_key(t), metadata={
                "dagster/row_count": int(counts.get(t, 0)), **path,
                **({"dagster/column_schema": schemas[t]} if t in schemas else {})})
        context.log.info("profiles: " + ", ".join(f"{t} {counts.get(t, 0)}" for t in tables))
        link = lake_counts.profiled_links(settings)
        with duckdb.connect() as con:
            yield check_result(checks.consent_channel_outcome(con), profile_key("preferred_channel"), "consent_channel")
            yield check_result(checks.profile_counts_outcome(con, link), profile_key("customer"), "counts_reconcile")

    return _profiles


# --- exports -------------------------------------------------------------------------------

AGENT_VIEWS = dg.AssetKey(["exports", "agent_views"])


@dg.asset(
    key=AGENT_VIEWS,
    group_name="exports",
    deps=[profile_key("agent_profile_export")],
    kinds={"parquet"},
    pool=DUCKDB_POOL,
    description="data/exports/agent_views/agent_profile.parquet (+ manifest.json): one row per customer as a service agent sees it (the agent_profile_export view: agent_profile less restricted customers), with the source loads it was built from.",
)
def agent_views(context: dg.AssetExecutionContext, cdp: CdpSettingsResource) -> dg.MaterializeResult:

    settings = cdp.get()
    result = export_agent_views(settings, "parquet")
    return dg.MaterializeResult(metadata=lake_counts.export_metadata(result))


@dg.asset(
    key=["reports", "record_of_processing"],
    group_name="exports",
    deps=[profile_key("consent")],
    kinds={"html"},
    description="data/reports/record_of_processing.md and .html: the record of processing activities (Art. 30 GDPR) generated from the data contracts and privacy settings.",
)
def record_of_processing(cdp: CdpSettingsResource) -> dg.MaterializeResult:
    paths = write_record_of_processing(cdp.get())
    return dg.MaterializeResult(metadata={k: str(v) for k, v in paths.items()})
