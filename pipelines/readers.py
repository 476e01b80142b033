"""Read one landing file into a frame of raw field values, as the contract describes it.

Every reader returns one row per data record with ``_row_number`` (1-based, see docs/sources.md),
``_raw`` (the record's text), one String column per contract field (trimmed, empty = null; list
fields as lists), ``_extra`` (unexpected columns / keys as a JSON object string) and
``_read_error`` (the rule a row broke while being read: ``row:encoding``,
``row:malformed_json``, ``row:field_count``). File-level problems raise :class:`FileRejected`.

Readers are polars/DuckDB native: no Python loops over rows.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import duckdb
import polars as pl

from pipelines.contracts import Entity

# UTF-8 text read as Windows-1252 ("StraÃŸe"): a capital A-tilde or A-circumflex followed by a
# character of the C1/Latin-1 supplement range is practically never legitimate German text.
MOJIBAKE = r"[ÃÂ][\x{80}-\x{BF}\x{152}\x{153}\x{160}\x{161}\x{178}\x{17D}\x{17E}\x{192}\x{2013}-\x{2122}]"
# A file whose rows are mostly undecodable is rejected as a whole rather than row by row.
MAX_UNDECODABLE_SHARE = 0.5


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
        text = data.decode(entity.encoding)
    except UnicodeDecodeError:
        text = data.decode(entity.encoding, errors="replace")
    except LookupError as exc:
        raise FileRejected(f"{where}: unknown encoding {entity.encoding!r}", "contract:encoding") from exc
    text = text.removeprefix("\ufeff")
    if entity.format == "csv":
        raw = _read_csv(text, where, entity)
    elif entity.format == "jsonl":
        raw = _read_jsonl(text, where, entity)
    else:
        raw = _read_json_array(text, where, entity)
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


def _empty_frame(entity: Entity) -> pl.DataFrame:
    cols = {"_row_number": pl.Int64, "_raw": pl.String}
    cols |= {f.name: (pl.List(pl.String) if f.type == "list" and entity.format != "csv" else pl.String)
             for f in entity.fields}
    return pl.DataFrame(schema=cols | {"_extra": pl.String, "_read_error": pl.String})


def _lines(text: str) -> pl.DataFrame:
    """One row per line with its 1-based line number; the trailing newline adds no line."""
    # str.split runs in C and beats polars' split of one huge string; no per-row Python code.
    return (
        pl.DataFrame({"_raw": pl.Series(text.split("\n"), dtype=pl.String)})
        .with_row_index("_line", offset=1)
        .with_columns(pl.col("_raw").str.strip_suffix("\r"), pl.col("_line").cast(pl.Int64))
    )


def _clean(expr: pl.Expr) -> pl.Expr:
    s = expr.str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def _read_csv(text: str, where: str, entity: Entity) -> RawFile:
    lines = _lines(text)
    body = lines.slice(1).filter(pl.col("_raw").str.strip_chars() != "")
    try:
        parsed = pl.read_csv(
            io.BytesIO(text.encode("utf-8")), separator=entity.delimiter, quote_char=entity.quote or None,
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


def _extract_json(df: pl.DataFrame, where: str, entity: Entity) -> RawFile:
    """Extract contract fields from ``_raw`` JSON objects (DuckDB JSON functions, bound paths)."""
    con = duckdb.connect()
    con.register("src", df.select("_row_number", "_raw"))
    valid = _pl(con, 
        "SELECT _row_number, CASE WHEN json_valid(_raw) THEN json_type(_raw) = 'OBJECT' ELSE false END AS ok "
        "FROM src"
    )
    df = df.join(valid, on="_row_number", how="left")
    good = df.filter(pl.col("ok"))
    con.register("good", good.select("_row_number", "_raw"))
    selects, params = [], []
    for f in entity.fields:
        path = _json_path(f.source)
        if f.type == "list":
            p = path if "[*]" in path else path + "[*]"
            selects.append("json_extract_string(_raw, ?)")
            params.append(p)
        elif f.type == "json":
            selects.append("CAST(json_extract(_raw, ?) AS VARCHAR)")
            params.append(path)
        else:
            selects.append("json_extract_string(_raw, ?)")
            params.append(path)
    sql = "SELECT _row_number, " + ", ".join(f'{s} AS "c{i}"' for i, s in enumerate(selects)) + " FROM good"
    fields = _pl(con, sql, params)
    fields.columns = ["_row_number"] + [f.name for f in entity.fields]
    warnings: list[str] = []
    # A required key absent from every row is the JSON form of a missing required column.
    if good.height:
        exists = con.execute(
            "SELECT " + ", ".join(f"count(*) FILTER (WHERE json_exists(_raw, ?)) AS e{i}"
                                  for i in range(len(entity.fields))) + " FROM good",
            [_json_path(f.source).replace("[*]", "") for f in entity.fields],
        ).fetchone()
        for f, n in zip(entity.fields, exists, strict=True):
            if n == 0 and f.required:
                raise FileRejected(f"{where}: missing required key {f.source!r} in every record, "
                                   f"rule {f.name}:required", f"{f.name}:required", rows_read=df.height)
        known = {f.source.split(".")[0].split("[")[0] for f in entity.fields}
        keys = [r[0] for r in con.execute(
            "SELECT DISTINCT unnest(json_keys(_raw)) FROM good ORDER BY 1").fetchall()]
        extra = [k for k in keys if k not in known]
        if extra:
            warnings.append(f"{where}: unexpected key(s) {extra} kept in _extra (schema drift)")
            obj = ", ".join("?, json_extract(_raw, ?)" for _ in extra)
            ps = [x for k in extra for x in (k, _json_path(k))]
            ex = _pl(con, f"SELECT _row_number, CAST(json_object({obj}) AS VARCHAR) AS _extra FROM good", ps)
            fields = fields.join(ex, on="_row_number", how="left")
    con.close()
    if "_extra" not in fields.columns:
        fields = fields.with_columns(_extra=pl.lit(None, dtype=pl.String))
    str_cols = [f.name for f in entity.fields if f.type not in ("list", "json")]
    fields = fields.with_columns([_clean(pl.col(c)).alias(c) for c in str_cols])
    out = df.select("_row_number", "_raw", "ok").join(fields, on="_row_number", how="left").with_columns(
        pl.when(pl.col("ok")).then(None).otherwise(pl.lit("row:malformed_json")).cast(pl.String).alias("_read_error")
    ).drop("ok").sort("_row_number")
    return RawFile(out, warnings)


def _read_jsonl(text: str, where: str, entity: Entity) -> RawFile:
    lines = _lines(text).filter(pl.col("_raw").str.strip_chars() != "").rename({"_line": "_row_number"})
    return _extract_json(lines, where, entity)


def _read_json_array(text: str, where: str, entity: Entity) -> RawFile:
    con = duckdb.connect()
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
    finally:
        con.close()
    if rows.height and rows["ty"][0] != "ARRAY":
        raise FileRejected(f"{where}: expected a JSON array of objects, rule file:json_array", "file:json_array")
    rows = rows.select(pl.col("_row_number").cast(pl.Int64), "_raw")
    return _extract_json(rows, where, entity)
