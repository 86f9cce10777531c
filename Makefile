# Everything a newcomer needs: `make run` for the demo, `make test` for the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: install run serve test test-browser bench lighthouse screenshots clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# The Nu Html Checker for tests/test_markup.py (needs npm and Java; without them those tests skip, except in CI).
TOOLS := tests/tools/node_modules/.installed
$(TOOLS): tests/tools/package.json
	-cd tests/tools && npm install --no-audit --no-fund --no-package-lock --silent && touch node_modules/.installed

## make run: set up, migrate SQLite, seed the demo conference, serve on http://127.0.0.1:5000 with a worker beside it
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/flask worker & worker=$$!; trap 'kill $$worker' EXIT; $(BIN)/flask run --host 127.0.0.1 --port 5000

## make test: set up and run every test (browser tests need Chromium: apt-get install chromium)
test: install $(TOOLS)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run.py

## make lighthouse: Lighthouse (mobile) on join, badge, card, contacts, scanner; figures into docs/benchmarks.md (needs npm, Chromium)
lighthouse: install
	$(BIN)/python bench/lighthouse.py

## make screenshots: every page at 390x844 (organizer pages also 1280x800) into docs/screenshots/
screenshots: install
	$(BIN)/python bench/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache
