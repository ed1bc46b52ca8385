"""The graded exercises: structure, release drift, no solution leaks, student versions fail only where asked.

nbval runs the sources with their solutions (`pytest --nbval exercises/source`); these tests check
the rest. Each exercise: exercises/source/<a>/<a>.ipynb (truth) and exercises/release/<a>/<a>.ipynb.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SOURCE, RELEASE = ROOT / "exercises" / "source", ROOT / "exercises" / "release"
NAMES = sorted(p.name for p in SOURCE.iterdir() if (p / f"{p.name}.ipynb").is_file())
CHAPTERS = ["Neurons and activation functions", "The perceptron and gradient descent",
            "Multi-layer perceptrons and XOR", "Backpropagation",
            "Stochastic gradient descent and the learning rate", "Regularization: early stopping and weight penalties",
            "Dropout",
            "Batch normalization", "Gradient clipping", "Weight initialization"]
TRIVIAL = re.compile(r"^[\s\)\]\}\(\[\{,:]*$|^(pass|return|else:|try:|finally:|continue|break)$")


def source(name):
    return nbformat.read(SOURCE / name / f"{name}.ipynb", as_version=4)


def student(name):
    return nbformat.read(RELEASE / name / f"{name}.ipynb", as_version=4)


def nbg(cell):
    return cell.metadata.get("nbgrader", {})


def regions(text, begin, end):
    """Lines strictly between `### BEGIN X` and `### END X` markers."""
    out, inside = [], False
    for line in text.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            out.append(line.strip())
    return out


def test_ten_exercises_in_lecture_order_each_linking_its_chapter_and_stating_points():
    assert len(NAMES) >= 10
    assert [int(n[2:4]) for n in NAMES] == list(range(1, len(NAMES) + 1))
    for name, chapter in zip(NAMES, CHAPTERS):
        nb = source(name)
        tests = [c for c in nb.cells if nbg(c).get("grade")]
        solutions = [c for c in nb.cells if nbg(c).get("solution")]
        total = sum(nbg(c)["points"] for c in tests)
        head = nb.cells[0].source
        assert f"*{chapter}*" in head, name
        assert f"**Points:** {total} in all." in head, name
        assert len(tests) >= 2 and len(solutions) >= 2, name
        for c in solutions:  # a whole function against a docstring, never one token
            body = regions(c.source, "BEGIN SOLUTION", "END SOLUTION")
            assert c.source.lstrip().startswith("def ") and '"""' in c.source, (name, nbg(c)["grade_id"])
            assert len([b for b in body if b]) >= 1, (name, nbg(c)["grade_id"])
        for c in tests:  # visible check through nnlab.checks, then hidden tests with their own seed
            assert c.source.startswith("checks.check_"), (name, nbg(c)["grade_id"])
            hidden = "\n".join(regions(c.source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))
            assert "default_rng(" in hidden or "seed=" in hidden, (name, nbg(c)["grade_id"])
            assert "show=False" in hidden, (name, nbg(c)["grade_id"])


@pytest.mark.parametrize("name", NAMES)
def test_sources_are_committed_with_passing_outputs(name):
    nb = source(name)
    tests = [c for c in nb.cells if nbg(c).get("grade")]
    for c in tests:
        text = "".join(o.get("text", "") for o in c.get("outputs", []))
        assert "✓" in text and "passed" in text, (name, nbg(c)["grade_id"])
        assert not any(o.output_type == "error" for o in c.outputs)


def test_release_matches_a_fresh_generation(tmp_path):
    """The committed student versions equal what `tools/exercises.py release` makes now (byte for byte:
    nbgrader's checksums are md5s of the cell sources and the cell ids come from the sources)."""
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    subprocess.run([sys.executable, str(ROOT / "tools" / "exercises.py"), "release", "--out", str(tmp_path)],
                   check=True, env=env, capture_output=True, text=True, timeout=900)
    for name in NAMES:
        fresh = (tmp_path / name / f"{name}.ipynb").read_text()
        committed = (RELEASE / name / f"{name}.ipynb").read_text()
        assert fresh == committed, f"exercises/release/{name} is stale: run `python tools/exercises.py release`"


def _secret_lines(nb):
    """Solution and hidden-test lines that are not trivial and are not shown to students by design."""
    public = set()
    secret = []
    for c in nb.cells:
        text = c.source
        sol = regions(text, "BEGIN SOLUTION", "END SOLUTION")
        hid = regions(text, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
        secret += sol + hid
        inside = set(sol) | set(hid)
        public |= {line.strip() for line in text.splitlines() if line.strip() not in inside}
    return sorted({s for s in secret if s and not TRIVIAL.match(s) and s not in public})


def _student_texts():
    texts = {}
    for name in NAMES:
        nb = student(name)
        texts[f"release/{name}"] = "\n".join(c.source for c in nb.cells)
    return texts


def test_no_solution_or_hidden_test_leaks_into_student_versions():
    texts = _student_texts()
    leaks = []
    for name in NAMES:
        secrets = _secret_lines(source(name))
        assert len(secrets) >= 5, name
        for where, text in texts.items():
            leaks += [(name, where, s) for s in secrets if s in text]
    assert not leaks, leaks[:10]
    for name in NAMES:  # nbgrader's own markers are gone too
        text = texts[f"release/{name}"]
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "default_rng(4" not in text


def test_no_solution_leaks_into_the_built_site():
    site = ROOT / "_build" / "html"
    if not site.is_dir():
        pytest.skip("_build/html is absent: build the book first to check the site for leaks")
    # a line that the chapters or the package already show (say `for _ in range(epochs):`) gives nothing away
    public = {line.strip() for p in ROOT.glob("chapters/*.ipynb") for c in nbformat.read(p, as_version=4).cells
              for line in c.source.splitlines()}
    public |= {line.strip() for p in (ROOT / "lib" / "nnlab").rglob("*.py") for line in p.read_text().splitlines()}
    secrets = {s for name in NAMES for s in _secret_lines(source(name))} - public
    leaks = []
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".ipynb", ".py", ".txt", ".md", ".js", ".json"}:
            text = path.read_text(errors="ignore")
            leaks += [(str(path.relative_to(site)), s) for s in secrets if s in text]
    assert not leaks, leaks[:10]


def test_student_versions_are_the_sources_with_solutions_replaced():
    for name in NAMES:
        src, stu = source(name), student(name)
        assert [nbg(c).get("grade_id") for c in src.cells] == [nbg(c).get("grade_id") for c in stu.cells]
        for a, b in zip(src.cells, stu.cells):
            if nbg(a).get("solution"):
                assert "# YOUR CODE HERE" in b.source and "raise NotImplementedError()" in b.source
                assert b.source.startswith(a.source.split("### BEGIN SOLUTION")[0].rstrip(" "))  # def, docstring
            elif nbg(a).get("grade"):
                assert b.source == a.source.split("### BEGIN HIDDEN TESTS")[0].rstrip("\n")
                assert nbg(b)["points"] == nbg(a)["points"]
            else:
                assert b.source == a.source
            assert not b.get("outputs")
        assert "nbgrader" not in "\n".join(c.source for c in stu.cells if c.cell_type == "code")


@pytest.mark.parametrize("name", NAMES)
def test_student_version_run_unchanged_fails_only_in_exercise_and_test_cells(name):
    nb = student(name)
    for attempt in range(3):  # a kernel can lose the race for its random ports to a parallel one: start again
        client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(RELEASE / name)}})
        try:
            client.execute()
            break
        except RuntimeError as err:
            if "Kernel died before replying" not in str(err) or attempt == 2:
                raise
    errored = {}
    for c in nb.cells:
        if c.cell_type == "code":
            errs = [o for o in c.outputs if o.output_type == "error"]
            if errs:
                errored[nbg(c).get("grade_id")] = errs[0].ename
    tests = {nbg(c)["grade_id"] for c in nb.cells if nbg(c).get("grade")}
    solutions = {nbg(c)["grade_id"] for c in nb.cells if nbg(c).get("solution")}
    assert set(errored) <= tests | solutions, errored
    assert set(errored) >= tests, f"a test passes on the unchanged student version: {tests - set(errored)}"
    assert set(errored.values()) == {"NotImplementedError"}, errored
