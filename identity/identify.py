"""``cdp identify``: one person record → the customers it may be, scored with the trained model.

A query (any subset of name, address, birth date, e-mail, phone, ERP customer number, bonus card
number, customer id) is standardised by ``cdp.standardise`` exactly like a batch record, its
candidates are the base records sharing a blocking key of the model's prediction rules
(:mod:`identity.identify_index`), and each candidate pair is scored with the saved Splink model:

* the comparison levels (gammas) are Splink's own CASE expressions of the saved model JSON,
  evaluated by DuckDB on the query × candidates (a few dozen rows), as a statement prepared once
  per pooled connection (:class:`_Session`: planning it cost more than running it);
* the match weight is the model's prior plus each level's weight log2(m/u) and the
  term-frequency adjustment of the saved TF tables, as Splink's predict computes it (numpy);
* batch resolution's vetoes (``identity.veto``: first names or birth dates that contradict,
  name-only evidence) are applied to the pairs that would link;
* a trusted key (ERP customer number, bonus card number, e-mail with the same first name) that
  batch resolution links on gives a certain answer, with the same merge protection.

Records are grouped by customer (the best-scoring record speaks for its customer). Erased persons
(tombstones) and restricted customers (Art. 18 GDPR, left out of the agent views too) are never
returned. Nothing here logs a query value.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import numpy as np
import polars as pl
from splink.internals.settings_creator import SettingsCreator

from cdp.config import Settings
from cdp.schema import PERSON_RECORD
from cdp.standardise import standardise
from identity import model as m
from identity.identify_index import CandidateIndex, index_dir, open_index, tf_columns
from identity.io import output_path
from identity.model import INDEPENDENT_EVIDENCE
from identity.veto import (
    HOUSEHOLD_COLUMNS,
    VETO_SQL,
    evidence_vetoes,
    household_pairs_sql,
    household_vetoes,
    shared_contact,
)
from identity.veto import MACROS_SQL as VETO_MACROS_SQL
from identity.veto import STD_COLS as VETO_STD_COLS
from privacy import store
from privacy.identifiers import hashes_of, keyed_hash

log = logging.getLogger(__name__)

#: Query fields and the canonical person-record column each fills.
QUERY_FIELDS = {
    "first_name": "first_name", "last_name": "last_name", "street": "street", "house_number": "house_number",
    "postcode": "postcode", "city": "city", "birth_date": "birth_date", "email": "email", "phone": "phone",
    "erp_customer_no": "xref_erp_customer_no", "bonus_card_no": "xref_bonus_card_no",
}
#: The source system a query record claims: none of the sources (the trusted-key comparisons'
#: "both native" level never applies to a query).
QUERY_SOURCE = "query"
QUERY_KEY = "query:1"
#: Candidates scored per query at most (the best-blocked first); a key shared by more base
#: records than :data:`MAX_BLOCK` is not used for candidates (batch caps broad blocks too).
MAX_CANDIDATES = 2_000
MAX_BLOCK = 1_000

#: Plain words for the comparison levels (by the label in the saved model); a level not listed
#: is described by its own label.
LEVEL_WORDS = {
    "name": {
        "exact first and last": "same first and last name",
        "first and last swapped": "same names, first and last swapped",
        "first and last swapped, similar": "similar names, first and last swapped",
        "last exact, first name part or initials agree": "same last name, first name or initials agree",
        "both similar (JW>=0.92)": "first and last name very similar (a typo)",
        "one edit in each name": "first and last name one letter apart",
        "last exact, first similar (or its first part one edit apart)": "same last name, similar first name",
        "first exact, last similar": "same first name, similar last name",
        "first exact, last different": "same first name, last name differs",
        "last exact, a first name missing": "same last name, a first name missing",
        "last exact, first different": "same last name, first name differs",
        "one name in the other field (swapped, the other changed)": "one name in the other field",
        "one name similar (JW>=0.88)": "one name similar",
        "both weakly similar (JW>=0.7)": "names only weakly similar",
    },
    "birth_date": {"exact": "same birth date", "one digit typo or transposition": "birth date one digit apart",
                   "day and month swapped": "birth date with day and month swapped",
                   "within a year": "birth dates less than a year apart"},
    "email": {"exact": "same e-mail", "same mailbox (Gmail ignores dots)": "same mailbox (dots ignored)",
              "same local part, other domain": "same e-mail name at another provider"},
    "phone": {"same mobile": "same mobile number", "same landline": "same phone number",
              "both have a mobile, different": "mobile numbers differ"},
    "address": {"same street, number and postcode": "same address",
                "same postcode, street similar": "same postcode, street similar",
                "same street and number, postcode typo or same city": "same street and number, postcode one typo off",
                "same number, postcode or street one typo off": "same house number, postcode or street one typo off",
                "same postcode and street, number differs": "same street and postcode, house number differs",
                "street similar, postcode one typo or city similar": "street similar, postcode or city one typo off",
                "same postcode": "same postcode, street differs", "same city": "same city, postcode differs"},
    "erp_key": {"exact": "same ERP customer number"},
    "bonus_key": {"exact": "same bonus card number"},
}
#: What "differs" (the else level) is called per comparison.
FIELD_WORDS = {"name": "name", "birth_date": "birth date", "email": "e-mail", "phone": "phone",
               "address": "address", "erp_key": "ERP customer number", "bonus_key": "bonus card number"}
VETO_WORDS = {
    "first_name": "first names contradict: batch resolution keeps them apart",
    "birth_date": "birth dates years apart: batch resolution keeps them apart",
    "name_only_evidence": "only the name agrees: not enough to link",
    "ambiguous_household": "two persons of one name at one address: not enough to link",
    "differing_emails": "two different own e-mail addresses: batch resolution keeps them apart",
}
KEY_WORDS = {"erp_customer_no": "same ERP customer number", "bonus_card_no": "same bonus card number",
             "email": "same e-mail and first name", "customer_id": "same customer id"}


class QueryError(ValueError):
    """The query names no field identify can use, or a field it does not know."""


@dataclass
class _Level:
    gamma: int
    label: str
    weight: float
    tf_column: str | None
    tf_weight: float
    tf_min_u: float
    log2_u_exact: float


@dataclass
class _Comparison:
    name: str
    levels: dict[int, _Level]


@dataclass
class ScoredModel:
    """The saved model as identify uses it: Splink's comparison-vector SQL and per-level weights."""

    version: str
    prior_weight: float
    comparisons: list[_Comparison]
    sql: str
    query_columns: list[str]

    @classmethod
    def load(cls, ref: m.ModelRef) -> ScoredModel:
        d = json.loads(ref.path.read_text())
        for k in ("cdp_model_version", "cdp_trained_on", "cdp_setup"):
            d.pop(k, None)
        s = SettingsCreator.from_path_or_dict(d).get_settings("duckdb")
        comps = []
        for c in s.comparisons:
            levels = {}
            for lv in c.comparison_levels:
                if lv.is_null_level:
                    levels[-1] = _Level(-1, lv.label_for_charts or "null", 0.0, None, 0.0, 0.0, 0.0)
                    continue
                tf_col = lv._tf_adjustment_input_column.unquote().name if lv._has_tf_adjustments else None
                u_exact = lv._u_probability_corresponding_to_exact_match(c.comparison_levels) if tf_col else 1.0
                levels[lv.comparison_vector_value] = _Level(
                    lv.comparison_vector_value, lv.label_for_charts or lv.sql_condition, float(lv._match_weight),
                    tf_col, float(lv._tf_adjustment_weight or 0.0), float(lv._tf_minimum_u_value or 0.0),
                    math.log2(u_exact) if u_exact else 0.0)
            comps.append(_Comparison(c.output_column_name, levels))
        p = s._probability_two_random_records_match
        # Splink's own SQL: the l/r columns of a blocked pair and the comparison vector (CASE per comparison)
        sel_block = ", ".join(s._columns_to_select_for_blocking)
        sel_cv = ", ".join(c._case_statement for c in s.comparisons)
        sql = (f"WITH __blocked AS (SELECT {sel_block} FROM __q AS l CROSS JOIN __c AS r) "
               f'SELECT "record_key_r", {sel_cv} FROM __blocked')
        cols = sorted({col.unquote().name for c in s.comparisons for col in c._input_columns_used_by_case_statement})
        return cls(ref.version, math.log2(p / (1 - p)), comps, sql, cols)


