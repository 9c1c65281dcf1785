# chainrule: `make demo` and `make test` work on a fresh machine (they create .venv).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: demo test test-fast test-slow bench lint format clean data

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[zoo]'
	touch $@

$(VENV)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test,bench]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(PY) -m chainrule train

test: $(VENV)/.installed-test
	$(PY) -m pytest tests

test-fast: $(VENV)/.installed-test
	$(PY) -m pytest tests -m "not slow"

test-slow: $(VENV)/.installed-test
	$(PY) -m pytest tests -m slow

bench: $(VENV)/.installed-test
	$(PY) benchmarks/run.py $(BENCH_ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

data:
	bash scripts/get_data.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
