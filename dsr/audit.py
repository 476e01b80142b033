"""``cdp audit``: the data-protection audit log as a table, filtered by subject, action and date."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

COLUMNS = ("when (UTC)", "actor", "action", "subject", "reason", "details")


def _day(text: str, option: str) -> date:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{option}: not a date (use YYYY-MM-DD or DD.MM.YYYY)")


def filter_audit(entries: list[dict[str, Any]], subject: str | None = None, action: str | None = None,
                 since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
    """Entries about ``subject`` (customer id or record key, as a whole word of the subject),
    of ``action``, from ``since`` to ``until`` inclusive (dates, UTC)."""
    lo = _day(since, "--since") if since else None
    hi = _day(until, "--until") if until else None
    out = []
    for e in entries:
        if action and e.get("action") != action:
            continue
        if subject and subject not in str(e.get("subject") or "").replace(",", " ").split():
            continue
        day = datetime.fromisoformat(e["at"]).date()
        if (lo and day < lo) or (hi and day > hi):
            continue
        out.append(e)
    return out


def _details(d: dict[str, Any]) -> str:
    parts = []
    for k, v in (d or {}).items():
        if isinstance(v, dict):
            v = sum(x for x in v.values() if isinstance(x, int | float))
            k = f"{k} total"
        elif isinstance(v, list):
            v = len(v)
        parts.append(f"{k}={v}")
    return ", ".join(parts)


def format_audit(entries: list[dict[str, Any]]) -> str:
    """A fixed-width table with a header line; 'no entries' when empty."""
    if not entries:
        return "no audit entries match"
    rows = [(datetime.fromisoformat(e["at"]).strftime("%Y-%m-%d %H:%M:%S"), e.get("actor") or "",
             e.get("action") or "", str(e.get("subject") or "-"), e.get("reason") or "",
             _details(e.get("details") or {})) for e in entries]
    widths = [min(max(len(r[i]) for r in [COLUMNS, *rows]), 40) for i in range(len(COLUMNS) - 1)]
    def line(r):
        return "  ".join(str(v)[:w].ljust(w) for v, w in zip(r, widths, strict=False)) + "  " + r[-1]
    return "\n".join([line(COLUMNS), line(tuple("-" * w for w in widths) + ("-" * 7,)), *map(line, rows)])
