"""Chapter 14 experiments: batch, stochastic and mini-batch gradient descent.

1. ``paths``: the path of descent with a chosen batch size and learning rate on the contours of a
   two-parameter linear regression (a 2-D quadratic bowl), next to the full-batch path.
2. ``race``: the 2-8-1 network of chapter 7, trained with several batch sizes for the same time; its
   loss against epochs and against time. The time is a cost model's (a fixed cost per update plus a
   cost per sample, ``sgd_tools.modeled_seconds``), not a measurement, so that every picture is the
   same on every machine. (Chapter 7 links here for the comparison of the three methods.)
"""
import math

import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import NullLocator

from .. import params
from ..experiment import Experiment, dropdown, slider
from ..layers import mlp
from ..losses import BinaryCrossEntropy
from ..topics import sgd_tools
from ..train import batches, evaluate, fit
from ..viz import plots
from .._checks import number
from .ch07_sgd import make_data, make_network

# ---------------------------------------------------------------- 1. paths on the contours
LINE_N, LINE_SEED = 50, 3           # samples of the regression problem, and the seed that draws them
TRUE_W, TRUE_B, LINE_NOISE = 1.5, -0.5, 0.5
THETA0 = (-1.0, 2.0)                # every run starts at w = -1, b = 2
PATH_STEPS = 60                     # updates (iterations) every path gets
PATH_BATCHES = (1, 2, 5, 10, 20, 50)   # 50 = the full batch
VIEW_W, VIEW_B = (-1.5, 3.0), (-2.0, 2.5)
GRID_STEPS = 90
PATH_LOSS_LIMITS = (0.08, 10)
ORDER_SEED = 2                      # the seed of fit's shuffling, the same for every run


def line_data():
    """The regression problem: x (N,) uniform in [0, 2] and t = 1.5 x - 0.5 + noise (N,)."""
    rng = np.random.default_rng(LINE_SEED)
    x = rng.uniform(0, 2, LINE_N)
    return x, TRUE_W * x + TRUE_B + LINE_NOISE * rng.standard_normal(LINE_N)


def descent_path(batch_size, lr, steps=PATH_STEPS):
    """Train the line y = w x + b by ``nnlab.fit`` (squared error, plain SGD with learning rate lr,
    mini-batches of ``batch_size``) from THETA0 for exactly ``steps`` updates.

    Returns the parameters before training and after each update (steps + 1, 2), as (w, b).
    """
    x, t = line_data()
    B = number("batch_size", batch_size, low=1, high=LINE_N, integer=True)
    number("lr", lr, low=0, low_open=True)
    number("steps", steps, low=1, integer=True)
    model = mlp([1, 1], rng=np.random.default_rng(0), output_activation="linear")
    params.assign(model, np.array(THETA0))
    per_epoch = math.ceil(LINE_N / B)
    with np.errstate(over="ignore", invalid="ignore"):           # a diverging run may overflow
        history = fit(model, x[:, None], t, loss="squared_error", lr=lr, epochs=math.ceil(steps / per_epoch),
                      batch_size=B, rng=np.random.default_rng(ORDER_SEED),
                      callback=lambda model, step: params.flatten(model))
    path = np.array([THETA0] + history.logs[:steps])
    if len(path) < steps + 1:                                     # fit stopped early: it diverged
        path = np.vstack([path, np.full((steps + 1 - len(path), 2), np.nan)])
    return path


def paths_compute(batch_size=5, lr=0.3):
    """The path of ``batch_size`` and the full-batch path at learning rate lr, with the loss on all
    the data along both, the contour grid of the loss and its minimum."""
    x, t = line_data()
    path, full = descent_path(batch_size, lr), descent_path(LINE_N, lr)
    W, B = np.meshgrid(np.linspace(*VIEW_W, GRID_STEPS), np.linspace(*VIEW_B, GRID_STEPS))
    theta_star = np.linalg.lstsq(np.c_[x, np.ones_like(x)], t, rcond=None)[0]
    with np.errstate(over="ignore", invalid="ignore"):
        loss, full_loss = (sgd_tools.linear_loss(x, t, p[:, 0], p[:, 1]) for p in (path, full))
    return {"batch_size": batch_size, "lr": lr, "path": path, "loss": loss, "full": full,
            "full_loss": full_loss, "grid": (W, B, sgd_tools.linear_loss(x, t, W, B)),
            "theta_star": theta_star, "loss_star": float(sgd_tools.linear_loss(x, t, *theta_star)),
            "per_epoch": math.ceil(LINE_N / batch_size)}


