# dicecore: `make book` builds the book (executing every chapter, ci profile); `make test` runs the tests.
# Both create or refresh .venv themselves (Python 3.11 + pip are all a fresh machine needs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.dicecore-installed
PIP    := $(BIN)/python -m pip
CH     ?= 01
PROFILE ?= paper

.PHONY: all book test paper bench clean env

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

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --durations=10

paper: $(STAMP)
	$(BIN)/dicecore run $(CH) -p profile=$(PROFILE)

bench: $(STAMP)
	$(BIN)/dicecore bench --repeats 20 --rounds 5

clean:
	rm -rf _build .pytest_cache .hypothesis
