"""The subject-access export holds everything (issue 15, class 6): the columns no contract
names (``_extra``) and the person's rows that were rejected at delivery."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl

from cdp.lake import write_parquet_atomic
from dsr.sar import sar
from dsr.subject import person_records
from tests.privacy.conftest import multi_source_customer, person_identifiers


def test_sar_has_extra_fields_and_rejected_rows(install, tmp_path):
    s = install
    cid = multi_source_customer(s)
    idents = person_identifiers(s, cid)
    rec = person_records(s).filter(pl.col("record_key") == idents["keys"][0]).row(0, named=True)
    raw = f"{rec['source_record_id']};???;kaputt"
    q = pl.DataFrame([{"_source_file": f"{rec['source_system']}/2025-01-01/x.csv", "_row_number": 7,
                       "_load_id": "l-1", "_ingested_at": datetime.now(UTC), "_raw": raw,
                       "_failed_rules": ["row:field_count"], "_reason": "x.csv row 7: broken"}])
    write_parquet_atomic(q, s.paths.quarantine / rec["source_system"] / "any" / "load_date=2025-01-01" / "q.parquet")
    doc = json.loads(sar(s, cid, tmp_path / "sar")["json"].read_text())
    assert doc["source_deliveries"] and all("_extra" in r for r in doc["source_deliveries"])
    rejected = {r["_raw"]: r for r in doc["rejected_deliveries"]}
    assert raw in rejected and rejected[raw]["_failed_rules"] == ["row:field_count"]
    # every rejected row listed is the person's: it names one of their record ids or e-mails
    assert all(any(v in r for v in idents["ids"] + idents["emails"]) for r in rejected)