@dataclass
class Candidate:
    """One candidate customer for a query."""

    customer_id: str
    match_probability: float
    match_weight: float | None
    decision: str  # "match" (≥ match_threshold, batch would link), "possible" (≥ predict_threshold)
    method: str  # "trusted_key" or "model"
    record_key: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    veto: str | None = None


@dataclass
class IdentifyResult:
    """What one identify call found (no query values: the caller has them)."""

    candidates: list[Candidate]
    fields_used: list[str]
    records_scored: int
    model_version: str
    timings_ms: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {
            "candidates": [c.__dict__ for c in self.candidates],
            "certain": any(c.decision == "match" for c in self.candidates),
            "fields_used": self.fields_used, "records_scored": self.records_scored,
            "model_version": self.model_version, "timings_ms": self.timings_ms,
        }


def query_record(fields: dict[str, Any]) -> pl.DataFrame:
    """A one-row canonical person record (``cdp.schema.PERSON_RECORD``) from query fields."""
    unknown = set(fields) - set(QUERY_FIELDS) - {"customer_id"}
    if unknown:
        raise QueryError(f"unknown field(s) {sorted(unknown)}; known: {sorted([*QUERY_FIELDS, 'customer_id'])}")
    row: dict[str, Any] = dict.fromkeys(PERSON_RECORD.names())
    row.update(record_key=QUERY_KEY, source_system=QUERY_SOURCE, source_record_id="1", country="DE")
    for k, v in fields.items():
        if k == "customer_id" or v is None or (isinstance(v, str) and not v.strip()):
            continue
        if k == "birth_date":
            v = _birth_date(v)
        row[QUERY_FIELDS[k]] = v.strip() if isinstance(v, str) else v
    return pl.DataFrame([row], schema=PERSON_RECORD)