def path_name(batch_size):
    """What the slides call descent with this batch size."""
    if batch_size == 1:
        return "stochastic (B = 1)"
    if batch_size == LINE_N:
        return f"batch (B = N = {LINE_N})"
    return f"mini-batch (B = {batch_size})"


def diverged(loss):
    """Did a run end above its starting loss (or overflow)?"""
    return bool(not np.isfinite(loss[-1]) or loss[-1] > loss[0])


def _path_titles(d):
    epochs = PATH_STEPS / d["per_epoch"]
    end = "diverged" if diverged(d["loss"]) else f"final loss {d['loss'][-1]:.3g} (minimum {d['loss_star']:.3g})"
    return (f"{path_name(d['batch_size'])}, α = {d['lr']:g}",
            f"{PATH_STEPS} updates = {epochs:.3g} epoch{'' if epochs == 1 else 's'}; {end}")


def contour_panel(ax, d):
    """The loss contours, the start and the minimum in the (w, b) plane: drawn once."""
    W, B, J = d["grid"]
    ax.contour(W, B, J, levels=np.geomspace(d["loss_star"] * 1.05, J.max(), 12), colors="0.7", linewidths=0.8)
    ax.plot(*THETA0, "o", ms=9, mfc="none", mec="black", label="start")
    ax.plot(*d["theta_star"], "*", ms=13, color=plots.OKABE_ITO[2], zorder=4, label="minimum")
    ax.set_xlim(*VIEW_W)
    ax.set_ylim(*VIEW_B)
    ax.set_xticks([-1, 0, 1, 2, 3])
    ax.set_yticks([-2, -1, 0, 1, 2])
    ax.set_xlabel("weight $w$")
    ax.set_ylabel("bias $b$")
    ax.set_aspect("equal")


def paths_draw(d, fig):
    ax, ax_loss = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
    contour_panel(ax, d)
    art = {"full": ax.plot(*d["full"].T, "--", color="0.35", lw=1.3, label="batch (all N)")[0],
           "path": ax.plot(*d["path"].T, "-o", color=plots.OKABE_ITO[5], lw=1, ms=2.5, label="this batch size")[0]}
    ax.legend(loc="lower left", fontsize=9)
    steps = np.arange(PATH_STEPS + 1)
    art["full_loss"] = ax_loss.plot(steps, d["full_loss"], "--", color="0.35", lw=1.3, label="batch (all N)")[0]
    art["loss"] = ax_loss.plot(steps, d["loss"], color=plots.OKABE_ITO[5], lw=1.3, label="this batch size")[0]
    ax_loss.axhline(d["loss_star"], color=plots.OKABE_ITO[2], ls=":", lw=1.2, label="lowest possible loss")
    ax_loss.set_yscale("log")
    ax_loss.set_ylim(*PATH_LOSS_LIMITS)
    ax_loss.set_yticks([0.1, 1, 10], labels=["0.1", "1", "10"])
    ax_loss.yaxis.set_minor_locator(NullLocator())
    ax_loss.set_xlim(0, PATH_STEPS)
    ax_loss.set_xticks(np.arange(0, PATH_STEPS + 1, 20))
    ax_loss.set_xlabel("update (iteration)")
    ax_loss.set_ylabel("loss on all N samples (log scale)")
    ax_loss.legend(loc="upper right", fontsize=9)
    titles = _path_titles(d)
    art["title"] = ax.set_title(titles[0], fontsize=9)
    art["loss_title"] = ax_loss.set_title(titles[1], fontsize=9)
    return art


