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
from ..viz.plots import OKABE_ITO, line_2d, line_points, scatter_classes

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
# Shared by both experiments: fixed axes, update times, lines across the data box
# ---------------------------------------------------------------------------------------------
BOX = (-4.8, 4.2)          # x1 and x2 limits of the data panel: every point at every noise up to 1.5
MISTAKES_MAX = 50          # mistake bars of an epoch go up to here (at most 46 of the 100 points)
WEIGHTS_LIM = (-4.5, 6.5)  # w1, w2 and b of every setting stay inside


def update_times(h, n=None):
    """Where update k sits on an epoch axis: update j (0-based) of the m updates in epoch e is at
    e + (j + 1) / m, so the last update of an epoch sits at its end; row 0 (the start) is at 0.
    -> (n,) times of the weight rows 0..n-1 (all rows by default)."""
    n = len(h.b) if n is None else n
    k = np.arange(1, n)                                   # update number, 1-based
    e = h.epoch[k - 1]
    first = np.r_[0, h.epoch_end][e]                      # updates done before epoch e
    return np.r_[0.0, e + (k - first) / h.mistakes[e]]




def line_in_box(w, b, box=BOX):
    """The points of w1 x1 + w2 x2 + b = 0 at the edges of the square box -> (xs (2,), ys (2,)),
    or two empty arrays when w = 0 (no line)."""
    return line_points(w, b, box, box)


# ---------------------------------------------------------------------------------------------
# Experiment 1: separable against overlapping data
# ---------------------------------------------------------------------------------------------
N_BEFORE = 5               # grey lines: the epochs before the last


def separable_vs_overlapping_compute(kind="overlapping", noise=0.6, epochs=EPOCHS):
    """Train for ``epochs`` epochs; mistakes per epoch, weights after every update and per epoch,
    and what the figure draws: the last lines in the data box, the weights on an epoch axis."""
    number("noise", noise, low=0, low_open=True)
    X, y = make_data(kind, noise)
    h = perceptron.perceptron_train(X, y, lr=1.0, epochs=epochs, rng=np.random.default_rng(TRAIN_SEED))
    We, Be = h.epoch_weights()
    before = [line_in_box(w, b) for w, b in zip(We[-N_BEFORE - 1:-1], Be[-N_BEFORE - 1:-1])]
    # the weights over the epochs; after the last update they stay where they are until the end
    t = np.r_[update_times(h), epochs]
    weights = np.c_[np.r_[h.w, h.w[-1:]], np.r_[h.b, h.b[-1]]]
    return {"kind": kind, "noise": noise, "X": X, "y": y, "mistakes": h.mistakes, "W": h.w, "B": h.b,
            "W_epoch": We, "B_epoch": Be, "converged_epoch": h.converged_epoch, "updates": h.updates,
            "epoch_end": h.epoch_end, "train_acc": perceptron.accuracy_of_weights(We, Be, X, y),
            "lines_before": before, "line_final": line_in_box(We[-1], Be[-1]), "t_weights": t,
            "weights": weights}


