"""Unit tests of the grader's parts: the wire format, the rebuild, the hidden-test split, the feedback
text of hidden tests, and one question scored through a sandbox (or a plain process where there is
no bubblewrap) by the course package's checks."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from grading import core, sandbox, wire  # noqa: E402

EX1, EX9 = "ex01_activations", "ex09_clipping"
HAVE_SANDBOX, _ = sandbox.available()


def exercise(name):
    return core.load_exercise(name, ROOT / "exercises" / "source" / name / f"{name}.ipynb",
                              ROOT / "exercises" / "release" / name / f"{name}.ipynb")


def roundtrip(value):
    enc = wire.Encoder(lambda x: (_ for _ in ()).throw(TypeError(type(x).__name__)))
    data = wire.frame({"v": enc(value)}, enc.buffers)
    header, buffers, used = wire.parse(data)
    assert used == len(data)
    return wire.Decoder(buffers, lambda x: pytest.fail(f"unexpected tag {x}"))(header["v"])


def test_wire_round_trips_plain_data_exactly():
    a = np.arange(6.0).reshape(2, 3) / 7
    value = (a, [np.int64(3), 1.5, None, True, "s"], {"W1": a.T, 2: np.array([], dtype=np.int32)},
             complex(1, 2), np.float32(0.1), float("nan"))
    got = roundtrip(value)
    assert isinstance(got, tuple) and isinstance(got[1], list) and isinstance(got[2], dict)
    assert got[0].dtype == a.dtype and np.array_equal(got[0], a) and got[0].flags.writeable
    assert type(got[1][0]) is np.int64 and got[1][1:] == [1.5, None, True, "s"]
    assert np.array_equal(got[2]["W1"], a.T) and got[2][2].dtype == np.int32
    assert got[3] == complex(1, 2) and got[4] == np.float32(0.1) and np.isnan(got[5])
    same = roundtrip([a, a])
    assert same[0] is same[1]        # one array sent twice stays one array


def test_wire_refuses_what_is_not_plain_data():
    with pytest.raises(TypeError):
        roundtrip([object()])
    with pytest.raises(TypeError):
        roundtrip(np.array([object()]))
    dec = wire.Decoder([b"\0" * 8], lambda x: pytest.fail("no other tags"))
    for bad in [{"t": "nd", "b": 0, "dtype": "|O", "shape": [1]},       # object arrays: never
                {"t": "nd", "b": 0, "dtype": "<f8", "shape": [2]},      # size and buffer disagree
                {"t": "nd", "b": 1, "dtype": "<f8", "shape": [1]},      # no such buffer
                {"t": "nd", "b": 0, "dtype": [("a", "<f8")], "shape": [1]},
                ["untagged"], {"t": "dict", "v": [[{"t": "list", "v": []}, 1]]}]:
        with pytest.raises(wire.WireError):
            dec(bad)
    with pytest.raises(wire.WireError):
        wire.parse((wire.MAX_HEADER + 1).to_bytes(4, "big") + b"{}")
    assert wire.parse(wire.frame({"x": 1})[:-1]) is None              # incomplete: wait for more


def test_split_hidden_keeps_the_visible_check_first():
    phases = core.split_hidden("a = 1\n### BEGIN HIDDEN TESTS\nb = 2\n### END HIDDEN TESTS\nc = 3")
    assert phases == [(False, "a = 1"), (True, "b = 2"), (False, "c = 3")]
    inside = core.split_hidden("if True:\n    ### BEGIN HIDDEN TESTS\n    b = 2\n    ### END HIDDEN TESTS\n")
    assert inside == [(True, "if True:\n    b = 2")]
    ex = exercise(EX1)
    assert [q.grade_id for q in ex.questions] == ["test_sigmoid", "test_derivatives"]
    assert [q.points for q in ex.questions] == [3.0, 4.0]
    assert all(not q.phases[0][0] and q.phases[1][0] for q in ex.questions)
    assert "default_rng(41017)" in ex.questions[0].phases[1][1]
    assert "import numpy as np" in ex.prelude and "checks" in ex.prelude


def _release(name):
    return json.loads((ROOT / "exercises" / "release" / name / f"{name}.ipynb").read_text())


def _gid(cell):
    return cell["metadata"].get("nbgrader", {}).get("grade_id")


def graded(name, gid, code, question):
    """The Outcome of question number ``question`` for the release notebook with cell ``gid`` = code."""
    ex = exercise(name)
    nb = _release(name)
    for cell in nb["cells"]:
        if _gid(cell) == gid:
            cell["source"] = code
    cells, _ = core.rebuild(ex, nb)
    settings = core.Settings(cell_timeout=30, question_timeout=60, sandboxed=HAVE_SANDBOX)
    return core.grade_question(ex, ex.questions[question], cells, settings)


def test_rebuild_takes_only_solution_sources_by_grade_id():
    ex = exercise(EX9)
    nb = _release(EX9)
    for cell in nb["cells"]:
        if _gid(cell) == "clip_by_value":
            cell["source"] = "def clip_by_value(g, lo, hi):\n    return 'first'\n"
            cell["metadata"]["nbgrader"].update(grade=True, points=99, solution=False)   # tampered: ignored
        elif _gid(cell) == "test_clip_by_value":
            cell["source"] = "clip_by_value = None"                                  # a test cell: ignored
            cell["metadata"]["nbgrader"]["solution"] = True
    dup = json.loads(json.dumps(next(c for c in nb["cells"] if _gid(c) == "clip_by_value")))
    dup["source"] = "second copy"
    nb["cells"].append(dup)
    nb["cells"].append({"cell_type": "code", "metadata": {}, "source": "extra = 1", "outputs": []})
    cells, flags = core.rebuild(ex, nb)
    by_id = {gid: src for _, gid, src in cells}
    assert by_id["clip_by_value"].endswith("return 'first'\n")
    assert "NotImplementedError" in by_id["clip_by_norm"]                        # the template
    assert by_id["setup"] == "import numpy as np\nfrom nnlab import checks"
    assert all("extra" not in src and "second copy" not in src and "= None" not in src for _, _, src in cells)
    assert flags == {"cells_edited"}
    assert [pos for pos, _, _ in cells] == sorted(pos for pos, _, _ in cells)
    nb["cells"] = [c for c in nb["cells"] if _gid(c) != "clip_by_norm"]
    cells, flags = core.rebuild(ex, nb)
    assert "cells_missing" in flags and "NotImplementedError" in dict((g, s) for _, g, s in cells)["clip_by_norm"]
    with pytest.raises(core.InvalidNotebook):
        core.read_notebook(b'{"cells": 3}')


def test_hidden_feedback_keeps_the_case_and_drops_what_the_student_chose():
    raised = "✗ hidden case: your function raised ValueError: SECRET\n  Hint: the lines below are your code"
    assert core.hidden_text(raised) == "✗ hidden case: your function raised ValueError"
    assert core.hidden_text("✗ h: expected a tuple of 3 values (w, b), got 'SECRET'\n  Hint: end") == \
        "✗ h: expected a tuple of 3 values, got something else\n  Hint: end"
    kept = "✗ hidden case: array 0: values differ from the reference (largest difference 0.5)"
    assert core.hidden_text(kept) == kept


def test_student_exceptions_come_back_by_type_name_only():
    err = core.student_exception({"type": "NotImplementedError", "module": "builtins", "message": "x"})
    assert type(err) is NotImplementedError
    err = core.student_exception({"type": "NotImplementedError", "module": "evil", "message": "x"})
    assert type(err) is core.StudentError
    err = core.student_exception({"type": "SystemExit", "module": "builtins", "base": True, "message": "0"})
    assert isinstance(err, core.StudentExit) and err.kind == "SystemExit"
    assert type(core.student_exception({"type": "StopIteration", "module": "builtins"})) is core.StudentError


CLIP_OK = "import numpy as np\ndef clip_by_value(grads, lo, hi):\n    return [np.clip(g, lo, hi) for g in grads]\n"
CLIP_IN_PLACE = ("import numpy as np\ndef clip_by_value(grads, lo, hi):\n"
                 "    return [np.clip(g, lo, hi, out=g) for g in grads]\n")       # right values, input changed
CLIP_PATCHED = ("import numpy as np, nnlab.clipping\nnp.allclose = lambda *a, **k: True\n"
                "nnlab.clipping.clip_by_value = lambda grads, lo, hi: grads\n"
                "def clip_by_value(grads, lo, hi):\n    return grads\n")
CLIP_VISIBLE_ONLY = ("import numpy as np\ndef clip_by_value(grads, lo, hi):\n"
                     "    if len(grads) == 3:\n        return grads\n"          # the hidden case has 3 arrays
                     "    return [np.clip(g, lo, hi) for g in grads]\n")


@pytest.mark.parametrize("code, points", [(CLIP_OK, 2.0), (CLIP_IN_PLACE, 0.0), (CLIP_PATCHED, 0.0),
                                          (CLIP_VISIBLE_ONLY, 0.0)])
def test_one_question_is_scored_by_the_package_outside_the_students_code(code, points):
    out = graded(EX9, "clip_by_value", code, 0)
    assert out.score == points, out.message
    if code is CLIP_VISIBLE_ONLY:
        assert "✓ clip_by_value: 3 cases passed" in out.printed and "hidden case" in out.message
    if code is CLIP_IN_PLACE:
        assert "changed its input grads in place" in out.message


@pytest.mark.skipif(not HAVE_SANDBOX, reason="no bubblewrap here (apt-get install bubblewrap)")
def test_the_sandbox_is_unprivileged_offline_read_only_and_blind_to_the_course(tmp_path):
    import time

    probe = f"""
