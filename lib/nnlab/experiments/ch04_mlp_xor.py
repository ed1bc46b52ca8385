"""Chapter 4 experiments: XOR seen from the hidden layer, and how many hidden units a 1-D fit needs.

Also the small math the chapter shows: two linear layers collapse into one, the hand-set XOR
network, the best single line for a 2-D labelling. Every network is an ``nnlab.mlp``; weights are
named as in ``nnlab.params``: Y = f(X W1 + b1), Z = g(Y W2 + b2) with W1: (D, H), W2: (H, K).
"""
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap, to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon, Rectangle

from .. import data
from ..viz import plots
from .._checks import as_2d, choice, generator, number
from ..activations import Sigmoid
from ..experiment import Experiment, dropdown, slider
from ..layers import mlp
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


def xor_hidden_view_compute(weights="hand-set", steepness=20.0, epochs=XOR_MAX_EPOCHS, seed=0, *, steps=201,
                            trained=xor_training):
    """The XOR network seen in the input space and in its hidden space.

    weights 'hand-set': OR/NAND/AND weights and biases times `steepness`, sigmoid units (a large
    steepness is nearly a step). 'learned': nnlab.fit on the noisy XOR data (seed, epochs).
    Returns a dict with params, the data X, y and their hidden codes H (N, 2), the four corners,
    their codes Hc (4, 2) and outputs Zc (4,), accuracies, the output on an input grid, the output
    unit's region z >= 0.5 in hidden space ('out_region', polygon vertices), two points of each line
    drawn ('unit_lines', 'out_line', 'sep_line'), the best line through the hidden codes of the corners (w, b, n_correct), its
    'margin' (smallest distance of a corner code from it) and the 'shared' codes (shared_codes);
    for 'learned' also the loss per epoch so far and over the whole run ('losses', 'full_losses').
    trained(seed) gives the training run (xor_training, or the experiment's copy that keeps each run).
    """
    choice("weights", weights, ("hand-set", "learned"))
    number("steepness", steepness, low=0, low_open=True)
    number("epochs", epochs, low=0, high=XOR_MAX_EPOCHS, integer=True)
    number("seed", seed, low=0, integer=True)
    if weights == "hand-set":
        params = {k: steepness * v for k, v in hand_xor_params().items()}
        losses = full_losses = None
    else:
        snaps, full_losses = trained(seed)
        params, losses = snaps[epochs], full_losses[:epochs]
    net = xor_network(params, "sigmoid")
    X, y = xor_data()
    corners, cy = data.xor_table()
    Z = net.forward(X)
    H = net.layers[1].out
    Zc = net.forward(corners)
    Hc = net.layers[1].out
    g = np.linspace(-0.5, 1.5, steps)
    G1, G2 = np.meshgrid(g, g)
    Zgrid = net.forward(np.c_[G1.ravel(), G2.ravel()])
    w_sep, b_sep, n_sep = best_line(Hc, cy)
    a = np.linspace(-2, 2, 401)
    return {"unit_lines": [line_points(params["W1"][:, j], params["b1"][j], *XOR_BOX) for j in (0, 1)],
            "out_line": line_points(params["W2"][:, 0], params["b2"][0], *HIDDEN_BOX),
            "out_region": half_plane(params["W2"][:, 0], params["b2"][0], *HIDDEN_BOX),
            "sep_line": line_points(w_sep, b_sep, *HIDDEN_BOX),
            "shared": shared_codes(Hc, cy), "margin": float(np.min(np.abs(Hc @ w_sep + b_sep))),
            "distances": Hc @ w_sep + b_sep, "squash": (a, (a >= 0).astype(float), SIGMOID(steepness * a)),
            "weights": weights, "steepness": steepness, "epochs": epochs, "seed": seed, "params": params,
            "X": X, "y": y, "H": H, "acc": float(np.mean((Z[:, 0] >= 0.5) == (y == 1))),
            "corners": corners, "cy": cy, "Hc": Hc, "Zc": Zc[:, 0],
            "corner_acc": float(np.mean((Zc[:, 0] >= 0.5) == (cy == 1))),
            "grid": (G1, G2, Zgrid.reshape(G1.shape)),
            "separator": (w_sep, b_sep, n_sep), "losses": losses, "full_losses": full_losses}


def shared_codes(Hc, cy, *, tol=0.05):
    """Pairs (i, j) of corners of different classes whose hidden codes lie within `tol` of each other.

    Hc: (4, 2) hidden codes, cy: (4,) classes -> list of index pairs; no line can separate such a pair.
    """
    return [(i, j) for i in range(len(Hc)) for j in range(i + 1, len(Hc))
            if cy[i] != cy[j] and np.linalg.norm(Hc[i] - Hc[j]) < tol]


