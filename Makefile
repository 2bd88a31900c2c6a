# The two commands: `make run` starts the product, `make test` runs the tests.
# Both create the virtual environment in .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required: set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/maltastic db upgrade
	$(BIN)/maltastic demo load
	$(BIN)/maltastic serve

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check maltastic tests bench
	$(BIN)/ruff format --check maltastic tests bench
	$(BIN)/mypy

bench: $(STAMP)
	@if ls bench/*/run.py >/dev/null 2>&1; then \
		for script in bench/*/run.py; do \
			flock /tmp/maltastic-bench.lock $(BIN)/python $$script || exit 1; \
		done; \
	else echo "No benchmarks yet: bench/ has no run.py scripts."; fi

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
