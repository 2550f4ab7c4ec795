# nnrnn_edu - the two commands that matter:
#   make book   set everything up, execute every chapter, build the HTML book
#   make test   set everything up, run the unit tests and every chapter under nbval (quick mode)
# Everything lives in .venv/ at the repository root; nothing is installed globally.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.nnrnn_edu-installed
# CPU torch first: with no torch installed, the open range torch>=2.2 would pull a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup test unit notebooks book lab sync bench clean help

help:
	@echo "make book   - set up .venv, execute every chapter, build the HTML book (book/_build/html)"
	@echo "make test   - set up .venv, run unit tests and every chapter under nbval in quick mode"
	@echo "make lab    - JupyterLab on the book, chapters (.md) open as notebooks"
	@echo "make sync   - re-pair every chapter .md with its output-free .ipynb (jupytext)"
	@echo "make bench  - run the benchmarks in benchmarks/"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e ".[dev]"
	@# JupyterLab opens the MyST chapters as notebooks (jupytext's default-viewer setting), venv-local
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@printf '%s\n' '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}},' \
	  ' "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' \
	  > $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $(STAMP)

setup: $(STAMP)

unit: setup
	$(PY) -m pytest -q --durations=5 tests

notebooks: setup
	NNRNN_EDU_QUICK=1 $(PY) -m pytest -q -p no:cacheprovider --durations=0 \
	  --nbval-lax --nbval-current-env --nbval-cell-timeout=900 book/[0-9]*.ipynb

test: unit notebooks

book: setup
	$(VENV)/bin/jupyter-book build book --config jupyter_book_config.yml -W --keep-going
	@echo ""
	@echo "The book is at: $(CURDIR)/book/_build/html/index.html"

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=book $(ROOT_FLAG)

sync: setup
	$(VENV)/bin/jupytext --sync book/[0-9]*.md

bench: setup
	$(PY) benchmarks/bench_memory.py

clean:
	rm -rf book/_build build .pytest_cache
