"""Chapter 12 experiments: the dropout rate on a network that overfits, and the Monte Carlo average
of thinned networks against the scaled (test-mode) network. Also the chapter's static figures:
the slides' thinned network, co-adaptation (unit knock-outs) and the ensemble of thinned networks."""
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch
from matplotlib.ticker import NullLocator

from .. import data
from ..activations import get_activation
from ..experiment import Experiment, dropdown, slider
from ..layers import Dense, Dropout, Sequential
from ..losses import BinaryCrossEntropy, accuracy
from ..optim import SGD
from ..topics import dropout as topic
from ..train import fit
from ..viz import plots
from ..viz.network_diagram import UNIT_FILL, layout
from .._checks import choice, number

HIDDEN = 64                     # units in each of the two hidden layers
N_TRAIN, N_VAL = 40, 200        # few training points: a 2-64-64-1 network can memorise them
EPOCHS, LR, MOMENTUM = 500, 0.05, 0.9
DATA_SEED, VAL_SEED, INIT_SEED, MASK_SEED, ORDER_SEED = 7, 8, 1, 100, 2
DATASETS = {"moons": lambda n, rng: data.moons(n, noise=0.3, rng=rng),
            "circles": lambda n, rng: data.circles(n, noise=0.15, rng=rng, factor=0.5)}
REGION = (-2.2, 3.2, -2.0, 2.2)       # x1 from, to; x2 from, to: holds every point of both data sets
REGION_STEPS = 120


def make_data(dataset):
    """(X, y, X_val, y_val): N_TRAIN training and N_VAL validation points of the 2-D data set."""
    choice("dataset", dataset, DATASETS)
    X, y = DATASETS[dataset](N_TRAIN, np.random.default_rng(DATA_SEED))
    X_val, y_val = DATASETS[dataset](N_VAL, np.random.default_rng(VAL_SEED))
    return X, y, X_val, y_val


def make_network(p_drop, hidden=HIDDEN):
    """2-hidden-hidden-1: Dense, ReLU, Dropout(p_drop) twice, then Dense and a sigmoid output.
    Fixed initial weights (the same for every p_drop) and fixed mask generators."""
    number("p_drop", p_drop, low=0, high=1, high_open=True)
    rng = np.random.default_rng(INIT_SEED)
    return Sequential(
        Dense(2, hidden, rng=rng, init="he_normal"), get_activation("relu"),
        Dropout(p_drop, rng=np.random.default_rng(MASK_SEED)),
        Dense(hidden, hidden, rng=rng, init="he_normal"), get_activation("relu"),
        Dropout(p_drop, rng=np.random.default_rng(MASK_SEED + 1)),
        Dense(hidden, 1, rng=rng), get_activation("sigmoid"))


def train(dataset, p_drop, *, epochs=EPOCHS, validate=True):
    """Train make_network(p_drop) on the data set (full batch, SGD with momentum): (model, history)."""
    X, y, X_val, y_val = make_data(dataset)
    model = make_network(p_drop)
    val = {"X_val": X_val, "y_val": y_val} if validate else {}
    history = fit(model, X, y, loss="bce", optimizer=SGD(LR, momentum=MOMENTUM), epochs=epochs,
                  batch_size=None, rng=np.random.default_rng(ORDER_SEED), **val)
    return model, history


# ---------------------------------------------------------------- 1. the dropout rate
LOSS_LIMITS = (3e-3, 3)
LOSS_TICKS = (0.01, 0.1, 1)


def rate_explorer_compute(dataset="moons", p_drop=0.5, epochs=EPOCHS):
    """Train the 2-64-64-1 network with dropout rate p_drop on 40 points; validate on 200.

    Returns a dict: 'p_drop', 'X', 'y', 'X_val', 'y_val', 'model', 'history' (train_loss, val_loss,
    train_acc, val_acc per epoch, in test mode), 'grid' (the trained network's output on REGION)."""
    number("p_drop", p_drop, low=0, high=1, high_open=True)
    model, history = train(dataset, p_drop, epochs=epochs)
    X, y, X_val, y_val = make_data(dataset)
    points, x1, x2 = plots.region_grid(REGION, REGION_STEPS)
    return {"p_drop": p_drop, "dataset": dataset, "X": X, "y": y, "X_val": X_val, "y_val": y_val,
            "model": model, "history": history, "grid": plots.output_grid(model(points), x1, x2)}


