"""Data contracts: one YAML file per source (``data_contracts/<source>.yml``), read generically.

A contract says which landing files belong to which entity, how to read them (format, encoding,
delimiter, decimal mark, date/time formats, time zone), what a valid row is (field types,
required, pattern, allowed values, ranges, primary key, table-level expectations) and how the
fields map onto the canonical schema (:mod:`cdp.schema`). Adding a source means adding a YAML
file; no Python changes. The format is documented in ``docs/ingestion.md``.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from cdp.config import Settings
from cdp.schema import CANONICAL_TABLES

FORMATS = ("csv", "json", "jsonl")
FIELD_TYPES = ("string", "int", "decimal", "bool", "date", "timestamp", "list", "json")
EXPECTATIONS = ("row_count_between", "unique", "max_failed_share")
# Keys a canonical column mapping may use (see docs/ingestion.md, "Mapping").
#: ``on_invalid`` values of a field (see :class:`FieldSpec`).
ON_INVALID = ("quarantine", "null")
MAPPING_KEYS = {"field", "const", "map", "default", "prefix", "sign", "template", "if_present",
                "then", "else", "split"}
READ_OPTIONS = ("encoding", "delimiter", "quote", "decimal", "date_format", "timestamp_format",
                "timezone")
DEFAULT_READ = {
    "encoding": "utf-8",
    "delimiter": ",",
    "quote": '"',
    "decimal": ".",
    "date_format": "%Y-%m-%d",
    "timestamp_format": "iso8601",
    "timezone": "UTC",
}


class ContractError(ValueError):
    """A contract file is itself invalid (names the file, entity and key)."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of an entity: where it is in the row and what a valid value is."""

    name: str  # column name in the staged table
    source: str  # CSV header, or JSON path (``address.street``, ``items[*].product_model``)
    type: str = "string"
    required: bool = False
    pattern: str | None = None
    allowed: tuple[str, ...] | None = None
    min: Any = None
    max: Any = None
    format: str | None = None  # date / timestamp format (strftime, or "iso8601")
    timezone: str | None = None  # for timestamps without an offset
    decimal: str = "."
    split: str | None = None  # list fields delivered as one delimited string
    #: What a value that breaks this field's type / pattern / allowed / min / max rule does:
    #: ``quarantine`` the row (default), or ``null``: the row is staged with this field empty and
    #: the rule counted in the load's rule counts and warnings (never silently).
    on_invalid: str = "quarantine"


@dataclass(frozen=True)
class Expectation:
    """A table-level quality expectation (row counts, uniqueness, failed-row share)."""

    kind: str
    column: str | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Entity:
    """One kind of file of a source (``erp/customers``), with its fields and canonical mapping."""

    source: str
    name: str
    files: tuple[str, ...]
    format: str
    encoding: str
    delimiter: str
    quote: str
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...]
    expectations: tuple[Expectation, ...]
    canonical: dict[str, dict[str, Any]]  # canonical table -> {column: mapping}
    contract_file: str
    allow_empty: bool = False  # a 0-byte file is a delivery without records (JSON Lines deltas)

    @property
    def key(self) -> str:
        return f"{self.source}/{self.name}"

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def matches(self, filename: str) -> bool:
        """Whether a landing file name belongs to this entity (glob on the file name)."""
        return any(fnmatch.fnmatch(filename, g) for g in self.files)


@dataclass(frozen=True)
class Contract:
    """All entities of one source system."""

    source: str
    path: Path
    entities: tuple[Entity, ...]
    description: str = ""
    #: ``retention.guest_days``: days a guest checkout is kept (None: ``privacy.guest_retention_days``)
    guest_retention_days: int | None = None

    def entity_for(self, filename: str) -> Entity | None:
        """The entity whose glob matches ``filename``, or ``None``."""
        for e in self.entities:
            if e.matches(filename):
                return e
        return None


