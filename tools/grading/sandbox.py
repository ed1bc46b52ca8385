"""One sandboxed student process (the parent's side): bubblewrap, limits, the framed pipe, the kill.

The command (``command``) is bwrap with every namespace unshared (no network, its own PID, IPC and
UTS namespaces), --die-with-parent and --new-session, a root made of read-only binds of only what
Python needs (/usr, the Python prefix, the venv, the nnlab package) and a private tmpfs working
directory; inside, setpriv drops to uid/gid 65534 with no capabilities and no_new_privs (a grader that is
not root gets bwrap's user namespace instead: uid 65534 inside, no capabilities), and prlimit caps memory, CPU seconds, processes, file size and open files. Nothing of the repository,
the exercises, the submissions or the output folder is visible.

``Sandbox`` speaks the frame protocol of tools/grading/runner.py over the process's stdin/stdout,
reads the student's prints from stderr (keeping at most ``max_output`` characters, and only until
the definitions are done), enforces wall-clock deadlines, and kills the whole process tree: when the
outer bwrap dies, the PID namespace's init dies with it (--die-with-parent) and the kernel kills
every process left in the namespace, setsid or double-forked ones included.
"""
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

try:
    from . import wire
except ImportError:            # run as a script's sibling module
    import wire

HERE = Path(__file__).resolve().parent
UID = 65534                    # nobody / nogroup


class SandboxDied(BaseException):
    """The student's process ended (crash, os._exit, a signal) or broke the protocol."""


class SandboxTimeout(BaseException):
    """The student's process went past its deadline and was killed."""


def python_paths():
    """Read-only paths the sandbox needs for this Python: its base prefix, the venv, the package."""
    import nnlab

    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix)}
    paths.add(Path(nnlab.__file__).resolve().parent)
    return sorted(paths)


def command(python_cwd_files, *, memory_mb=2048, cpu_seconds=60, nproc=256, fsize_mb=64, tmpfs_mb=64,
            privileged=None):
    """The argv of a sandboxed runner. ``python_cwd_files``: {name in /grader: host path} (read-only).
    ``privileged`` (default: running as root) drops to uid 65534 with setpriv; otherwise bwrap's own
    user namespace maps the grader's uid to 65534 inside."""
    privileged = _MODE.get("privileged", os.geteuid() == 0) if privileged is None else privileged
    cmd = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session", "--hostname", "sandbox",
           "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev"]
    for link in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink(f"/{link}"):
            cmd += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
    size = str(tmpfs_mb << 20)
    cmd += ["--perms", "1777", "--size", size, "--tmpfs", "/tmp"]     # first: a venv under /tmp stays visible
    dirs = {Path("/"), Path("/tmp")}
    for path in python_paths():
        for parent in reversed(path.parents):
            if parent not in dirs:
                dirs.add(parent)
                cmd += ["--perms", "0755", "--dir", str(parent)]
        cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--perms", "0755", "--dir", "/grader"]
    for name, host in python_cwd_files.items():
        cmd += ["--ro-bind", str(host), f"/grader/{name}"]
    cmd += ["--perms", "0777", "--size", size, "--tmpfs", "/work/student", "--chdir", "/work/student"]
    if privileged:       # as root: the student's code runs as the real uid 65534, without capabilities
        cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",   # for setpriv only; it drops them all
                "setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs"]
    else:                # an unprivileged grader: uid 65534 inside a user namespace, without capabilities
        cmd[1:1] = ["--unshare-user", "--uid", str(UID), "--gid", str(UID), "--disable-userns"]
    cmd += ["prlimit", f"--as={memory_mb << 20}", f"--cpu={int(cpu_seconds)}", f"--nproc={nproc}",
            f"--fsize={fsize_mb << 20}", "--nofile=256", "--core=0", "--",
            sys.executable, "-B", "-E", "-s", "/grader/runner.py"]
    return cmd


def unsandboxed_command():
    """--no-sandbox: the same runner as a plain child process (prlimit only)."""
    limit = ["/usr/bin/prlimit", "--as=%d" % (2048 << 20), "--nofile=256", "--core=0", "--"]
    return (limit if os.path.exists(limit[0]) else []) + [sys.executable, "-B", "-E", "-s", str(HERE / "runner.py")]


def environment():
    """The sandbox's environment: nothing of the grader's but what numpy needs to compute the same."""
    env = {"PATH": "/usr/bin:/bin", "HOME": "/work/student", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/mpl",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1"}
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "NPY_DISABLE_CPU_FEATURES"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


_MODE = {}


