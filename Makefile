# Two commands set everything up on a fresh machine: `make book` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(wildcard chapters/*.ipynb)

.PHONY: book test notebooks lab bench exercises grade clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

## book: execute every chapter (static experiment frames) and build the site into _build/html
book: $(STAMP)
	rm -rf _build/html _build/jupyter_execute
	NNLAB_STATIC=1 $(BIN)/jupyter-book build . -W --keep-going

## test: the book build (warnings are errors), unit tests, nbval on every notebook, browser test
test: book
	$(BIN)/python -m pytest tests chapters exercises/source --nbval --nbval-sanitize-with tests/sanitize.cfg \
		--nbval-current-env -q

## notebooks: re-execute the committed notebooks in place (live mode) after editing them
notebooks: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py $(NOTEBOOKS)

## lab: open the course in JupyterLab with live widgets
lab: $(STAMP)
	$(BIN)/jupyter lab chapters

## exercises: generate the student versions of the graded exercises (nbgrader, offline) into exercises/release
exercises: $(STAMP)
	$(BIN)/python tools/exercises.py release

## grade: grade SUBMISSIONS=<dir>/<student>/<exercise>.ipynb into OUT=<dir> (scores.csv, questions.csv, feedback/)
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" -a -n "$(OUT)" || { echo "usage: make grade SUBMISSIONS=dir OUT=dir"; exit 2; }
	$(BIN)/python tools/exercises.py grade $(SUBMISSIONS) --out $(OUT)

## bench: redraw compute times and the training benchmark against scikit-learn
bench: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python benchmarks/bench.py

clean:
	rm -rf _build
