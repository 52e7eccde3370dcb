# Jiaoyan — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: run test install install-dev lint format messages bench bench-smoke loadtest demo-city clean

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Set up, migrate the SQLite database under var/, load the small demo if empty, serve.
run: install
	$(BIN)/jiaoyan migrate --noinput
	$(BIN)/jiaoyan demo --scale small --if-empty
	PORT=$(PORT) $(BIN)/jiaoyan serve --port $(PORT)

## Lint, missing-migration check and the whole suite on DATABASE_URL (SQLite when unset).
test: install-dev
	@echo "== database: $${DATABASE_URL:-sqlite (embedded, in-memory test database)}"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/jiaoyan makemigrations --check --dry-run --verbosity 1
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Rebuild the translation catalogues' compiled files (needs GNU gettext's msgfmt).
messages: install-dev
	cd src/jiaoyan && ../../$(BIN)/jiaoyan makemessages -l zh_Hans -l zh_Hant -l en --no-obsolete --ignore "*/migrations/*"
	$(BIN)/python scripts/fill_zh_hant.py
	cd src/jiaoyan && ../../$(BIN)/jiaoyan compilemessages

bench: install-dev
	$(BIN)/jiaoyan bench

## The bench at small scale, few repeats, on a throwaway SQLite and a throwaway PostgreSQL
## database (built, measured, dropped): fails on errors (a page answering 500, an import
## with errors, a crash), never on timings. `.ci/run` runs it.
BENCH_SMOKE_PG   ?= postgres://postgres@127.0.0.1:5432/jiaoyan_bench_smoke
BENCH_SMOKE_ARGS ?= --scale small --repeat 3 --rebuild --fail-on-error
bench-smoke: install-dev
	@mkdir -p var/bench && tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  echo "== bench smoke on SQLite ($$tmp/bench.sqlite3)" && \
	  start=$$(date +%s) && \
	  $(BIN)/jiaoyan bench $(BENCH_SMOKE_ARGS) --database-url "sqlite:///$$tmp/bench.sqlite3" \
	    --out var/bench/smoke-sqlite.json && \
	  echo "== bench smoke on SQLite: $$(( $$(date +%s) - start )) s"
	@dropdb --if-exists --maintenance-db="$(dir $(BENCH_SMOKE_PG))postgres" $(notdir $(BENCH_SMOKE_PG))
	@trap 'dropdb --if-exists --maintenance-db="$(dir $(BENCH_SMOKE_PG))postgres" $(notdir $(BENCH_SMOKE_PG))' EXIT && \
	  echo "== bench smoke on PostgreSQL ($(BENCH_SMOKE_PG), dropped after)" && \
	  start=$$(date +%s) && \
	  $(BIN)/jiaoyan bench $(BENCH_SMOKE_ARGS) --database-url "$(BENCH_SMOKE_PG)" \
	    --out var/bench/smoke-postgres.json && \
	  echo "== bench smoke on PostgreSQL: $$(( $$(date +%s) - start )) s"

## 100 users of the five demo roles for two minutes against `jiaoyan serve` (locust).
loadtest: install-dev
	$(BIN)/jiaoyan loadtest $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) var/static
