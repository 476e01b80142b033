"""Property: an audience never contains a contact point without its own granted consent.

Random event histories over a small world — persons with their own e-mail addresses and phone
numbers, person records holding some of them, identity assignments that merge different persons
(wrong merges) or split one person over two customers, grants for one address / for "all" /
unspecified, withdrawals, objections as consent events and as letters — go through the real
profile build and the real audience export. For every exported contact point the test checks,
from the events alone, that a grant covers exactly that contact point (named, or recorded against
a record of the customer that holds it) and that no withdrawal or objection covering it (any
record, any customer) is as late or later. Runs 15 examples (about 3 s each on a shared 2-core machine).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdp.config import Settings
from cdp.lake import write_parquet_atomic
from cdp.schema import CONSENT_EVENT, CONTACT_EVENT, PERSON_RECORD, conform
from exports.audience import export_audience
from profiles.build import build_profiles

T0 = datetime(2024, 1, 1, tzinfo=UTC)
PERSONS = 3
RECORDS = [("crm", "CRM-000000{}"), ("shop", "S-00000{}")]  # each person: up to one of each


def _email(p: int, k: int) -> str:
    return f"p{p}.box{k}@example.de"


def _phone(p: int) -> str:
    return f"+4915100000{p}"


@st.composite
def worlds(draw):
    records = []  # (record_key, person, email, phone)
    for p in range(PERSONS):
        for src, pattern in RECORDS:
            if draw(st.booleans()) or src == "crm":
                rid = pattern.format(p)
                email = _email(p, draw(st.integers(0, 1)))
                phone = _phone(p) if draw(st.booleans()) else None
                records.append((f"{src}:{rid}", p, email, phone))
    # identity: each record to one of PERSONS customers; not the truth, on purpose
    customer = {rk: f"C00000000{draw(st.integers(0, PERSONS - 1))}" for rk, *_ in records}
    keys = [r[0] for r in records]
    events = []
    for i in range(draw(st.integers(1, 14))):
        rk = draw(st.sampled_from(keys))
        person = next(r[1] for r in records if r[0] == rk)
        status = draw(st.sampled_from(["granted", "granted", "withdrawn", "objection"]))
        channel = "all" if status == "objection" else draw(st.sampled_from(["email", "sms"]))
        if status == "objection":
            point = "all"
        else:
            point = draw(st.sampled_from([
                None, "all", _email(person, 0), _email(person, 1), _phone(person),
                # an address of someone else, typed into a form
                _email((person + 1) % PERSONS, 0)]))
            if channel == "sms" and point is not None and "@" in point:
                point = _phone(person)
            if channel == "email" and point is not None and point.startswith("+"):
                point = _email(person, 0)
        when = T0 + timedelta(days=draw(st.integers(0, 5)))  # few days: many ties
        events.append(dict(consent_event_key=f"crm:consent_events:CE-{i}", source_system="crm",
                           source_entity="consent_events", source_event_id=f"CE-{i}",
                           person_record_key=rk, purpose="marketing", channel=channel,
                           contact_point=point, status=status, ts=when, method="web_form"))
    letters = []
    if draw(st.booleans()):
        rk = draw(st.sampled_from(keys))
        letters.append(dict(event_key="crm:interactions:INT-1", source_system="crm",
                            source_entity="interactions", source_event_id="INT-1",
                            person_record_key=rk, ts=T0 + timedelta(days=draw(st.integers(0, 5))),
                            channel="letter", direction="inbound", event_type="letter",
                            summary="Widerspruch Werbung"))
    return records, customer, events, letters


def _write(data_dir, records, customer, events, letters) -> Settings:
    s = Settings().with_data_dir(data_dir)
    lineage = dict(_source_file="x", _row_number=1, _load_id="l", _ingested_at=T0)
    persons = [dict(record_key=rk, source_system=rk.split(":")[0], source_entity="contacts",
                    source_record_id=rk.split(":")[1], first_name=f"P{p}", last_name="Test",
                    email=email, mobile=phone, created_at=T0, **lineage)
               for rk, p, email, phone in records]
    frames = {
        "person_records": conform(pl.DataFrame(persons, infer_schema_length=None), PERSON_RECORD),
        "consent_events": conform(pl.DataFrame([{**e, **lineage} for e in events],
                                               infer_schema_length=None), CONSENT_EVENT),
        "contact_events": conform(pl.DataFrame([{**c, **lineage} for c in letters] or None,
                                               infer_schema_length=None), CONTACT_EVENT)
        if letters else pl.DataFrame(schema=CONTACT_EVENT),
    }
    for name, df in frames.items():
        write_parquet_atomic(df, s.paths.canonical_table(name) / "part-0.parquet")
    links = pl.DataFrame([dict(record_key=rk, source_system=rk.split(":")[0],
                               source_record_id=rk.split(":")[1], customer_id=customer[rk])
                          for rk, *_ in records])
    write_parquet_atomic(links, s.paths.identity / "identity_link.parquet")
    return s


def _covers_grant(e, cid, channel, point, customer, holds) -> bool:
    if e["status"] != "granted" or e["channel"] != channel or customer[e["person_record_key"]] != cid:
        return False
    if e["contact_point"] not in (None, "all"):
        return e["contact_point"] == point
    return point in holds[e["person_record_key"]].get(channel, set())


def _covers_restriction(e, channel, point, cid, customer, holds) -> bool:
    if e["status"] == "granted" or e["channel"] not in (channel, "all"):
        return False
    if e["contact_point"] not in (None, "all"):
        return e["contact_point"] == point
    return customer[e["person_record_key"]] == cid or point in holds[e["person_record_key"]].get(channel, set())


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds())
def test_audience_never_holds_a_contact_point_without_its_own_granted_consent(tmp_path_factory, world):
    records, customer, events, letters = world
    s = _write(tmp_path_factory.mktemp("w") / "data", records, customer, events, letters)
    build_profiles(s)
    # Parquet: the values as exported (a CSV guards "+49…" against spreadsheet formulas with a ')
    out = s.data_dir / "audience.parquet"
    r = export_audience(s, "marketing", out=out)
    exported = pl.read_parquet(r.path) if r.exported else None
    holds = {rk: {"email": {email}, "sms": {phone} if phone else set()} for rk, _, email, phone in records}
    # objection letters are restrictions of every channel, recorded against their record
    restrictions = events + [dict(status="objection", channel="all", contact_point="all",
                                  person_record_key=c["person_record_key"], ts=c["ts"]) for c in letters]
    for row in (exported.iter_rows(named=True) if exported is not None else []):
        cid, channel, point = row["customer_id"], row["channel"], row["contact_point"]
        assert any(point in holds[rk].get(channel, set()) for rk, c in customer.items() if c == cid), row
        grants = [e for e in events if _covers_grant(e, cid, channel, point, customer, holds)]
        assert grants, f"{row}: no grant covers this contact point"
        latest = max(e["ts"] for e in grants)
        blocking = [e for e in restrictions if e["ts"] >= latest
                    and _covers_restriction(e, channel, point, cid, customer, holds)]
        assert not blocking, f"{row}: a withdrawal/objection at or after the grant covers it"
