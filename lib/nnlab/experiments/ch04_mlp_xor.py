"""Chapter 4 experiments: XOR seen from the hidden layer, and how many hidden units a 1-D fit needs.

Also the small math the chapter shows: two linear layers collapse into one, the hand-set XOR
network, the best single line for a 2-D labelling. Every network is an ``nnlab.mlp``; weights are
named as in ``nnlab.params``: Y = f(X W1 + b1), Z = g(Y W2 + b2) with W1: (D, H), W2: (H, K).
"""
import numpy as np

from .. import data
from ..viz import plots
from .._checks import as_2d, choice, generator, number
from ..activations import Sigmoid
from ..experiment import Experiment, dropdown, slider
from ..layers import Sequential, mlp
from ..losses import SquaredError
from ..optim import SGD
from ..params import as_dict, load_dict
from ..train import fit

SIGMOID = Sigmoid()


# ---------------------------------------------------------------- small math shown in the chapter
def collapse_linear(W1, b1, W2, b2):
    """One linear layer equal to two: (X W1 + b1) W2 + b2 = X W + b with W = W1 W2, b = b1 W2 + b2.

    W1: (D, H), b1: (H,), W2: (H, K), b2: (K,) -> W: (D, K), b: (K,).
    """
    W1, b1, W2, b2 = _check_collapse(W1, b1, W2, b2)
    return W1 @ W2, b1 @ W2 + b2


def _check_collapse(W1, b1, W2, b2):
    """The arguments of collapse_linear as float arrays whose shapes chain."""
    W1, W2 = np.asarray(W1, dtype=float), np.asarray(W2, dtype=float)
    b1, b2 = np.asarray(b1, dtype=float), np.asarray(b2, dtype=float)
    if W1.ndim != 2 or W2.ndim != 2 or W1.shape[1] != W2.shape[0]:
        raise ValueError(f"W1 (D, H) and W2 (H, K) must chain, got shapes {W1.shape} and {W2.shape}")
    if b1.shape != (W1.shape[1],) or b2.shape != (W2.shape[1],):
        raise ValueError(f"b1 must have shape ({W1.shape[1]},) and b2 shape ({W2.shape[1]},), "
                         f"got {b1.shape} and {b2.shape}")
    return W1, b1, W2, b2


def hand_xor_params():
    """The hand-set XOR network: hidden OR (x1 + x2 - 0.5) and NAND (-x1 - x2 + 1.5), output AND (h1 + h2 - 1.5).

    Returns {'W1': (2, 2), 'b1': (2,), 'W2': (2, 1), 'b2': (1,)}; use with step units (threshold 0).
    """
    return {"W1": np.array([[1.0, -1.0], [1.0, -1.0]]), "b1": np.array([-0.5, 1.5]),
            "W2": np.array([[1.0], [1.0]]), "b2": np.array([-1.5])}


def xor_network(params, activation="sigmoid"):
    """The 2-2-1 network nnlab.mlp([2, 2, 1]) with `activation` in every unit and the weights
    {'W1': (2, 2), 'b1': (2,), 'W2': (2, 1), 'b2': (1,)} loaded into it (nnlab.params.load_dict).

    After model.forward(X), model.layers[1].out holds the hidden codes (N, 2).
    """
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict {{'W1', 'b1', 'W2', 'b2'}} of arrays, got {type(params).__name__}")
    model = mlp([2, 2, 1], rng=np.random.default_rng(0), activation=activation, output_activation=activation)
    return load_dict(model, params)   # the random start drawn by mlp is overwritten