import os, socket
facts = {{"uid": os.getuid(), "gid": os.getgid(), "pid": os.getpid()}}
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1)
    facts["net"] = "open"
except OSError as err:
    facts["net"] = type(err).__name__
facts["sees"] = [p for p in [{str(ROOT / "exercises")!r}, {str(ROOT / "tools")!r}, {str(tmp_path)!r}, "/root/.ssh"]
                 if os.path.exists(p)]
import nnlab
try:
    open(nnlab.__file__, "a")
    facts["package"] = "writable"
except OSError as err:
    facts["package"] = type(err).__name__
facts["cwd"] = os.getcwd()
facts["own"] = sorted(os.listdir("."))
"""
    with sandbox.Sandbox() as box:
        end = time.monotonic() + 60
        assert box.receive(end)[0]["op"] == "hello"
        box.send({"op": "init", "cells": [probe]}, (), end)
        assert box.receive(end)[0] == {"op": "cell", "i": 0, "error": None, "nbuf": 0}
        ready, _ = box.receive(end)
        assert ready["names"]["facts"] == "value" and "socket" not in ready["names"]    # modules are not listed
        box.send({"op": "get", "names": ["facts"]}, (), end)
        values, buffers = box.receive(end)
    facts = wire.Decoder(buffers, lambda x: None)(values["values"]["facts"])
    assert facts["uid"] == facts["gid"] == sandbox.UID
    assert facts["pid"] < 10                                   # its own PID namespace
    assert facts["net"] in ("OSError", "ConnectionRefusedError") and facts["net"] != "open"
    assert facts["sees"] == [] and facts["package"] in ("PermissionError", "OSError")
    assert facts["cwd"] == "/work/student" and facts["own"] == []


SNOOP = '''
import gc
import numpy as np

NEEDLES = ["".join(p) for p in [("4101", "7"), ("as _Sig", "moid"), ("BEGIN HID", "DEN"), ("hidden ", "random")]]


def _secrets():
    """Whether any string in this process comes from the hidden test (its seed, names, markers, case)."""
    for obj in gc.get_objects():
        if obj is NEEDLES:
            continue
        items = obj if isinstance(obj, (list, tuple)) else [*obj.keys(), *obj.values()] if isinstance(obj, dict) else []
        for s in items:
            if isinstance(s, str) and any(n in s for n in NEEDLES):
                return True
    return False

def sigmoid(z):
    z = np.asarray(z, dtype=float)
    if _secrets():
        return z
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
'''


def test_nothing_of_the_hidden_test_is_in_the_students_process():
    out = graded(EX1, "sigmoid", SNOOP, 0)
    assert out.score == 3.0, out.message


FORWARD_OK = """import numpy as np
def two_layer_forward(X, W1, b1, W2, b2, f, g):
    H = f(X @ W1 + b1)
    return H, g(H @ W2 + b2)
