# nnrnn_edu - the two commands that matter:
#   make book   set everything up, execute every chapter at the cpu tier (plotting the committed
#               results/cpu), build the HTML book
#   make test   set everything up, run the unit tests, every chapter under nbval (quick mode),
#               and the browser tests (JupyterLab sliders, the built book; skipped without Chromium)
# Everything lives in .venv/ at the repository root; nothing is installed globally.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.nnrnn_edu-installed
# CPU torch first: with no torch installed, the open range torch>=2.2 would pull a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup test unit notebooks book lab sync bench clean help results-cpu

help:
	@echo "make book   - set up .venv, execute every chapter, build the HTML book (book/_build/html)"
	@echo "make test   - set up .venv, run unit tests, every chapter under nbval in quick mode, browser tests"
	@echo "make lab    - JupyterLab on the book, chapters (.md) open as notebooks"
	@echo "make sync   - re-pair every chapter .md with its output-free .ipynb (jupytext)"
	@echo "make results-cpu - train the cpu tier's grid of all three tasks into results/cpu (hours on two cores;"
	@echo "               resumable: stop it at any moment, run it again to go on), then print its tables"
	@echo "make vendor - the book's browser assets (MathJax, RequireJS, ipywidgets embed manager), pinned, from npm,"
	@echo "               into build/vendor (make book does it; installs npm with apt as root if it is missing)"
	@echo "make bench  - run the benchmarks in benchmarks/ (Fisher memory, training engine, loop old vs new, model ensembles)"
	@echo "make browser - browser tests only: chapters run in JupyterLab + sliders moved, the built quick-mode"
	@echo "               book checked page by page (headless Debian Chromium; screenshots in build/browser/)"
	@echo "make drift  - optional/scheduled, not in make test: fresh .venv-drift with the NEWEST version of every"
	@echo "               dependency (torch stays at the CPU pin $(DRIFT_TORCH_SPEC)), then unit + notebook tests;"
	@echo "               prints what changed and what broke, exits non-zero if anything broke (logs in build/drift/)"

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
	$(PY) -m pytest -q --durations=5 -m "not browser" tests

# Notebook tests train into a fresh results directory, so that runs cached in results/quick by an
# older version of the library can never stand in for what this version computes.
TEST_RESULTS := build/test-results

notebooks: setup
	rm -rf $(TEST_RESULTS)
	NNRNN_EDU_QUICK=1 NNRNN_EDU_RESULTS=$(CURDIR)/$(TEST_RESULTS) $(PY) -m pytest -q -p no:cacheprovider \
	  --durations=0 --nbval-lax --nbval-current-env --nbval-cell-timeout=900 book/[0-9]*.ipynb

test: datasets unit notebooks browser

# --all: re-execute every chapter even when only the library changed (Sphinx skips unchanged sources).
# Executing notebooks with ipywidgets could block forever inside nbclient with the kernel idle
# (jupyter/nbclient#312): nbclient emulates an Output widget that captures display() by sending on the
# shell channel while it awaits the cell's reply there. The explorers no longer capture (they set their
# Output's outputs directly; nnrnn_edu.widgets), which removed the hang we could reproduce (chapter 4,
# 3 of 3 runs under load). The build stays bounded by BOOK_TIMEOUT seconds and retried up to twice.
BOOK_TIMEOUT ?= 1200
# The tier the book shows: cpu plots the committed results/cpu (quick trains smoke runs; full reads results/full).
BOOK_TIER ?= cpu

book: setup datasets vendor
	@for attempt in 1 2 3; do \
	  NNRNN_EDU_QUICK= NNRNN_EDU_TIER=$(BOOK_TIER) timeout --kill-after=30 $(BOOK_TIMEOUT) \
	    $(VENV)/bin/jupyter-book build book --config jupyter_book_config.yml -W --keep-going --all; \
	  rc=$$?; \
	  if [ $$rc -eq 0 ]; then break; fi; \
	  if [ $$rc -ne 124 ] && [ $$rc -ne 137 ]; then exit $$rc; fi; \
	  if [ $$attempt -eq 3 ]; then echo "book build timed out three times"; exit $$rc; fi; \
	  echo "book build exceeded BOOK_TIMEOUT=$(BOOK_TIMEOUT) s (nbclient hang, jupyter/nbclient#312?): retrying"; \
	done
	@echo ""
	@echo "The book is at: $(CURDIR)/book/_build/html/index.html"

