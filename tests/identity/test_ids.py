from datetime import UTC, datetime

import polars as pl

from identity.ids import assign_ids

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _cl(groups):
    return pl.DataFrame([(k, i) for i, g in enumerate(groups) for k in g], schema=["record_key", "cluster"], orient="row")


def _prev(mapping):
    return pl.DataFrame(list(mapping.items()), schema=["record_key", "customer_id"], orient="row")


def test_first_run_mints_sequential_ids():
    out, hist, rep = assign_ids(_cl([["a:1", "a:2"], ["a:3"]]), None, 1, NOW, "R1")
    assert sorted(out["customer_id"].unique()) == ["C000000001", "C000000002"]
    assert hist.height == 0 and rep.churn == 0


def test_rerun_keeps_ids_and_merge_retires_the_younger_id():
    prev = _prev({"a:1": "C000000001", "a:2": "C000000001", "a:3": "C000000002"})
    out, hist, rep = assign_ids(_cl([["a:1", "a:2", "a:3"]]), prev, 3, NOW, "R2")
    assert out["customer_id"].unique().to_list() == ["C000000001"]
    assert hist.select("old_customer_id", "new_customer_id", "reason").rows() == [("C000000002", "C000000001", "merge")]
    assert rep.retired_merge == 1


def test_tie_goes_to_the_oldest_id():
    prev = _prev({"a:1": "C000000005", "a:2": "C000000003"})
    out, hist, _ = assign_ids(_cl([["a:1", "a:2"]]), prev, 6, NOW, "R2")
    assert out["customer_id"].unique().to_list() == ["C000000003"]
    assert hist["old_customer_id"].to_list() == ["C000000005"]


def test_split_keeps_id_for_the_larger_part_and_mints_one():
    prev = _prev({"a:1": "C000000001", "a:2": "C000000001", "a:3": "C000000001"})
    out, hist, rep = assign_ids(_cl([["a:1", "a:2"], ["a:3"]]), prev, 2, NOW, "R2")
    m = dict(out.iter_rows())
    assert m["a:1"] == m["a:2"] == "C000000001" and m["a:3"] == "C000000002"
    assert hist.select("old_customer_id", "new_customer_id", "reason").rows() == [("C000000001", "C000000002", "split")]
    assert rep.split == 1
