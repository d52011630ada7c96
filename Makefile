# Every developer command is a target here, so the README, CI and newcomers say the same thing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
ROOT ?= ./.stacsift
SAMPLE := ./.stacsift-sample
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install test lint unit integration bench bench-crawl clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: build the sample catalog into ./.stacsift and serve the STAC API on $(HOST):$(PORT)
run: $(STAMP)
	$(BIN)/stacsift sample $(SAMPLE)
	$(BIN)/stacsift build $(SAMPLE)/catalog.json --root $(ROOT)
	$(BIN)/stacsift serve --root $(ROOT) --host $(HOST) --port $(PORT)

## make test: lint, then unit and integration tests
test: lint
	$(BIN)/python -m pytest tests/unit tests/integration

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## make bench: every benchmark (never part of make test)
bench: bench-crawl

## make bench-crawl: crawl items/s on disk, over HTTP and from S3, next to pystac and rustac
bench-crawl: $(STAMP)
	$(BIN)/python bench/crawl.py $(BENCH_ARGS)

clean:
	rm -rf $(ROOT) $(SAMPLE) .pytest_cache .mypy_cache .ruff_cache
