"""Chapter 11 experiments: a network that overfits 40 noisy moons points, tamed by a weight penalty
(L2, L1 by its subgradient or by proximal steps, elastic net; lambda on a log scale) and by early
stopping with patience. The module also computes the chapter's version of the slides' early-stopping
figure and the sweep of lambda."""
import numpy as np
from matplotlib.ticker import NullLocator

from .. import data
from .._checks import choice, number
from ..experiment import Experiment, dropdown, slider, toggle
from ..layers import mlp
from ..losses import BinaryCrossEntropy
from ..regularizers import L1, L2, ElasticNet
from ..topics.regularization import proximal, weight_counts
from ..train import EarlyStopping, evaluate, fit, penalty
from ..viz import plots

# ---------------------------------------------------------------- the overfitting set-up
N_TRAIN, N_VAL = 40, 200
NOISE = 0.3
DATA_SEED, SPLIT_SEED, INIT_SEED, ORDER_SEED = 3, 4, 1, 2
LAYERS = [2, 32, 32, 1]          # two hidden layers of 32 tanh units: 1,120 weights for 40 points
LR = 0.15                         # plain full-batch gradient descent
EPOCHS = 600


def make_data():
    """40 training and 200 validation points of the noisy moons: X_train, y_train, X_val, y_val."""
    X, y = data.moons(N_TRAIN + N_VAL, noise=NOISE, rng=np.random.default_rng(DATA_SEED))
    return data.train_val_split(X, y, val_fraction=N_VAL / (N_TRAIN + N_VAL), rng=np.random.default_rng(SPLIT_SEED))


def make_network():
    """A 2-32-32-1 network (tanh hidden, sigmoid output) with fixed initial weights."""
    return mlp(LAYERS, rng=np.random.default_rng(INIT_SEED), activation="tanh", output_activation="sigmoid")


PENALTIES = {"none": None, "L2": L2, "L1": L1, "L1, proximal steps": L1, "elastic net (β = 1)": ElasticNet}


def make_penalty(name, lam):
    """The regularizer of one of PENALTIES' names with strength lam (None for 'none')."""
    cls = PENALTIES[choice("penalty", name, PENALTIES)]
    return None if cls is None else cls(lam)


def train(name="none", lam=0.0, epochs=EPOCHS, early_stopping=None):
    """Train the 2-32-32-1 network on the 40 points by full-batch gradient descent (learning rate LR)
    with the penalty ``name`` of strength lam: through fit's regularizer= (the penalty's gradient, or
    subgradient, added to each weight's gradient), or for 'L1, proximal steps' by a soft-thresholding
    step after each plain gradient step. early_stopping: None or an EarlyStopping, passed to fit.

    Returns (model, history, curves); curves holds the data losses per epoch, without the penalty:
    'train', 'val' (mean cross-entropy) and 'train_acc', 'val_acc'.
    """
    reg = make_penalty(name, lam)
    X, y, X_val, y_val = make_data()
    model = make_network()
    if name == "L1, proximal steps":
        record, regularizer = proximal(reg, LR), None
    else:
        record, regularizer = (lambda m, step: penalty(m, reg)), reg
    history = fit(model, X, y, loss="bce", lr=LR, epochs=epochs, batch_size=None, rng=np.random.default_rng(ORDER_SEED),
                  X_val=X_val, y_val=y_val, regularizer=regularizer, callback=record, early_stopping=early_stopping)
    charged = np.asarray(history.logs) if regularizer is not None else 0.0   # lam R(W) inside fit's losses
    curves = {"train": np.asarray(history.train_loss) - charged, "val": np.asarray(history.val_loss) - charged,
              "train_acc": np.asarray(history.train_acc), "val_acc": np.asarray(history.val_acc)}
    return model, history, curves


# ---------------------------------------------------------------- the window of the input plane
REGION = (-2.0, 3.0, -1.6, 2.0)    # x1 from, to; x2 from, to: holds every point of the data
REGION_STEPS = 120