def paths_update(d, art):
    for key in ("path", "full"):
        art[key].set_data(*d[key].T)
    steps = np.arange(PATH_STEPS + 1)
    art["loss"].set_data(steps, d["loss"])
    art["full_loss"].set_data(steps, d["full_loss"])
    for key, text in zip(("title", "loss_title"), _path_titles(d)):
        art[key].set_text(text)


def paths():
    return Experiment(
        "Batch size and learning rate: the path of descent on the contours of the loss",
        [dropdown("batch_size", PATH_BATCHES, 5, label="batch size B", static=(1, 5, 50)),
         slider("lr", 0.1, 1.0, 0.1, 0.3, label="learning rate α", static=(0.1, 0.3, 0.6, 0.9))],
        paths_compute, paths_draw, figsize=(9, 4), update=paths_update, warm=True,
        alt="Left: contour lines of the loss of a line y = w x + b over the weight w and the bias b, the "
            "path of descent with the chosen batch size and the full-batch path. Right: the loss on all "
            "the data after each update for both")


def slides_paths_draw(runs, fig):
    """The slides' three figures side by side: one contour panel per run of ``paths_compute``."""
    axes = fig.subplots(1, len(runs))
    for ax, d, colour in zip(axes, runs, (plots.OKABE_ITO[0], plots.OKABE_ITO[5], plots.OKABE_ITO[1])):
        contour_panel(ax, d)
        ax.plot(*d["path"].T, "-o", color=colour, lw=1, ms=2.5)
        ax.set_title(f"{path_name(d['batch_size'])}\n{PATH_STEPS} updates, α = {d['lr']:g}", fontsize=10)
    for ax in axes[1:]:
        ax.set_ylabel("")
    return axes


# ---------------------------------------------------------------- epochs and iterations
def epoch_diagram_draw(n, batch_size, epochs, ax, rng):
    """The slides' epoch-vs-iteration figure, from ``nnlab.train.batches``: one row per epoch, the
    n samples in the shuffled order, one coloured block per batch (= one iteration)."""
    iteration = 0
    for epoch in range(epochs):
        start = 0
        for k, idx in enumerate(batches(n, batch_size, rng)):
            colour = plots.OKABE_ITO[k % 2 * 4]
            row = -1.5 * epoch
            ax.add_patch(Rectangle((start, row - 0.4), len(idx), 0.8, facecolor=colour, alpha=0.35,
                                   edgecolor="black", lw=1))
            for j, sample in enumerate(idx):
                ax.text(start + j + 0.5, row, str(sample), ha="center", va="center", fontsize=9)
            iteration += 1
            ax.text(start + len(idx) / 2, row + 0.5, f"iteration {iteration} (B = {len(idx)})", ha="center",
                    va="bottom", fontsize=9)
            start += len(idx)
    ax.set_xlim(0, n)
    ax.set_ylim(-1.5 * (epochs - 1) - 0.6, 1.0)
    ax.set_yticks([-1.5 * e for e in range(epochs)], labels=[f"epoch {e + 1}" for e in range(epochs)])
    ax.set_xticks([0, n], labels=["0", f"N = {n}"])
    ax.set_xlabel("samples, in the order of the epoch's shuffle (the number is the sample's index)")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return ax


# ---------------------------------------------------------------- 2. the race: batch size against epochs and time
RACE_N = 500
RACE_BATCHES = (1, 8, 32, None)     # None: the full batch
SGD_UPDATES = 500                   # the time budget: what SGD needs for this many updates (one epoch)
RACE_POINTS = 40                    # the loss on all N is recorded about this often per run
PER_SAMPLE = 0.2e-6                 # the cost model: seconds per sample ...
OVERHEADS = (0, 50, 500)            # ... plus a fixed cost per update, in microseconds
RACE_LIMITS = (0.02, 20)
EPOCH_LIMITS = (0.01, 300)