def _rate_titles(d):
    h = d["history"]
    return (f"p_drop = {d['p_drop']:g}: final loss, training {h.train_loss[-1]:.2g}, validation "
            f"{h.val_loss[-1]:.2g}",
            f"accuracy: training {h.train_acc[-1]:.0%}, validation {h.val_acc[-1]:.0%}")


def _class_points(ax, X, y, big):
    return [ax.scatter(X[y == k, 0], X[y == k, 1], s=30 if big else 8, alpha=1.0 if big else 0.45,
                       c=plots.OKABE_ITO[k], marker=plots.MARKERS[k], edgecolors="black" if big else "none",
                       linewidths=0.6, zorder=3 if big else 2,
                       label=f"class {k}, {'training' if big else 'validation'}") for k in (0, 1)]


def rate_explorer_draw(d, fig):
    ax_loss, ax_db = fig.subplots(1, 2)
    h = d["history"]
    epochs = np.arange(1, h.epochs + 1)
    loss_title, db_title = _rate_titles(d)
    art = {"train": ax_loss.plot(epochs, h.train_loss, color=plots.OKABE_ITO[0], label="training")[0],
           "val": ax_loss.plot(epochs, h.val_loss, "--", color=plots.OKABE_ITO[5], label="validation")[0],
           "loss_title": ax_loss.set_title(loss_title, fontsize=9)}
    ax_loss.set_yscale("log")
    ax_loss.set_ylim(*LOSS_LIMITS)
    ax_loss.set_yticks(LOSS_TICKS, labels=[f"{t:g}" for t in LOSS_TICKS])
    ax_loss.yaxis.set_minor_locator(NullLocator())
    ax_loss.set_xlim(0, len(epochs))
    ax_loss.set_xticks(np.arange(0, len(epochs) + 1, 100))
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss (cross-entropy, log scale)")
    ax_loss.legend(loc="lower left", fontsize=9)

    art.update(plots.decision_regions(ax_db, d["grid"], REGION, [-2, 0, 2], [-2, 0, 2]))
    art["val_points"] = _class_points(ax_db, d["X_val"], d["y_val"], big=False)
    art["points"] = _class_points(ax_db, d["X"], d["y"], big=True)
    art["db_title"] = ax_db.set_title(db_title, fontsize=9)
    ax_db.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
    return art


def rate_explorer_update(d, art):
    art["train"].set_ydata(d["history"].train_loss)
    art["val"].set_ydata(d["history"].val_loss)
    plots.set_decision_regions(art, d["grid"])
    for key, X, y in (("points", d["X"], d["y"]), ("val_points", d["X_val"], d["y_val"])):
        for k, points in enumerate(art[key]):
            points.set_offsets(X[y == k])
    for key, title in zip(("loss_title", "db_title"), _rate_titles(d)):
        art[key].set_text(title)


RATES = (0.0, 0.25, 0.5, 0.75)


def rate_explorer():
    return Experiment(
        "The dropout rate on a 2-64-64-1 network that overfits 40 points (500 epochs)",
        [dropdown("dataset", ["moons", "circles"], "moons"),
         slider("p_drop", 0.0, 0.75, 0.25, 0.5, label="p_drop (drop probability)", static=RATES)],
        rate_explorer_compute, rate_explorer_draw, figsize=(9.5, 3.8), update=rate_explorer_update, warm=True,
        alt="Left: training and validation loss against epoch on a log scale. Right: the training and "
            "validation points and the trained network's decision regions")


# ---------------------------------------------------------------- 2. Monte Carlo average of masks
MC_MAX_LOG2 = 9                    # up to 2**9 = 512 masks
MC_N = 100                         # validation points the averages are computed on
MC_LEVELS = (0.15, 0.4, 0.6, 0.85)  # the points tracked have test-mode outputs near these
MC_TRACKED = len(MC_LEVELS)