def output_grid(model):
    """The network's output p on ``plots.region_grid(REGION, REGION_STEPS)``: {'x1', 'x2', 'p' (len(x2), len(x1))}."""
    points, x1, x2 = plots.region_grid(REGION, REGION_STEPS)
    return plots.output_grid(model(points), x1, x2)


def _regions(ax, d):
    """Draw the decision regions, the boundary and the 40 training points; return the changing artists."""
    art = plots.decision_regions(ax, d["grid"], REGION, [-1, 0, 1, 2], [-1, 0, 1])
    X, y = d["X"], d["y"]
    for k in (0, 1):
        ax.scatter(X[y == k, 0], X[y == k, 1], s=22, c=plots.OKABE_ITO[k], marker=plots.MARKERS[k],
                   edgecolors="white", linewidths=0.5, label=f"class {k} (training)", zorder=3)
    return art


LOSS_LIMITS = (0.0, 1.0)         # the loss axes of every frame


def _loss_axes(ax, epochs):
    ax.set_ylim(*LOSS_LIMITS)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_xlim(0, epochs)
    ax.set_xticks(np.linspace(0, epochs, 4 if epochs % 3 == 0 else 5))
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean cross-entropy (no penalty)")


# ---------------------------------------------------------------- 1. penalty type x lambda
LAMBDAS = tuple(np.round(np.arange(-4.0, -0.99, 0.5), 2))        # log10 lambda
NEAR_ZERO = 1e-3
BIN_EDGES = np.arange(-7.0, 1.01, 0.25)                          # log10 |w|
ZERO_AT = -8.0                                                   # where the bar of exact zeros stands


def weight_histogram(model):
    """Counts of log10|w| over BIN_EDGES (the weights below 1e-7 but not 0 go in the first bin, above
    10 in the last) and the count of weights that are exactly 0: (counts (len(BIN_EDGES) - 1,), zeros)."""
    W = np.concatenate([p.ravel() for _, name, p, _ in model.parameters() if name == "W"])
    nonzero = np.abs(W[W != 0])
    logs = np.clip(np.log10(nonzero), BIN_EDGES[0], BIN_EDGES[-1] - 1e-9)
    return np.histogram(logs, bins=BIN_EDGES)[0], int(np.sum(W == 0))


def penalty_explorer_compute(penalty="L2", log10_lam=-2.0, epochs=EPOCHS):
    """Train with one penalty at lambda = 10**log10_lam (see ``train``).

    Returns a dict: 'penalty', 'lam', 'X', 'y' (training data), 'model', 'curves' (data losses per
    epoch, see ``train``), 'grid' (the network's output on the input plane), 'hist' (weight_histogram's
    counts), 'zeros' (weights exactly 0), 'counts' (weight_counts with near=NEAR_ZERO).
    """
    number("log10_lam", log10_lam, low=-8, high=2)
    lam = float(10.0 ** log10_lam) if penalty != "none" else 0.0
    model, history, curves = train(penalty, lam, epochs)
    X, y, _, _ = make_data()
    hist, zeros = weight_histogram(model)
    return {"penalty": penalty, "lam": lam, "X": X, "y": y, "model": model, "curves": curves,
            "grid": output_grid(model), "hist": hist, "zeros": zeros,
            "counts": weight_counts(model, near=NEAR_ZERO)}


def _explorer_titles(d):
    c = d["curves"]
    best = int(np.argmin(c["val"]))
    name = "no penalty" if d["penalty"] == "none" else f"{d['penalty']}, λ = {d['lam']:.2g}"
    counts = d["counts"]
    return (f"{name}\naccuracy {c['train_acc'][-1]:.0%} training, {c['val_acc'][-1]:.0%} validation",
            f"validation loss: lowest {c['val'][best]:.3f} (epoch {best + 1})\nafter the last epoch {c['val'][-1]:.3f}",
            f"{counts['weights']} weights: {counts['zero']} exactly 0,\n{counts['near_zero']} with |w| < 0.001")


