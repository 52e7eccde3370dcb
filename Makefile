# Jiaoyan — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: run test install install-dev lint format messages bench loadtest demo-city clean

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

## 100 users of the five demo roles for two minutes against `jiaoyan serve` (locust).
loadtest: install-dev
	$(BIN)/jiaoyan loadtest $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) var/static
