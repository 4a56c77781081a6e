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

.PHONY: geth geth-if-go install run test lint typecheck forge-test pytest compile check-artifacts clean bench bench-quick browser mqtt-broker slither coverage test-deep loadgen

# go-ethereum v1.13.15, the last release that seals Clique proof-of-authority blocks, for the
# multi-node devnet (`ledgerhouse devnet up --engine geth`) and tests/consortium/. Built once from the
# Go module proxy with the machine's Go into tools/geth/ (gitignored); the stamp names the version, so
# a second `make geth` does nothing. github.com/fjl/memsize links into the runtime by go:linkname,
# which Go >= 1.23 refuses unless -checklinkname=0.
GETH_VERSION := v1.13.15
GETH_DIR     := tools/geth
GETH         := $(GETH_DIR)/bin/geth
GETH_STAMP   := $(GETH_DIR)/.built-$(GETH_VERSION)

geth: $(GETH_STAMP)

$(GETH_STAMP):
	@command -v go >/dev/null || { echo "make geth: Go is not installed (https://go.dev/doc/install)"; exit 1; }
	mkdir -p $(GETH_DIR)/bin
	GOBIN=$(CURDIR)/$(GETH_DIR)/bin GOTOOLCHAIN=local \
	  go install -ldflags=-checklinkname=0 github.com/ethereum/go-ethereum/cmd/geth@$(GETH_VERSION)
	$(GETH) version | grep -q 'Version: $(patsubst v%,%,$(GETH_VERSION))-stable'
	touch $@

# For `make test`: the consortium suite runs wherever Go is, and skips (saying why) where it is not.
geth-if-go:
	@if command -v go >/dev/null; then $(MAKE) --no-print-directory geth; \
	else echo "geth: Go is not installed; tests/consortium/ will skip"; fi

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
	FOUNDRY_PROFILE=test $(FORGE) test

# Headless Chromium for the explorer's browser tests (tests/registry/test_explorer.py), from Debian.
# In CI (CI=true) a Chromium that cannot be installed fails the run: the browser tests must run there.
browser:
	@test -x /usr/bin/chromium || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y --no-install-recommends chromium chromium-driver \
	  || { apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver; } \
	  || { echo "browser: could not install Debian's chromium; the explorer's browser tests will skip (and fail in CI)"; \
	       case "$${CI:-}" in 1|true|yes) exit 1;; esac; }; \
	}

# Mosquitto, the MQTT broker of the IoT gateway's tests (tests/iot/, each starting its own broker on a
# free port, never the system service) and of `ledgerhouse devnet up --iot`, from Debian. In CI
# (CI=true) a Mosquitto that cannot be installed fails the run: the IoT tests must run there.
mqtt-broker:
	@test -x /usr/sbin/mosquitto || command -v mosquitto >/dev/null || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y --no-install-recommends mosquitto \
	  || { apt-get update && apt-get install -y --no-install-recommends mosquitto; } \
	  || { echo "mqtt-broker: could not install Debian's mosquitto; the IoT tests will skip (and fail in CI)"; \
	       case "$${CI:-}" in 1|true|yes) exit 1;; esac; }; \
	}

# Two workers (CI's two cores), each with its own anvil, registry and databases; a module's tests
# stay on one worker, so module-scoped fixtures (a seeded registry, a devnet) are built once.
PYTEST_WORKERS ?= 2

pytest: install browser mqtt-broker geth-if-go
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope

# The static checks first (each fails fast); then the forge and Python suites side by side: forge's
# invariant suites leave a core idle for minutes, which pytest's workers fill (CI has two cores).
# --output-sync prints each suite's output whole, when it ends.
test: check-artifacts lint typecheck slither
	$(MAKE) --no-print-directory --output-sync=target -j2 forge-test pytest

# Benchmarks, each scaled down to finish in minutes (the scripts' defaults are the full-size runs);
# figures print as tables and land as JSON in $(BENCH_OUT).
# Every benchmark, each bounded in time, into one report: bench/report.json and bench/report.md
# (figures beside targets and same-run baselines). `make bench-quick` is a scaled-down smoke run.
bench: install loadgen geth-if-go
	$(PY) scripts/bench_report.py

bench-quick: install loadgen geth-if-go
	$(PY) scripts/bench_report.py --quick

