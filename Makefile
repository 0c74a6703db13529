# Entry points: `make test` (unit tests + every chapter executed), `make book` (the website),
# `make check-site` (the built website in headless Chromium, with an accessibility audit).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
MATHJAX := vendor/mathjax/tex-chtml.js

.PHONY: book test check-site benchmark env clean

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(NODE_STAMP): package.json
	npm install --no-package-lock --no-audit --no-fund --loglevel=error
	touch $@

# MathJax 3 from the npm package, served by the site itself (no CDN).
$(MATHJAX): $(NODE_STAMP)
	rm -rf vendor/mathjax && mkdir -p vendor/mathjax
	cd node_modules/mathjax/es5 && cp -r tex-chtml.js input output ui a11y adaptors ../../../vendor/mathjax/

test: env
	$(BIN)/pytest

book: env $(MATHJAX)
	$(BIN)/jupyter-book build . --warningiserror --keep-going

check-site: $(NODE_STAMP)
	bash tests/site/run.sh

# Every chapter cold and warm, training throughput vs. this CPU's peak, pipeline speed-up.
benchmark: env
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build vendor node_modules artifacts
