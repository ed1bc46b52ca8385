"""Chapter 3 experiments: what the perceptron rule does when the classes overlap."""
import numpy as np

from .. import data, params
from ..activations import Linear
from ..layers import Dense, Sequential
from ..losses import SquaredError
from ..topics import descent, perceptron
from ..train import fit
from .._checks import choice, number
from ..experiment import Experiment, dropdown, slider
from ..viz.plots import OKABE_ITO, line_2d, scatter_classes

N_TRAIN, N_TEST, EPOCHS = 100, 1000, 30
DATA_SEED, TRAIN_SEED, TEST_SEED, INIT_SEED = 0, 1, 2, 3


def make_data(kind, noise, n=N_TRAIN, seed=DATA_SEED):
    """'separable' (separable_blobs) or 'overlapping' (overlapping_blobs) with the given noise -> X, y."""
    choice("kind", kind, ("separable", "overlapping"))
    maker = data.separable_blobs if kind == "separable" else data.overlapping_blobs
    return maker(n, noise=noise, rng=np.random.default_rng(seed))


def start_weights(init):
    """The starting point: 'zero' or 'random' (a fixed draw, w0 ~ N(0, 1.5^2) per entry) -> (w0 (2,), b0)."""
    choice("init", init, ("zero", "random"))
    if init == "zero":
        return np.zeros(2), 0.0
    v = 1.5 * np.random.default_rng(INIT_SEED).normal(size=3)
    return v[:2], float(v[2])


# ---------------------------------------------------------------------------------------------
# Experiment 1: separable against overlapping data
# ---------------------------------------------------------------------------------------------
def separable_vs_overlapping_compute(kind="overlapping", noise=0.6, epochs=EPOCHS):
    """Train for ``epochs`` epochs; mistakes per epoch, weights after every update and per epoch."""
    number("noise", noise, low=0, low_open=True)
    X, y = make_data(kind, noise)
    h = perceptron.perceptron_train(X, y, lr=1.0, epochs=epochs, rng=np.random.default_rng(TRAIN_SEED))
    We, Be = h.epoch_weights()
    return {"kind": kind, "noise": noise, "X": X, "y": y, "mistakes": h.mistakes, "W": h.w, "B": h.b,
            "W_epoch": We, "B_epoch": Be, "converged_epoch": h.converged_epoch, "updates": h.updates,
            "epoch_end": h.epoch_end, "train_acc": perceptron.accuracy_of_weights(We, Be, X, y)}


def separable_vs_overlapping_draw(d, fig):
    ax, axm, axw = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.1, 1, 1]})
    X, y = d["X"], d["y"]
    scatter_classes(X, y, ax, s=14)
    ax.set_xlim(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5)
    ax.set_ylim(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5)
    for w, b in zip(d["W_epoch"][-6:-1], d["B_epoch"][-6:-1]):
        if np.any(w != 0):
            line_2d(w, b, ax, color="0.6", lw=0.8)
    ax.plot([], [], color="0.6", lw=0.8, label="lines of the 5\nepochs before")
    line_2d(d["W_epoch"][-1], d["B_epoch"][-1], ax, color="black", lw=2, label="final line")
    ax.legend(loc="lower right", fontsize=9)
    done = (f"converged in epoch {d['converged_epoch'] + 1}" if d["converged_epoch"] is not None
            else "never converged")
    ax.set_title(f"{d['kind']}, noise {d['noise']:g}: {done}", fontsize=9)

    epochs = np.arange(1, len(d["mistakes"]) + 1)
    axm.bar(epochs, d["mistakes"], color=OKABE_ITO[5], width=0.8)
    axm.set_xlabel("epoch")
    axm.set_ylabel(f"mistakes in the epoch (of {len(X)})")
    axm.set_ylim(0, max(5, d["mistakes"].max() * 1.15))
    if d["converged_epoch"] is not None:
        axm.text(0.97, 0.95, "0 mistakes from here on:\nthe rule has stopped", transform=axm.transAxes,
                 ha="right", va="top", fontsize=9)
    axm.set_title(f"{d['updates']} updates in all", fontsize=9)

    k = np.arange(len(d["B"]))
    axw.plot(k, d["W"][:, 0], color=OKABE_ITO[0], lw=1, label="$w_1$")
    axw.plot(k, d["W"][:, 1], color=OKABE_ITO[1], lw=1, label="$w_2$")
    axw.plot(k, d["B"], color=OKABE_ITO[2], lw=1, label="$b$")
    axw.set_xlabel("update number")
    axw.set_ylabel("weight value")
    axw.set_title("the weights over the updates", fontsize=9)
    axw.legend(loc="best", fontsize=9)