def load_contract(path: str | Path) -> Contract:
    """Read and check one contract YAML file.

    Raises:
        ContractError: naming the file, entity and key that is wrong.
    """
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ContractError(f"{path}: cannot read contract: {exc}") from exc
    if not isinstance(doc, dict):
        raise ContractError(f"{path}: a contract must be a mapping with 'source' and 'entities'")
    source = _req(doc, "source", path)
    defaults = {**DEFAULT_READ, **(doc.get("defaults") or {})}
    ents = doc.get("entities") or {}
    if not isinstance(ents, dict) or not ents:
        raise ContractError(f"{path}: 'entities' must be a non-empty mapping")
    entities = tuple(_entity(source, name, spec or {}, defaults, path) for name, spec in ents.items())
    return Contract(source=str(source), path=path, entities=entities,
                    description=str(doc.get("description", "")),
                    guest_retention_days=_guest_days(doc.get("retention"), path))


def _guest_days(ret: Any, path: Path) -> int | None:
    if ret is None:
        return None
    if not isinstance(ret, dict):
        raise ContractError(f"{path}: 'retention' must be a mapping like {{guest_days: 730}}")
    if ret.get("guest_days") is None:
        return None
    try:
        return int(ret["guest_days"])
    except (TypeError, ValueError) as exc:
        raise ContractError(f"{path}: retention.guest_days must be a number of days") from exc


def contracts_dir(settings: Settings) -> Path:
    """The contracts directory (``ingest.contracts_dir``): as configured when it exists or is
    absolute, else relative to the repository (so ``dagster dev`` and tests work anywhere)."""
    configured = Path(settings.ingest.contracts_dir)
    if configured.is_absolute() or configured.is_dir():
        return configured
    return Path(__file__).resolve().parents[1] / configured


def contracts_of(settings: Settings) -> dict[str, Contract]:
    """The data contracts of ``settings``, by source name (the one place contracts are loaded)."""
    return load_contracts(contracts_dir(settings))


def load_contracts(directory: str | Path) -> dict[str, Contract]:
    """All contracts in a directory, by source name."""
    directory = Path(directory)
    out: dict[str, Contract] = {}
    for p in sorted(directory.glob("*.y*ml")):
        c = load_contract(p)
        if c.source in out:
            raise ContractError(f"{p}: source {c.source!r} is already defined in {out[c.source].path}")
        out[c.source] = c
    return out


def _req(doc: dict, key: str, where: Any) -> Any:
    if key not in doc or doc[key] in (None, ""):
        raise ContractError(f"{where}: missing required key {key!r}")
    return doc[key]


def _entity(source: str, name: str, spec: dict, defaults: dict, path: Path) -> Entity:
    where = f"{path}: entity {name!r}"
    opts = {k: spec.get(k, defaults[k]) for k in READ_OPTIONS}
    fmt = spec.get("format", defaults.get("format"))
    if fmt not in FORMATS:
        raise ContractError(f"{where}: format must be one of {FORMATS}, got {fmt!r}")
    files = spec.get("files")
    if not files:
        raise ContractError(f"{where}: missing 'files' (a glob such as 'kunden_*.csv')")
    files = (files,) if isinstance(files, str) else tuple(files)
    raw_fields = spec.get("fields") or {}
    if not raw_fields:
        raise ContractError(f"{where}: 'fields' is empty")
    fields = tuple(_field(fname, fspec or {}, opts, f"{where}, field {fname!r}")
                   for fname, fspec in raw_fields.items())
    names = {f.name for f in fields}
    pk = spec.get("primary_key") or []
    pk = (pk,) if isinstance(pk, str) else tuple(pk)
    for k in pk:
        if k not in names:
            raise ContractError(f"{where}: primary_key {k!r} is not a field")
    exps = _expectations(spec.get("expectations") or [], names, where)
    canonical = spec.get("canonical") or {}
    _check_canonical(canonical, names, where)
    return Entity(source=str(source), name=str(name), files=files, format=fmt,
                  encoding=opts["encoding"], delimiter=opts["delimiter"], quote=opts["quote"],
                  fields=fields, primary_key=pk, expectations=tuple(exps),
                  canonical={t: dict(m or {}) for t, m in canonical.items()},
                  contract_file=str(path),
                  allow_empty=bool(spec.get("allow_empty", defaults.get("allow_empty", False))))