def best_line(X, y, *, n_angles=720):
    """The single line that classifies most points, by exhaustive search.

    Every direction w = (cos a, sin a) on a grid of n_angles angles, and for each every threshold
    between consecutive projections (plus one below all). Predicts 1 where X w + b >= 0; among
    the lines with the most correct points it returns one with the widest margin.
    X: (N, 2), y: (N,) in {0, 1} -> (w: (2,), b: float, n_correct: int).
    """
    X = as_2d("X", X, 2)
    y = np.asarray(y).reshape(-1)
    if y.shape != (len(X),) or not np.all(np.isin(y, (0, 1))):
        raise ValueError(f"y must hold {len(X)} labels in {{0, 1}}, got shape {np.shape(y)}")
    number("n_angles", n_angles, low=4, integer=True)
    a = np.linspace(0, 2 * np.pi, n_angles, endpoint=False)
    W = np.c_[np.cos(a), np.sin(a)]                               # (A, 2)
    P = np.sort(X @ W.T, axis=0).T                                # (A, N) sorted projections
    T = np.c_[P[:, :1] - 1.0, (P[:, 1:] + P[:, :-1]) / 2]         # (A, N) thresholds
    proj = W @ X.T                                                # (A, N) unsorted
    pred = proj[:, None, :] >= T[:, :, None]                      # (A, T, N)
    correct = np.sum(pred == (y == 1), axis=2)                    # (A, T)
    margin = np.min(np.abs(proj[:, None, :] - T[:, :, None]), axis=2)
    k, t = np.unravel_index(np.argmax(np.where(correct == correct.max(), margin, -np.inf)), correct.shape)
    return W[k], float(-T[k, t]), int(correct[k, t])


def separates(w, b, X, y):
    """True if step(X w + b) equals y for every row. X: (N, 2), w: (2,), y: (N,) in {0, 1}."""
    X = as_2d("X", X, 2)
    return bool(np.all((X @ np.asarray(w, dtype=float) + b >= 0) == (np.asarray(y).reshape(-1) == 1)))


# ---------------------------------------------------------------- 1. XOR from the hidden layer
XOR_N, XOR_NOISE, XOR_DATA_SEED = 40, 0.1, 0
XOR_LR, XOR_MOMENTUM, XOR_MAX_EPOCHS = 1.0, 0.9, 300


def xor_data():
    """The noisy XOR training set of this chapter: X (40, 2), y (40,)."""
    return data.xor(XOR_N, noise=XOR_NOISE, rng=np.random.default_rng(XOR_DATA_SEED))


def xor_training(seed):
    """Train the 2-2-1 sigmoid network with nnlab.fit for XOR_MAX_EPOCHS full-batch epochs.

    Returns (snapshots, losses): snapshots[e] = the parameters after e epochs (e = 0 .. XOR_MAX_EPOCHS,
    as nnlab.params.as_dict, kept by fit's callback), losses (XOR_MAX_EPOCHS,) = the training loss
    after each epoch.
    """
    number("seed", seed, low=0, integer=True)
    rng = np.random.default_rng(seed)
    model = mlp([2, 2, 1], rng=rng, activation="sigmoid", output_activation="sigmoid")
    X, y = xor_data()
    start = as_dict(model)
    history = fit(model, X, y, loss="bce", optimizer=SGD(XOR_LR, momentum=XOR_MOMENTUM), epochs=XOR_MAX_EPOCHS,
                  rng=rng, callback=lambda m, step: as_dict(m))   # full batch: one update per epoch
    return [start] + history.logs, np.array(history.train_loss)


def learned_xor_params(seed=0, epochs=XOR_MAX_EPOCHS):
    """Parameters of the 2-2-1 sigmoid network after `epochs` epochs of nnlab.fit, and the loss per
    epoch up to then. -> (params dict, losses (epochs,))."""
    number("seed", seed, low=0, integer=True)
    number("epochs", epochs, low=0, high=XOR_MAX_EPOCHS, integer=True)
    snaps, losses = xor_training(seed)
    return snaps[epochs], losses[:epochs]