# The cpu tier (chapter 3): the paper's task lengths, sizes and optimiser, 32 runs of 20 000 updates per task.
# CPU_JOBS processes share each task's grid (a run another process trains is skipped; each process goes
# on to the next task), one CPU thread each. Interrupted runs resume from their last checkpoint.
CPU_JOBS ?= 2

results-cpu: setup datasets
	@pids=""; for j in $$(seq $(CPU_JOBS)); do \
	  ( for task in copy addition psmnist; do \
	      $(PY) -m nnrnn_edu sweep --task $$task --tier cpu --no-progress --out results/cpu/$$task > /dev/null || exit 1; \
	    done ) & pids="$$pids $$!"; \
	done; rc=0; for p in $$pids; do wait $$p || rc=1; done; \
	if [ $$rc -ne 0 ]; then echo "results-cpu: a sweep process failed (its error is above)"; exit 1; fi
	@for task in copy addition psmnist; do $(PY) -m nnrnn_edu summarize results/cpu/$$task || exit 1; done

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=book $(ROOT_FLAG)

sync: setup
	$(VENV)/bin/jupytext --sync book/[0-9]*.md

bench: setup
	$(PY) benchmarks/bench_memory.py
	$(PY) benchmarks/bench_explorers.py
	$(PY) benchmarks/bench_training.py --batch 16 --threads 1
	$(PY) benchmarks/bench_loop.py
	$(PY) benchmarks/bench_generic_ensemble.py

clean:
	rm -rf book/_build build .pytest_cache

# ---- browser tests and dependency drift (tests/browser/, tests/test_colab.py) -----------------
# `browser` (part of `make test`): pytest -m browser on tests/browser. It needs Debian's Chromium;
# `chromium` installs it with apt only as root or with passwordless sudo, otherwise the browser
# tests SKIP (pytest skip, with the reason). The built-book test builds the book itself when
# build/browser/book is missing or older than a source, with `browser-book`: the `book` target's
# jupyter-book command in quick mode, --all, into build/browser/book (book/_build is left alone).
CHROMIUM ?= /usr/bin/chromium
BROWSER_BOOK := build/browser/book
DRIFT_VENV := .venv-drift
DRIFT_PY := $(DRIFT_VENV)/bin/python
# Newest torch from the registries here is a CUDA build (GBs); drift keeps torch at the CPU pin.
DRIFT_TORCH_SPEC ?= $(TORCH_SPEC)

.PHONY: browser browser-book chromium drift datasets vendor npm

# The book's third-party browser assets, so that its pages load nothing from outside (MathJax,
# require.js, the ipywidgets embed manager): pinned npm packages (name, version, sha512 in
# vendor/fetch_assets.py), fetched with `npm pack`, copied with their licence files into
# build/vendor/static/thirdparty, which jupyter_book_config.yml publishes as _static/thirdparty.
# npm is needed only to download (tarballs are kept in build/vendor/npm); `npm` installs it with apt
# (Debian's npm + nodejs) only as root or with passwordless sudo, like `chromium`.
VENDOR_STAMP := build/vendor/static/thirdparty/manifest.json

vendor: $(VENDOR_STAMP)

$(VENDOR_STAMP): vendor/fetch_assets.py vendor/require-paths.js $(STAMP)
	@$(MAKE) -s --no-print-directory npm
	$(PY) vendor/fetch_assets.py --out build/vendor

npm:
	@if ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	  if [ "$$SUDO" = none ]; then echo "npm: missing and no root/sudo: vendor can only use tarballs already in build/vendor/npm"; \
	  else ($$SUDO apt-get install -y -qq npm 2>/dev/null || ($$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq npm)) \
	    || echo "npm: apt-get install npm failed"; fi; \
	fi

