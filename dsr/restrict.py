"""``cdp restrict``: restriction of processing (Art. 18 GDPR) and lifting it.

A restriction is stored per person record (``data/privacy/restrictions.parquet``) so it follows
the person through merges; the profile build turns it into ``processing_restriction`` and drops
the person's profiling (scores, segment, CLV, marketing channel); audiences and agent views
leave them out.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from cdp.config import Settings
from dsr.subject import PipelineRun, customer_record_keys, resolve_customer
from privacy import store


def restrict(settings: Settings, query: str, reason: str, actor: str | None = None,
             lift: bool = False, *, pipeline: PipelineRun) -> dict:
    """Restrict (or with ``lift`` release) processing of one customer's data.

    ``pipeline`` is the pipeline run (``dagster_project.run.rebuild``) that rebuilds the
    profiles and exports; triggered when ``privacy.rebuild_after_change`` is set and a profile
    database exists, so the change shows at once.

    Returns:
        ``{"customer_id", "records", "action"}``.

    Raises:
        SubjectNotFound: the query names no customer or several.
        ValueError: no reason given.
    """
    if not (reason or "").strip():
        raise ValueError("--reason is required (request reference / legal ground)")
    customer_id = resolve_customer(settings, query)
    keys = customer_record_keys(settings, customer_id)
    current = store.read_restrictions(settings)
    others = current.filter(~pl.col("record_key").is_in(keys))
    if lift:
        new = others
        action = "lift_restriction"
    else:
        rows = pl.DataFrame({"record_key": keys, "customer_id": customer_id, "reason": reason,
                             "restricted_at": datetime.now(UTC), "actor": store.actor_name(actor)},
                            schema=store.RESTRICTION)
        new = pl.concat([others, rows])
        action = "restrict"
    store.replace(settings, "restrictions.parquet", new)
    changed = current.height - others.height if lift else len(keys)
    if settings.privacy.rebuild_after_change and settings.paths.duckdb.is_file():
        pipeline(settings)
    store.audit(settings, action, customer_id, reason, actor, {"records": changed})
    return {"customer_id": customer_id, "records": changed, "action": action}
