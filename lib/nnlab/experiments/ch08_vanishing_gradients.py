"""Chapter 8 experiments: gradients through a deep network, the signs of vanishing and exploding
gradients in training, and saturated units.

Every network here is ``topics.vanishing.deep_mlp``: 2 inputs, ``depth`` hidden layers of 16 units
with one activation, one linear output, weights N(0, gain^2 / fan_in), trained by ``nnlab.fit`` with
full-batch gradient descent on the squared error of the moons labels (0 or 1).
"""
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

from .. import data, probes
from .._checks import choice, number
from ..experiment import Experiment, dropdown, once, slider
from ..losses import SquaredError
from ..topics.vanishing import deep_mlp, max_slope
from ..train import evaluate, fit
from ..viz import plots

WIDTH, N_SAMPLES, EPOCHS, LR = 16, 100, 60, 0.1
DATA_SEED, INIT_SEED, ORDER_SEED = 7, 1, 2
ACTIVATIONS = ("sigmoid", "tanh", "relu")
GAINS = (0.5, 1.0, 1.41, 2.0, 4.0)
MAX_DEPTH = 10
CONSTANT_LOSS = 0.125     # squared error of the constant output 0.5 on labels half 0, half 1: 1/2 * 1/4


def make_data(n=N_SAMPLES):
    """The chapter's data: n moons points X (n, 2) with labels y (n,) in {0, 1}."""
    number("n", n, low=4, integer=True)
    return data.moons(n, noise=0.15, rng=np.random.default_rng(DATA_SEED))


def make_network(depth=MAX_DEPTH, activation="sigmoid", gain=1.0):
    """The chapter's deep network, always from the same random numbers: 2-16-...-16-1."""
    choice("activation", activation, ACTIVATIONS + ("linear", "leaky_relu"))
    return deep_mlp(depth, rng=np.random.default_rng(INIT_SEED), width=WIDTH, activation=activation, gain=gain)


def recorder(model):
    """A ``fit`` callback that keeps, after every update, the gradients that update used (per Dense
    layer ||dL/dW_l|| and ||dL/dz_l||), the update-to-weight ratio ||W_l(new) - W_l(old)|| / ||W_l(old)||
    and ||W_l(new)||."""
    before = [probes.weights(model)]

    def record(model, step):
        ratio = probes.update_ratios(before[0], model)
        before[0] = probes.weights(model)
        return {"grad": probes.weight_grad_norms(model), "delta": probes.output_grad_norms(model),
                "ratio": ratio, "weight": probes.weight_norms(model)}
    return record


def training_run(depth=MAX_DEPTH, activation="sigmoid", gain=1.0, *, epochs=EPOCHS, lr=LR, clip=None,
                 n=N_SAMPLES):
    """Train the deep network by full-batch gradient descent (one update per epoch) and record it.

    Returns a dict of arrays, row k for the weights after k updates (k = 0: at initialization):
    'loss' (E+1,) the squared error on all n points; 'grad' and 'delta' (E+1, depth+1) ||dL/dW_l||
    and ||dL/dz_l|| per Dense layer l = 1 (input side) .. depth+1 (output); 'weight' (E+1, depth+1)
    ||W_l||; 'ratio' (E, depth+1), the update-to-weight ratio of update k+1; and 'saturated' (2, depth),
    the saturated fraction of every hidden layer at the start and at the end. E is the number of epochs run (fewer than ``epochs`` if the loss became
    infinite or NaN: 'diverged'). Also 'accuracy', 'depth', 'activation', 'gain', 'lr', 'epochs'.
    """
    number("depth", depth, low=1, integer=True)
    number("epochs", epochs, low=1, integer=True)
    X, y = make_data(n)
    model = make_network(depth, activation, gain)
    loss = SquaredError()
    with np.errstate(over="ignore", invalid="ignore"):      # an exploding run overflows on purpose
        first = probes.probe(model, loss, X, y, train=True)
        w0 = probes.weight_norms(model)
        history = fit(model, X, y, loss=loss, lr=lr, epochs=epochs, batch_size=None, clip=clip,
                      rng=np.random.default_rng(ORDER_SEED), callback=recorder(model))
        last = probes.probe(model, loss, X, y, train=True)
    logs = history.logs
    stack = lambda key: np.array([log[key] for log in logs])
    return {"loss": np.array([first["loss"]] + history.train_loss),
            "grad": np.vstack([stack("grad"), last["weight_grad_norm"]]),
            "delta": np.vstack([stack("delta"), last["output_grad_norm"]]),
            "saturated": np.vstack([first["saturated"], last["saturated"]])[:, :-1],
            "weight": np.vstack([w0, stack("weight")]), "ratio": stack("ratio"),
            "diverged": not np.isfinite(history.train_loss[-1]), "accuracy": history.train_acc[-1],
            "depth": depth, "activation": activation, "gain": gain, "lr": lr, "epochs": history.epochs}