def available():
    """(True, "") if bwrap runs Python with the course package in a sandbox here, else (False, why).

    As root it first tries the real uid 65534 (which must be able to read the venv and the package);
    if that fails (e.g. files made with umask 077), bwrap's user namespace (uid 65534 inside)."""
    if shutil.which("bwrap") is None:
        return False, "bwrap (Debian's bubblewrap) is not installed"
    why = ""
    for privileged in ([True, False] if os.geteuid() == 0 else [False]):
        argv = command({}, privileged=privileged)
        argv = argv[:argv.index("prlimit")] + [sys.executable, "-B", "-E", "-s", "-c", "import numpy, nnlab"]
        try:
            run = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=environment())
        except (OSError, subprocess.TimeoutExpired) as err:
            why = f"bwrap failed: {err}"
            continue
        if run.returncode == 0:
            _MODE["privileged"] = privileged
            return True, ""
        why = f"bwrap failed: {run.stderr.strip()[-300:]}"
    return False, why


class Sandbox:
    """A running student process; use as a context manager so that it is always killed."""

    def __init__(self, *, sandboxed=True, max_output=20_000, **limits):
        files = {"runner.py": HERE / "runner.py", "wire.py": HERE / "wire.py"}
        argv = command(files, **limits) if sandboxed else unsandboxed_command()
        cwd = None
        if not sandboxed:
            import tempfile
            self._tmp = tempfile.TemporaryDirectory(prefix="nnlab-nosandbox-")
            cwd = self._tmp.name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=environment(), cwd=cwd, start_new_session=True, bufsize=0)
        self.max_output = max_output
        self.output, self.output_cut, self.recording = bytearray(), False, True
        self._buf, self._err_open = bytearray(), True
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            os.set_blocking(f.fileno(), False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    def kill(self):
        """Kill the sandbox and everything in it (its PID namespace dies with bwrap)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except Exception:
                pass

    def send(self, header, buffers, deadline):
        """Write one frame, reading the runner's output meanwhile; a runner that stops reading is
        killed at the deadline."""
        data = memoryview(wire.frame(header, buffers))
        in_fd = self.proc.stdin.fileno()
        while data:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise SandboxTimeout("time limit")
            readable, writable, _ = select.select(self._watched(), [in_fd], [], min(left, 1.0))
            self._pump(readable)
            if writable:
                try:
                    data = data[os.write(in_fd, data[:1 << 16]):]
                except BlockingIOError:
                    pass
                except OSError:
                    self.kill()
                    raise SandboxDied("the student's process ended") from None

    def _pump(self, readable):
        """Read what is ready: the student's output, and protocol bytes into the frame buffer."""
        out_fd, err_fd = self.proc.stdout.fileno(), self.proc.stderr.fileno()
        if err_fd in readable:
            self._read_output(err_fd)
        if out_fd in readable:
            try:
                chunk = os.read(out_fd, 1 << 20)
            except BlockingIOError:
                chunk = None
            if chunk == b"":
                self._drain_output()
                self.kill()
                raise SandboxDied(f"the student's process ended (exit status {self.proc.returncode})")
            if chunk:
                self._buf += chunk
                if len(self._buf) > wire.MAX_FRAME + 16:
                    self.kill()
                    raise SandboxDied("the student's process sent too much data")

    def _take_output(self, data):
        if not self.recording:
            return
        room = self.max_output - len(self.output)
        if len(data) > room:
            self.output_cut = True
        self.output += data[:max(room, 0)]

    def receive(self, deadline):
        """The next frame from the runner, reading the student's output meanwhile."""
        while True:
            try:
                got = wire.parse(self._buf)
            except wire.WireError as err:
                self.kill()
                raise SandboxDied(f"the student's process broke the protocol ({err})") from None
            if got is not None:
                header, buffers, used = got
                del self._buf[:used]
                return header, buffers
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise SandboxTimeout("time limit")
            ready, _, _ = select.select(self._watched(), [], [], min(left, 1.0))
            self._pump(ready)

    def _watched(self):
        return [self.proc.stdout.fileno()] + ([self.proc.stderr.fileno()] if self._err_open else [])

    def _read_output(self, fd):
        if not self._err_open:
            return False
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return False
        except OSError:
            chunk = b""
        if not chunk:
            self._err_open = False        # every writer closed it: stop watching
            return False
        self._take_output(chunk)
        return True

    def _drain_output(self):
        """What the runner printed before its last frame is already in the pipe: take it, then stop."""
        while self._read_output(self.proc.stderr.fileno()):
            if not self.recording:
                break

    def stop_recording(self):
        self._drain_output()
        self.recording = False

    def text_output(self):
        return self.output.decode("utf-8", errors="replace")