def xor_hidden_view_compute(weights="hand-set", steepness=20.0, epochs=XOR_MAX_EPOCHS, seed=0, *, steps=101):
    """The XOR network seen in the input space and in its hidden space.

    weights 'hand-set': OR/NAND/AND weights and biases times `steepness`, sigmoid units (a large
    steepness is nearly a step). 'learned': nnlab.fit on the noisy XOR data (seed, epochs).
    Returns a dict with params, the data X, y and their hidden codes H (N, 2), the four corners,
    their codes Hc (4, 2) and outputs Zc (4,), accuracies, the output on an input grid and on a
    hidden grid, the best line through the hidden codes of the corners (w, b, n_correct), its
    'margin' (smallest distance of a corner code from it) and the 'shared' codes (shared_codes);
    for 'learned' also the loss per epoch so far and over the whole run ('losses', 'full_losses').
    """
    choice("weights", weights, ("hand-set", "learned"))
    number("steepness", steepness, low=0, low_open=True)
    number("epochs", epochs, low=0, high=XOR_MAX_EPOCHS, integer=True)
    number("seed", seed, low=0, integer=True)
    if weights == "hand-set":
        params = {k: steepness * v for k, v in hand_xor_params().items()}
        losses = full_losses = None
    else:
        snaps, full_losses = xor_training(seed)
        params, losses = snaps[epochs], full_losses[:epochs]
    net = xor_network(params, "sigmoid")
    output_unit = Sequential(net.layers[2:])          # the output layer alone, fed with hidden codes
    X, y = xor_data()
    corners, cy = data.xor_table()
    Z = net.forward(X)
    H = net.layers[1].out
    Zc = net.forward(corners)
    Hc = net.layers[1].out
    g = np.linspace(-0.5, 1.5, steps)
    G1, G2 = np.meshgrid(g, g)
    Zgrid = net.forward(np.c_[G1.ravel(), G2.ravel()])
    h = np.linspace(-0.05, 1.05, steps)
    H1, H2 = np.meshgrid(h, h)
    Zhidden = output_unit.forward(np.c_[H1.ravel(), H2.ravel()])
    w_sep, b_sep, n_sep = best_line(Hc, cy)
    a = np.linspace(-2, 2, 401)
    return {"shared": shared_codes(Hc, cy), "margin": float(np.min(np.abs(Hc @ w_sep + b_sep))),
            "distances": Hc @ w_sep + b_sep, "squash": (a, (a >= 0).astype(float), SIGMOID(steepness * a)),
            "weights": weights, "steepness": steepness, "epochs": epochs, "seed": seed, "params": params,
            "X": X, "y": y, "H": H, "acc": float(np.mean((Z[:, 0] >= 0.5) == (y == 1))),
            "corners": corners, "cy": cy, "Hc": Hc, "Zc": Zc[:, 0],
            "corner_acc": float(np.mean((Zc[:, 0] >= 0.5) == (cy == 1))),
            "grid": (G1, G2, Zgrid.reshape(G1.shape)), "hidden_grid": (H1, H2, Zhidden.reshape(H1.shape)),
            "separator": (w_sep, b_sep, n_sep), "losses": losses, "full_losses": full_losses}


def shared_codes(Hc, cy, *, tol=0.05):
    """Pairs (i, j) of corners of different classes whose hidden codes lie within `tol` of each other.

    Hc: (4, 2) hidden codes, cy: (4,) classes -> list of index pairs; no line can separate such a pair.
    """
    return [(i, j) for i in range(len(Hc)) for j in range(i + 1, len(Hc))
            if cy[i] != cy[j] and np.linalg.norm(Hc[i] - Hc[j]) < tol]


def _shade(ax, G1, G2, Z):
    ax.contourf(G1, G2, (Z >= 0.5).astype(float), levels=[-0.5, 0.5, 1.5], cmap=plots.CLASS_CMAP, alpha=0.2)


def _corner_points(ax, P, cy, s=140):
    for k in (0, 1):
        ax.scatter(P[cy == k, 0], P[cy == k, 1], s=s, c=plots.OKABE_ITO[k], marker=plots.MARKERS[k],
                   edgecolors="black", linewidths=1.2, zorder=5)


def _margin_strip(ax, dist, cy):
    """Inset: the signed distances of the corner codes from the separating line, when they are tiny."""
    ins = ax.inset_axes([0.05, 0.1, 0.55, 0.13])
    for k in (0, 1):
        ins.scatter(dist[cy == k], np.zeros(np.sum(cy == k)), s=60, c=plots.OKABE_ITO[k],
                    marker=plots.MARKERS[k], edgecolors="black", linewidths=1)
    ins.axvline(0, color=plots.OKABE_ITO[5], lw=1.5, ls="--")
    r = 1.5 * float(np.max(np.abs(dist)))
    ins.set_xlim(-r, r)
    ins.set_yticks([])
    ins.tick_params(labelsize=9)
    ins.set_title("distance of the corner codes\nfrom the dashed line", fontsize=9)


