# Ledgerhouse: `make run` brings up a local chain with everything deployed; `make test` runs the
# whole suite. Both install what is missing first (Python into .venv, Node tools into node_modules).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
# The platform binary itself (not npm's node shim), as the Python fixtures also use.
FOUNDRY_PLATFORM := $(shell uname -s | tr A-Z a-z)-$(subst aarch64,arm64,$(subst x86_64,amd64,$(shell uname -m)))
FORGE  := node_modules/@foundry-rs/forge-$(FOUNDRY_PLATFORM)/bin/forge

PY_STAMP   := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: install run test lint typecheck forge-test pytest compile check-artifacts clean bench browser

install: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[server,postgres,dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

run: install
	$(BIN)/ledgerhouse devnet up --state .devnet/state.json

compile: install
	$(PY) scripts/compile.py

check-artifacts: install
	$(PY) scripts/compile.py --check

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

forge-test: install
	$(FORGE) test

# Headless Chromium for the explorer's browser tests (tests/registry/test_explorer.py), from Debian.
browser:
	@test -x /usr/bin/chromium || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y --no-install-recommends chromium chromium-driver \
	  || { apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver; } \
	  || echo "browser: could not install Debian's chromium; the explorer's browser tests will skip"; \
	}

pytest: install browser
	$(BIN)/pytest

test: check-artifacts lint typecheck forge-test pytest

# Benchmarks, each scaled down to finish in minutes (the scripts' defaults are the full-size runs);
# figures print as tables and land as JSON in $(BENCH_OUT).
BENCH_OUT := out/bench

bench: install
	mkdir -p $(BENCH_OUT)
	$(PY) scripts/bench_gas.py --json $(BENCH_OUT)/gas.json
	$(PY) scripts/bench_throughput.py --receipts 3000 --json $(BENCH_OUT)/throughput.json
	$(PY) scripts/bench_indexer.py --receipts 2000 --seconds 10 --json $(BENCH_OUT)/indexer.json
	$(PY) scripts/bench_api.py --receipts 10000 --seconds 15 --json $(BENCH_OUT)/api.json

clean:
	rm -rf out cache .mypy_cache .ruff_cache .pytest_cache