def _birth_date(v: Any) -> date:
    if isinstance(v, date):
        return v
    s = str(v).strip()
    try:
        if "." in s:
            d, mo, y = s.split(".")
            return date(int(y), int(mo), int(d))
        return date.fromisoformat(s)
    except ValueError as exc:
        raise QueryError("birth_date: use YYYY-MM-DD or DD.MM.YYYY") from exc


class Identifier:
    """Answers identify queries for one data directory; reopens when identity or privacy changed.

    Thread-safe: each call takes a DuckDB connection of its own from a pool (the statements
prepared on it); reopening happens under a lock and empties the pool.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._state: tuple | None = None
        self._sessions: list[_Session] = []

    # -- state ---------------------------------------------------------------------------------
    def _stamp(self) -> tuple:
        paths = [index_dir(self.settings) / "meta.json", output_path(self.settings, "person_records_std"),
                 output_path(self.settings, "identity_link"), output_path(self.settings, "customer_id_history")]
        paths += [store.privacy_file(self.settings, n) for n in
                  ("tombstones.parquet", "restrictions.parquet", "erasures.parquet")]
        out: list[tuple[int, int] | None] = []
        for p in paths:
            try:
                st = p.stat()
                out.append((st.st_size, st.st_mtime_ns))
            except FileNotFoundError:
                out.append(None)
        ref = m.latest_model(self.settings)
        return (ref.version if ref else None, ref.path.stat().st_mtime_ns if ref else None, *out)

    def _current(self):
        stamp = self._stamp()
        st = self._state
        if st is not None and st[0] == stamp:
            return st[1]
        with self._lock:
            if self._state is not None and self._state[0] == self._stamp():
                return self._state[1]
            ref = m.latest_model(self.settings)
            if ref is None:
                raise FileNotFoundError("no trained identity model: run `cdp resolve` (or `cdp run`) first")
            index = open_index(self.settings, ref)
            scored = ScoredModel.load(ref)
            tf = _tf_lookup(ref)
            ids = self.settings.identity
            veto_sql = VETO_SQL.replace("$first_name_jw", repr(float(ids.veto_first_name_jw))).replace(
                "$birth_year_gap", repr(float(ids.veto_birth_year_gap)))
            q0, c0 = _score_input(index.records.head(0), index.records.head(0), tf)
            tables = {"__q": q0, "__c": c0, "edges": _EDGES_SCHEMA.clear(),
                      "std": pl.DataFrame(schema={c: (pl.Date if c == "birth_date" else pl.String) for c in VETO_STD_COLS}),
                      "recs": pl.DataFrame(schema={"i": pl.UInt32, **dict.fromkeys(HOUSEHOLD_COLUMNS, pl.String)})}
            ctx = _Context(index, scored, _Privacy.load(self.settings), tf, _retired(self.settings),
                           {"gammas": scored.sql, "vetoes": veto_sql, "household": household_pairs_sql()}, tables)
            self._state = (self._stamp(), ctx)
            for ses in self._sessions:  # planned for the model and settings before
                ses.close()
            self._sessions = []
            return ctx

    @contextmanager
    def _session(self, ctx: _Context) -> Iterator[_Session]:
        """A DuckDB connection of the pool with the context's statements prepared, for one query."""
        with self._lock:
            ses = self._sessions.pop() if self._sessions else None
        if ses is None or ses.ctx is not ctx:
            if ses is not None:
                ses.close()
            ses = _Session(ctx)
        try:
            yield ses
        finally:
            with self._lock:
                if self._state is not None and self._state[1] is ses.ctx:
                    self._sessions.append(ses)
                else:
                    ses.close()

    def warm(self) -> dict[str, Any]:
        """Open (and if needed build) the index now; counts only."""
        ctx = self._current()
        return {"records": ctx.index.records.height, "rules": len(ctx.index.rules), "model_version": ctx.model.version}

    # -- the query -----------------------------------------------------------------------------
    def identify(self, fields: dict[str, Any], limit: int = 5, min_probability: float | None = None) -> IdentifyResult:
        """The candidate customers for one person record (see the module docstring).

        Args:
            fields: query fields (:data:`QUERY_FIELDS` and ``customer_id``); any subset.
            limit: at most this many candidates, best first.
            min_probability: leave out candidates below (default ``identity.predict_threshold``).

        Raises:
            QueryError: no usable field, or an unknown one.
        """
        t0 = time.perf_counter()
        ids = self.settings.identity
        floor = ids.predict_threshold if min_probability is None else min_probability
        ctx = self._current()
        t_open = time.perf_counter()
        raw = query_record(fields)
        std = standardise(raw)
        q = m.splink_input(std)
        used = [k for k, v in fields.items() if v not in (None, "")]
        if not used:
            raise QueryError("give at least one field (name, address, birth date, e-mail, phone, ERP or card number)")
        t_std = time.perf_counter()
        rows, _per_rule = ctx.index.candidate_rows(q, MAX_BLOCK)
        key_hits = self._trusted_keys(ctx, std, fields)
        t_block = time.perf_counter()
        rows = rows[:MAX_CANDIDATES]
        with self._session(ctx) as ses:
            scored = self._score(ctx, q, rows, ses) if len(rows) else None
            t_score = time.perf_counter()
            cands = self._candidates(ctx, std, scored, key_hits, floor, ses)
        cands = ctx.privacy.keep(self.settings, cands)
        cands.sort(key=lambda c: (-c.match_probability, -(c.match_weight or 99.0), c.customer_id))
        t_end = time.perf_counter()
        ms = {"open": t_open - t0, "standardise": t_std - t_open, "candidates": t_block - t_std,
              "score": t_score - t_block, "decide": t_end - t_score, "total": t_end - t0}
        return IdentifyResult(cands[:limit], used, int(len(rows)), ctx.model.version,
                              {k: round(v * 1000, 2) for k, v in ms.items()})

    def _trusted_keys(self, ctx: _Context, std: pl.DataFrame, fields: dict[str, Any]) -> dict[str, tuple[str, str]]:
        """customer id → (record key, key name) for the trusted keys batch links on, with its merge
        protection: a value links when its records and the query are one person (at most
        ``max_persons`` first names / birth dates, at most ``max_records`` records)."""
        cfg = self.settings.identity
        out: dict[str, tuple[str, str]] = {}
        cid = (fields.get("customer_id") or "").strip()
        if cid:
            cid = ctx.retired.get(cid, cid)
            rows = ctx.index.rows_where("customer_id", cid)
            if len(rows):
                out[cid] = (ctx.index.records["record_key"][int(rows[0])], "customer_id")
        q = std.row(0, named=True)
        blocklist = {v.strip().lower() for v in cfg.key_blocklist}
        names = {"erp_key": "erp_customer_no", "bonus_key": "bonus_card_no", "email_std": "email"}
        for key in cfg.deterministic_keys:
            col = key["column"]
            value = q.get(col)
            if value is None or str(value).lower() in blocklist:
                continue
            rows = ctx.index.rows_where(col, value)
            if not len(rows):
                continue
            grp = ctx.index.records[rows.tolist()]
            require = key.get("require")
            if require:
                if q.get(require) is None:
                    continue
                grp = grp.filter(pl.col(require) == q[require])
                if not grp.height:
                    continue
            max_records = int(key.get("max_records", cfg.max_records_per_key))
            max_persons = int(key.get("max_persons", 1))
            firsts = {v for v in [*grp["first_name_std"].to_list(), q.get("first_name_std")] if v}
            firsts = {v.split(" ")[0] for v in firsts}
            dobs = {v for v in [*grp["birth_date"].to_list(), q.get("birth_date")] if v}
            if grp.height + 1 > max_records or max(len(firsts), len(dobs)) > max_persons:
                continue
            # the record that holds the key natively (the ERP customer, the card) speaks for it
            native = {"erp_key": "erp", "bonus_key": "bonus"}.get(col)
            grp = grp.sort([pl.col("source_system") != native, pl.col("record_key")] if native else "record_key")
            for rk, c in grp.select("record_key", "customer_id").iter_rows():
                out.setdefault(c, (rk, names.get(col, key.get("name", col))))
        return out

    def _score(self, ctx: _Context, q: pl.DataFrame, rows: np.ndarray, ses: _Session | None = None) -> pl.DataFrame:
        """Gammas (Splink's CASE expressions on DuckDB) and match weights for query × candidates."""
        cand = ctx.index.records[rows.tolist()]
        q = q.with_columns(pl.lit(ctx.tf(c, q[c][0]) if q.height else None, pl.Float64).alias(f"tf_{c}")
                           for c in ctx.tf.columns)
        q_in, c_in = _score_input(q, cand, ctx.tf)
        if ses is None:
            with self._session(ctx) as own:
                gam = pl.DataFrame(own.run("gammas", {"__q": q_in, "__c": c_in}).fetchnumpy())
        else:
            gam = pl.DataFrame(ses.run("gammas", {"__q": q_in, "__c": c_in}).fetchnumpy())
        gam = gam.rename({"record_key_r": "record_key"})
        cand = cand.join(gam, on="record_key", how="left", maintain_order="left")
        total = np.full(cand.height, ctx.model.prior_weight)
        weights = {}
        for comp in ctx.model.comparisons:
            g = cand[f"gamma_{comp.name}"].to_numpy()
            w = np.zeros(cand.height)
            for lv in comp.levels.values():
                hit = g == lv.gamma
                if not hit.any():
                    continue
                w[hit] = lv.weight
                if lv.tf_column and lv.tf_weight:
                    # Splink: weight * (log2 u(exact) - log2 max(tf_l, tf_r, tf_minimum_u))
                    tf_r = cand[f"tf_{lv.tf_column}"].to_numpy().astype(float)
                    tf_l = ctx.tf(lv.tf_column, q[lv.tf_column][0])
                    tf = np.fmax(tf_r, tf_l if tf_l is not None else np.nan)
                    tf = np.fmax(tf, lv.tf_min_u) if lv.tf_min_u else tf
                    adj = np.where(np.isnan(tf), 0.0, lv.tf_weight * (lv.log2_u_exact - np.log2(np.where(np.isnan(tf), 1.0, tf))))
                    w[hit] += adj[hit]
            total += w
            weights[f"mw_{comp.name}"] = w
        prob = 1.0 / (1.0 + np.power(2.0, -total))
        return cand.with_columns(*[pl.Series(k, v) for k, v in weights.items()],
                                 pl.Series("match_weight", total), pl.Series("match_probability", prob))

    def _candidates(self, ctx: _Context, std: pl.DataFrame, scored: pl.DataFrame | None,
                    key_hits: dict[str, tuple[str, str]], floor: float, ses: _Session) -> list[Candidate]:
        ids = self.settings.identity
        out: dict[str, Candidate] = {}
        for cid, (rk, key) in key_hits.items():
            out[cid] = Candidate(cid, 1.0, None, "match", "trusted_key", rk,
                                 [{"field": key, "words": KEY_WORDS.get(key, key), "supports": True}])
        if scored is None or not scored.height:
            return list(out.values())
        best = (scored.filter(pl.col("match_probability") >= floor)
                .sort(["match_probability", "record_key"], descending=[True, False])
                .unique("customer_id", keep="first", maintain_order=True))
        if not best.height:
            return list(out.values())
        vetoes = self._vetoes(std, best, scored, ses)
        for r in best.iter_rows(named=True):
            ev = self._evidence(ctx, r)
            if r["customer_id"] in out:
                out[r["customer_id"]].evidence += [e for e in ev if e["field"] not in ("erp_key", "bonus_key")]
                out[r["customer_id"]].match_weight = round(r["match_weight"], 3)
                continue
            veto = vetoes.get(r["record_key"])
            p = float(r["match_probability"])
            decision = "match" if p >= ids.match_threshold and veto is None else "possible"
            if veto:
                ev.append({"field": "veto", "words": VETO_WORDS.get(veto, veto), "supports": False})
            out[r["customer_id"]] = Candidate(r["customer_id"], round(p, 6), round(r["match_weight"], 3),
                                              decision, "model", r["record_key"], ev, veto)
        return list(out.values())

    def _vetoes(self, std: pl.DataFrame, best: pl.DataFrame, scored: pl.DataFrame, ses: _Session) -> dict[str, str]:
        """Batch resolution's vetoes on the pairs that would link (record key → reason); the
        household context is the query and every scored candidate."""
        ids = self.settings.identity
        linking = best.filter(pl.col("match_probability") >= ids.match_threshold)
        if not linking.height:
            return {}
        gcols = [c for c in linking.columns if c.startswith("gamma_")]
        edges = linking.select(pl.lit(QUERY_KEY).alias("record_key_l"), pl.col("record_key").alias("record_key_r"),
                               "match_probability", *gcols)
        cols = ["record_key", "source_system", "first_name_std", "first_name_first", "first_name_initials",
                "last_name_core", "postcode_std", "street_std", "house_number_std", "city_std", "birth_date",
                "name_suffix", "erp_key", "bonus_key"]
        both = pl.concat([std.select(cols), scored.select(cols)], how="vertical_relaxed")
        always = ses.ctx.index.vetoes_on_every_pair
        # identity.veto.vetoes' SQL on this connection (its macros loaded once), then the
        # evidence and household vetoes as batch applies them (identity.veto.apply_vetoes)
        contact = pl.lit(True).alias("shared_contact") if always else shared_contact(edges)
        edges_in = edges.select("record_key_l", "record_key_r", contact)
        # without a contact on both sides the SQL can only find sen./jun. (both suffixes set):
        # with none on the query's side every pair would come out NULL, so it is not run
        if not edges_in["shared_contact"].any() and std["name_suffix"][0] is None:
            return self._soft_vetoes(edges, both, None, ses)
        hard = pl.DataFrame(ses.run("vetoes", {"edges": edges_in, "std": both.select(VETO_STD_COLS)}).fetchall(),
                            schema={"record_key_l": pl.String, "record_key_r": pl.String, "veto": pl.String},
                            orient="row")
        return self._soft_vetoes(edges, both, hard, ses)

    def _soft_vetoes(self, edges: pl.DataFrame, both: pl.DataFrame, hard: pl.DataFrame | None,
                     ses: _Session) -> dict[str, str]:
        """identity.veto's evidence and household vetoes after the SQL ones (``hard``; None: none)."""
        ids = self.settings.identity
        e = edges.join(hard, on=["record_key_l", "record_key_r"], how="left") if hard is not None else \
            edges.with_columns(pl.lit(None, pl.String).alias("veto"))
        e = evidence_vetoes(e, ids, ses.ctx.index.distinct_contact_levels)
        # the household veto only touches pairs whose one strong piece of evidence is the address
        other = [c for c in INDEPENDENT_EVIDENCE if c != "gamma_address"]
        weak = e.filter(pl.col("veto").is_null() & ~pl.any_horizontal(
            [pl.col(c).fill_null(-1) >= INDEPENDENT_EVIDENCE[c] for c in other]))
        if weak.height:
            e = household_vetoes(e, both, ids, lambda recs: pl.DataFrame(ses.run("household", {"recs": recs}).fetchnumpy()))
        return {k: r for k, r in e.select("record_key_r", "veto").iter_rows() if r is not None}

    def _evidence(self, ctx: _Context, r: dict[str, Any]) -> list[dict[str, Any]]:
        ev = []
        for comp in ctx.model.comparisons:
            g = r.get(f"gamma_{comp.name}")
            lv = comp.levels.get(g) if g is not None else None
            if lv is None or g == -1:
                continue
            field_words = FIELD_WORDS.get(comp.name, comp.name)
            if g == 0:
                words = f"{field_words} differs"
            else:
                words = LEVEL_WORDS.get(comp.name, {}).get(lv.label, f"{field_words}: {lv.label}")
            w = float(r.get(f"mw_{comp.name}") or 0.0)
            ev.append({"field": comp.name, "words": words, "level": lv.label, "match_weight": round(w, 3),
                       "supports": w > 0})
        return ev


