# Every target CI uses is here; `.ci/run` calls `make test` and `make bench-quick`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint docs bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

# Until the web site exists, "run" shows the engine on a shipped example answer file.
run: setup
	$(BIN)/screenplan simulate src/screenplan/examples/integrated.json

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m screenplan.docgen --check

test: lint
	$(BIN)/python -m pytest

docs: setup
	$(BIN)/python -m screenplan.docgen

bench: setup
	$(BIN)/python bench/burden.py

bench-quick: setup
	$(BIN)/python bench/burden.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
