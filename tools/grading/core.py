"""The trusted grader: rebuild each submission, run its definitions in a sandbox per question, score
in this process.

For a submission and one question (an nbgrader test cell of the source notebook):

1. **Rebuild.** The definition cells are the release notebook's code cells that come before the
   question's test cell, each solution cell's source taken from the submission's first code cell
   with the same ``grade_id`` (the release template when there is none); all other cells, metadata
   and the tests come from the release and source notebooks, never from the submission.
2. **Define.** A fresh sandbox (tools/grading/sandbox.py) runs those cells in order; an error in a
   cell is recorded and the next cell runs; a cell that hangs or kills its process is skipped and
   the sandbox is started again without it. The sandbox never sees a test.
3. **Score.** This process runs the question's test cell (visible checks, then hidden tests) from
   the source notebook, with ``np`` and ``checks`` its own, imported before any student code, and
   each student name bound to a ``Remote`` that calls the function in the sandbox: its arguments go
   over the pipe as plain data (arrays, numbers; random generators as their state, functions such
   as an activation as callbacks into this process), its answer comes back as plain data (or an
   opaque reference), inputs changed in place and generator states are copied back. The question's
   points are earned if the cell raises nothing, as in nbgrader.
"""
import builtins
import contextlib
import csv
import html
import io
import json
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import wire
from .sandbox import Sandbox, SandboxDied, SandboxTimeout

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MAX_NOTEBOOK_BYTES = 20 << 20
MAX_OUTPUT_CHARS = 20_000
TRUNCATION_MARK = "... Output truncated ..."


# ---------------------------------------------------------------- notebooks and the rebuild

class InvalidNotebook(ValueError):
    pass


def _text(source):
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    return None


def _meta(cell):
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg if isinstance(nbg, dict) else {}


def read_notebook(data):
    """A notebook's JSON from bytes; raises InvalidNotebook unless it is an object with a list of cells."""
    if data is None:
        raise InvalidNotebook("not a regular file (a symbolic link is not a submission)")
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(f"the notebook has {len(data)} bytes, more than {MAX_NOTEBOOK_BYTES}")
    try:
        nb = json.loads(data)
    except (ValueError, RecursionError) as err:
        raise InvalidNotebook(f"not a notebook (JSON): {err}"[:300]) from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise InvalidNotebook("not a notebook: no list of cells")
    return nb


@dataclass
class Question:
    grade_id: str
    points: float
    position: int                     # index of the test cell in the release notebook
    phases: list                      # [(hidden: bool, code)], in order


@dataclass
class Exercise:
    """What the grader knows of one exercise, from its source and release notebooks only."""
    name: str
    cells: list                       # release code cells: (position, kind "solution"/"code", grade_id, source)
    questions: list
    prelude: str                      # the source's setup code, run in the grader before a test
    locked: dict                      # grade_id -> source of the release's locked cells
    ids: set                          # every nbgrader grade_id of the release


def split_hidden(code):
    """[(hidden, code)]: the test's visible parts and its hidden-test region(s), in order."""
    phases, current, hidden = [], [], False
    for line in code.splitlines():
        marker = line.strip()
        if marker in (HIDDEN_BEGIN, HIDDEN_END):
            if current:
                phases.append((hidden, "\n".join(current)))
            current, hidden = [], marker == HIDDEN_BEGIN
        else:
            current.append(line)
    if current:
        phases.append((hidden, "\n".join(current)))
    try:
        for _, part in phases:
            compile(part, "<test>", "exec")
    except SyntaxError:                 # markers inside a block: run the cell whole, as hidden
        phases = [(True, "\n".join(l for l in code.splitlines() if l.strip() not in (HIDDEN_BEGIN, HIDDEN_END)))]
    return phases