@dataclass
class _Privacy:
    """Who must not be found: erased record keys (tombstones) and customers, restricted customers."""

    erased_record_hashes: set[str]
    erased_customers: set[str]
    restricted_records: set[str]
    restricted_customers: set[str]

    @classmethod
    def load(cls, settings: Settings) -> _Privacy:
        tomb = store.read_tombstones(settings)
        restr = store.read_restrictions(settings)
        return cls(hashes_of(tomb, "record_key"), set(store.read_erasures(settings)["customer_id"].drop_nulls()),
                   set(restr["record_key"].drop_nulls()), set(restr["customer_id"].drop_nulls()))

    def keep(self, settings: Settings, cands: list[Candidate]) -> list[Candidate]:
        out = []
        for c in cands:
            if c.customer_id in self.erased_customers or c.customer_id in self.restricted_customers \
                    or c.record_key in self.restricted_records:
                continue
            if self.erased_record_hashes and \
                    keyed_hash(settings.privacy.secret, "record_key", c.record_key) in self.erased_record_hashes:
                continue
            out.append(c)
        return out


class _TfLookup:
    """Term frequencies of the model's TF tables, loaded per column on first use."""

    def __init__(self, ref: m.ModelRef):
        self.ref = ref
        self.columns = tf_columns(ref)
        self._maps: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def __call__(self, column: str, value: Any) -> float | None:
        if value is None:
            return None
        if column not in self._maps:
            with self._lock:
                p = self.ref.tf_dir / f"tf_{column}.parquet"
                tf = pl.read_parquet(p) if p.is_file() else pl.DataFrame({column: [], f"tf_{column}": []})
                self._maps[column] = dict(zip(tf[column].cast(pl.String).to_list(),
                                              tf[f"tf_{column}"].to_list(), strict=True))
        return self._maps[column].get(str(value))


