"""The canonical build's data-protection filter on frames and lazy frames (no pipeline run)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from cdp.config import Settings
from cdp.schema import CONSENT_EVENT, CONTACT_EVENT, PERSON_RECORD, conform
from pipelines.contracts import contracts_of
from privacy import identifiers as ids
from privacy import store
from privacy.retention import expired_guest_keys, guest_retention_days, retention_tombstones
from privacy.suppression import filter_canonical

T = datetime(2024, 3, 1, tzinfo=UTC)


def _tables() -> dict[str, pl.DataFrame]:
    people = conform(pl.DataFrame({
        "record_key": ["crm:C-1", "crm:C-2", "shop:G-9"], "source_system": ["crm", "crm", "shop"],
        "source_record_id": ["C-1", "C-2", "G-9"], "is_guest": [False, False, True],
        "first_name": ["Ada", "Bert", "Gil"], "last_name": ["Alpha", "Beta", "Gast"],
        "birth_date": [date(1980, 1, 1), date(1970, 5, 5), None],
        "email": ["ada@example.org", "bert@example.org", "gil@example.org"],
        "created_at": [T, T, datetime(2015, 1, 1, tzinfo=UTC)],
    }), PERSON_RECORD)
    ev = pl.DataFrame({"event_key": ["e1", "e2", "e3", "e4", "e5"],
                       "person_record_key": ["crm:C-1", "crm:C-2", "erp:10000077", None, "shop:G-9"],
                       "ts": [T, T, T, T, datetime(2015, 1, 1, tzinfo=UTC)]})
    consent = pl.DataFrame({"consent_event_key": ["k1", "k2"], "person_record_key": ["crm:C-2", "crm:C-1"],
                            "ts": [T, T]})
    return {"person_records": people, "contact_events": conform(ev, CONTACT_EVENT),
            "consent_events": conform(consent, CONSENT_EVENT)}


def test_erased_and_expired_records_and_their_events_are_dropped_lazily_too(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    secret = settings.privacy.secret
    # Bert is erased by name + birth date (a re-delivered record); erp:10000077 by its record key,
    # although no current person record has that key (already scrubbed from the staged layer)
    tomb = pl.DataFrame({"tombstone_id": ["t1", "t2"], "kind": ["name_dob", "record_key"],
                         "hash": [ids.keyed_hash(secret, "name_dob", "bert beta|1970-05-05"),
                                  ids.keyed_hash(secret, "record_key", "erp:10000077")],
                         "erased_at": [T, T], "reason": ids.REASON_ERASURE})
    store.append(settings, "tombstones.parquet", ids.TOMBSTONE, tomb)
    tables = _tables()
    # the 2015 guest checkout expired in an earlier run (shop keeps guests 730 days): its tombstone
    store.append(settings, "tombstones.parquet", ids.TOMBSTONE,
                 retention_tombstones(settings, pl.Series(["shop:G-9"]), store.read_tombstones(settings), "r1", T))
    eager = filter_canonical(settings, tables)
    lazy = filter_canonical(settings, {k: v.lazy() for k, v in tables.items()})
    assert all(isinstance(v, pl.LazyFrame) for v in lazy.values())
    for name, df in eager.items():
        assert lazy[name].collect().equals(df), name
    # the expired guest checkout is dropped with its event
    assert eager["person_records"]["record_key"].to_list() == ["crm:C-1"]
    assert eager["contact_events"]["event_key"].to_list() == ["e1", "e4"]  # e4 names no person
    assert eager["consent_events"]["consent_event_key"].to_list() == ["k2"]


def test_without_tombstones_nothing_is_dropped(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    tables = _tables()  # the 2015 guest checkout is past retention, but no run tombstoned it yet
    out = filter_canonical(settings, {k: v.lazy() for k, v in tables.items()})
    for name, df in tables.items():
        assert out[name].collect().equals(df), name


def test_a_retention_tombstone_covers_the_guest_checkout_only(tmp_path):
    """A retention tombstone keeps an expired guest checkout out when it is delivered again; a
    registered record with the same key (nothing a source does, but a rule is a rule) stays."""
    settings = Settings(data_dir=tmp_path / "data")
    store.append(settings, "tombstones.parquet", ids.TOMBSTONE,
                 retention_tombstones(settings, pl.Series(["shop:G-9", "crm:C-2"]), store.read_tombstones(settings),
                                      "r1", T))
    assert store.read_tombstones(settings)["reason"].to_list() == [ids.REASON_RETENTION] * 2
    out = filter_canonical(settings, _tables())
    assert out["person_records"]["record_key"].to_list() == ["crm:C-1", "crm:C-2"]
    # written once: the same expired keys again add no tombstone
    again = retention_tombstones(settings, pl.Series(["shop:G-9"]), store.read_tombstones(settings), "r2", T)
    assert again.height == 0


def test_expiry_uses_this_runs_identity_links(tmp_path):
    """A guest checkout past retention expires unless this run's identity put it with a
    registered record (the links are an input: nothing is read from an earlier run)."""
    settings = Settings(data_dir=tmp_path / "data")
    tables = _tables()
    tables["person_records"] = tables["person_records"].with_columns(
        email=pl.when(pl.col("is_guest")).then(pl.lit("gil@elsewhere.example")).otherwise(pl.col("email")))
    days = guest_retention_days(settings, {s: c.guest_retention_days for s, c in contracts_of(settings).items()})
    alone = pl.LazyFrame({"record_key": ["crm:C-1", "crm:C-2", "shop:G-9"], "customer_id": ["A", "B", "G"]})
    with_bert = pl.LazyFrame({"record_key": ["crm:C-1", "crm:C-2", "shop:G-9"], "customer_id": ["A", "B", "B"]})
    assert expired_guest_keys(settings, tables, days, alone).to_list() == ["shop:G-9"]
    assert expired_guest_keys(settings, tables, days, with_bert).to_list() == []
    assert expired_guest_keys(settings, tables, days, None).to_list() == ["shop:G-9"]
    # the e-mail rule: a registered record with the guest's address keeps it
    assert expired_guest_keys(settings, _tables(), {"shop": 730}, None).to_list() == ["shop:G-9"]
    shared = _tables()
    shared["person_records"] = shared["person_records"].with_columns(email=pl.lit("ada@example.org"))
    assert expired_guest_keys(settings, shared, {"shop": 730}, None).to_list() == []
