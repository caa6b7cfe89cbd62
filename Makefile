# Cakap — the two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint e2e messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

## Set up, migrate, load demo data into an empty database, serve on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/cakap db upgrade
	$(BIN)/cakap demo --if-empty
	$(BIN)/cakap serve --host 127.0.0.1 --port 8000

## Set up and run the whole suite: lint, SQLite + PostgreSQL tests, browser tests
test: $(STAMP)
	bash .ci/ensure-postgres
	bash .ci/ensure-chromium
	$(BIN)/ruff check app tests migrations
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check app tests migrations
	$(BIN)/ruff format --check app tests

## Re-extract UI strings and merge them into the catalogs (edit app/locale/*/LC_MESSAGES/*.po)
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k N_ --no-location --sort-output -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d app/locale --no-location --omit-header

clean:
	rm -rf $(VENV) var