def line_points(w, b, lo, hi):
    """Two points of the line w1 x1 + w2 x2 + b = 0 that span the box [lo, hi]^2 (none if w = 0).

    -> (xs (2,), ys (2,)) or two empty arrays.
    """
    return plots.line_points(w, b, (lo, hi), (lo, hi))


def half_plane(w, b, lo, hi):
    """The part of the square [lo, hi]^2 where w1 x1 + w2 x2 + b >= 0, as polygon vertices (k, 2).

    The square's corners are clipped by the line (Sutherland-Hodgman); an empty part gives k = 0.
    """
    square = np.array([[lo, lo], [hi, lo], [hi, hi], [lo, hi]], dtype=float)
    side = square @ np.asarray(w, dtype=float) + b
    out = []
    for k in range(4):
        p, q, sp, sq = square[k], square[(k + 1) % 4], side[k], side[(k + 1) % 4]
        if sp >= 0:
            out.append(p)
        if (sp >= 0) != (sq >= 0):
            out.append(p + sp / (sp - sq) * (q - p))
    return np.array(out).reshape(-1, 2)


XOR_BOX, HIDDEN_BOX = (-0.5, 1.5), (-0.05, 1.05)
N_SHARED_MAX = 4          # pairs of corners of different classes: at most 2 x 2
REGIONS = BoundaryNorm([-1.0, 0.5, 2.0], 2)   # network output below / above 0.5
PALE = ListedColormap([0.2 * np.array(to_rgb(c)) + 0.8 for c in plots.OKABE_ITO[:2]])   # the classes' colours, light


def _shade(ax, Z, box):
    """The network's two output regions (output >= 0.5 or not) over the square box x box."""
    return ax.imshow(Z, extent=(*box, *box), origin="lower", cmap=PALE, norm=REGIONS, interpolation="nearest",
                     aspect="auto", zorder=0)


def _shade_half_plane(ax, box):
    """The output unit's two regions in hidden space, a half-plane each: the square, and a polygon on it."""
    (lo, hi), pale = box, PALE.colors
    ax.add_patch(Rectangle((lo, lo), hi - lo, hi - lo, fc=pale[0], ec="none", zorder=0))
    return ax.add_patch(Polygon(np.zeros((3, 2)), closed=True, fc=pale[1], ec="none", zorder=0))


def _set_half_plane(patch, vertices):
    patch.set_xy(vertices if len(vertices) else np.zeros((3, 2)))
    patch.set_visible(len(vertices) > 0)


def _points(ax, P, y, **kw):
    """One scatter per class; returns the two collections."""
    return [ax.scatter(P[y == k, 0], P[y == k, 1], c=plots.OKABE_ITO[k], marker=plots.MARKERS[k], **kw)
            for k in (0, 1)]


def _data_points(ax, P, y):
    return _points(ax, P, y, s=14, alpha=0.8, edgecolors="white", linewidths=0.4)


def _corner_points(ax, P, cy, s=140):
    return _points(ax, P, cy, s=s, edgecolors="black", linewidths=1.2, zorder=5)


def _set_points(collections, P, y):
    for k, c in enumerate(collections):
        c.set_offsets(P[y == k])


def _proxy(**kw):
    """A legend entry that does not depend on what is drawn."""
    return Line2D([], [], **kw)


def _legend_below(ax, handles, labels):
    return ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=9, ncol=2,
                     frameon=False)


def _margin_strip(ax, cy):
    """Inset: the signed distances of the corner codes from the separating line (shown for the hand-set
    weights when they are tiny)."""
    ins = ax.inset_axes([0.05, 0.1, 0.55, 0.13])
    ins.set_in_layout(False)
    dots = [ins.scatter([0.0], [0.0], s=60, c=plots.OKABE_ITO[k], marker=plots.MARKERS[k], edgecolors="black",
                        linewidths=1) for k in (0, 1)]
    ins.axvline(0, color=plots.OKABE_ITO[5], lw=1.5, ls="--")
    ins.set_ylim(-1, 1)
    ins.set_yticks([])
    ins.tick_params(labelsize=9)
    ins.set_title("distance of the corner codes\nfrom the dashed line", fontsize=9, y=1)
    return {"axes": ins, "dots": dots}


