# Every target CI uses is here; `.ci/run` calls `make test`, `make test-postgres`, `make proof-quick` and `make bench-quick`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run example test test-postgres lint docs bench bench-quick proof proof-quick messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

# The site on its embedded SQLite database (in ./screenplan-data), at http://127.0.0.1:8000/
run: setup
	$(BIN)/screenplan serve

# The engine alone, on a shipped example answer file.
example: setup
	$(BIN)/screenplan simulate src/screenplan/examples/integrated.json

lint: setup
	$(BIN)/ruff check src tests bench proof
	$(BIN)/ruff format --check src tests bench proof
	$(BIN)/mypy
	$(BIN)/bandit -q -r src
	$(BIN)/semgrep scan --config semgrep.yml --metrics=off --disable-version-check --error --quiet src
	$(BIN)/lint-imports
	$(BIN)/python -m screenplan.docgen --check
	$(BIN)/python -m screenplan.api.openapi --check

test: lint
	$(BIN)/python -m pytest

# The Django suites again on PostgreSQL (pytest-django creates and drops test_postgres).
# Needs a server on 127.0.0.1:5432 that user postgres may use; `make test` never does.
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
DJANGO_SUITES = $(wildcard tests/web tests/clinic tests/api tests/ops tests/security)

test-postgres: setup
	DATABASE_URL=$(POSTGRES_URL) $(BIN)/python -m pytest $(DJANGO_SUITES)

docs: setup
	$(BIN)/python -m screenplan.docgen
	$(BIN)/python -m screenplan.api.openapi

bench: setup
	$(BIN)/python bench/burden.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/flow_cpu.py

bench-quick: setup
	$(BIN)/python bench/burden.py --quick
	$(BIN)/python bench/pages.py --quick
	$(BIN)/python bench/flow_cpu.py --rounds 1 --screens 5

# Proof under load, faults and attack (proof/run.py): one PASS/FAIL line per check, each
# harness with a negative control it must catch; exit 1 if any fails. See docs/reliability.md.
# Full sizes (load: 200 respondents for 3 minutes, on SQLite and on two servers with PostgreSQL).
proof: setup
	$(BIN)/python proof/run.py

# CI sizes; performance targets print as FIGURE lines there and are gated only by `make proof`.
proof-quick: setup
	$(BIN)/python proof/run.py --quick

# The Spanish catalogue after a template or message change (needs Debian's gettext; the .mo is committed).
messages: setup
	cd src/screenplan && ../../$(BIN)/screenplan manage makemessages -l es --no-obsolete && ../../$(BIN)/screenplan manage compilemessages

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
