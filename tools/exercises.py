"""The course's graded exercises, for instructors: release student versions and grade submissions.

    python tools/exercises.py release [ASSIGNMENT ...] [--out DIR]
        Run nbgrader generate_assignment (offline, in a scratch course folder) on
        exercises/source/<a>/<a>.ipynb and write the student versions to exercises/release/<a>/<a>.ipynb
        (or to DIR/<a>/<a>.ipynb).

    python tools/exercises.py grade SUBMISSIONS --out OUT [--jobs N] [--cell-timeout S] [--timeout S]
        Grade SUBMISSIONS/<student_id>/<assignment>.ipynb (one notebook per student per exercise) with
        nbgrader autograde, hidden tests included, into OUT/scores.csv (one row per submission),
        OUT/questions.csv (one row per test cell) and OUT/feedback/<student_id>/ (nbgrader's HTML
        feedback per exercise and a summary.md). Submissions are copied, never changed.

Isolation: each notebook runs in its own kernel with a per-cell timeout (an infinite loop is
interrupted; the other cells still score). Grading runs in a few long-lived worker processes
(importing nbgrader costs seconds); a submission that takes longer than --timeout in all has its
worker killed (with its kernel) and replaced, so it cannot hold up the others.
"""
import argparse
import csv
import html
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
SOURCE = EXERCISES / "source"
RELEASE = EXERCISES / "release"
MAX_OUTPUT_CHARS = 20_000   # per cell, in the feedback; more is cut and flagged output_truncated
TRUNCATION_MARK = "... Output truncated ..."


def assignments():
    """Assignment names, in lecture order: the folders of exercises/source."""
    return sorted(p.name for p in SOURCE.iterdir() if (p / f"{p.name}.ipynb").is_file())