def _set_margin_strip(strip, d):
    dist, cy = d["distances"], d["cy"]
    shown = d["weights"] == "hand-set" and d["separator"][2] == 4 and d["margin"] < 0.03
    strip["axes"].set_visible(shown)
    for k, dots in enumerate(strip["dots"]):
        dots.set_offsets(np.c_[dist[cy == k], np.zeros(np.sum(cy == k))])
    r = max(1.5 * float(np.max(np.abs(dist))), 1e-9)
    strip["axes"].set_xlim(-r, r)


def _set_shared(annotations, d):
    """Mark each pair of corners of different classes that share a hidden code (pool of annotations)."""
    for k, ann in enumerate(annotations):
        if k < len(d["shared"]):
            i, j = d["shared"][k]
            code = d["Hc"][i]
            ann.set_text(" and ".join(f"({c[0]:.0f},{c[1]:.0f})" for c in d["corners"][[i, j]]) + "\nshare this code")
            ann.xy = code
            ann.set_position(code + 0.55 * (0.5 - code) + [0.12, -0.02])
        ann.set_visible(k < len(d["shared"]))


def _set_line(line, xy):
    line.set_data(*xy)


def _xor_titles(d):
    n = d["separator"][2]
    return (f"input space: accuracy {d['acc']:.0%} on 40 points",
            f"hidden space: separable {'yes' if n == 4 else 'no'}, output {d['corner_acc'] * 4:.0f}/4 right")


def xor_hidden_view_draw(d, fig):
    left, right = fig.subfigures(1, 2, width_ratios=[2, 0.9], wspace=0)
    ax_in, ax_hid = left.subplots(1, 2)
    art = {"title_in": ax_in.set_title(" ", fontsize=9, y=1), "title_hid": ax_hid.set_title(" ", fontsize=9, y=1)}
    ticks_in, ticks_hid = [-0.5, 0, 0.5, 1, 1.5], [0, 0.5, 1]
    # input space: network output regions, data, and the line of each hidden unit (where h_j = 0.5)
    art["in_shade"] = _shade(ax_in, d["grid"][2], XOR_BOX)
    classes = _data_points(ax_in, d["X"], d["y"])
    _corner_points(ax_in, d["corners"], d["cy"])
    unit_colors = (plots.OKABE_ITO[2], plots.OKABE_ITO[3])
    art["unit_lines"] = [ax_in.plot(*xy, color=c, lw=2)[0] for xy, c in zip(d["unit_lines"], unit_colors)]
    ax_in.set(xlim=XOR_BOX, ylim=XOR_BOX, xticks=ticks_in, yticks=ticks_in, xlabel="$x_1$", ylabel="$x_2$")
    _legend_below(ax_in, classes + [_proxy(color=c, lw=2) for c in unit_colors],
                  ["XOR = 0", "XOR = 1", "$h_1 = 0.5$", "$h_2 = 0.5$"])
    ax_in.set_aspect("equal")
    # hidden space: codes of the data, the output unit's line, and a separating line if one exists
    art["hid_shade"] = _shade_half_plane(ax_hid, HIDDEN_BOX)
    art["codes"] = _data_points(ax_hid, d["H"], d["y"])
    art["corner_codes"] = _corner_points(ax_hid, d["Hc"], d["cy"])
    art["out_line"] = ax_hid.plot(*d["out_line"], color="black", lw=2)[0]
    sep = {"color": plots.OKABE_ITO[5], "lw": 1.5, "ls": "--"}
    art["sep_line"] = ax_hid.plot(*d["sep_line"], **sep)[0]
    art["strip"] = _margin_strip(ax_hid, d["cy"])
    art["shared"] = [ax_hid.annotate("", (0.5, 0.5), xytext=(0.5, 0.5), fontsize=9, ha="center", va="center",
                                     zorder=6, bbox={"boxstyle": "round", "fc": "white", "ec": "0.5"},
                                     arrowprops={"arrowstyle": "->", "color": "black"})
                     for _ in range(N_SHARED_MAX)]
    for ann in art["shared"]:
        ann.set_in_layout(False)
    ax_hid.set(xlim=HIDDEN_BOX, ylim=HIDDEN_BOX, xticks=ticks_hid, yticks=ticks_hid,
               xlabel="$h_1$ (hidden unit 1)", ylabel="$h_2$ (hidden unit 2)")
    _legend_below(ax_hid, art["codes"] + [_proxy(color="black", lw=2), _proxy(**sep)],
                  ["XOR = 0", "XOR = 1", "output unit: $z = 0.5$", "a separating line"])
    ax_hid.set_aspect("equal")
    # third panel: the training loss (learned) or the unit's squashing function (hand-set), two axes
    # in one fixed place of their own, one shown at a time
    rect = [0.25, 0.225, 0.7, 0.67]
    ax_loss, ax_sq = right.add_axes(rect), right.add_axes(rect)
    art.update(ax_loss=ax_loss, ax_sq=ax_sq)
    art["full"] = ax_loss.plot([], [], color="0.75", lw=1)[0]
    art["so_far"] = ax_loss.plot([], [], color=plots.OKABE_ITO[0], lw=2)[0]
    ax_loss.set(xlim=(-10, XOR_MAX_EPOCHS + 10), ylim=(0, 0.8), xticks=np.arange(0, XOR_MAX_EPOCHS + 1, 100),
                yticks=[0, 0.2, 0.4, 0.6, 0.8],
                xlabel="epoch", ylabel="training loss (cross-entropy)")
    _legend_below(ax_loss, [art["full"], art["so_far"]], ["later epochs", "so far"])
    z, step, _ = d["squash"]
    ax_sq.plot(z, step, color="0.6", lw=1.5, ls="--")
    art["squash"] = ax_sq.plot([], [], color=plots.OKABE_ITO[0], lw=2)[0]
    ax_sq.set(xlim=(-2.2, 2.2), ylim=(-0.05, 1.05), xticks=[-2, -1, 0, 1, 2], yticks=[0, 0.5, 1],
              xlabel="hand-set pre-activation $a$",
              ylabel="unit output")
    art["sq_legend"] = _legend_below(ax_sq, [ax_sq.lines[0], art["squash"]], ["step", "squashed"])
    xor_hidden_view_update(d, art)
    return art