def _expectations(specs: list[dict], names: set[str], where: str) -> list[Expectation]:
    exps = []
    for i, e in enumerate(specs):
        kind = e.get("expect")
        if kind not in EXPECTATIONS:
            raise ContractError(f"{where}: expectations[{i}]: 'expect' must be one of {EXPECTATIONS}")
        col = e.get("column")
        if col is not None and col not in names:
            raise ContractError(f"{where}: expectations[{i}]: column {col!r} is not a field")
        exps.append(Expectation(kind=kind, column=col, min=e.get("min"), max=e.get("max")))
    return exps


def _check_canonical(canonical: dict, names: set[str], where: str) -> None:
    for table, mapping in canonical.items():
        if table not in CANONICAL_TABLES:
            raise ContractError(f"{where}: canonical table {table!r} is not one of {list(CANONICAL_TABLES)}")
        schema = CANONICAL_TABLES[table]
        for col, m in (mapping or {}).items():
            if col not in schema:
                raise ContractError(f"{where}: canonical.{table}.{col}: no such column in cdp.schema")
            _check_mapping(m, names, f"{where}: canonical.{table}.{col}")
        id_col = "source_record_id" if table == "person_records" else "source_event_id"
        if id_col not in (mapping or {}):
            raise ContractError(f"{where}: canonical.{table} must map {id_col!r}")


def _field(name: str, spec: dict | str, opts: dict, where: str) -> FieldSpec:
    if isinstance(spec, str):
        spec = {"type": spec}
    ftype = spec.get("type", "string")
    if ftype not in FIELD_TYPES:
        raise ContractError(f"{where}: type must be one of {FIELD_TYPES}, got {ftype!r}")
    fmt = spec.get("format")
    if ftype == "date":
        fmt = fmt or opts["date_format"]
    elif ftype == "timestamp":
        fmt = fmt or opts["timestamp_format"]
    allowed = spec.get("allowed")
    # YAML reads a bare ``on_invalid: null`` as None: the user means "null"
    on_invalid = "null" if "on_invalid" in spec and spec["on_invalid"] is None else spec.get("on_invalid", "quarantine")
    if on_invalid not in ON_INVALID:
        raise ContractError(f"{where}: on_invalid must be one of {ON_INVALID}, got {on_invalid!r}")
    if on_invalid == "null" and spec.get("required"):
        raise ContractError(f"{where}: a required field cannot use on_invalid: null (it would stage an empty value)")
    return FieldSpec(
        name=str(name),
        source=str(spec.get("column") or spec.get("path") or name),
        type=ftype,
        required=bool(spec.get("required", False)),
        pattern=spec.get("pattern"),
        allowed=tuple(str(a) for a in allowed) if allowed is not None else None,
        min=_bound(spec.get("min")),
        max=_bound(spec.get("max")),
        format=fmt,
        timezone=spec.get("timezone", opts["timezone"]),
        decimal=str(spec.get("decimal", opts["decimal"])),
        split=spec.get("split"),
        on_invalid=on_invalid,
    )


def _bound(v: Any) -> Any:
    if isinstance(v, str) and v == "today":
        return date.today()
    return v


def _check_mapping(m: Any, names: set[str], where: str) -> None:
    if isinstance(m, str):
        if m not in names:
            raise ContractError(f"{where}: field {m!r} is not a field of the entity")
        return
    if not isinstance(m, dict):
        if m is None or isinstance(m, (int, float, bool)):
            return
        raise ContractError(f"{where}: a mapping is a field name or a mapping with {sorted(MAPPING_KEYS)}")
    bad = set(m) - MAPPING_KEYS
    if bad:
        raise ContractError(f"{where}: unknown mapping key(s) {sorted(bad)}; allowed {sorted(MAPPING_KEYS)}")
    for k in ("field", "if_present"):
        if k in m and m[k] not in names:
            raise ContractError(f"{where}: {k} {m[k]!r} is not a field of the entity")
    if "sign" in m:
        _check_mapping(m["sign"], names, f"{where}.sign")
    for k in ("then", "else"):
        if k in m:
            _check_mapping(m[k], names, f"{where}.{k}")