def penalty_explorer_draw(d, fig):
    ax_db, ax_loss, ax_w = fig.subplots(1, 3, width_ratios=[1, 1.1, 1.1])
    art = _regions(ax_db, d)
    titles = _explorer_titles(d)
    art["db_title"] = ax_db.set_title(titles[0], fontsize=9)
    c = d["curves"]
    epochs = np.arange(1, len(c["train"]) + 1)
    art["train"] = ax_loss.plot(epochs, c["train"], color=plots.OKABE_ITO[0], lw=1.5, label="training")[0]
    art["val"] = ax_loss.plot(epochs, c["val"], color=plots.OKABE_ITO[1], lw=1.5, ls="--", label="validation")[0]
    _loss_axes(ax_loss, len(epochs))
    art["loss_title"] = ax_loss.set_title(titles[1], fontsize=9)

    centres = (BIN_EDGES[:-1] + BIN_EDGES[1:]) / 2
    art["bars"] = ax_w.bar(centres, d["hist"], width=0.22, color=plots.OKABE_ITO[4], label="|w| > 0")
    art["zero_bar"] = ax_w.bar([ZERO_AT], [d["zeros"]], width=0.6, color=plots.OKABE_ITO[5], label="w = 0 exactly")
    ax_w.axvline(np.log10(NEAR_ZERO), color="0.4", ls=":", lw=1)
    ax_w.set_yscale("symlog", linthresh=1)
    ax_w.set_ylim(0, 2000)
    ax_w.set_yticks([0, 1, 10, 100, 1000], labels=["0", "1", "10", "100", "1000"])
    ax_w.yaxis.set_minor_locator(NullLocator())
    ax_w.set_xlim(ZERO_AT - 0.6, BIN_EDGES[-1])
    ax_w.set_xticks([ZERO_AT, -6, -4, -3, -2, 0], labels=["0", "$10^{-6}$", "$10^{-4}$", "$10^{-3}$", "$10^{-2}$", "1"])
    ax_w.set_xlabel("|w| (log scale; weights, not biases)")
    ax_w.set_ylabel("number of weights")
    art["w_title"] = ax_w.set_title(titles[2], fontsize=9)
    _legend_below(fig, [ax_db, ax_loss, ax_w], ncols=6)
    return art


def _legend_below(fig, axes, ncols):
    """One legend for the whole figure, below the charts (off everything that changes)."""
    handles, labels = [], []
    for ax in axes:
        h, lab = ax.get_legend_handles_labels()
        handles += h
        labels += lab
    fig.legend(handles, labels, loc="outside lower center", ncols=ncols, fontsize=9, frameon=False)


def penalty_explorer_update(d, art):
    plots.set_decision_regions(art, d["grid"])
    art["train"].set_ydata(d["curves"]["train"])
    art["val"].set_ydata(d["curves"]["val"])
    for bar, h in zip(art["bars"], d["hist"]):
        bar.set_height(h)
    art["zero_bar"][0].set_height(d["zeros"])
    for key, title in zip(("db_title", "loss_title", "w_title"), _explorer_titles(d)):
        art[key].set_text(title)


def penalty_explorer_applies(penalty, log10_lam):
    return ["penalty"] if penalty == "none" else ["penalty", "log10_lam"]


def penalty_explorer():
    return Experiment(
        f"A weight penalty on an overfitting 2-32-32-1 network (40 training points, {EPOCHS} epochs)",
        [dropdown("penalty", list(PENALTIES), "L2"),
         slider("log10_lam", LAMBDAS[0], LAMBDAS[-1], 0.5, -2.0, label="log10 λ", static=LAMBDAS)],
        penalty_explorer_compute, penalty_explorer_draw, figsize=(12, 4.2), update=penalty_explorer_update,
        applies=penalty_explorer_applies, warm=True,
        alt="Left: the training points and the network's decision regions. Middle: training and validation "
            "loss against epoch. Right: histogram of the sizes of the weights, with the exact zeros apart")


