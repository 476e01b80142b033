"""The environment `make install` / `make test` build: no installed package changes how Python runs.

An extra (pyspark for `make spark`, the dev tools) must not hijack `python -c`, add start-up code
through a ``.pth`` file or ship a ``sitecustomize``: people script against this virtualenv.

The case that bit: pyspark 4's ``pyspark.sql.connect.utils.check_dependencies`` takes a process
whose ``__main__`` has neither ``__spec__`` nor ``__file__`` (exactly ``python -c``) for a doctest
run and, when Spark Connect's packages are missing, prints "Skipping doctests" and exits 0;
``import great_expectations`` imports pyspark when it is installed. The ``spark`` extra therefore
installs ``pyspark[connect]``. The first test runs in every environment and catches it wherever
pyspark is present (after ``make spark``, which ``make test`` runs).
"""

from __future__ import annotations

import importlib.util
import site
import subprocess
import sys
from pathlib import Path

import pytest

#: .pth files allowed to run code at start-up, and why.
ALLOWED_PTH_CODE = {
    "distutils-precedence.pth": "setuptools: only when SETUPTOOLS_USE_DISTUTILS=local",
    "coloredlogs.pth": "coloredlogs: only when COLOREDLOGS_AUTO_INSTALL is set",
}


def _site_dirs() -> list[Path]:
    return [Path(p) for p in site.getsitepackages() if Path(p).is_dir()]


def test_python_c_runs_the_given_code_with_every_extra_imported():
    modules = ["great_expectations", "dagster", "splink", "duckdb", "polars"]
    if importlib.util.find_spec("pyspark") is not None:
        modules.append("pyspark")
    code = "import sys, " + ", ".join(modules) + "; print('ran', len(sys.argv)); sys.exit(3)"
    out = subprocess.run([sys.executable, "-c", code, "extra-arg"], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 3, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "ran 2"


def test_no_pth_file_runs_code_except_the_known_ones():
    offenders = []
    for d in _site_dirs():
        for pth in d.glob("*.pth"):
            if pth.name in ALLOWED_PTH_CODE or pth.name.startswith("__editable__"):
                continue
            if any(line.startswith(("import ", "import\t")) for line in pth.read_text(errors="replace").splitlines()):
                offenders.append(str(pth))
    assert offenders == []


@pytest.mark.parametrize("name", ["sitecustomize", "usercustomize"])
def test_no_site_customisation_module_is_installed(name):
    spec = importlib.util.find_spec(name)
    assert spec is None, f"{name} installed at {spec.origin}: it changes how every Python start behaves"