# Debian's Fashion-MNIST (psFashion-MNIST: psMNIST's length offline). Installed with apt only as root or
# with passwordless sudo; without it everything still works (MNIST when it can be downloaded, else psDigits).
FASHION_DIR ?= /usr/share/datasets/fashion-mnist

datasets:
	@if [ ! -d "$(FASHION_DIR)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	  if [ "$$SUDO" = none ]; then echo "datasets: no root/sudo: Fashion-MNIST not installed (psMNIST falls back)"; \
	  else ($$SUDO apt-get install -y -qq dataset-fashion-mnist 2>/dev/null || \
	        ($$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist)) \
	    || echo "datasets: apt-get install dataset-fashion-mnist failed (psMNIST falls back)"; fi; \
	fi

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	  if [ "$$SUDO" = none ]; then echo "chromium: $(CHROMIUM) missing and no root/sudo: browser tests will be skipped"; \
	  else ($$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium) \
	    || echo "chromium: apt-get install failed: browser tests will be skipped"; fi; \
	fi

browser: setup chromium
	NNRNN_EDU_QUICK=1 NNRNN_EDU_RESULTS=$(CURDIR)/$(TEST_RESULTS) NNRNN_EDU_CHROMIUM=$(CHROMIUM) $(PY) -m pytest -q -p no:cacheprovider --durations=0 \
	  -m browser tests/browser

browser-book: setup vendor
	NNRNN_EDU_QUICK=1 $(VENV)/bin/jupyter-book build book --config jupyter_book_config.yml -W --keep-going \
	  --all --path-output $(BROWSER_BOOK)

drift:
	rm -rf $(DRIFT_VENV) build/drift
	@mkdir -p build/drift
	$(PYTHON) -m venv $(DRIFT_VENV)
	@printf '*\n' > $(DRIFT_VENV)/.gitignore
	$(DRIFT_PY) -m pip install -q --upgrade pip
	$(DRIFT_PY) -m pip install -q --upgrade --upgrade-strategy eager -e ".[dev]" "$(DRIFT_TORCH_SPEC)"
	@$(DRIFT_PY) -m pip freeze --exclude-editable | sort > build/drift/freeze-drift.txt
	@$(PY) -m pip freeze --exclude-editable 2>/dev/null | sort > build/drift/freeze-venv.txt || true
	@status=0; broke=""; \
	$(DRIFT_PY) -m pip check > build/drift/pip-check.log 2>&1 || { status=1; broke="$$broke pip-check"; }; \
	$(DRIFT_PY) -m pytest -q -p no:cacheprovider -m "not browser" tests > build/drift/unit.log 2>&1 \
	  || { status=1; broke="$$broke unit"; }; \
	NNRNN_EDU_QUICK=1 $(DRIFT_PY) -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env \
	  --nbval-cell-timeout=900 book/[0-9]*.ipynb > build/drift/notebooks.log 2>&1 \
	  || { status=1; broke="$$broke notebooks"; }; \
	echo ""; echo "=== make drift: newest dependencies in $(DRIFT_VENV) (torch: $(DRIFT_TORCH_SPEC)) ==="; \
	echo "versions that differ from $(VENV) (- $(VENV), + $(DRIFT_VENV)):"; \
	diff build/drift/freeze-venv.txt build/drift/freeze-drift.txt | sed -n 's/^</  -/p; s/^>/  +/p'; \
	for step in pip-check unit notebooks; do \
	  echo "--- $$step: $$(tail -n 1 build/drift/$$step.log)"; \
	  grep -E '^(FAILED|ERROR)' build/drift/$$step.log | head -n 30 | sed 's/^/    /'; \
	done; \
	if [ $$status = 0 ]; then echo "drift: nothing broke"; else echo "drift: BROKEN:$$broke (logs in build/drift/)"; fi; \
	exit $$status