def first_to_last(run, key="grad", row=0):
    """How much smaller layer 1's entry is than the output layer's, at row `row`: run[key][row, 0] / [row, -1]."""
    values = run[key][row]
    return float(values[0] / values[-1])


# ---------------------------------------------------------------- drawing helpers
LAYER_COLOURS = {"first": plots.OKABE_ITO[5], "last": plots.OKABE_ITO[0], "between": "0.7"}


def _clamped(values, low, high):
    """Values for a log axis [low, high]: inf and values beyond it sit on its edges; NaN stays a gap."""
    v = np.array(values, dtype=float)
    v[np.isposinf(v)] = high
    return np.clip(v, low, high)


def _log_axis(ax, limits, ticks):
    ax.set_yscale("log")
    ax.set_ylim(*limits)
    ax.set_yticks(ticks, labels=[_power(t) for t in ticks])
    ax.yaxis.set_minor_locator(NullLocator())


def _power(t):
    e = int(round(np.log10(t)))
    return "1" if e == 0 else f"$10^{{{e}}}$"


def _layer_pool(ax):
    """One line per possible Dense layer (MAX_DEPTH + 1), drawn so that the first and last are on top."""
    lines = []
    for l in range(MAX_DEPTH + 1):
        lines.append(ax.plot([], [], color=LAYER_COLOURS["between"], lw=1, zorder=2)[0])
    return lines


def _set_layer_lines(lines, x, Y, low, high):
    """Line l shows column l of Y; the first layer vermillion, the last blue, the others grey."""
    n_layers = Y.shape[1]
    for l, line in enumerate(lines):
        if l >= n_layers:
            line.set_data([], [])
            continue
        line.set_data(x, _clamped(Y[:, l], low, high))
        kind = "first" if l == 0 else "last" if l == n_layers - 1 else "between"
        line.set_color(LAYER_COLOURS[kind])
        line.set_linewidth(1 if kind == "between" else 2)
        line.set_zorder(2 if kind == "between" else 3)


# legends below their charts, clear of every curve
BELOW = dict(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)


def _layer_legend(ax):
    handles = [Line2D([], [], color=LAYER_COLOURS["first"], lw=2, label="layer 1 (input side)"),
               Line2D([], [], color=LAYER_COLOURS["between"], lw=1, label="layers between"),
               Line2D([], [], color=LAYER_COLOURS["last"], lw=2, label="last layer (output)")]
    return ax.legend(handles=handles, fontsize=9, **BELOW)


def _per_layer_chart(ax, xlabel, ylabel, limits, ticks):
    """A chart of one line per layer against the epoch, on a fixed log axis; returns the pool of lines."""
    lines = _layer_pool(ax)
    ax.set_xlim(0, EPOCHS)
    ax.set_xticks(range(0, EPOCHS + 1, 20))
    ax.set(xlabel=xlabel, ylabel=ylabel)
    _log_axis(ax, limits, ticks)
    _layer_legend(ax)
    return lines


def _setting(d):
    return f"{d['activation']}, {d['depth']} hidden layers, weight scale {d['gain']:g}"


def _diverged_text(d):
    return f"diverged: loss infinite or NaN after {d['epochs']} epochs" if d["diverged"] else ""