def load_exercise(name, source_path, release_path):
    source = read_notebook(Path(source_path).read_bytes())
    release = read_notebook(Path(release_path).read_bytes())
    tests = {_meta(c)["grade_id"]: _text(c.get("source")) for c in source["cells"]
             if _meta(c).get("grade") and c.get("cell_type") == "code"}
    cells, questions, locked, ids = [], [], {}, set()
    for pos, cell in enumerate(release["cells"]):
        meta, src = _meta(cell), _text(cell.get("source")) or ""
        gid = meta.get("grade_id")
        if gid:
            ids.add(gid)
            if meta.get("locked"):
                locked[gid] = src
        if cell.get("cell_type") != "code":
            continue
        if meta.get("grade"):
            if gid not in tests:
                raise ValueError(f"{name}: test cell {gid!r} of the release is not in the source")
            questions.append(Question(gid, float(meta.get("points", 0)), pos, split_hidden(tests[gid])))
        else:
            cells.append((pos, "solution" if meta.get("solution") else "code", gid, src))
    prelude = "\n".join(_text(c.get("source")) or "" for c in source["cells"]
                        if c.get("cell_type") == "code" and not _meta(c).get("grade")
                        and not _meta(c).get("solution"))
    return Exercise(name, cells, questions, prelude, locked, ids)


def rebuild(exercise, submission):
    """(definition cells [(position, grade_id, source)], flags) for a submission's notebook JSON."""
    theirs = {}
    for cell in submission["cells"]:
        gid = _meta(cell).get("grade_id")
        if isinstance(gid, str) and gid not in theirs:
            theirs[gid] = cell
    flags = set()
    if exercise.ids - set(theirs):
        flags.add("cells_missing")
    for gid, src in exercise.locked.items():
        if gid in theirs and (_text(theirs[gid].get("source")) or "").strip() != src.strip():
            flags.add("cells_edited")
    cells = []
    for pos, kind, gid, src in exercise.cells:
        if kind == "solution":
            cell = theirs.get(gid)
            own = _text(cell.get("source")) if isinstance(cell, dict) and cell.get("cell_type") == "code" else None
            src = own if own is not None else src
        cells.append((pos, gid, src))
    return cells, flags


def names_used(code):
    """Every global name a piece of code reads (the candidates for the student's functions)."""
    found, stack = set(), [compile(code, "<test>", "exec")]
    while stack:
        co = stack.pop()
        found.update(co.co_names)
        stack += [c for c in co.co_consts if hasattr(c, "co_names")]
    return found


# ---------------------------------------------------------------- calling into the sandbox

class GraderCannotSend(BaseException):
    """A test passed the student's function something that is not plain data (a gap of the grader)."""


class StudentError(Exception):
    """An exception of the student's code whose type is not a builtin one."""


class StudentExit(BaseException):
    """The student's code raised SystemExit, KeyboardInterrupt or another BaseException."""

    def __init__(self, kind, message):
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind = kind


class RemoteRef:
    """An object the student's function returned that is not plain data; it stays in the sandbox."""

    def __init__(self, session, ref_id):
        self._session, self._id = session, ref_id

    def __repr__(self):
        return f"<{type(self).__name__} object>"


_REF_TYPES = {}
_NO_RAISE = {"StopIteration", "StopAsyncIteration", "GeneratorExit"}


def _ref_type(name):
    name = name if isinstance(name, str) and re.fullmatch(r"[A-Za-z_]\w{0,60}", name or "") else "object"
    if name not in _REF_TYPES:
        _REF_TYPES[name] = type(name, (RemoteRef,), {})
    return _REF_TYPES[name]


def student_exception(header):
    """The exception the parent raises for a student's exception (its type name, never its class)."""
    kind, message = str(header.get("type"))[:80], str(header.get("message"))[:2000]
    if header.get("base"):
        return StudentExit(kind, message)
    cls = getattr(builtins, kind, None)
    if (header.get("module") == "builtins" and isinstance(cls, type) and issubclass(cls, Exception)
            and kind not in _NO_RAISE):
        try:
            return cls(message)
        except Exception:
            pass
    err = StudentError(f"{kind}: {message}")
    err.kind = kind
    return err


class Remote:
    """A student's function, called in the sandbox."""

    def __init__(self, session, name):
        self._session, self.__name__, self.__qualname__ = session, name, name

    def __call__(self, *args, **kwargs):
        return self._session.call(self.__name__, args, kwargs)

    def __repr__(self):
        return f"<function {self.__name__}>"


