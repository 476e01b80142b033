"""Legal basis per purpose: without a basis for profiling, no score, segment, CLV or lifecycle
anywhere (tables, views, pseudonymised tables, audiences), and the reason is stated."""

from __future__ import annotations

import duckdb
import polars as pl

from cdp.lake import write_parquet_atomic
from cdp.schema import CONSENT_EVENT, CONTACT_EVENT, conform
from exports.audience import export_audience
from profiles.build import build_profiles

from .conftest import _consent, _contact, _lineage

SCORES = ("recency_days", "r_score", "f_score", "m_score", "rfm_code", "rfm_segment",
          "clv_estimate", "lifecycle_stage", "customer_type")


def _scored(con) -> dict[str, bool]:
    cols = " OR ".join(f"{c} IS NOT NULL" for c in SCORES)
    return dict(con.execute(f"SELECT customer_id, {cols} FROM customer_value ORDER BY 1").fetchall())


def test_profiling_on_consent_scores_only_customers_who_granted_it(fixture_settings, tmp_path):
    fixture_settings.privacy.legal_basis = {"marketing": "consent", "profiling": "consent",
                                            "service": "contract"}
    rows = _lineage([_consent("shop", "newsletter", "NL-9", "shop:S-000002", "profiling", "email",
                              "granted", "2024-05-21", "double_opt_in")], "x/more")
    write_parquet_atomic(conform(pl.DataFrame(rows, infer_schema_length=None), CONSENT_EVENT),
                         fixture_settings.paths.canonical_table("consent_events") / "part-1.parquet")
    build_profiles(fixture_settings)
    con = duckdb.connect(str(fixture_settings.paths.duckdb), read_only=True)
    assert _scored(con) == {"C000000001": False, "C000000002": True, "C000000003": False,
                            "C000000004": False}
    # purchase facts stay: they are bookkeeping, not profiling
    assert con.execute("SELECT orders > 0 FROM customer_value WHERE customer_id = 'C000000001'").fetchone()[0]
    assert con.execute("SELECT profiling_reason FROM customer_value WHERE customer_id = 'C000000001'"
                       ).fetchone()[0] == "no consent given"
    # nowhere else either: the 360 view, the agent view, the pseudonymised analyst table
    for view in ("customer_360", "agent_profile"):
        assert con.execute(f"SELECT count(*) FROM {view} WHERE customer_id <> 'C000000002' "
                           "AND lifecycle_stage IS NOT NULL").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM pseudo.customer_360 WHERE rfm_segment IS NOT NULL"
                       ).fetchone()[0] <= 1
    assert con.execute("SELECT profiling_reason FROM agent_profile WHERE customer_id = 'C000000004'"
                       ).fetchone()[0] == "no consent given"
    con.close()
    # a segment selection cannot reach anyone without a basis
    for segment in ("Champions", "Lost", "Hibernating", "No Purchase"):
        r = export_audience(fixture_settings, "marketing", segment=segment, out=tmp_path / f"{segment}.csv")
        assert r.population <= 1


def test_an_objection_letter_takes_away_a_legitimate_interest(fixture_settings):
    assert fixture_settings.privacy.legal_basis["profiling"] == "legitimate_interest"
    letter = _contact("erp", "letters", "L-1", "erp:10000001", "2024-06-20", "letter", "inbound",
                      "letter", summary="Widerspruch Profiling")
    rows = _lineage([letter], "x/letters")
    write_parquet_atomic(conform(pl.DataFrame(rows, infer_schema_length=None), CONTACT_EVENT),
                         fixture_settings.paths.canonical_table("contact_events") / "part-1.parquet")
    build_profiles(fixture_settings)
    con = duckdb.connect(str(fixture_settings.paths.duckdb), read_only=True)
    scored = _scored(con)
    assert scored["C000000001"] is False
    assert scored["C000000002"] and scored["C000000004"]
    assert con.execute("SELECT profiling_reason FROM customer_value WHERE customer_id = 'C000000001'"
                       ).fetchone()[0] == "objection (Art. 21 GDPR) since 2024-06-20"
    assert con.execute("SELECT has_basis, reason_code FROM legal_basis WHERE customer_id = 'C000000001' "
                       "AND purpose = 'profiling'").fetchone() == (False, "objection")
    con.close()