def separable_vs_overlapping():
    return Experiment(
        "Separable versus overlapping classes: does the rule stop?",
        [dropdown("kind", ("separable", "overlapping"), "overlapping", label="data"),
         slider("noise", 0.2, 1.5, 0.1, 0.6, label="noise (spread of each class)", static=(0.3, 0.6, 0.9, 1.2))],
        separable_vs_overlapping_compute, separable_vs_overlapping_draw, figsize=(10, 3.5),
        alt="Left: 100 points of two classes with the perceptron's final line and the lines of the "
            "previous five epochs. Middle: mistakes in each of 30 epochs. Right: w1, w2 and b after every update")


# ---------------------------------------------------------------------------------------------
# Experiment 2: training and test accuracy over the epochs
# ---------------------------------------------------------------------------------------------
def accuracy_curves_compute(noise=1.0, lr=1.0, init="zero", epochs=EPOCHS):
    """Training/test accuracy after every update and every epoch, and the pocket's test accuracy."""
    number("noise", noise, low=0, low_open=True)
    X, y = make_data("overlapping", noise)
    Xt, yt = make_data("overlapping", noise, n=N_TEST, seed=TEST_SEED)
    w0, b0 = start_weights(init)
    h = perceptron.perceptron_train(X, y, lr=lr, epochs=epochs, rng=np.random.default_rng(TRAIN_SEED),
                                    w0=w0, b0=b0)
    train_u = perceptron.accuracy_of_weights(h.w, h.b, X, y)          # (U+1,)
    pocket_u = perceptron.pocket(train_u)                               # best-so-far on training data
    end = h.epoch_end
    # the test set is larger: score only the weights that are drawn (first 3 epochs, epoch ends, pocket)
    n_show = end[min(2, len(end) - 1)] + 1
    need = np.unique(np.r_[np.arange(n_show), end, pocket_u[end]])
    test_u = np.full(len(train_u), np.nan)
    test_u[need] = perceptron.accuracy_of_weights(h.w[need], h.b[need], Xt, yt)
    return {"noise": noise, "lr": lr, "init": init, "train_update": train_u[:n_show],
            "test_update": test_u[:n_show], "train_epoch": train_u[end], "test_epoch": test_u[end],
            "pocket_test_epoch": test_u[pocket_u[end]], "epoch_end": end, "updates": h.updates}


def accuracy_curves_draw(d, fig):
    axu, axe = fig.subplots(1, 2)
    n_show = len(d["test_update"])
    k = np.arange(n_show)
    axu.plot(k, d["train_update"][:n_show], color=OKABE_ITO[0], lw=1, label="training")
    axu.plot(k, d["test_update"][:n_show], color=OKABE_ITO[1], lw=1.2, ls="--", label="test")
    for e in d["epoch_end"][:3]:
        if e < n_show:
            axu.axvline(e, color="0.75", lw=0.8)
    axu.set_xlabel("update number (grey lines: end of epochs 1-3)")
    axu.set_ylabel("accuracy")
    axu.set_ylim(0, 1.02)
    axu.set_title(f"after every update, first 3 epochs ({d['init']} start)", fontsize=9)
    axu.legend(loc="lower right", fontsize=9)

    epochs = np.arange(1, len(d["train_epoch"]) + 1)
    axe.plot(epochs, d["train_epoch"], color=OKABE_ITO[0], marker="o", ms=3, lw=1, label="training")
    axe.plot(epochs, d["test_epoch"], color=OKABE_ITO[1], marker="s", ms=3, lw=1, ls="--", label="test")
    axe.plot(epochs, d["pocket_test_epoch"], color=OKABE_ITO[2], lw=2, label="test, pocket weights")
    axe.set_xlabel("epoch")
    axe.set_ylabel("accuracy")
    axe.set_ylim(0, 1.02)
    axe.set_title(rf"after every epoch (noise {d['noise']:g}, $\eta={d['lr']:g}$)", fontsize=9)
    axe.legend(loc="lower right", fontsize=9)


