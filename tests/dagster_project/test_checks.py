"""The asset checks as plain functions: each must fail on the data a user would worry about."""

import duckdb
import polars as pl

from dagster_project import checks


def _files(*rows):
    return pl.DataFrame(rows, schema=["file", "rows_read", "rows_quarantined"], orient="row")


def test_contract_blocks_a_file_over_the_limit_and_names_it():
    out = checks.contract_outcome(_files(("erp/2024-03-01/kunden.csv", 100, 2), ("erp/2024-03-02/kunden.csv", 50, 10)), 0.05)
    assert not out.passed and out.severity == checks.ERROR
    assert "erp/2024-03-02/kunden.csv (20.0%)" in out.description
    assert "erp/2024-03-01" not in out.description
    assert out.metadata["rows_quarantined"] == 12


def test_contract_passes_below_the_limit_and_says_how_many_rows_were_quarantined():
    below = checks.contract_outcome(_files(("a.csv", 100, 3)), 0.05)
    assert below.passed  # not a red "Failed" in the UI: the contract did its job
    assert "3 of 100 rows quarantined" in below.description and below.metadata["rows_quarantined"] == 3
    clean = checks.contract_outcome(_files(("a.csv", 100, 0)), 0.05)
    assert clean.passed


def test_contract_blocks_a_file_rejected_whole():
    out = checks.contract_outcome(_files(("shop/2024-03-01/orders.jsonl", 0, 1)), 0.05)
    assert not out.passed and out.severity == checks.ERROR


def test_contract_blocks_a_rejected_file_and_says_why():
    files = pl.DataFrame({"file": ["crm/2024-03-01/consent_events_20240301.json"], "status": ["failed"],
                          "rows_read": [0], "rows_quarantined": [0],
                          "message": ["not a JSON array (line 1)"]})
    out = checks.contract_outcome(files, 0.05)
    assert not out.passed and out.severity == checks.ERROR
    assert "not a JSON array (line 1)" in out.description and out.metadata["files_rejected"] == 1


def test_reconciliation_finds_lost_rows():
    assert checks.reconciliation_outcome(100, 95, 5).passed
    assert checks.reconciliation_outcome(100, 90, 5, rows_suppressed=5).passed  # erased persons
    lost = checks.reconciliation_outcome(100, 90, 5)
    assert not lost.passed and "lost 5" in lost.description and lost.metadata["difference"] == 5


def _link(sizes, source="crm"):
    rows = [(f"C{c:09d}", source, f"R-{c}-{i}", f"{source}:R-{c}-{i}") for c, n in enumerate(sizes) for i in range(n)]
    return pl.DataFrame(rows, schema=["customer_id", "source_system", "source_record_id", "record_key"], orient="row")


def test_cluster_size_flags_an_over_merged_customer():
    assert checks.cluster_size_outcome(_link([3, 2, 1]), max_cluster_size=3).passed
    out = checks.cluster_size_outcome(_link([30, 2]), max_cluster_size=25)
    assert not out.passed and "C000000000 (30)" in out.description


def test_cluster_size_does_not_count_a_frequent_guest_shoppers_checkouts():
    guests = _link([30], source="shop")
    assert checks.cluster_size_outcome(guests, 25, guest_keys=guests["record_key"]).passed
    mixed = pl.concat([guests, _link([26])])
    assert not checks.cluster_size_outcome(mixed, 25, guest_keys=guests["record_key"]).passed


def test_id_churn_limit():
    assert checks.id_churn_outcome(0.01, 0.05).passed
    assert not checks.id_churn_outcome(0.2, 0.05).passed


def test_f1_against_truth_drops_when_two_persons_are_merged():
    link = _link([2, 2])
    truth = link.select("source_system", "source_record_id",
                        person_id=pl.col("customer_id").str.replace("C", "P"))
    assert checks.f1_outcome(link, truth, 0.9).passed
    merged = link.with_columns(customer_id=pl.lit("C000000001"))
    out = checks.f1_outcome(merged, truth, 0.9)
    assert not out.passed and out.metadata["f1"] < 0.9 and out.metadata["recall"] == 1.0
    assert checks.f1_outcome(link, None, 0.9).passed  # no truth: nothing to measure


def _profile_db(consent_granted: bool, service_basis: str = "contract") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE customer AS SELECT * FROM (VALUES ('C000000001'), ('C000000002')) t(customer_id)")
    con.execute("CREATE TABLE identity_link AS SELECT * FROM (VALUES ('crm:1', 'C000000001'), ('erp:1', 'C000000002')) t(record_key, customer_id)")
    # consent is per contact point (issue 16): the check joins on the chosen address too
    con.execute("""CREATE TABLE preferred_channel AS SELECT * FROM (VALUES
        ('C000000001', 'marketing', 'email', 'a@example.de'), ('C000000001', 'service', 'phone', '+4930123'),
        ('C000000002', 'marketing', NULL, NULL)) t(customer_id, purpose, channel, contact_point)""")
    con.execute("CREATE TABLE consent AS SELECT * FROM (VALUES ('C000000001', 'marketing', 'email', 'a@example.de', ?), "
                "('C000000001', 'marketing', 'email', 'b@example.de', true)) "
                "t(customer_id, purpose, channel, contact_point, is_granted)", [consent_granted])
    # the configured legal basis per purpose, as the build records it
    con.execute("CREATE TABLE legal_basis AS SELECT customer_id, purpose, "
                "CASE purpose WHEN 'marketing' THEN 'consent' ELSE ? END AS basis "
                "FROM customer CROSS JOIN (VALUES ('marketing'), ('service')) p(purpose)", [service_basis])
    return con


def test_consent_channel_rule():
    assert checks.consent_channel_outcome(_profile_db(True)).passed
    out = checks.consent_channel_outcome(_profile_db(False))
    assert not out.passed and "C000000001 (email)" in out.description


def test_consent_channel_rule_covers_every_purpose_configured_with_consent():
    # service needs no consent by default; configured with consent as its basis, its preferred
    # phone (no granted consent for it) breaks the rule too
    assert checks.consent_channel_outcome(_profile_db(True, service_basis="consent")).metadata["violations"] == 1
    assert checks.consent_channel_outcome(_profile_db(True, service_basis="legitimate_interest")).passed


def test_profile_counts_reconcile_with_identity():
    link = pl.DataFrame({"record_key": ["crm:1", "erp:1"], "customer_id": ["C000000001", "C000000002"]})
    assert checks.profile_counts_outcome(_profile_db(True), link).passed
    more = pl.concat([link, pl.DataFrame({"record_key": ["shop:1"], "customer_id": ["C000000003"]})])
    out = checks.profile_counts_outcome(_profile_db(True), more)
    assert not out.passed and "identity resolved 3" in out.description
