"""The CDP as Dagster assets: the table of contents of the orchestration.

sources (one multi-asset per data contract) → canonical → identity (links, then guest retention)
→ profiles → exports.
``dagster dev`` (from the repository root) loads :func:`defs`; ``cdp run`` builds the same
definitions with its settings and executes ``cdp_job`` in-process.
"""

from __future__ import annotations

import dagster as dg

from cdp.config import Settings, load_settings
from dagster_project import assets
from dagster_project.contracts import source_entities
from dagster_project.resources import CdpSettingsResource, DuckDBResource
from dagster_project.sensors import JOB_NAME, daily_schedule, landing_sensor
from pipelines.contracts import contracts_dir


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    """All assets, checks, the job, sensor, schedule and resources.

    Args:
        settings: fixed settings (``cdp run``, tests); ``None`` loads them like the ``cdp`` CLI
            does each time a resource is used (``dagster dev``).
    """
    cdp = CdpSettingsResource.from_settings(settings) if settings else CdpSettingsResource()
    sources = source_entities(contracts_dir(settings or load_settings()))

    source_defs = [a for source, entities in sources.items() for a in assets.source_assets(source, entities)]
    raw_exports = [a.key for a in source_defs if isinstance(a, dg.AssetSpec)]
    staged = [assets.staged_key(s, e) for s, entities in sources.items() for e in entities]

    cdp_job = dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*raw_exports),
        # One step at a time: the lake and data/cdp.duckdb never see two writers in one run.
        executor_def=dg.in_process_executor,
        description="Everything: ingest the selected load dates, then canonical, identity, guest retention, "
                    "profiles, exports.",
    )
    return dg.Definitions(
        assets=[
            *source_defs,
            assets.canonical_asset(staged),
            assets.identity_resolution,
            assets.guest_retention,
            assets.profiles_asset(),
            assets.agent_views,
            assets.record_of_processing,
        ],
        jobs=[cdp_job],
        sensors=[landing_sensor],
        schedules=[daily_schedule],
        resources={"cdp": cdp, "duckdb": DuckDBResource(cdp=cdp)},
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What ``dagster dev`` loads (settings are read when the code location loads, not at import)."""
    return build_definitions()
