# Cakap — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint e2e messages clean fuzz

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

# The day-boundary tests again in a WITA city (CAKAP_TIMEZONE, docs/deploy): about a minute.
WITA_TESTS := tests/test_bimtek_http.py tests/test_bimtek_checkin.py tests/test_certificates_http.py \
	tests/test_progress_default_assignment.py tests/test_i18n_dates.py

## Set up and run the whole suite: lint, SQLite + PostgreSQL tests, browser tests, then
## the day-boundary tests as a WITA city (SQLite)
test: $(STAMP)
	bash .ci/ensure-postgres
	bash .ci/ensure-chromium
	$(BIN)/ruff check app tests migrations
	$(BIN)/pytest
	CAKAP_TIMEZONE=Asia/Makassar $(BIN)/pytest -q -k "not postgresql" $(WITA_TESTS)

## Longer fuzzing and the dependency audit (not part of make test)
FUZZ_RUNS ?= 20000
fuzz: $(STAMP)
	$(BIN)/pip install -q atheris pip-audit
	for target in gift aiken quiz module csv_import xlsx_import; do \
		$(BIN)/python tests/fuzz/fuzz_parsers.py $$target -runs=$(FUZZ_RUNS) -max_len=4096 || exit 1; \
	done
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -q tests/test_quizzes_gift.py tests/test_quizzes_aiken.py tests/test_users_importer.py tests/test_courses_loader.py
	# pip-audit asks the package index's vulnerability service; it fails loudly when offline.
	$(BIN)/pip-audit --strict --progress-spinner off -r <($(BIN)/pip freeze --exclude-editable) \
		|| { echo "pip-audit failed or could not reach the vulnerability data: the dependency audit is NOT done" >&2; exit 1; }

lint: $(STAMP)
	$(BIN)/ruff check app tests migrations
	$(BIN)/ruff format --check app tests

## Re-extract UI strings and merge them into the catalogs (edit app/locale/*/LC_MESSAGES/*.po)
# `update` has no --no-location: it copies the template's (absent) locations and order, so the
# sorted, location-free .pot keeps the catalogs so. The header stays (Language, Plural-Forms);
# --ignore-pot-creation-date keeps it from changing on every run, and obsolete #~ entries are
# dropped rather than piled up. tests/test_i18n_catalog.py checks that every string is translated.
messages: $(STAMP)
	mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k N_ --no-location --sort-output -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d app/locale --ignore-pot-creation-date --ignore-obsolete

clean:
	rm -rf $(VENV) var

## Benchmarks (figures, never a pass/fail test; see docs/performance.md). BENCH_ARGS=--help lists options
.PHONY: bench bench-soak
BENCH_ARGS ?=
bench: $(STAMP)
	BENCH_COMMAND="make bench $(BENCH_ARGS)" $(BIN)/python bench/bench_app.py $(BENCH_ARGS)

## The mixed 80 % read / 20 % write soak with RSS and WAL samples every 30 s
SOAK_MINUTES ?= 30
bench-soak: $(STAMP)
	BENCH_COMMAND="make bench-soak SOAK_MINUTES=$(SOAK_MINUTES) $(BENCH_ARGS)" $(BIN)/python bench/bench_app.py --only soak --soak $(SOAK_MINUTES) $(BENCH_ARGS)
