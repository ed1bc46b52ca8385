"""Chapter 6 experiments: one backpropagation step, number by number, and many random restarts."""
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.ticker import NullLocator

from ..topics import backprop
from .._checks import number
from ..data import xor_table
from ..losses import SquaredError
from ..optim import SGD
from ..params import as_dict
from ..train import train_step
from ..experiment import Experiment, dropdown, slider
from ..viz.plots import OKABE_ITO

EXAMPLES = ("(0, 0)", "(0, 1)", "(1, 0)", "(1, 1)")
STEP_NAMES = ("start", "hidden unit 1", "hidden unit 2", "output unit", "output delta",
              "hidden delta 1", "hidden delta 2", "update hidden->output", "update input->hidden",
              "new weights")
N_STEPS = len(STEP_NAMES)


# ---------------------------------------------------------------- 1. step through one pass
def trace_compute(step=0, example="(1, 0)", lr=0.5, seed=3):
    """Every number of one forward pass, one backward pass and one update of a 2-2-1 sigmoid
    network on one XOR example, plus which of them step `step` (0..9) reveals."""
    if example not in EXAMPLES:
        raise ValueError(f"example must be one of {EXAMPLES}, got {example!r}")
    number("step", step, low=0, high=N_STEPS - 1, integer=True)
    X, T = xor_table()
    i = EXAMPLES.index(example)
    x, t = X[i:i + 1], T[i:i + 1, None].astype(float)
    model = backprop.network(2, 2, 1, rng=np.random.default_rng(seed), scale=1.0)
    p = as_dict(model)
    y, z, d_hid, d_out = backprop.deltas(model, x, t)
    net_h, net_z = model.layers[0].out[0].copy(), float(model.layers[2].out[0, 0])
    change = backprop.batch_update(model, x, t, lr)
    loss = SquaredError(reduction="sum")
    E, _ = train_step(model, loss, SGD(lr), x, t)          # the engine's step: the new weights are p + change
    return {"step": step, "x": x[0], "t": t[0, 0], "lr": lr, "params": p, "net_h": net_h, "y": y[0],
            "net_z": net_z, "z": z[0, 0], "E": E, "d_out": d_out[0, 0], "d_hid": d_hid[0],
            "change": change, "new": as_dict(model), "E_new": loss(model(x), t)[0]}


def _n(v, fmt=".3f"):
    """A number as plain text, with a true minus sign (as mathtext would set it)."""
    return f"{v:{fmt}}".replace("-", "\N{MINUS SIGN}")


def _num(v, fmt=".3f"):
    """A factor of a product: negative factors in parentheses."""
    return f"({_n(v, fmt)})" if v < 0 else _n(v, fmt)


DOT = " \N{DOT OPERATOR} "   # a product in the lines of numbers alone, which are plain text (no mathtext)


