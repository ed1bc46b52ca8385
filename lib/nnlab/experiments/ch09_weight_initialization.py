"""Chapter 9 experiments: what the initial weights do to the signals of a deep network (per-layer
histograms of activations and back-propagated gradients, no training), and why zero or constant
weights never break the symmetry between hidden units (a small network trained for 600 epochs).
The module also computes the chapter's other figures: a bad and a good start on the circles, the
density of each layer's output on the digits after a few epochs, and a 30-layer ReLU network."""
from functools import partial

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm

from .. import data, init, probes
from .._checks import choice, number
from ..experiment import Experiment, dropdown, slider
from ..layers import mlp
from ..losses import BinaryCrossEntropy, SoftmaxCrossEntropy
from ..train import evaluate, fit
from ..viz import plots

REGION = (-1.7, 2.6, -1.5, 1.7)       # x1 from, to; x2 from, to: holds every point of the data

# ---------------------------------------------------------------- the initializers of the chapter
INITS = {
    "small N(0, 0.01²)": partial(init.normal, sigma=0.01),
    "standard U(±1/√n_in)": init.standard_uniform,
    "Xavier (normal)": init.xavier_normal,
    "He (normal)": init.he_normal,
    "large N(0, 1)": partial(init.normal, sigma=1.0),
}
ACTIVATIONS = ("tanh", "sigmoid", "relu")


def named_init(name):
    """The initializer f(shape, rng) of one of INITS' names."""
    return INITS[choice("init", name, INITS)]


# ---------------------------------------------------------------- 1. per-layer histograms at the start
WIDTH = 100           # units in every hidden layer of the deep digits networks
BATCH = 256           # the first 256 digit images go through the network
MAX_DEPTH = 10        # hidden layers, at most
INIT_SEED = 0
ACT_RANGE = (-1.5, 1.5)          # activation values shown; beyond it they are counted in the edge bins
GRAD_RANGE = (-14.0, 2.0)        # log10 |dL/dz| shown, likewise
BINS = 60
RATIO_LIMITS = (1e-6, 1e6)       # the right panel: spread relative to the first (last) layer


def digits_network(init_name, activation, depth, *, width=WIDTH, seed=INIT_SEED):
    """64 inputs, ``depth`` hidden layers of ``width`` units with ``activation``, 10 linear outputs
    (the logits of a softmax), every weight from INITS[init_name], every bias 0."""
    choice("activation", activation, ACTIVATIONS)
    number("depth", depth, low=1, integer=True)
    return mlp([64] + [width] * depth + [10], rng=np.random.default_rng(seed), activation=activation,
               output_activation="linear", init=named_init(init_name))


def _fractions(arrays, value_range):
    """Per array, the fraction of its values in each of BINS bins over value_range; values beyond
    the range are counted in the first or last bin."""
    low, high = value_range
    edges, counts = probes.histograms([np.clip(a, low, high) for a in arrays], bins=BINS, value_range=value_range)
    return edges, counts / np.array([max(a.size, 1) for a in arrays])[:, None]


