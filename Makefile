# Every developer command is a target here, so the README, CI and newcomers say the same thing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
RUN_STAMP := $(VENV)/.installed-run
ROOT ?= ./.stacsift
SAMPLE := ./.stacsift-sample
HOST ?= 127.0.0.1
PORT ?= 8000
BROWSER_PORT ?= 8080

BENCH_STAMP := $(VENV)/.installed-bench
# The SAM CLI and cfn-lint (own venv: their botocore pin clashes with MiniStack's), and MiniStack.
SAM_VENV := .cache/sam/venv
MINISTACK_VENV := .cache/ministack/venv
ARCH ?= arm64
export SAM_CLI_TELEMETRY := 0
# stac-asset, a baseline of bench-mirror, in its own virtualenv: it pins botocore apart from ours
STAC_ASSET := .cache/stac-asset/venv/bin/python

.PHONY: run install localstack stac-browser browse test lint unit integration browser hostile \
	bench bench-presign bench-crawl bench-search bench-mirror bench-reindex clean
.PHONY: stack-tools ministack package e2e deploy-local run-stack stop-local bench-stack

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# make run needs only what running needs: the package itself, not the dev extra
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

## make localstack: LocalStack's own virtualenv (Python 3.13) in .cache/localstack, made once
localstack:
	bash localstack/setup.sh

## make stac-browser: STAC Browser (npm) built once into .cache/stac-browser/dist (needs node, npm)
stac-browser:
	bash tests/browser/build-stac-browser.sh

## make stack-tools: the SAM CLI and cfn-lint in .cache/sam/venv (Python 3.12), made once
stack-tools:
	bash infra/toolvenv.sh $(SAM_VENV) 3.12 infra/tools-requirements.txt

## make ministack: MiniStack in .cache/ministack/venv (Python 3.12, the Lambda runtime's), made once
ministack:
	bash infra/toolvenv.sh $(MINISTACK_VENV) 3.12 ministack/requirements.txt

## make package [ARCH=arm64|x86_64]: one Lambda zip per function in dist/lambda/, sizes printed
package: $(STAMP)
	$(BIN)/python -m infra.package --arch $(ARCH)

## make deploy-local: MiniStack on a free loopback port, infra/template.yaml deployed there with
## its functions (zips for this machine's architecture); writes .stacsift-stack.json
deploy-local: $(STAMP) stack-tools ministack
	$(BIN)/python -m infra.stack deploy

## make run-stack: upload the sample catalog into the local stack's watched prefix, print curls
run-stack: $(STAMP)
	$(BIN)/python -m infra.stack sample

## make bench-stack: cold/warm search through MiniStack's HTTP API beside `stacsift serve`, and
## upload-to-searchable time through the deployed event chain
bench-stack: $(STAMP) stack-tools ministack
	$(BIN)/python -m bench.stack $(BENCH_ARGS)

## make stop-local: stop the MiniStack that make deploy-local started
stop-local: $(STAMP)
	$(BIN)/python -m infra.stack stop

## make run: build the sample catalog into ./.stacsift and serve the STAC API on $(HOST):$(PORT)
run: $(RUN_STAMP)
	$(BIN)/stacsift sample $(SAMPLE)
	$(BIN)/stacsift build $(SAMPLE)/catalog.json --root $(ROOT)
	$(BIN)/stacsift serve --root $(ROOT) --host $(HOST) --port $(PORT)

## make browse: `make run`, and STAC Browser for it on $(HOST):$(BROWSER_PORT), to click through
browse: $(STAMP) stac-browser
	$(BIN)/stacsift sample $(SAMPLE)
	$(BIN)/stacsift build $(SAMPLE)/catalog.json --root $(ROOT)
	$(BIN)/stacsift serve --root $(ROOT) --host $(HOST) --port $(PORT) & trap "kill $$!" EXIT; \
	$(BIN)/python -m tests.browser.site --api http://$(HOST):$(PORT)/ --host $(HOST) --port $(BROWSER_PORT)

## make test: lint, then unit, integration, browser and e2e tests (moto, LocalStack, Chromium and
## MiniStack start; e2e packages the functions and deploys infra/template.yaml on MiniStack)
test: lint localstack stac-browser ministack
	$(BIN)/python -m pytest tests/unit tests/integration tests/browser tests/e2e

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP) localstack ministack
	$(BIN)/python -m pytest tests/integration

## make browser: STAC Browser in headless Chromium against `stacsift serve`
browser: $(STAMP) stac-browser
	$(BIN)/python -m pytest tests/browser

## make hostile: the hostile-request suite with about 10,000 requests (make test sends ~1,450)
hostile: $(STAMP)
	HOSTILE_EXAMPLES=4300 $(BIN)/python -m pytest tests/integration/test_hostile.py

e2e: $(STAMP) stack-tools ministack
	$(BIN)/python -m pytest tests/e2e



lint: $(STAMP) stack-tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(SAM_VENV)/bin/cfn-lint infra/template.yaml
	AWS_DEFAULT_REGION=us-east-1 $(SAM_VENV)/bin/sam validate --lint -t infra/template.yaml

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

## make bench: every benchmark's figures (never part of make test)
bench: $(BENCH_STAMP) $(STAC_ASSET)
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.build
	$(BIN)/python -m bench.presign
	$(BIN)/python bench/crawl.py $(BENCH_ARGS)
	$(BIN)/python -m bench.mirror

## make bench-mirror: mirror JSON objects/s and asset MB/s, to disk and to S3, beside pystac's
## Catalog.save, a plain obstore copy and stac-asset
bench-mirror: $(STAMP) $(STAC_ASSET)
	$(BIN)/python -m bench.mirror $(BENCH_ARGS)

$(STAC_ASSET):
	$(PYTHON) -m venv .cache/stac-asset/venv
	$(STAC_ASSET) -m pip install --quiet 'stac-asset>=0.4,<0.5'

## make bench-search: every search query class at SIZES items (indexes cached in .cache/bench)
SIZES ?= 20000,200000
bench-search: $(BENCH_STAMP)
	$(BIN)/python -m bench.search --sizes $(SIZES)

## make bench-presign: presign throughput and latency, in-process and over HTTP, beside boto3
bench-presign: $(STAMP)
	$(BIN)/python -m bench.presign

## make bench-reindex: upload → searchable latency on LocalStack, bytes per one-item change
bench-reindex: $(STAMP) localstack
	$(BIN)/python -m bench.reindex $(BENCH_ARGS)

## make bench-crawl: crawl items/s on disk, over HTTP and from S3, next to pystac and rustac
bench-crawl: $(STAMP)
	$(BIN)/python bench/crawl.py $(BENCH_ARGS)

clean:
	rm -rf $(ROOT) $(SAMPLE) dist .pytest_cache .mypy_cache .ruff_cache  # keeps .cache/ (LocalStack, STAC Browser, MiniStack, SAM, Lambda deps)
