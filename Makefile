# burn-qed v2 lab. `make reports` (demo run unless RUN/PROFILE say otherwise) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := reports
RUN ?= demo
PROFILE ?= demo
export RUN PROFILE
export ONNXRUNTIME_NODE_INSTALL := skip
export JUPYTER_PATH := $(CURDIR)/.jupyter
NODE := node --import tsx
STAMP := .setup

.PHONY: setup reports test test-py test-ts typecheck nb-check status bench kernel-user jupyter clean-run

$(STAMP)/node: package.json package-lock.json
	@mkdir -p $(STAMP)
	npm ci --no-audit --no-fund
	@touch $@

$(STAMP)/python: scripts/ensure-python.sh
	@mkdir -p $(STAMP)
	@scripts/ensure-python.sh > $(STAMP)/python.tmp && mv $(STAMP)/python.tmp $@
	@echo "[setup] python: $$(cat $@)"

.jupyter/kernels/burnqed-ts/kernel.json: scripts/install-kernel.sh
	@scripts/install-kernel.sh

setup: $(STAMP)/node $(STAMP)/python .jupyter/kernels/burnqed-ts/kernel.json
	@grep -q "$(CURDIR)/scripts" .jupyter/kernels/burnqed-ts/kernel.json || scripts/install-kernel.sh

## Build (or reuse) the run, execute the notebooks headless, render and publish the reports.
reports: setup
	@PYTHON="$$(cat $(STAMP)/python)" $(NODE) src/cli.ts reports

status: setup
	@PYTHON="$$(cat $(STAMP)/python)" $(NODE) src/cli.ts status

## All tests: Python (unittest), TypeScript type check, notebook check, TS tests (node:test).
test: setup typecheck nb-check test-py test-ts

typecheck: $(STAMP)/node
	npx tsc -p .

nb-check: $(STAMP)/node
	@$(NODE) src/cli.ts nb-check

test-py: $(STAMP)/python
	cd python && "$$(cat ../$(STAMP)/python)" -m unittest discover -s tests -v 2>&1 | tail -n 40; exit $${PIPESTATUS[0]}

test-ts: setup
	PYTHON="$$(cat $(STAMP)/python)" node --import tsx --test $$(find test -name '*.test.ts' | sort)

bench: setup
	PYTHON="$$(cat $(STAMP)/python)" $(NODE) bench/reports-timing.ts

## Install the notebook kernel for your own Jupyter (then open notebooks/ in Jupyter Lab).
kernel-user: setup
	scripts/install-kernel.sh "$$HOME/.local/share/jupyter/kernels/burnqed-ts"

jupyter: setup
	jupyter lab notebooks/