def _explain(d):
    """The equation of the current step with its numbers (mathtext for symbols; the lines of numbers are plain text)."""
    s, x, p, y = d["step"], d["x"], d["params"], d["y"]
    if s == 0:
        return ["Start: input $x = ({:g}, {:g})$, target $t = {:g}$".format(*x, d["t"]),
                "weights on the edges, biases under the units",
                fr"learning rate $\eta = {d['lr']:g}$",
                "? marks a number not computed yet"]
    if s in (1, 2):
        h = s - 1
        return [fr"hidden unit {h + 1}:",
                fr"$net_{h + 1} = b_{h + 1} + \sum_i x_i W_{{i{h + 1}}}$",
                f"= {_n(p['b1'][h])} + {_n(x[0], 'g')}{DOT}{_num(p['W1'][0, h])} + {_n(x[1], 'g')}{DOT}{_num(p['W1'][1, h])}",
                f"= {_n(d['net_h'][h])}",
                fr"$y_{h + 1} = \sigma(net_{h + 1}) = {y[h]:.3f}$"]
    if s == 3:
        return [fr"output: $net = b_z + \sum_h y_h W_{{hz}}$",
                f"= {_n(p['b2'][0])} + {_n(y[0])}{DOT}{_num(p['W2'][0, 0])} + {_n(y[1])}{DOT}{_num(p['W2'][1, 0])}",
                fr"$= {d['net_z']:.3f}$,   $z = \sigma(net) = {d['z']:.3f}$",
                fr"$E = \frac{{1}}{{2}}(t - z)^2 = {d['E']:.4f}$"]
    if s == 4:
        z = d["z"]
        return [r"output delta: $\delta_z = z(1 - z)(t - z)$",
                f"= {_n(z)}{DOT}{_n(1 - z)}{DOT}({_n(d['t'], 'g')} \N{MINUS SIGN} {_n(z)})",
                f"= {_n(d['d_out'], '.4f')}"]
    if s in (5, 6):
        h = s - 5
        return [fr"hidden delta: $\delta_{h + 1} = y_{h + 1}(1 - y_{h + 1})\, W_{{{h + 1}z}}\, \delta_z$",
                f"= {_n(y[h])}{DOT}{_n(1 - y[h])}{DOT}{_num(p['W2'][h, 0])}{DOT}{_num(d['d_out'], '.4f')}",
                f"= {_n(d['d_hid'][h], '.4f')}"]
    c = d["change"]
    if s == 7:
        return [r"hidden$\to$output: $\Delta W_{hz} = \eta\, \delta_z\, y_h$",
                fr"$\Delta W_{{1z}} = {c['W2'][0, 0]:+.4f}$,   $\Delta W_{{2z}} = {c['W2'][1, 0]:+.4f}$",
                fr"bias: $\Delta b_z = \eta\, \delta_z \cdot 1 = {c['b2'][0]:+.4f}$"]
    if s == 8:
        return [r"input$\to$hidden: $\Delta W_{ih} = \eta\, \delta_h\, x_i$",
                fr"$\Delta W_{{11}} = {c['W1'][0, 0]:+.4f}$,   $\Delta W_{{12}} = {c['W1'][0, 1]:+.4f}$",
                fr"$\Delta W_{{21}} = {c['W1'][1, 0]:+.4f}$,   $\Delta W_{{22}} = {c['W1'][1, 1]:+.4f}$",
                fr"biases: $\Delta b_1 = {c['b1'][0]:+.4f}$,   $\Delta b_2 = {c['b1'][1]:+.4f}$"]
    return ["new weights $W + \\Delta W$ on the edges, new biases under the units",
            fr"error on this example: {d['E']:.4f} $\to$ {d['E_new']:.4f}"]


POS = {"x1": (0.0, 1.0), "x2": (0.0, 0.0), "h1": (1.0, 1.0), "h2": (1.0, 0.0), "z": (2.0, 0.5)}
FONT = 10          # every text of the trace figure is at least 9 pt


def _node_text(name, d):
    """The lines written inside a unit: its output and delta once the step has computed them."""
    s = d["step"]
    if name.startswith("x"):
        return f"$x_{name[1]} = {d['x'][int(name[1]) - 1]:g}$"
    if name.startswith("h"):
        h = int(name[1]) - 1
        y = f"{d['y'][h]:.3f}" if s >= h + 1 else "?"
        delta = f"{d['d_hid'][h]:.4f}" if s >= 5 + h else "?"
        return f"$y_{h + 1} = {y}$\n$\\delta_{h + 1} = {delta}$"
    z = f"{d['z']:.3f}" if s >= 3 else "?"
    delta = f"{d['d_out']:.4f}" if s >= 4 else "?"
    return f"$z = {z}$\n$\\delta_z = {delta}$"




EDGES = [(f"x{i + 1}", f"h{h + 1}", "W1", (i, h), 8) for i in range(2) for h in range(2)] \
    + [(f"h{h + 1}", "z", "W2", (h, 0), 7) for h in range(2)]     # (from, to, matrix, entry, step that changes it)
N_LINES = 5        # the most lines of an explanation


