"""The candidate index for ``cdp identify``: blocking key → record rows, on disk beside identity.

One record is identified by scoring it against the few base records that share a value of one of
the model's prediction blocking rules (the same rules batch resolution blocks on), not against all
of them. The index makes finding those records a binary search:

* ``records.arrow``: the Splink input of every person record (``identity.model.splink_input``,
  with the batch's blocking caps), its ``customer_id`` and term frequencies, as an uncompressed
  Arrow IPC file that is memory-mapped (row number = row id);
* per blocking rule, ``rule_<i>_hash.npy`` (sorted 64-bit hashes of the rule's key) and
  ``rule_<i>_row.npy`` (the row ids in the same order), memory-mapped by numpy;
* ``meta.json``: the rules, and the files (size and time) and versions the index was built from.

It is built on the first identify after ``cdp resolve`` (or with ``cdp identify --build-index``)
and rebuilt when any input changed: a new resolve, an erasure (``cdp forget`` rewrites the
identity outputs and removes the index), a new model. It holds personal data like
``person_records_std.parquet`` and lives next to it (``data/lake/identity/identify/``).
"""

from __future__ import annotations

import fcntl
import json
import logging
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc

from cdp.config import Settings
from identity import model as m
from identity.io import output_path

log = logging.getLogger(__name__)

#: Bump when the index files change shape.
INDEX_VERSION = 2
#: Separator between the parts of a blocking key before hashing (never inside a value).
_SEP = "\x1f"
_SEED = 20261207
#: A query column for a capped blocking column: the batch blocks on ``email_block`` (the e-mail
#: when at most ``MAX_BLOCK_VALUE_RECORDS`` records share it); the query is matched on its e-mail.
QUERY_COLUMN = {"email_block": "email_std", "phone_block": "phone_e164", "mobile_block": "mobile_e164",
                "birth_date_block": "birth_date", "postcode_block": "postcode_std"}
_EQ = re.compile(r'^\s*l\."?(\w+)"?\s*=\s*r\."?(\w+)"?\s*$')


@dataclass
class Rule:
    """One blocking rule as an equality of columns: the base records' ``columns`` equal the
    query's ``query_columns`` (the same for a ``block_on`` rule, crossed for the swapped names)."""

    name: str
    columns: list[str]
    query_columns: list[str]


def rules_of(model: m.ModelRef) -> list[Rule]:
    """The model's prediction blocking rules (``cdp_setup`` in its JSON) as :class:`Rule`\\ s.

    A rule given as SQL is used when it is a conjunction of ``l.x = r.y`` equalities (the swapped
    names rule); any other SQL rule is left out of the index (logged: those pairs are then found
    only by the other rules).
    """
    d = json.loads(model.path.read_text())
    setup = d.get("cdp_setup") or {}
    raw = setup.get("blocking_rules") or [
        r["blocking_rule"] for r in d.get("blocking_rules_to_generate_predictions", [])]
    out = []
    for r in raw:
        if isinstance(r, list):
            cols = [str(c) for c in r]
            out.append(Rule("+".join(cols), cols, [QUERY_COLUMN.get(c, c) for c in cols]))
            continue
        matched = [_EQ.match(p) for p in re.split(r"(?i)\s+AND\s+", r)]
        parts = [p for p in matched if p is not None]
        if len(parts) < len(matched):
            log.warning("identify: blocking rule %r is not a conjunction of equalities: not indexed", r)
            continue
        # l.x = r.y: the base record (r) holds y, the query (l) holds x
        out.append(Rule(r, [p.group(2) for p in parts], [QUERY_COLUMN.get(p.group(1), p.group(1)) for p in parts]))
    return out


def key_hash(columns: list[str]) -> pl.Expr:
    """The 64-bit hash of a blocking key (null when any part is null, as SQL equality)."""
    key = pl.concat_str([pl.col(c).cast(pl.String) for c in columns], separator=_SEP)
    return pl.when(key.is_not_null()).then(key.hash(seed=_SEED))


def index_dir(settings: Settings) -> Path:
    """``data/lake/identity/identify/``."""
    return settings.paths.identity / "identify"


def _stamp(p: Path) -> list[int] | None:
    try:
        st = p.stat()
    except FileNotFoundError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _inputs(settings: Settings, model: m.ModelRef) -> dict:
    files = [output_path(settings, "person_records_std"), output_path(settings, "identity_link"), model.path]
    files += sorted(model.tf_dir.glob("tf_*.parquet")) if model.tf_dir.is_dir() else []
    return {"index_version": INDEX_VERSION, "input_version": m.INPUT_VERSION, "polars": pl.__version__,
            "model_version": model.version, "files": {str(p): _stamp(p) for p in files}}


