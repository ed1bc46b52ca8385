"""The student side of grading: runs inside the sandbox, as an unprivileged user, on a private tmpfs.

It reads frames (tools/grading/wire.py) on fd 0 and answers on fd 1, which it keeps for itself; the
student's prints go to the capped output pipe (fd 2). Protocol, one frame each:

    runner: {"op": "hello"}                                               once started
    parent: {"op": "init", "cells": [source, ...]}
    runner: {"op": "cell", "i": i, "error": null | "Type: message"}     after each cell, in order
    runner: {"op": "ready", "names": {name: "function" | "value"}}       the student's globals
    parent: {"op": "get", "names": [...]}  ->  runner: {"op": "values", "values": {name: value}}
    parent: {"op": "call", "name", "args", "kwargs", "errstate"}         call a student's function
    runner: {"op": "callback", "fn", "attr", "args", "kwargs"}           it called a function we passed
    parent: {"op": "callback_return", "value"} | {"op": "callback_raise", "type", "message"}
    runner: {"op": "return", "value", "arrays": [[i, array], ...], "rngs": [[id, state], ...]}
            | {"op": "raise", "type", "module", "base", "message"}

The runner trusts nothing it is sent beyond the format and proves nothing: whatever it returns is
the student's answer, compared with the reference by the parent, outside the sandbox.
"""
import builtins
import os
import sys

import numpy as np

import wire

_RNGS = {"PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"}


class _Remote(Exception):
    """An exception raised by a function of the grader that the student's code called."""


class Runner:
    def __init__(self, fd_in, fd_out):
        self.fd_in, self.fd_out = fd_in, fd_out
        self.ns = {"__name__": "__main__", "__builtins__": builtins}
        self.refs = {}

    def send(self, header, buffers=()):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        wire.write_all(self.fd_out, wire.frame(header, buffers))

    def receive(self):
        got = wire.read_frame(self.fd_in)
        if got is None:
            os._exit(0)
        return got

    # -------------------------------------------------------- values
    def encoder(self):
        def other(x):
            self.refs[len(self.refs)] = x
            return {"t": "ref", "id": len(self.refs) - 1, "type": type(x).__name__}
        return wire.Encoder(other)

    def decoder(self, buffers, rngs):
        def other(x):
            t = x.get("t")
            if t == "ref" and x.get("id") in self.refs:
                return self.refs[x["id"]]
            if t == "own" and callable(self.ns.get(x.get("name"))):
                return self.ns[x["name"]]
            if t == "fn":
                return _stub(self, x.get("id"), None, x.get("name") or "function")
            if t == "rng":
                state = dec(x.get("state"))
                name = state.get("bit_generator") if isinstance(state, dict) else None
                if name not in _RNGS:
                    raise wire.WireError(f"unknown bit generator {name!r}")
                g = np.random.Generator(getattr(np.random, name)())
                g.bit_generator.state = state
                rngs.append((x.get("id"), g))
                return g
            raise wire.WireError(f"unknown tag {t!r}")
        dec = wire.Decoder(buffers, other)
        return dec

    # -------------------------------------------------------- phases
    def definitions(self, cells):
        for i, src in enumerate(cells):
            error = None
            try:
                exec(compile(_plain_python(src), f"<cell {i + 1}>", "exec"), self.ns)
            except BaseException as err:   # SystemExit and KeyboardInterrupt too: the cell fails, we go on
                error = f"{type(err).__name__}: {err}"[:1000]
            self.send({"op": "cell", "i": i, "error": error})

    def ready(self):
        found = {}
        for name, value in list(self.ns.items())[:10_000]:
            if isinstance(name, str) and not name.startswith("__") and not isinstance(value, type(os)):
                found[name] = "function" if callable(value) else "value"
        devnull = os.open(os.devnull, os.O_WRONLY)   # from here on the student's prints go nowhere
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        self.send({"op": "ready", "names": found})

    def get(self, header):
        enc, values = self.encoder(), {}
        for name in header.get("names") or []:
            if isinstance(name, str) and name in self.ns:
                try:
                    values[name] = enc(self.ns[name])
                except BaseException:
                    pass
        self.send({"op": "values", "values": values}, enc.buffers)

    def call(self, header, buffers):
        rngs = []
        dec = self.decoder(buffers, rngs)
        fn = self.ns.get(header.get("name"))
        try:
            args, kwargs = dec(header.get("args")), dec(header.get("kwargs"))
            errstate = {k: v for k, v in (header.get("errstate") or {}).items()
                        if k in ("divide", "over", "under", "invalid") and v in ("ignore", "warn", "raise", "print")}
            with np.errstate(**errstate):
                value = fn(*args, **kwargs)
        except BaseException as err:
            self.send({"op": "raise", "type": type(err).__name__, "module": type(err).__module__,
                       "base": not isinstance(err, Exception), "message": str(err)[:2000]})
            return
        enc = self.encoder()
        try:
            out = enc(value)
            changed = [[i, enc.array(a)] for i, a in dec.arrays.items()
                       if a.tobytes() != buffers[i]]            # inputs changed in place
            states = [[k, enc(g.bit_generator.state)] for k, g in rngs]
        except BaseException as err:
            self.send({"op": "raise", "type": type(err).__name__, "module": type(err).__module__,
                       "base": not isinstance(err, Exception), "message": str(err)[:2000]})
            return
        self.send({"op": "return", "value": out, "arrays": changed, "rngs": states}, enc.buffers)

    def callback(self, fn_id, attr, args, kwargs):
        enc = self.encoder()
        self.send({"op": "callback", "fn": fn_id, "attr": attr, "args": enc(args), "kwargs": enc(kwargs)},
                  enc.buffers)
        header, buffers = self.receive()
        if header.get("op") == "callback_return":
            return self.decoder(buffers, [])(header.get("value"))
        kind = getattr(builtins, str(header.get("type")), None)
        if not (isinstance(kind, type) and issubclass(kind, Exception)):
            kind = _Remote
        raise kind(str(header.get("message")))

    def serve(self):
        self.send({"op": "hello"})
        header, _ = self.receive()
        self.definitions(header.get("cells") or [])
        self.ready()
        while True:
            header, buffers = self.receive()
            if header.get("op") == "call":
                self.call(header, buffers)
            elif header.get("op") == "get":
                self.get(header)
            else:
                os._exit(0)


def _stub(runner, fn_id, attr, name):
    """A function (or an object's public method) of the grader, called back over the pipe."""
    class Stub:
        __name__ = name

        def __call__(self, *args, **kwargs):
            return runner.callback(fn_id, attr, args, kwargs)

        def __getattr__(self, item):
            if item.startswith("_") or attr is not None:
                raise AttributeError(item)
            return _stub(runner, fn_id, item, item)

        def __repr__(self):
            return f"<function {name}>"
    return Stub()


def _plain_python(src):
    """A notebook cell as Python: IPython magics and shell lines (%, !) become `pass`."""
    lines = []
    for line in src.splitlines():
        stripped = line.lstrip()
        lines.append(line[:len(line) - len(stripped)] + "pass" if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


def main():
    fd_in, fd_out = os.dup(0), os.dup(1)            # the protocol's; the student's code never gets fd 0/1
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)                                   # prints go to the capped output pipe
    Runner(fd_in, fd_out).serve()


if __name__ == "__main__":
    main()
