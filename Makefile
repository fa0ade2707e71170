# toolorch — two commands for a newcomer: `make demo` and `make test`. Both set everything up
# from a fresh clone: a venv (torch 2.13.0 CPU wheel first), the package, the pinned npm tools,
# n8n's node descriptions, and redis-server for the tests.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test bench lint clean system-deps check-n8n

setup: $(VENV)/.installed node_modules/.installed .cache/n8n/nodes.json system-deps

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned: an unpinned torch would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

.cache/n8n/nodes.json: toolorch/backends/n8n/fetch_node_types.sh package.json
	bash toolorch/backends/n8n/fetch_node_types.sh .cache/n8n

# Debian's redis-server for the Redis tests (the tests start and stop their own instance).
system-deps:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing redis-server (apt)"; \
	  (apt-get update -qq && apt-get install -y -qq redis-server >/dev/null) || \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null); }

test: setup
	$(BIN)/python -m pytest

demo: setup
	$(BIN)/toolorch demo

bench: setup
	$(BIN)/toolorch bench core
	$(BIN)/toolorch bench overhead

# Opt-in, never part of `make test`: the generated n8n artifacts in the real n8n 2.41.1 (Node 24
# from PyPI, installed once into .cache/n8n-engine, ≈ 15 min and 3 GB the first time; re-runs
# reuse it), on the sample projects and on real projects fetched into .cache/n8n-real.
check-n8n: setup
	sh toolorch/backends/n8n/install_engine.sh
	$(BIN)/python -m toolorch.backends.n8n.realcheck $(CHECK_N8N_ARGS)

# ruff on everything; mypy --strict (pyproject's [tool.mypy]) on toolorch/ and server/
lint: setup
	$(BIN)/ruff check toolorch server tests
	$(BIN)/mypy --strict toolorch server

clean:
	rm -rf $(VENV) node_modules .cache .pytest_cache
