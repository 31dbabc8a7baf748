# Velocity: two commands set everything up on a new machine.
#   make demo   creates .venv, installs Velocity, runs the tour (no server to start by hand)
#   make test   installs what the tests need (system packages too, when root), runs the suite
# Also: make bench, make lint, make lock, make zipapps.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
PYTEST_ARGS ?=

# Stamps: reinstall only when what decides the install changed.
RUNTIME_STAMP := $(VENV)/.stamp-runtime
DEV_STAMP     := $(VENV)/.stamp-dev
INSTALL_INPUTS := pyproject.toml constraints.txt $(wildcard github_app/pyproject.toml plugins/*/pyproject.toml)

.PHONY: demo test bench lint lock system-deps venv dev clean zipapps

demo: $(RUNTIME_STAMP)
	@PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/tour.sh

test: system-deps $(DEV_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	$(BIN)/python bench/run.py

# Single-file dep-ci, livepatch and quantum (shiv) for this OS and Python, in dist/zipapps/.
zipapps: $(DEV_STAMP)
	PYTHON=$(BIN)/python bash scripts/build-zipapps.sh dist/zipapps

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench $(wildcard github_app plugins)
	$(BIN)/ruff format --check src tests bench $(wildcard github_app plugins)
	$(BIN)/mypy

system-deps:
	@bash scripts/system-deps.sh
	@bash scripts/docker-prepare.sh

venv: $(BIN)/python
dev: $(DEV_STAMP)

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Velocity needs Python >= 3.11" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(RUNTIME_STAMP): $(BIN)/python $(INSTALL_INPUTS)
	$(PIP) install --quiet -c constraints.txt -e .
	@touch $@

$(DEV_STAMP): $(BIN)/python $(INSTALL_INPUTS)
	$(PIP) install --quiet -c constraints.txt -e '.[test,lint,bench]' $(addprefix -e ,$(wildcard github_app/ plugins/*/))
	@touch $@ $(RUNTIME_STAMP)

# Pin every dependency (runtime, test and lint) at the versions installed now.
lock: $(DEV_STAMP)
	$(PIP) freeze --exclude-editable --exclude velocity-trinity | sort -f > constraints.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist
