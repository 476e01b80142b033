# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_PERSONS ?= 2000
DEMO_SEED ?= 42

.PHONY: install demo test lint browser spark clean-data dagster sql

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

## Simulate the source systems and run the whole pipeline (through Dagster, in-process).
demo: install
	$(BIN)/cdp generate --persons $(DEMO_PERSONS) --seed $(DEMO_SEED) --out data/landing --truth data/truth
	$(BIN)/cdp run

## The Dagster UI over the demo's data, with the run history of `cdp run` / `make demo`.
dagster: install
	DAGSTER_HOME=$(CURDIR)/data/dagster_home CDP_DATA_DIR=$(CURDIR)/data $(BIN)/dagster dev

## The read-only SQL shell on the demo's profile database (`cdp sql`; pipe SQL in for scripts).
sql: install
	$(BIN)/cdp sql

## Headless Chromium for the console's browser tests (Debian packages; skipped when present).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "WARNING: could not install chromium; browser tests will be skipped"; }

## Java (Debian's headless JRE, skipped when `java` is present) and pyspark for
## `cdp resolve --engine spark` and its test.
SPARK_STAMP := $(VENV)/.spark-stamp
$(SPARK_STAMP): $(STAMP)
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing Debian's headless JRE for Spark"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null) \
	  || echo "WARNING: could not install Java; the Spark tests will be skipped"; }
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[spark]"
	@touch $(SPARK_STAMP)

spark: $(SPARK_STAMP)

test: install browser spark
	$(BIN)/pytest -q

## ruff (style, complexity, argument count, blind except) and mypy (config in pyproject.toml)
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

clean-data:
	rm -rf data
