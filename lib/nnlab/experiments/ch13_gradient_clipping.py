"""Chapter 13 experiments: descent over a cliff with and without clipping, and a deep network whose
training explodes without clipping."""
import numpy as np
from matplotlib.ticker import NullLocator

from .. import data
from ..viz import plots
from ..experiment import Experiment, dropdown, slider
from ..activations import get_activation
from ..clipping import ClipByNorm, ClipByValue
from ..init import fans, normal
from ..layers import Dense, Sequential
from ..losses import SquaredError
from ..train import evaluate, fit
from ..topics import clipping_cliff as cliff
from .._checks import choice, number

METHODS = ("none", "by value", "by norm")
COLOURS = {"none": plots.OKABE_ITO[5], "by value": plots.OKABE_ITO[1], "by norm": plots.OKABE_ITO[0]}


def make_clip(method, threshold):
    """None, ClipByValue(-threshold, threshold) or ClipByNorm(threshold)."""
    choice("method", method, METHODS)
    number("threshold", threshold, low=0, low_open=True)
    return {"none": None, "by value": ClipByValue(-threshold, threshold), "by norm": ClipByNorm(threshold)}[method]


# ---------------------------------------------------------------- 1. the cliff
CLIFF_STEPS = 80
# the start: 1.5 below the wall's edge and 2.5 up the ravine from its lowest point
START = tuple(-1.5 * np.array(cliff.N) - 2.5 * np.array(cliff.T))
WINDOW = (-2.5, 1.5, -4.0, 1.0)      # w1 from, to; w2 from, to (the same in every frame)
GRID_STEPS = 160
LEVELS = (0.6, 1, 2, 4, 8, 16, 32, 64, 128, 256)
ANGLE_LIMITS = (0, 50)
THROW = 5.0                          # a step longer than this leaves the chart's window: a throw
LATE = 20                            # the last steps of a run, over which its typical distance is taken


def landscape():
    """The loss on a fixed grid over WINDOW: {'w1', 'w2' (axes), 'L' (len(w2), len(w1))}."""
    w1 = np.linspace(WINDOW[0], WINDOW[1], GRID_STEPS)
    w2 = np.linspace(WINDOW[2], WINDOW[3], GRID_STEPS)
    G1, G2 = np.meshgrid(w1, w2)
    return {"w1": w1, "w2": w2, "L": cliff.cliff_loss(G1, G2)}


def cliff_compute(log10_threshold=0.0, lr=0.2, steps=CLIFF_STEPS):
    """Gradient descent from START on the cliff loss, with no clipping, by value ([-v, v]) and by
    norm (v), v = 10**log10_threshold, all at learning rate lr.

    Returns {'threshold', 'lr', 'start', 'runs': {method: descend's dict plus 'angle' (steps,), the
    angle in degrees between the raw and the clipped gradient, 'longest' (the longest step), 'throws'
    (the number of steps longer than THROW), 'far' (the largest distance from the start), 'end_s' (where
    along the ravine the run ends; 0: its lowest point), 'end_distance' (from the lowest point) and
    'late_distance' (the median distance from the lowest point over the last LATE steps) and
    'late_loss' (the mean loss over the last LATE steps)}}.
    """
    number("log10_threshold", log10_threshold, low=-3, high=4)
    v = float(10.0 ** log10_threshold)
    runs = {}
    for method in METHODS:
        run = cliff.descend(START, lr, steps, make_clip(method, v))
        run["angle"] = cliff.angle_deg(run["raw"], run["used"])
        lengths = np.linalg.norm(np.diff(run["path"], axis=0), axis=1)
        run["longest"] = float(lengths.max())
        run["throws"] = int(np.sum(lengths > THROW))
        run["far"] = float(np.max(np.linalg.norm(run["path"] - np.array(START), axis=1)))
        run["end_s"] = float(cliff.along_ravine(run["path"][-1]))
        distance = np.linalg.norm(run["path"] - cliff.lowest_point(), axis=1)
        run["end_distance"] = float(distance[-1])
        run["late_distance"] = float(np.median(distance[-LATE:]))
        run["late_loss"] = float(np.mean(run["loss"][-LATE:]))
        runs[method] = run
    return {"threshold": v, "lr": lr, "start": START, "runs": runs}


def off_chart(path):
    """Whether a path leaves the chart's window."""
    path = np.asarray(path)
    return bool(np.any((path[:, 0] < WINDOW[0]) | (path[:, 0] > WINDOW[1])
                       | (path[:, 1] < WINDOW[2]) | (path[:, 1] > WINDOW[3])))