def _env():
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)  # nbgrader calls `alembic` from PATH when it makes a gradebook
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.pop("NNLAB_STATIC", None)
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _make_course(folder, names, cell_timeout=None):
    """A scratch nbgrader course folder: config and the sources of the given assignments."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = (EXERCISES / "nbgrader_config.py").read_text()
    if cell_timeout is not None:
        config += f"\nc.Execute.timeout = {int(cell_timeout)}\n"
    (folder / "nbgrader_config.py").write_text(config)
    for name in names:
        shutil.copytree(SOURCE / name, folder / "source" / name, dirs_exist_ok=True)
    return folder


def _api(course):
    """An nbgrader API object for a course folder (imports nbgrader: slow, so only in workers)."""
    os.environ["PATH"] = _env()["PATH"]
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config, PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    extra = Config()
    extra.CourseDirectory.root = str(course)
    config.merge(extra)
    api = NbGraderAPI(config=config)
    api.log.setLevel("WARNING")
    return api


def _generate(api, course, names):
    for name in names:
        result = api.generate_assignment(name, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader generate_assignment {name} failed:\n{result['log']}{result['error']}")
    return {name: Path(course) / "release" / name / f"{name}.ipynb" for name in names}


# ---------------------------------------------------------------- release

def release(names, out):
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="nnlab-release-") as tmp:
        course = _make_course(tmp, names)
        made = _generate(_api(course), course, names)
        for name, path in made.items():
            dest = out / name / f"{name}.ipynb"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            print(f"released {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest}")


# ---------------------------------------------------------------- grading: the worker side

def _cells_by_id(nb):
    return {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in nb["cells"]
            if c["metadata"].get("nbgrader", {}).get("grade_id")}


def _source(cell):
    s = cell.get("source", "")
    return ("".join(s) if isinstance(s, list) else s).strip()


def _tampering(submission, released):
    """Flags for nbgrader cells that the student deleted (cells_missing) or changed (cells_edited)."""
    sub, rel = _cells_by_id(submission), _cells_by_id(released)
    flags = []
    if set(rel) - set(sub):
        flags.append("cells_missing")
    locked = [g for g, c in rel.items() if c["metadata"]["nbgrader"].get("locked") and g in sub]
    if any(_source(sub[g]) != _source(rel[g]) for g in locked):
        flags.append("cells_edited")
    return flags


def _hide_tests(cell):
    """Drop the hidden-test region from a test cell's source and its error's traceback (which would
    quote those lines), so the feedback can go back to students."""
    lines, inside = [], False
    for line in cell.source.splitlines():
        if "### BEGIN HIDDEN TESTS" in line:
            inside = True
            lines.append("# (hidden tests)")
        elif "### END HIDDEN TESTS" in line:
            inside = False
        elif not inside:
            lines.append(line)
    cell.source = "\n".join(lines)
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            out.traceback = [f"{out.get('ename', '')}: {out.get('evalue', '')}"]


def _inspect_autograded(nb):
    """Flags and per-test messages from an autograded notebook; cut over-long outputs and hide the
    hidden tests in place (the scores are already in the gradebook)."""
    flags, messages, truncated = set(), {}, False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            _hide_tests(cell)
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                if TRUNCATION_MARK in out.text:
                    truncated = True
                if len(out.text) > MAX_OUTPUT_CHARS:
                    out.text = out.text[:MAX_OUTPUT_CHARS] + "\n" + TRUNCATION_MARK + "\n"
                    truncated = True
            elif out.output_type == "error":
                name = out.get("ename", "")
                if name == "CellTimeoutError" or name == "KeyboardInterrupt":
                    flags.add("timeout")
                elif name == "SystemExit":
                    flags.add("system_exit")
                elif meta.get("grade") and name == "NameError":
                    flags.add("name_error")
                elif meta.get("grade") and name == "NotImplementedError":
                    flags.add("not_implemented")
                if meta.get("grade"):
                    messages[meta["grade_id"]] = f"{name}: {out.get('evalue', '')}"[:1500]
            else:
                for key, value in list(out.get("data", {}).items()):
                    if isinstance(value, str) and len(value) > MAX_OUTPUT_CHARS:
                        out["data"][key] = value[:MAX_OUTPUT_CHARS] + TRUNCATION_MARK
                        truncated = True
    if truncated:
        flags.add("output_truncated")
    return flags, messages


def _grade_one(api, course, released, job):
    """Autograde one submission in the worker's course folder; return a result dict."""
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry

    student, name = job["student"], job["assignment"]
    rel = nbformat.read(str(released[name]), as_version=4)
    result = {"student": student, "exercise": name, "flags": [], "scores": {}, "messages": {}, "feedback": None,
              "max": {g: c.metadata.nbgrader["points"] for g, c in _cells_by_id(rel).items()
                      if c.metadata.nbgrader.get("grade")}}
    try:
        sub = nbformat.read(job["path"], as_version=4)
    except Exception as err:  # not a notebook at all
        result["flags"].append("invalid_notebook")
        result["messages"]["*"] = f"{type(err).__name__}: {err}"[:500]
        return result
    result["flags"] += _tampering(sub, rel)
    for sub_dir in ("submitted", "autograded", "feedback"):
        shutil.rmtree(Path(course) / sub_dir / student / name, ignore_errors=True)
    dest = Path(course) / "submitted" / student / name / f"{name}.ipynb"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(job["path"], dest)
    outcome = api.autograde(name, student, force=True, create=True)
    if not outcome["success"]:
        log = (outcome.get("log") or "") + (outcome.get("error") or "")
        if "DeadKernel" in log or "Kernel died" in log:
            result["flags"].append("kernel_died")
        elif "CellTimeoutError" in log or "UnresponsiveKernelError" in log:  # it ignored the interrupt
            result["flags"].append("timeout")
        else:
            result["flags"].append("grading_error")
        result["messages"]["*"] = log.strip().splitlines()[-1][:500] if log.strip() else "autograde failed"
        return result
    with Gradebook(api.coursedir.db_url) as gb:
        try:
            nb_sub = gb.find_submission_notebook(name, name, student)
            result["scores"] = {g.name: float(g.score) for g in nb_sub.grades}
        except MissingEntry:
            result["flags"].append("grading_error")
    graded = Path(course) / "autograded" / student / name / f"{name}.ipynb"
    nb = nbformat.read(str(graded), as_version=4)
    flags, result["messages"] = _inspect_autograded(nb)
    result["flags"] += sorted(flags)
    nbformat.write(nb, str(graded))
    fb = api.generate_feedback(name, student, force=True)
    page = Path(course) / "feedback" / student / name / f"{name}.html"
    if fb["success"] and page.is_file():
        result["feedback"] = str(page)
    return result


