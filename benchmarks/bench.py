"""Benchmarks: the compute (and redraw) time of every registered experiment, then our training loop
against a lean hand-written numpy loop (benchmarks/lean_numpy.py) and scikit-learn's MLPClassifier.

Run: ``MPLBACKEND=Agg .venv/bin/python benchmarks/bench.py`` (``make bench``).
"""
import importlib
import pkgutil
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np


sys.path.insert(0, str(Path(__file__).resolve().parent))
import lean_numpy  # noqa: E402  (benchmarks/lean_numpy.py, the reference loop)


# issue 9 measured this reference figure at about 104 ms ("the same two-panel figure costs about 104 ms
# rebuilt") on the machine where it set the redraw targets
REFERENCE_AT_TARGET = 0.104


def median_time(f, repeat, warmup=1):
    """Median wall time of f() in seconds over ``repeat`` calls, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        f()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def experiment_modules():
    """{module: {name: factory}} as nnlab.experiments.registry() gives it; if one chapter module
    does not import (chapters are written concurrently), time the others and report that one."""
    import nnlab.experiments as pkg
    try:
        return pkg.registry(), {}
    except Exception:  # noqa: BLE001 - fall back to importing the modules one by one
        pass
    out, failed = {}, {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("ch"):
            try:
                out[info.name] = getattr(importlib.import_module(f"{pkg.__name__}.{info.name}"), "EXPERIMENTS", {})
            except Exception as err:  # noqa: BLE001
                failed[info.name] = err
    return out, failed


def reference_redraw(repeat=7):
    """A fixed piece of work to compare machines by: a fresh two-panel figure (8 x 3.6 in, two curves
    and a legend per panel, constrained layout) drawn and encoded as PNG at 80 dpi, as every redraw
    was made before experiments kept their figures. Measured in the same run as the redraws, it says
    how fast this machine is today (the redraw figures are also printed as fractions of it)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    x = np.linspace(-4, 4, 201)

    def redraw():
        fig = Figure(figsize=(8, 3.6), dpi=80, layout="constrained")
        FigureCanvasAgg(fig)
        for ax, f in zip(fig.subplots(1, 2), (np.tanh, np.sin)):
            ax.plot(x, f(x), label="f")
            ax.plot(x, 1 - f(x) ** 2, label="f'")
            ax.set(xlabel="input", ylabel="value", title="a panel")
            ax.legend()
        fig.savefig(io.BytesIO(), format="png")

    return median_time(redraw, repeat)


def bench_experiments(repeat=5, n_random=8, only=()):
    """One line per experiment: the compute at its defaults, then what a learner waits for when a
    control moves (compute + update of the picture + PNG encoding, at the live pixel density): the
    median at the defaults, and the median and the largest over random control values."""
    from nnlab.experiment import random_values

    modules, failed = experiment_modules()
    ref = reference_redraw()
    print(f"reference: a fresh two-panel figure drawn and encoded at 80 dpi takes {ref * 1e3:.0f} ms here", flush=True)
    for module, err in failed.items():
        print(f"{module}: import failed: {type(err).__name__}: {err}")
    worst, medians = [], []
    for module, experiments in modules.items():
        for name, factory in experiments.items():
            label = f"{module}/{name}"
            if only and not any(part in label for part in only):
                continue
            try:
                exp = factory()
                values = exp.defaults()
                compute = median_time(lambda: exp.compute(**values), repeat)
                warm = ""
                if exp.warm or exp.stages:               # as live() does once the widget shows
                    t = time.perf_counter()
                    exp.warm_up()
                    warm = f"; warm-up (in the background, after the first picture) {time.perf_counter() - t:.2f} s"
                canvas = exp.canvas()
                canvas.png(**values)                     # the first picture: layout, fonts
                rng = np.random.default_rng(0)
                randoms = [random_values(exp, rng) for _ in range(n_random)]
                at_defaults = []
                for v in randoms[:repeat]:               # move away and back, so each redraw is real
                    canvas.png(**v)
                    t = time.perf_counter()
                    canvas.png(**values)
                    at_defaults.append(time.perf_counter() - t)
                at_random = []
                for v in randoms:
                    t = time.perf_counter()
                    canvas.png(**v)
                    at_random.append(time.perf_counter() - t)
                kind = "update" if exp.update is not None else "full redraw"
                print(f"{label}: compute {compute * 1e3:.1f} ms; {kind} at defaults median "
                      f"{statistics.median(at_defaults) * 1e3:.0f} ms; at {n_random} random values median "
                      f"{statistics.median(at_random) * 1e3:.0f} ms, max {max(at_random) * 1e3:.0f} ms "
                      f"(of the reference: {statistics.median(at_random) / ref:.2f}, max {max(at_random) / ref:.2f})"
                      f"{warm}", flush=True)
                worst.append(max(at_random))
                medians.append(max(statistics.median(at_defaults), statistics.median(at_random)))
            except Exception as err:  # noqa: BLE001 - one broken experiment must not hide the others
                print(f"{label}: failed: {type(err).__name__}: {err}", flush=True)
    if worst:
        print(f"experiments: {len(worst)}, median of their largest redraws {statistics.median(worst) * 1e3:.0f} ms, "
              f"over 100 ms: {sum(w > 0.1 for w in worst)}, medians over 60 ms: {sum(m > 0.06 for m in medians)}")
        # the targets (60 ms median, 100 ms at most) were set on a machine where the reference took
        # REFERENCE_AT_TARGET; the same figures scaled to that machine's speed
        k = REFERENCE_AT_TARGET / ref
        print(f"scaled to the machine the targets were set on (the reference at {REFERENCE_AT_TARGET * 1e3:.0f} ms "
              f"there, x{k:.2f}): median of the largest redraws {statistics.median(worst) * k * 1e3:.0f} ms, "
              f"over 100 ms: {sum(w * k > 0.1 for w in worst)}, medians over 60 ms: {sum(m * k > 0.06 for m in medians)}")