def accuracy_curves():
    return Experiment(
        "Training and test accuracy of the perceptron on overlapping classes",
        [slider("noise", 0.4, 1.6, 0.1, 1.0, label="noise (overlap)", static=(0.6, 1.0, 1.4)),
         dropdown("lr", (0.01, 0.1, 1.0, 10.0), 1.0, label="learning rate η", static=(0.01, 0.1, 1.0)),
         dropdown("init", ("zero", "random"), "zero", label="start weights")],
        accuracy_curves_compute, accuracy_curves_draw, figsize=(9, 3.6),
        alt="Left: training and test accuracy after every perceptron update during the first three "
            "epochs. Right: training and test accuracy after every epoch, and the test accuracy of the "
            "pocket weights")


# ---------------------------------------------------------------------------------------------
# Figures of the chapter text (no controls)
# ---------------------------------------------------------------------------------------------
def seed_average(noise=1.0, n_seeds=40, epochs=EPOCHS):
    """Test accuracy per epoch over n_seeds independent data sets and orders -> dict of (S, E) arrays."""
    last, pocket_acc, first_epoch = [], [], []
    for s in range(n_seeds):
        X, y = data.overlapping_blobs(N_TRAIN, noise=noise, rng=np.random.default_rng(100 + s))
        Xt, yt = data.overlapping_blobs(N_TEST, noise=noise, rng=np.random.default_rng(10_000 + s))
        h = perceptron.perceptron_train(X, y, lr=1.0, epochs=epochs, rng=np.random.default_rng(s))
        test_u = perceptron.accuracy_of_weights(h.w, h.b, Xt, yt)
        pk = perceptron.pocket(perceptron.accuracy_of_weights(h.w, h.b, X, y))
        last.append(test_u[h.epoch_end])
        pocket_acc.append(test_u[pk[h.epoch_end]])
        first_epoch.append(np.interp(np.linspace(0, 1, 21), np.linspace(0, 1, h.epoch_end[0] + 1),
                                     test_u[:h.epoch_end[0] + 1]))
    return {"test": np.array(last), "pocket": np.array(pocket_acc), "first_epoch": np.array(first_epoch)}


def lr_scaling(lrs=(0.01, 1.0, 100.0), noise=1.0, epochs=10):
    """Train from zero with several lr on the same data and order -> list of PerceptronHistory."""
    X, y = make_data("overlapping", noise)
    return X, y, [perceptron.perceptron_train(X, y, lr=lr, epochs=epochs, rng=np.random.default_rng(TRAIN_SEED))
                  for lr in lrs]


def linear_unit():
    """The delta rule's network: Dense(2, 1) with a Linear output (the step of the perceptron removed), zero start."""
    return Sequential(Dense(2, 1, rng=np.random.default_rng(0), init="zeros"), Linear())


def delta_rule(lrs=(0.05, 0.5, 1.2), noise=1.0, steps=40):
    """Gradient descent on the mean squared error of a linear unit (targets -1/+1) for several lr.

    Each run is ``nnlab.fit`` with the whole data set as one batch. -> (excess losses L(theta_k) - min L,
    a list of (K+1,) arrays, k = 0..K; the divergence threshold 2 / max eig(H) of the Hessian H)."""
    X, y = make_data("overlapping", noise)
    t = 2.0 * y - 1
    _, _, H = descent.least_squares(X, t)
    best = linear_unit()
    params.assign(best, np.linalg.lstsq(np.c_[X, np.ones(len(X))], t, rcond=None)[0])
    min_loss = SquaredError()(best.forward(X), t)[0]
    losses = []
    for lr in lrs:
        hist = fit(linear_unit(), X, t, loss=SquaredError(), lr=lr, epochs=steps, batch_size=None,
                   shuffle=False, rng=np.random.default_rng(0))
        losses.append(np.r_[hist.loss, hist.train_loss[-1]] - min_loss)   # L before each step, then after the last
    return losses, 2 / np.linalg.eigvalsh(H).max()


EXPERIMENTS = {"separable_vs_overlapping": separable_vs_overlapping, "accuracy_curves": accuracy_curves}


