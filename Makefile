# The two set-up commands of the README:
#   make repro   install everything, then run the whole pipeline (dvc repro)
#   make test    install everything, then run every notebook's tests (nbdev_test), ending in "N passed, M failed"
# Both are idempotent: the install step reruns only when settings.ini, setup.py or pyproject.toml change.
SHELL  := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
TORCH  ?= torch==2.13.0
APT_PACKAGES ?= espeak-ng libespeak-ng1 chromium
BIN    := $(VENV)/bin
# the install reruns when what it installs from changes (by content: nbdev_export rewrites pyproject.toml)
REQ_HASH := $(shell cat settings.ini setup.py pyproject.toml 2>/dev/null | sha1sum | cut -c1-12)
STAMP  := $(VENV)/.nwt-installed-$(REQ_HASH)
# stage commands (papermill, dvc) come from the venv
export PATH := $(abspath $(BIN)):$(PATH)
# pip's output goes to a log, shown only when pip fails
PIPLOG := $(VENV)/pip.log
PIPQ := >>$(PIPLOG) 2>&1 || { cat $(PIPLOG); exit 1; }

.PHONY: setup sysdeps data repro test readme docs lab gpu-check clean-venv
setup: $(STAMP)

$(STAMP):
	@$(MAKE) --no-print-directory sysdeps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing into $(VENV) ($(TORCH), nwt and its tools; log: $(PIPLOG))..."
	@: > $(PIPLOG)
	@$(BIN)/python -m pip install -q --upgrade pip $(PIPQ)
	@$(BIN)/python -m pip install -q "$(TORCH)" $(PIPQ)
	@$(BIN)/python -m pip install -q -e ".[dev,demo]" $(PIPQ)
	@$(BIN)/python -m pip check
	@rm -f $(VENV)/.nwt-installed-*; touch $@

sysdeps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "apt-get install $$missing"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi

# The default corpus: rendered when data/raw/ is missing or empty (your own footage is left alone).
# Generation is deterministic, so the result matches data.dvc and dvc does not rebuild needlessly.
data: setup
	@if [ -z "$$(ls -A data/raw 2>/dev/null)" ]; then \
	  echo "rendering the default synthetic corpus into data/raw/ (nwt_synth)"; \
	  $(BIN)/nwt_synth --out data/raw; \
	fi

repro: setup data
	@$(BIN)/nwt_machine
	$(BIN)/dvc repro

test: setup
	@$(BIN)/python tools/run_tests.py

readme: setup
	@$(BIN)/python tools/make_readme.py

# The docs site from the notebooks (Sphinx + MyST-NB, offline) into _docs/; fails on a warning or a broken internal link
docs: setup
	@$(BIN)/python tools/build_docs.py --out _docs

# JupyterLab from the project's venv (its python3 kernel imports nwt), opened at nbs/
lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir=nbs $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# The GPU check on a machine with one CUDA GPU (tools/gpu_check.py): the paper-size benchmark, then the gpu profile's
# dVAE-Adv trained for a few minutes and evaluated; small result files in gpu_out/. TORCH=... picks a CUDA build of torch.
gpu-check: setup data
	$(BIN)/dvc repro prep
	$(BIN)/python tools/gpu_check.py gpu_out/ --prepared data/prepared

clean-venv:
	rm -rf $(VENV)
