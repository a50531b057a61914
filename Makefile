# Leerpad. `make run` and `make test` both install into .venv first (idempotently).
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST    ?= 127.0.0.1
PORT    ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install browser run check test test-fast bench lint screenshot clean

install: $(STAMP)

# The CPU build of torch is asked for first (pinned), so nothing later pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

# Debian's chromium and chromium-driver for the browser tests; apt-get only when one is missing.
browser:
	tools/install-chromium

# `leerpad demo` creates or migrates the database itself, and loads only what changed since the last run.
run: install
	$(BIN)/leerpad demo --tenant demo
	@echo "Demo admin API key (tenant demo):"
	@$(BIN)/leerpad keys create --tenant demo --role admin --label "make run" | tail -n 1
	@echo "Serving on http://$(HOST):$(PORT)  (OpenAPI: http://$(HOST):$(PORT)/docs; L&D dashboard: /dashboard;"
	@echo "  xAPI LRS for an LMS: http://$(HOST):$(PORT)/xapi/ with HTTP Basic, username demo, password the key)"
	$(BIN)/leerpad serve --host $(HOST) --port $(PORT)

# The suite runs on a pytest-xdist worker per core (at most 4: each loads the models), a whole module
# at a time (--dist loadscope), the modules with a slow test first (tests/conftest.py). TEST_WORKERS=1
# for one process. Bytecode is written even where PYTHONDONTWRITEBYTECODE is set: each worker would
# otherwise assertion-rewrite hypothesis and schemathesis anew, and each `leerpad` the tests start
# compile the project again. The 15 slowest tests are listed at the end, to keep an eye on the budget.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( n < 4 ? n : 4 )))
PYTEST  := PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder --durations=15

# The rules that check themselves, before any test runs: lint, formatting, types, and the
# architecture's import contracts ([tool.importlinter] in pyproject.toml).
check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

test: install browser check
	$(PYTEST)

test-fast: install browser check
	$(PYTEST) -m "not slow"

bench: install
	$(PY) bench/ingest.py
	$(PY) bench/tagging.py
	$(PY) bench/retrieval.py
	$(PY) bench/reports.py
	$(PY) bench/memory.py
	$(PY) bench/load.py
	$(PY) bench/snapshot_store.py
	$(PY) bench/cli_startup.py

# The L&D dashboard on the demo data, in headless Chromium.
screenshot: install browser
	$(PY) tools/screenshot.py --output docs/dashboard.png

lint: check

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .grimp_cache