def xor_hidden_view_draw(d, fig):
    ax_in, ax_hid, ax_3 = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 0.9]})
    p = d["params"]
    # input space: network output regions, data, and the line of each hidden unit (where h_j = 0.5)
    _shade(ax_in, *d["grid"])
    plots.scatter_classes(d["X"], d["y"], ax_in, s=14, labels=["XOR = 0", "XOR = 1"])
    _corner_points(ax_in, d["corners"], d["cy"])
    ax_in.set_xlim(-0.5, 1.5)
    ax_in.set_ylim(-0.5, 1.5)
    for j, color in ((0, plots.OKABE_ITO[2]), (1, plots.OKABE_ITO[3])):
        plots.line_2d(p["W1"][:, j], p["b1"][j], ax_in, color=color, lw=2, label=f"$h_{j + 1} = 0.5$")
    ax_in.set_title(f"input space: accuracy {d['acc']:.0%} on 40 points", fontsize=9)
    ax_in.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=9, ncol=2, frameon=False)
    ax_in.set_aspect("equal")
    # hidden space: codes of the data, the output unit's line, and a separating line if one exists
    _shade(ax_hid, *d["hidden_grid"])
    plots.scatter_classes(d["H"], d["y"], ax_hid, s=14, labels=["XOR = 0", "XOR = 1"])
    _corner_points(ax_hid, d["Hc"], d["cy"])
    ax_hid.set_xlim(-0.05, 1.05)
    ax_hid.set_ylim(-0.05, 1.05)
    plots.line_2d(p["W2"][:, 0], p["b2"][0], ax_hid, color="black", lw=2, label="output unit: $z = 0.5$")
    w, b, n = d["separator"]
    if n == 4:
        plots.line_2d(w, b, ax_hid, color=plots.OKABE_ITO[5], lw=1.5, ls="--", label="a separating line")
        if d["margin"] < 0.03:
            _margin_strip(ax_hid, d["distances"], d["cy"])
    for i, j in d["shared"]:
        names = " and ".join(f"({c[0]:.0f},{c[1]:.0f})" for c in d["corners"][[i, j]])
        code = d["Hc"][i]
        ax_hid.annotate(f"{names}\nshare this code", code, xytext=code + 0.55 * (0.5 - code) + [0.12, -0.02],
                        fontsize=9, ha="center", va="center", zorder=6,
                        bbox={"boxstyle": "round", "fc": "white", "ec": "0.5"},
                        arrowprops={"arrowstyle": "->", "color": "black"})
    ax_hid.set_xlabel("$h_1$ (hidden unit 1)")
    ax_hid.set_ylabel("$h_2$ (hidden unit 2)")
    ax_hid.set_title(f"hidden space: corners separable: {'yes' if n == 4 else 'no'}, "
                     f"output {d['corner_acc'] * 4:.0f}/4 right", fontsize=9)
    ax_hid.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=9, ncol=2, frameon=False)
    ax_hid.set_aspect("equal")
    # third panel: the training loss (learned) or the unit's squashing function (hand-set)
    if d["weights"] == "learned":
        losses, full = d["losses"], d["full_losses"]
        ax_3.plot(np.arange(1, len(full) + 1), full, color="0.75", lw=1, label="later epochs")
        if len(losses):
            ax_3.plot(np.arange(1, len(losses) + 1), losses, color=plots.OKABE_ITO[0], lw=2, label="so far")
        ax_3.set_xlabel("epoch")
        ax_3.set_ylabel("training loss (cross-entropy)")
        ax_3.set_ylim(0, max(0.8, float(full.max()) * 1.05))
        ax_3.set_title(f"learned: seed {d['seed']}, {d['epochs']} epochs", fontsize=9)
    else:
        z, step, squashed = d["squash"]
        ax_3.plot(z, step, color="0.6", lw=1.5, ls="--", label="step")
        ax_3.plot(z, squashed, color=plots.OKABE_ITO[0], lw=2,
                  label=f"$\\sigma({d['steepness']:g}\\,a)$")
        ax_3.set_xlabel("hand-set pre-activation $a$")
        ax_3.set_ylabel("unit output")
        ax_3.set_title(f"hand-set weights times steepness {d['steepness']:g}", fontsize=9)
    ax_3.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=9, ncol=2, frameon=False)


