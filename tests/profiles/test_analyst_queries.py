"""Every ```sql block in README.md runs on a built profile database, and the analyst section answers right."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SECTION = "## Questions analysts ask"
_SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)


def sql_blocks() -> list[tuple[str, str]]:
    """(``analysts#n`` or ``README#n``, query) for every ```sql fenced block in the README."""
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start : end if end != -1 else len(text)]
    out = [(f"analysts#{i}", m.group(1)) for i, m in enumerate(_SQL_BLOCK.finditer(section), 1)]
    rest = text[:start] + (text[end:] if end != -1 else "")
    out += [(f"README#{i}", m.group(1)) for i, m in enumerate(_SQL_BLOCK.finditer(rest), 1)]
    return out


BLOCKS = sql_blocks()


def test_the_analyst_section_has_8_to_10_queries():
    own = [b for b in BLOCKS if b[0].startswith("analysts#")]
    assert 8 <= len(own) <= 10


@pytest.mark.parametrize("where, query", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_query_runs(built_db, where, query):
    con = duckdb.connect(str(built_db), read_only=True)
    try:
        con.execute(query).fetchall()
    except duckdb.Error as exc:
        pytest.fail(f"{where}: {exc}")
    finally:
        con.close()


def test_queries_answer_the_fixture_questions(con):
    by_name = dict(BLOCKS)
    safety = con.execute(by_name["analysts#1"]).fetchall()
    assert [r[0] for r in safety] == ["C000000001", "C000000002"]
    complaints = con.execute(by_name["analysts#2"]).fetchall()
    assert [(r[0], r[6]) for r in complaints] == [("C000000001", "sms")]
    still_listed = con.execute(by_name["analysts#4"]).fetchall()
    # Anna withdrew in the shop; the CRM's own latest marketing e-mail event is still a grant
    assert [(r[0], r[1]) for r in still_listed] == [("C000000001", "crm")]
    audience = con.execute(by_name["analysts#5"]).fetchall()
    assert [r[0] for r in audience] == ["C000000002"]