class Session:
    """Calls into one sandbox for one question, until ``deadline`` (time.monotonic())."""

    def __init__(self, sandbox, deadline, write_back=True):
        self.sandbox, self.deadline, self.write_back, self.mutated = sandbox, deadline, write_back, False

    def _encoder(self, fns, rngs):
        def other(x):
            if isinstance(x, RemoteRef) and x._session is self:
                return {"t": "ref", "id": x._id}
            if isinstance(x, Remote) and x._session is self:
                return {"t": "own", "name": x.__name__}
            if isinstance(x, np.random.Generator):
                rngs[len(rngs)] = x
                return {"t": "rng", "id": len(rngs) - 1, "state": enc(x.bit_generator.state)}
            if callable(x):
                fns[len(fns)] = x
                return {"t": "fn", "id": len(fns) - 1, "name": getattr(x, "__name__", type(x).__name__)}
            raise GraderCannotSend(f"the grader cannot send a {type(x).__name__} to the student's code")
        enc = wire.Encoder(other)
        return enc

    def _decoder(self, buffers):
        def other(x):
            if x.get("t") == "ref" and isinstance(x.get("id"), int):
                return _ref_type(x.get("type"))(self, x["id"])
            raise wire.WireError(f"unexpected tag {str(x.get('t'))[:20]}")
        return wire.Decoder(buffers, other)

    def receive(self):
        return self.sandbox.receive(self.deadline)

    def call(self, name, args, kwargs):
        fns, rngs = {}, {}
        enc = self._encoder(fns, rngs)
        header = {"op": "call", "name": name, "args": enc(tuple(args)), "kwargs": enc(dict(kwargs)),
                  "errstate": np.geterr()}
        self.sandbox.send(header, enc.buffers, self.deadline)
        while True:
            reply, buffers = self.receive()
            op = reply.get("op")
            try:
                if op == "callback":
                    self._callback(fns, reply, buffers)
                    continue
                if op == "raise":
                    raise_it = student_exception(reply)
                elif op == "return":
                    dec = self._decoder(buffers)
                    value = dec(reply.get("value"))
                    self._write_back(enc.arrays, rngs, reply, dec)
                    return value
                else:
                    raise wire.WireError(f"unexpected frame {str(op)[:20]}")
            except (wire.WireError, TypeError, ValueError, KeyError, IndexError, AttributeError) as err:
                self.sandbox.kill()
                raise SandboxDied(f"the student's process broke the protocol ({type(err).__name__})") from None
            raise raise_it

    def get(self, names):
        """{name: value} of the student's plain globals (the test reads them as data)."""
        self.sandbox.send({"op": "get", "names": names}, (), self.deadline)
        reply, buffers = self.receive()
        try:
            values = self._decoder(buffers)({"t": "dict", "v": [[k, v] for k, v in reply["values"].items()]})
            return {k: v for k, v in values.items() if k in names}
        except (wire.WireError, TypeError, KeyError, AttributeError):
            self.sandbox.kill()
            raise SandboxDied("the student's process broke the protocol") from None

    def _write_back(self, arrays, rngs, reply, dec):
        self.mutated = self.mutated or bool(reply.get("arrays"))
        if not self.write_back:
            return
        for i, value in reply.get("arrays") or []:
            new = dec(value)
            if isinstance(i, int) and 0 <= i < len(arrays) and isinstance(new, np.ndarray):
                old = arrays[i]
                if old.shape == new.shape and old.flags.writeable:
                    np.copyto(old, new, casting="unsafe")
        for k, state in reply.get("rngs") or []:
            if k in rngs:
                try:
                    rngs[k].bit_generator.state = dec(state)
                except Exception:
                    pass

    def _callback(self, fns, reply, buffers):
        fn = fns.get(reply.get("fn"))
        attr = reply.get("attr")
        try:
            if fn is None:
                raise TypeError("no such function")
            if attr is not None:
                if not isinstance(attr, str) or attr.startswith("_") or not callable(getattr(fn, attr, None)):
                    raise AttributeError(f"{type(fn).__name__} has no method {str(attr)[:40]!r}")
                fn = getattr(fn, attr)
            dec = self._decoder(buffers)
            args, kwargs = dec(reply.get("args")), dec(reply.get("kwargs"))
            if not (isinstance(args, tuple) and isinstance(kwargs, dict) and all(isinstance(k, str) for k in kwargs)):
                raise TypeError("bad arguments")
            value = fn(*args, **kwargs)
            enc = self._encoder({}, {})
            reply = ({"op": "callback_return", "value": enc(value)}, enc.buffers)
        except wire.WireError:
            raise
        except (Exception, GraderCannotSend) as err:
            reply = ({"op": "callback_raise", "type": type(err).__name__, "message": str(err)[:500]}, ())
        self.sandbox.send(*reply, self.deadline)