def mc_masks_compute(p_drop=0.5, epochs=EPOCHS):
    """The network trained with dropout p_drop on moons and 2**MC_MAX_LOG2 random thinned networks
    of it on MC_N validation points. Returns a dict: 'p_drop', 'scaled' (MC_N,) the test-mode
    outputs, 'running' (K_max, MC_N) the average of the first k thinned networks' outputs (row k - 1),
    'spread' (MC_N,) the standard deviation of one thinned network's output at each point, 'tracked'
    MC_TRACKED points whose test-mode outputs are nearest MC_LEVELS, 'sigma2' (the variance of one
    thinned network's output, averaged over the points) and
    'bias2' (the mean squared difference between the average of all K_max and the test-mode output)."""
    model, _ = train("moons", p_drop, epochs=epochs, validate=False)
    X_val = make_data("moons")[2][:MC_N]
    scaled = model(X_val)[:, 0]
    masks = topic.sample_masks(model, X_val, 2 ** MC_MAX_LOG2, np.random.default_rng(0))
    thinned = topic.thinned_outputs(model, X_val, masks)[:, :, 0]          # (K_max, MC_N): f(x, z_k)
    running = np.cumsum(thinned, axis=0) / np.arange(1, len(thinned) + 1)[:, None]
    spread = thinned.std(axis=0)
    return {"p_drop": p_drop, "scaled": scaled, "running": running, "spread": spread,
            "tracked": [int(np.argmin(np.abs(scaled - level))) for level in MC_LEVELS], "sigma2": float(np.mean(spread ** 2)),
            "bias2": float(np.mean((running[-1] - scaled) ** 2))}


def mc_view(d, log2_K):
    """mc_masks_compute's data seen at K = 2**log2_K masks: adds 'K', 'mc' (the average of the first
    K thinned networks) and 'rms' (the root-mean-square difference of 'mc' from the test-mode output)."""
    number("log2_K", log2_K, low=0, high=MC_MAX_LOG2, integer=True)
    mc = d["running"][2 ** log2_K - 1]
    return {**d, "K": 2 ** log2_K, "mc": mc, "rms": float(np.sqrt(np.mean((mc - d["scaled"]) ** 2)))}


def mc_average_compute(log2_K=4, p_drop=0.5, *, masks=mc_masks_compute):
    """mc_view(masks(p_drop), log2_K): see mc_masks_compute and mc_view (the experiment hands over a
    masks that computes each p_drop once)."""
    return mc_view(masks(p_drop), log2_K)


def same_side(d):
    """How many points the average of K thinned networks puts on the test-mode network's side of 0.5."""
    return int(np.sum((d["mc"] >= 0.5) == (d["scaled"] >= 0.5)))


def _mc_titles(d):
    k = d["K"]
    return (f"p_drop = {d['p_drop']:g}: running averages at {MC_TRACKED} points",
            f"K = {k}: {same_side(d)} of {len(d['mc'])} classed as in test mode, "
            f"difference {d['rms']:.2f}")


def mc_average_draw(d, fig):
    ax_run, ax_pts = fig.subplots(1, 2)
    ks = np.arange(1, len(d["running"]) + 1)
    err_title, pts_title = _mc_titles(d)
    art = {"running": [], "scaled": []}
    for c, i in enumerate(d["tracked"]):
        colour = plots.OKABE_ITO[c]
        art["running"].append(ax_run.plot(ks, d["running"][:, i], color=colour, lw=1.5)[0])
        art["scaled"].append(ax_run.plot([1, ks[-1]], [d["scaled"][i]] * 2, "--", color=colour, lw=1.2)[0])
    ax_run.plot([], [], color="0.3", lw=1.5, label="average of the first K thinned networks")
    ax_run.plot([], [], "--", color="0.3", lw=1.2, label="test-mode (scaled) output")
    art["here"] = ax_run.axvline(d["K"], color="0.5", lw=1, ls=":")
    art["err_title"] = ax_run.set_title(err_title, fontsize=9)
    ax_run.set_xscale("log")
    ax_run.set_xlim(1, ks[-1])
    ax_run.set_ylim(-0.02, 1.3)
    ax_run.set_xticks([1, 10, 100], labels=["1", "10", "100"])
    ax_run.set_yticks([0, 0.5, 1])
    ax_run.xaxis.set_minor_locator(NullLocator())
    ax_run.set_xlabel("number of masks K (log scale)")
    ax_run.set_ylabel("output (probability of class 1)")
    ax_run.legend(loc="upper right", fontsize=9)

    ax_pts.plot([0, 1], [0, 1], color="0.6", lw=1)
    art["points"] = ax_pts.scatter(d["scaled"], d["mc"], s=14, color=plots.OKABE_ITO[0], alpha=0.8)
    ax_pts.set_xlim(-0.02, 1.02)
    ax_pts.set_ylim(-0.02, 1.02)
    ax_pts.set_xticks([0, 0.5, 1])
    ax_pts.set_yticks([0, 0.5, 1])
    ax_pts.set_xlabel("test-mode (scaled) output")
    ax_pts.set_ylabel("average of K thinned networks")
    art["pts_title"] = ax_pts.set_title(pts_title, fontsize=9)
    return art


