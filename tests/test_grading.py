"""End to end: grade a class of honest, broken and hostile submissions with tools/exercises.py.

Two small exercises (ex01: 3 + 4 points, ex09: 2 + 3 points). Each submission is the released
student version with some solution cells filled in (the source's solutions, a planted bug, or an
attack). Every score is asserted exactly; so is that nothing outside OUT changed, that no process
the students started outlives the grader, and that no hidden test or solution line reaches a
feedback file. Needs Debian's bubblewrap (`bwrap`); skipped with a message where it is missing.
"""
import csv
import hashlib
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE, RELEASE = ROOT / "exercises" / "source", ROOT / "exercises" / "release"
sys.path.insert(0, str(ROOT / "tools"))
from grading import sandbox  # noqa: E402

EX1, EX9 = "ex01_activations", "ex09_clipping"
MARKER = "nnlab-hostile-survivor"
HAVE_SANDBOX, WHY = sandbox.available()
needs_sandbox = pytest.mark.skipif(not HAVE_SANDBOX, reason=f"no sandbox here: {WHY} (apt-get install bubblewrap)")


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


def replace(name, gid, old, new):
    """A source solution with one planted change."""
    code = solutions(name)[gid]
    assert old in code, (gid, old)
    return code.replace(old, new)


def sol(name, gid, extra=""):
    return solutions(name)[gid] + "\n" + textwrap.dedent(extra)


ALL1 = {"sigmoid": "solution", "derivatives": "solution"}
ALL9 = {"clip_by_value": "solution", "clip_by_norm": "solution"}
WRONG_SIGMOID = "import numpy as np\ndef sigmoid(z):\n    return np.asarray(z, dtype=float) * 0 + 0.5\n"
WRONG_VALUE = ("import numpy as np\ndef clip_by_value(grads, min_value, max_value):\n"
               "    return [np.asarray(g) for g in grads]\n")
WRONG_NORM = "import numpy as np\ndef clip_by_norm(grads, max_norm):\n    return [np.asarray(g) for g in grads]\n"


def drop_tests(nb):
    nb.cells = [c for c in nb.cells if not nbg(c).get("grade")]


def edit_tests(nb):
    for c in nb.cells:
        if nbg(c).get("grade"):
            c.source = 'print("all good")'


def slow_cells(nb):  # extra cells are not the student's to add: ignored
    nb.cells += [nbformat.v4.new_code_cell("import time\ntime.sleep(60)")]


def tamper(nb):
    """Metadata and cells rewritten: a solution marked as a 100-point test, a duplicated grade_id
    (the second copy wrong), test cells turned into solution cells that redefine the functions."""
    for c in list(nb.cells):
        meta = nbg(c)
        if meta.get("grade_id") == "sigmoid":
            meta.update(grade=True, points=100, solution=False, locked=True)
        elif meta.get("grade"):
            meta.update(grade=False, solution=True, points=0)
            c.source = "def sigmoid(z):\n    return z\n\ndef relu_prime(z):\n    return z\n"
    deriv = next(c for c in nb.cells if nbg(c).get("grade_id") == "derivatives")
    bad = nbformat.v4.new_code_cell("def tanh_prime(z):\n    return z\n", metadata={"nbgrader": dict(nbg(deriv))})
    nb.cells.insert(nb.cells.index(deriv) + 1, bad)
    nb.cells.append(nbformat.v4.new_code_cell("sigmoid = lambda z: z"))


def rename_id(nb):
    for c in nb.cells:
        if nbg(c).get("grade_id") == "clip_by_value":
            nbg(c)["grade_id"] = "clip_by_value_renamed"


