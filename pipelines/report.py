"""Per-load validation reports: the GE result JSON and a readable HTML page, plus an index.

``data/reports/ingest/<load_id>.json`` holds the Great Expectations validation results (full
batch and sample) and the rule-by-rule comparison with the polars verdicts;
``data/reports/ingest/<load_id>.html`` renders them for a data engineer, and
``data/reports/ingest/index.html`` lists every load of the load log. Reports carry counts, file
names, columns and rules, never row values (those may be personal data; see the quarantine).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from cdp.lake import write_text_atomic
from pipelines.load_log import FAILED, LOADED

if TYPE_CHECKING:
    from cdp.config import Settings
    from pipelines.contracts import Entity
    from pipelines.expectations import GEOutcome
    from pipelines.load_log import FileResult

CSS = """body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;
margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;font-size:.9rem}
th{background:#f3f3f3}.ok{color:#17702a}.bad{color:#b00020;font-weight:600}.warn{color:#9a6700}
code{background:#f6f6f6;padding:0 .2rem}"""


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>")


def _esc(v) -> str:
    return html.escape("" if v is None else str(v))


def write_load_report(settings: Settings, res: FileResult, entity: Entity, ge: GEOutcome | None) -> str:
    """Write the JSON and HTML report of one load; returns the HTML path relative to the data dir."""
    base = settings.paths.reports / "ingest"
    doc = {
        "load_id": res.load_id, "file": res.file, "source": res.source, "entity": res.entity,
        "content_sha256": res.content_sha256, "rows_read": res.rows_read, "rows_staged": res.rows_staged,
        "rows_quarantined": res.rows_quarantined, "rule_counts": res.rule_counts, "warnings": res.warnings,
        "ge_sample_rows": ge.sample_rows if ge else None,
        "ge_vs_polars": ge.checks if ge else [],
        "great_expectations": ge.results if ge else None,
    }
    write_text_atomic(json.dumps(doc, indent=1, default=str), base / f"{res.load_id}.json")
    rows = []
    for c in (ge.checks if ge else []):
        agree = "" if c["polars_unexpected"] is None else ("✓" if c["agree"] else "✗ differs")
        cls = "ok" if c["success"] else "bad"
        rows.append(
            f"<tr><td><code>{_esc(c['rule'])}</code></td><td>{_esc(c['expectation'])}</td>"
            f"<td>{_esc(c['column'])}</td><td>{_esc(c['scope'])}</td><td>{_esc(c['element_count'])}</td>"
            f"<td class='{cls}'>{_esc(c['ge_unexpected'])}</td><td>{_esc(c['polars_unexpected'])}</td>"
            f"<td class='{'ok' if c['agree'] else 'bad'}'>{agree}</td></tr>")
    rules = "".join(f"<tr><td><code>{_esc(k)}</code></td><td>{v}</td></tr>"
                    for k, v in sorted(res.rule_counts.items(), key=lambda kv: -kv[1]))
    warns = "".join(f"<li class='warn'>{_esc(w)}</li>" for w in res.warnings)
    body = (
        f"<h1>Load {_esc(res.load_id)}</h1><p><a href='index.html'>all loads</a></p>"
        f"<table><tr><th>file</th><td>{_esc(res.file)}</td></tr>"
        f"<tr><th>contract</th><td>{_esc(entity.contract_file)} / {_esc(entity.name)}</td></tr>"
        f"<tr><th>sha256</th><td><code>{_esc(res.content_sha256)}</code></td></tr>"
        f"<tr><th>rows read</th><td>{res.rows_read}</td></tr><tr><th>staged</th><td>{res.rows_staged}</td></tr>"
        f"<tr><th>quarantined</th><td>{res.rows_quarantined}</td></tr>"
        f"<tr><th>GE success</th><td>{_esc(res.ge_success)}</td></tr>"
        f"<tr><th>GE sample rows</th><td>{_esc(ge.sample_rows if ge else None)}</td></tr></table>"
        + (f"<h2>Warnings</h2><ul>{warns}</ul>" if warns else "")
        + "<h2>Quarantine by rule (polars verdicts)</h2>"
        + (f"<table><tr><th>rule</th><th>rows</th></tr>{rules}</table>" if rules else "<p>no rows quarantined</p>")
        + "<h2>Great Expectations results vs. polars verdicts</h2>"
        "<p>Scope <b>full</b>: every row, vectorised and aggregate expectations (not null, column "
        "min/max, unique proportion, row count); <b>sample</b>: seeded random sample, per-value "
        "expectations (types, formats, patterns, allowed values, ranges). Polars checks every rule "
        "on every row.</p>"
        "<table><tr><th>rule</th><th>expectation</th><th>column</th><th>scope</th><th>rows</th>"
        f"<th>GE unexpected</th><th>polars failed</th><th>agree</th></tr>{''.join(rows)}</table>"
        f"<p>GE result JSON: <a href='{_esc(res.load_id)}.json'>{_esc(res.load_id)}.json</a></p>"
    )
    path = base / f"{res.load_id}.html"
    write_text_atomic(_page(f"Load {res.load_id}", body), path)
    return path.relative_to(settings.paths.root).as_posix()


def write_index(settings: Settings, load_log: pl.DataFrame) -> Path:
    """``data/reports/ingest/index.html``: every load, newest first, linked to its report."""
    rows = []
    for r in load_log.sort("started_at", descending=True).iter_rows(named=True):
        cls = {LOADED: "ok", FAILED: "bad"}.get(r["status"], "warn")
        link = (f"<a href='{_esc(Path(r['report_path']).name)}'>{_esc(r['load_id'])}</a>"
                if r["report_path"] else _esc(r["load_id"]))
        rows.append(
            f"<tr><td>{_esc(r['started_at'])}</td><td>{_esc(r['file'])}</td><td>{_esc(r['entity'])}</td>"
            f"<td>{link}</td><td class='{cls}'>{_esc(r['status'])}</td><td>{r['rows_read']}</td>"
            f"<td>{r['rows_staged']}</td><td>{r['rows_quarantined']}</td><td>{_esc(r['ge_success'])}</td>"
            f"<td>{_esc(r['message'])}</td></tr>")
    body = ("<h1>Ingest loads</h1><table><tr><th>started</th><th>file</th><th>entity</th><th>load</th>"
            "<th>status</th><th>read</th><th>staged</th><th>quarantined</th><th>GE success</th>"
            f"<th>message</th></tr>{''.join(rows)}</table>")
    path = settings.paths.reports / "ingest" / "index.html"
    write_text_atomic(_page("Ingest loads", body), path)
    return path