def histograms_compute(init="standard U(±1/√n_in)", activation="tanh", depth=5):
    """One forward and backward pass (no update) of ``digits_network`` on BATCH digit images.

    Returns a dict: 'act_edges', 'act' (depth, BINS) the fraction of each hidden layer's outputs a^[l]
    in each bin; 'grad_edges', 'grad' (depth, BINS) the same for log10 |dL/dz^[l]| over its non-zero
    entries (a ReLU that is off passes exactly 0; those are left out), dL/dz^[l] being the gradient that
    reaches each hidden layer's pre-activations z^[l] (the back-propagated gradient, kept by the Dense
    layer as its ``dout``); 'act_std' (depth,) the standard deviation of each a^[l]; 'grad_rms' (depth,)
    the root mean square of each dL/dz^[l]; 'act_beyond' the fraction of all activations outside
    ACT_RANGE; 'loss' the loss at the start.
    """
    X, y = data.digits()
    model = digits_network(init, activation, depth)
    stats = probes.probe(model, SoftmaxCrossEntropy(), X[:BATCH], y[:BATCH])
    acts = [layer.out for _, layer in probes.activation_layers(model)][:-1]    # the hidden layers
    grads = [layer.dout for _, layer in probes.dense_layers(model)][:-1]
    log_grads = [np.log10(np.abs(g[g != 0])) for g in grads]     # a ReLU that is off passes exactly 0: left out
    act_edges, act = _fractions(acts, ACT_RANGE)
    grad_edges, grad = _fractions(log_grads, GRAD_RANGE)
    every = np.concatenate([a.ravel() for a in acts])
    return {"init": init, "activation": activation, "depth": depth, "loss": stats["loss"],
            "act_edges": act_edges, "act": act, "grad_edges": grad_edges, "grad": grad,
            "act_std": np.array([a.std() for a in acts]),
            "grad_rms": np.array([np.sqrt(np.mean(g ** 2)) for g in grads]),
            "act_beyond": float(np.mean((every < ACT_RANGE[0]) | (every > ACT_RANGE[1])))}


def _rows(fractions):
    """A (MAX_DEPTH, BINS) image: one row per hidden layer, NaN (blank) beyond the network's last one."""
    image = np.full((MAX_DEPTH, BINS), np.nan)
    image[:len(fractions)] = np.where(fractions > 0, fractions, np.nan)
    return image


