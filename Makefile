# Two entry points on a fresh machine (Python >= 3.11, ../shared beside this checkout):
#   make answer   builds the store from ../shared/data (first run only) and answers the amlodipine question
#   make test     runs ruff and the test suite (first installing Debian's chromium for the browser tests,
#                 scripts/system-packages.sh, when it is missing)
VENV ?= .venv
PY := $(VENV)/bin/python
QUESTION ?= Can amlodipine cause peripheral neuropathy?

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

.PHONY: answer test store
answer: $(VENV)/.installed
	$(VENV)/bin/adrlens ask "$(QUESTION)"

test: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/lint-imports
	sh scripts/system-packages.sh
	$(PY) -m pytest -q