def seed_average_figure(fig, res):
    """Left: test accuracy during the first epoch (mean over seeds). Right: per epoch, mean and spread."""
    ax1, ax2 = fig.subplots(1, 2)
    first = res["first_epoch"]
    frac = np.linspace(0, 1, first.shape[1])
    ax1.plot(frac, first.mean(0), color=OKABE_ITO[1], lw=2, label="mean test accuracy")
    ax1.fill_between(frac, np.percentile(first, 10, axis=0), np.percentile(first, 90, axis=0),
                     color=OKABE_ITO[1], alpha=0.25, label="10th-90th percentile")
    ax1.set_xlabel("fraction of the first epoch's updates done")
    ax1.set_ylabel("test accuracy")
    ax1.set_ylim(0.3, 0.95)
    ax1.set_title("epoch 1: it rises", fontsize=9)
    ax1.legend(loc="lower right", fontsize=9)
    test, pk = res["test"], res["pocket"]
    epochs = np.arange(1, test.shape[1] + 1)
    ax2.fill_between(epochs, np.percentile(test, 10, axis=0), np.percentile(test, 90, axis=0),
                     color=OKABE_ITO[1], alpha=0.25, label="last weights, 10th-90th pct.")
    ax2.plot(epochs, test.mean(0), color=OKABE_ITO[1], lw=2, ls="--", label="last weights, mean")
    ax2.plot(epochs, test[0], color=OKABE_ITO[5], lw=1, marker=".", label="last weights, one run")
    ax2.plot(epochs, pk.mean(0), color=OKABE_ITO[2], lw=2, label="pocket weights, mean")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("test accuracy")
    ax2.set_ylim(0.3, 0.95)
    ax2.set_title(f"after each epoch: it jumps about ({test.shape[0]} data sets)", fontsize=9)
    ax2.legend(loc="lower right", fontsize=9)
    return ax1, ax2


def lr_scaling_figure(fig, lrs=(0.01, 1.0, 100.0)):
    """From a zero start, lr only rescales w: same lines, norms lr times apart."""
    X, y, hs = lr_scaling(lrs)
    ax1, ax2 = fig.subplots(1, 2)
    scatter_classes(X, y, ax1, s=12)
    ax1.set_xlim(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5)
    ax1.set_ylim(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5)
    styles = ("-", "--", ":")
    for i, (h, lr) in enumerate(zip(hs, lrs)):
        line_2d(h.w[-1], h.b[-1], ax1, color=OKABE_ITO[[7, 5, 2][i]], lw=3 - i * 0.8, ls=styles[i],
                label=rf"final line, $\eta={lr:g}$")
        ax2.semilogy(np.arange(1, len(h.b)), np.linalg.norm(h.w[1:], axis=1), color=OKABE_ITO[[7, 5, 2][i]],
                     lw=1, label=rf"$\eta={lr:g}$")
    ax1.legend(loc="lower right", fontsize=9)
    ax1.set_title("the three final lines coincide", fontsize=9)
    ax2.set_xlabel("update number")
    ax2.set_ylabel(r"$\|w\|$ (log scale)")
    ax2.set_title("the weights differ only by the factor η", fontsize=9)
    ax2.legend(loc="center right", fontsize=9)
    return ax1, ax2


def delta_rule_figure(fig, lrs=(0.05, 0.5, 0.9, 1.2), steps=40):
    """Gradient descent on the squared error of a linear unit: here the learning rate decides."""
    losses, edge = delta_rule(lrs, steps=steps)
    ax = fig.add_subplot()
    for i, (lr, loss) in enumerate(zip(lrs, losses)):
        ax.semilogy(np.arange(len(loss)), np.maximum(loss, 1e-16), color=OKABE_ITO[i], marker="os^D"[i], ms=3, lw=1,
                    label=rf"$\eta={lr:g}$" + (" (> edge: diverges)" if lr > edge else ""))
    ax.set_xlabel("gradient descent step")
    ax.set_ylabel(r"excess loss $L(\theta_k)-\min L$ (log scale)")
    ax.set_title(rf"divergence edge $2/\lambda_{{max}}(H) = {edge:.2f}$", fontsize=9)
    ax.legend(loc="upper left", fontsize=9)
    return ax