def _score_input(q: pl.DataFrame, cand: pl.DataFrame, tf: _TfLookup) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The query and candidate tables the comparison SQL reads (Splink input, TF columns,
    ``source_dataset``)."""
    cols = [c for c in m.INPUT_COLUMNS if c in cand.columns] + [f"tf_{c}" for c in tf.columns]
    q = q.with_columns(pl.lit(None, pl.Float64).alias(c) for c in cols if c not in q.columns)
    return (q.select(cols).with_columns(pl.lit(QUERY_SOURCE).alias("source_dataset")),
            cand.select(cols).with_columns(pl.col("source_system").alias("source_dataset")))


def _tf_lookup(ref: m.ModelRef) -> _TfLookup:
    return _TfLookup(ref)


def _retired(settings: Settings) -> dict[str, str]:
    """Retired customer id → the current one (merges), from ``customer_id_history``."""
    p = output_path(settings, "customer_id_history")
    if not p.is_file():
        return {}
    h = pl.read_parquet(p, columns=["old_customer_id", "new_customer_id"]).drop_nulls()
    h = h.filter(pl.col("old_customer_id") != pl.col("new_customer_id"))
    out = dict(h.iter_rows())
    for k in list(out):  # follow chains of merges
        seen = {k}
        while out[k] in out and out[k] not in seen:
            seen.add(out[k])
            out[k] = out[out[k]]
    return out


@dataclass
class _Context:
    index: CandidateIndex
    model: ScoredModel
    privacy: _Privacy
    tf: _TfLookup
    retired: dict[str, str]
    #: statement name -> SQL over the tables below (prepared once per session)
    statements: dict[str, str]
    #: the per-query input tables (empty frames give their schema)
    tables: dict[str, pl.DataFrame]


_EDGES_SCHEMA = pl.DataFrame(schema={"record_key_l": pl.String, "record_key_r": pl.String, "shared_contact": pl.Boolean})


class _Session:
    """One DuckDB connection holding the per-query input tables and the context's statements,
    prepared once: Splink's comparison SQL takes ~10 ms to plan and ~2 ms to run on a few
    dozen pairs, so a query fills the tables and executes the plan (a table's rows change, its
    definition does not: the plan stays valid)."""

    def __init__(self, ctx: _Context):
        self.ctx = ctx
        self.con = duckdb.connect()
        self.con.execute("SET threads = 1")
        self.con.execute("SET enable_progress_bar = false")
        # a plan for a few dozen rows needs no optimizer (it made Splink's SQL ~4x slower to run)
        self.con.execute("PRAGMA disable_optimizer")
        self.con.execute(VETO_MACROS_SQL)
        for name, frame in ctx.tables.items():
            self.con.register("__input", frame.to_arrow())
            self.con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM __input')
            self.con.unregister("__input")
        for name, sql in ctx.statements.items():
            self.con.execute(f"PREPARE {name} AS {sql}")

    def run(self, statement: str, inputs: dict[str, pl.DataFrame]) -> duckdb.DuckDBPyConnection:
        """Fill the input tables with ``inputs`` and execute the prepared ``statement`` (fetch
        its result from the returned connection)."""
        for name, frame in inputs.items():
            self.con.execute(f'DELETE FROM "{name}"')
            # read by DuckDB's scan of this local variable: cheaper than registering it
            query_input = frame.to_arrow()  # noqa: F841
            self.con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM query_input')
        return self.con.execute(f"EXECUTE {statement}")

    def close(self) -> None:
        self.con.close()


def identify(settings: Settings, fields: dict[str, Any], limit: int = 5,
             min_probability: float | None = None) -> IdentifyResult:
    """One-shot :meth:`Identifier.identify` (the CLI; a server keeps one :class:`Identifier`)."""
    return Identifier(settings).identify(fields, limit=limit, min_probability=min_probability)
