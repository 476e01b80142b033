import polars as pl

from cdp.config import IdentitySettings
from cdp.schema import PERSON_RECORD, conform
from cdp.standardise import standardise
from identity.cluster import ClusterConstraints, cluster_records
from identity.deterministic import deterministic_edges


def _edges(rows):
    return pl.DataFrame(rows, schema=["record_key_l", "record_key_r", "match_probability"], orient="row") \
        .with_columns(pl.lit("probabilistic").alias("link_method"))


def _groups(out):
    return sorted(sorted(g) for g in out.group_by("cluster").agg("record_key")["record_key"].to_list())


KEYS = pl.Series(["a:1", "a:2", "a:3", "a:4", "a:5"])


def test_edges_above_threshold_form_clusters():
    out, _ = cluster_records(KEYS, _edges([("a:1", "a:2", 0.99), ("a:2", "a:3", 0.95), ("a:4", "a:5", 0.4)]), 0.9)
    assert _groups(out) == [["a:1", "a:2", "a:3"], ["a:4"], ["a:5"]]
    assert out.filter(pl.col("record_key") == "a:4")["link_method"][0] == "singleton"


def test_cannot_link_splits_a_chain_at_its_weakest_edge():
    edges = _edges([("a:1", "a:2", 0.99), ("a:2", "a:3", 0.91), ("a:3", "a:4", 0.999)])
    cannot = pl.DataFrame({"record_key_l": ["a:1"], "record_key_r": ["a:4"]})
    out, rep = cluster_records(KEYS, edges, 0.9, ClusterConstraints(cannot_link=cannot))
    assert _groups(out) == [["a:1", "a:2"], ["a:3", "a:4"], ["a:5"]]
    assert rep.cannot_link_edges_dropped == 1


def test_must_link_outranks_model_and_survives_cannot_path_cutting():
    edges = _edges([("a:1", "a:2", 0.2)])
    must = pl.DataFrame({"record_key_l": ["a:1"], "record_key_r": ["a:2"]})
    out, _ = cluster_records(KEYS, edges, 0.9, ClusterConstraints(must_link=must))
    assert ["a:1", "a:2"] in _groups(out)
    assert out.filter(pl.col("record_key") == "a:1")["link_method"][0] == "must_link"


def test_oversized_cluster_is_reclustered_at_stricter_threshold():
    edges = _edges([("a:1", "a:2", 0.9999), ("a:2", "a:3", 0.95), ("a:3", "a:4", 0.9999), ("a:4", "a:5", 0.9999)])
    out, _ = cluster_records(KEYS, edges, 0.9, ClusterConstraints(max_cluster_size=3, split_thresholds=[0.99]))
    assert _groups(out) == [["a:1", "a:2"], ["a:3", "a:4", "a:5"]]


def _records(rows):
    return standardise(conform(pl.DataFrame(rows), PERSON_RECORD))


def test_trusted_key_links_but_shared_family_email_does_not():
    std = _records([
        {"record_key": "erp:100", "source_system": "erp", "source_record_id": "100", "first_name": "Anna"},
        {"record_key": "crm:1", "source_system": "crm", "source_record_id": "1", "first_name": "Anna",
         "xref_erp_customer_no": "100"},
        {"record_key": "shop:1", "source_system": "shop", "source_record_id": "1", "first_name": "Anna",
         "email": "familie@web.de"},
        {"record_key": "shop:2", "source_system": "shop", "source_record_id": "2", "first_name": "Paul",
         "email": "familie@web.de"},
        {"record_key": "shop:3", "source_system": "shop", "source_record_id": "3", "first_name": "Eva",
         "email": "test@test.de"},
        {"record_key": "shop:4", "source_system": "shop", "source_record_id": "4", "first_name": "Eva",
         "email": "test@test.de"},
    ])
    edges, stats = deterministic_edges(std, IdentitySettings())
    pairs = set(zip(edges["record_key_l"], edges["record_key_r"], strict=True))
    assert ("crm:1", "erp:100") in pairs
    assert not any("shop:" in a and "shop:" in b for a, b in pairs)  # family + blocklisted e-mail
    assert {s.name: s.values_blocked for s in stats}["email"] == 1


def test_wrong_cross_reference_does_not_merge_two_people():
    std = _records([
        {"record_key": "erp:100", "source_system": "erp", "source_record_id": "100", "first_name": "Anna"},
        {"record_key": "crm:1", "source_system": "crm", "source_record_id": "1", "first_name": "Bernd",
         "xref_erp_customer_no": "100"},
    ])
    edges, _ = deterministic_edges(std, IdentitySettings())
    assert edges.height == 0