def _cliff_titles(d):
    v = d["threshold"]
    heads = {"none": "no clipping", "by value": f"by value, [{-v:.3g}, {v:.3g}]", "by norm": f"by norm, v = {v:.3g}"}
    titles = []
    for method, run in d["runs"].items():
        end = round(run["end_s"], 1) + 0.0                 # + 0.0: no "-0.0"
        if run["throws"]:
            where = f"thrown {run['throws']} time{'s' if run['throws'] > 1 else ''}; loss {run['late_loss']:.2g} (last {LATE})"
        elif off_chart(run["path"]):
            where = "leaves the chart"
        else:
            where = f"ends at s = {end:.1f}; loss {run['late_loss']:.2g} (last {LATE})"
        titles.append(f"{heads[method]}\n{where}")
    return titles + [f"η = {d['lr']:g}: angle between raw\nand clipped gradient"]


def cliff_draw(d, fig):
    axes = fig.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 1.15]})
    land = landscape()
    titles = _cliff_titles(d)
    art = {"paths": [], "titles": []}
    for ax, (method, run), title in zip(axes[:3], d["runs"].items(), titles):
        ax.contourf(land["w1"], land["w2"], land["L"], levels=(0,) + LEVELS + (1e9,), cmap="Greys", alpha=0.55)
        ax.contour(land["w1"], land["w2"], land["L"], levels=LEVELS, colors="0.45", linewidths=0.5)
        ax.plot(*START, "o", color="black", ms=5, zorder=3)
        ax.plot(*cliff.lowest_point(), "*", color=plots.OKABE_ITO[2], ms=11, mec="black", mew=0.5, zorder=3)
        art["paths"].append(ax.plot(run["path"][:, 0], run["path"][:, 1], "-", marker=".", ms=3, lw=1.2,
                                    color=COLOURS[method], zorder=4)[0])
        art["titles"].append(ax.set_title(title, fontsize=9))
        ax.text(1.05, -1.9, "cliff", rotation=-70, fontsize=9, ha="center", va="center", color="0.2")
        ax.text(-0.55, -0.55, "ravine", rotation=-70, fontsize=9, ha="center", va="center", color="0.35")
        ax.set_xlim(*WINDOW[:2])
        ax.set_ylim(*WINDOW[2:])
        ax.set_aspect("equal")
        ax.set_xticks([-2, -1, 0, 1])
        ax.set_yticks([-4, -3, -2, -1, 0, 1])
        ax.set_xlabel("$w_1$")
    axes[0].set_ylabel("$w_2$")
    ax = axes[3]
    steps = np.arange(len(d["runs"]["by value"]["angle"]))
    art["angles"] = [ax.plot(steps, d["runs"][m]["angle"], color=COLOURS[m], lw=1.5, ls=ls, label=m)[0]
                     for m, ls in (("by value", "-"), ("by norm", "--"))]
    art["titles"].append(ax.set_title(titles[3], fontsize=9))
    ax.set_xlim(0, len(steps))
    ax.set_ylim(*ANGLE_LIMITS)
    ax.set_yticks([0, 15, 30, 45])
    ax.axhline(45, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel("step")
    ax.set_ylabel("angle (degrees)")
    ax.legend(fontsize=9, loc="center right")
    return art


def cliff_update(d, art):
    for line, run in zip(art["paths"], d["runs"].values()):
        line.set_data(run["path"][:, 0], run["path"][:, 1])
    for line, method in zip(art["angles"], ("by value", "by norm")):
        line.set_ydata(d["runs"][method]["angle"])
    for text, title in zip(art["titles"], _cliff_titles(d)):
        text.set_text(title)


def cliff_experiment():
    return Experiment(
        "Gradient descent next to a cliff: no clipping, clipping by value, clipping by norm",
        [slider("log10_threshold", -1.0, 2.0, 0.25, 0.0, label="log10 threshold v",
                static=(-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0)),
         dropdown("lr", (0.05, 0.1, 0.2), 0.2, label="learning rate η")],
        cliff_compute, cliff_draw, figsize=(11, 4.2), update=cliff_update, cache=40,
        alt="Three contour maps of a loss with a ravine at the foot of a steep wall, each with a path of "
            "gradient descent from the same start (no clipping, by value, by norm), and a chart of the angle "
            "between the raw and the clipped gradient at every step")


# ---------------------------------------------------------------- 2. a deep network that explodes
DEPTH, WIDTH, GAIN = 12, 16, 2.0      # 12 hidden ReLU layers of 16 units, W ~ N(0, GAIN^2 / fan_in)
LR, EPOCHS, N_SAMPLES = 0.05, 60, 100
EXPLODED = 1e3                        # a run whose loss grows to EXPLODED times its start has exploded
DATA_SEED, INIT_SEED, ORDER_SEED = 7, 1, 2
DEEP_LOSS_LIMITS = (1e-2, 1e4)
NORM_LIMITS = (1e-2, 1e8)


def make_data(n=N_SAMPLES):
    """n moons points X (n, 2) and targets (n, 1) in {0, 1}."""
    X, y = data.moons(n, noise=0.15, rng=np.random.default_rng(DATA_SEED))
    return X, y[:, None].astype(float)


def make_network(depth=DEPTH, gain=GAIN):
    """2 -> depth ReLU layers of WIDTH units -> 1 linear output, W ~ N(0, gain^2 / fan_in), zero biases,
    always from the same random numbers."""
    rng = np.random.default_rng(INIT_SEED)
    init = lambda shape, rng: normal(shape, rng, sigma=gain / np.sqrt(fans(shape)[0]))  # noqa: E731
    sizes = [2] + [WIDTH] * depth + [1]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [Dense(n_in, n_out, rng=rng, init=init), get_activation("linear" if i == depth else "relu")]
    return Sequential(layers)


def deep_compute(method="none", log10_threshold=0.5, epochs=EPOCHS):
    """Train the deep network by full-batch gradient descent (one update per epoch), clipped or not.

    Returns {'method', 'threshold', 'loss' (loss on all data before training and after each epoch;
    shorter if it became infinite), 'grad_norm' (per update, before clipping), 'clipped_norm' (per
    update, after clipping), 'exploded' (the loss became infinite or grew to EXPLODED times its start),
    'epochs' (run), 'size' (number of parameters)}.
    """
    number("log10_threshold", log10_threshold, low=-3, high=4)
    v = float(10.0 ** log10_threshold)
    clip = make_clip(method, v)
    X, y = make_data()
    model = make_network()
    loss = SquaredError()
    loss0 = evaluate(model, loss, X, y, scored=False)[0]
    used = []
    norm_after = lambda model, step: float(np.sqrt(sum(np.vdot(g, g) for *_, g in model.parameters())))  # noqa: E731
    with np.errstate(over="ignore", invalid="ignore"):
        history = fit(model, X, y, loss=loss, lr=LR, epochs=epochs, batch_size=None,
                      rng=np.random.default_rng(ORDER_SEED), clip=clip, callback=norm_after)
    used = np.array(history.logs, dtype=float)
    curve = np.array([loss0] + history.train_loss, dtype=float)
    exploded = bool(not np.all(np.isfinite(curve)) or np.max(curve) > EXPLODED * loss0)
    return {"method": method, "threshold": v, "loss": curve, "grad_norm": np.array(history.grad_norm),
            "clipped_norm": used, "exploded": exploded, "epochs": history.epochs,
            "size": int(sum(p.size for _, _, p, _ in model.parameters()))}


def _deep_title(d):
    head = {"none": "no clipping", "by value": f"clip by value, [{-d['threshold']:.3g}, {d['threshold']:.3g}]",
            "by norm": f"clip by norm, v = {d['threshold']:.3g}"}[d["method"]]
    if d["exploded"]:
        return f"{head}: exploded, the loss reached {np.nanmax(_finite(d['loss'])):.0e} (▲: off the chart)"
    return f"{head}: final loss {d['loss'][-1]:.2g}"


def _finite(y, top=np.inf):
    """y with the values that are not finite left out (NaN) and those above ``top`` (off the chart) put on it."""
    y = np.asarray(y, dtype=float)
    return np.where(np.isfinite(y), np.minimum(y, top), np.nan)


def _above(y, top, start=0):
    """(x, y) of the marks at the top of a chart for the values above it (or not finite); x counts from start."""
    y = np.asarray(y, dtype=float)
    x = np.flatnonzero(~(y <= top))
    return x + start, np.full(len(x), top)


def deep_draw(d, fig):
    ax_loss, ax_norm = fig.subplots(1, 2)
    curve = _finite(d["loss"], DEEP_LOSS_LIMITS[1])
    art = {"loss": ax_loss.plot(np.arange(len(curve)), curve, color=COLOURS[d["method"]], lw=2)[0],
           "title": fig.suptitle(_deep_title(d), fontsize=10),
           "above": ax_loss.plot(*_above(d["loss"], DEEP_LOSS_LIMITS[1]), "^", color=plots.OKABE_ITO[5], ms=5,
                                 clip_on=False)[0]}
    ax_loss.axhline(d["loss"][0], color="0.5", ls=":", lw=1, label="loss before training")
    ax_loss.set_yscale("log")
    ax_loss.set_ylim(*DEEP_LOSS_LIMITS)
    ax_loss.set_yticks([1e-2, 1e-1, 1, 10, 1e2, 1e3, 1e4])
    ax_loss.yaxis.set_minor_locator(NullLocator())
    ax_loss.set_xlim(0, EPOCHS)
    ax_loss.set_xlabel("epoch (one update each)")
    ax_loss.set_ylabel("squared error on all data (log scale)")
    ax_loss.legend(fontsize=9, loc="upper right")
    steps = np.arange(1, len(d["grad_norm"]) + 1)
    top = NORM_LIMITS[1]
    art["raw"] = ax_norm.plot(steps, _finite(d["grad_norm"], top), color="0.3", lw=1.5, label="‖g‖ before clipping")[0]
    art["used"] = ax_norm.plot(steps, _finite(d["clipped_norm"], top), color=COLOURS[d["method"]], lw=2, ls="--",
                               label="‖g‖ after clipping")[0]
    art["raw_above"] = ax_norm.plot(*_above(d["grad_norm"], top, start=1), "^", color="0.3", ms=5, clip_on=False)[0]
    for mark in (art["above"], art["raw_above"]):
        mark.set_in_layout(False)              # marks on the top edge: the layout does not depend on them
    level = d["threshold"] if d["method"] == "by norm" else np.nan
    art["level"] = ax_norm.axhline(level, color=plots.OKABE_ITO[2], lw=1, ls=":", label="threshold v (by norm)")
    ax_norm.set_yscale("log")
    ax_norm.set_ylim(*NORM_LIMITS)
    ax_norm.set_yticks([1e-2, 1, 1e2, 1e4, 1e6, 1e8])
    ax_norm.yaxis.set_minor_locator(NullLocator())
    ax_norm.set_xlim(0, EPOCHS)
    ax_norm.set_xlabel("update")
    ax_norm.set_ylabel("gradient norm, all parameters (log scale)")
    ax_norm.legend(fontsize=9, loc="upper right")
    return art


def deep_update(d, art):
    curve = _finite(d["loss"], DEEP_LOSS_LIMITS[1])
    art["loss"].set_data(np.arange(len(curve)), curve)
    art["loss"].set_color(COLOURS[d["method"]])
    art["above"].set_data(*_above(d["loss"], DEEP_LOSS_LIMITS[1]))
    steps = np.arange(1, len(d["grad_norm"]) + 1)
    art["raw"].set_data(steps, _finite(d["grad_norm"], NORM_LIMITS[1]))
    art["used"].set_data(steps, _finite(d["clipped_norm"], NORM_LIMITS[1]))
    art["raw_above"].set_data(*_above(d["grad_norm"], NORM_LIMITS[1], start=1))
    art["used"].set_color(COLOURS[d["method"]])
    level = d["threshold"] if d["method"] == "by norm" else np.nan
    art["level"].set_ydata([level, level])
    art["title"].set_text(_deep_title(d))


def deep_applies(method, log10_threshold):
    return ("method",) if method == "none" else ("method", "log10_threshold")


def deep_network():
    return Experiment(
        f"A deep ReLU network ({DEPTH} hidden layers) trained with and without gradient clipping",
        [dropdown("method", METHODS, "none", label="clipping"),
         slider("log10_threshold", -1.0, 2.5, 0.5, 0.5, label="log10 threshold v",
                static=(-1.0, 0.0, 0.5, 1.0, 1.5, 2.0))],
        deep_compute, deep_draw, figsize=(9, 3.8), update=deep_update, applies=deep_applies, warm=True,
        alt="Left: the training loss of a deep network against the epoch, on a log scale. Right: the norm of "
            "its whole gradient at every update, before and after clipping")


EXPERIMENTS = {"cliff": cliff_experiment, "deep_network": deep_network}