def hostile_cases(subs, out):
    """student -> {exercise: notebook} for the attacks; they know every path on the machine."""
    paths = {"ROOT": str(ROOT), "SUBS": str(subs), "OUT": str(out)}
    head = "".join(f"{k} = {v!r}\n" for k, v in paths.items())
    patch_numpy = head + textwrap.dedent("""
        import numpy as np
        np.allclose = lambda *a, **k: True
        np.isclose = lambda a, b, **k: np.ones(np.shape(a), dtype=bool)
        np.all = lambda *a, **k: True
        np.array_equal = lambda *a, **k: True
    """)
    patch_checks = textwrap.dedent("""
        import nnlab, nnlab.checks
        class _Yes:
            def __getattr__(self, name):
                return lambda *a, **k: None
        checks = _Yes()
        for _n in dir(nnlab.checks):
            if _n.startswith(("check_", "compare_", "expect_")):
                setattr(nnlab.checks, _n, lambda *a, **k: None)
        import sys
        sys.modules["nnlab.checks"] = _Yes()
    """)
    patch_reference = textwrap.dedent("""
        import numpy as np
        import nnlab.activations, nnlab.clipping
        nnlab.activations.Sigmoid.__call__ = lambda self, z: np.asarray(z, dtype=float) * 0 + 0.5
        nnlab.activations.Sigmoid.df = lambda self, z: np.asarray(z, dtype=float) * 0
        nnlab.activations.Tanh.df = lambda self, z: np.asarray(z, dtype=float) * 0
        nnlab.activations.ReLU.df = lambda self, z: np.asarray(z, dtype=float) * 0
        nnlab.activations.LeakyReLU.df = lambda self, z: np.asarray(z, dtype=float) * 0
        def sigmoid_prime(z): return np.asarray(z, dtype=float) * 0
        tanh_prime = relu_prime = sigmoid_prime
        def leaky_relu_prime(z, alpha=0.01): return np.asarray(z, dtype=float) * 0
    """)
    patch_builtins = textwrap.dedent("""
        import builtins, numpy as np
        builtins.isinstance = lambda *a: True
        builtins.AssertionError = type("AssertionError", (Exception,), {})
        def clip_by_value(grads, min_value, max_value):
            raise SystemExit(0)
    """)
    # Reading what must stay secret: answer right only if nothing could be read.
    reader = head + textwrap.dedent("""
        import glob, os, numpy as np
        found = []
        for pattern in [ROOT + "/exercises/source/*/*.ipynb", SUBS + "/*/*.ipynb", OUT + "/*",
                        "../../../source/*/*.ipynb", "../../source/*/*.ipynb", "/proc/*/cmdline",
                        "/root/*", "/work/main/exercises/*", "/tmp/*/*.ipynb", "/tmp/*/gradebook.db"]:
            for p in glob.glob(pattern):
                try:
                    text = open(p, "rb").read().decode(errors="replace")
                except OSError:
                    continue
                if "BEGIN HIDDEN" in text or "BEGIN SOLUTION" in text or SUBS in text or OUT in text \\
                        or "def clip_by_value" in text:
                    found.append(p)
        print("FOUND", found)
        def clip_by_value(grads, min_value, max_value):
            if found:
                return grads
            return [np.clip(np.asarray(g, dtype=float), min_value, max_value) for g in grads]
    """)
    # Forging results: write every file it can think of, the package on disk included.
    forger = head + textwrap.dedent("""
        import glob, os
        wrote = []
        targets = [OUT + "/scores.csv", OUT + "/questions.csv", OUT + "/feedback/alice/summary.md",
                   SUBS + "/alice/ex09_clipping.ipynb", SUBS + "/zed/ex09_clipping.ipynb",
                   ROOT + "/lib/nnlab/checks.py", ROOT + "/lib/nnlab/clipping.py",
                   ROOT + "/exercises/source/ex09_clipping/ex09_clipping.ipynb"]
        targets += glob.glob("/tmp/*/result-*.json") + glob.glob("/tmp/**/gradebook.db", recursive=True)
        import nnlab.checks
        targets.append(nnlab.checks.__file__)
        for t in targets:
            try:
                with open(t, "a") as f:
                    f.write("\\nforged,ex09_clipping,x,5,5,ok\\n")
                wrote.append(t)
            except OSError:
                pass
        for t in [OUT + "/forged.txt", ROOT + "/forged.txt", SUBS + "/forged.txt", "/work/forged.txt"]:
            try:
                open(t, "w").write("x")
                wrote.append(t)
            except OSError:
                pass
        import numpy as np
        def clip_by_value(grads, min_value, max_value):
            if wrote:
                return grads
            return [np.clip(np.asarray(g, dtype=float), min_value, max_value) for g in grads]
    """)
    # A process that outlives its sandbox: setsid, a double fork, nohup; each would forge later.
    survivor = head + textwrap.dedent(f"""
        import os, subprocess, sys
        later = ("import signal, time\\n"
                 "for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT): signal.signal(s, signal.SIG_IGN)\\n"
                 "time.sleep(8)\\n"
                 "open({str(out / 'scores.csv')!r}, 'a').write('ghost,ex09_clipping,x,5,5,ok\\\\n')\\n")
        cmd = [sys.executable, "-c", later, "{MARKER}"]
        subprocess.Popen(cmd, start_new_session=True)
        subprocess.Popen(["nohup"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, cmd)
            os._exit(0)
    """)
    leaker = textwrap.dedent("""
        import inspect, numpy as np
        print("DEFINITIONS PRINT", sorted(globals())[:5])
        def sigmoid(z):
            z = np.asarray(z, dtype=float)
            print("LEAKED-INPUT", z.tolist(), [f.filename for f in inspect.stack()])
            if z.ndim == 3:
                raise ValueError("LEAKED-INPUT " + repr(z))
            return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))
    """)
    hog = textwrap.dedent("""
        import numpy as np
        def clip_by_value(grads, min_value, max_value):
            block = bytearray(8 << 30)          # past the sandbox's memory limit
            return [np.clip(g, min_value, max_value) for g in grads]
    """)
    jammer = solutions(EX9)["clip_by_norm"].replace("def clip_by_norm(grads, max_norm):", textwrap.dedent("""
        def clip_by_norm(grads, max_norm):
            import os
            for fd in range(3, 20):             # forge the protocol's frames
                try:
                    os.write(fd, b"FORGED RESULT: 3 points" * 1000)
                except OSError:
                    pass""").strip())
    mutator = textwrap.dedent("""
        import numpy as np
        def _zero(z):                 # the check computes its reference afterwards, on the same array
            if isinstance(z, np.ndarray):
                z[...] = 0
        def sigmoid(z):
            _zero(z)
            return np.full(np.shape(z), 0.5)
        def sigmoid_prime(z):
            _zero(z)
            return np.full(np.shape(z), 0.25)
        def tanh_prime(z):
            _zero(z)
            return np.ones(np.shape(z))
        def relu_prime(z):
            _zero(z)
            return np.zeros(np.shape(z))
        def leaky_relu_prime(z, alpha=0.01):
            _zero(z)
            return np.full(np.shape(z), alpha)
    """)
    return {
        "mutator": {EX1: submission(EX1, {"sigmoid": mutator, "derivatives": "pass"})},
        "hog": {EX9: submission(EX9, {"clip_by_value": hog, "clip_by_norm": jammer})},
        "pat_numpy": {EX1: submission(EX1, {"sigmoid": patch_numpy + WRONG_SIGMOID, "derivatives": "solution"})},
        "pat_checks": {EX9: submission(EX9, {"clip_by_value": WRONG_VALUE + patch_checks,
                                             "clip_by_norm": WRONG_NORM})},
        "pat_reference": {EX1: submission(EX1, {"sigmoid": WRONG_SIGMOID + patch_reference,
                                                "derivatives": patch_reference})},
        "pat_builtins": {EX9: submission(EX9, {"clip_by_value": patch_builtins, "clip_by_norm": "solution"})},
        "reader": {EX9: submission(EX9, {"clip_by_value": reader, "clip_by_norm": "solution"})},
        "forger": {EX9: submission(EX9, {"clip_by_value": forger, "clip_by_norm": "solution"})},
        "survivor": {EX9: submission(EX9, {"clip_by_value": sol(EX9, "clip_by_value", survivor),
                                           "clip_by_norm": "solution"})},
        "leaker": {EX1: submission(EX1, {"sigmoid": leaker, "derivatives": "solution"})},
    }