def separable_vs_overlapping_draw(d, fig):
    ax, axm, axw = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.1, 1, 1]})
    art = {}
    scatter_classes(d["X"][:2], np.array([0, 1]), ax, s=14)
    art["points"] = ax.collections[-2:]
    ax.set_xlim(*BOX)
    ax.set_ylim(*BOX)
    ax.set_xticks(range(-4, 5, 2))
    ax.set_yticks(range(-4, 5, 2))
    art["before"] = [ax.plot([], [], color="0.6", lw=0.8)[0] for _ in range(N_BEFORE)]
    art["before"][0].set_label(f"lines of the {N_BEFORE} epochs before")
    (art["final"],) = ax.plot([], [], color="black", lw=2, label="final line")
    art["title"] = ax.set_title(" ", fontsize=9)

    epochs = np.arange(1, len(d["mistakes"]) + 1)
    art["bars"] = axm.bar(epochs, np.zeros(len(epochs)), color=OKABE_ITO[5], width=0.8)
    axm.set_xlim(0, len(epochs) + 1)
    axm.set_xlabel("epoch")
    axm.set_ylabel(f"mistakes in the epoch (of {len(d['X'])})")
    axm.set_ylim(0, MISTAKES_MAX)
    axm.set_xticks(range(0, len(epochs) + 1, 10))
    axm.set_yticks(range(0, MISTAKES_MAX + 1, 10))
    art["stopped"] = axm.text(0.97, 0.95, "0 mistakes from here on:\nthe rule has stopped", transform=axm.transAxes,
                              ha="right", va="top", fontsize=9)
    art["updates"] = axm.set_title(" ", fontsize=9)

    art["w1"], = axw.plot([], [], color=OKABE_ITO[0], lw=1, drawstyle="steps-post", label="$w_1$")
    art["w2"], = axw.plot([], [], color=OKABE_ITO[1], lw=1, drawstyle="steps-post", label="$w_2$")
    art["b"], = axw.plot([], [], color=OKABE_ITO[2], lw=1, drawstyle="steps-post", label="$b$")
    axw.set_xlim(0, len(epochs))
    axw.set_xticks(range(0, len(epochs) + 1, 10))
    axw.set_ylim(*WEIGHTS_LIM)
    axw.set_yticks(range(-4, 7, 2))
    axw.set_xlabel("epoch (a step at every update)")
    axw.set_ylabel("weight value")
    axw.set_title("the weights over the updates", fontsize=9)
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = axw.get_legend_handles_labels()
    fig.legend(handles + more, labels + more_labels, loc="outside lower center", ncol=7, fontsize=9,
               frameon=False)
    separable_vs_overlapping_update(d, art)
    return art


def separable_vs_overlapping_update(d, art):
    X, y = d["X"], d["y"]
    for k, points in enumerate(art["points"]):
        points.set_offsets(X[y == k])
    for line, (xs, ys) in zip(art["before"], d["lines_before"]):
        line.set_data(xs, ys)
    art["final"].set_data(*d["line_final"])
    done = (f"converged in epoch {d['converged_epoch'] + 1}" if d["converged_epoch"] is not None
            else "never converged")
    art["title"].set_text(f"{d['kind']}, noise {d['noise']:g}: {done}")
    for bar, m in zip(art["bars"], d["mistakes"]):
        bar.set_height(m)
    art["stopped"].set_visible(d["converged_epoch"] is not None)
    art["updates"].set_text(f"{d['updates']} updates in all")
    t, w = d["t_weights"], d["weights"]
    for k, name in enumerate(("w1", "w2", "b")):
        art[name].set_data(t, w[:, k])


def separable_vs_overlapping():
    return Experiment(
        "Separable versus overlapping classes: does the rule stop?",
        [dropdown("kind", ("separable", "overlapping"), "overlapping", label="data"),
         slider("noise", 0.2, 1.5, 0.1, 0.6, label="noise (spread of each class)", static=(0.3, 0.6, 0.9, 1.2))],
        separable_vs_overlapping_compute, separable_vs_overlapping_draw, figsize=(10, 3.8),
        update=separable_vs_overlapping_update,
        alt="Left: 100 points of two classes with the perceptron's final line and the lines of the "
            "previous five epochs. Middle: mistakes in each of 30 epochs. Right: w1, w2 and b after every "
            "update, against the epoch")


# ---------------------------------------------------------------------------------------------
# Experiment 2: training and test accuracy over the epochs
# ---------------------------------------------------------------------------------------------
FIRST_EPOCHS = 3           # the left panel: every update of the first epochs