def trace_draw(d, fig):
    ax, tx = fig.subplots(1, 2, width_ratios=[1.7, 1])
    art = {"edges": [], "edge_labels": [], "nodes": {}, "biases": {}}
    for a, b, *_ in EDGES:
        (x0, y0), (x1, y1) = POS[a], POS[b]
        art["edges"].append(ax.plot([x0, x1], [y0, y1], color="0.6", lw=1.2, zorder=1)[0])
        straight = y0 == y1 or b == "z"
        fx = 0.5 if straight else 0.25   # the two crossing edges: labels near their inputs, apart
        art["edge_labels"].append(ax.text(x0 + fx * (x1 - x0), y0 + fx * (y1 - y0), "", fontsize=FONT - 1,
                                          ha="center", va="center", zorder=3,
                                          bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9)))
    for name, (cx, cy) in POS.items():
        art["nodes"][name] = ax.text(cx, cy, "", fontsize=FONT, ha="center", va="center", zorder=4,
                                     bbox=dict(boxstyle="round,pad=0.45", fc="#E8F1F8", ec=OKABE_ITO[0], lw=1.5))
        if name.startswith("h") or name == "z":
            art["biases"][name] = ax.text(cx, cy - 0.2, "", fontsize=FONT - 1, ha="center", va="top",
                                          color="0.25", zorder=4)
    ax.set_xlim(-0.2, 2.2)
    ax.set_ylim(-0.42, 1.25)
    ax.set_xticks([0, 1, 2], ["inputs $x_i$", "hidden $y_h$", "output $z$"], fontsize=FONT)
    ax.set_xlabel("layer (left to right: the forward direction)", fontsize=FONT)
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    art["title"] = ax.set_title(" ", fontsize=FONT + 1)
    tx.axis("off")
    art["lines"] = [tx.text(0.0, 0.95 - 0.17 * k, "", fontsize=FONT + 1, va="top", transform=tx.transAxes)
                    for k in range(N_LINES)]
    # the numbers change from step to step; the layout must not follow them
    for t in art["edge_labels"] + list(art["nodes"].values()) + list(art["biases"].values()) + art["lines"]:
        t.set_in_layout(False)
    trace_update(d, art)
    return art


def trace_update(d, art):
    s = d["step"]
    p = d["new"] if s == N_STEPS - 1 else d["params"]
    current = {1: ["h1"], 2: ["h2"], 3: ["z"], 4: ["z"], 5: ["h1"], 6: ["h2"]}.get(s, [])
    for line, label, (a, b, m, ij, when) in zip(art["edges"], art["edge_labels"], EDGES):
        hot = s == when
        line.set_color(OKABE_ITO[5] if hot else "0.6")
        line.set_linewidth(2.4 if hot else 1.2)
        label.set_text(f"{p[m][ij]:.2f}" + (f"\n(Δ {d['change'][m][ij]:+.4f})" if hot else ""))
        label.set_color(OKABE_ITO[5] if hot else "black")
    for name, text in art["nodes"].items():
        text.set_text(_node_text(name, d))
        text.get_bbox_patch().set_facecolor(OKABE_ITO[1] if name in current else "#E8F1F8")
    for name, text in art["biases"].items():
        bias = p["b1"][int(name[1]) - 1] if name != "z" else p["b2"][0]
        extra = f",  t = {d['t']:g}" if name == "z" else ""
        text.set_text(f"b = {bias:.2f}{extra}")
    phase = "forward" if s <= 3 else "backward" if s <= 6 else "update"
    art["title"].set_text(f"step {s}/{N_STEPS - 1}: {STEP_NAMES[s]} ({phase})")
    lines = _explain(d)
    for k, text in enumerate(art["lines"]):
        text.set_text(lines[k] if k < len(lines) else "")


def trace():
    return Experiment(
        "One step of backpropagation on a 2-2-1 sigmoid network, number by number",
        [slider("step", 0, N_STEPS - 1, 1, 0, static=tuple(range(N_STEPS))),
         dropdown("example", EXAMPLES, "(1, 0)", label="XOR example")],
        trace_compute, trace_draw, figsize=(9.5, 4.2), update=trace_update,
        alt="A 2-2-1 network diagram with weights on its edges and biases under its units; each step "
            "reveals a unit's output, a delta, or the weight changes, with the equation and its "
            "numbers on the right")


# ---------------------------------------------------------------- 2. random restarts
BINS = np.logspace(-4, 0, 33)      # the histogram's bins of the final error
N_CURVES = 30
RUNS_MAX = 100                     # the histogram's height: every run in one bin
EPOCH_OPTIONS = (200, 600, 1000)


