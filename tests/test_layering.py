"""The packages are layers and dependencies point one way (docs/architecture.md).

Fails on an import of a higher layer, on an import cycle between modules, on one of our modules
imported inside a function (where a reader does not see it), and on Dagster outside
``dagster_project``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Lower number = lower layer. A package may import its own layer's modules and lower layers only.
LAYERS = {
    "cdp": 0,          # ground floor: settings, paths, schema, lake writer, standardisation, logs
    "privacy": 1,      # policy the stages call: tombstones, keyed hashes, restriction, retention rule
    "simulator": 1,    # makes source exports; knows the canonical vocabulary only
    "pipelines": 2,    # landing → staged / quarantine → canonical
    "identity": 3,     # canonical person records → stable customer ids
    "profiles": 4,     # identity + canonical → data/cdp.duckdb
    "exports": 5,      # cdp.duckdb → files and the console
    "dsr": 6,          # data-subject requests: change data, then trigger the pipeline run
    "dagster_project": 7,
    "cli": 8,
}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in LAYERS:
        for f in (ROOT / pkg).rglob("*.py"):
            mod = ".".join(f.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            out[mod] = f
    return out


def _imports(path: Path) -> list[tuple[str, bool, int]]:
    """(imported module, at module top?, line) for every import of one of our packages."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    # ``if TYPE_CHECKING:`` blocks at the top count as top-level (types only, never executed)
    for n in tree.body:
        if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test):
            top |= {id(c) for c in n.body}
    found = []
    for n in ast.walk(tree):
        names: list[str] = []
        if isinstance(n, ast.Import):
            names = [a.name for a in n.names]
        elif isinstance(n, ast.ImportFrom) and n.level == 0 and n.module:
            names = [n.module] + [f"{n.module}.{a.name}" for a in n.names]
        for name in names:
            if name.split(".")[0] in LAYERS:
                found.append((name, id(n) in top, n.lineno))
    return found


MODULES = _modules()


def _graph() -> dict[str, set[str]]:
    g: dict[str, set[str]] = defaultdict(set)
    for mod, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        type_only = set()
        for n in tree.body:
            if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test):
                type_only |= {id(c) for c in ast.walk(n)}
        for n in ast.walk(tree):
            if id(n) in type_only:
                continue
            if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module in MODULES:
                # ``from pkg import submodule`` depends on the submodule, not on pkg/__init__
                subs = {f"{n.module}.{a.name}" for a in n.names} & MODULES.keys()
                g[mod] |= subs or {n.module}
            elif isinstance(n, ast.Import):
                g[mod] |= {a.name for a in n.names} & MODULES.keys()
    return g


def test_every_package_is_in_a_layer():
    ours = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file() and p.name != "tests"}
    assert ours <= LAYERS.keys(), f"add {sorted(ours - LAYERS.keys())} to LAYERS and docs/architecture.md"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_and_sit_at_the_top(module):
    layer = module.split(".")[0]
    problems = []
    for name, at_top, line in _imports(MODULES[module]):
        target = name.split(".")[0]
        if LAYERS[target] > LAYERS[layer] or (LAYERS[target] == LAYERS[layer] and target != layer):
            problems.append(f"line {line}: {layer} (layer {LAYERS[layer]}) imports {name} "
                            f"(layer {LAYERS[target]})")
        if not at_top:
            problems.append(f"line {line}: {name} imported inside a function; import it at the top")
    assert not problems, f"{MODULES[module].relative_to(ROOT)}:\n" + "\n".join(problems)


def test_no_import_cycles():
    g = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in MODULES:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_only_the_dagster_glue_imports_dagster():
    offenders = []
    for mod, path in MODULES.items():
        if mod.startswith(("dagster_project", "cli")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for n in ast.walk(tree):
            mods = [a.name for a in n.names] if isinstance(n, ast.Import) else \
                [n.module or ""] if isinstance(n, ast.ImportFrom) else []
            if any(m.split(".")[0] == "dagster" for m in mods):
                offenders.append(f"{mod}:{n.lineno}")
    assert not offenders, offenders


#: Packages whose code runs before identity resolution in the flow (or beside it): they never
#: read identity's outputs. A data back-edge is as bad as an upward import: the canonical build
#: once read the previous run's identity links to decide guest retention (now a step after
#: identity that writes tombstones, ``identity/retention.py``).
BEFORE_IDENTITY = ("privacy", "pipelines", "simulator")


def test_nothing_before_identity_reads_its_outputs():
    offenders = [f"{MODULES[mod].relative_to(ROOT)}:{i}" for mod in sorted(MODULES)
                 if mod.split(".")[0] in BEFORE_IDENTITY
                 for i, line in enumerate(MODULES[mod].read_text(encoding="utf-8").splitlines(), start=1)
                 if "paths.identity" in line or "identity_link.parquet" in line]
    assert not offenders, "reads identity's outputs (data/lake/identity/): " + ", ".join(offenders)