# ---------------------------------------------------------------- the sweep of lambda (a chapter figure)
def lambda_sweep_compute(name="L2", log10_lams=LAMBDAS, epochs=EPOCHS):
    """Final training and validation data loss, and the lowest validation loss along the way, for each
    lambda: {'lam' (k,), 'train' (k,), 'val' (k,), 'best_val' (k,)}; plus the run without penalty
    under 'none' (train, val, best_val)."""
    out = {"lam": 10.0 ** np.asarray(log10_lams, dtype=float), "train": [], "val": [], "best_val": []}
    for lam in out["lam"]:
        _, _, c = train(name, float(lam), epochs)
        out["train"].append(c["train"][-1])
        out["val"].append(c["val"][-1])
        out["best_val"].append(c["val"].min())
    _, _, c = train("none", 0.0, epochs)
    out["none"] = {"train": c["train"][-1], "val": c["val"][-1], "best_val": c["val"].min()}
    return {k: np.asarray(v) if isinstance(v, list) else v for k, v in out.items()}


# ---------------------------------------------------------------- 2. early stopping with patience
ES_BATCH = 10                    # mini-batches of 10: the validation loss wiggles from epoch to epoch
ES_LR = 0.1
ES_EPOCHS = 300
PATIENCES = (1, 2, 5, 10, 20, 50, 100)


def es_train(early_stopping=None, epochs=ES_EPOCHS):
    """The 2-32-32-1 network trained on the 40 points by mini-batch SGD (batches of ES_BATCH,
    learning rate ES_LR), watched on the 200 validation points: (model, history)."""
    X, y, X_val, y_val = make_data()
    model = make_network()
    history = fit(model, X, y, loss="bce", lr=ES_LR, epochs=epochs, batch_size=ES_BATCH,
                  rng=np.random.default_rng(ORDER_SEED), X_val=X_val, y_val=y_val, early_stopping=early_stopping)
    return model, history


def early_stopping_compute(patience=10, restore_best=True, epochs=ES_EPOCHS):
    """One run with EarlyStopping(patience, restore_best) and, for comparison, the same run without it.

    Returns a dict: 'patience', 'restore_best', 'X', 'y', 'history' (the stopped run), 'full' (the
    History of the run that never stops), 'kept' (validation loss and accuracy of the model that
    training returned), 'grid' (its output on the input plane), 'best' and 'stopped' (epochs,
    counted from 1; stopped None if it never stopped).
    """
    model, history = es_train(EarlyStopping(patience, restore_best=restore_best), epochs)
    _, full = es_train(None, epochs)
    X, y, X_val, y_val = make_data()
    val_loss, val_acc = evaluate(model, BinaryCrossEntropy(), X_val, y_val)
    stopped = None if history.stopped_epoch is None else history.stopped_epoch + 1
    return {"patience": patience, "restore_best": restore_best, "X": X, "y": y, "history": history, "full": full,
            "kept": {"val_loss": val_loss, "val_acc": val_acc}, "grid": output_grid(model),
            "best": history.best_epoch + 1, "stopped": stopped}


def _es_titles(d):
    stop = "never stopped" if d["stopped"] is None else f"stopped after epoch {d['stopped']}"
    which = f"best epoch ({d['best']})" if d["restore_best"] else f"last epoch ({d['history'].epochs})"
    return (f"patience {d['patience']}: {stop}; best epoch {d['best']}",
            f"returned: the weights of the {which}\nvalidation loss {d['kept']['val_loss']:.3f}, "
            f"accuracy {d['kept']['val_acc']:.0%}")


def _es_marks(d):
    stop = d["stopped"] if d["stopped"] is not None else np.nan
    kept_epoch = d["best"] if d["restore_best"] else d["history"].epochs
    return stop, kept_epoch


