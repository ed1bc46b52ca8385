"""Chapter 7 experiments: the learning rate on a real network. (Full-batch descent, mini-batches and SGD
are raced against each other in chapter 14, ``ch14_gradient_descent_variants``.)"""
import numpy as np
from matplotlib.ticker import NullLocator

from .. import data
from ..viz import plots
from ..experiment import Experiment, dropdown, slider
from ..layers import mlp
from ..losses import BinaryCrossEntropy
from ..train import evaluate, fit
from .._checks import choice, number

HIDDEN = 8            # units in the one hidden layer of every network here
DATA_SEED, INIT_SEED, ORDER_SEED = 7, 1, 2
DATASETS = {"moons": lambda n, rng: data.moons(n, noise=0.15, rng=rng),
            "circles": lambda n, rng: data.circles(n, noise=0.08, rng=rng, factor=0.5)}


def make_data(dataset, n):
    """The chapter's 2-D data set: X (n, 2), y (n,) in {0, 1}."""
    choice("dataset", dataset, DATASETS)
    number("n", n, low=4, integer=True)
    return DATASETS[dataset](n, np.random.default_rng(DATA_SEED))


def make_network():
    """A 2-8-1 network (tanh hidden, sigmoid output) with fixed initial weights."""
    return mlp([2, HIDDEN, 1], rng=np.random.default_rng(INIT_SEED), activation="tanh",
               output_activation="sigmoid")


# ---------------------------------------------------------------- 1. learning-rate explorer
LR_EPOCHS, LR_N = 200, 200
# fixed loss axis, the same in every frame: the mean cross-entropy never exceeds -ln(1e-12) = 27.6
LOSS_LIMITS = (1e-3, 30)
LOSS_TICKS = (1e-3, 1e-2, 1e-1, 1, 10)
# one window that holds every point of both data sets, shaded on a grid of REGION_STEPS x REGION_STEPS
REGION = (-1.7, 2.6, -1.5, 1.7)       # x1 from, to; x2 from, to
REGION_STEPS = 150


def lr_explorer_compute(dataset="moons", log10_lr=0.0, epochs=LR_EPOCHS, n=LR_N):
    """Full-batch gradient descent with learning rate 10**log10_lr on a 2-8-1 network.

    Returns a dict: 'lr', 'X', 'y', 'model' (trained), 'history' (the History of ``fit``; its
    train_loss holds the loss after each epoch), 'loss0' (loss before training), 'accuracy' (on the
    training data, after training), 'grid' (the trained network's output 'p', shape (len(x2), len(x1)),
    on the grid of ``plots.region_grid`` with axes 'x1' and 'x2').
    """
    number("log10_lr", log10_lr, low=-6, high=4)
    lr = float(10.0 ** log10_lr)
    X, y = make_data(dataset, n)
    model = make_network()
    loss0 = evaluate(model, BinaryCrossEntropy(), X, y)[0]
    history = fit(model, X, y, loss="bce", lr=lr, epochs=epochs, batch_size=None,
                  rng=np.random.default_rng(ORDER_SEED))
    points, x1, x2 = plots.region_grid(REGION, REGION_STEPS)
    grid = plots.output_grid(model(points), x1, x2)
    return {"lr": lr, "X": X, "y": y, "model": model, "history": history, "loss0": loss0,
            "accuracy": history.train_acc[-1], "dataset": dataset, "grid": grid}


def _lr_titles(d):
    """The titles of the two charts."""
    loss = np.asarray(d["history"].train_loss)
    final = loss[-1] if len(loss) else d["loss0"]
    below = "; ▼ below the chart" if np.any(loss < LOSS_LIMITS[0]) else ""
    return (f"learning rate η = {d['lr']:.3g}: final loss {final:.3g}{below}",
            f"decision boundary after training (accuracy {d['accuracy']:.0%})")


def _below_chart(d):
    """Epochs (and the chart's floor) where the loss is below the fixed loss axis."""
    epochs = np.flatnonzero(np.asarray(d["history"].train_loss) < LOSS_LIMITS[0]) + 1
    return epochs, np.full(len(epochs), LOSS_LIMITS[0])