# ---------------------------------------------------------------- 1. gradient flow
GRAD_LIMITS = (1e-12, 1e6)
GRAD_TICKS = (1e-12, 1e-9, 1e-6, 1e-3, 1, 1e3, 1e6)
SNAPSHOTS = (0, 5, 20, EPOCHS)
SNAPSHOT_STYLES = [dict(color="black", marker="o", lw=2), dict(color=plots.OKABE_ITO[1], marker="s", lw=1.5),
                   dict(color=plots.OKABE_ITO[2], marker="^", lw=1.5), dict(color=plots.OKABE_ITO[3], marker="D", lw=1.5)]


# the chapter's two views of one training run (gradient flow, signs in training) share its results
shared_run = once(training_run)


def gradient_flow_compute(depth=MAX_DEPTH, activation="sigmoid", gain=1.0):
    """A recorded ``training_run`` (EPOCHS full-batch epochs) of the chapter's network."""
    return shared_run(depth, activation, gain)


def _flow_texts(d):
    return (f"{_setting(d)}\nat the start, ‖∂L/∂W_1‖ = {first_to_last(d):.1e} × ‖∂L/∂W_last‖, "
            f"‖∂L/∂z_1‖ = {first_to_last(d, 'delta'):.1e} × ‖∂L/∂z_last‖",
            _diverged_text(d))


def _snapshot_rows(d):
    """(label, row of d['grad'] or None if that epoch was not reached) for every snapshot."""
    return [(k, k if k < len(d["grad"]) else None) for k in SNAPSHOTS]


def gradient_flow_draw(d, fig):
    ax_prof, ax_time = fig.subplots(1, 2)
    art = {"profiles": [ax_prof.plot([], [], ms=4, label="‖∂L/∂W_l‖ at the start" if k == 0 else f"after {k} epochs", **style)[0]
                        for k, style in zip(SNAPSHOTS, SNAPSHOT_STYLES)],
           "delta": ax_prof.plot([], [], color="black", ls="--", lw=1.2, label="‖∂L/∂z_l‖ at the start")[0]}
    ax_prof.set_xlim(0.5, MAX_DEPTH + 1.5)
    ax_prof.set_xticks(range(1, MAX_DEPTH + 2, 2))
    ax_prof.set_xlabel("layer l (1 = next to the input)")
    ax_prof.set_ylabel("gradient norm (log scale)")
    _log_axis(ax_prof, GRAD_LIMITS, GRAD_TICKS)
    ax_prof.legend(fontsize=9, **BELOW)
    art["lines"] = _per_layer_chart(ax_time, "epoch (one full-batch update each)",
                                    "‖∂L/∂W_l‖ during training (log scale)", GRAD_LIMITS, GRAD_TICKS)
    art["title"] = fig.suptitle(" ", fontsize=10)
    art["diverged"] = ax_time.text(0.03, 0.95, "", transform=ax_time.transAxes, fontsize=9, va="top",
                                   color=plots.OKABE_ITO[5])
    gradient_flow_update(d, art)
    return art


def gradient_flow_update(d, art):
    layers = np.arange(1, d["depth"] + 2)
    for (k, row), line in zip(_snapshot_rows(d), art["profiles"]):
        line.set_data((layers, _clamped(d["grad"][row], *GRAD_LIMITS)) if row is not None else ([], []))
    art["delta"].set_data(layers, _clamped(d["delta"][0], *GRAD_LIMITS))
    _set_layer_lines(art["lines"], np.arange(len(d["grad"])), d["grad"], *GRAD_LIMITS)
    title, diverged = _flow_texts(d)
    art["title"].set_text(title)
    art["diverged"].set_text(diverged)


def _deep_controls():
    return [slider("depth", 1, MAX_DEPTH, 1, MAX_DEPTH, label="hidden layers", static=(2, 10)),
            dropdown("activation", ACTIVATIONS, "sigmoid"),
            dropdown("gain", GAINS, 1.0, label="weight scale")]