# ---------------------------------------------------------------- one question

@dataclass
class Settings:
    cell_timeout: float = 10.0        # seconds per definition cell, and for the test of a question
    question_timeout: float = 60.0    # seconds in all for one question (restarts included)
    sandboxed: bool = True
    limits: dict = field(default_factory=dict)


@dataclass
class Outcome:
    score: float = 0.0
    flags: set = field(default_factory=set)
    message: str = ""
    printed: str = ""                 # what the visible checks printed
    output: str = ""                  # what the student's cells printed while defining
    cell_errors: dict = field(default_factory=dict)   # definition position -> "Type: message"
    seconds: float = 0.0


class _Printed(threading.local):
    buffer = None


_printed = _Printed()
_routing_lock, _routing = threading.Lock(), [0, None]


@contextlib.contextmanager
def _route_prints():
    """While any question is graded, sys.stdout sends each grading thread's prints to its own buffer."""
    with _routing_lock:
        if _routing[0] == 0:
            _routing[1] = sys.stdout
            sys.stdout = _ThreadStdout(sys.stdout)
        _routing[0] += 1
    _printed.active = True
    try:
        yield
    finally:
        _printed.active, _printed.buffer = False, None
        with _routing_lock:
            _routing[0] -= 1
            if _routing[0] == 0:
                sys.stdout = _routing[1]


class _ThreadStdout(io.TextIOBase):
    """sys.stdout while grading: each grading thread's prints go to its own buffer (or nowhere)."""

    def __init__(self, real):
        self.real = real

    def write(self, s):
        if not getattr(_printed, "active", False):      # not a grading thread: as before
            return self.real.write(s)
        buf = getattr(_printed, "buffer", None)
        if buf is None:
            return len(s)
        if buf.tell() < MAX_OUTPUT_CHARS:
            buf.write(s)
        return len(s)

    def flush(self):
        pass


def _flag_for(err):
    if isinstance(err, GraderCannotSend):
        return "grading_error"
    if isinstance(err, SandboxTimeout):
        return "timeout"
    if isinstance(err, SandboxDied):
        return "kernel_died"
    if isinstance(err, StudentExit):
        return "system_exit" if err.kind == "SystemExit" else ("timeout" if err.kind == "KeyboardInterrupt" else None)
    if isinstance(err, NotImplementedError):
        return "not_implemented"
    if isinstance(err, NameError):
        return "name_error"
    return None


_SAFE = ("your function returned None", "your result differs from the reference", "values differ from the reference",
         "expected shape", "expected finite values, got NaN or inf", "your function changed its input",
         "expected output", "expected a function", "expected relative error")


def hidden_text(text):
    """A failed hidden check's message without anything the student's code chose: its first line keeps
    the case and the check's own words (no values: hidden checks run with show=False), and the hint."""
    lines = text.splitlines()
    first = lines[0] if lines else ""
    if not any(f": {safe}" in first for safe in _SAFE):
        raised = re.search(r"^(✗ .*?: your function raised \w+)", first)
        cut = first.rfind(": expected ")
        if raised:
            first = raised.group(1)
        elif cut >= 0:
            first = first[:cut] + ": expected " + first[cut + 11:].split(", got")[0].split(" (")[0] + \
                ", got something else"
        else:
            first = first.split(": ")[0] + ": your result differs from the reference"
    hints = [line for line in lines[1:] if line.lstrip().startswith("Hint:") and "the lines below" not in line]
    return "\n".join([first] + hints)


def _message(err, hidden):
    """What the feedback says about a failed test; in a hidden test, never a value or a student's text."""
    from nnlab.checks import CheckFailed

    if isinstance(err, CheckFailed):
        if hidden:
            return hidden_text(str(err))
        return str(err).split("\n  Hint: the lines below")[0]     # (the student's frames are not sent)
    if isinstance(err, SandboxDied):
        return str(err)
    if isinstance(err, NotImplementedError):
        return ("NotImplementedError: a function this test calls is not written yet (replace "
                "`raise NotImplementedError()` with your code)")
    kind = getattr(err, "kind", type(err).__name__)
    if hidden:
        return f"{kind} in a hidden test"
    return f"{kind}: {err}"[:1500] if not isinstance(err, (StudentError, StudentExit)) else str(err)[:1500]


