# EpiGrid: `make demo` runs the platform on SQLite with the demo city; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# Front-end assets from the npm registry (npm_config_registry: a mirror), pinned and checked by sha512.
ASSETS := src/epigrid/core/static/vendor/echarts/.fetched.json

.PHONY: demo test install install-test lint bench serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(ASSETS): src/epigrid/core/assets_fetch.py | $(VENV)/.installed
	$(BIN)/python -m epigrid.core.assets_fetch
	touch $@

install: $(VENV)/.installed $(ASSETS)

install-test: $(VENV)/.installed-test $(ASSETS)

demo: install
	EPIGRID_DEBUG=1 $(BIN)/epigrid demo --port $(PORT)

test: install-test
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check src tests bench

serve: install
	$(BIN)/epigrid serve

bench: install-test
	@for script in bench/[!_]*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache
