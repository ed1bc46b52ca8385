"""End to end: grade a folder of good, wrong and hostile submissions with tools/exercises.py.

Two exercises (ex01: 3 + 4 points, ex09: 2 + 3 points). Each submission is the released student
version with some solution cells filled in (from the source's solutions or with a planted bug).
"""
import csv
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE, RELEASE = ROOT / "exercises" / "source", ROOT / "exercises" / "release"


def nbg(cell):
    return cell.metadata.get("nbgrader", {})


def solutions(name):
    """{grade_id: code} of the source's solution cells, markers removed."""
    nb = nbformat.read(SOURCE / name / f"{name}.ipynb", as_version=4)
    return {nbg(c)["grade_id"]: "\n".join(line for line in c.source.splitlines() if "### " not in line)
            for c in nb.cells if nbg(c).get("solution")}


def submission(name, answers=None, *, edit=None):
    """The student version with answers {grade_id: code or "solution"}; edit(nb) may change it more."""
    nb = nbformat.read(RELEASE / name / f"{name}.ipynb", as_version=4)
    sols = solutions(name)
    for cell in nb.cells:
        gid = nbg(cell).get("grade_id")
        if answers and gid in answers:
            cell.source = sols[gid] if answers[gid] == "solution" else answers[gid]
    if edit:
        edit(nb)
    return nb


def replace(gid_code, old, new):
    """A source solution with one planted change."""
    name, gid = gid_code
    code = solutions(name)[gid]
    assert old in code, (gid, old)
    return code.replace(old, new)


EX1, EX9 = "ex01_activations", "ex09_clipping"
ALL1 = {"sigmoid": "solution", "derivatives": "solution"}
ALL9 = {"clip_by_value": "solution", "clip_by_norm": "solution"}


def drop_tests(nb):
    nb.cells = [c for c in nb.cells if not nbg(c).get("grade")]


def edit_tests(nb):
    for c in nb.cells:
        if nbg(c).get("grade"):
            c.source = 'print("all good")'


LOOP = replace((EX1, "derivatives"), "s = sigmoid(z)", "while True:\n        pass")
EXIT = "import os\n\ndef clip_by_norm(grads, max_norm):\n    os._exit(1)\n"
SYSEXIT = replace((EX1, "derivatives"), "s = sigmoid(z)", "raise SystemExit('bye')")
HUGE = 'print("x" * 3_000_000)\nfor i in range(5000):\n    print(i)\n'
RENAMED = "def my_sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"
HANG = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)  # the per-cell interrupt cannot stop it\nwhile True:\n    pass\n"


def slow_cells(nb):  # each cell is within the cell timeout, all together exceed the submission's
    nb.cells += [nbformat.v4.new_code_cell("import time\ntime.sleep(4)") for _ in range(12)]


DERIV_OWN = replace((EX1, "derivatives"), "s = sigmoid(z)", "s = 1 / (1 + np.exp(-np.asarray(z, dtype=float)))")