def _define(question, cells, settings, end):
    """A sandbox that has run the definition cells (skipping any that hang or crash it), with the
    student names the test uses; or raises SandboxTimeout when the question's time is up."""
    skip, outcome_flags, errors = set(), set(), {}
    while True:
        box = Sandbox(sandboxed=settings.sandboxed, max_output=MAX_OUTPUT_CHARS, **settings.limits)
        running = None
        try:
            hello, _ = box.receive(min(end, time.monotonic() + max(30.0, settings.cell_timeout)))
            if hello.get("op") != "hello":
                raise SandboxDied("the sandbox did not start")
            sources = ["" if i in skip else src for i, (_, _, src) in enumerate(cells)]
            box.send({"op": "init", "cells": sources}, (),     # nothing of the test goes in
                     min(end, time.monotonic() + settings.cell_timeout))
            for i in range(len(cells)):
                running = i
                frame, _ = box.receive(min(end, time.monotonic() + settings.cell_timeout))
                if frame.get("op") != "cell" or frame.get("i") != i:
                    raise SandboxDied("the student's process broke the protocol")
                if frame.get("error"):
                    errors[cells[i][0]] = str(frame["error"])[:1000]
                    if str(frame["error"]).startswith("KeyboardInterrupt"):
                        outcome_flags.add("timeout")
                    if str(frame["error"]).startswith("SystemExit"):
                        outcome_flags.add("system_exit")
            running = None
            ready, _ = box.receive(min(end, time.monotonic() + settings.cell_timeout))
            if ready.get("op") != "ready" or not isinstance(ready.get("names"), dict):
                raise SandboxDied("the student's process broke the protocol")
            box.stop_recording()
            return box, ready["names"], outcome_flags, errors
        except (SandboxDied, SandboxTimeout) as err:
            box.kill()
            if time.monotonic() >= end:
                raise SandboxTimeout("question time limit") from None
            if running is None:
                raise
            outcome_flags.add(_flag_for(err))
            errors[cells[running][0]] = ("the cell did not finish in time and was skipped"
                                         if isinstance(err, SandboxTimeout) else
                                         "the cell ended the student's process and was skipped")
            skip.add(running)
        except BaseException:
            box.kill()
            raise


def _run_test(exercise, question, cells, settings, end, out, write_back):
    """Define in a fresh sandbox, then run the question's test here; True if it passed. Records flags,
    messages and output in ``out``; returns (passed, whether the student's code changed an input)."""
    try:
        box, names, flags, errors = _define(question, cells, settings, end)
    except (SandboxDied, SandboxTimeout) as err:
        out.flags.add("grading_timeout" if isinstance(err, SandboxTimeout) else "kernel_died")
        out.message = "grading stopped: " + ("the question's time was up" if isinstance(err, SandboxTimeout)
                                             else str(err))
        return False, False
    out.flags |= flags
    out.cell_errors = errors
    with box:
        out.output = box.text_output()
        if box.output_cut:
            out.flags.add("output_truncated")
            out.output += "\n" + TRUNCATION_MARK + "\n"
        session = Session(box, min(end, time.monotonic() + settings.cell_timeout), write_back=write_back)
        ns = {"__builtins__": builtins, "__name__": "__main__"}
        exec(compile(exercise.prelude, "<setup>", "exec"), ns)
        skip = set(dir(builtins)) | set(ns)
        used = set().union(*(names_used(code) for _, code in question.phases)) - skip
        ns.update({n: Remote(session, n) for n in sorted(used) if names.get(n) == "function"})
        seen = set().union(*(names_used(code) for hidden, code in question.phases if not hidden)) - skip
        values = sorted(n for n in seen if n in names and names[n] != "function")  # plain globals a check reads
        printed = io.StringIO()
        hidden, passed = False, False
        try:
            if values:
                ns.update(session.get(values))
            with _route_prints():
                for hidden, code in question.phases:
                    _printed.buffer = None if hidden else printed
                    exec(compile(code, f"<{question.grade_id}>", "exec"), ns)
            passed = True
        except BaseException as err:   # the student's SystemExit/KeyboardInterrupt arrive as StudentExit
            if isinstance(err, (KeyboardInterrupt, SystemExit)) and not isinstance(err, StudentExit):
                raise                  # the instructor's Ctrl-C
            flag = _flag_for(err)
            if flag:
                out.flags.add(flag)
            out.message = _message(err, hidden)
            if isinstance(err, SandboxTimeout):
                out.message = f"your code did not finish within {settings.cell_timeout:g} s"
        out.printed = printed.getvalue()
    return passed, session.mutated


