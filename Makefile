# Two commands set everything up on a fresh machine: `make book` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(wildcard chapters/*.ipynb)
NBVAL  := --nbval --nbval-sanitize-with tests/sanitize.cfg --nbval-current-env
# numpy's SIMD levels above its baseline found on this CPU (read from numpy, never hard-coded)
SIMD_OFF = NPY_DISABLE_CPU_FEATURES="$$($(BIN)/python tools/simd_levels.py)"

.PHONY: book test notebooks check-notebook lab learner-lab bench exercises grade clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	$(MAKE) --no-print-directory learner-lab STAMP=
	touch $@

## book: execute every chapter (static experiment frames) and build the site into _build/html
book: $(STAMP)
	rm -rf _build/html _build/jupyter_execute
	NNLAB_STATIC=1 $(BIN)/jupyter-book build . -W --keep-going

## test: the book build (warnings are errors), unit tests, nbval on every notebook, browser test,
## then nbval again on numpy's baseline SIMD path (every level above it switched off)
test: book
	$(BIN)/python -m pytest tests chapters exercises/source $(NBVAL) -q
	@echo "nbval on numpy's baseline SIMD path: NPY_DISABLE_CPU_FEATURES=\"$$($(BIN)/python tools/simd_levels.py)\""
	$(SIMD_OFF) $(BIN)/python -m pytest chapters exercises/source $(NBVAL) -q

## notebooks: re-execute the committed notebooks in place (live mode) after editing them
notebooks: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py $(NOTEBOOKS)

## check-notebook: nbval on NB=path.ipynb on both SIMD paths (numpy's default, then its baseline)
check-notebook: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make check-notebook NB=chapters/NN_topic.ipynb"; exit 2; }
	$(BIN)/python -m pytest $(NB) $(NBVAL) -q
	$(SIMD_OFF) $(BIN)/python -m pytest $(NB) $(NBVAL) -q

## lab: open the course (chapters and exercises) in JupyterLab with live widgets, for a learner:
## nbgrader's instructor tools (installed for `make grade` and the tests) are switched off in Lab
NBGRADER_SERVER_EXTENSIONS := formgrader validate_assignment assignment_list course_list
lab: $(STAMP) learner-lab
	$(BIN)/jupyter lab --ServerApp.root_dir=.

learner-lab: $(STAMP)
	@test -x $(BIN)/jupyter || { echo "run make book or make test first"; exit 2; }
	@$(BIN)/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader >/dev/null 2>&1 || true
	@for e in $(NBGRADER_SERVER_EXTENSIONS); do \
		$(BIN)/jupyter server extension disable --sys-prefix nbgrader.server_extensions.$$e >/dev/null 2>&1 || true; done

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