def worker_main(course, template, names, cell_timeout):
    """Serve grading jobs: one JSON line per job on stdin; the result is written to job['result'].

    The first worker generates the assignments (and their gradebook) into ``template``; the others
    wait for it and copy that course folder instead of generating again (it takes seconds).
    """
    course, template = Path(course), Path(template)
    if not (template / "READY").exists() and not course.name.startswith("worker0-1"):
        while not (template / "READY").exists():
            time.sleep(0.1)
    if (template / "READY").exists():
        shutil.copytree(template, course, ignore=shutil.ignore_patterns("READY"))
        _make_course(course, names, cell_timeout)
        api = _api(course)
        released = {name: course / "release" / name / f"{name}.ipynb" for name in names}
    else:
        _make_course(course, names, cell_timeout)
        api = _api(course)
        released = _generate(api, course, names)
        shutil.copytree(course, template, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback"))
        (template / "READY").write_text("ok")
    (course / "READY").write_text("ok")
    for line in sys.stdin:
        job = json.loads(line)
        try:
            result = _grade_one(api, course, released, job)
        except Exception as err:  # report, never die: the next submission must still be graded
            result = {"student": job["student"], "exercise": job["assignment"], "flags": ["grading_error"],
                      "scores": {}, "messages": {"*": f"{type(err).__name__}: {err}"[:500]}, "feedback": None}
        if result.get("feedback"):
            dest = Path(job["feedback_dir"]) / f"{job['assignment']}.html"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(result["feedback"], dest)
            result["feedback"] = str(dest)
        tmp = job["result"] + ".tmp"
        Path(tmp).write_text(json.dumps(result))
        os.replace(tmp, job["result"])


# ---------------------------------------------------------------- grading: the parent side

def _kill_tree(proc):
    import psutil

    try:
        parent = psutil.Process(proc.pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        family = []
    for p in family:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait()


class Worker:
    """A grading process with its own scratch course folder and gradebook."""

    def __init__(self, scratch, index, names, cell_timeout):
        self.names, self.cell_timeout, self.scratch, self.index = names, cell_timeout, Path(scratch), index
        self.generation = 0
        self.start()

    def start(self):
        self.generation += 1
        self.course = self.scratch / f"worker{self.index}-{self.generation}"
        self.log = open(self.scratch / f"worker{self.index}-{self.generation}.log", "w")
        cmd = [sys.executable, str(Path(__file__).resolve()), "_worker", str(self.course),
               str(self.scratch / "template"), str(self.cell_timeout), *self.names]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=self.log, stderr=subprocess.STDOUT,
                                     text=True, env=_env(), cwd=str(self.scratch))

    def wait_ready(self, timeout=600):
        end = time.monotonic() + timeout
        while not (self.course / "READY").exists():
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"grading worker failed to start; see {self.log.name}:\n"
                                   + Path(self.log.name).read_text()[-3000:])
            time.sleep(0.1)

    def run(self, job, timeout):
        """Send one job; return its result, or "grading_timeout" / "worker_died"."""
        if self.proc is None:  # killed after the previous job: start afresh (a few seconds)
            self.start()
            self.wait_ready()
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        end = time.monotonic() + timeout
        result = Path(job["result"])
        while not result.exists():
            if self.proc.poll() is not None or time.monotonic() > end:
                died = self.proc.poll() is not None
                self.stop()
                return "worker_died" if died else "grading_timeout"
            time.sleep(0.05)
        return json.loads(result.read_text())

    def stop(self):
        """Kill the worker and everything it started (the student's kernel too)."""
        _kill_tree(self.proc)
        self.log.close()
        self.proc = None

    def close(self):
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except Exception:
            _kill_tree(self.proc)
        self.log.close()


