"""The console's read path: search and the profile page over the read-only profile database.

The profile database and the console's sidecar index are attached read-only; every request works
on its own cursor. When ``cdp build-profiles`` swaps in a new database the next request notices
(file identity changed) and opens it as a new generation (see :class:`ConsoleData`).
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
from exports.console.roles import Role
from exports.db import rows, sql_text
from identity.identify import Identifier, QueryError
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


class _Generation:
    """One opened state of the profile database and its sidecar, with the requests using it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, stamp: tuple[int, int]):
        self.con = con
        self.stamp = stamp
        self.users = 0
        self.retired = False


class ConsoleData:
    """Read-only access to ``data/cdp.duckdb`` plus the sidecar index, following rebuilds.

    ``cdp build-profiles`` replaces the database file atomically (``os.replace``). Each state of
    the file is opened as its own *generation*: a private in-memory DuckDB instance with the file
    and the sidecar attached read-only (attaching avoids DuckDB's per-path instance cache, so the
    old and the new file can be open side by side). A request leases a cursor of the current
    generation; when the file changes, the next request opens the new generation (rebuilding
    the sidecar first if needed) and makes it current, while requests still running on the old
    one finish undisturbed; the old generation is closed when its last request ends. Requests
    that arrive while a new generation is being opened wait for it, at most
    ``exports.console_swap_wait_seconds``; after that they are answered from the old one.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()          # guards _gen and the users counts
        self._opening = threading.Lock()       # one thread opens a new generation at a time
        with self._opening:
            self._gen: _Generation = self._open()

    def _file_stamp(self) -> tuple[int, int]:
        st = self.settings.paths.duckdb.stat()
        return (st.st_ino, st.st_mtime_ns)

    def _open(self) -> _Generation:
        stamp = self._file_stamp()
        if not search_index.index_is_current(self.settings):
            t0 = time.perf_counter()
            search_index.build_search_index(self.settings)
            log.info("console index rebuilt in %.1f s", time.perf_counter() - t0)
        con = duckdb.connect(":memory:")
        con.execute("SET enable_progress_bar = false")
        db = str(self.settings.paths.duckdb).replace("'", "''")
        idx = str(search_index.index_path(self.settings)).replace("'", "''")
        # ATTACH cannot bind the path; both are our own data directory, quoted.
        con.execute(f"ATTACH '{db}' AS cdp (READ_ONLY)")
        con.execute(f"ATTACH '{idx}' AS idx (READ_ONLY)")
        return _Generation(con, stamp)

    def _refresh(self) -> None:
        try:
            stamp = self._file_stamp()
        except FileNotFoundError:
            return  # between an unlink and a rename: keep serving the open generation
        if stamp == self._gen.stamp:
            return
        # Another request may be opening the new file: wait for it (bounded; a sidecar rebuild at
        # a million customers takes a while), then answer from whatever generation is current.
        if not self._opening.acquire(timeout=self.settings.exports.console_swap_wait_seconds):
            return
        try:
            if self._file_stamp() == self._gen.stamp:
                return
            new = self._open()
            with self._lock:
                old, self._gen = self._gen, new
                old.retired = True
                idle = old.users == 0
            if idle:
                old.con.close()
            log.info("console: profile database changed, new generation opened")
        finally:
            self._opening.release()

    def lease(self) -> tuple[_Generation, duckdb.DuckDBPyConnection]:
        """A cursor for one request on the current generation (give it back with :meth:`release`)."""
        self._refresh()
        with self._lock:
            gen = self._gen
            gen.users += 1
        try:
            cur = gen.con.cursor()
            cur.execute("USE cdp")
            cur.execute("SET TimeZone = 'UTC'")
        except BaseException:
            self.release(gen, None)
            raise
        return gen, cur

    def release(self, gen: _Generation, cur: duckdb.DuckDBPyConnection | None) -> None:
        """End a request: close its cursor; close a replaced generation once nobody uses it."""
        if cur is not None:
            cur.close()
        with self._lock:
            gen.users -= 1
            idle = gen.retired and gen.users == 0
        if idle:
            gen.con.close()

    def close(self) -> None:
        """Close the current generation (the app is shutting down)."""
        with self._lock:
            gen, self._gen.retired = self._gen, True
            idle = gen.users == 0
        if idle:
            gen.con.close()


def _search_keys(query: str) -> list[str]:
    keys = query_keys(query)
    compact = re.sub(r"\s+", "", query.strip()).lower()
    if compact and compact not in keys:
        keys.append(compact)
    return keys


class Hits(list):
    """Search hits (at most ``exports.search_limit``) and how many customers matched in all."""

    def __init__(self, hits: list[Hit], total: int, capped: bool = False, ignored_year: bool = False):
        super().__init__(hits)
        self.total = total
        self.capped = capped  # more than ``total`` matched; counting stopped there
        self.ignored_year = ignored_year  # a birth year the role's view has no birth date for


#: How many name matches a search counts before it says "1,000+".
COUNT_CAP = 1000
_POSTCODE = re.compile(r"^\d{5}$")
_YEAR = re.compile(r"^(19|20)\d{2}$")


def _refinements(query: str) -> tuple[str, str | None, int | None]:
    """A name query's postcode (5 digits) and birth year (19xx/20xx) tokens, split off the name."""
    tokens = query.split()
    if len(tokens) < 2 or not any(_LETTERS.search(t) for t in tokens) or _EMAILISH.search(query):
        return query, None, None
    postcode = next((t for t in tokens if _POSTCODE.match(t)), None)
    year = next((int(t) for t in tokens if _YEAR.match(t) and t != postcode), None)
    rest = [t for t in tokens if t != postcode and (year is None or t != str(year))]
    return " ".join(rest), postcode, year