def accuracy_curves_compute(noise=1.0, lr=1.0, init="zero", epochs=EPOCHS):
    """Training/test accuracy after every update (first 3 epochs, on an epoch axis) and every
    epoch, and the pocket's test accuracy."""
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
    n_show = end[min(FIRST_EPOCHS - 1, len(end) - 1)] + 1
    need = np.unique(np.r_[np.arange(n_show), end, pocket_u[end]])
    test_u = np.full(len(train_u), np.nan)
    test_u[need] = perceptron.accuracy_of_weights(h.w[need], h.b[need], Xt, yt)
    # on the epoch axis, and held at the end of epoch 3 when the last update came earlier
    t_update = np.r_[update_times(h, n_show), FIRST_EPOCHS]
    return {"noise": noise, "lr": lr, "init": init, "train_update": train_u[:n_show],
            "test_update": test_u[:n_show], "train_epoch": train_u[end], "test_epoch": test_u[end],
            "pocket_test_epoch": test_u[pocket_u[end]], "epoch_end": end, "updates": h.updates,
            "t_update": t_update}


def accuracy_curves_draw(d, fig):
    axu, axe = fig.subplots(1, 2)
    art = {}
    art["train_u"], = axu.plot([], [], color=OKABE_ITO[0], lw=1, drawstyle="steps-post")
    art["test_u"], = axu.plot([], [], color=OKABE_ITO[1], lw=1.2, ls="--", drawstyle="steps-post")
    for e in range(1, FIRST_EPOCHS):
        axu.axvline(e, color="0.75", lw=0.8)
    axu.set_xlim(0, FIRST_EPOCHS)
    axu.set_xticks(range(FIRST_EPOCHS + 1))
    axu.set_xlabel("epoch (a step at every update)")
    axu.set_ylabel("accuracy")
    axu.set_ylim(0, 1.02)
    axu.set_yticks(np.linspace(0, 1, 6))
    art["title_u"] = axu.set_title(" ", fontsize=9)

    epochs = np.arange(1, len(d["train_epoch"]) + 1)
    art["train_e"], = axe.plot(epochs, epochs * 0.0, color=OKABE_ITO[0], marker="o", ms=3, lw=1, label="training")
    art["test_e"], = axe.plot(epochs, epochs * 0.0, color=OKABE_ITO[1], marker="s", ms=3, lw=1, ls="--",
                              label="test")
    art["pocket"], = axe.plot(epochs, epochs * 0.0, color=OKABE_ITO[2], lw=2, label="test, pocket weights")
    axe.set_xlim(0, len(epochs) + 1)
    axe.set_xticks(range(0, len(epochs) + 1, 10))
    axe.set_xlabel("epoch")
    axe.set_ylabel("accuracy")
    axe.set_ylim(0, 1.02)
    axe.set_yticks(np.linspace(0, 1, 6))
    art["title_e"] = axe.set_title(" ", fontsize=9)
    fig.legend(loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    accuracy_curves_update(d, art)
    return art


def accuracy_curves_update(d, art):
    t = d["t_update"]
    art["train_u"].set_data(t, np.r_[d["train_update"], d["train_update"][-1]])
    art["test_u"].set_data(t, np.r_[d["test_update"], d["test_update"][-1]])
    art["title_u"].set_text(f"after every update, first {FIRST_EPOCHS} epochs (noise {d['noise']:g})")
    art["train_e"].set_ydata(d["train_epoch"])
    art["test_e"].set_ydata(d["test_epoch"])
    art["pocket"].set_ydata(d["pocket_test_epoch"])
    start = "zero start: any η" if d["init"] == "zero" else f"random start, η = {d['lr']:g}"
    art["title_e"].set_text(f"after every epoch ({start})")


def accuracy_curves_applies(noise, lr, init):
    """From zero weights the learning rate only rescales them: the same lines, the same accuracies."""
    return {"noise", "init"} | ({"lr"} if init != "zero" else set())


def accuracy_curves():
    return Experiment(
        "Training and test accuracy of the perceptron on overlapping classes",
        [slider("noise", 0.4, 1.6, 0.1, 1.0, label="noise (overlap)", static=(0.6, 1.0, 1.4)),
         dropdown("lr", (0.01, 0.1, 1.0, 10.0), 1.0, label="learning rate η", static=(0.01, 0.1, 1.0)),
         dropdown("init", ("zero", "random"), "zero", label="start weights")],
        accuracy_curves_compute, accuracy_curves_draw, figsize=(9, 3.8),
        update=accuracy_curves_update, applies=accuracy_curves_applies,
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
