# The two commands of the README are `make run` and `make test`; both start with `make setup`.
# Every setting comes from the environment (or a .env file, see .env.example), for `make run`
# and `manage.py` alike: e.g. `DATABASE_URL=postgres://... REDIS_URL=redis://... make run`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# honcho hands each process its own PORT (5000, 5100, ...), so the portal's public address is
# fixed here once for every process: download links and the host servers' MarketplaceURL use it.
PORTAL_BASE_URL ?= http://127.0.0.1:$(PORT)
export PORT PORTAL_BASE_URL
BANDIT_PATHS := common marketplace certification hostserver frontend portal

.PHONY: setup run serve test lint format typecheck importlint security migrate demo check-worker ci clean

# Creates .venv and installs the pinned requirements; re-runs only when a requirements file changes.
setup: $(VENV)/.installed

$(VENV)/.installed: requirements/base.txt requirements/dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required (python3.11 not found)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
		|| { echo "Python 3.11 is required; $(PYTHON) is $$($(PYTHON) --version)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	@# The Client4 tests use the real @mattermost/client from npm; without Node they are skipped.
	@if command -v npm >/dev/null 2>&1; then \
		(cd tests/client4 && npm ci --no-audit --no-fund --loglevel=error) \
			|| echo "warning: npm ci in tests/client4 failed; the Client4 tests will be skipped"; \
	fi
	touch $@

migrate: setup
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py portal_key ensure
	$(BIN)/python manage.py load_demo

# Sets everything up, loads the demo data and runs web, Celery worker and beat, and the
# host-server supervisor on the embedded defaults (SQLite, local files, filesystem broker).
run: demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Plugin Portal on $(PORTAL_BASE_URL)/ (Ctrl-C stops every process)"
	exec $(BIN)/honcho --no-colour -f Procfile start

# The processes only, without setup/migrate/demo (for when they were done already).
serve:
	exec $(BIN)/honcho --no-colour -f Procfile start

# Proves that a Celery worker consumes the broker (run while `make run` is up).
check-worker:
	$(BIN)/python manage.py check_worker --timeout 60

# Sets everything up and runs the whole test suite, on up to 4 CPUs (pytest-xdist).
# `make test PYTEST_ARGS="tests/marketplace -x"` runs a part of it instead.
PYTEST_ARGS ?= -n auto --maxprocesses=4
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
	$(BIN)/bandit -q -c pyproject.toml -r $(BANDIT_PATHS)

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache .ruff_cache artifacts
