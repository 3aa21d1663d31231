# One entry point. `make run` serves; `make test` runs every check and every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install chromium run migrate lint test test-fast bench bench-quick clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The web page's browser tests drive Debian's Chromium (Playwright downloads no browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Chromium for the browser tests"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } || \
	  echo "could not install Chromium: the browser tests will say so"; }

run: install
	$(BIN)/chat serve

migrate: install
	$(BIN)/chat migrate

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint chromium
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

bench: install
	$(BIN)/python -m bench

bench-quick: install
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