def xor_hidden_view():
    return Experiment(
        "XOR through the hidden layer: input space and hidden space",
        [dropdown("weights", ["hand-set", "learned"], "hand-set"),
         slider("steepness", 0.5, 20.0, 0.5, 20.0, label="steepness (hand-set)", static=(1.0, 2.0, 3.0, 20.0)),
         slider("epochs", 0, XOR_MAX_EPOCHS, 10, XOR_MAX_EPOCHS, label="epochs (learned)",
                static=(0, 60, 300)),
         slider("seed", 0, 9, 1, 0, label="seed (learned)", static=(0, 6))],
        xor_hidden_view_compute, xor_hidden_view_draw, figsize=(11, 4.5), cache=64,
        alt="Left: the unit square with the XOR points, the network's output regions and the two hidden "
            "units' lines. Middle: the same points mapped to the hidden units' outputs, with the output "
            "unit's line. Right: the training loss or the hidden units' squashing curve")


# ---------------------------------------------------------------- 2. how many hidden units?
FIT_N, FIT_NOISE, FIT_DATA_SEED, FIT_INIT_SEED = 60, 0.05, 1, 0
FIT_EPOCHS, FIT_LR, FIT_MOMENTUM = 1000, 0.2, 0.9


def init_tanh_1d(hidden, *, rng, slope=(2.0, 6.0), kinks=(-1.0, 1.0)):
    """Initial weights of a 1-H-1 tanh network whose hidden units bend inside the data interval.

    Unit j: |w_j| uniform in `slope` with a random sign, centre c_j uniform in `kinks`, b_j = -w_j c_j
    (so tanh(w_j x + b_j) switches at x = c_j); output weights N(0, 1/H), output bias 0.
    -> {'W1': (1, H), 'b1': (H,), 'W2': (H, 1), 'b2': (1,)}.
    """
    number("hidden", hidden, low=1, integer=True)
    rng = generator("rng", rng)
    w = rng.uniform(*slope, size=hidden) * rng.choice([-1.0, 1.0], size=hidden)
    c = rng.uniform(*kinks, size=hidden)
    return {"W1": w[None, :], "b1": -w * c, "W2": rng.normal(0, 1 / np.sqrt(hidden), size=(hidden, 1)),
            "b2": np.zeros(1)}


def tanh_1d_network(hidden, *, rng):
    """nnlab.mlp([1, hidden, 1]) with tanh hidden units and a linear output, started from init_tanh_1d."""
    start = init_tanh_1d(hidden, rng=rng)
    model = mlp([1, hidden, 1], rng=rng, activation="tanh", output_activation="linear")
    return load_dict(model, start)   # the random start drawn by mlp is overwritten


def fit_data(target):
    """The chapter's 1-D regression data for a target of nnlab.data.TARGETS: X (60, 1), y (60, 1)."""
    choice("target", target, data.TARGETS)
    return data.regression_1d(FIT_N, noise=FIT_NOISE, rng=np.random.default_rng(FIT_DATA_SEED), target=target)