def early_stopping_draw(d, fig):
    ax_loss, ax_db = fig.subplots(1, 2, width_ratios=[1.3, 1])
    full, history = d["full"], d["history"]
    epochs = np.arange(1, full.epochs + 1)
    ax_loss.plot(epochs, full.train_loss, color="0.75", lw=1, label="without early stopping")
    ax_loss.plot(epochs, full.val_loss, color="0.75", lw=1, ls="--")
    shown = np.arange(1, history.epochs + 1)
    art = {"train": ax_loss.plot(shown, history.train_loss, color=plots.OKABE_ITO[0], lw=1.5, label="training")[0],
           "val": ax_loss.plot(shown, history.val_loss, color=plots.OKABE_ITO[1], lw=1.5, ls="--",
                               label="validation")[0]}
    stop, kept_epoch = _es_marks(d)
    art["best"] = ax_loss.axvline(d["best"], color=plots.OKABE_ITO[2], lw=1.5, ls=":", label="best epoch")
    art["stop"] = ax_loss.axvline(stop, color=plots.OKABE_ITO[5], lw=1.5, label="stopped")
    art["kept"] = ax_loss.plot([kept_epoch], [d["kept"]["val_loss"]], "o", color="black", ms=6,
                               label="the model returned")[0]
    _loss_axes(ax_loss, full.epochs)
    titles = _es_titles(d)
    art["loss_title"] = ax_loss.set_title(titles[0], fontsize=9)
    art.update(_regions(ax_db, d))
    art["db_title"] = ax_db.set_title(titles[1], fontsize=9)
    _legend_below(fig, [ax_loss, ax_db], ncols=4)
    return art


def early_stopping_update(d, art):
    history = d["history"]
    shown = np.arange(1, history.epochs + 1)
    art["train"].set_data(shown, history.train_loss)
    art["val"].set_data(shown, history.val_loss)
    stop, kept_epoch = _es_marks(d)
    art["best"].set_xdata([d["best"], d["best"]])
    art["stop"].set_xdata([stop, stop])
    art["kept"].set_data([kept_epoch], [d["kept"]["val_loss"]])
    plots.set_decision_regions(art, d["grid"])
    for key, title in zip(("loss_title", "db_title"), _es_titles(d)):
        art[key].set_text(title)


def early_stopping():
    return Experiment(
        "Early stopping with patience on the overfitting network (mini-batches of 10, 300 epochs at most)",
        [dropdown("patience", PATIENCES, 10), toggle("restore_best", True, label="restore the best weights")],
        early_stopping_compute, early_stopping_draw, figsize=(10, 4), update=early_stopping_update, warm=True,
        alt="Left: training and validation loss against epoch, with the best epoch and the stopping epoch "
            "marked. Right: the decision regions of the model that training returned")


# ---------------------------------------------------------------- the slides' early-stopping figure
SLIDE_PATIENCE = 20


def slide_figure_compute(patience=SLIDE_PATIENCE, epochs=EPOCHS):
    """The full-batch run without a penalty and without stopping (its History under 'full'), and
    where EarlyStopping(patience) stops the same run: 'best' and 'stopped' (epochs counted from 1)."""
    _, full, _ = train("none", 0.0, epochs)
    _, stopped, _ = train("none", 0.0, epochs, early_stopping=EarlyStopping(patience))
    return {"full": full, "best": stopped.best_epoch + 1, "stopped": stopped.stopped_epoch + 1,
            "patience": patience}


def slide_figure_draw(d, axes):
    """Training and validation loss (left) and error rate (right) against epoch, the stop marked."""
    full = d["full"]
    epochs = np.arange(1, full.epochs + 1)
    curves = [(full.train_loss, full.val_loss, "mean cross-entropy"),
              (1 - np.asarray(full.train_acc), 1 - np.asarray(full.val_acc), "error rate (1 - accuracy)")]
    for ax, (tr, va, label) in zip(axes, curves):
        ax.plot(epochs, tr, color=plots.OKABE_ITO[0], lw=1.5, label="training")
        ax.plot(epochs, va, color=plots.OKABE_ITO[1], lw=1.5, ls="--", label="validation")
        ax.axvline(d["best"], color=plots.OKABE_ITO[2], ls=":", lw=1.5, label=f"best epoch ({d['best']})")
        ax.axvline(d["stopped"], color=plots.OKABE_ITO[5], lw=1.5,
                   label=f"early stopping, patience {d['patience']} (epoch {d['stopped']})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_xlim(0, full.epochs)
    axes[0].set_ylim(0, 1)
    axes[0].legend(fontsize=9, loc="upper left")
    axes[1].set_ylim(0, 0.5)
    return axes


EXPERIMENTS = {"penalty_explorer": penalty_explorer, "early_stopping": early_stopping}