def index_is_current(settings: Settings, model: m.ModelRef) -> bool:
    """The index exists and was built from the current identity outputs and model."""
    meta = index_dir(settings) / "meta.json"
    if not meta.is_file():
        return False
    try:
        return json.loads(meta.read_text()).get("inputs") == _inputs(settings, model)
    except (OSError, ValueError):
        return False


def drop_index(settings: Settings) -> bool:
    """Remove the index (it holds personal data; ``cdp forget`` calls this). True if one existed."""
    d = index_dir(settings)
    if d.exists():
        shutil.rmtree(d)
        return True
    return False


def tf_columns(model: m.ModelRef) -> list[str]:
    """The term-frequency columns the model's levels use."""
    used = {lv.get("tf_adjustment_column") for c in json.loads(model.path.read_text())["comparisons"]
            for lv in c["comparison_levels"]}
    return [c for c in m.TF_COLUMNS if c in used]


def build_index(settings: Settings, model: m.ModelRef) -> dict:
    """Build the index from ``person_records_std``, ``identity_link`` and the model's TF tables.

    Returns:
        Counts and the build time (no personal data).

    Raises:
        FileNotFoundError: identity has not run yet.
    """
    t0 = time.perf_counter()
    inputs = _inputs(settings, model)
    std_p, link_p = output_path(settings, "person_records_std"), output_path(settings, "identity_link")
    for p in (std_p, link_p):
        if not p.is_file():
            raise FileNotFoundError(f"{p} not found: run `cdp resolve` (or `cdp run`) first")
    std = pl.read_parquet(std_p)
    link = pl.read_parquet(link_p, columns=["record_key", "customer_id"])
    recs = m.splink_input(std).join(link, on="record_key", how="inner").join(
        std.select("record_key", "name_suffix"), on="record_key", how="left")
    for col in tf_columns(model):
        p = model.tf_dir / f"tf_{col}.parquet"
        if p.is_file():
            tf = pl.read_parquet(p).select(col, f"tf_{col}").unique(col)
            recs = recs.join(tf, on=col, how="left")
        else:
            recs = recs.with_columns(pl.lit(None, pl.Float64).alias(f"tf_{col}"))
    rules = rules_of(model) + LOOKUPS
    d = index_dir(settings)
    tmp = d.with_name(d.name + ".building")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    table = recs.to_arrow()
    with ipc.new_file(str(tmp / "records.arrow"), table.schema) as w:
        w.write_table(table)
    sizes = {}
    for i, rule in enumerate(rules):
        missing = [c for c in rule.columns if c not in recs.columns]
        if missing:
            log.warning("identify: rule %s needs columns %s the records lack: not indexed", rule.name, missing)
            continue
        h = (recs.select(key_hash(rule.columns).alias("h")).with_row_index("row")
             .drop_nulls("h").sort("h"))
        np.save(tmp / f"rule_{i}_hash.npy", h["h"].to_numpy())
        np.save(tmp / f"rule_{i}_row.npy", h["row"].cast(pl.UInt32).to_numpy())
        sizes[rule.name] = h.height
    # the vetoes batch applied: on every pair, or only where both records carry contacts
    runs = pl.read_parquet(output_path(settings, "runs")) if output_path(settings, "runs").is_file() else None
    always = bool(runs["vetoes_on_every_pair"][-1]) if runs is not None and "vetoes_on_every_pair" in runs.columns \
        and runs.height else False
    distinct = (runs["distinct_contact_levels"][-1] or "") if runs is not None and "distinct_contact_levels" in runs.columns \
        and runs.height else ""
    meta = {"inputs": inputs, "records": recs.height,
            "rules": [{"name": r.name, "columns": r.columns, "query_columns": r.query_columns, "file": i,
                       "keys": sizes.get(r.name)} for i, r in enumerate(rules)],
            "vetoes_on_every_pair": always, "distinct_contact_levels": [k for k in distinct.split(",") if k],
            "built_s": round(time.perf_counter() - t0, 3)}
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
    old = d.with_name(d.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if d.exists():
        d.rename(old)
    tmp.rename(d)
    if old.exists():
        shutil.rmtree(old)
    log.info("identify index built: %d records, %d rules in %.1f s", recs.height, len(sizes), meta["built_s"])
    return {"records": recs.height, "rules": len(sizes), "built_s": meta["built_s"]}


#: Exact lookups beside the blocking rules: a customer id the caller quotes.
LOOKUPS = [Rule("customer_id", ["customer_id"], ["customer_id"])]


@dataclass
class RuleIndex:
    """One indexed rule: sorted key hashes and their row ids (memory-mapped)."""

    rule: Rule
    hashes: np.ndarray
    rows: np.ndarray

    def span(self, h: int) -> tuple[int, int]:
        """Where the key hash ``h`` sits in :attr:`hashes` (``lo == hi``: no record has it)."""
        # as the array's own type: numpy would convert the whole array to compare it with a
        # Python int above 2**63 (8 ms per rule at 2.3 M records, instead of microseconds)
        key = self.hashes.dtype.type(h)
        return int(self.hashes.searchsorted(key, side="left")), int(self.hashes.searchsorted(key, side="right"))


class CandidateIndex:
    """The opened index: records (memory-mapped Arrow) and one sorted hash array per rule."""

    def __init__(self, settings: Settings):
        d = index_dir(settings)
        self.meta = json.loads((d / "meta.json").read_text())
        self._source = pa.memory_map(str(d / "records.arrow"))
        self.table = ipc.open_file(self._source).read_all()
        records = pl.from_arrow(self.table)
        assert isinstance(records, pl.DataFrame)
        self.records: pl.DataFrame = records
        self.rules: list[RuleIndex] = []
        for r in self.meta["rules"]:
            f = d / f"rule_{r['file']}_hash.npy"
            if r.get("keys") is None or not f.is_file():
                continue
            self.rules.append(RuleIndex(Rule(r["name"], r["columns"], r["query_columns"]),
                                        np.load(f, mmap_mode="r"),
                                        np.load(d / f"rule_{r['file']}_row.npy", mmap_mode="r")))
        self.vetoes_on_every_pair = bool(self.meta.get("vetoes_on_every_pair"))
        self.distinct_contact_levels: list[str] = list(self.meta.get("distinct_contact_levels") or [])

    def candidate_rows(self, query: pl.DataFrame, max_block: int) -> tuple[np.ndarray, dict[str, int]]:
        """Row ids of base records sharing a blocking key with the one-row ``query`` (its Splink
        input), and per rule how many rows it found. A key shared by more than ``max_block``
        records is skipped (the batch caps broad blocks the same way)."""
        usable = [ri for ri in self.rules if all(c in query.columns for c in ri.rule.query_columns)]
        if not usable:
            return np.empty(0, np.uint32), {}
        keys = query.select([key_hash(ri.rule.query_columns).alias(str(i)) for i, ri in enumerate(usable)]).row(0)
        found, per_rule = [], {}
        for ri, h in zip(usable, keys, strict=True):
            if h is None:
                continue
            lo, hi = ri.span(h)
            if hi == lo:
                continue
            per_rule[ri.rule.name] = hi - lo
            if hi - lo > max_block:
                continue
            found.append(np.asarray(ri.rows[lo:hi]))
        rows = np.unique(np.concatenate(found)) if found else np.empty(0, np.uint32)
        return rows, per_rule

    def rows_where(self, column: str, value: str) -> np.ndarray:
        """Row ids whose ``column`` equals ``value``: the rule indexing exactly that column, else a scan."""
        for ri in self.rules:
            if ri.rule.query_columns == [column]:
                lo, hi = ri.span(pl.DataFrame({column: [value]}).select(key_hash([column])).item())
                rows = np.asarray(ri.rows[lo:hi])
                return rows[(self.records[column].gather(rows) == value).to_numpy()] if len(rows) else rows
        return self.records.with_row_index("_row").filter(pl.col(column) == value).get_column("_row").to_numpy()


def open_index(settings: Settings, model: m.ModelRef) -> CandidateIndex:
    """The index for the current identity outputs, built first when missing or out of date."""
    if not index_is_current(settings, model):
        with atomic_lock(settings):
            if not index_is_current(settings, model):
                build_index(settings, model)
    return CandidateIndex(settings)


class atomic_lock:  # noqa: N801 - a context manager used like a function
    """An exclusive file lock so two processes do not build the index at once."""

    def __init__(self, settings: Settings):
        self.path = settings.paths.identity / ".identify-index.lock"

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("w")
        fcntl.flock(self._fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self._fh.close()