def mc_average_update(d, art):
    for line, flat, i in zip(art["running"], art["scaled"], d["tracked"]):
        line.set_ydata(d["running"][:, i])
        flat.set_ydata([d["scaled"][i]] * 2)
    art["here"].set_xdata([d["K"]] * 2)
    art["points"].set_offsets(np.c_[d["scaled"], d["mc"]])
    for key, title in zip(("err_title", "pts_title"), _mc_titles(d)):
        art[key].set_text(title)


def mc_average():
    return Experiment(
        "The average of K random thinned networks against the test-mode (scaled) network",
        [slider("log2_K", 0, MC_MAX_LOG2, 1, 4, label="log2 K (number of masks)", static=(0, 2, 4, 6, 9)),
         dropdown("p_drop", [0.25, 0.5], 0.5, label="p_drop")],
        mc_average_compute, mc_average_draw, figsize=(9.5, 4), update=mc_average_update, warm=True,
        stages={"masks": (mc_masks_compute, ("p_drop",))},     # the thinned networks, once per p_drop
        alt="Left: the running average of K thinned networks' outputs at four points, against K on a log "
            "axis, each with its test-mode output as a dashed line. Right: for 100 "
            "points, the average of K thinned networks' outputs against the test-mode output")


# ---------------------------------------------------------------- static figures of the chapter
def draw_thinned(ax, sizes, kept=None, *, title=None, node_labels=None, edge_labels=None, radius=0.25):
    """The slides' figure: a layered network (sizes, e.g. [2, 5, 5, 1]) with dropped units crossed
    out and their connections removed. kept: one 0/1 array per layer (None: every unit kept);
    node_labels: one list of strings per layer; edge_labels(l, i, j) -> a string (or None) written
    on the connection from unit i of layer l to unit j of layer l + 1."""
    kept = [np.ones(n, bool) for n in sizes] if kept is None else [np.asarray(k, bool) for k in kept]
    pos = layout(sizes, bias=False)
    for l in range(len(sizes) - 1):
        for i in range(sizes[l]):
            for j in range(sizes[l + 1]):
                if kept[l][i] and kept[l + 1][j]:
                    p, q = np.array(pos[(l, i)]), np.array(pos[(l + 1, j)])
                    u = (q - p) / np.linalg.norm(q - p)
                    ax.add_patch(FancyArrowPatch(p + radius * u, q - radius * u, arrowstyle="-|>",
                                                 mutation_scale=8, color="0.35", lw=0.9, shrinkA=0, shrinkB=0))
                    text = edge_labels(l, i, j) if edge_labels else None
                    if text:
                        x, y = 0.55 * p + 0.45 * q
                        ax.text(x, y, text, ha="center", va="center", fontsize=10, zorder=4,
                                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9))
    for (l, i), (x, y) in pos.items():
        on = kept[l][i]
        ax.add_patch(Circle((x, y), radius, fc=UNIT_FILL if on else "white", ec="black" if on else "0.6",
                            lw=1.2, ls="-" if on else "--", zorder=3))
        if node_labels is not None:
            ax.text(x, y, node_labels[l][i], ha="center", va="center", fontsize=10, zorder=5,
                    color="black" if on else "0.6")
        if not on:
            r = 0.7 * radius
            ax.plot([x - r, x + r], [y - r, y + r], color=plots.OKABE_ITO[5], lw=2, zorder=6)
            ax.plot([x - r, x + r], [y + r, y - r], color=plots.OKABE_ITO[5], lw=2, zorder=6)
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 2 * radius, max(xs) + 2 * radius)
    ax.set_ylim(min(ys) - 2 * radius, max(ys) + 2 * radius)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def random_kept(sizes, p_drop, rng, *, p_drop_inputs=0.0):
    """One random thinning of a layered network: hidden units kept with probability 1 - p_drop,
    inputs with probability 1 - p_drop_inputs, outputs always."""
    kept = [rng.random(n) >= p_drop for n in sizes]
    kept[0] = rng.random(sizes[0]) >= p_drop_inputs
    kept[-1][:] = True
    return kept


def two_input_masks(w, x, p_drop):
    """The slides' example y = w1 z1 x1 + w2 z2 x2: every mask z, its probability p(z) and its y."""
    z = topic.all_masks(2)
    p = topic.mask_probability(z, p_drop)
    return z, p, (z * np.asarray(w, float) * np.asarray(x, float)).sum(axis=1)


