# Stepwise: `make run` starts everything on this machine, `make test` runs the test suite.
# The virtualenv lives in .venv and is (re)installed only when requirements/*.txt change.

.DEFAULT_GOAL := run

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
PYTEST_ARGS ?=
LINT_PATHS := api engine rules definitions activities stepwise_cli console worker.py server.py
# The unused-code check (scripts/deadcode.py).
DEADCODE_PATHS := api engine rules definitions activities jscompat.py worker.py server.py stepwise_cli console

.PHONY: run test lint bench db-upgrade db-revision venv

run: $(VENV)/.stamp-base
	$(PY) scripts/run.py

test: $(VENV)/.stamp-test
	$(PY) -m pytest -q -x --durations=15 $(PYTEST_ARGS)

lint: $(VENV)/.stamp-test
	$(PY) -m ruff check .
	$(PY) -m mypy $(LINT_PATHS)
	$(PY) scripts/deadcode.py $(DEADCODE_PATHS)

bench: $(VENV)/.stamp-test
	@set -e; found=0; for f in bench/*.py; do \
		[ -f "$$f" ] || continue; found=1; \
		echo "== $$f"; $(PY) "$$f"; \
	done; [ $$found = 1 ] || echo "no benchmarks in bench/"

db-upgrade: $(VENV)/.stamp-base
	$(PY) -m api.cli migrate

# A new migration from what the models declare and the database (brought to head first) lacks.
db-revision: $(VENV)/.stamp-base
	@if [ -z "$(m)" ]; then echo 'usage: make db-revision m="what changed"' >&2; exit 2; fi
	$(PY) -m api.cli migrate
	$(PY) -m alembic revision --autogenerate -m "$(m)"

# Everything: runtime and test/lint dependencies.
venv: $(VENV)/.stamp-test

$(PY):
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.11+ is needed (python3.11 or python3 on PATH)" >&2; exit 1; fi
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "$(PYTHON) is older than 3.11; install Python 3.11+ or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.stamp-base: requirements/base.txt | $(PY)
	@echo "Installing requirements/base.txt into $(VENV) ..."
	$(PIP) install -q -r requirements/base.txt
	$(PIP) install -q --no-deps -e . --config-settings editable_mode=compat  # the `stepwise` command
	@touch $@

# test.txt includes base.txt, so this also brings the runtime dependencies up to date.
$(VENV)/.stamp-test: requirements/base.txt requirements/test.txt | $(PY)
	@echo "Installing requirements/test.txt into $(VENV) ..."
	$(PIP) install -q -r requirements/test.txt
	$(PIP) install -q --no-deps -e . --config-settings editable_mode=compat  # the `stepwise` command
	@touch $(VENV)/.stamp-base $@
