"""The console's read path: search and the profile page, over one read-only connection.

The profile database is opened with ``read_only=True`` and the console's sidecar index attached
read-only; every request works on its own cursor. When ``cdp build-profiles`` swaps in a new
database the next request notices (file identity changed), rebuilds the sidecar and reconnects.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import duckdb

from cdp.config import Settings
from exports.console import index as search_index
from exports.console.linkage import explain_links
from exports.db import rows, sql_text
from profiles.lookup import normalize_name, query_keys

log = logging.getLogger(__name__)

#: Lookup key kinds, best first, with the words the result list shows.
KEY_WORDS = {
    "customer_id": "customer id",
    "retired_customer_id": "former customer id (merged)",
    "erp_customer_no": "ERP customer number",
    "bonus_card_no": "bonus card number",
    "record_key": "source record",
    "source_record_id": "source record id",
    "email": "e-mail",
    "phone": "phone",
    "phone_digits": "phone",
    "name": "name",
}
_EMAILISH = re.compile(r"@")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_DIGITS = re.compile(r"\d")


@dataclass
class Hit:
    """One search result: a customer id, how it matched and how well."""

    customer_id: str
    matched_on: str
    score: float


class ConsoleData:
    """Read-only access to ``data/cdp.duckdb`` plus the sidecar index, reconnecting on a rebuild."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._stamp: tuple[int, int] | None = None
        self.levels: dict[tuple[str, int], str] = {}
        self._ensure()

    def _file_stamp(self) -> tuple[int, int]:
        st = self.settings.paths.duckdb.stat()
        return (st.st_ino, st.st_mtime_ns)

    def _ensure(self) -> None:
        stamp = self._file_stamp()
        if self._con is not None and stamp == self._stamp:
            return
        with self._lock:
            if self._con is not None and stamp == self._stamp:
                return
            rebuilt = False
            if not search_index.index_is_current(self.settings):
                t0 = time.perf_counter()
                search_index.build_search_index(self.settings)
                rebuilt = True
                log.info("console index rebuilt in %.1f s", time.perf_counter() - t0)
            # DuckDB shares one database instance per path inside a process: the old connection
            # must go before the new file can be opened under the same path.
            if self._con is not None:
                self._con.close()
                self._con = None
            con = duckdb.connect(str(self.settings.paths.duckdb), read_only=True)
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET enable_progress_bar = false")
            idx = str(search_index.index_path(self.settings)).replace("'", "''")
            if rebuilt:
                con.execute("DETACH DATABASE IF EXISTS idx")
            # ATTACH cannot bind the path; it is our own data directory, quoted.
            con.execute(f"ATTACH IF NOT EXISTS '{idx}' AS idx (READ_ONLY)")
            self.levels = {(c, g): lbl for c, g, lbl in
                           con.execute("SELECT comparison, gamma, label FROM idx.comparison_level").fetchall()}
            self._con, self._stamp = con, stamp

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor for one request (reconnects first if the database was rebuilt)."""
        self._ensure()
        return self._con.cursor()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def _search_keys(query: str) -> list[str]:
    keys = query_keys(query)
    compact = re.sub(r"\s+", "", query.strip()).lower()
    if compact and compact not in keys:
        keys.append(compact)
    return keys


def search(cur: duckdb.DuckDBPyConnection, settings: Settings, query: str) -> list[Hit]:
    """Customers matching what the agent typed: an id, card or ERP number, e-mail, phone or name.

    Exact keys (``customer_lookup``, phones normalised to E.164) come first; for a query with
    letters that is not an e-mail, fuzzy name matches follow (typos and umlaut spellings
    tolerated).
    """
    query = query.strip()[:200]
    if not query:
        return []
    cfg = settings.exports
    hits: dict[str, Hit] = {}
    keys = _search_keys(query)
    if keys:
        found = cur.execute(
            "SELECT customer_id, key_type FROM customer_lookup WHERE key IN (SELECT unnest(?::VARCHAR[]))",
            [keys]).fetchall()
        order = list(KEY_WORDS)
        for cid, kind in sorted(found, key=lambda r: order.index(r[1]) if r[1] in order else 99):
            hits.setdefault(cid, Hit(cid, KEY_WORDS.get(kind, kind), 1.0))
    if _LETTERS.search(query) and not _EMAILISH.search(query) and not _DIGITS.search(query):
        for cid, score in fuzzy_names(cur, settings, query):
            if cid not in hits:
                hits[cid] = Hit(cid, "name" if score >= 0.999 else "similar name", score)
    return list(hits.values())[: cfg.search_limit]


def _deletions(token: str) -> list[str]:
    return [token] + [token[:i] + token[i + 1:] for i in range(len(token))]


def fuzzy_names(cur: duckdb.DuckDBPyConnection, settings: Settings, query: str) -> list[tuple[str, float]]:
    """(customer id, score 0..1) for a name query, typos and umlaut spellings tolerated."""
    cfg = settings.exports
    tokens = [t for t in normalize_name(query).replace("-", " ").split() if len(t) >= 2][:5]
    if not tokens:
        return []
    vq, vv = [], []
    for i, t in enumerate(tokens, start=1):
        for v in dict.fromkeys(_deletions(t)):
            vq.append(i)
            vv.append(v)
    matched = cur.execute(sql_text("search_names"), {
        "tokens": tokens, "vq": vq, "vv": vv, "min_similarity": cfg.name_min_similarity,
        "max_edits": cfg.name_max_edits}).fetchall()
    if not matched:
        return []
    min_tokens = len(tokens) if len(tokens) <= 2 else len(tokens) - 1
    found = cur.execute(sql_text("search_customers"), {
        "qi": [m[0] for m in matched], "tokens": [m[1] for m in matched],
        "sim": [float(m[2]) for m in matched], "n": len(tokens), "min_tokens": min_tokens,
        "limit": cfg.search_limit}).fetchall()
    return [(cid, float(score)) for cid, score, _n in found]


def result_rows(cur: duckdb.DuckDBPyConnection, hits: list[Hit]) -> list[dict[str, Any]]:
    """The customer rows to list for search hits, in hit order."""
    if not hits:
        return []
    by_id = {r["customer_id"]: r for r in rows(cur.execute(sql_text("search_results"),
                                                            {"ids": [h.customer_id for h in hits]}))}
    out = []
    for h in hits:
        r = by_id.get(h.customer_id)
        if r:
            out.append({**r, "matched_on": h.matched_on, "score": h.score})
    return out


def survivor(cur: duckdb.DuckDBPyConnection, customer_id: str) -> dict[str, Any] | None:
    """For a retired id: the current id it was merged into (with when and why), else None."""
    found = rows(cur.execute(sql_text("survivor"), {"id": customer_id}))
    return found[0] if found else None


def profile(cur: duckdb.DuckDBPyConnection, settings: Settings, customer_id: str,
            levels: dict[tuple[str, int], str], page: int = 1,
            contact_type: str | None = None) -> dict[str, Any] | None:
    """Everything the profile page shows for one current customer id, or None if unknown."""
    found = rows(cur.execute(
        "SELECT c.*, v.* EXCLUDE (customer_id) FROM customer c "
        "LEFT JOIN customer_value v USING (customer_id) WHERE c.customer_id = ?", [customer_id]))
    if not found:
        return None
    size = settings.exports.timeline_page_size
    page = max(1, page)
    total = cur.execute(
        "SELECT count(*) FROM contact_history WHERE customer_id = ? AND (? IS NULL OR type = ?)",
        [customer_id, contact_type, contact_type]).fetchone()[0]
    types = [r[0] for r in cur.execute(
        "SELECT DISTINCT type FROM contact_history WHERE customer_id = ? ORDER BY 1", [customer_id]).fetchall()]
    timeline = rows(cur.execute(sql_text("timeline"), {
        "id": customer_id, "limit": size, "offset": (page - 1) * size, "type": contact_type}))
    open_issues = rows(cur.execute(
        "SELECT ts, channel, summary, outcome, source FROM contact_history "
        "WHERE customer_id = ? AND type = 'ticket' AND coalesce(status, 'open') = 'open' "
        "ORDER BY ts DESC", [customer_id]))
    consent = rows(cur.execute(
        "SELECT purpose, channel, state, decided_at, source, method, evidence, event_count "
        "FROM consent WHERE customer_id = ? ORDER BY purpose, channel", [customer_id]))
    channels = {r["purpose"]: r for r in rows(cur.execute(
        "SELECT purpose, channel, contact_point, reason, allowed_channels, stated_channel "
        "FROM preferred_channel WHERE customer_id = ?", [customer_id]))}
    records = rows(cur.execute(
        "SELECT * FROM idx.source_record WHERE customer_id = ? ORDER BY source_system, record_key",
        [customer_id]))
    edges = rows(cur.execute("SELECT * FROM idx.link_edge WHERE customer_id = ?", [customer_id]))
    merged_from = rows(cur.execute(
        "SELECT old_customer_id, changed_at, reason FROM customer_id_history "
        "WHERE new_customer_id = ? AND old_customer_id <> new_customer_id ORDER BY changed_at",
        [customer_id]))
    return {
        "customer": found[0],
        "timeline": timeline,
        "timeline_total": total,
        "page": page,
        "pages": max(1, -(-total // size)),
        "contact_type": contact_type,
        "contact_types": types,
        "open_issues": open_issues,
        "consent": consent,
        "channels": channels,
        "records": records,
        "links": explain_links(records, edges, levels),
        "merged_from": merged_from,
    }