def full_loss_every(X, y, k):
    """A ``fit`` callback: the loss on all of X after every k-th update (None after the others)."""
    loss = BinaryCrossEntropy()
    return lambda model, step: evaluate(model, loss, X, y)[0] if step % k == 0 else None


def recorded(history, loss0, n, seconds, budget):
    """The losses a ``full_loss_every`` callback recorded in a ``fit`` run, up to the time ``budget``:
    a dict of arrays 'evals' (samples seen: per-sample gradient evaluations), 'iterations' (updates),
    'epochs' (evals / n), 'seconds' (``seconds[i]``: the time after update i) and 'loss', each
    starting with the state before training (0, 0, 0, 0, loss0)."""
    steps = [i for i, value in enumerate(history.logs) if value is not None and seconds[i] <= budget * (1 + 1e-9)]
    evals = np.array([0] + [history.samples[i] for i in steps], dtype=float)
    return {"evals": evals, "iterations": np.array([0] + [i + 1 for i in steps], dtype=float),
            "epochs": evals / n, "seconds": np.array([0.0] + [seconds[i] for i in steps]),
            "loss": np.array([loss0] + [history.logs[i] for i in steps])}


def race_name(batch_size, n=RACE_N):
    if batch_size is None:
        return f"batch (B = N = {n})"
    return "stochastic (B = 1)" if batch_size == 1 else f"mini-batch (B = {batch_size})"