def grade_question(exercise, question, cells, settings):
    """Outcome of one question for one rebuilt submission.

    The test runs as in a kernel: arrays the student's function changes in place are changed for
    the check too (so a check that the input is left alone works). A check that computes its
    reference after the call would then compare with a reference on the changed input; so when an
    input was changed and the test passed, it runs again in a fresh sandbox with the changes kept
    inside the sandbox, and the points need that second run to pass as well.
    """
    t0 = time.monotonic()
    out = Outcome()
    end = t0 + settings.question_timeout
    mine = [c for c in cells if c[0] < question.position]
    passed, mutated = _run_test(exercise, question, mine, settings, end, out, write_back=True)
    if passed and mutated:
        again = Outcome()
        passed, _ = _run_test(exercise, question, mine, settings, end, again, write_back=False)
        if not passed:
            out.flags |= again.flags
            out.message = (again.message + "\n(your function changed its input in place; with the input left as it "
                           "was, the result is not the reference's)")
    out.score = question.points if passed else 0.0
    out.seconds = time.monotonic() - t0
    return out


# ---------------------------------------------------------------- a class of submissions

@dataclass
class Job:
    student: str
    exercise: str
    data: bytes                        # the submission, read before any student code runs (None: unreadable)


def grade_all(jobs, exercises, settings, workers=2, progress=None):
    """{(student, exercise): result dict} for a list of Jobs; questions run in parallel threads."""
    results, tasks = {}, []
    for job in jobs:
        ex = exercises[job.exercise]
        res = {"student": job.student, "exercise": job.exercise, "flags": set(), "scores": {}, "messages": {},
               "questions": {}, "seconds": 0.0}
        results[(job.student, job.exercise)] = res
        try:
            cells, flags = rebuild(ex, read_notebook(job.data))
        except InvalidNotebook as err:
            res["flags"].add("invalid_notebook")
            res["messages"]["*"] = str(err)
            continue
        res["flags"] |= flags
        res["cells"] = cells
        tasks += [(res, ex, q, cells) for q in ex.questions]
    lock, done = threading.Lock(), [0]
    n_done = {id(r): 0 for r in results.values()}

    def run(task):
        res, ex, q, cells = task
        try:
            outcome = grade_question(ex, q, cells, settings)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as err:   # a bug of ours: say so for this question, go on with the others
            outcome = Outcome(flags={"grading_error"}, message=f"grading error: {type(err).__name__}: {err}"[:500])
        with lock:
            res["questions"][q.grade_id] = outcome
            res["scores"][q.grade_id] = outcome.score
            res["flags"] |= outcome.flags
            if outcome.message:
                res["messages"][q.grade_id] = outcome.message
            res["seconds"] += outcome.seconds
            n_done[id(res)] += 1
            if n_done[id(res)] == len(ex.questions):
                done[0] += 1
                if progress:
                    progress(done[0], res)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(run, tasks))
    for res in results.values():
        if not res["questions"] and progress and "invalid_notebook" in res["flags"]:
            done[0] += 1
            progress(done[0], res)
    return results


# ---------------------------------------------------------------- reports

def status(res):
    return "+".join(sorted(res["flags"])) if res["flags"] else "ok"


def _num(x):
    return f"{x:g}"


