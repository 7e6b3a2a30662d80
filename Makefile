# Developer entry points. On a fresh machine:
#   make test      bootstrap (.venv + editable install + conformance harness), then run pytest
#   make example   install the package alone (no test extra) into .venv, then run examples/quickstart_client.py
# Extra pytest arguments: make test PYTEST_ARGS='-k conformance -x'
#
# Bootstrapping is idempotent: the editable install is redone only when setup.cfg
# changes (stamp .venv/.installed-<sha of setup.cfg>), and
# scripts/setup_conformance.sh is a fast no-op once the pinned Node 22 and
# harness are in .cache/conformance/; scripts/setup_redis.sh is a no-op once
# redis-server is on PATH (the Redis task-store tests start their own server);
# scripts/setup_interop.sh is a no-op once the pinned official MCP Python SDK is
# in .cache/interop/py-venv (the peer of the interoperability tests).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python
PYTEST_ARGS ?=

# Content hash of setup.cfg (dependencies and extras live there).
SETUP_SHA := $(shell { sha256sum setup.cfg 2>/dev/null || shasum -a 256 setup.cfg; } | cut -c1-16)
ifeq ($(SETUP_SHA),)
$(error could not hash setup.cfg (need sha256sum or shasum))
endif
STAMP := $(VENV)/.installed-$(SETUP_SHA)

.PHONY: help venv conformance-setup redis-setup interop-setup test example docs clean

help:
	@echo "make test      bootstrap everything, then run pytest (PYTEST_ARGS='...' to pass arguments)"
	@echo "make example   install the package into .venv (nothing else), then run examples/quickstart_client.py"
	@echo "make venv      create .venv and install the package with its test extra"
	@echo "make conformance-setup  install Node 22 and the pinned conformance harness into .cache/conformance"
	@echo "make redis-setup  install redis-server (Debian package) for the Redis task-store tests"
	@echo "make interop-setup  install the official MCP Python SDK into .cache/interop (interop test peer)"
	@echo "make docs      build the documentation site (Sphinx, warnings as errors) into docs/_build/html"
	@echo "make clean     remove .venv, .cache/conformance and .cache/interop"

$(VENV_PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall when setup.cfg changes (new stamp name) or the venv is recreated.
$(STAMP): $(VENV_PY)
	rm -f $(VENV)/.installed-*
	PIP_CACHE_DIR=.cache/pip PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 $(VENV_PY) -m pip install -qq -e '.[test]'
	touch $@

venv: $(STAMP)

conformance-setup:
	bash scripts/setup_conformance.sh

redis-setup:
	bash scripts/setup_redis.sh

interop-setup:
	bash scripts/setup_interop.sh

test: venv conformance-setup redis-setup interop-setup
	MCP_SYNC_REQUIRE_REDIS=1 MCP_SYNC_REQUIRE_INTEROP=1 $(VENV_PY) -m pytest $(PYTEST_ARGS)

# The example needs only the package itself (no test extra): its own stamp.
EXAMPLE_STAMP := $(VENV)/.example-$(SETUP_SHA)

$(EXAMPLE_STAMP): $(VENV_PY)
	PIP_CACHE_DIR=.cache/pip PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 $(VENV_PY) -m pip install -qq -e .
	touch $@

example: $(EXAMPLE_STAMP)
	$(VENV_PY) examples/quickstart_client.py

# The same build tests/docs/test_sphinx_build.py runs: every warning is an error.
docs: venv
	$(VENV_PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) .cache/conformance .cache/interop docs/_build
