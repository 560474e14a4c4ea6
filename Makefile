# Two commands on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test install browser wrk migrate bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The browser tests drive Debian's chromium (headless, over the DevTools protocol). CI runs as root and
# installs it here; where that is impossible the browser tests skip and say why.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "warning: could not install chromium; the browser tests will be skipped"

serve: install
	$(BIN)/flint serve --host $(HOST) --port $(PORT)

migrate: install
	$(BIN)/flint migrate

test: install browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The load generator of bench/run.py (docs/benchmarks.md), installed like chromium above; without it the
# rows it drives print the reason and the others still run.
wrk:
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) || echo "warning: could not install wrk; the rows measured with it will fail"

bench: install wrk
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) flint.db flint.db-wal flint.db-shm
