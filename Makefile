# The two commands of the README are `make run` and `make test`; both start with `make setup`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: setup run test lint format typecheck importlint migrate demo ci clean

# Creates .venv and installs the pinned requirements; re-runs only when a requirements file changes.
setup: $(VENV)/.installed

$(VENV)/.installed: requirements/base.txt requirements/dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $@

migrate: setup
	$(BIN)/python manage.py migrate --noinput

# Sets everything up, loads the demo data and runs web, Celery worker and beat, and the
# host-server supervisor on the embedded defaults (SQLite, local files, filesystem broker).
run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py portal_key ensure
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/honcho -f Procfile start

# Sets everything up and runs the whole test suite.
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: setup
	$(BIN)/mypy

importlint: setup
	$(BIN)/lint-imports

security: setup
	$(BIN)/bandit -q -c pyproject.toml -r common marketplace certification hostserver frontend portal

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache .ruff_cache
