"""The personal-data scan (issue 15, class 9): after a demo run, an erasure and a re-delivery
of the erased person's rows (valid, and in files that fail), through the real ``cdp run``:

* nothing of the erased person (ids, names, e-mails, phones) anywhere under ``data/`` but
  landing/ and truth/ (:func:`tests.privacy.conftest.scan`: Parquet cells, DuckDB tables,
  every other file: reports, Dagster's run storage and compute logs, the load log);
* no e-mail, phone or full name of *anyone* in the places that are logs, not data: load-log
  messages and warnings, ``data/reports/``, ``data/dagster_home/`` and the run's console output.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from dagster_project.run import rebuild
from dsr.erase import forget
from tests.privacy.conftest import cdp, multi_source_customer, person_identifiers, scan


def _redeliver(landing: Path, needles: list[str]) -> list[str]:
    """A new delivery with the person's rows of every file that holds them: once as a valid
    file, once as a file that fails (CSV without its header line, JSON Lines cut mid-record),
    once with odd rows (a stray quote, the person's e-mail as a JSON key) among other rows."""
    days = sorted(d.name for d in landing.glob("*/*") if d.is_dir())
    new_day = days[-1][:8] + f"{int(days[-1][8:]) + 1:02d}"
    written = []
    for f in sorted(landing.glob(f"*/{days[-1]}/*")):
        if f.suffix not in (".csv", ".jsonl"):
            continue
        enc = "cp1252" if f.parts[-3] == "erp" else "utf-8"
        lines = f.read_text(encoding=enc, errors="surrogateescape").splitlines()
        mine = [ln for ln in lines if any(n in ln for n in needles)]
        if not mine:
            continue
        header = [lines[0]] if f.suffix == ".csv" else []
        stem = re.sub(r"\d{8}", new_day.replace("-", ""), f.stem)
        out = landing / f.parts[-3] / new_day
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{stem}{f.suffix}").write_text("\n".join(header + mine) + "\n", encoding=enc, errors="surrogateescape")
        broken = mine if f.suffix == ".csv" else [ln[: len(ln) // 2] for ln in mine]
        (out / f"{stem}_broken{f.suffix}").write_text("\n".join(broken) + "\n", encoding=enc, errors="surrogateescape")
        # a stray quote before the person's row (CSV), the person's e-mail as a key (JSON Lines)
        odd = ['"' + ln for ln in mine] if f.suffix == ".csv" else \
            [ln[:-1] + f', "{needles[-1]}": true}}' if ln.endswith("}") else ln for ln in mine]
        (out / f"{stem}_odd{f.suffix}").write_text("\n".join(header + odd + lines[1:4]) + "\n", encoding=enc,
                                                   errors="surrogateescape")
        written.append(f"{f.parts[-3]}/{new_day}/{stem}")
    return written


def _everyone(settings) -> list[str]:
    pr = pl.read_parquet(settings.paths.canonical_table("person_records") / "person_records.parquet")
    emails = pr["email"].drop_nulls().str.strip_chars().to_list()
    phones = [p for c in ("phone", "mobile") for p in pr[c].drop_nulls().str.strip_chars().to_list() if len(p) >= 8]
    names = [f"{f} {n}" for f, n in zip(pr["first_name"], pr["last_name"], strict=True) if f and n]
    return sorted(set(emails + phones + names))


def test_nothing_personal_in_logs_reports_or_dagster_after_erasure_and_redelivery(install):
    s = install
    everyone = _everyone(s)
    cid = multi_source_customer(s)
    idents = person_identifiers(s, cid)
    values = [*idents["ids"], *idents["emails"], *idents["phones"], *idents["names"], *idents["full_names"]]
    forget(s, idents["emails"][0], reason="ticket DSR-9", actor="dpo@example", pipeline=rebuild)
    assert _redeliver(s.paths.landing, idents["ids"] + idents["emails"])
    run = cdp(s.paths.root, "run")
    assert run.returncode in (0, 1), run.stdout[-2000:] + run.stderr[-2000:]
    log = pl.read_parquet(s.paths.load_log)
    assert (log["status"] == "failed").any()  # the broken copies failed, and said so
    # 1. nothing of the erased person anywhere
    assert scan(s.paths.root, values) == []
    # 2. no personal value of anyone in logs, load-log messages, reports, Dagster storage
    pattern = re.compile("|".join(re.escape(v) for v in sorted(everyone, key=len, reverse=True)), re.IGNORECASE)
    texts = {"cdp run output": run.stdout + run.stderr,
             "load_log messages": "\n".join(log["message"].fill_null("").to_list()),
             "load_log warnings": "\n".join(w for ws in log["warnings"].to_list() for w in (ws or []))}
    for d in (s.paths.reports, s.paths.root / "dagster_home"):
        for p in d.rglob("*"):
            if p.is_file():
                texts[p.relative_to(s.paths.root).as_posix()] = p.read_bytes().decode("utf-8", "replace")
    leaks = {where: m.group(0) for where, t in texts.items() if (m := pattern.search(t))}
    assert not leaks, sorted(leaks)
