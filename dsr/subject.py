"""Finding the data subject of a request: query → one customer id → its person records; and the
pipeline run a request hands its changes to."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import polars as pl

from cdp.config import Settings
from cdp.lake import read_table
from cdp.schema import PERSON_RECORD
from profiles.lookup import find_customers

#: Runs the pipeline (the job ``cdp run`` runs) after a request changed data or before one reads
#: it. ``cdp`` passes ``dagster_project.run.rebuild`` (``forget``, ``restrict``) and
#: ``dagster_project.run.refresh`` (``sar``); a data-subject request never re-runs a stage itself.
PipelineRun = Callable[[Settings], object]


class SubjectNotFound(LookupError):
    """The query matches no customer, or several (then the request must name a customer id)."""


def resolve_customer(settings: Settings, query: str) -> str:
    """The one customer id a query (customer id, e-mail, phone, name, ERP or card number) names.

    Raises:
        SubjectNotFound: no match, or several customers match (the message lists their ids).
    """

    db = settings.paths.duckdb
    if not db.is_file():
        raise SubjectNotFound(f"{db} does not exist; run `cdp build-profiles` first")
    con = duckdb.connect(str(db), read_only=True)
    try:
        found = find_customers(con, query)
    finally:
        con.close()
    if not found:
        raise SubjectNotFound("no customer matches the query")
    if len(found) > 1:
        raise SubjectNotFound(
            f"the query matches {len(found)} customers ({', '.join(found[:10])}); "
            "repeat the request with the customer id")
    return found[0]


def customer_record_keys(settings: Settings, customer_id: str) -> list[str]:
    """The person record keys identity currently links to ``customer_id``."""
    link = settings.paths.identity / "identity_link.parquet"
    if not link.is_file():
        raise SubjectNotFound(f"{link} does not exist; run `cdp resolve` first")
    df = pl.read_parquet(link, columns=["record_key", "customer_id"])
    return sorted(df.filter(pl.col("customer_id") == customer_id)["record_key"].to_list())


def person_records(settings: Settings) -> pl.DataFrame:
    """The canonical person records (current state)."""
    return read_table(settings.paths.canonical_table("person_records"), PERSON_RECORD).collect()