def restarts_compute(hidden=2, lr=4.0, epochs=600, n_starts=100, seed=0):
    """Train the XOR network 2-hidden-1 from n_starts random starts (side by side): final errors,
    which runs classify all four cases, their histogram over BINS, and a few error curves."""
    number("hidden", hidden, low=1, integer=True)
    X, T = xor_table()
    starts = backprop.random_starts(2, hidden, 1, n_starts, rng=np.random.default_rng(seed))
    errors, _, Z = backprop.train_many(X, T, starts, lr=lr, epochs=epochs)
    solved = np.all((Z[..., 0] > 0.5) == (T == 1), axis=1)
    final = np.clip(errors[-1], BINS[0] * 1.01, BINS[-1] * 0.99)     # the edge bins hold what lies beyond
    return {"final": errors[-1], "solved": solved, "curves": errors[:, :N_CURVES], "hidden": hidden, "lr": lr,
            "epochs": epochs, "counts_solved": np.histogram(final[solved], BINS)[0],
            "counts_stuck": np.histogram(final[~solved], BINS)[0]}


def restarts_draw(d, fig):
    ax, bx = fig.subplots(1, 2)
    art = {}
    zeros = np.zeros(len(BINS) - 1)
    art["solved"] = ax.stairs(zeros, BINS, fill=True, color=OKABE_ITO[2], label=" ")
    art["stuck"] = ax.stairs(zeros, BINS, baseline=zeros, fill=True, color=OKABE_ITO[5], label=" ")
    ax.set_xscale("log")
    ax.set_xlim(BINS[0] / 1.5, BINS[-1] * 1.5)
    ax.set_ylim(0, RUNS_MAX)
    ax.set_yticks(range(0, RUNS_MAX + 1, 20))
    art["xlabel"] = ax.set_xlabel(" ")
    ax.set_ylabel(f"number of runs (of {len(d['final'])})")
    art["title"] = ax.set_title(" ", fontsize=9)
    art["curves"] = bx.add_collection(LineCollection([], lw=0.9, alpha=0.8))
    bx.set_xscale("log")
    bx.set_yscale("log")
    bx.set_xlim(1, max(EPOCH_OPTIONS))
    bx.set_ylim(1e-4, 1)
    bx.set_xlabel("epoch (log scale)")
    bx.set_ylabel("error E (log scale)")
    bx.set_title(f"error curves of the first {d['curves'].shape[1]} runs", fontsize=9)
    for axis in (ax.xaxis, bx.xaxis, bx.yaxis):
        axis.set_minor_locator(NullLocator())
    art["legend"] = fig.legend(handles=[art["solved"], art["stuck"]], loc="outside lower center", ncol=2,
                               fontsize=9, frameon=False)
    restarts_update(d, art)
    return art


def restarts_update(d, art):
    solved_counts = d["counts_solved"]
    art["solved"].set_data(solved_counts)
    art["stuck"].set_data(solved_counts + d["counts_stuck"], baseline=solved_counts)
    solved = d["solved"]
    for text, label in zip(art["legend"].get_texts(), (f"all 4 cases right ({solved.sum()} runs)",
                                                        f"stuck ({(~solved).sum()} runs)")):
        text.set_text(label)
    art["xlabel"].set_text(f"error E after {d['epochs']} epochs (log scale)")
    art["title"].set_text(f"2-{d['hidden']}-1 sigmoid network on XOR, η = {d['lr']:g}")
    curves = d["curves"][1:]                              # E after each epoch (the start is left out)
    epochs = np.arange(1, len(curves) + 1)
    art["curves"].set_segments([np.c_[epochs, c] for c in curves.T])
    art["curves"].set_color([OKABE_ITO[2] if ok else OKABE_ITO[5] for ok in solved[:curves.shape[1]]])


def restarts():
    return Experiment(
        "Same network, same data, different random starts",
        [dropdown("hidden", (2, 3, 4), 2, label="hidden units"),
         dropdown("lr", (1.0, 4.0, 8.0), 4.0, label="learning rate"),
         dropdown("epochs", EPOCH_OPTIONS, 600)],
        restarts_compute, restarts_draw, figsize=(9, 3.8), update=restarts_update, cache=27,
        alt="Histogram of the final errors of 100 training runs from random starts, split into runs "
            "that solve XOR and runs that get stuck, with 30 error curves")


EXPERIMENTS = {"trace": trace, "restarts": restarts}
