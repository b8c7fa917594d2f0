# Retention Radar — the two commands are `make demo` and `make test`; everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
export RADAR_HOME ?= $(CURDIR)/.radar
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: install demo test test-fast lint ui lock clean

# The environment is rebuilt only when the lock or the project metadata changes.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --compile-bytecode requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/radar demo

# Two workers (pytest-xdist), a test file each at a time: a whole-pipeline run keeps about one core busy, so two
# of them fill the reference machine's two cores. TEST_WORKERS=0 runs everything in this one process.
TEST_WORKERS ?= 2
PYTEST_PARALLEL := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

test: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest $(PYTEST_PARALLEL)

# The tier without whole-pipeline runs (no `slow`, no real `radar ui`, no PostgreSQL, Spark or production lane): unit, asset-graph and simulator tests.
test-fast: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not slow and not second_adapter and not spark and not production and not ui_integration"

lint: install
	$(BIN)/ruff check pipelines models_registry tests
	cd dbt_project && PATH="$(CURDIR)/$(BIN):$$PATH" ../$(BIN)/sqlfluff lint models

ui: install
	$(BIN)/radar ui

lock:
	$(BIN)/uv pip compile --python-version 3.11 --no-header --generate-hashes requirements.in -o requirements.lock

clean:
	rm -rf $(RADAR_HOME) dbt_project/target dbt_project/logs