def _progress(done, total, label, start):
    width = 30
    filled = int(width * done / max(total, 1))
    line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {time.monotonic() - start:5.1f}s {label}"
    if sys.stderr.isatty():
        sys.stderr.write("\r" + line[:120].ljust(120) + ("\n" if done == total else ""))
    else:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


def find_submissions(folder, names):
    """(student, assignment, path) for every SUBMISSIONS/<student>/<assignment>.ipynb; others reported."""
    jobs, ignored = [], []
    for student_dir in sorted(p for p in Path(folder).iterdir() if p.is_dir() and not p.name.startswith(".")):
        for nb in sorted(student_dir.glob("*.ipynb")):
            (jobs if nb.stem in names else ignored).append((student_dir.name, nb.stem, nb))
    return jobs, ignored


def grade(submissions, out, *, jobs=None, cell_timeout=10, timeout=120, only=None):
    start = time.monotonic()
    names = [a for a in assignments() if not only or a in only]
    found, ignored = find_submissions(submissions, names)
    for student, name, path in ignored:
        print(f"ignored {path}: not an exercise name ({', '.join(names)})", file=sys.stderr)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    needed = sorted({name for _, name, _ in found})
    results = []
    if found:
        n_workers = max(1, min(jobs or os.cpu_count() or 1, len(found)))
        scratch = Path(tempfile.mkdtemp(prefix="nnlab-grade-"))
        todo = queue.Queue()
        for i, item in enumerate(found):
            todo.put((i, item))
        lock = threading.Lock()
        done = [0]
        print(f"grading {len(found)} submission(s) of {len(needed)} exercise(s) with {n_workers} worker(s); "
              f"scratch folder {scratch}", file=sys.stderr)
        workers = [Worker(scratch, k, needed, cell_timeout) for k in range(n_workers)]

        def serve(worker):
            worker.wait_ready()
            while True:
                try:
                    i, (student, name, path) = todo.get_nowait()
                except queue.Empty:
                    return
                job = {"student": student, "assignment": name, "path": str(path.resolve()),
                       "feedback_dir": str((out / "feedback" / student).resolve()),
                       "result": str(scratch / f"result-{i}.json")}
                t0 = time.monotonic()
                res = worker.run(job, timeout)
                if isinstance(res, str):
                    res = {"student": student, "exercise": name, "flags": [res], "scores": {}, "feedback": None,
                           "messages": {"*": f"grading stopped after {time.monotonic() - t0:.0f} s" if
                                        res == "grading_timeout" else "the grading process died"}}
                res["seconds"] = round(time.monotonic() - t0, 1)
                with lock:
                    results.append(res)
                    done[0] += 1
                    _progress(done[0], len(found), f"{student}/{name}: {_status(res)}", start)

        threads = [threading.Thread(target=serve, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for w in workers:
            w.close()
        shutil.rmtree(scratch, ignore_errors=True)
    maxima = _maxima(needed)
    _write_reports(out, results, maxima)
    print(f"graded {len(results)} submission(s) in {time.monotonic() - start:.1f} s -> {out / 'scores.csv'}",
          file=sys.stderr)
    return results


def _maxima(names):
    """{assignment: {test grade_id: points}} read from the sources (no nbgrader import needed)."""
    maxima = {}
    for name in names:
        nb = json.loads((SOURCE / name / f"{name}.ipynb").read_text())
        maxima[name] = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"]["points"]
                        for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")}
    return maxima


def _status(res):
    return "+".join(res["flags"]) if res["flags"] else "ok"


def _write_reports(out, results, maxima):
    results = sorted(results, key=lambda r: (r["student"], r["exercise"]))
    rows, qrows = [], []
    for r in results:
        qmax = maxima[r["exercise"]]
        scores = {g: r["scores"].get(g, 0.0) for g in qmax}
        total = sum(scores.values())
        rows.append({"student": r["student"], "exercise": r["exercise"],
                     "points": ";".join(f"{g}={_num(scores[g])}/{_num(qmax[g])}" for g in qmax),
                     "total": _num(total), "max": _num(sum(qmax.values())), "status": _status(r)})
        for g in qmax:
            qrows.append({"student": r["student"], "exercise": r["exercise"], "question": g,
                          "score": _num(scores[g]), "max": _num(qmax[g])})
        r["_scores"], r["_total"] = scores, total
    for path, data, fields in [(out / "scores.csv", rows, ["student", "exercise", "points", "total", "max", "status"]),
                               (out / "questions.csv", qrows, ["student", "exercise", "question", "score", "max"])]:
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(data)
    for student in sorted({r["student"] for r in results}):
        mine = [r for r in results if r["student"] == student]
        lines = [f"# Feedback for {student}", "", "| exercise | points | status |", "|---|---|---|"]
        for r in mine:
            lines.append(f"| {r['exercise']} | {_num(r['_total'])} / {_num(sum(maxima[r['exercise']].values()))} "
                         f"| {_status(r)} |")
        for r in mine:
            lines += ["", f"## {r['exercise']}", ""]
            for g, pts in maxima[r["exercise"]].items():
                lines.append(f"- `{g}`: {_num(r['_scores'][g])} / {_num(pts)}")
                if g in r.get("messages", {}):
                    lines.append("  ```\n  " + r["messages"][g].replace("\n", "\n  ") + "\n  ```")
            if "*" in r.get("messages", {}):
                lines.append(f"- grading: {html.escape(r['messages']['*'])}")
            if r.get("feedback"):
                lines.append(f"- full feedback: [{r['exercise']}.html]({r['exercise']}.html)")
        dest = out / "feedback" / student / "summary.md"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text("\n".join(lines) + "\n")


def _num(x):
    return f"{x:g}"


# ---------------------------------------------------------------- command line

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate the student versions from exercises/source")
    p.add_argument("names", nargs="*", help="assignments (default: all)")
    p.add_argument("--out", default=str(RELEASE), help="folder for <assignment>/<assignment>.ipynb")
    p = sub.add_parser("grade", help="grade SUBMISSIONS/<student_id>/<assignment>.ipynb")
    p.add_argument("submissions")
    p.add_argument("--out", required=True)
    p.add_argument("--jobs", type=int, default=None, help="parallel workers (default: number of CPUs)")
    p.add_argument("--cell-timeout", type=int, default=10, help="seconds per cell (default 10)")
    p.add_argument("--timeout", type=float, default=120, help="seconds per submission in all (default 120)")
    p.add_argument("--only", nargs="*", help="grade only these assignments")
    w = sub.add_parser("_worker")
    w.add_argument("course")
    w.add_argument("template")
    w.add_argument("cell_timeout", type=int)
    w.add_argument("names", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "release":
        unknown = set(args.names) - set(assignments())
        if unknown:
            parser.error(f"unknown assignment(s) {sorted(unknown)}; known: {assignments()}")
        release(args.names or assignments(), args.out)
    elif args.command == "grade":
        if not Path(args.submissions).is_dir():
            parser.error(f"SUBMISSIONS must be a folder of <student_id>/<assignment>.ipynb, got {args.submissions}")
        grade(args.submissions, args.out, jobs=args.jobs, cell_timeout=args.cell_timeout, timeout=args.timeout,
              only=args.only)
    else:
        worker_main(args.course, args.template, args.names, args.cell_timeout)


if __name__ == "__main__":
    main()
