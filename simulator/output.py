"""Serialise source exports in their native formats and inject the defects of ``--dirty-rate``.

Each file is produced from one frame whose rows are already in file order, so the 1-based row
number of a data record is its frame index + 1. Defects are applied to the frame (dates, keys,
amounts) or to the serialised bytes (broken encoding, malformed JSON lines).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from cdp.lake import atomic_path


@dataclass
class FileSpec:
    """How one export file is written and which defects it can carry."""

    source: str
    entity: str
    prefix: str  # file name prefix: ``kunden`` → ``kunden_YYYYMMDD.csv``
    fmt: str  # erp_csv | bonus_csv | jsonl | json_array
    pk: str
    date_col: str  # an always-filled date column for ``bad_date``
    date_kind: str  # erp_date | iso_date | iso_ts | local_ts
    alt_date_col: str | None = None  # preferred when filled (e.g. a birth date)
    alt_date_kind: str | None = None
    amount_col: str | None = None
    amount_kind: str | None = None  # str (formatted text) | num (JSON number)
    enc_field: str | None = None  # column whose value receives the broken bytes
    person: bool = False  # rows describe persons (for is_dirty in the truth)
    defects: list[str] = field(default_factory=list)

    @property
    def ext(self) -> str:
        return {"erp_csv": "csv", "bonus_csv": "csv", "jsonl": "jsonl", "json_array": "json"}[self.fmt]


_BAD_DATES = {
    "erp_date": ["31.02.{y}", "{y}-{m}-{d}", "00.00.0000", "32.13.{y}", "{d}/{m}/{y}"],
    "iso_date": ["{y}-02-30", "{d}.{m}.{y}", "0000-00-00", "{y}-13-01"],
    "iso_ts": ["{y}-02-30T10:00:00+01:00", "{d}.{m}.{y} 10:15", "{y}-13-01T25:61:00Z", "unbekannt"],
    "local_ts": ["{y}-02-30 10:00:00", "{d}.{m}.{y} 10:15", "{y}-13-01 25:61:00"],
}


def _bad_date(kind: str, u: float) -> str:
    opts = _BAD_DATES[kind]
    y = 1950 + int(u * 1e6) % 70
    m = 1 + int(u * 1e4) % 12
    d = 1 + int(u * 1e5) % 28
    return opts[int(u * 97) % len(opts)].format(y=y, m=f"{m:02d}", d=f"{d:02d}")


def serialise(df: pl.DataFrame, fmt: str, header: bool = True) -> bytes:
    """The bytes of one export chunk (without defects at byte level)."""
    if fmt == "erp_csv":
        text = df.write_csv(separator=";", line_terminator="\r\n", quote_style="necessary",
                            include_header=header)
        return text.encode("cp1252")
    if fmt == "bonus_csv":
        return df.write_csv(separator=",", line_terminator="\n", include_header=header).encode("utf-8")
    if fmt in ("jsonl", "json_array"):
        if df.height == 0:
            return b""
        buf = io.BytesIO()
        if fmt == "jsonl":
            df.write_ndjson(buf)
            return buf.getvalue()
        df.write_json(buf)
        return buf.getvalue()[1:-1]  # the caller writes the enclosing brackets
    raise ValueError(f"unknown export format {fmt}")


CHUNK_ROWS = 200_000


def write_export(path: Path, df: pl.DataFrame, spec: FileSpec, rate: float, rng: np.random.Generator,
                 rel_file: str) -> tuple[list[dict], np.ndarray]:
    """Write one export file in chunks, injecting defects into a share ``rate`` of its rows.

    Returns the dirty-row truth entries and the (0-based) indices of the dirty rows.
    """
    n = df.height
    entries: list[dict] = []
    dirty = np.array([], dtype=np.int64)
    kinds = np.array([], dtype=str)
    us = np.array([])
    if n and rate > 0 and spec.defects:
        dirty = np.flatnonzero(rng.random(n) < rate)
        kinds = np.array(spec.defects)[rng.integers(0, len(spec.defects), len(dirty))]
        us = rng.random(len(dirty))
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        if spec.fmt == "json_array":
            fh.write(b"[")
        for off in range(0, max(n, 1), CHUNK_ROWS):
            chunk = df.slice(off, CHUNK_ROWS)
            sel = (dirty >= off) & (dirty < off + CHUNK_ROWS)
            data, ents = _chunk_bytes(chunk, spec, _ChunkDefects(dirty[sel] - off, kinds[sel], us[sel]),
                                      _ChunkPlace(off, rel_file, header=off == 0))
            if spec.fmt == "json_array" and off > 0 and data:
                fh.write(b",")
            fh.write(data)
            entries += ents
        if spec.fmt == "json_array":
            fh.write(b"]")
    return entries, dirty


@dataclass(frozen=True)
class _ChunkDefects:
    """The defects to inject into one chunk: row indices within it, defect kinds, uniform draws."""

    rows: np.ndarray
    kinds: np.ndarray
    draws: np.ndarray


@dataclass(frozen=True)
class _ChunkPlace:
    """Where a chunk sits: its first row's offset in the file, the file (relative), and whether
    it opens the file (writes the header)."""

    offset: int
    rel_file: str
    header: bool


def _chunk_bytes(df, spec, defects: _ChunkDefects, place: _ChunkPlace):
    dirty, kinds, us = defects.rows, defects.kinds, defects.draws
    off, rel_file, header = place.offset, place.rel_file, place.header
    entries: list[dict] = []
    line_edits: list[tuple[int, str]] = []
    col_edits: dict[str, tuple[list[int], list]] = {}

    def edit(col, i, v):
        col_edits.setdefault(col, ([], []))
        col_edits[col][0].append(i)
        col_edits[col][1].append(v)

    alt = df[spec.alt_date_col] if spec.alt_date_col and len(dirty) else None
    amounts = df[spec.amount_col] if spec.amount_col and len(dirty) else None
    for i, kind, u in zip(dirty.tolist(), kinds.tolist(), us.tolist(), strict=True):
        column = None
        if kind == "bad_date":
            if alt is not None and alt[i] not in (None, ""):
                column, dk = spec.alt_date_col, spec.alt_date_kind
            else:
                column, dk = spec.date_col, spec.date_kind
            edit(column, i, _bad_date(dk, u))
        elif kind == "missing_required":
            column = spec.pk
            edit(column, i, "" if spec.fmt.endswith("csv") else None)
        elif kind == "negative_amount":
            column = spec.amount_col
            assert amounts is not None  # a spec with negative_amount defects names its amount column
            v = amounts[i]
            edit(column, i, ("-" + v) if spec.amount_kind == "str" else -abs(float(v)) - 0.01)
        else:  # byte-level defects
            column = spec.enc_field if kind == "bad_encoding" else None
            line_edits.append((i, kind))
        entries.append({"source_system": spec.source, "file": rel_file, "row_number": off + i + 1,
                        "defect": kind, "column": column})
    if col_edits:
        cols = {}
        for col, (idx, vals) in col_edits.items():
            s = df[col].clone()
            cols[col] = s.scatter(idx, pl.Series(vals, dtype=s.dtype))
        df = df.with_columns(**cols)
    data = serialise(df, spec.fmt, header=header)
    if line_edits:
        data = _edit_lines(data, line_edits, spec, list(df.columns), header)
    return data, entries


def _edit_lines(data: bytes, edits: list[tuple[int, str]], spec: FileSpec, columns: list[str],
                header: bool) -> bytes:
    arr = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    starts = np.concatenate([[0], nl + 1])
    skip = 1 if (header and spec.fmt.endswith("csv")) else 0
    parts, pos = [], 0
    for i, kind in sorted(edits):
        li = i + skip
        a, b = int(starts[li]), int(nl[li])  # line without its "\n"
        line = data[a:b]
        if kind == "malformed_json":
            new = line[: max(len(line) * 2 // 3, 5)]
        else:  # bad_encoding
            new = _break_encoding(line, spec, columns)
        parts.append(data[pos:a])
        parts.append(new)
        pos = b
    parts.append(data[pos:])
    return b"".join(parts)


def _break_encoding(line: bytes, spec: FileSpec, columns: list[str]) -> bytes:
    if spec.fmt == "jsonl":
        key = f'"{spec.enc_field}":"'.encode()
        k = line.find(key)
        if k < 0:
            k, key = line.find(b'":"'), b'":"'
        at = k + len(key)
        return line[:at] + b"\xe4\xfc" + line[at:]  # Latin-1 "äü" inside a UTF-8 file
    sep = b";" if spec.fmt == "erp_csv" else b","
    assert spec.enc_field is not None
    field_no = columns.index(spec.enc_field)
    at = 0
    for _ in range(field_no):
        at = line.index(sep, at) + 1
    # ERP: bytes undefined in cp1252; bonus: Latin-1 bytes in a UTF-8 file
    bad = b"\x81\x8d" if spec.fmt == "erp_csv" else b"\xe4\xfc"
    return line[:at] + bad + line[at:]