def view_columns(cur: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    """The columns of a role's view (``view`` comes from :data:`roles.VIEWS`, never a request)."""
    return [d[0] for d in cur.execute(f"SELECT * FROM {view} LIMIT 0").description]


def search(cur: duckdb.DuckDBPyConnection, settings: Settings, query: str,
           role: Role | None = None) -> Hits:
    """Customers matching what the agent typed: an id, card or ERP number, e-mail, phone or name.

    Exact keys (``customer_lookup``, phones normalised to E.164) come first; for a query with
    letters that is not an e-mail, fuzzy name matches follow (typos and umlaut spellings
    tolerated). A name may be narrowed with a postcode (``Schmidt 10115``) and, where the role's
    view has the birth date (stewards, not agents), a birth year (``Schmidt 1980``): a
    refinement filters on what the role may see, so it never tells an agent a hidden value. An
    agent's birth year is left out of the search (:attr:`Hits.ignored_year`). The result holds
    the best ``exports.search_limit`` hits and the number of customers that matched (counted up
    to :data:`COUNT_CAP`), so the page can say "showing 25 of 77".
    """
    query = query.strip()[:200]
    if not query:
        return Hits([], 0)
    role = role or Role(settings.exports.console_role)
    limit = settings.exports.search_limit
    name_query, postcode, year = _refinements(query)
    ignored_year = year is not None and "birth_date" not in view_columns(cur, role.profile_view)
    if ignored_year:
        year = None
    refined = postcode is not None or year is not None
    hits: dict[str, Hit] = {}
    keys = _search_keys(name_query)
    if keys:
        found = cur.execute(
            "SELECT customer_id, key_type FROM customer_lookup WHERE key = ANY(?::VARCHAR[])",
            [keys]).fetchall()
        order = list(KEY_WORDS)
        for cid, kind in sorted(found, key=lambda r: (order.index(r[1]) if r[1] in order else 99, r[0])):
            hits.setdefault(cid, Hit(cid, KEY_WORDS.get(kind, kind), 1.0))
    if _LETTERS.search(name_query) and not _EMAILISH.search(name_query) and not _DIGITS.search(name_query):
        for cid, score in fuzzy_names(cur, settings, name_query, COUNT_CAP):
            if cid not in hits:
                hits[cid] = Hit(cid, "name" if score >= 0.999 else "similar name", score)
    found_hits = list(hits.values())
    if refined and found_hits:
        # the role's view, as the result list shows it (identifiers from roles.VIEWS)
        by_year = "AND year(birth_date) = ?::INTEGER" if year is not None else ""
        kept = {r[0] for r in cur.execute(
            f"SELECT customer_id FROM {role.profile_view} WHERE customer_id = ANY(?::VARCHAR[]) "
            f"AND (?::VARCHAR IS NULL OR postcode = ?::VARCHAR) {by_year}",
            [[h.customer_id for h in found_hits], postcode, postcode,
             *([year] if year is not None else [])]).fetchall()}
        found_hits = [h for h in found_hits if h.customer_id in kept]
    return Hits(found_hits[:limit], len(found_hits), capped=len(found_hits) >= COUNT_CAP,
                ignored_year=ignored_year)


def _deletions(token: str) -> list[str]:
    return [token] + [token[:i] + token[i + 1:] for i in range(len(token))]


def fuzzy_names(cur: duckdb.DuckDBPyConnection, settings: Settings, query: str,
                limit: int | None = None) -> list[tuple[str, float]]:
    """(customer id, score 0..1) for a name query, typos and umlaut spellings tolerated; the best
    ``limit`` (default ``exports.search_limit``).

    Two indexed steps: the query tokens' matches in the token vocabulary (``search_names.sql``),
    then the customers holding them (``search_customers.sql``), whose candidates come from the
    query token(s) matching the fewest customers.
    """
    cfg = settings.exports
    limit = limit or cfg.search_limit
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
    n = len(tokens)
    if n == 1:
        # One common token ("Müller"): when the customers holding it exactly fill the list, they
        # are the answer (score 1, customer id order) and the similar tokens need no scoring.
        exact = [m for m in matched if m[1] == tokens[0]]
        if exact and exact[0][3] >= limit:
            found = cur.execute(sql_text("search_customers"), {
                "qi": [1], "tokens": [tokens[0]], "sim": [1.0], "n": 1, "min_tokens": 1,
                "driver": [1], "limit": limit}).fetchall()
            return [(cid, float(score)) for cid, score, _n in found]
    min_tokens = n if n <= 2 else n - 1
    # A customer matches at least min_tokens of the n query tokens, so it holds a match of one of
    # the (n - min_tokens + 1) query tokens with the fewest customers: those are the candidates.
    postings: dict[int, int] = {}
    for qi, _token, _sim, customers in matched:
        postings[qi] = postings.get(qi, 0) + customers
    if len(postings) < min_tokens:
        return []
    driver = sorted(postings, key=lambda qi: postings[qi])[: n - min_tokens + 1]
    found = cur.execute(sql_text("search_customers"), {
        "qi": [m[0] for m in matched], "tokens": [m[1] for m in matched],
        "sim": [float(m[2]) for m in matched], "n": n, "min_tokens": min_tokens,
        "driver": driver, "limit": limit}).fetchall()
    return [(cid, float(score)) for cid, score, _n in found]


def result_rows(cur: duckdb.DuckDBPyConnection, settings: Settings, hits: list[Hit],
                role: Role | None = None) -> list[dict[str, Any]]:
    """The customer rows to list for search hits, in hit order: the role's view
    (``agent_profile`` or ``steward_profile``) and nothing else (``search_results.sql``)."""
    if not hits:
        return []
    role = role or Role(settings.exports.console_role)
    # the view's name comes from the fixed role table (roles.VIEWS), never from the request
    found = cur.execute(sql_text("search_results").format(profile=role.profile_view),
                        {"ids": [h.customer_id for h in hits]})
    by_id = {r["customer_id"]: r for r in rows(found)}
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


#: The timeline's tabs, in the order shown; the first is the default (see contact_group.sql).
CONTACT_GROUPS = ("service", "purchases", "marketing")


def profile(cur: duckdb.DuckDBPyConnection, settings: Settings, customer_id: str,
            page: int = 1, contact_type: str | None = None,
            group: str | None = CONTACT_GROUPS[0], role: Role | None = None) -> dict[str, Any] | None:
    """What the profile page shows for one current customer id, or None if unknown.

    The customer is the row of the role's view (``agent_profile`` or ``steward_profile``): the
    page shows those fields and nothing else. The timeline pages through the role's contacts
    (``agent_contact``, or ``contact_history`` for stewards), one ``group`` (service by default;
    ``None`` for all) or one ``contact_type``.
    """
    role = role or Role(settings.exports.console_role)
    # identifiers below come from the fixed role table (roles.VIEWS), never from the request
    found = rows(cur.execute(f"SELECT * FROM {role.profile_view} WHERE customer_id = ?", [customer_id]))
    if not found:
        return None
    cur.execute(sql_text("contact_group"))
    by_group_type = cur.execute(
        f"SELECT contact_group(type, direction, outcome) AS g, type, count(*) FROM {role.contact_view} "
        "WHERE customer_id = ? GROUP BY ALL", [customer_id]).fetchall()
    counts: dict[str, int] = {}
    group_counts = dict.fromkeys(CONTACT_GROUPS, 0)
    for g_name, ctype, n in by_group_type:
        counts[ctype] = counts.get(ctype, 0) + n
        group_counts[g_name] = group_counts.get(g_name, 0) + n
    if contact_type or group not in CONTACT_GROUPS:
        group = None
    size = settings.exports.timeline_page_size
    total = (counts.get(contact_type, 0) if contact_type else
             group_counts[group] if group else sum(counts.values()))
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    timeline = rows(cur.execute(sql_text("timeline").format(contacts=role.contact_view), {
        "id": customer_id, "limit": size, "offset": (page - 1) * size, "type": contact_type,
        "group": group}))
    return {
        "customer": found[0],
        # the purposes the view gives a channel for (service_channel, marketing_channel, ...)
        "channel_purposes": [k.removesuffix("_channel") for k in found[0]
                             if k.endswith("_channel") and k != "stated_channel"],
        "timeline": timeline,
        "timeline_total": total,
        "page": page,
        "pages": pages,
        "contact_type": contact_type,
        "contact_types": sorted(counts),
        "group": group,
        "group_counts": group_counts,
        "all_contacts": sum(counts.values()),
    }


def confidence_words(cur: duckdb.DuckDBPyConnection, probabilities: list[float]) -> dict[float, str]:
    """Match probabilities as words an agent can act on, from the profile table
    ``match_confidence`` (the words ``person_record.link_confidence`` uses)."""
    return dict(cur.execute(
        "SELECT p, c.words FROM unnest(?::DOUBLE[]) AS t(p) JOIN match_confidence c "
        "ON p >= c.min_probability AND (c.below IS NULL OR p < c.below)", [probabilities]).fetchall())


_DATE = re.compile(r"^(\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2})$")
_CUSTOMER_ID = re.compile(r"^C\d{9}$")
_PHONE = re.compile(r"^\+?[\d /()-]{6,}$")


def caller_fields(query: str) -> dict[str, str]:
    """What the agent typed, read as the caller's details for ``cdp identify``: an e-mail, a
    birth date (``12.03.1980``), a postcode (5 digits), a customer id, a phone number, and the
    remaining words as first and last name (the last word is the last name; the model also
    knows swapped names)."""
    fields: dict[str, str] = {}
    words: list[str] = []
    rest = []
    for t in query.split():
        if "@" in t:
            fields["email"] = t
        elif _DATE.match(t):
            fields["birth_date"] = t
        elif _POSTCODE.match(t):
            fields["postcode"] = t
        elif _CUSTOMER_ID.match(t):
            fields["customer_id"] = t
        elif _LETTERS.search(t):
            words.append(t)
        else:
            rest.append(t)
    digits = " ".join(rest)
    if rest and _PHONE.match(digits):
        fields["phone"] = digits
    if words:
        fields["last_name"] = words[-1]
        if len(words) > 1:
            fields["first_name"] = " ".join(words[:-1])
    return fields


def caller_candidates(cur: duckdb.DuckDBPyConnection, identifier: Identifier | None, query: str,
                      limit: int = 5) -> list[dict[str, Any]]:
    """"Is the caller one of these?": ``cdp identify`` on the agent's query; each candidate with
    its probability, the evidence in words and what the ``agent_profile`` view shows of them
    (name, postcode, town). Restricted and erased customers are never among them."""
    fields = caller_fields(query)
    if identifier is None or not fields:
        return []
    try:
        res = identifier.identify(fields, limit=limit)
    except (QueryError, FileNotFoundError):
        return []
    except Exception as exc:  # noqa: BLE001 - the search must answer even if the caller check fails
        log.warning("console: caller check failed (%s)", type(exc).__name__)
        return []
    if not res.candidates:
        return []
    shown = {r["customer_id"]: r for r in rows(cur.execute(
        "SELECT customer_id, first_name, last_name, postcode, city FROM agent_profile "
        "WHERE customer_id = ANY(?::VARCHAR[])", [[c.customer_id for c in res.candidates]]))}
    words = confidence_words(cur, [c.match_probability for c in res.candidates])
    return [{**shown[c.customer_id], "match_probability": c.match_probability, "decision": c.decision,
             "confidence": words.get(c.match_probability),
             "evidence": [e["words"] for e in c.evidence if e["supports"]],
             "against": [e["words"] for e in c.evidence if not e["supports"]]}
            for c in res.candidates if c.customer_id in shown]