def gradient_flow():
    return Experiment(
        "Gradient norm of every layer, at the start and during training",
        _deep_controls(), gradient_flow_compute, gradient_flow_draw, figsize=(9, 4.2),
        update=gradient_flow_update, warm=True,
        alt="Left: the gradient norm of each layer's weights against the layer's index, on a log scale, at "
            "the start and after 5, 20 and 60 epochs. Right: every layer's gradient norm against the epoch.")


# ---------------------------------------------------------------- 2. signs in training
LOSS_LIMITS = (1e-3, 1e3)
LOSS_TICKS = (1e-3, 1e-2, 1e-1, 1, 10, 100, 1e3)
RATIO_LIMITS = (1e-12, 1e4)
RATIO_TICKS = (1e-12, 1e-8, 1e-4, 1, 1e4)
RULE_OF_THUMB = 1e-3       # CS231n: updates of about 1e-3 of the weights


def training_signs_compute(depth=MAX_DEPTH, activation="sigmoid", gain=1.0):
    """The same recorded ``training_run`` as ``gradient_flow_compute``."""
    return shared_run(depth, activation, gain)


def _signs_texts(d):
    loss = d["loss"]
    end = "diverged" if d["diverged"] else f"{loss[-1]:.2g}"
    return f"{_setting(d)}\nloss at the start {loss[0]:.2g}, after {len(loss) - 1} epochs {end}", _diverged_text(d)


def _loss_points(d):
    loss = d["loss"]
    return np.arange(len(loss)), _clamped(np.where(np.isnan(loss), np.inf, loss), *LOSS_LIMITS)


def training_signs_draw(d, fig):
    ax_loss, ax_ratio = fig.subplots(1, 2)
    art = {"loss": ax_loss.plot([], [], color=plots.OKABE_ITO[0], lw=2, marker="o", ms=2,
                                label="training loss")[0]}
    ax_loss.axhline(CONSTANT_LOSS, color="0.4", ls=":", lw=1.2, label="constant output 0.5 (loss 0.125)")
    ax_loss.set_xlim(0, EPOCHS)
    ax_loss.set_xticks(range(0, EPOCHS + 1, 20))
    ax_loss.set_xlabel("epoch (one full-batch update each)")
    ax_loss.set_ylabel("squared error on all data (log scale)")
    _log_axis(ax_loss, LOSS_LIMITS, LOSS_TICKS)
    ax_loss.legend(fontsize=9, **BELOW)
    art["lines"] = _per_layer_chart(ax_ratio, "update (epoch)", "update-to-weight ratio ‖ΔW_l‖ / ‖W_l‖",
                                    RATIO_LIMITS, RATIO_TICKS)
    ax_ratio.axhline(RULE_OF_THUMB, color="0.4", ls="--", lw=1)
    ax_ratio.text(EPOCHS * 0.98, RULE_OF_THUMB * 2, "rule of thumb: about $10^{-3}$", fontsize=9, ha="right",
                  va="bottom", color="0.3")
    art["title"] = fig.suptitle(" ", fontsize=10)
    art["diverged"] = ax_loss.text(0.03, 0.05, "", transform=ax_loss.transAxes, fontsize=9,
                                   color=plots.OKABE_ITO[5])
    training_signs_update(d, art)
    return art


def training_signs_update(d, art):
    art["loss"].set_data(*_loss_points(d))
    _set_layer_lines(art["lines"], np.arange(1, len(d["ratio"]) + 1), d["ratio"], *RATIO_LIMITS)
    title, diverged = _signs_texts(d)
    art["title"].set_text(title)
    art["diverged"].set_text(diverged)


def training_signs():
    return Experiment(
        "Loss and update-to-weight ratios of every layer during training",
        _deep_controls(), training_signs_compute, training_signs_draw, figsize=(9, 4.2),
        update=training_signs_update, warm=True,
        alt="Left: the training loss against the epoch on a log scale, with the level of a constant output. "
            "Right: each layer's update-to-weight ratio against the update, on a log scale.")


# ---------------------------------------------------------------- 3. saturated units
SAT_GAINS = (0.25, 0.5, 1.0, 1.41, 2.0, 4.0, 8.0)