def coadaptation_compute(dataset="moons", rates=(0.0, 0.5)):
    """Knock-outs: for the network trained with each dropout rate, the test-mode loss increase on
    the training data when one unit of the second hidden layer is zeroed, sorted from the largest.
    Returns {p_drop: (HIDDEN,) increases}."""
    X, y, _, _ = make_data(dataset)
    out = {}
    for p_drop in rates:
        model, _ = train(dataset, p_drop, validate=False)
        increase = topic.knockout_increase(model, X, y, BinaryCrossEntropy(), position=4)  # the second ReLU
        out[p_drop] = np.sort(increase)[::-1]
    return out


def ensemble_compute(dataset="moons", p_drop=0.5, n_thinned=200, n_drawn=12):
    """The network trained with dropout as an ensemble of thinned networks: the validation accuracy
    of n_thinned random thinned networks, of their average and of the test-mode network, and the
    output maps of the first n_drawn thinned networks (for their decision boundaries)."""
    model, _ = train(dataset, p_drop, validate=False)
    _, _, X_val, y_val = make_data(dataset)
    outputs = topic.thinned_outputs(model, X_val, topic.sample_masks(model, X_val, n_thinned,
                                                                     np.random.default_rng(3)))
    points, x1, x2 = plots.region_grid(REGION, 80)
    maps = topic.thinned_outputs(model, points, topic.sample_masks(model, points, n_drawn,
                                                                   np.random.default_rng(4)))
    return {"thinned_acc": np.array([accuracy(o, y_val) for o in outputs]),
            "average_acc": accuracy(outputs.mean(axis=0), y_val), "scaled_acc": accuracy(model(X_val), y_val),
            "spread": outputs[:, :, 0].std(axis=0), "X_val": X_val, "y_val": y_val,
            "maps": [plots.output_grid(m, x1, x2) for m in maps], "scaled": plots.output_grid(model(points), x1, x2)}


def scaling_gap_compute(p_drop=0.5, hidden=12, epochs=300, n_masks=1024):
    """One dropout layer of `hidden` units (2-hidden-1, ReLU, sigmoid output), trained with dropout
    on moons, so small that all 2**hidden masks can be enumerated and E_z[f(x, z)] computed exactly.

    Returns a dict: 'masks' (2**hidden); 'logit' and 'output': (mean, largest) |E_z[f] - test-mode f|
    over the validation points, before the output sigmoid and after it; 'to_exact' and 'to_scaled'
    (n_masks,): the root-mean-square difference of the average of the first k random thinned
    networks from E_z[f] and from the test-mode output; 'sigma' (the root-mean-square spread of one
    thinned network's output around E_z[f], over the n_masks draws and the points)."""
    X, y, X_val, _ = make_data("moons")
    rng = np.random.default_rng(INIT_SEED)
    model = Sequential(Dense(2, hidden, rng=rng, init="he_normal"), get_activation("relu"),
                       Dropout(p_drop, rng=np.random.default_rng(MASK_SEED)), Dense(hidden, 1, rng=rng),
                       get_activation("sigmoid"))
    fit(model, X, y, loss="bce", optimizer=SGD(LR, momentum=MOMENTUM), epochs=epochs, batch_size=None,
        rng=np.random.default_rng(ORDER_SEED))
    logit = Sequential(model.layers[:-1])                 # the same layers without the output sigmoid
    out = {"masks": 2 ** hidden}
    for name, net in (("logit", logit), ("output", model)):
        gap = np.abs(topic.exact_average(net, X_val) - net(X_val))
        out[name] = (float(gap.mean()), float(gap.max()))
    exact, scaled = topic.exact_average(model, X_val)[:, 0], model(X_val)[:, 0]
    thinned = topic.thinned_outputs(model, X_val, topic.sample_masks(model, X_val, n_masks,
                                                                     np.random.default_rng(5)))[:, :, 0]
    running = np.cumsum(thinned, axis=0) / np.arange(1, n_masks + 1)[:, None]
    out["to_exact"] = np.sqrt(np.mean((running - exact) ** 2, axis=1))
    out["to_scaled"] = np.sqrt(np.mean((running - scaled) ** 2, axis=1))
    out["sigma"] = float(np.sqrt(np.mean((thinned - exact) ** 2)))
    return out


EXPERIMENTS = {"rate_explorer": rate_explorer, "mc_average": mc_average}