# The API benchmark's open-loop load generator (scripts/loadgen, Go standard library only), built
# into bench/bin; Go comes from Debian (golang-go) where the machine has none. wrk, the HTTP load
# tool Debian ships, is closed loop (a slow answer delays the next request, hiding the queue) and
# wrk2, its constant-rate fork, is not packaged.
LOADGEN := bench/bin/loadgen
loadgen: $(LOADGEN)

$(LOADGEN): scripts/loadgen/main.go scripts/loadgen/go.mod
	@command -v go >/dev/null 2>&1 || test -x /usr/local/go/bin/go || { \
		echo "installing Go from Debian (golang-go) to build the load generator"; \
		apt-get install -y golang-go >/dev/null || { apt-get update >/dev/null && apt-get install -y golang-go >/dev/null; }; }
	mkdir -p bench/bin
	cd scripts/loadgen && PATH="$$PATH:/usr/local/go/bin" GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 \
		go build -trimpath -o ../../$(LOADGEN) .

clean:
	rm -rf out cache .mypy_cache .ruff_cache .pytest_cache

# ------------------------------------------------------------ security bar

# Slither lives in its own virtualenv: it pins web3 v7, the project needs v8.
SLITHER_VENV  := .venv-slither
SLITHER_STAMP := $(SLITHER_VENV)/.installed
SLITHER_DIR   := cache/slither
FORGE_DIR     := $(dir $(FORGE))

$(SLITHER_STAMP): constraints-slither.txt
	test -x $(SLITHER_VENV)/bin/python || $(PYTHON) -m venv $(SLITHER_VENV)
	echo '*' > $(SLITHER_VENV)/.gitignore
	$(SLITHER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SLITHER_VENV)/bin/python -m pip install --quiet -c constraints-slither.txt slither-analyzer
	touch $@

# Static analysis of contracts/ compiled by forge through the same solc wrapper (the test profile:
# Slither reads the source and its AST, which the legacy pipeline builds in seconds), into a build of its
# own (crytic-compile's own compile step would `forge clean` the shared out/ and cache/). The gate
# fails on any High or Medium finding and on any other finding not triaged in
# security/slither-triage.md.
SLITHER_BUILD := $(SLITHER_DIR)/out/.built

$(SLITHER_BUILD): $(shell find contracts -name '*.sol') foundry.toml $(NODE_STAMP)
	rm -rf $(SLITHER_DIR)/out $(SLITHER_DIR)/cache
	FOUNDRY_PROFILE=test $(FORGE) build --build-info --out $(SLITHER_DIR)/out --cache-path $(SLITHER_DIR)/cache contracts
	touch $@

slither: $(SLITHER_STAMP) $(PY_STAMP) $(SLITHER_BUILD)
	rm -f $(SLITHER_DIR)/report.json
	PATH="$(abspath $(FORGE_DIR)):$$PATH" $(SLITHER_VENV)/bin/slither . --config-file slither.config.json \
	    --foundry-ignore-compile --foundry-out-directory $(SLITHER_DIR)/out --json $(SLITHER_DIR)/report.json \
	    --fail-none > $(SLITHER_DIR)/slither.log 2>&1 || { tail -n 40 $(SLITHER_DIR)/slither.log; exit 1; }
	$(PY) scripts/slither_gate.py $(SLITHER_DIR)/report.json security/slither-triage.md slither.config.json

# Contract coverage (forge, contracts/ only) and Python line coverage of registry and client.
# Slow: its own target, not part of `make test`. Reports land in cache/coverage/. Invariant runs are
# cut to 32 x 50 here: coverage asks which branches a suite reaches, not how deep the fuzzer searched;
# the gas suites (every contract named *GasTest) are left out (instrumentation adds gas to what it measures).
COVERAGE_DIR := cache/coverage

coverage: install
	mkdir -p $(COVERAGE_DIR)
	FOUNDRY_PROFILE=test FOUNDRY_INVARIANT_RUNS=32 FOUNDRY_INVARIANT_DEPTH=50 $(FORGE) coverage --no-match-contract GasTest --out $(COVERAGE_DIR)/out --cache-path $(COVERAGE_DIR)/cache \
	    --no-match-coverage '(node_modules|tests)/' \
	    --report summary --report lcov --report-file $(COVERAGE_DIR)/lcov.info
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope --cov=registry --cov=client --cov-report=term --cov-report=xml:$(COVERAGE_DIR)/python.xml

# Nightly: the invariant suites at the deep profile (foundry.toml [profile.deep.invariant]).
test-deep: install
	FOUNDRY_PROFILE=deep $(FORGE) test