def lr_explorer_draw(d, fig):
    ax_loss, ax_db = fig.subplots(1, 2)
    history = d["history"]
    epochs = np.arange(1, history.epochs + 1)
    loss_title, db_title = _lr_titles(d)
    art = {"loss": ax_loss.plot(epochs, history.train_loss, color=plots.OKABE_ITO[0], label="training")[0],
           "start": ax_loss.axhline(d["loss0"], color="0.5", ls=":", lw=1, label="loss before training"),
           "below": ax_loss.plot(*_below_chart(d), "v", color=plots.OKABE_ITO[5], ms=5, clip_on=False)[0],
           "loss_title": ax_loss.set_title(loss_title, fontsize=9)}
    ax_loss.set_yscale("log")
    ax_loss.set_ylim(*LOSS_LIMITS)
    ax_loss.set_yticks(LOSS_TICKS, labels=[f"{t:g}" for t in LOSS_TICKS])
    ax_loss.yaxis.set_minor_locator(NullLocator())
    ax_loss.set_xlim(0, len(epochs) + 1)
    ax_loss.set_xticks(np.arange(0, len(epochs) + 1, 100))
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss (cross-entropy, log scale)")
    ax_loss.legend(loc="lower left", fontsize=9)

    grid = d["grid"]
    art.update(plots.decision_regions(ax_db, grid, REGION, [-1, 0, 1, 2], [-1, 0, 1]))
    X, y = d["X"], d["y"]
    art["points"] = [ax_db.scatter(X[y == k, 0], X[y == k, 1], s=18, alpha=0.8, c=plots.OKABE_ITO[k],
                                   marker=plots.MARKERS[k], edgecolors="white", linewidths=0.4, label=f"class {k}")
                     for k in (0, 1)]
    art["db_title"] = ax_db.set_title(db_title, fontsize=9)
    ax_db.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)   # beside the chart, off the data
    return art


def lr_explorer_update(d, art):
    art["loss"].set_ydata(d["history"].train_loss)
    art["start"].set_ydata([d["loss0"], d["loss0"]])
    art["below"].set_data(*_below_chart(d))
    plots.set_decision_regions(art, d["grid"])
    for k, points in enumerate(art["points"]):
        points.set_offsets(d["X"][d["y"] == k])
    for key, title in zip(("loss_title", "db_title"), _lr_titles(d)):
        art[key].set_text(title)


def lr_explorer():
    return Experiment(
        "The learning rate on a 2-8-1 network (full-batch gradient descent, 200 epochs)",
        [dropdown("dataset", ["moons", "circles"], "moons"),
         slider("log10_lr", -3.0, 2.0, 0.25, 0.0, label="log10 learning rate",
                static=tuple(np.round(np.arange(-3.0, 2.01, 0.5), 2)))],
        lr_explorer_compute, lr_explorer_draw, figsize=(9, 3.8), update=lr_explorer_update, warm=True,
        alt="Left: training loss against epoch on a log scale. Right: the data and the network's "
            "decision regions after training")


# ---------------------------------------------------------------- 2. the slides' learning-rate effect
LR_EFFECT = {"very high": 3.0, "high": 1.0, "good": 0.1, "low": 0.003}


def lr_effect_compute(rates=None, epochs=20, n=200):
    """SGD (one sample per step) on the 2-8-1 network and n moons points, one run per learning rate.

    Returns {name: (lr, loss)}; loss (epochs + 1,) is the loss on all n points before training
    (entry 0) and after each epoch.
    """
    X, y = make_data("moons", n)
    out = {}
    for name, lr in (LR_EFFECT if rates is None else rates).items():
        model = make_network()
        loss0 = evaluate(model, BinaryCrossEntropy(), X, y)[0]
        history = fit(model, X, y, loss="bce", lr=lr, epochs=epochs, batch_size=1, rng=np.random.default_rng(0))
        out[name] = (lr, np.array([loss0] + history.train_loss))
    return out


def lr_effect_facts(loss):
    """Yes/no facts about one loss curve (entry 0 = before training) that a chaotic run keeps when its
    initial weights change in their last digits:
    does the median of its last half stay above the start, does it ever get below 0.1, does it ever
    more than double from one epoch to the next, does it fall in every epoch."""
    loss = np.asarray(loss, dtype=float)
    return {"ends above the start": bool(np.median(loss[-(len(loss) // 2):]) > loss[0]),
            "gets below 0.1": bool(loss.min() < 0.1),
            "more than doubles": bool(np.any(loss[1:] > 2 * loss[:-1])),
            "falls every epoch": bool(np.all(np.diff(loss) < 0))}


def lr_effect_draw(d, ax):
    """Loss against epoch (log scale) for every run of ``lr_effect_compute``."""
    styles = zip([plots.OKABE_ITO[5], plots.OKABE_ITO[1], plots.OKABE_ITO[2], plots.OKABE_ITO[0]],
                 ["-", "--", "-", ":"])
    for (name, (lr, loss)), (colour, style) in zip(d.items(), styles):
        ax.plot(np.arange(len(loss)), loss, style, color=colour, lw=2, label=f"{name} learning rate (η = {lr:g})")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (cross-entropy, log scale)")
    ax.set_xticks(range(0, len(loss), 5))
    ax.legend(fontsize=9)
    return ax


EXPERIMENTS = {"lr_explorer": lr_explorer}