LOOP = replace(EX1, "derivatives", "s = sigmoid(z)", "while True:\n        pass")
EXIT = "import os\n\ndef clip_by_norm(grads, max_norm):\n    os._exit(1)\n"
SYSEXIT = replace(EX1, "derivatives", "s = sigmoid(z)", "raise SystemExit('bye')")
HUGE = 'print("x" * 3_000_000)\nfor i in range(5000):\n    print(i)\n'
RENAMED = "def my_sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"
HANG_FN = ("import signal\n\ndef clip_by_value(grads, min_value, max_value):\n"
           "    signal.signal(signal.SIGINT, signal.SIG_IGN)  # no interrupt can stop it\n"
           "    while True:\n        pass\n")
HANG_TOP = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"
DERIV_OWN = replace(EX1, "derivatives", "s = sigmoid(z)", "s = 1 / (1 + np.exp(-np.asarray(z, dtype=float)))")
DIE_LATER = sol(EX1, "derivatives", "import os\nos._exit(3)\n")   # after test_sigmoid had passed

CASES = {
    "alice": {EX1: submission(EX1, ALL1), EX9: submission(EX9, ALL9)},
    "bob": {EX1: submission(EX1, {"sigmoid": "solution", "derivatives": replace(
                EX1, "derivatives", "np.asarray(z) > 0).astype", "np.asarray(z) >= 0).astype")}),
            EX9: submission(EX9, {"clip_by_value": "solution", "clip_by_norm": replace(
                EX9, "clip_by_norm", "scale = max_norm / norm if norm > max_norm else 1.0\n"
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
    "oscar": {EX9: submission(EX9, {"clip_by_value": HANG_FN, "clip_by_norm": "solution"})},
    "olga": {EX9: submission(EX9, {"clip_by_value": HANG_TOP, "clip_by_norm": "solution"})},
    "peggy": {EX1: submission(EX1, {"sigmoid": "solution", "derivatives": DIE_LATER})},
    "trent": {EX1: submission(EX1, ALL1, edit=tamper)},
    "rita": {EX9: submission(EX9, ALL9, edit=rename_id)},
    "a[1]": {EX9: submission(EX9, ALL9)},
    "with space, comma; and *?": {EX9: submission(EX9, ALL9)},
    "zoë": {EX9: submission(EX9, ALL9)},
}
EXPECTED = {  # (student, exercise): (points, total, status)
    ("alice", EX1): ("test_sigmoid=3/3;test_derivatives=4/4", "7", "ok"),
    ("alice", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=3/3", "5", "ok"),
    ("bob", EX1): ("test_sigmoid=3/3;test_derivatives=0/4", "3", "ok"),
    ("bob", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=0/3", "2", "ok"),
    ("carol", EX1): ("test_sigmoid=0/3;test_derivatives=0/4", "0", "not_implemented"),
    ("carol", EX9): ("test_clip_by_value=0/2;test_clip_by_norm=0/3", "0", "not_implemented"),
    ("dave", EX1): ("test_sigmoid=3/3;test_derivatives=0/4", "3", "timeout"),
    ("erin", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=0/3", "2", "kernel_died"),
    ("frank", EX1): ("test_sigmoid=3/3;test_derivatives=0/4", "3", "system_exit"),
    ("grace", EX1): ("test_sigmoid=3/3;test_derivatives=4/4", "7", "cells_missing"),
    ("grace", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=0/3", "2", "cells_edited+not_implemented"),
    ("heidi", EX1): ("test_sigmoid=0/3;test_derivatives=4/4", "4", "name_error"),
    ("ivan", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=3/3", "5", "output_truncated"),
    ("mallory", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=3/3", "5", "ok"),
    ("oscar", EX9): ("test_clip_by_value=0/2;test_clip_by_norm=3/3", "3", "timeout"),
    ("olga", EX9): ("test_clip_by_value=0/2;test_clip_by_norm=3/3", "3", "name_error+timeout"),
    ("peggy", EX1): ("test_sigmoid=3/3;test_derivatives=0/4", "3", "kernel_died+name_error"),
    ("trent", EX1): ("test_sigmoid=3/3;test_derivatives=4/4", "7", "cells_edited"),
    ("rita", EX9): ("test_clip_by_value=0/2;test_clip_by_norm=3/3", "3", "cells_missing+not_implemented"),
    ("a[1]", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=3/3", "5", "ok"),
    ("with space, comma; and *?", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=3/3", "5", "ok"),
    ("zoë", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=3/3", "5", "ok"),
    ("pat_numpy", EX1): ("test_sigmoid=0/3;test_derivatives=0/4", "0", "ok"),   # its sigmoid_prime uses sigmoid
    ("pat_checks", EX9): ("test_clip_by_value=0/2;test_clip_by_norm=0/3", "0", "ok"),
    ("pat_reference", EX1): ("test_sigmoid=0/3;test_derivatives=0/4", "0", "ok"),
    # patching builtins breaks its own process while it defines: that cell is skipped
    ("pat_builtins", EX9): ("test_clip_by_value=0/2;test_clip_by_norm=3/3", "3", "kernel_died+name_error"),
    ("reader", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=3/3", "5", "ok"),
    ("forger", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=3/3", "5", "ok"),
    ("survivor", EX9): ("test_clip_by_value=2/2;test_clip_by_norm=3/3", "5", "ok"),
    ("leaker", EX1): ("test_sigmoid=0/3;test_derivatives=4/4", "4", "ok"),
    ("notebook", EX9): ("test_clip_by_value=0/2;test_clip_by_norm=0/3", "0", "invalid_notebook"),
    ("mutator", EX1): ("test_sigmoid=0/3;test_derivatives=0/4", "0", "ok"),   # nbgrader gave it 7
    ("hog", EX9): ("test_clip_by_value=0/2;test_clip_by_norm=0/3", "0", "kernel_died"),
    ("linker", EX9): ("test_clip_by_value=0/2;test_clip_by_norm=0/3", "0", "invalid_notebook"),
}


def digest(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def survivors():
    """Processes whose command line carries the hostile submissions' marker."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and MARKER.encode() in (proc / "cmdline").read_bytes():
                found.append(proc.name)
        except OSError:
            pass
    return found


def secret_lines():
    """Lines of the sources' hidden tests and solutions that a feedback file must never contain."""
    lines = set()
    for name in (EX1, EX9):
        nb = nbformat.read(SOURCE / name / f"{name}.ipynb", as_version=4)
        for c in nb.cells:
            for begin, end in [("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"),
                               ("### BEGIN SOLUTION", "### END SOLUTION")]:
                inside = False
                for line in c.source.splitlines():
                    if begin in line:
                        inside = True
                    elif end in line:
                        inside = False
                    elif inside and len(line.strip()) > 12:
                        lines.add(line.strip())
    return lines


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not HAVE_SANDBOX:
        pytest.skip(f"no sandbox here: {WHY} (apt-get install bubblewrap)")
    subs = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("out")
    cases = dict(CASES, **hostile_cases(subs, out))
    for student, notebooks in cases.items():
        (subs / student).mkdir()
        for name, nb in notebooks.items():
            nbformat.write(nb, subs / student / f"{name}.ipynb")
    (subs / "carol" / "notes.ipynb").write_text("{}")  # not an exercise: ignored with a message
    (subs / "notebook").mkdir()
    (subs / "linker").mkdir()   # a link to the source notebook, solutions and all
    (subs / "linker" / f"{EX9}.ipynb").symlink_to(SOURCE / EX9 / f"{EX9}.ipynb")
    (subs / "notebook" / f"{EX9}.ipynb").write_text("this is not JSON")
    before = {"subs": digest(subs), "lib": digest(ROOT / "lib"), "exercises": digest(ROOT / "exercises"),
              "tools": digest(ROOT / "tools")}
    top = set(os.listdir(ROOT))
    t0 = time.monotonic()
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "exercises.py"), "grade", str(subs), "--out",
                          str(out), "--cell-timeout", "4", "--timeout", "40", "--jobs", "2"],
                         capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - t0
    assert run.returncode == 0, run.stderr[-3000:]
    alive = survivors()
    return {"subs": subs, "out": out, "before": before, "log": run.stderr, "seconds": seconds, "alive": alive,
            "top": top}


def rows_of(path):
    with open(path) as f:
        return list(csv.DictReader(f))


@needs_sandbox
def test_scores_and_statuses_are_exact(graded):
    rows = rows_of(graded["out"] / "scores.csv")
    got = {(r["student"], r["exercise"]): (r["points"], r["total"], r["status"]) for r in rows}
    assert got == EXPECTED
    assert len(rows) == len(EXPECTED)
    assert {r["max"] for r in rows if r["exercise"] == EX1} == {"7"}
    assert {r["max"] for r in rows if r["exercise"] == EX9} == {"5"}
    print(f"graded {len(rows)} submissions in {graded['seconds']:.1f} s")


@needs_sandbox
def test_questions_csv_has_one_row_per_test_cell(graded):
    rows = rows_of(graded["out"] / "questions.csv")
    assert len(rows) == 2 * len(EXPECTED)
    assert {"student": "bob", "exercise": EX1, "question": "test_derivatives", "score": "0", "max": "4"} in rows


@needs_sandbox
def test_nothing_outside_out_changed(graded):
    before = graded["before"]
    assert digest(graded["subs"]) == before["subs"]
    assert digest(ROOT / "lib") == before["lib"]
    assert digest(ROOT / "exercises") == before["exercises"]
    assert digest(ROOT / "tools") == before["tools"]
    assert set(os.listdir(ROOT)) == graded["top"]
    assert not (graded["out"] / "forged.txt").exists()


@needs_sandbox
def test_no_process_outlives_the_grader_and_nothing_is_forged_later(graded):
    assert graded["alive"] == []
    time.sleep(9)  # the survivors would have written now
    assert survivors() == []
    assert {r["student"] for r in rows_of(graded["out"] / "scores.csv")} == {s for s, _ in EXPECTED}


@needs_sandbox
def test_feedback_names_the_failed_case_and_shows_no_secret(graded):
    out, log = graded["out"], graded["log"]
    bob = (out / "feedback" / "bob" / "summary.md").read_text()
    assert "relu_prime, z = 0" in bob and "expected" in bob and "got" in bob  # the check's own words
    assert "relu_prime, z = 0" in (out / "feedback" / "bob" / f"{EX1}.html").read_text()
    peggy = (out / "feedback" / "peggy" / "summary.md").read_text()
    assert "derivatives" in peggy and "ended the student's process" in peggy
    ivan = (out / "feedback" / "ivan" / f"{EX9}.html").read_text()
    assert len(ivan) < 1_000_000 and "Output truncated" in ivan
    assert "ignored" in log and "notes.ipynb" in log
    leaker = (out / "feedback" / "leaker" / f"{EX1}.html").read_text()
    assert "DEFINITIONS PRINT" in leaker                      # its own output while defining
    assert "LEAKED-INPUT" not in leaker and "ValueError in a hidden test" in leaker
    reader = (out / "feedback" / "reader" / f"{EX9}.html").read_text()
    assert "FOUND []" in reader
    secrets = secret_lines()
    assert len(secrets) > 10
    for page in (out / "feedback").rglob("*"):
        if page.is_file():
            text = page.read_text()
            assert "HIDDEN TESTS" not in text and "default_rng(4" not in text and "_rng" not in text, page
            assert not [s for s in secrets if s in text], page
    assert re.search(rf"\] {len(EXPECTED)}/{len(EXPECTED)} ", log)  # the progress bar reached the end


def test_grade_refuses_without_a_sandbox_unless_asked(tmp_path):
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    nbformat.write(submission(EX9, ALL9), subs / "alice" / f"{EX9}.ipynb")
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))        # no bwrap on this PATH
    cmd = [sys.executable, str(ROOT / "tools" / "exercises.py"), "grade", str(subs), "--out", str(tmp_path / "o")]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "refusing" in run.stderr and "--no-sandbox" in run.stderr
    assert not (tmp_path / "o" / "scores.csv").exists()
    run = subprocess.run(cmd + ["--no-sandbox"], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "WITHOUT a sandbox" in run.stderr and "hidden tests" in run.stderr
    assert rows_of(tmp_path / "o" / "scores.csv")[0]["total"] == "5"
