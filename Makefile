# The two commands: `make run` and `make test`. Everything else is a step they share.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test install install-test assets migrate seed load soak fuzz faults clean

run: install assets migrate seed
	COMMUNITY_REQUIRE_2FA_FOR_STAFF=false $(BIN)/community serve --host 127.0.0.1 --port 5000

test: install-test assets
	$(BIN)/pytest $(PYTEST_ARGS)

# Proof under pressure (docs/resilience.md): real servers on 127.0.0.1, every run bounded in time.
load: install-test assets
	$(BIN)/python bench/load.py $(LOAD_ARGS)

soak: install-test assets
	$(BIN)/python bench/load.py --soak $(LOAD_ARGS)

fuzz: install-test
	FUZZ=long $(BIN)/pytest tests/fuzz $(PYTEST_ARGS)

faults: install-test assets
	$(BIN)/pytest tests/faults $(PYTEST_ARGS)

# `make run` installs what serving needs; `make test` adds the test tools on top.
install: $(STAMP)

install-test: $(TEST_STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# Front-end libraries come from npm (package-lock.json) and are copied, not committed.
VENDOR := static/vendor/socket.io.min.js

assets: $(VENDOR)

$(VENDOR): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --silent && mkdir -p static/vendor && \
	  cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/ && \
	  cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/ && touch $@; \
	else \
	  echo "npm not found: pages work, but without live updates (install Node.js for them)."; \
	fi

migrate: install
	$(BIN)/community db upgrade

seed: migrate
	$(BIN)/community seed --demo

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