def bench_training(n=1000, epochs=100, batch_size=32, lr=0.1, repeat=3):
    """A 2-16-16-1 tanh/sigmoid network, BCE, plain SGD, on moons: nnlab.fit vs MLPClassifier."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    import nnlab
    from nnlab import data

    X, y = data.moons(n, noise=0.2, rng=np.random.default_rng(0))

    def ours():
        model = nnlab.mlp([2, 16, 16, 1], rng=np.random.default_rng(1), activation="tanh",
                          output_activation="sigmoid")
        h = nnlab.fit(model, X, y, loss="bce", lr=lr, epochs=epochs, batch_size=batch_size,
                      rng=np.random.default_rng(2))
        return h.train_acc[-1]

    def theirs():
        clf = MLPClassifier(hidden_layer_sizes=(16, 16), activation="tanh", solver="sgd",
                            learning_rate="constant", learning_rate_init=lr, momentum=0.0,
                            nesterovs_momentum=False, batch_size=batch_size, max_iter=epochs, alpha=0.0,
                            tol=0.0, n_iter_no_change=epochs + 1, shuffle=True, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        assert clf.n_iter_ == epochs, clf.n_iter_
        return clf.score(X, y)

    def lean():
        return lean_numpy.train(X, y, lr=lr, epochs=epochs, batch_size=batch_size, rng=np.random.default_rng(1))

    # one untimed run of each (lazy imports, caches), then alternate them so that a change in the
    # machine's load during the benchmark hits all sides alike
    sides = (("ours", ours), ("lean", lean), ("theirs", theirs))
    results = {name: f() for name, f in sides}
    times = {name: [] for name, _ in sides}
    for _ in range(repeat):
        for name, f in sides:
            t = time.perf_counter()
            results[name] = f()
            times[name].append(time.perf_counter() - t)
    t_ours, t_theirs = statistics.median(times["ours"]), statistics.median(times["theirs"])
    t_lean = statistics.median(times["lean"])
    print(f"training: {n} moons points, 2-16-16-1 tanh/sigmoid, BCE, SGD lr {lr}, batch {batch_size}, "
          f"{epochs} epochs (median of {repeat})")
    print(f"ours: {t_ours:.3f} s")
    print(f"lean numpy loop (benchmarks/lean_numpy.py): {t_lean:.3f} s")
    print(f"scikit-learn: {t_theirs:.3f} s")
    print(f"training accuracy: ours {results['ours']:.3f}, lean numpy {results['lean']:.3f}, "
          f"scikit-learn {results['theirs']:.3f}")
    print(f"ratio (ours / lean numpy): {t_ours / t_lean:.2f}")
    print(f"ratio (ours / scikit-learn): {t_ours / t_theirs:.2f}")


def bench_playground(seconds=4.0):
    """The live playground (chapter 15) playing a 2-8-8-1 network on 500 training points at batch size 10:
    pictures pushed per second, and epochs trained per second (each picture follows at least one epoch)."""
    from nnlab.experiments.ch15_playground import Playground

    lab = Playground(n_points=1000, test_fraction=0.5, hidden=(8, 8), batch_size=10)
    lab.png()                                   # the figure is drawn once; playing only updates it
    start = time.perf_counter()
    lab.play()
    time.sleep(seconds)
    lab.pause()
    took = time.perf_counter() - start
    print(f"playground: {lab.frames / took:.1f} updates/s, {lab.run.epoch / took:.1f} epochs/s "
          f"(2-8-8-1 on {len(lab.run.X_train)} points, batch size 10, {lab.run.epoch / max(lab.frames, 1):.1f} "
          f"epochs per update)", flush=True)


def main(argv):
    """``bench.py [--training-only | --experiments-only] [part of a name ...]``: names (such as
    ``ch08`` or ``race``) time those experiments only, and nothing else."""
    only = [a for a in argv if not a.startswith("--")]
    if only:
        bench_experiments(only=only)
        return
    if "--training-only" not in argv:
        bench_experiments()
    if "--experiments-only" not in argv:
        bench_training()
    if "--training-only" not in argv:
        bench_playground()


if __name__ == "__main__":
    main(sys.argv[1:])
