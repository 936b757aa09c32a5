# Two commands for a newcomer:  make run  (set up and start the app)  and  make test  (set up and run every test).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench player deck clean serve-class stop-class

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.app: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.app
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.app
	$(BIN)/streamlit run app.py

# a whole class: one Streamlit process per core behind HAProxy (apt-get install haproxy), on port 8501 or PORT=
PORT ?= 8501
serve-class: $(VENV)/.app
	$(BIN)/python deploy/serve_class.py start --port $(PORT)

stop-class:
	$(BIN)/python deploy/serve_class.py stop

lint: $(VENV)/.dev
	$(BIN)/ruff check .

test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

bench: $(VENV)/.app
	$(BIN)/python benchmarks/bench_engine.py

# the step player's bundle (committed, so `make run` needs no Node): rebuild after editing player/src
player:
	cd lstm_viz/page/player && npm ci --no-audit --no-fund --loglevel=error && node build.mjs

# the example slide deck (examples/deck): its two scenes written as interactive files (reveal.js is vendored by
# `make player`); open examples/deck/index.html from disk
deck: $(VENV)/.app
	mkdir -p examples/deck/scenes
	$(BIN)/python -m lstm_viz export --scene rnn-step --out examples/deck/scenes/rnn-step.html
	$(BIN)/python -m lstm_viz export --scene gru --out examples/deck/scenes/gru.html

clean:
	rm -rf $(VENV)