# student -> {exercise: notebook}; and the expected CSV rows
CASES = {
    "alice": {EX1: submission(EX1, ALL1), EX9: submission(EX9, ALL9)},
    "bob": {EX1: submission(EX1, {"sigmoid": "solution", "derivatives": replace(
                (EX1, "derivatives"), "np.asarray(z) > 0).astype", "np.asarray(z) >= 0).astype")}),
            EX9: submission(EX9, {"clip_by_value": "solution", "clip_by_norm": replace(
                (EX9, "clip_by_norm"), "scale = max_norm / norm if norm > max_norm else 1.0\n"
                "    return [np.asarray(g, dtype=float) * scale for g in grads]",
                "return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]")})},
    "carol": {EX1: submission(EX1), EX9: submission(EX9)},
    "dave": {EX1: submission(EX1, {"sigmoid": "solution", "derivatives": LOOP})},
    "erin": {EX9: submission(EX9, {"clip_by_value": "solution", "clip_by_norm": EXIT})},
    "frank": {EX1: submission(EX1, {"sigmoid": "solution", "derivatives": SYSEXIT})},
    "grace": {EX1: submission(EX1, ALL1, edit=drop_tests),
              EX9: submission(EX9, {"clip_by_value": "solution"}, edit=edit_tests)},
    "heidi": {EX1: submission(EX1, {"sigmoid": RENAMED, "derivatives": DERIV_OWN})},
    "ivan": {EX9: submission(EX9, {"clip_by_value": solutions(EX9)["clip_by_value"] + "\n" + HUGE,
                                   "clip_by_norm": "solution"})},
    "mallory": {EX9: submission(EX9, ALL9, edit=slow_cells)},
    "oscar": {EX9: submission(EX9, {"clip_by_value": HANG})},
}
EXPECTED = {  # (student, exercise): (points, total, status)
    ("alice", EX1): ("test_sigmoid=3/3;test_derivatives=4/4", "7", "ok"),
    ("alice", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=3/3", "5", "ok"),
    ("bob", EX1): ("test_sigmoid=3/3;test_derivatives=0/4", "3", "ok"),
    ("bob", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=0/3", "2", "ok"),
    ("carol", EX1): ("test_sigmoid=0/3;test_derivatives=0/4", "0", "not_implemented"),
    ("carol", EX9): ("test_clip_by_value=0/2;test_clip_by_norm=0/3", "0", "not_implemented"),
    ("dave", EX1): ("test_sigmoid=3/3;test_derivatives=0/4", "3", "timeout"),
    ("erin", EX9): ("test_clip_by_value=0/2;test_clip_by_norm=0/3", "0", "kernel_died"),
    ("frank", EX1): ("test_sigmoid=3/3;test_derivatives=0/4", "3", "system_exit"),
    ("grace", EX1): ("test_sigmoid=3/3;test_derivatives=4/4", "7", "cells_missing"),
    ("grace", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=0/3", "2", "cells_edited+not_implemented"),
    ("heidi", EX1): ("test_sigmoid=0/3;test_derivatives=4/4", "4", "name_error"),
    ("ivan", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=3/3", "5", "output_truncated"),
    ("mallory", EX9): ("test_clip_by_value=0/2;test_clip_by_norm=0/3", "0", "grading_timeout"),
    ("oscar", EX9): ("test_clip_by_value=0/2;test_clip_by_norm=0/3", "0", "timeout"),
}


def digest(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("out")
    for student, notebooks in CASES.items():
        (subs / student).mkdir()
        for name, nb in notebooks.items():
            nbformat.write(nb, subs / student / f"{name}.ipynb")
    (subs / "carol" / "notes.ipynb").write_text("{}")  # not an exercise: ignored with a message
    before = digest(subs)
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "exercises.py"), "grade", str(subs), "--out",
                          str(out), "--cell-timeout", "5", "--timeout", "30", "--jobs", "2"],
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    return subs, out, before, run.stderr


def test_scores_and_statuses_are_exact(graded):
    _, out, _, _ = graded
    with open(out / "scores.csv") as f:
        rows = list(csv.DictReader(f))
    got = {(r["student"], r["exercise"]): (r["points"], r["total"], r["status"]) for r in rows}
    assert got == EXPECTED
    assert {r["max"] for r in rows if r["exercise"] == EX1} == {"7"}
    assert {r["max"] for r in rows if r["exercise"] == EX9} == {"5"}


def test_questions_csv_has_one_row_per_test_cell(graded):
    _, out, _, _ = graded
    with open(out / "questions.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * len(EXPECTED)
    assert {"student": "bob", "exercise": EX1, "question": "test_derivatives", "score": "0", "max": "4"} in rows


def test_submissions_are_not_changed(graded):
    subs, _, before, _ = graded
    assert digest(subs) == before


def test_feedback_per_student_names_the_failed_case(graded):
    _, out, _, log = graded
    bob = (out / "feedback" / "bob" / "summary.md").read_text()
    assert "relu_prime, z = 0" in bob and "expected" in bob and "got" in bob  # the check's own words
    assert (out / "feedback" / "bob" / f"{EX1}.html").stat().st_size > 1000
    ivan = (out / "feedback" / "ivan" / f"{EX9}.html").read_text()
    assert len(ivan) < 1_000_000 and "Output truncated" in ivan
    assert "ignored" in log and "notes.ipynb" in log
    for page in (out / "feedback").rglob("*.html"):  # feedback can go back to students: no hidden tests
        text = page.read_text()
        assert "HIDDEN TESTS" not in text and "default_rng(4" not in text and "_rng" not in text, page
    assert re.search(r"\] 15/15 ", log)  # the progress bar reached the end
