# dicecore: `make book` builds the book (executing every chapter, ci profile); `make test` runs the tests.
# Both create or refresh .venv themselves (Python 3.11 + pip are all a fresh machine needs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.dicecore-installed
PIP    := $(BIN)/python -m pip
CH     ?= 01
PROFILE ?= paper
BENCH_DEVICE ?= cpu

MATHJAX := .cache/npm/node_modules/mathjax/es5/tex-mml-chtml.js

.PHONY: all book test paper bench clean env browser

all: book

$(STAMP): pyproject.toml constraints/ci.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints/ci.txt "torch==2.13.0"
	$(PIP) install --quiet -c constraints/ci.txt -e ".[test]"
	touch $(STAMP)

env: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --all --warningiserror --keep-going --builder html
	@echo "book: open _build/html/index.html"

# The site's browser test needs Debian's chromium and a local MathJax 3 (the site loads it from a CDN that
# this machine cannot reach). Installed where the machine allows (root + apt-get, npm); else that test skips.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1; } \
		|| echo "browser: chromium could not be installed; the browser check of the site will be skipped"
	@test -f $(MATHJAX) || npm install --prefix .cache/npm --no-audit --no-fund --silent mathjax@3 >/dev/null 2>&1 \
		|| echo "browser: npm could not fetch mathjax@3; the browser check cannot verify typesetting"

test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=10

paper: $(STAMP)
	$(BIN)/dicecore run $(CH) -p profile=$(PROFILE)

bench: $(STAMP)
	$(BIN)/dicecore bench --device $(BENCH_DEVICE) --repeats 20 --rounds 3

clean:
	rm -rf _build .pytest_cache .hypothesis .cache