def race_compute(log10_lr=-0.5, overhead=50, n=RACE_N):
    """Train the 2-8-1 network of chapter 7 on n moons points, from the same initial weights, once
    per batch size of RACE_BATCHES, at learning rate 10**log10_lr, for the same time: the time that
    SGD_UPDATES stochastic updates take in the cost model (``overhead`` microseconds per update plus
    PER_SAMPLE seconds per sample, ``sgd_tools.modeled_seconds``).

    Returns {'lr', 'overhead', 'n', 'budget' (s), 'loss0', 'runs': {batch size: ``recorded`` dict plus
    its 'history' (of ``fit``, trained for whole epochs, a little past the budget), 'per_epoch'
    (iterations per epoch) and 'updates' (made within the budget)}}.
    """
    number("log10_lr", log10_lr, low=-6, high=4)
    number("overhead", overhead, low=0)
    number("n", n, low=SGD_UPDATES, integer=True)
    lr = float(10.0 ** log10_lr)
    per_update = overhead * 1e-6
    budget = SGD_UPDATES * (per_update + PER_SAMPLE)
    X, y = make_data("moons", n)
    loss0 = evaluate(make_network(), BinaryCrossEntropy(), X, y)[0]
    runs = {}
    for batch_size in RACE_BATCHES:
        B = batch_size or n
        per_epoch = math.ceil(n / B)
        epoch_cost = per_epoch * per_update + n * PER_SAMPLE                  # one epoch in the cost model
        epochs = max(1, math.ceil(budget / epoch_cost * (1 - 1e-9)))          # enough epochs to fill the budget
        updates = int(budget * (1 + 1e-9) // (per_update + PER_SAMPLE * B))   # about: the last batch is smaller
        history = fit(make_network(), X, y, loss="bce", lr=lr, epochs=epochs,
                      batch_size=batch_size, rng=np.random.default_rng(ORDER_SEED),
                      callback=full_loss_every(X, y, max(1, updates // RACE_POINTS)))
        seconds = sgd_tools.modeled_seconds(history.samples, per_update, PER_SAMPLE)
        runs[batch_size] = {**recorded(history, loss0, n, seconds, budget), "history": history,
                            "per_epoch": per_epoch,
                            "updates": int(np.sum(seconds <= budget * (1 + 1e-9)))}
    return {"lr": lr, "overhead": overhead, "n": n, "budget": budget, "loss0": loss0, "runs": runs}


def _race_labels(d):
    labels = []
    for batch_size, run in d["runs"].items():
        epochs = run["history"].samples[run["updates"] - 1] / d["n"] if run["updates"] else 0
        labels.append(f"{race_name(batch_size, d['n'])}: {run['updates']} update{'' if run['updates'] == 1 else 's'}"
                      f" = {epochs:.3g} epoch{'' if epochs == 1 else 's'}")
    return labels


def _race_title(d):
    return (f"α = {d['lr']:.3g}. Every batch size trains for the same time: {d['budget'] * 1e3:.3g} ms in a cost model "
            f"of {d['overhead']:g} µs per update + {PER_SAMPLE * 1e6:g} µs per sample")


RACE_STYLES = [dict(color=plots.OKABE_ITO[5], lw=1.2), dict(color=plots.OKABE_ITO[1], ls="--", lw=1.5),
               dict(color=plots.OKABE_ITO[2], ls="-.", lw=1.5), dict(color=plots.OKABE_ITO[0], marker="o", ms=3, lw=2)]


def _time_share(d, run):
    return 100 * run["seconds"] / d["budget"]


def race_draw(d, fig):
    ax_ep, ax_t = fig.subplots(1, 2, sharey=True)
    art = {"by_epochs": [], "by_time": []}
    for run, label, style in zip(d["runs"].values(), _race_labels(d), RACE_STYLES):
        art["by_epochs"].append(ax_ep.plot(run["epochs"][1:], run["loss"][1:], **style)[0])
        art["by_time"].append(ax_t.plot(_time_share(d, run), run["loss"], label=label, **style)[0])
    for ax in (ax_ep, ax_t):
        ax.axhline(d["loss0"], color="0.5", ls=":", lw=1)
    ax_ep.text(0.012, d["loss0"] * 1.04, "loss before training", fontsize=9, color="0.4", va="bottom")
    ax_ep.set_yscale("log")
    ax_ep.set_ylim(*RACE_LIMITS)
    ticks = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10]
    ax_ep.set_yticks(ticks, labels=[f"{t:g}" for t in ticks])
    ax_ep.yaxis.set_minor_locator(NullLocator())
    ax_ep.set_xscale("log")
    ax_ep.set_xlim(*EPOCH_LIMITS)
    ax_ep.set_xticks([0.01, 0.1, 1, 10, 100], labels=["0.01", "0.1", "1", "10", "100"])
    ax_ep.xaxis.set_minor_locator(NullLocator())
    ax_ep.set_xlabel(f"epochs (per-sample gradient evaluations / N; log scale)")
    ax_ep.set_ylabel(f"training loss on all N = {d['n']} samples (log scale)")
    ax_t.set_xlim(0, 100)
    ax_t.set_xticks([0, 25, 50, 75, 100])
    ax_t.set_xlabel("time of the cost model (% of the budget)")
    art["legend"] = ax_t.legend(fontsize=9, loc="lower left")
    art["title"] = fig.suptitle(_race_title(d), fontsize=10)
    return art


def race_update(d, art):
    for run, by_epochs, by_time, text, label in zip(d["runs"].values(), art["by_epochs"], art["by_time"],
                                                    art["legend"].get_texts(), _race_labels(d)):
        by_epochs.set_data(run["epochs"][1:], run["loss"][1:])
        by_time.set_data(_time_share(d, run), run["loss"])
        text.set_text(label)
    art["title"].set_text(_race_title(d))


def race():
    return Experiment(
        "Batch size: the loss against epochs and against time, on the same time budget (a cost model)",
        [slider("log10_lr", -1.0, 0.5, 0.5, -0.5, label="log10 learning rate"),
         dropdown("overhead", OVERHEADS, 50, label="fixed cost per update (µs)")],
        race_compute, race_draw, figsize=(9.5, 4.2), update=race_update, warm=True,
        alt="Training loss of a 2-8-1 network trained with batch sizes 1, 8, 32 and 500 for the same "
            "modeled time, against epochs (left, log scale) and against the share of the time budget (right)")


EXPERIMENTS = {"paths": paths, "race": race}