def saturation_compute(activation="tanh", gain=4.0, depth=MAX_DEPTH):
    """One forward and backward pass of the freshly initialized network on the moons data (no training).

    Returns per hidden layer 'saturated' (the fraction of unit-sample pairs whose slope f'(z) is below
    5% of the activation's largest slope, ``probes.saturated_fractions``) and 'slope' (the mean f'(z),
    ``probes.mean_slopes``), and 'delta' (||dL/dz_l|| per Dense layer), 'max_slope', the settings.
    """
    number("depth", depth, low=1, integer=True)
    X, y = make_data()
    model = make_network(depth, activation, gain)
    with np.errstate(over="ignore", invalid="ignore"):
        report = probes.probe(model, SquaredError(), X, y)
        slope = probes.mean_slopes(model)
    return {"saturated": report["saturated"][:-1], "slope": slope[:-1], "delta": report["output_grad_norm"],
            "max_slope": max_slope(activation), "activation": activation, "gain": gain, "depth": depth}


def _saturation_title(d):
    return (f"{d['activation']}, {d['depth']} hidden layers, weight scale {d['gain']:g}, at initialization:\n"
            f"{np.mean(d['saturated']):.0%} of all hidden units saturated; mean slope {np.mean(d['slope']):.2g}")


def saturation_draw(d, fig):
    ax_sat, ax_slope = fig.subplots(1, 2)
    layers = np.arange(1, MAX_DEPTH + 1)
    art = {"sat": ax_sat.bar(layers, np.zeros(MAX_DEPTH), color=plots.OKABE_ITO[5], width=0.7),
           "slope": ax_slope.bar(layers, np.zeros(MAX_DEPTH), color=plots.OKABE_ITO[0], width=0.7)}
    for ax in (ax_sat, ax_slope):
        ax.set_xlim(0.4, MAX_DEPTH + 0.6)
        ax.set_xticks(range(1, MAX_DEPTH + 1, 3))
        ax.set_xlabel("hidden layer (1 = next to the input)")
    ax_sat.set_ylim(0, 1)
    ax_sat.set_yticks([0, 0.25, 0.5, 0.75, 1], labels=["0%", "25%", "50%", "75%", "100%"])
    ax_sat.set_ylabel("saturated units (f′(z) < 5% of its maximum)")
    ax_slope.set_ylim(0, 1.05)
    ax_slope.set_yticks([0, 0.25, 0.5, 0.75, 1])
    ax_slope.set_ylabel("mean slope f′(z) in the layer")
    art["max"] = ax_slope.axhline(1, color="0.3", ls="--", lw=1, label="largest possible slope")
    ax_slope.legend(fontsize=9, **BELOW)
    art["title"] = fig.suptitle(" ", fontsize=10)
    saturation_update(d, art)
    return art


def saturation_update(d, art):
    for key in ("sat", "slope"):
        values = d["saturated" if key == "sat" else "slope"]
        for l, bar in enumerate(art[key]):
            bar.set_height(values[l] if l < len(values) else 0.0)
    art["max"].set_ydata([d["max_slope"], d["max_slope"]])
    art["title"].set_text(_saturation_title(d))


def saturation():
    return Experiment(
        "Saturated units per layer at initialization, and the slope they pass on",
        [dropdown("activation", ACTIVATIONS, "tanh"),
         dropdown("gain", SAT_GAINS, 4.0, label="weight scale", static=(0.5, 1.0, 2.0, 4.0, 8.0)),
         slider("depth", 1, MAX_DEPTH, 1, MAX_DEPTH, label="hidden layers", static=(4, 10))],
        saturation_compute, saturation_draw, figsize=(9, 3.9), update=saturation_update,
        alt="Left: bars of the fraction of saturated units in each hidden layer. Right: bars of each hidden "
            "layer's mean slope, with a dashed line at the activation's largest slope.")


EXPERIMENTS = {"gradient_flow": gradient_flow, "training_signs": training_signs, "saturation": saturation}
