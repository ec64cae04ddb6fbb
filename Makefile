# Two commands on a fresh machine: `make run` (the whole system on 127.0.0.1) and `make test`.
# Both first run `make install`, which is quick once done (a stamp file records it).

SHELL := /bin/bash
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
AXE := tests/e2e/axe/node_modules/axe-core/axe.min.js
# A Chinese font, or headless Chromium draws every 汉字 as a box (screenshots, text measured by tests).
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
LOCAL_STATE_DIR ?= .local

# The first Python 3.11 or newer on PATH (override with `make PYTHON=/path/to/python3.12 ...`).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: help install node run test test-fast coverage lint typecheck reset-local smoke screens

# pytest keeps each test module, rewritten for its assert messages, in __pycache__ (ignored by git): with
# PYTHONDONTWRITEBYTECODE set, every worker would rewrite and compile them all again on every run.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(VENV_PYTHON) -m pytest

# Every core; the end-to-end tests (one local stack) and the infra tests (one synth) each stay on one
# worker (tests/conftest.py schedules them).
PYTEST_PARALLEL := -n auto
# The full suite waits on browsers, local stacks and synth subprocesses now and then: one worker more than
# cores keeps both cores busy meanwhile (on 2 cores: 3 min 45 s instead of about 4 min).
PYTEST_PARALLEL_FULL := -n $(shell echo $$(( $$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1) + 1 )))

help:
	@echo "make run          start the service desk locally (http://127.0.0.1:8000/); Ctrl-C stops it"
	@echo "make test         lint, type-check and run every test (what CI runs)"
	@echo "make test-fast    the unit, service, integration and local tests only (no browser, no infra)"
	@echo "make install      create .venv, install the Python packages and Chromium"
	@echo "make reset-local  forget everything the local stack stored ($(LOCAL_STATE_DIR)/)"
	@echo "make screens      photograph the main pages into docs/screens/ (and check their accessibility)"
	@echo "make smoke URL=.. smoke-test a running stage (add STACK=ServiceDesk-<stage> PHONE=<yours> on AWS)"

install: $(INSTALLED) $(CHROMIUM) $(CJK_FONT) node $(AXE)
	infra/install.sh

# axe-core, which the accessibility tests inject into the pages (tests/e2e/test_accessibility.py),
# pinned by its lock file.
$(AXE): tests/e2e/axe/package-lock.json | node
	npm ci --prefix tests/e2e/axe --no-audit --no-fund --loglevel=error
	@touch $@

$(VENV_PYTHON):
	@if [ -z "$(PYTHON)" ]; then echo "make: Python 3.11 or newer is needed (none found on PATH)" >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): $(VENV_PYTHON) requirements.txt requirements-dev.txt requirements-pdf-font.txt requirements-cryptography.txt \
		requirements-spreadsheet.txt
	$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# The end-to-end tests drive Debian's chromium, not a browser downloaded by Playwright.
$(CHROMIUM) $(CJK_FONT):
	@if ! command -v apt-get >/dev/null 2>&1; then \
		echo "make: no apt-get here: install Chromium yourself as $(CHROMIUM) for the end-to-end tests" >&2; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-wqy-microhei; \
	elif command -v sudo >/dev/null 2>&1; then \
		sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-wqy-microhei; \
	else \
		echo "make: not root and no sudo: run 'apt-get install chromium' as root for the end-to-end tests" >&2; \
	fi

# The CDK CLI (infra/) runs on Node.js; Debian's nodejs and npm when the machine has none.
node:
	@if ! command -v npm >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm; \
		else sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm; fi; \
	fi

run: install
	$(VENV_PYTHON) -m local.run

test: install lint typecheck
	$(PYTEST) $(PYTEST_PARALLEL_FULL)

# The inner loop: everything but the browser, the deployment template and the benchmarks, and the API
# fuzzed with 8 requests for each operation instead of 15 (a fifth of the time left otherwise).
test-fast: $(INSTALLED)
	API_FUZZ_EXAMPLES=8 $(PYTEST) $(PYTEST_PARALLEL) -m "not e2e" --ignore=tests/e2e --ignore=tests/infra --ignore=tests/bench

# The pictures of the main pages in docs/screens/ (phone size, the supervisor's also at desk size), taken
# by the accessibility tests on a local stack of their own.
screens: install
	SCREENS_DIR=docs/screens $(VENV_PYTHON) -m pytest tests/e2e/test_accessibility.py -q -p no:randomly -n 0

coverage: $(INSTALLED)
	$(PYTEST) $(PYTEST_PARALLEL) --cov=chalicelib --cov-report=term:skip-covered

lint: $(INSTALLED)
	$(VENV_PYTHON) -m ruff check .

typecheck: $(INSTALLED)
	$(VENV_PYTHON) -m mypy app.py chalicelib local

reset-local:
	@if [ -f "$(LOCAL_STATE_DIR)/aws-requests.jsonl" ]; then echo "Deleting $(LOCAL_STATE_DIR)/ (stop make run first)"; fi
	rm -rf -- "$(LOCAL_STATE_DIR)"

# After every deploy: `make smoke URL=https://desk.example.com STACK=ServiceDesk-prod PHONE=13912345678`;
# against `make run`: `make smoke URL=http://127.0.0.1:8000`. One line per check (docs/deploy.md).
smoke: $(INSTALLED)
	@if [ -z "$(URL)" ]; then echo "make smoke: give the stage's URL, e.g. make smoke URL=http://127.0.0.1:8000" >&2; exit 2; fi
	$(VENV_PYTHON) -m ops.smoke --base-url "$(URL)" $(if $(STACK),--stack-name "$(STACK)") $(if $(PHONE),--phone "$(PHONE)")