def hidden_units_fit_compute(hidden=3, target="sine", *, epochs=FIT_EPOCHS, seed=FIT_INIT_SEED, steps=201):
    """Train a 1-`hidden`-1 tanh network on noisy samples of a target and measure its error.

    nnlab.fit, full batch, SquaredError (1/2 mean of (y_hat - y)^2), SGD(FIT_LR, momentum=FIT_MOMENTUM).
    Returns a dict: X, y (data), xs (steps,), truth, fit (steps,), parts (steps, H) = each hidden
    unit's contribution W2_j tanh(W1_j x + b1_j), b2, 'mse' (to the noise-free target on the grid),
    'train_mse' (to the noisy data), losses (epochs,) before each update.
    """
    number("hidden", hidden, low=1, high=256, integer=True)
    number("epochs", epochs, low=1, integer=True)
    number("seed", seed, low=0, integer=True)
    number("steps", steps, low=2, integer=True)
    X, y = fit_data(target)
    rng = np.random.default_rng(seed)
    model = tanh_1d_network(hidden, rng=rng)
    history = fit(model, X, y, loss=SquaredError(), optimizer=SGD(FIT_LR, momentum=FIT_MOMENTUM),
                  epochs=epochs, rng=rng, shuffle=False)
    train_mse = float(np.mean((model.forward(X) - y) ** 2))
    xs = np.linspace(-1, 1, steps)
    fit_line = model.forward(xs[:, None])[:, 0]
    W2, b2 = model.layers[2].params["W"], model.layers[2].params["b"]
    parts = model.layers[1].out * W2[:, 0]           # hidden outputs tanh(w_j x + b_j), times W_j
    truth = data.TARGETS[target](xs)
    return {"hidden": hidden, "target": target, "X": X, "y": y, "xs": xs, "truth": truth, "fit": fit_line,
            "parts": parts, "b2": float(b2[0]), "mse": float(np.mean((fit_line - truth) ** 2)),
            "train_mse": train_mse, "losses": np.array(history.loss)}


def error_by_hidden_units(targets=tuple(data.TARGETS), hidden=(1, 2, 3, 4, 6, 8, 16), *, seeds=(0,)):
    """Mean squared error to the noise-free target after training, per target and hidden-unit count.

    -> array (len(targets), len(hidden), len(seeds)).
    """
    return np.array([[[hidden_units_fit_compute(h, t, seed=s)["mse"] for s in seeds] for h in hidden]
                     for t in targets])


def hidden_units_fit_draw(d, fig):
    ax_fit, ax_parts = fig.subplots(1, 2)
    ax_fit.scatter(d["X"][:, 0], d["y"][:, 0], s=12, color="0.55", label="noisy samples")
    ax_fit.plot(d["xs"], d["truth"], color=plots.OKABE_ITO[1], lw=2.5, ls="--", label="target")
    ax_fit.plot(d["xs"], d["fit"], color=plots.OKABE_ITO[0], lw=2, label=f"network, {d['hidden']} hidden")
    ax_fit.set_xlabel("$x$")
    ax_fit.set_ylabel("$y$")
    ax_fit.set_ylim(-1.6, 1.6)
    ax_fit.set_title(f"{d['target']}: error to target {d['mse']:.4f} (noise variance {FIT_NOISE ** 2:.4f})",
                     fontsize=9)
    ax_fit.legend(fontsize=9, loc="lower right")
    H = d["parts"].shape[1]
    for j in range(H):
        ax_parts.plot(d["xs"], d["parts"][:, j], lw=1.3, color=plots.OKABE_ITO[j % 7],
                      label=f"unit {j + 1}" if H <= 6 else None)
    ax_parts.axhline(d["b2"], color="0.4", lw=1, ls=":", label="output bias $b$")
    ax_parts.set_xlabel("$x$")
    ax_parts.set_ylabel("$W_{j} \\tanh(w_j x + b_j)$")
    ax_parts.set_title(f"the {H} terms whose sum (plus $b$) is the fit", fontsize=9)
    ax_parts.legend(fontsize=9, loc="lower right", ncol=2)


def hidden_units_fit():
    return Experiment(
        "How many hidden units? A 1-H-1 tanh network fitted to a 1-D function",
        [slider("hidden", 1, 32, 1, 3, label="hidden units", static=(1, 2, 3, 8)),
         dropdown("target", list(data.TARGETS), "sine")],
        hidden_units_fit_compute, hidden_units_fit_draw, figsize=(10, 3.8), cache=64,
        alt="Left: noisy samples of a 1-D target, the target and the trained network's fit. Right: the "
            "contribution of each hidden unit, a scaled tanh curve")


EXPERIMENTS = {"xor_hidden_view": xor_hidden_view, "hidden_units_fit": hidden_units_fit}
