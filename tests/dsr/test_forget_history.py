"""``cdp forget`` removes only the erased customer's id history (issue 15, class 6)."""

from __future__ import annotations

import polars as pl

from cdp.config import Settings
from cdp.lake import write_parquet_atomic
from dsr.erase import _scrub_identity
from identity.io import output_path


def test_forget_keeps_other_customers_history_rows_with_a_null_new_id(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    hist = pl.DataFrame({"old_customer_id": ["C1", "C2", "C3", "C4"], "new_customer_id": [None, "C9", "C5", None],
                         "event": ["split", "merge", "merge", "retired"]})
    path = output_path(settings, "customer_id_history")
    write_parquet_atomic(hist, path)
    counts = _scrub_identity(settings, [], ["C5"])
    kept = pl.read_parquet(path)
    assert kept["old_customer_id"].to_list() == ["C1", "C2", "C4"]
    assert counts["identity.customer_id_history"] == 1
