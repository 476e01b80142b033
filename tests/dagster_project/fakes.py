"""Small stand-ins for the stage functions, for tests of the wiring alone.

Each writes the files the real stage documents (docs/stages.md) with a handful of rows.
"""

import importlib
import sys
import types
from dataclasses import dataclass, field
from datetime import date

import duckdb
import polars as pl

from cdp.lake import write_parquet_atomic
from pipelines.contracts import contracts_of
from pipelines.load_log import LOAD_LOG, read_load_log


@dataclass
class FakeReport:
    mode: str = "full"
    model_version: str = "fake"
    churn: float = 0.0
    deterministic_edges: int = 0
    probabilistic_edges: int = 0
    timings: dict = field(default_factory=dict)


def install(monkeypatch, *, failing_source=None, quarantined=None, profiles_fail=False):
    """Replace ingest, canonical, resolve, build_profiles and the agent view export with fakes."""
    _patch(monkeypatch, _fake_stages(failing_source, quarantined or {}, profiles_fail))


def _fake_stages(failing_source, quarantined, profiles_fail):
    """{module: {name: fake}} for the stage functions the Dagster glue calls."""

    def ingest(settings, sources=None, load_dates=None):
        if failing_source in (sources or []):
            raise RuntimeError(f"{failing_source}: cannot read export")
        contracts = contracts_of(settings)
        rows = []
        for src in sources:
            for f in sorted((settings.paths.landing / src).rglob("*.*")):
                entity = contracts[src].entity_for(f.name).name
                bad = quarantined.get(src, 0)
                rows.append({"source": src, "entity": entity, "file": f.relative_to(settings.paths.landing).as_posix(),
                             "load_date": date.fromisoformat(f.parent.name), "status": "loaded",
                             "rows_read": 100, "rows_staged": 100 - bad, "rows_quarantined": bad, "rows_suppressed": 0})
        new = pl.DataFrame(rows, schema_overrides=LOAD_LOG)
        write_parquet_atomic(pl.concat([read_load_log(settings), new], how="diagonal_relaxed"), settings.paths.load_log)
        return types.SimpleNamespace(loaded=[types.SimpleNamespace(entity=r["entity"]) for r in rows], failed=[])

    def build_canonical(settings):
        return {}

    def resolve(settings, incremental=False, force=False):
        link = pl.DataFrame({"record_key": ["crm:1", "erp:1", "shop:1"], "source_system": ["crm", "erp", "shop"],
                             "source_record_id": ["1", "1", "1"], "customer_id": ["C000000001", "C000000001", "C000000002"]})
        write_parquet_atomic(link, settings.paths.identity / "identity_link.parquet")
        return FakeReport()

    def build_profiles(settings):
        if profiles_fail:
            raise RuntimeError("profiles: customer.sql failed")
        con = duckdb.connect(str(settings.paths.duckdb))
        con.execute("CREATE OR REPLACE TABLE customer AS SELECT * FROM (VALUES ('C000000001'), ('C000000002')) t(customer_id)")
        con.execute("CREATE OR REPLACE TABLE identity_link AS SELECT * FROM read_parquet(?)",
                    [str(settings.paths.identity / "identity_link.parquet")])
        con.execute("CREATE OR REPLACE TABLE preferred_channel AS SELECT 'C000000001' customer_id, 'marketing' purpose, NULL::VARCHAR channel, NULL::VARCHAR contact_point")
        con.execute("CREATE OR REPLACE TABLE consent AS SELECT 'C000000001' customer_id, 'marketing' purpose, 'email' channel, 'a@example.de' contact_point, false is_granted")
        # the consent check reads which purposes need a consent (dagster_project/sql)
        con.execute("CREATE OR REPLACE TABLE legal_basis AS SELECT 'C000000001' customer_id, 'marketing' purpose, 'consent' basis")
        con.close()
        return {"customer": 2, "identity_link": 3, "preferred_channel": 1, "consent": 1, "legal_basis": 1, "agent_profile": 2}

    def export_agent_views(settings, fmt="parquet"):
        return settings.paths.exports / "agent_views" / f"agent_profile.{fmt}"

    return {
        "pipelines.ingest": {"ingest": ingest},
        "pipelines.canonical": {"build_canonical": build_canonical},
        "identity.resolve": {"resolve": resolve},
        "profiles.build": {"build_profiles": build_profiles, "TABLES": ["customer", "identity_link", "preferred_channel", "consent", "legal_basis"], "VIEWS": ["agent_profile"]},
        "exports.agent_views": {"export_agent_views": export_agent_views},
    }


def _patch(monkeypatch, fakes):
    # The stage functions as the Dagster glue imported them (module top), and in their own modules.
    glue = [m for n, m in list(sys.modules.items()) if n.startswith("dagster_project.")]
    for name, attrs in fakes.items():
        real = importlib.import_module(name)
        for attr, value in attrs.items():
            monkeypatch.setattr(real, attr, value, raising=False)
            for module in glue:
                if hasattr(module, attr):
                    monkeypatch.setattr(module, attr, value)


def deliver(settings, files):
    for rel in files:
        p = settings.paths.landing / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