def xor_hidden_view_update(d, art):
    art["in_shade"].set_data(d["grid"][2])
    _set_half_plane(art["hid_shade"], d["out_region"])
    for line, xy in zip(art["unit_lines"], d["unit_lines"]):
        _set_line(line, xy)
    title_in, title_hid = _xor_titles(d)
    art["title_in"].set_text(title_in)
    art["title_hid"].set_text(title_hid)
    _set_points(art["codes"], d["H"], d["y"])
    _set_points(art["corner_codes"], d["Hc"], d["cy"])
    _set_line(art["out_line"], d["out_line"])
    _set_line(art["sep_line"], d["sep_line"])
    art["sep_line"].set_visible(d["separator"][2] == 4)
    _set_margin_strip(art["strip"], d)
    _set_shared(art["shared"], d)
    learned = d["weights"] == "learned"
    art["ax_loss"].set_visible(learned)
    art["ax_sq"].set_visible(not learned)
    if learned:
        losses, full = d["losses"], d["full_losses"]
        art["full"].set_data(np.arange(1, len(full) + 1), full)
        art["so_far"].set_data(np.arange(1, len(losses) + 1), losses)
        art["ax_loss"].set_title(f"learned: seed {d['seed']}, {d['epochs']} epochs", fontsize=9, y=1)
    else:
        z, _, squashed = d["squash"]
        art["squash"].set_data(z, squashed)
        art["sq_legend"].get_texts()[1].set_text(f"$\\sigma({d['steepness']:g}\\,a)$")
        art["ax_sq"].set_title(f"hand-set weights times steepness {d['steepness']:g}", fontsize=9, y=1)


def xor_hidden_view_applies(weights, steepness, epochs, seed):
    """The steepness acts on the hand-set weights only, epochs and seed on the learned ones."""
    return {"weights", "steepness"} if weights == "hand-set" else {"weights", "epochs", "seed"}


def xor_hidden_view():
    return Experiment(
        "XOR through the hidden layer: input space and hidden space",
        [dropdown("weights", ["hand-set", "learned"], "hand-set"),
         slider("steepness", 0.5, 20.0, 0.5, 20.0, label="steepness (hand-set)", static=(1.0, 2.0, 3.0, 20.0)),
         slider("epochs", 0, XOR_MAX_EPOCHS, 10, XOR_MAX_EPOCHS, label="epochs (learned)",
                static=(0, 60, 300)),
         slider("seed", 0, 9, 1, 0, label="seed (learned)", static=(0, 6))],
        xor_hidden_view_compute, xor_hidden_view_draw, figsize=(11, 4.5), cache=64,
        update=xor_hidden_view_update, applies=xor_hidden_view_applies,
        stages={"trained": (xor_training, ("seed",))},     # one training run per seed, for every epoch
        alt="Left: the unit square with the XOR points, the network's output regions and the two hidden "
            "units' lines. Middle: the same points mapped to the hidden units' outputs, with the output "
            "unit's line. Right: the training loss or the hidden units' squashing curve")


