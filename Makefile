# Everything starts from a fresh machine with only Python 3.11: `make test`, `make demo`.
# `make demo ENGINE=cfngin` or `ENGINE=sceptre` tells the same story with Runway's CFNgin or Sceptre.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
ENGINE ?= stacker
DEPS   := $(VENV)/.deps-installed
PKG    := $(VENV)/.package-installed
SOURCES := $(shell find stacker_ecs -name '*.py') setup.py stacker_ecs_py311.pth

.PHONY: install test lint demo bench mutations docs sandbox clean

install: $(PKG)

# Third-party packages: everything at tested versions (Runway's CFNgin included), then stacker and
# Sceptre without their stale pins (--no-deps, last, so pip has no conflict to report).
$(DEPS): requirements.txt requirements-stacker.txt requirements-sceptre.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -r requirements-stacker.txt -r requirements-sceptre.txt
	touch $@

# This package, as a regular (non-editable) install so the .pth compatibility hook lands in
# site-packages; re-run whenever a source file changes.
$(PKG): $(DEPS) $(SOURCES)
	$(BIN)/pip install -q --no-deps --no-build-isolation --force-reinstall .
	rm -rf build *.egg-info
	touch $@

test: $(PKG)
	$(BIN)/ruff check stacker_ecs emulator tests scripts
	$(BIN)/pytest -n auto

lint: $(PKG)
	$(BIN)/ruff check stacker_ecs emulator tests scripts

demo: $(PKG)
	$(BIN)/python -m scripts.demo --engine $(ENGINE)

# `make sandbox ARGS='--broken web:v3 --traffic web'`: the emulator to try the README by hand (docs/sandbox.md).
sandbox: $(PKG)
	$(BIN)/python -m scripts.sandbox $(ARGS)

bench: $(PKG)
	$(BIN)/python -m scripts.bench

# Can the tests fail? Each mutation of scripts/mutations.py, alone, against the tests named to catch it
# (docs/testing.md); a few minutes, not part of `make test`.
mutations: $(PKG)
	$(BIN)/python -m scripts.mutations

# Rewrite the reference pages generated from the code (tests/test_docs.py fails when they drift).
docs: $(PKG)
	$(BIN)/python -m scripts.reference

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .demo .sandbox