"""
FORWARD_IN_PLACE_OK = """import numpy as np
def two_layer_forward(X, W1, b1, W2, b2, f, g):
    X *= 1.0                      # changes nothing, but writes to its input
    H = f(X @ W1 + b1)
    return H, g(H @ W2 + b2)
"""
FORWARD_ZEROED = """import numpy as np
def two_layer_forward(X, W1, b1, W2, b2, f, g):
    for a in (X, W1, b1, W2, b2):  # zero the inputs, so that a reference computed afterwards agrees
        a[...] = 0
    H = f(X @ W1 + b1)
    return H, g(H @ W2 + b2)
"""


@pytest.mark.parametrize("code, points", [(FORWARD_OK, 3.0), (FORWARD_IN_PLACE_OK, 3.0), (FORWARD_ZEROED, 0.0)])
def test_changing_the_inputs_in_place_cannot_move_the_reference(code, points):
    out = graded("ex03_xor_forward", "two_layer_forward", code, 1)
    assert out.score == points, out.message
    if code is FORWARD_ZEROED:
        assert "changed its input in place" in out.message


def test_what_the_grader_cannot_send_is_its_own_error_not_the_students():
    session = core.Session(sandbox=None, deadline=0)
    enc = session._encoder({}, {})
    with pytest.raises(core.GraderCannotSend):
        enc((np.zeros(2), object()))
    fns, rngs = {}, {}
    enc = session._encoder(fns, rngs)
    g = np.random.default_rng(3)
    sent = enc((np.tanh, g))
    assert [v["t"] for v in sent["v"]] == ["fn", "rng"] and fns[0] is np.tanh and rngs[0] is g
    assert core._flag_for(core.GraderCannotSend("x")) == "grading_error"