# ---------------------------------------------------------------- 2. how many hidden units?
FIT_N, FIT_NOISE, FIT_DATA_SEED, FIT_INIT_SEED = 60, 0.05, 1, 0
FIT_EPOCHS, FIT_LR, FIT_MOMENTUM = 1000, 0.2, 0.9
FIT_HIDDEN = (1, 2, 3, 4, 6, 8, 16)   # the hidden-unit counts the experiment and the table offer
FIT_MAX_HIDDEN = max(FIT_HIDDEN)


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


def error_by_hidden_units(targets=tuple(data.TARGETS), hidden=FIT_HIDDEN, *, seeds=(0,)):
    """Mean squared error to the noise-free target after training, per target and hidden-unit count.

    -> array (len(targets), len(hidden), len(seeds)).
    """
    return np.array([[[hidden_units_fit_compute(h, t, seed=s)["mse"] for s in seeds] for h in hidden]
                     for t in targets])




def _fit_titles(d):
    return (f"{d['target']}: error to target {d['mse']:.4f} (noise variance {FIT_NOISE ** 2:.4f})",
            f"the {d['parts'].shape[1]} term{'s' if d['parts'].shape[1] > 1 else ''} whose sum (plus $b$) is the fit")


def hidden_units_fit_draw(d, fig):
    ax_fit, ax_parts = fig.subplots(1, 2)
    art = {"title_fit": ax_fit.set_title(" ", fontsize=9, y=1), "title_parts": ax_parts.set_title(" ", fontsize=9, y=1)}
    art["samples"] = ax_fit.scatter(d["X"][:, 0], d["y"][:, 0], s=12, color="0.55")
    art["truth"] = ax_fit.plot(d["xs"], d["truth"], color=plots.OKABE_ITO[1], lw=2.5, ls="--")[0]
    art["fit"] = ax_fit.plot(d["xs"], d["fit"], color=plots.OKABE_ITO[0], lw=2)[0]
    ticks = [-1, -0.5, 0, 0.5, 1]
    ax_fit.set(xlim=(-1.05, 1.05), ylim=(-1.6, 1.6), xticks=ticks, yticks=[-1.5, -1, -0.5, 0, 0.5, 1, 1.5],
               xlabel="$x$", ylabel="$y$")
    ax_fit.legend([art["samples"], art["truth"], art["fit"]], ["noisy samples", "target", "trained network"],
                                      loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=9, ncol=3,
                                      frameon=False)
    art["parts"] = [ax_parts.plot([], [], lw=1.3, color=plots.OKABE_ITO[j % 7])[0] for j in range(FIT_MAX_HIDDEN)]
    art["bias"] = ax_parts.axhline(0.0, color="0.4", lw=1, ls=":")
    ax_parts.set(xlim=(-1.05, 1.05), ylim=(-2.2, 2.2), xticks=ticks, yticks=[-2, -1, 0, 1, 2], xlabel="$x$",
                 ylabel="$W_{j} \\tanh(w_j x + b_j)$")
    ax_parts.legend([_proxy(color=plots.OKABE_ITO[0], lw=1.3), art["bias"]],
                    ["one curve per hidden unit", "output bias $b$"], loc="upper center",
                    bbox_to_anchor=(0.5, -0.16), fontsize=9, ncol=2, frameon=False)
    hidden_units_fit_update(d, art)
    return art


def hidden_units_fit_update(d, art):
    art["samples"].set_offsets(np.c_[d["X"][:, 0], d["y"][:, 0]])
    art["truth"].set_ydata(d["truth"])
    art["fit"].set_ydata(d["fit"])
    for j, line in enumerate(art["parts"]):
        line.set_data((d["xs"], d["parts"][:, j]) if j < d["parts"].shape[1] else ([], []))
    art["bias"].set_ydata([d["b2"], d["b2"]])
    title_fit, title_parts = _fit_titles(d)
    art["title_fit"].set_text(title_fit)
    art["title_parts"].set_text(title_parts)


def hidden_units_fit():
    return Experiment(
        "How many hidden units? A 1-H-1 tanh network fitted to a 1-D function",
        [dropdown("hidden", FIT_HIDDEN, 3, label="hidden units", static=(1, 2, 3, 8)),
         dropdown("target", list(data.TARGETS), "sine")],
        hidden_units_fit_compute, hidden_units_fit_draw, figsize=(10, 3.8), warm=True,
        update=hidden_units_fit_update,
        alt="Left: noisy samples of a 1-D target, the target and the trained network's fit. Right: the "
            "contribution of each hidden unit, a scaled tanh curve")


EXPERIMENTS = {"xor_hidden_view": xor_hidden_view, "hidden_units_fit": hidden_units_fit}
