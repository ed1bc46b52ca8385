"""The course's graded exercises, for instructors: release student versions and grade submissions.

    python tools/exercises.py release [ASSIGNMENT ...] [--out DIR]
        Run nbgrader generate_assignment (offline, in a scratch course folder) on
        exercises/source/<a>/<a>.ipynb and write the student versions to exercises/release/<a>/<a>.ipynb
        (or to DIR/<a>/<a>.ipynb).

    python tools/exercises.py grade SUBMISSIONS --out OUT [--jobs 2] [--cell-timeout S] [--timeout S]
                                    [--memory-mb M] [--only A ...] [--no-sandbox]
        Grade SUBMISSIONS/<student_id>/<assignment>.ipynb (one notebook per student per exercise),
        hidden tests included, into OUT/scores.csv (one row per submission), OUT/questions.csv (one
        row per test cell) and OUT/feedback/<student_id>/ (<exercise>.html and summary.md).

Grading (tools/grading/) never runs a student's code in this process and never trusts a file the
student could write: each submission is read once, rebuilt from the release notebook (only the
solution cells' sources are the student's), and each question gets a fresh bubblewrap sandbox that
defines the student's functions; this process runs the tests and compares with the course package,
calling the functions in the sandbox with plain data over a pipe. nbgrader is used for `release`
only. Without bubblewrap, `grade` refuses unless --no-sandbox is given.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
SOURCE = EXERCISES / "source"
RELEASE = EXERCISES / "release"


def assignments():
    """Assignment names, in lecture order: the folders of exercises/source."""
    return sorted(p.name for p in SOURCE.iterdir() if (p / f"{p.name}.ipynb").is_file())


def _env():
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)  # nbgrader calls `alembic` from PATH (its gradebook)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.pop("NNLAB_STATIC", None)
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _make_course(folder, names):
    """A scratch nbgrader course folder: config and the sources of the given assignments."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text((EXERCISES / "nbgrader_config.py").read_text())
    for name in names:
        shutil.copytree(SOURCE / name, folder / "source" / name, dirs_exist_ok=True)
    return folder


def _api(course):
    """An nbgrader API object for a course folder (imports nbgrader: slow, so only when releasing)."""
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


# ---------------------------------------------------------------- grading

NO_SANDBOX_WARNING = """\
grading WITHOUT a sandbox (--no-sandbox): each student's code runs as {user} in a plain child
process. It can read and write whatever {user} can: the exercise sources with their solutions and
hidden tests, the other submissions, the output folder, the repository and the package on disk; it
has the network, and a process it starts can outlive the grader. Scores are still computed here,
outside the student's code, with the per-cell and per-question time limits. Use this only for
submissions you trust."""


def find_submissions(folder, names):
    """(student, assignment, path) for every SUBMISSIONS/<student>/<assignment>.ipynb; others reported.
    Folder names are used literally (no glob), whatever characters they hold."""
    jobs, ignored = [], []
    for student_dir in sorted(p for p in Path(folder).iterdir() if p.is_dir() and not p.name.startswith(".")):
        for nb in sorted(p for p in student_dir.iterdir() if p.suffix == ".ipynb" and p.is_file()):
            (jobs if nb.stem in names else ignored).append((student_dir.name, nb.stem, nb))
    return jobs, ignored


def _read_plain_file(path):
    """A submission's bytes; None for a symbolic link (it could point at a source notebook)."""
    path = Path(path)
    if path.is_symlink() or path.parent.is_symlink():
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        return f.read()


def grade(submissions, out, *, jobs=2, cell_timeout=10, timeout=60, only=None, sandboxed=True, memory_mb=2048):
    """Grade every submission into OUT (see the module's docstring); returns the scores.csv rows."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import nnlab.checks  # noqa: F401  (the references, imported before any student code)
    from grading import core, sandbox

    if sandboxed:
        ok, why = sandbox.available()
        if not ok:
            raise SystemExit(f"grade: refusing to grade without a sandbox: {why}.\n"
                             "Install Debian's bubblewrap (apt-get install bubblewrap), or pass --no-sandbox to "
                             "grade anyway (read what it exposes in exercises/README.md).")
    else:
        import getpass
        print(NO_SANDBOX_WARNING.format(user=getpass.getuser()), file=sys.stderr)
    start = time.monotonic()
    names = [a for a in assignments() if not only or a in only]
    found, ignored = find_submissions(submissions, names)
    for student, name, path in ignored:
        print(f"ignored {path}: not an exercise name ({', '.join(names)})", file=sys.stderr)
    needed = sorted({name for _, name, _ in found})
    exercises = {n: core.load_exercise(n, SOURCE / n / f"{n}.ipynb", RELEASE / n / f"{n}.ipynb") for n in needed}
    todo = [core.Job(student, name, _read_plain_file(path)) for student, name, path in found]   # copied first
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    n_questions = sum(len(exercises[j.exercise].questions) for j in todo)
    print(f"grading {len(todo)} submission(s) ({n_questions} questions) of {len(needed)} exercise(s), "
          f"{jobs} at a time, each question in its own {'sandbox' if sandboxed else 'process'}", file=sys.stderr)
    settings = core.Settings(cell_timeout=cell_timeout, question_timeout=timeout, sandboxed=sandboxed,
                             limits={"memory_mb": memory_mb, "cpu_seconds": int(timeout) + 5} if sandboxed else {})
    results = core.grade_all(todo, exercises, settings, workers=jobs,
                             progress=lambda done, r: _progress(done, len(todo),
                                                                f"{r['student']}/{r['exercise']}: {core.status(r)}",
                                                                start))
    rows = core.write_reports(out, results, exercises)
    print(f"graded {len(results)} submission(s) in {time.monotonic() - start:.1f} s -> {out / 'scores.csv'}",
          file=sys.stderr)
    return rows


def _progress(done, total, label, start):
    width = 30
    filled = int(width * done / max(total, 1))
    line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {time.monotonic() - start:5.1f}s {label}"
    if sys.stderr.isatty():
        sys.stderr.write("\r" + line[:120].ljust(120) + ("\n" if done == total else ""))
    else:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


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
    p.add_argument("--jobs", type=int, default=2, help="questions graded at a time (default 2)")
    p.add_argument("--cell-timeout", type=float, default=10,
                   help="seconds per definition cell and per question's test (default 10)")
    p.add_argument("--timeout", type=float, default=60, help="seconds per question in all (default 60)")
    p.add_argument("--memory-mb", type=int, default=2048, help="address-space limit of a sandbox (default 2048)")
    p.add_argument("--only", nargs="*", help="grade only these assignments")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run student code without bubblewrap (it can then read and change this machine)")
    args = parser.parse_args(argv)
    if args.command == "release":
        unknown = set(args.names) - set(assignments())
        if unknown:
            parser.error(f"unknown assignment(s) {sorted(unknown)}; known: {assignments()}")
        release(args.names or assignments(), args.out)
    elif args.command == "grade":
        if not Path(args.submissions).is_dir():
            parser.error(f"SUBMISSIONS must be a folder of <student_id>/<assignment>.ipynb, got {args.submissions}")
        if args.jobs < 1:
            parser.error(f"--jobs must be at least 1, got {args.jobs}")
        grade(args.submissions, args.out, jobs=args.jobs, cell_timeout=args.cell_timeout, timeout=args.timeout,
              only=args.only, sandboxed=not args.no_sandbox, memory_mb=args.memory_mb)


if __name__ == "__main__":
    main()
