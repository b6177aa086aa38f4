# Two commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/akiba serve --demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check akiba tests bench
	$(BIN)/mypy akiba
	$(BIN)/lint-imports

# The suite runs on the embedded PostgreSQL, and again on $$AKIBA_TEST_DATABASE_URL when that is set.
test: lint
	env -u AKIBA_TEST_DATABASE_URL $(BIN)/pytest -n 2 --dist loadfile
	if [ -n "$$AKIBA_TEST_DATABASE_URL" ]; then $(BIN)/pytest -n 2 --dist loadfile; fi

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var