def write_reports(out, results, exercises):
    out = Path(out)
    results = sorted(results.values(), key=lambda r: (r["student"], r["exercise"]))
    rows, qrows = [], []
    for r in results:
        qmax = {q.grade_id: q.points for q in exercises[r["exercise"]].questions}
        scores = {g: r["scores"].get(g, 0.0) for g in qmax}
        r["_scores"], r["_total"], r["_max"] = scores, sum(scores.values()), sum(qmax.values())
        rows.append({"student": r["student"], "exercise": r["exercise"],
                     "points": ";".join(f"{g}={_num(scores[g])}/{_num(qmax[g])}" for g in qmax),
                     "total": _num(r["_total"]), "max": _num(r["_max"]), "status": status(r)})
        qrows += [{"student": r["student"], "exercise": r["exercise"], "question": g, "score": _num(scores[g]),
                   "max": _num(qmax[g])} for g in qmax]
    for path, data, fields in [(out / "scores.csv", rows, ["student", "exercise", "points", "total", "max", "status"]),
                               (out / "questions.csv", qrows, ["student", "exercise", "question", "score", "max"])]:
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(data)
    for student in sorted({r["student"] for r in results}):
        mine = [r for r in results if r["student"] == student]
        folder = out / "feedback" / student
        folder.mkdir(parents=True, exist_ok=True)
        lines = [f"# Feedback for {student}", "", "| exercise | points | status |", "|---|---|---|"]
        lines += [f"| {r['exercise']} | {_num(r['_total'])} / {_num(r['_max'])} | {status(r)} |" for r in mine]
        for r in mine:
            lines += ["", f"## {r['exercise']}", ""]
            for q in exercises[r["exercise"]].questions:
                lines.append(f"- `{q.grade_id}`: {_num(r['_scores'][q.grade_id])} / {_num(q.points)}")
                if q.grade_id in r["messages"]:
                    lines.append("  ```\n  " + r["messages"][q.grade_id].replace("\n", "\n  ") + "\n  ```")
            if "*" in r["messages"]:
                lines.append(f"- grading: {r['messages']['*']}")
            last = [r["questions"][q.grade_id] for q in exercises[r["exercise"]].questions
                    if q.grade_id in r["questions"]]
            ids = {pos: gid for pos, gid, _ in r.get("cells", [])}
            for pos, err in sorted(last[-1].cell_errors.items()) if last else []:
                lines.append(f"- your cell {ids.get(pos) or pos + 1}: {err.splitlines()[0] if err else ''}")
            lines.append(f"- full feedback: [{r['exercise']}.html]({r['exercise']}.html)")
            (folder / f"{r['exercise']}.html").write_text(_page(r, exercises[r["exercise"]]))
        (folder / "summary.md").write_text("\n".join(lines) + "\n")
    return rows


def _page(r, exercise):
    """A student's feedback page for one exercise: points, the failed case, the notebook's own output."""
    e = html.escape
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(r['exercise'])}: {e(r['student'])}"
             "</title><style>body{font-family:sans-serif;max-width:60em;margin:2em auto;font-size:15px}"
             "pre{background:#f4f4f4;padding:.6em;white-space:pre-wrap}td,th{padding:.2em .8em}</style></head><body>",
             f"<h1>{e(r['exercise'])}</h1><p>Student: {e(r['student'])}. Points: {_num(r['_total'])} / "
             f"{_num(r['_max'])}. Status: {e(status(r))}.</p>"]
    if "*" in r["messages"]:
        parts.append(f"<p>{e(r['messages']['*'])}</p>")
    parts.append("<table><tr><th>question</th><th>points</th><th>result</th></tr>")
    for q in exercise.questions:
        got = r["_scores"][q.grade_id]
        parts.append(f"<tr><td>{e(q.grade_id)}</td><td>{_num(got)} / {_num(q.points)}</td>"
                     f"<td>{'passed' if got == q.points else 'failed'}</td></tr>")
    parts.append("</table>")
    last = None
    for q in exercise.questions:
        o = r["questions"].get(q.grade_id)
        if o is None:
            continue
        parts.append(f"<h2>{e(q.grade_id)}</h2>")
        if o.printed:
            parts.append(f"<pre>{e(o.printed)}</pre>")
        if q.grade_id in r["messages"]:
            parts.append(f"<pre>{e(r['messages'][q.grade_id])}</pre>")
        last = o
    if last is not None and (last.cell_errors or last.output):
        parts.append("<h2>Your notebook</h2>")
        ids = {pos: gid for pos, gid, _ in r.get("cells", [])}
        for pos, err in sorted(last.cell_errors.items()):
            parts.append(f"<p>Cell {pos + 1} ({e(str(ids.get(pos) or 'code'))}):</p><pre>{e(err)}</pre>")
        if last.output:
            parts.append(f"<p>What your cells printed:</p><pre>{e(last.output)}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)
