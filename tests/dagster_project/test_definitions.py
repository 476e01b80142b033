"""The definitions load, read like the flow, and only dagster_project imports Dagster."""

import re
import shutil
from pathlib import Path

import dagster as dg
import pytest

from cdp.config import Settings
from dagster_project.contracts import source_entities
from dagster_project.definitions import build_definitions

REPO = Path(__file__).resolve().parents[2]
STAGES = {"sources", "canonical", "identity", "profiles", "exports"}


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return build_definitions(Settings())


def _specs(defs):
    graph = defs.resolve_asset_graph()
    return {key: graph.get(key) for key in graph.get_all_asset_keys()}


def test_every_asset_has_a_stage_group_and_a_description(defs):
    specs = _specs(defs)
    assert specs
    for key, node in specs.items():
        assert node.group_name in STAGES, key
        assert node.description and len(node.description) > 30, key
    assert {n.group_name for n in specs.values()} == STAGES


def test_one_staged_asset_per_contract_entity(defs):
    keys = {k.to_user_string() for k in _specs(defs)}
    for source, entities in source_entities(REPO / "data_contracts").items():
        for e in entities:
            assert f"sources/{source}/{e}" in keys
            assert f"landing/{source}/{e}" in keys
    for table in ("customer", "consent", "preferred_channel", "contact_history", "customer_360"):
        assert f"profiles/{table}" in keys
    assert {"identity/identity_link", "identity/customers", "identity/customer_id_history",
            "canonical/person_records", "exports/agent_views"} <= keys


def test_a_fifth_source_gets_assets_from_its_contract_alone(tmp_path):
    contracts = tmp_path / "contracts"
    shutil.copytree(REPO / "data_contracts", contracts)
    text = (contracts / "bonus.yml").read_text(encoding="utf-8")
    (contracts / "pos.yml").write_text(re.sub(r"(?m)^source: bonus$", "source: pos", text), encoding="utf-8")
    settings = Settings()
    settings.ingest.contracts_dir = str(contracts)
    graph = build_definitions(settings).resolve_asset_graph()
    node = graph.get(dg.AssetKey(["sources", "pos", "members"]))
    assert node.group_name == "sources" and node.partitions_def is not None
    canonical_deps = graph.get(dg.AssetKey(["canonical", "person_records"])).parent_keys
    assert dg.AssetKey(["sources", "pos", "members"]) in canonical_deps


def test_sources_are_partitioned_by_load_date_and_the_rest_is_global(defs):
    for key, node in _specs(defs).items():
        if key.path[0] == "sources":
            assert isinstance(node.partitions_def, dg.DynamicPartitionsDefinition), key
        elif key.path[0] != "landing":
            assert node.partitions_def is None, key


def test_job_runs_one_step_at_a_time_and_profiles_hold_the_duckdb_pool(defs):
    job = defs.resolve_job_def("cdp_job")
    assert job.executor_def is dg.in_process_executor
    profiles = next(a for a in defs.assets if isinstance(a, dg.AssetsDefinition) and a.node_def.name == "profile_database")
    assert profiles.op.pool == "cdp_duckdb"
    assert defs.resolve_sensor_def("landing_sensor") and defs.resolve_schedule_def("daily_cdp")


def test_blocking_checks_cover_contracts_identity_and_profiles(defs):
    graph = defs.resolve_asset_graph()
    names = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert ("sources/erp/customers", "contract") in names
    assert ("sources/crm/contacts", "reconciliation") in names
    assert {("identity/identity_link", n) for n in ("cluster_size", "id_churn", "truth_f1")} <= names
    assert ("profiles/preferred_channel", "consent_channel") in names
    assert ("profiles/customer", "counts_reconcile") in names


def test_only_dagster_project_imports_dagster():
    # the Dagster library, not our dagster_project package (cli/ may import that: it is above it)
    pattern = re.compile(r"^\s*(import dagster\b|from dagster(\.[\w.]+)? import)", re.M)
    offenders = []
    for path in REPO.rglob("*.py"):
        rel = path.relative_to(REPO)
        if rel.parts[0] in {"dagster_project", "tests", ".venv", "build"} or any(p.startswith(".") for p in rel.parts):
            continue
        if pattern.search(path.read_text(encoding="utf-8", errors="replace")):
            offenders.append(str(rel))
    assert offenders == []


def test_dagster_dev_finds_the_definitions_from_pyproject():
    import tomllib

    conf = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["dagster"]
    module = __import__(conf["module_name"], fromlist=["defs"])
    assert isinstance(module.defs(), dg.Definitions)