def _ratios(d):
    """Per hidden layer, the activations' spread relative to layer 1 and the gradients' spread relative
    to the last hidden layer, kept inside the chart (a value beyond it sits on its edge)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        act = d["act_std"] / d["act_std"][0]
        grad = d["grad_rms"] / d["grad_rms"][-1]
    return [np.clip(np.nan_to_num(r, nan=RATIO_LIMITS[0], posinf=RATIO_LIMITS[1]), *RATIO_LIMITS)
            for r in (act, grad)]


def _histogram_titles(d):
    beyond = f"; {d['act_beyond']:.0%} beyond ±1.5" if d["act_beyond"] >= 0.005 else ""
    return (f"activations $a^{{[l]}}$ ({d['activation']}){beyond}",
            "gradients $\\partial L/\\partial z^{[l]}$ (the non-zero ones)",
            f"{d['init']}, {d['depth']} hidden layers")


def histograms_draw(d, fig):
    ax_act, ax_grad, ax_ratio = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 0.9]})
    norm = LogNorm(1e-4, 1)
    titles = _histogram_titles(d)
    art = {}
    for key, ax, edges, label, title in (
            ("act", ax_act, d["act_edges"], "activation value", titles[0]),
            ("grad", ax_grad, d["grad_edges"], "$\\log_{10}\\,|\\partial L/\\partial z|$", titles[1])):
        art[key] = ax.imshow(_rows(d[key]), aspect="auto", origin="lower", cmap="cividis", norm=norm,
                             interpolation="nearest", extent=(edges[0], edges[-1], 0.5, MAX_DEPTH + 0.5))
        ax.set_xlabel(label)
        art[key + "_title"] = ax.set_title(title, fontsize=9)
        ax.set_yticks([1, 4, 7, 10])
    ax_act.set_ylabel("hidden layer $l$ (1 = next to the input)")
    ax_act.set_xticks([-1, 0, 1])
    ax_grad.tick_params(labelleft=False)            # the same rows as on the left
    ax_grad.set_xticks([-12, -8, -4, 0])
    colorbar = fig.colorbar(art["act"], ax=[ax_act, ax_grad], location="top", shrink=0.6, aspect=40, pad=0.02)
    colorbar.set_label("fraction of the layer's values in the bin", fontsize=9)
    colorbar.set_ticks([1e-4, 1e-2, 1], labels=["0.0001", "0.01", "1"])
    layers = np.arange(1, MAX_DEPTH + 1)
    act, grad = _ratios(d)
    art["act_ratio"] = ax_ratio.plot(layers[:len(act)], act, "o-", color=plots.OKABE_ITO[0], ms=4,
                                     label="std of $a^{[l]}$ / std of $a^{[1]}$")[0]
    art["grad_ratio"] = ax_ratio.plot(layers[:len(grad)], grad, "s--", color=plots.OKABE_ITO[5], ms=4,
                                      label="rms of $\\partial L/\\partial z^{[l]}$ /\nrms at the last hidden layer")[0]
    ax_ratio.axhline(1, color="0.6", lw=1, ls=":")
    ax_ratio.set_yscale("log")
    ax_ratio.set_ylim(*RATIO_LIMITS)
    ax_ratio.set_yticks([1e-6, 1e-3, 1, 1e3, 1e6], labels=["10⁻⁶", "10⁻³", "1", "10³", "10⁶"])   # plain text: quick to draw
    ax_ratio.minorticks_off()
    ax_ratio.set_xlim(0.5, MAX_DEPTH + 0.5)
    ax_ratio.set_xticks([1, 4, 7, 10])
    ax_ratio.set_xlabel("hidden layer $l$")
    ax_ratio.set_ylabel("spread relative to the reference layer")
    ax_ratio.legend(fontsize=9, loc="lower center")
    art["ratio_title"] = ax_ratio.set_title(titles[2], fontsize=9)
    return art


def histograms_update(d, art):
    art["act"].set_data(_rows(d["act"]))
    art["grad"].set_data(_rows(d["grad"]))
    act, grad = _ratios(d)
    layers = np.arange(1, MAX_DEPTH + 1)
    art["act_ratio"].set_data(layers[:len(act)], act)
    art["grad_ratio"].set_data(layers[:len(grad)], grad)
    for key, title in zip(("act_title", "grad_title", "ratio_title"), _histogram_titles(d)):
        art[key].set_text(title)


def histograms():
    return Experiment(
        "Initialization, activation and depth: the signals of a digits network before training",
        [dropdown("init", tuple(INITS), "standard U(±1/√n_in)", label="weights"),
         dropdown("activation", ACTIVATIONS, "tanh"),
         slider("depth", 1, MAX_DEPTH, 1, 5, label="hidden layers", static=(2, 5, 10))],
        histograms_compute, histograms_draw, figsize=(9, 3.9), update=histograms_update, warm=True,
        alt="Two heat maps with one row per layer: the distribution of each hidden layer's activation values "
            "and of the logarithm of each layer's back-propagated gradient; and a chart of each layer's "
            "spread relative to the first layer (activations) and to the last hidden layer (gradients)")


# ---------------------------------------------------------------- 2. symmetry: zero, constant, random
SYM_SIZES = [2, 4, 4, 1]        # two hidden layers of four tanh units, one sigmoid output
SYM_N, SYM_EPOCHS, SYM_LR = 100, 600, 1.0
SYM_NOISE = 1e-3
SYM_INITS = ("zeros", "constant c", "c + noise N(0, 0.001²)", "Xavier (uniform)")
SYM_WEIGHT_LIMITS = (-6.0, 6.0)
SYM_DATA_SEED, SYM_INIT_SEED, SYM_ORDER_SEED = 7, 1, 2
SYM_DATASETS = {"circles": lambda n, rng: data.circles(n, noise=0.08, rng=rng, factor=0.5),
                "moons": lambda n, rng: data.moons(n, noise=0.15, rng=rng)}


def symmetry_init(kind, value=0.5):
    """The initializer f(shape, rng) of one of SYM_INITS (biases stay 0 in every case)."""
    choice("init", kind, SYM_INITS)
    number("value", value)
    if kind == "zeros":
        return init.zeros
    if kind == "constant c":
        return partial(init.constant, value=value)
    if kind == "Xavier (uniform)":
        return init.xavier_uniform
    return lambda shape, rng: value + init.normal(shape, rng, sigma=SYM_NOISE)


def unit_gap(W):
    """The largest difference between the incoming weights of the layer's first unit and those of any
    other unit (W: (fan_in, fan_out), one column per unit): exactly 0 when every unit is the same."""
    W = np.asarray(W, dtype=float)
    return float(np.max(np.abs(W - W[:, :1])))


def _unit_gaps(Ws):
    """unit_gap of each matrix of a stack Ws (T, fan_in, fan_out), at once."""
    return np.max(np.abs(Ws - Ws[:, :, :1]), axis=(1, 2))


def symmetry_compute(init="constant c", value=0.5, dataset="circles", epochs=SYM_EPOCHS):
    """Train the 2-4-4-1 tanh network on ``dataset`` by full-batch gradient descent (learning rate
    SYM_LR) from the initialization ``init``, for ``epochs`` epochs.

    Returns a dict: 'W1' (epochs + 1, 2, 4) the first layer's weights before training and after every
    epoch (W1[t, i, j]: from input i to hidden unit j), 'gap1' and 'gap2' (epochs + 1,) the unit_gap
    of the first and second hidden layers, 'loss' (epochs + 1,) the training loss, 'accuracy', the
    data 'X', 'y', the trained 'model' and its output on the chapter-7 grid, 'grid'.
    """
    choice("dataset", dataset, SYM_DATASETS)
    number("epochs", epochs, low=1, integer=True)
    X, y = SYM_DATASETS[dataset](SYM_N, np.random.default_rng(SYM_DATA_SEED))
    model = mlp(SYM_SIZES, rng=np.random.default_rng(SYM_INIT_SEED), activation="tanh",
                output_activation="sigmoid", init=symmetry_init(init, value))
    first, second = model.layers[0].params, model.layers[2].params

    def record(model, step):
        return first["W"].copy(), second["W"].copy()

    start = record(model, 0)
    loss0 = evaluate(model, BinaryCrossEntropy(), X, y)[0]
    history = fit(model, X, y, loss="bce", lr=SYM_LR, epochs=epochs, rng=np.random.default_rng(SYM_ORDER_SEED),
                  callback=record)
    W1, W2 = (np.array([weights[k] for weights in [start] + history.logs]) for k in (0, 1))
    points, x1, x2 = plots.region_grid(REGION, 120)
    grid = {"x1": x1, "x2": x2, "p": model(points).reshape(len(x2), len(x1))}
    return {"init": init, "value": value, "dataset": dataset, "X": X, "y": y, "model": model, "W1": W1,
            "gap1": _unit_gaps(W1), "gap2": _unit_gaps(W2),
            "loss": np.array([loss0] + history.train_loss), "accuracy": history.train_acc[-1], "grid": grid}


def _symmetry_titles(d):
    distinct = len({tuple(col) for col in d["W1"][-1].T})
    return (f"first-layer weights: {distinct} distinct unit{'s' if distinct > 1 else ''} of 4 after "
            f"{len(d['loss']) - 1} epochs",
            f"after training: loss {d['loss'][-1]:.3g}, accuracy {d['accuracy']:.0%}")


def _weight_segments(d):
    epochs = np.arange(len(d["W1"]))
    lo, hi = SYM_WEIGHT_LIMITS
    return [np.c_[epochs, np.clip(d["W1"][:, i, j], lo, hi)] for j in range(4) for i in range(2)]


def weight_paths_draw(d, ax, *, legend=True):
    """The eight first-layer weights of a symmetry_compute run against the epoch, coloured by hidden
    unit (solid: from x1, dashed: from x2); returns their LineCollection."""
    colours = [plots.OKABE_ITO[j] for j in range(4) for _ in range(2)]
    lines = ax.add_collection(LineCollection(_weight_segments(d), colors=colours, linestyles=["solid", "dashed"] * 4,
                                             linewidths=1.8), autolim=False)
    if legend:
        for j in range(4):
            ax.plot([], [], color=plots.OKABE_ITO[j], lw=1.8, label=f"unit {j + 1}")
        ax.plot([], [], color="0.3", lw=1.5, ls="solid", label="from $x_1$")
        ax.plot([], [], color="0.3", lw=1.5, ls="dashed", label="from $x_2$")
        ax.legend(fontsize=9, ncol=3, loc="lower left")
    ax.set_xlim(0, SYM_EPOCHS)
    ax.set_ylim(*SYM_WEIGHT_LIMITS)
    ax.set_xticks([0, 200, 400, 600])
    ax.set_yticks([-6, -3, 0, 3, 6])
    ax.set_xlabel("epoch")
    ax.set_ylabel("weight $W^{[1]}_{ij}$ into hidden unit $j$")
    return lines


def symmetry_draw(d, fig):
    ax_w, ax_db = fig.subplots(1, 2)
    titles = _symmetry_titles(d)
    art = {"weights": weight_paths_draw(d, ax_w)}
    art["w_title"] = ax_w.set_title(titles[0], fontsize=9)

    art.update(plots.decision_regions(ax_db, d["grid"], REGION, [-1, 0, 1, 2], [-1, 0, 1]))
    X, y = d["X"], d["y"]
    art["points"] = [ax_db.scatter(X[y == k, 0], X[y == k, 1], s=16, c=plots.OKABE_ITO[k], marker=plots.MARKERS[k],
                                   edgecolors="white", linewidths=0.4, label=f"class {k}") for k in (0, 1)]
    ax_db.legend(fontsize=9, loc="upper right")
    art["db_title"] = ax_db.set_title(titles[1], fontsize=9)
    return art


def symmetry_update(d, art):
    art["weights"].set_segments(_weight_segments(d))
    plots.set_decision_regions(art, d["grid"])
    for k, points in enumerate(art["points"]):
        points.set_offsets(d["X"][d["y"] == k])
    for key, title in zip(("w_title", "db_title"), _symmetry_titles(d)):
        art[key].set_text(title)


def symmetry_applies(init, value, dataset):
    """The constant c matters only for the two constant starts."""
    return {"init", "dataset"} | ({"value"} if init in SYM_INITS[1:3] else set())


def symmetry():
    return Experiment(
        "Zero, constant and random starts: a 2-4-4-1 tanh network trained for 600 epochs",
        [dropdown("init", SYM_INITS, "constant c", label="initial weights"),
         slider("value", -1.0, 1.0, 0.25, 0.5, label="constant c", static=(0.25, 0.5, 1.0)),
         dropdown("dataset", tuple(SYM_DATASETS), "circles")],
        symmetry_compute, symmetry_draw, figsize=(9, 3.8), update=symmetry_update, applies=symmetry_applies,
        warm=True,                                    # 40 runs of 600 epochs: c matters for two starts only
        alt="Left: the eight first-layer weights of the network against the epoch, coloured by hidden unit. "
            "Right: the data and the decision regions of the trained network")


# ---------------------------------------------------------------- the chapter's other figures
BAD_GOOD = {"too small: N(0, 0.01²)": partial(init.normal, sigma=0.01),
            "Xavier (normal)": init.xavier_normal}


def bad_good_compute(inits=None, epochs=SYM_EPOCHS, n=200, lr=1.0):
    """A 2-8-8-1 tanh network (three layers of weights) on n circles points, trained by full-batch
    gradient descent for ``epochs`` epochs from each initializer of ``inits`` ({name: f(shape, rng)}).
    Returns {'X', 'y', 'runs': {name: {'model', 'history', 'loss0'}}}."""
    X, y = SYM_DATASETS["circles"](n, np.random.default_rng(SYM_DATA_SEED))
    runs = {}
    for name, f in (BAD_GOOD if inits is None else inits).items():
        model = mlp([2, 8, 8, 1], rng=np.random.default_rng(SYM_INIT_SEED), activation="tanh",
                    output_activation="sigmoid", init=f)
        loss0 = evaluate(model, BinaryCrossEntropy(), X, y)[0]
        history = fit(model, X, y, loss="bce", lr=lr, epochs=epochs, rng=np.random.default_rng(SYM_ORDER_SEED))
        runs[name] = {"model": model, "history": history, "loss0": loss0}
    return {"X": X, "y": y, "runs": runs}


DENSITY_DEPTH = 5


def digits_density_compute(init_name, *, epochs=4, depth=DENSITY_DEPTH, batch_size=32, lr=0.03, bins=80):
    """The slides' digits figure: a tanh network (``depth`` hidden layers of WIDTH units) trained for
    ``epochs`` epochs of mini-batch SGD on all 1,797 digits, then the density of each hidden layer's
    outputs on all the images. Returns {'edges' (bins + 1,), 'density' (depth, bins) (integrates to 1
    over (-1, 1)), 'std' (depth,), 'history'}."""
    X, y = data.digits()
    model = digits_network(init_name, "tanh", depth)
    history = fit(model, X, y, loss=SoftmaxCrossEntropy(), lr=lr, epochs=epochs, batch_size=batch_size,
                  rng=np.random.default_rng(1))
    model.forward(X)
    acts = [layer.out for _, layer in probes.activation_layers(model)][:-1]
    edges, counts = probes.histograms(acts, bins=bins, value_range=(-1.0, 1.0))
    density = counts / (np.array([a.size for a in acts])[:, None] * np.diff(edges))
    return {"edges": edges, "density": density, "std": np.array([a.std() for a in acts]), "history": history}


def densities_draw(d, ax, title):
    """One line per hidden layer: the density of its outputs (from digits_density_compute)."""
    centres = (d["edges"][:-1] + d["edges"][1:]) / 2
    for l, density in enumerate(d["density"]):
        ax.plot(centres, density, color=plots.OKABE_ITO[l % 8], lw=1.8,
                label=f"layer {l + 1} (std {d['std'][l]:.2f})")
    ax.set_xlim(-1, 1)
    ax.set_yscale("log")
    ax.set_ylim(1e-3, 1e2)
    ax.set_xlabel("output value $a^{[l]}$ of a tanh unit")
    ax.set_ylabel("density (log scale)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=9, loc="upper right")
    return ax


DEEP_INITS = {"Xavier (normal)": init.xavier_normal, "He (normal)": init.he_normal}


def deep_relu_compute(*, depth=30, width=64, epochs=10, batch_size=32, lr=0.01):
    """He et al.'s test, small: a ReLU network of ``depth`` hidden layers of ``width`` units trained on
    the digits with mini-batch SGD, once from Xavier's and once from He's initialization.
    Returns {name: {'loss' (epochs + 1,) the training loss before and after each epoch, 'accuracy',
    'act_std' (depth,) each hidden layer's output std at the start}}."""
    X, y = data.digits()
    out = {}
    for name, f in DEEP_INITS.items():
        model = mlp([64] + [width] * depth + [10], rng=np.random.default_rng(INIT_SEED), activation="relu",
                    output_activation="linear", init=f)
        model.forward(X)
        act_std = np.array([layer.out.std() for _, layer in probes.activation_layers(model)][:-1])
        loss0 = evaluate(model, SoftmaxCrossEntropy(), X, y)[0]
        history = fit(model, X, y, loss=SoftmaxCrossEntropy(), lr=lr, epochs=epochs, batch_size=batch_size,
                      rng=np.random.default_rng(1))
        out[name] = {"loss": np.array([loss0] + history.train_loss), "accuracy": history.train_acc[-1],
                     "act_std": act_std}
    return out


EXPERIMENTS = {"histograms": histograms, "symmetry": symmetry}
