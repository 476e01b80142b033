"""Read one landing file into a frame of raw field values, as the contract describes it.

Every reader returns one row per data record with ``_row_number`` (1-based, see docs/sources.md),
``_raw`` (the record's text), one String column per contract field (trimmed, empty = null; list
fields as lists), ``_extra`` (unexpected columns / keys as a JSON object string) and
``_read_error`` (the rule a row broke while being read: ``row:encoding``,
``row:malformed_json``, ``row:field_count``). File-level problems raise :class:`FileRejected`.

Readers are polars/DuckDB native: no Python loops over rows.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from pipelines.contracts import Entity

# UTF-8 text read as Windows-1252 ("StraÃŸe"): a capital A-tilde or A-circumflex followed by a
# character of the C1/Latin-1 supplement range is practically never legitimate German text.
MOJIBAKE = r"[ÃÂ][\x{80}-\x{BF}\x{152}\x{153}\x{160}\x{161}\x{178}\x{17D}\x{17E}\x{192}\x{2013}-\x{2122}]"
# A file whose rows are mostly undecodable is rejected as a whole rather than row by row.
MAX_UNDECODABLE_SHARE = 0.5
BOM = "\ufeff".encode()


class FileRejected(Exception):
    """A whole file cannot be loaded; the message names the file, column and contract rule."""

    def __init__(self, message: str, rule: str, rows_read: int = 0):
        super().__init__(message)
        self.rule = rule
        self.rows_read = rows_read


@dataclass
class RawFile:
    """The raw rows of one file plus warnings about it (schema drift, missing optional columns)."""

    frame: pl.DataFrame
    warnings: list[str] = field(default_factory=list)


def read_raw(data: bytes, rel: str, entity: Entity) -> RawFile:
    """Decode and split one file's bytes into raw rows per the entity's contract.

    Args:
        data: the file content.
        rel: the file path relative to the landing directory (used in messages).
        entity: the contract entity the file belongs to.

    Raises:
        FileRejected: empty or undecodable file, malformed JSON array, missing required column.
    """
    where = f"{rel} (contract {entity.contract_file}, entity {entity.name})"
    if not data.strip() and entity.allow_empty:
        return RawFile(_empty_frame(entity), [f"{where}: empty file, no records (allow_empty)"])
    if not data.strip():
        raise FileRejected(f"{where}: empty file (no header, no records), rule file:not_empty",
                           "file:not_empty")
    if b"\x00" in data:
        raise FileRejected(
            f"{where}: undecodable as {entity.encoding} (NUL bytes: binary or UTF-16?), rule file:encoding",
            "file:encoding")
    try:
        utf8 = _to_utf8(data, entity.encoding)
    except LookupError as exc:
        raise FileRejected(f"{where}: unknown encoding {entity.encoding!r}", "contract:encoding") from exc
    utf8 = utf8.removeprefix(BOM)
    con = duckdb.connect()  # one connection per file for decoding and JSON extraction
    try:
        if entity.format == "csv":
            raw = _read_csv(utf8, con, where, entity)
        elif entity.format == "jsonl":
            raw = _read_jsonl(utf8, con, where, entity)
        else:
            raw = _read_json_array(utf8, con, where, entity)
    finally:
        con.close()
    df = raw.frame
    if df.height == 0:
        # A header-only CSV or "[]" is a delivery without records (a quiet delta), not an error.
        raw.warnings.append(f"{where}: no data records")
    bad_enc = pl.col("_raw").str.contains("\ufffd", literal=True) | pl.col("_raw").str.contains(MOJIBAKE)
    df = df.with_columns(
        pl.when(bad_enc).then(pl.lit("row:encoding")).otherwise(pl.col("_read_error")).alias("_read_error")
    )
    n_bad = df.filter(pl.col("_read_error") == "row:encoding").height
    if n_bad > MAX_UNDECODABLE_SHARE * df.height:
        raise FileRejected(
            f"{where}: undecodable as {entity.encoding} ({n_bad} of {df.height} rows), rule file:encoding",
            "file:encoding", rows_read=df.height)
    raw.frame = df
    return raw


def _to_utf8(data: bytes, encoding: str) -> bytes:
    """The content as UTF-8 bytes. UTF-8 input is passed through as is (invalid bytes are
    replaced line by line in :func:`_lines`); other encodings are decoded once, in bulk, with
    undecodable bytes replaced by U+FFFD."""
    if codecs.lookup(encoding).name == "utf-8":
        return data
    return data.decode(encoding, errors="replace").encode("utf-8")


def _empty_frame(entity: Entity) -> pl.DataFrame:
    cols = {"_row_number": pl.Int64, "_raw": pl.String}
    cols |= {f.name: (pl.List(pl.String) if f.type == "list" and entity.format != "csv" else pl.String)
             for f in entity.fields}
    return pl.DataFrame(schema=cols | {"_extra": pl.String, "_read_error": pl.String})


def _lines(utf8: bytes, con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
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
    lines = pl.from_arrow(text).with_row_index("_line", offset=1)
    bad = lines.filter(pl.col("_raw").is_null())["_line"].to_list()
    if bad:
        fixed = [bytes(binary[i - 1].as_py()).decode("utf-8", errors="replace") for i in bad]
        lines = lines.update(pl.DataFrame({"_line": pl.Series(bad, dtype=lines["_line"].dtype),
                                           "_raw": fixed}), on="_line")
    return lines.with_columns(pl.col("_raw").str.strip_suffix("\n").str.strip_suffix("\r"),
                              pl.col("_line").cast(pl.Int64))


def _clean(expr: pl.Expr) -> pl.Expr:
    s = expr.str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def _read_csv(utf8: bytes, con: duckdb.DuckDBPyConnection, where: str, entity: Entity) -> RawFile:
    lines = _lines(utf8, con)
    body = lines.slice(1).filter(pl.col("_raw").str.strip_chars() != "")
    try:
        # utf8-lossy: invalid bytes become U+FFFD here exactly as in the lines (row:encoding)
        parsed = pl.read_csv(
            utf8, separator=entity.delimiter, quote_char=entity.quote or None, encoding="utf8-lossy",
            has_header=True, infer_schema=False, truncate_ragged_lines=True, raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        raise FileRejected(f"{where}: not readable as CSV: {exc}", "file:format") from exc
    header = [c.strip() for c in parsed.columns]
    parsed.columns = header
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
    known = {f.source for f in entity.fields}
    extra = [c for c in header if c not in known]
    if extra:
        warnings.append(f"{where}: unexpected column(s) {extra} kept in _extra (schema drift)")
        extra_expr = pl.struct([pl.col(c) for c in extra]).struct.json_encode()
    else:
        extra_expr = pl.lit(None, dtype=pl.String)
    out = parsed.select(**cols, _extra=extra_expr)
    if out.height == body.height:
        # One record per line (no quoted line breaks): keep the exact delivered text.
        ncols = len(header)
        delim, quote = entity.delimiter, entity.quote or '"'
        # Count delimiters outside quoted values: a row with too many or too few fields is broken.
        unquoted = pl.col("_raw").str.replace_all(re.escape(quote) + r"(?:[^" + re.escape(quote) + r"]|"
                                                  + re.escape(quote * 2) + r")*" + re.escape(quote), "")
        ragged = unquoted.str.count_matches(delim, literal=True) != ncols - 1
        out = pl.concat([body.select("_raw", ragged.alias("_ragged")), out], how="horizontal")
    else:
        # Quoted line breaks: the record's text is its fields joined by the delimiter.
        joined = parsed.select(
            pl.concat_str([pl.col(c).fill_null("") for c in parsed.columns], separator=entity.delimiter)
        ).to_series()
        out = out.with_columns(_raw=joined, _ragged=pl.lit(False))
        warnings.append(f"{where}: records span several lines; _raw holds the re-joined fields")
    out = out.with_row_index("_row_number", offset=1).with_columns(
        pl.col("_row_number").cast(pl.Int64),
        pl.when(pl.col("_ragged")).then(pl.lit("row:field_count")).otherwise(None).cast(pl.String)
        .alias("_read_error"),
    ).drop("_ragged")
    return RawFile(out, warnings)


def _pl(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    return pl.from_arrow(con.sql(sql, params=params or None).to_arrow_table())


def _json_path(path: str) -> str:
    """``address.street`` → ``$."address"."street"``; ``items[*].sku`` keeps the wildcard."""
    parts = []
    for seg in path.split("."):
        m = re.fullmatch(r"(.+?)(\[\*\])?", seg)
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
    selects, params = [], []
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
    warnings: list[str] = []
    n_ok = int(fields["ok"].sum())
    # A required key absent from every row is the JSON form of a missing required column.
    if n_ok:
        drift = fields.filter(pl.col("__drift").fill_null(False)).select("_row_number")
        present: set[str] = set(known)
        extra: list[str] = []
        if drift.height:
            con.register("drift_rows", df.join(drift, on="_row_number", how="semi").select("_row_number", "_raw")
                         .to_arrow())
            keys = [r[0] for r in con.execute(
                "SELECT DISTINCT unnest(json_keys(_raw)) FROM drift_rows ORDER BY 1").fetchall()]
            extra = [k for k in keys if k not in present]
        required = [f for f in entity.fields if f.required]
        absent = [f for f in required if fields[f.name].null_count() == fields.height]
        if absent:
            # every value is null: is the key missing everywhere, or present with null values?
            exists = con.execute(
                "SELECT " + ", ".join(f"count(*) FILTER (WHERE json_exists(_raw, ?)) AS e{i}"
                                      for i in range(len(absent)))
                + " FROM src WHERE CASE WHEN json_valid(_raw) THEN json_type(_raw) = 'OBJECT' ELSE false END",
                [_json_path(f.source).replace("[*]", "") for f in absent],
            ).fetchone()
            for f, n in zip(absent, exists, strict=True):
                if n == 0:
                    raise FileRejected(f"{where}: missing required key {f.source!r} in every record, "
                                       f"rule {f.name}:required", f"{f.name}:required", rows_read=df.height)
        if extra:
            warnings.append(f"{where}: unexpected key(s) {extra} kept in _extra (schema drift)")
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
    return RawFile(out, warnings)


def _read_jsonl(utf8: bytes, con: duckdb.DuckDBPyConnection, where: str, entity: Entity) -> RawFile:
    lines = _lines(utf8, con).filter(pl.col("_raw").str.strip_chars() != "").rename({"_line": "_row_number"})
    return _extract_json(lines.select("_row_number", "_raw"), con, where, entity)


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
        msg = str(exc).splitlines()[0][:200]
        raise FileRejected(f"{where}: malformed JSON array ({msg}), rule file:json_array", "file:json_array") from exc
    del text
    if rows.height and rows["ty"][0] != "ARRAY":
        raise FileRejected(f"{where}: expected a JSON array of objects, rule file:json_array", "file:json_array")
    rows = rows.select(pl.col("_row_number").cast(pl.Int64), "_raw")
    return _extract_json(rows, con, where, entity)
