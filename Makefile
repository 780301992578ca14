# Two commands for a newcomer:  `make run` starts the app, `make test` runs every test.
# Each creates .venv and installs what it needs first (again only when requirements change).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501
## Test workers (pytest-xdist): a file stays on one worker (its module fixtures are built once)
## and the longest files start first (tests/conftest.py). TEST_WORKERS=0 runs in one process.
## Three on this 2-core machine: a third of the suite waits on browsers and app servers (two:
## 9 min 43 s, three: 8 min 40 s, one process: 16 min 19 s, at 1,414 tests).
TEST_WORKERS ?= 3
PARALLEL := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder)

.PHONY: run test test-fast lint format system-test-deps ingest evaluate benchmarks clean cluster-up cluster-down

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

## Start the app (builds the catalog on first start; see README for the data sources).
## serve.py is app.py plus the route that makes its cookies HttpOnly (README, "Sessions").
run: $(VENV)/.runtime-installed
	$(BIN)/streamlit run serve.py --server.port $(PORT)

## Install test dependencies (Python packages, and Chromium + PostgreSQL where we may), then test.
test: $(VENV)/.dev-installed system-test-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PARALLEL)
	$(BIN)/python scripts/audit.py

## The fast tier while you work: unit tests and AppTests on SQLite, no browser, no PostgreSQL,
## no cluster, no shared data (about 3.5 min on 2 cores). CI runs `make test`.
test-fast: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q $(PARALLEL) \
		-m "not e2e and not postgres and not integration and not slow" --ignore=tests/cluster

## Chromium (browser test) and PostgreSQL (database tests) come from the system's packages.
## Installed automatically when running as root on Debian/Ubuntu; otherwise those tests skip.
system-test-deps:
	@bash scripts/system-test-deps.sh

## N app processes behind nginx on a private PostgreSQL (scripts/cluster.sh; README "Scale out").
SERVERS ?= 2
FRONT_PORT ?= 8080
cluster-up: $(VENV)/.dev-installed
	bash scripts/cluster.sh up $(SERVERS) --port $(FRONT_PORT)

cluster-down:
	bash scripts/cluster.sh down

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

ingest: $(VENV)/.runtime-installed
	$(BIN)/python -m recsys ingest

evaluate: $(VENV)/.runtime-installed
	$(BIN)/python -m recsys evaluate --json data/evaluation.json

benchmarks: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/ingest_full_scale.py
	$(BIN)/python benchmarks/recommend_latency.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output
