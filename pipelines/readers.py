"""Read one landing file into a frame of raw field values, as the contract describes it.

Every reader returns one row per data record with ``_row_number`` (1-based, see docs/sources.md),
``_raw`` (the record's text), one String column per contract field (trimmed, empty = null; list
fields as lists), ``_extra`` (unexpected columns / keys as a JSON object string) and
``_read_error`` (the rule a row broke while being read: ``row:encoding``,
``row:malformed_json``, ``row:field_count``, ``row:quote``, ``row:truncated``: a last record
without a line break that is not whole). File-level problems raise :class:`FileRejected`.

Readers are polars/DuckDB native: no Python loops over rows. Big files are read in batches
(:func:`iter_chunks` splits the raw bytes at line boundaries; :func:`read_raw` reads one
chunk); checks that need the whole file (undecodable share, a required JSON key absent from
every record, schema-drift keys) are accumulated by the caller from the :class:`RawFile`
counters and decided once per file (:func:`check_file_totals`).
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from cdp.schema import Dtype
from pipelines.contracts import Entity

# UTF-8 text read as Windows-1252 ("StraÃŸe"): a capital A-tilde or A-circumflex followed by a
# character of the C1/Latin-1 supplement range is practically never legitimate German text.
MOJIBAKE = r"[ÃÂ][\x{80}-\x{BF}\x{152}\x{153}\x{160}\x{161}\x{178}\x{17D}\x{17E}\x{192}\x{2013}-\x{2122}]"
# A file whose rows are mostly undecodable is rejected as a whole rather than row by row.
MAX_UNDECODABLE_SHARE = 0.5
BOM = "\ufeff".encode()
# A column or key name we print in a message: a short identifier. Anything else (an e-mail
# address as a JSON key, a data row read as a header) may be personal data and is only counted.
PRINTABLE_NAME = re.compile(r"[^\W\d][\w\- .]{0,47}")


def names_for_message(names: list[str]) -> str:
    """``names`` as a message shows them: identifiers by name, anything else only counted."""
    shown = [n for n in names if PRINTABLE_NAME.fullmatch(n)]
    hidden = len(names) - len(shown)
    return str(shown) + (f" and {hidden} more whose names are not identifiers (not shown)" if hidden else "")


class FileRejected(Exception):
    """A whole file cannot be loaded; the message names the file, column and contract rule."""

    def __init__(self, message: str, rule: str, rows_read: int = 0):
        super().__init__(message)
        self.rule = rule
        self.rows_read = rows_read


class NeedsWholeFile(Exception):
    """A CSV chunk holds records spanning lines (or unbalanced quotes): read the file whole."""


@dataclass
class RawFile:
    """The raw rows of one file (or chunk) plus warnings (missing optional columns) and the
    counters the file-level checks add up over chunks."""

    frame: pl.DataFrame
    warnings: list[str] = field(default_factory=list)
    n_undecodable: int = 0  # rows breaking row:encoding
    n_json_objects: int = 0  # JSON rows that are objects
    required_keys_seen: set[str] = field(default_factory=set)  # required JSON fields present somewhere
    drift_keys: list[str] = field(default_factory=list)  # unexpected JSON keys (schema drift)


@dataclass
class FileScan:
    """One streamed pass over a landing file: content hash and the whole-file byte checks."""

    sha256: str
    size: int
    blank: bool  # empty or whitespace only
    has_nul: bool


def scan_file(path: Path, block: int = 1 << 24) -> FileScan:
    """Hash a file in blocks and note whether it is blank or holds NUL bytes (never held whole)."""
    h = hashlib.sha256()
    size, blank, nul = 0, True, False
    with open(path, "rb") as fh:
        while b := fh.read(block):
            h.update(b)
            size += len(b)
            blank = blank and not b.strip()
            nul = nul or b"\x00" in b
    return FileScan(h.hexdigest(), size, blank, nul)


def where_of(rel: str, entity: Entity) -> str:
    """How messages name a file: path, contract file and entity."""
    return f"{rel} (contract {entity.contract_file}, entity {entity.name})"


def check_file_bytes(scan: FileScan, rel: str, entity: Entity) -> RawFile | None:
    """File-level byte checks before reading. Returns an empty :class:`RawFile` for an allowed
    empty file, None when the file is to be read.

    Raises:
        FileRejected: empty file (not allowed), NUL bytes, unknown encoding.
    """
    where = where_of(rel, entity)
    if scan.blank and entity.allow_empty:
        return RawFile(_empty_frame(entity), [f"{where}: empty file, no records (allow_empty)"])
    if scan.blank:
        raise FileRejected(f"{where}: empty file (no header, no records), rule file:not_empty",
                           "file:not_empty")
    if scan.has_nul:
        raise FileRejected(
            f"{where}: undecodable as {entity.encoding} (NUL bytes: binary or UTF-16?), rule file:encoding",
            "file:encoding")
    try:
        codecs.lookup(entity.encoding)
    except LookupError as exc:
        raise FileRejected(f"{where}: unknown encoding {entity.encoding!r}", "contract:encoding") from exc
    return None


@dataclass
class Chunk:
    """Raw bytes of consecutive lines of a file (a CSV chunk starts with the header line)."""

    data: bytes
    first_line: int  # 1-based line number of the chunk's first line in the file (header excluded)
    last: bool


def iter_chunks(path: Path, entity: Entity, batch_rows: int, block: int = 1 << 24) -> Iterator[Chunk]:
    """Split a file at line boundaries into chunks of ``batch_rows`` lines (JSON arrays: one chunk).

    The file is read block by block, so only one chunk is held at a time; each CSV chunk gets
    the header line prepended. Newline bytes are found in the raw encoding (the contract
    encodings are ASCII-compatible; UTF-16 files are rejected for their NUL bytes).
    """
    if entity.format == "json" or batch_rows <= 0:
        yield Chunk(path.read_bytes(), 1, True)
        return
    size = path.stat().st_size
    header = b""
    parts: list[bytes] = []
    n_lines, first = 0, 1
    with open(path, "rb") as fh:
        if entity.format == "csv":
            header = fh.readline()
            first = 2
        while b := fh.read(block):
            cnt = b.count(b"\n")
            while n_lines + cnt >= batch_rows:
                need = batch_rows - n_lines  # newlines still wanted from this block
                pos = int(np.flatnonzero(np.frombuffer(b, dtype=np.uint8) == 10)[need - 1]) + 1
                parts.append(b[:pos])
                b, cnt = b[pos:], cnt - need
                last = not b and fh.tell() >= size
                yield Chunk(header + b"".join(parts), first, last)
                if last:
                    return
                parts, n_lines, first = [], 0, first + batch_rows
            parts.append(b)
            n_lines += cnt
    yield Chunk(header + b"".join(parts), first, True)


def read_raw(data: bytes, rel: str, entity: Entity, *, first_line: int = 1, whole: bool = True) -> RawFile:
    """Decode and split one file's (or chunk's) bytes into raw rows per the entity's contract.

    Args:
        data: the file content, or one :class:`Chunk` of it.
        rel: the file path relative to the landing directory (used in messages).
        entity: the contract entity the file belongs to.
        first_line: line number of the chunk's first data line (JSON Lines row numbers are line
            numbers; CSV row numbers are re-based by the caller).
        whole: ``data`` is the whole file. A CSV chunk with records spanning lines raises
            :class:`NeedsWholeFile` instead of being re-joined.

    The whole-file checks (:func:`check_file_bytes` before, :func:`check_file_totals` after)
    are the caller's.

    Raises:
        FileRejected: malformed JSON array, missing required CSV column, unreadable CSV.
        NeedsWholeFile: see ``whole``.
    """
    where = where_of(rel, entity)
    utf8 = _to_utf8(data, entity.encoding).removeprefix(BOM)
    con = duckdb.connect()  # one connection per file for decoding and JSON extraction
    try:
        if entity.format == "csv":
            raw = _read_csv(utf8, con, where, entity, whole)
        elif entity.format == "jsonl":
            raw = _read_jsonl(utf8, con, where, entity, first_line)
        else:
            raw = _read_json_array(utf8, con, where, entity)
    finally:
        con.close()
    del utf8
    df = raw.frame
    bad_enc = pl.col("_raw").str.contains("\ufffd", literal=True) | pl.col("_raw").str.contains(MOJIBAKE)
    df = df.with_columns(
        pl.when(bad_enc).then(pl.lit("row:encoding")).otherwise(pl.col("_read_error")).alias("_read_error")
    )
    raw.n_undecodable = df.filter(pl.col("_read_error") == "row:encoding").height
    raw.frame = df
    return raw


def check_file_totals(rel: str, entity: Entity, rows: int, undecodable: int, json_objects: int,
                      required_keys_seen: set[str], drift_keys: list[str]) -> list[str]:
    """The whole-file checks after every chunk is read; returns the file-level warnings.

    Raises:
        FileRejected: a required JSON key absent from every record; most rows undecodable.
    """
    where = where_of(rel, entity)
    if entity.format != "csv" and json_objects:
        # A required key absent from every record is the JSON form of a missing required column.
        for f in entity.fields:
            if f.required and f.name not in required_keys_seen:
                raise FileRejected(f"{where}: missing required key {f.source!r} in every record, "
                                   f"rule {f.name}:required", f"{f.name}:required", rows_read=rows)
    if undecodable > MAX_UNDECODABLE_SHARE * rows:
        raise FileRejected(
            f"{where}: undecodable as {entity.encoding} ({undecodable} of {rows} rows), rule file:encoding",
            "file:encoding", rows_read=rows)
    warnings = []
    if drift_keys:
        warnings.append(f"{where}: unexpected key(s) {names_for_message(sorted(set(drift_keys)))} "
                        "kept in _extra (schema drift)")
    if rows == 0:
        # A header-only CSV or "[]" is a delivery without records (a quiet delta), not an error.
        warnings.append(f"{where}: no data records")
    return warnings


def _to_utf8(data: bytes, encoding: str) -> bytes:
    """The content as UTF-8 bytes. UTF-8 input is passed through as is (invalid bytes are
    replaced line by line in :func:`_lines`); other encodings are decoded once, in bulk, with
    undecodable bytes replaced by U+FFFD."""
    if codecs.lookup(encoding).name == "utf-8":
        return data
    return data.decode(encoding, errors="replace").encode("utf-8")


def _empty_frame(entity: Entity) -> pl.DataFrame:
    cols: dict[str, Dtype] = {"_row_number": pl.Int64, "_raw": pl.String}
    cols |= {f.name: (pl.List(pl.String) if f.type == "list" and entity.format != "csv" else pl.String)
             for f in entity.fields}
    return pl.DataFrame(schema=cols | {"_extra": pl.String, "_read_error": pl.String})


def _lines(utf8: bytes, con: duckdb.DuckDBPyConnection, first_line: int = 1) -> pl.DataFrame:
    """One row per line (``_line``, 1-based, and ``_raw``); the trailing newline adds no line.

    The line boundaries are found with numpy and the lines handed to DuckDB as one Arrow binary
    array without copying; DuckDB decodes them (``try(decode(...))``). Lines that are not valid
    UTF-8 (only those, usually a handful) are decoded in Python with U+FFFD replacements, so
    they break ``row:encoding`` later.
    """
    n = len(utf8)
    buf = np.frombuffer(utf8, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    offsets = np.empty(len(ends) + 2, dtype=np.int64)
    offsets[0] = 0
    offsets[1:-1] = ends + 1
    offsets[-1] = n
    if len(ends) and ends[-1] == n - 1:
        offsets = offsets[:-1]  # "a\nb\n" is two lines
    count = len(offsets) - 1
    binary = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), count, [None, pa.py_buffer(offsets), pa.py_buffer(utf8)])
    con.register("lines_bin", pa.table({"b": binary}))
    text = con.sql("SELECT try(decode(b)) AS _raw FROM lines_bin").to_arrow_table()
    con.unregister("lines_bin")
    lines = _frame(text).with_row_index("_line", offset=first_line)
    bad = lines.filter(pl.col("_raw").is_null())["_line"].to_list()
    if bad:
        fixed = [bytes(binary[i - first_line].as_py()).decode("utf-8", errors="replace") for i in bad]
        lines = lines.update(pl.DataFrame({"_line": pl.Series(bad, dtype=lines["_line"].dtype),
                                           "_raw": fixed}), on="_line")
    return lines.with_columns(pl.col("_raw").str.strip_suffix("\n").str.strip_suffix("\r"),
                              pl.col("_line").cast(pl.Int64))


def _last_line_ended(utf8: bytes) -> bool:
    """The last non-blank line has a line break after it (blanks after it make no record)."""
    return not utf8[utf8.rfind(b"\n") + 1:].strip()


def _clean(expr: pl.Expr) -> pl.Expr:
    s = expr.str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def _unquoted(expr: pl.Expr, quote: str) -> pl.Expr:
    """The text with its quoted sections removed (delimiters inside quotes do not count)."""
    q = re.escape(quote)
    return expr.str.replace_all(q + r"(?:[^" + q + r"]|" + q * 2 + r")*" + q, "")


def _csv_records(body: pl.DataFrame, entity: Entity, ncols: int, whole: bool, where: str) -> pl.DataFrame:
    """Group the body lines into records: ``_raw`` (a record spanning lines joined with a line
    break) and ``_quote`` (true for a line whose quote never closes: a stray quote).

    A line with an odd number of quote characters opens a quoted value that continues on the
    next such line. The pair is one record only when the joined text has the header's field
    count and no line in between looks like a whole record of its own; otherwise the opening
    line is a broken row (rule ``row:quote``) and the lines after it are read as usual, so one
    stray quote costs one row, never the rest of the file. Blank lines are no records.
    """
    quote = entity.quote
    nonblank = pl.col("_raw").str.strip_chars() != ""
    odd = np.array([], dtype=np.int64) if not quote else np.flatnonzero(
        (body["_raw"].str.count_matches(quote, literal=True) % 2 == 1).to_numpy())
    if len(odd) == 0:
        return body.filter(nonblank).select("_raw", _quote=pl.lit(False))
    if not whole:
        raise NeedsWholeFile(where)  # a quoted value may continue on the next line
    raws = body["_raw"]
    full = (raws.str.count_matches(entity.delimiter, literal=True) >= ncols - 1).to_numpy()
    full_before = np.concatenate([[0], np.cumsum(full)])
    start = np.ones(body.height, dtype=bool)
    broken = np.zeros(body.height, dtype=bool)
    unquoted = re.compile(re.escape(quote) + r"(?:[^" + re.escape(quote) + r"]|" + re.escape(quote * 2) + r")*"
                          + re.escape(quote))
    i = 0
    while i < len(odd):
        a = int(odd[i])
        if i + 1 < len(odd):
            b = int(odd[i + 1])
            if full_before[b] - full_before[a + 1] == 0:
                text = "\n".join(raws.slice(a, b - a + 1).to_list())
                if unquoted.sub("", text).count(entity.delimiter) == ncols - 1:
                    start[a + 1:b + 1] = False
                    i += 2
                    continue
        broken[a] = True
        i += 1
    grouped = body.with_columns(_rec=pl.Series(np.cumsum(start)), _quote=pl.Series(broken)) \
        .group_by("_rec", maintain_order=True).agg(pl.col("_raw").str.join("\n"), pl.col("_quote").first())
    return grouped.filter(nonblank).select("_raw", "_quote")


def _parse_records(header_line: str, records: list[str], entity: Entity) -> pl.DataFrame | None:
    """Parse whole records (quotes balanced) with the header; None when polars cannot."""
    text = (header_line + "\n" + "".join(r + "\n" for r in records)).encode()
    try:
        df = pl.read_csv(text, separator=entity.delimiter, quote_char=entity.quote or None,
                         encoding="utf8-lossy", has_header=True, infer_schema=False,
                         truncate_ragged_lines=True, raise_if_empty=False)
    except pl.exceptions.PolarsError:
        return None
    return df if df.height == len(records) else None


def _parse_each(header_line: str, records: pl.DataFrame, entity: Entity, columns: list[str]) -> pl.DataFrame:
    """The slow path for a file polars cannot parse in one go: record by record; a record that
    does not parse into one row gets rule ``row:quote`` (its fields stay empty)."""
    rows, bad = [], []
    for raw in records["_raw"].to_list():
        one = _parse_records(header_line, [raw], entity)
        bad.append(one is None)
        rows.append(dict.fromkeys(columns) if one is None else dict(zip(columns, one.row(0), strict=False)))
    return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String)).with_columns(
        _unparsed=pl.Series(bad))


def _read_csv(utf8: bytes, con: duckdb.DuckDBPyConnection, where: str, entity: Entity,
              whole: bool = True) -> RawFile:
    lines = _lines(utf8, con)
    if lines.height == 0:
        return RawFile(_empty_frame(entity), [])
    header_line = lines["_raw"][0]
    header_df = _parse_records(header_line, [], entity)
    if header_df is None:
        raise FileRejected(f"{where}: header line not readable as CSV, rule file:format", "file:format")
    header = [c.strip() for c in header_df.columns]
    ncols = len(header)
    records = _csv_records(lines.slice(1), entity, ncols, whole, where)
    # A file (or last chunk) may stop without a line break after its last record: valid CSV
    # (RFC 4180), and what many exports write. That record was cut off only when it is not
    # whole: a quote that never closes, or fewer fields than the header (see below).
    unterminated = records.height > 0 and not _last_line_ended(utf8)
    records = records.with_row_index("_row_number", offset=1).with_columns(pl.col("_row_number").cast(pl.Int64))
    ok = records.filter(~pl.col("_quote"))
    parsed = _parse_records(header_line, ok["_raw"].to_list(), entity)
    if parsed is None and not whole:
        raise NeedsWholeFile(where)
    if parsed is None:
        parsed = _parse_each(header_line, ok, entity, header_df.columns)
    else:
        parsed = parsed.with_columns(_unparsed=pl.lit(False))
    parsed.columns = [*header, "_unparsed"]
    known = {f.source for f in entity.fields}
    unknown = [c for c in header if c not in known]
    if 2 * len(unknown) > len(header):
        # most names in the header are no contract column: no header line (a record read as
        # one), or another kind of file. The names are not repeated: they may be a person's data.
        raise FileRejected(f"{where}: {len(unknown)} of the header's {len(header)} names are no contract "
                           "column (no header line?), rule file:header", "file:header")
    warnings: list[str] = []
    cols, missing = {}, []
    for f in entity.fields:
        if f.source in header:
            cols[f.name] = _clean(pl.col(f.source))
        elif f.required:
            raise FileRejected(
                f"{where}: missing required column {f.source!r}, rule {f.name}:required "
                f"(header has {len(header)} columns)", f"{f.name}:required")
        else:
            missing.append(f.source)
            cols[f.name] = pl.lit(None, dtype=pl.String)
    if missing:
        warnings.append(f"{where}: optional column(s) {missing} missing; loaded as empty")
    extra = unknown
    if extra:
        warnings.append(f"{where}: unexpected column(s) {names_for_message(extra)} kept in _extra (schema drift)")
        extra_expr = pl.struct([pl.col(c) for c in extra]).struct.json_encode()
    else:
        extra_expr = pl.lit(None, dtype=pl.String)
    fields = parsed.select(**cols, _extra=extra_expr, _unparsed="_unparsed")
    fields = pl.concat([ok.select("_row_number"), fields], how="horizontal")
    out = records.join(fields, on="_row_number", how="left")
    fields_seen = _unquoted(pl.col("_raw"), entity.quote or '"').str.count_matches(entity.delimiter, literal=True) + 1
    ragged = fields_seen != ncols
    last = pl.col("_row_number") == records.height
    # the unterminated last record stops inside a quoted value or before the header's last field
    cut = pl.lit(unterminated) & last & (pl.col("_quote") | pl.col("_unparsed").fill_null(True) | (fields_seen < ncols))
    read_error = (pl.when(cut).then(pl.lit("row:truncated"))
                  .when(pl.col("_quote") | pl.col("_unparsed").fill_null(True)).then(pl.lit("row:quote"))
                  .when(ragged).then(pl.lit("row:field_count"))
                  .otherwise(None).cast(pl.String))
    out = out.with_columns(_read_error=read_error).select(
        "_row_number", "_raw", *[f.name for f in entity.fields], "_extra", "_read_error")
    if out.height and out["_raw"].str.contains("\n", literal=True).any():
        warnings.append(f"{where}: records span several lines (quoted line breaks)")
    return RawFile(out, warnings)


def _pl(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    return _frame(con.sql(sql, params=params or None).to_arrow_table())


def _frame(table: pa.Table) -> pl.DataFrame:
    # an Arrow table converts to a DataFrame (pl.from_arrow returns a Series for an array only)
    return cast(pl.DataFrame, pl.from_arrow(table))


def _json_path(path: str) -> str:
    """``address.street`` → ``$."address"."street"``; ``items[*].sku`` keeps the wildcard."""
    parts = []
    for seg in path.split("."):
        m = re.fullmatch(r"(.+?)(\[\*\])?", seg)
        if m is None:
            raise ValueError(f"field path {path!r}: empty segment")
        parts.append(f'"{m.group(1)}"' + (m.group(2) or ""))
    return "$." + ".".join(parts)


def _top_key(path: str) -> str:
    return path.split(".")[0].split("[")[0]


def _extract_json(df: pl.DataFrame, con: duckdb.DuckDBPyConnection, where: str, entity: Entity) -> RawFile:
    """Extract contract fields from ``_raw`` JSON objects (DuckDB JSON functions, bound paths).

    One pass over the rows: every scalar field comes from one multi-path
    ``json_extract_string`` (the object is parsed once for all of them); list and JSON fields
    take one more call each. Top-level keys are collected once for the schema-drift check.
    """
    con.register("src", df.select("_row_number", "_raw").to_arrow())
    scalar = [f for f in entity.fields if f.type not in ("list", "json")]
    other = [f for f in entity.fields if f.type in ("list", "json")]
    selects: list[str] = []
    params: list[Any] = []
    if scalar:
        selects.append("CASE WHEN ok THEN json_extract_string(_raw, ?::VARCHAR[]) END AS __v")
        params.append([_json_path(f.source) for f in scalar])
    for i, f in enumerate(other):
        path = _json_path(f.source)
        if f.type == "list":
            selects.append(f"CASE WHEN ok THEN json_extract_string(_raw, ?) END AS __o{i}")
            params.append(path if "[*]" in path else path + "[*]")
        else:
            selects.append(f"CASE WHEN ok THEN CAST(json_extract(_raw, ?) AS VARCHAR) END AS __o{i}")
            params.append(path)
    known = sorted({_top_key(f.source) for f in entity.fields})
    # rows with keys outside the contract (schema drift), to be kept in _extra
    selects.append("CASE WHEN ok THEN NOT list_has_all(?::VARCHAR[], json_keys(_raw)) END AS __drift")
    params.append(known)
    sql = ("WITH v AS (SELECT _row_number, _raw, CASE WHEN json_valid(_raw) THEN json_type(_raw) = 'OBJECT' "
           "ELSE false END AS ok FROM src) SELECT _row_number, ok, " + ", ".join(selects) + " FROM v")
    got = _pl(con, sql, params)
    cols = [pl.col("__v").list.get(i, null_on_oob=True).alias(f.name) for i, f in enumerate(scalar)]
    cols += [pl.col(f"__o{i}").alias(f.name) for i, f in enumerate(other)]
    fields = got.select("_row_number", "ok", "__drift", *cols)
    n_ok = int(fields["ok"].sum())
    seen: set[str] = set()
    extra: list[str] = []
    # Which required keys occur at all (a key absent from every record of the file rejects it;
    # decided per file by check_file_totals).
    if n_ok:
        drift = fields.filter(pl.col("__drift").fill_null(False)).select("_row_number")
        present: set[str] = set(known)
        if drift.height:
            con.register("drift_rows", df.join(drift, on="_row_number", how="semi").select("_row_number", "_raw")
                         .to_arrow())
            keys = [r[0] for r in con.execute(
                "SELECT DISTINCT unnest(json_keys(_raw)) FROM drift_rows ORDER BY 1").fetchall()]
            extra = [k for k in keys if k not in present]
        required = [f for f in entity.fields if f.required]
        absent = [f for f in required if fields[f.name].null_count() == fields.height]
        seen = {f.name for f in required if f not in absent}
        if absent:
            # every value is null: is the key missing everywhere, or present with null values?
            exists = con.execute(
                "SELECT " + ", ".join(f"count(*) FILTER (WHERE json_exists(_raw, ?)) AS e{i}"
                                      for i in range(len(absent)))
                + " FROM src WHERE CASE WHEN json_valid(_raw) THEN json_type(_raw) = 'OBJECT' ELSE false END",
                [_json_path(f.source).replace("[*]", "") for f in absent],
            ).fetchall()[0]  # fetchone() would leave the result open for the next query
            seen |= {f.name for f, n in zip(absent, exists, strict=True) if n}
        if extra:
            obj = ", ".join("?, json_extract(_raw, ?)" for _ in extra)
            ps = [x for k in extra for x in (k, _json_path(k))]
            ex = _pl(con, f"SELECT _row_number, CAST(json_object({obj}) AS VARCHAR) AS _extra FROM drift_rows", ps)
            fields = fields.join(ex, on="_row_number", how="left")
    if "_extra" not in fields.columns:
        fields = fields.with_columns(_extra=pl.lit(None, dtype=pl.String))
    fields = fields.with_columns([_clean(pl.col(f.name)).alias(f.name) for f in scalar])
    out = pl.concat([df.select("_raw"), fields], how="horizontal").select(
        "_row_number", "_raw", *[f.name for f in entity.fields], "_extra",
        pl.when(pl.col("ok")).then(None).otherwise(pl.lit("row:malformed_json")).cast(pl.String)
        .alias("_read_error"),
    )
    return RawFile(out, n_json_objects=n_ok, required_keys_seen=seen, drift_keys=extra)


def _read_jsonl(utf8: bytes, con: duckdb.DuckDBPyConnection, where: str, entity: Entity,
                first_line: int = 1) -> RawFile:
    lines = _lines(utf8, con, first_line).filter(pl.col("_raw").str.strip_chars() != "").rename({"_line": "_row_number"})
    raw = _extract_json(lines.select("_row_number", "_raw"), con, where, entity)
    if lines.height and not _last_line_ended(utf8) and not con.execute(
            "SELECT json_valid(?)", [lines["_raw"][-1]]).fetchall()[0][0]:
        # a last line without a line break is a whole record when it is valid JSON; one that is
        # not stops where the file was cut off
        last = pl.col("_row_number") == lines["_row_number"][-1]
        raw.frame = raw.frame.with_columns(
            pl.when(last & (pl.col("_read_error") == "row:malformed_json")).then(pl.lit("row:truncated"))
            .otherwise(pl.col("_read_error")).alias("_read_error"))
    return raw


def _read_json_array(utf8: bytes, con: duckdb.DuckDBPyConnection, where: str, entity: Entity) -> RawFile:
    text = utf8.decode("utf-8", errors="replace")
    try:
        rows = _pl(
            con,
            "WITH t AS (SELECT json_extract(CAST(? AS VARCHAR), '$[*]') AS arr, "
            "json_type(CAST(? AS VARCHAR)) AS ty) "
            "SELECT ty, unnest(range(1, len(arr) + 1)) AS _row_number, CAST(unnest(arr) AS VARCHAR) AS _raw FROM t",
            [text, text],
        )
    except duckdb.Error as exc:
        # the parser's message is left out: it quotes the file's content
        raise FileRejected(f"{where}: malformed JSON array, rule file:json_array", "file:json_array") from exc
    del text
    if rows.height and rows["ty"][0] != "ARRAY":
        raise FileRejected(f"{where}: expected a JSON array of objects, rule file:json_array", "file:json_array")
    rows = rows.select(pl.col("_row_number").cast(pl.Int64), "_raw")
    return _extract_json(rows, con, where, entity)


def read_keys(data: bytes, entity: Entity, names: list[str]) -> pl.DataFrame:
    """The values of fields ``names`` for every record of a chunk, exactly as :func:`read_raw`
    would give them (trimmed, empty = null; null for JSON rows that are not objects).

    Only these fields are parsed: the cheap first pass that lets a file read in chunks find
    the values occurring more than once anywhere in it (``unique`` rules).
    """
    utf8 = _to_utf8(data, entity.encoding).removeprefix(BOM)
    fields = [entity.field(n) for n in names]
    if entity.format == "csv":
        opts: dict[str, Any] = {"separator": entity.delimiter, "quote_char": entity.quote or None, "encoding": "utf8-lossy",
                "has_header": True, "infer_schema": False, "truncate_ragged_lines": True,
                "raise_if_empty": False}
        header = [c.strip() for c in pl.read_csv(utf8, n_rows=0, **opts).columns]
        idx = {f.name: header.index(f.source) for f in fields if f.source in header}
        if not idx:
            n = max(0, utf8.count(b"\n") - 1)
            return pl.DataFrame({f.name: pl.Series([None] * n, dtype=pl.String) for f in fields})
        positions = sorted(set(idx.values()))
        got = pl.read_csv(utf8, columns=positions, **opts)
        cols = {f.name: (_clean(pl.col(got.columns[positions.index(idx[f.name])]))
                         if f.name in idx else pl.lit(None, dtype=pl.String)) for f in fields}
        return got.select(**cols)
    con = duckdb.connect()
    try:
        lines = _lines(utf8, con).filter(pl.col("_raw").str.strip_chars() != "")
        del utf8
        con.register("src", lines.select("_raw").to_arrow())
        sel = ", ".join(f"CASE WHEN ok THEN json_extract_string(_raw, ?) END AS k{i}" for i in range(len(fields)))
        got = _pl(con, "WITH v AS (SELECT _raw, CASE WHEN json_valid(_raw) THEN json_type(_raw) = 'OBJECT' "
                       f"ELSE false END AS ok FROM src) SELECT {sel} FROM v",
                  [_json_path(f.source) for f in fields])
    finally:
        con.close()
    return got.select(*[_clean(pl.col(f"k{i}")).alias(f.name) for i, f in enumerate(fields)])
