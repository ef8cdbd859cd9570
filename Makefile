# Two commands for a newcomer: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Two workers for two cores; a test module stays on one worker, so the worlds it builds once
# (module fixtures) are built once.
PYTEST_WORKERS ?= 2

.PHONY: demo test test-fast lint bench docs serve clean screenshots setup-demo setup-test

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## Build the demo city of 营口 under ./var and serve the console at http://127.0.0.1:8000
demo: $(STAMP) setup-demo
	$(BIN)/sluice demo $(DEMO_ARGS)

serve: $(STAMP)
	$(BIN)/sluice serve

## Lint, type-check and run the whole suite (SQLite and PostgreSQL, browser tests included)
test: setup-test lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

## The suite without the browser and PostgreSQL (quick local loop)
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadscope -m "not browser" -k "not postgresql" $(PYTEST_ARGS)

## Debian packages and services the commands need (installed when run as root on Debian)
setup-demo:
	@scripts/setup demo

setup-test:
	@scripts/setup test

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## Benchmarks against their peers; writes bench/results/latest.json and latest.md
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

## Retake the guide's screenshots (docs/screenshots) with the browser tests that take them
screenshots: setup-test
	SLUICE_UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -p no:cacheprovider -q tests/e2e/test_workbench.py tests/e2e/test_audit.py

## Regenerate docs/configuration.md and docs/cli.md from the code
docs: $(STAMP)
	$(BIN)/python -m sluice.docgen

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
