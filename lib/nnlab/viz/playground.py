"""The playground's views, drawn from a snapshot of a run (``ch15_playground.Run.snapshot``); nothing here trains.

``draw(snap, fig)`` lays out, once: the network (each feature's, hidden unit's and the output's value over
the input plane as a small heat map, the weights as edges whose width is |w| and whose colour is its sign),
the decision surface (or the fitted curve) with the train and test points, the train and test loss over
epochs, the weight-gradient norm per layer, the saturated (or dead) fraction per hidden layer and the
activation histograms per hidden layer. It returns the artists that ``update(snap, art)`` changes.
"""
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.ticker import NullLocator

from .plots import OKABE_ITO, boundary_lines, output_grid

BLUE, ORANGE = OKABE_ITO[0], OKABE_ITO[1]                       # class 0 / negative, class 1 / positive
SIGN_CMAP = LinearSegmentedColormap.from_list("nnlab_sign", [BLUE, "#ffffff", ORANGE])
COLUMNS = 8                     # at most: the features, 6 hidden layers, the output
ROWS = 8                        # units per column, at most
CELL = 40                       # pixels of a unit's heat map in the network picture
PITCH = 64                      # pixels from one unit's place to the next in a column (the gap holds the edges)
HPITCH = 2 * PITCH              # ... and from one column to the next (the picture is drawn wider than high)
LAYER_COLOURS = [OKABE_ITO[i] for i in (0, 1, 2, 3, 5, 7)]
LOSS_LIMITS = (1e-3, 20.0)
GRAD_LIMITS = (1e-5, 1e2)


def _unit_scale(values, kind):
    """A unit's values mapped to [-1, 1] for the colour map: the output probability as 2p - 1, a tanh
    unit as it is, a sigmoid unit as 2a - 1, the others divided by their largest size on the plane."""
    if kind == "prob":
        return 2 * values - 1
    if kind == "tanh":
        return values
    if kind == "sigmoid":
        return 2 * values - 1
    top = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
    return values / (top if top > 0 else 1.0)


def _places(counts):
    """Centres (x, y) in picture pixels of every unit, one list per column; columns spread over the width."""
    n = len(counts)
    xs = [0.0] if n == 1 else [j * (COLUMNS - 1) / (n - 1) for j in range(n)]
    out = []
    for x, k in zip(xs, counts):
        top = (ROWS - k) / 2
        out.append([((x + 0.5) * HPITCH, (top + i + 0.5) * PITCH) for i in range(k)])
    return out


def network_picture(snap):
    """(RGBA image (ROWS*PITCH, COLUMNS*HPITCH, 4), edge segments, edge widths, edge colours, unit places)."""
    c = snap["config"]
    maps = snap["maps"]
    kinds = ["free"] + [c.activation] * (len(maps) - 2) + ["prob" if c.output.startswith("sigmoid") else "free"]
    places = _places([m.shape[0] for m in maps])
    img = np.zeros((ROWS * PITCH, COLUMNS * HPITCH, 4), np.float32)
    cells, corners = [], []
    for col, kind, where in zip(maps, kinds, places):
        for unit, (x, y) in zip(col, where):
            v = np.nan_to_num(_unit_scale(unit, kind), nan=0.0)
            if v.shape[0] == 1:                                   # a 1-D input: a strip, repeated downwards
                v = np.repeat(v, CELL, axis=0)
            cells.append(np.clip(_resample(v, CELL), -1, 1)[::-1])  # the plane's x2 grows upwards
            corners.append((int(round(y - CELL / 2)), int(round(x - CELL / 2))))
    for (r0, c0), cell in zip(corners, SIGN_CMAP(0.5 + 0.5 * np.stack(cells))):   # one colour map for all
        img[r0:r0 + CELL, c0:c0 + CELL] = cell
    segs, widths, colours = [], [], []
    for j, W in enumerate(snap["weights"]):
        top = max(float(np.nanmax(np.abs(W))) if np.isfinite(W).any() else 1.0, 1e-12)
        for a, (x0, y0) in enumerate(places[j]):
            for b, (x1, y1) in enumerate(places[j + 1]):
                w = W[a, b]
                segs.append([(x0 + CELL / 2, y0), (x1 - CELL / 2, y1)])
                widths.append(0.3 + 3.2 * min(abs(w) / top, 1.0) if np.isfinite(w) else 0.3)
                colours.append(ORANGE if w > 0 else BLUE)
    return img, segs, widths, colours, places


def _resample(v, n):
    """A (rows, cols) map resampled to n x n by nearest neighbour."""
    r = (np.arange(n) * v.shape[0] // n)
    k = (np.arange(n) * v.shape[1] // n)
    return v[np.ix_(r, k)]


def _column_titles(snap):
    n = len(snap["maps"])
    return ["features"] + [f"hidden {i}" for i in range(1, n - 1)] + ["output"]


def _surface_title(snap):
    c = snap["config"]
    state = "  (diverged)" if snap["diverged"] else ""
    return (f"epoch {snap['epoch']}: train loss {_fmt(snap['train_loss'][-1])}, "
            f"test loss {_fmt(snap['test_loss'][-1])}{state}")


def _fmt(v):
    return f"{v:.3f}" if np.isfinite(v) else "not finite"


def draw(snap, fig):
    """Lay out every view for a run's snapshot; returns the artists that update changes."""
    c = snap["config"]
    gs = fig.add_gridspec(2, 4, height_ratios=[1.35, 1], width_ratios=[1, 1, 1, 1.15])
    ax_net = fig.add_subplot(gs[0, :3])
    ax_out = fig.add_subplot(gs[0, 3])
    ax_loss, ax_grad, ax_sat, ax_hist = (fig.add_subplot(gs[1, i]) for i in range(4))
    art = {}
    # the network
    ax_net.set_axis_off()
    ax_net.set_xlim(0, COLUMNS * HPITCH)
    ax_net.set_ylim(ROWS * PITCH + 26, -4)
    img, segs, widths, colours, places = network_picture(snap)
    art["net_image"] = ax_net.imshow(img, extent=(0, COLUMNS * HPITCH, ROWS * PITCH, 0), interpolation="nearest",
                                     aspect="auto")
    art["net_edges"] = ax_net.add_collection(LineCollection(segs, linewidths=widths, colors=colours, alpha=0.8),
                                             autolim=False)
    # the labels lie in the picture's clear gaps, below it: a change of the picture alone leaves them be
    art["net_titles"] = [ax_net.text(0, ROWS * PITCH + 4, " ", ha="center", va="top", fontsize=9, zorder=-1)
                         for _ in range(COLUMNS)]
    art["net_features"] = [ax_net.text(0, 0, " ", ha="right", va="center", fontsize=9, zorder=-1)
                           for _ in range(ROWS)]
    _set_network_texts(snap, art, places)
    # the output: the decision surface, or the fitted curve
    region = snap["region"]
    ax_out.tick_params(length=0)                 # tick labels only: no tick mark half under the redrawn surface
    ax_out.set_xlim(*region[:2])
    ax_out.set_ylim(*region[2:])
    if c.regression:
        ax_out.set_xlabel("$x_1$")
        ax_out.set_ylabel("$y$")
        art["train_pts"] = ax_out.scatter(snap["X_train"][:, 0], snap["y_train"][:, 0], s=10, color=BLUE,
                                          label="train", zorder=2)
        art["test_pts"] = ax_out.scatter(snap["X_test"][:, 0], snap["y_test"][:, 0], s=12, facecolors="none",
                                         edgecolors=ORANGE, label="test", zorder=2)
        art["curve"] = ax_out.plot(*_curve(snap), color="black", lw=2, label="network", zorder=3)[0]
        ax_out.legend(loc="upper left", fontsize=9).set_zorder(1)        # below what moves: drawn once
    else:
        ax_out.set_xlabel("$x_1$")
        ax_out.set_ylabel("$x_2$")
        art["surface"] = ax_out.imshow(_surface_rgb(snap), extent=region, origin="lower", interpolation="bilinear",
                                       aspect="auto", zorder=0)
        art["boundary"] = ax_out.add_collection(
            LineCollection(boundary_lines(_grid(snap)), colors="black", linewidths=1.2, zorder=1), autolim=False)
        art["train_pts"] = ax_out.scatter(*snap["X_train"].T, s=9, c=_class_colours(snap["y_train"]),
                                          edgecolors="white", linewidths=0.4, zorder=2)
        art["test_pts"] = ax_out.scatter(*snap["X_test"].T, s=11, facecolors="none",
                                         edgecolors=_class_colours(snap["y_test"]), linewidths=0.9, zorder=2)
    art["title"] = ax_out.set_title(" ", fontsize=9, loc="right")
    # the loss over epochs (the epoch axis spans snap["epoch_axis"] epochs; the lab widens it as it goes)
    art["train_curve"] = ax_loss.plot([], [], color=BLUE, lw=1.5, label="train")[0]
    art["test_curve"] = ax_loss.plot([], [], color=ORANGE, lw=1.5, ls="--", label="test")[0]
    ax_loss.set_yscale("log")
    ax_loss.set_ylim(*LOSS_LIMITS)
    ax_loss.set_yticks([1e-3, 1e-2, 0.1, 1, 10], labels=["0.001", "0.01", "0.1", "1", "10"])
    ax_loss.yaxis.set_minor_locator(NullLocator())
    ax_loss.set_xlim(0, snap["epoch_axis"])
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss (log scale)")
    ax_loss.legend(loc="lower left", fontsize=9).set_zorder(1)
    # the gradient norm per layer, and the saturated (dead) fraction per hidden layer
    n_w = COLUMNS - 1
    art["grad_bars"] = ax_grad.bar(np.arange(1, n_w + 1), np.zeros(n_w), bottom=GRAD_LIMITS[0], color=BLUE).patches
    ax_grad.set_yscale("log")
    ax_grad.set_ylim(*GRAD_LIMITS)
    ax_grad.set_yticks([1e-4, 1e-2, 1], labels=["1e-4", "0.01", "1"])
    ax_grad.yaxis.set_minor_locator(NullLocator())
    ax_grad.set_xlim(0.4, n_w + 0.6)
    ax_grad.set_xticks(np.arange(1, n_w + 1))
    ax_grad.set_xlabel("weight layer")
    ax_grad.set_ylabel(r"$\|\partial L/\partial W\|$ (log scale)")
    n_h = COLUMNS - 2
    art["sat_bars"] = ax_sat.bar(np.arange(1, n_h + 1), np.zeros(n_h), color=ORANGE).patches
    ax_sat.set_ylim(0, 1)
    ax_sat.set_xlim(0.4, n_h + 0.6)
    ax_sat.set_xticks(np.arange(1, n_h + 1))
    ax_sat.set_xlabel("hidden layer")
    ax_sat.set_ylabel("fraction dead (output 0)" if c.activation == "relu" else "fraction saturated")
    # activation histograms per hidden layer, with a colour key of every layer the lab can have (drawn once)
    art["hist_lines"] = [ax_hist.plot([], [], drawstyle="steps-mid", color=col, lw=1.3, label=f"{i + 1}")[0]
                         for i, col in enumerate(LAYER_COLOURS)]
    ax_hist.set_ylim(0, 1)
    ax_hist.set_xlim(snap["hist_edges"][0], snap["hist_edges"][-1])
    ax_hist.set_xlabel(f"activation value ({c.activation})")
    ax_hist.set_ylabel("share of values")
    legend = ax_hist.legend(loc="upper center", fontsize=9, ncols=3, handlelength=1.0, columnspacing=0.6,
                            title="hidden layer", title_fontsize=9)
    legend.set_zorder(1)
    update(snap, art)
    return art


def _set_network_texts(snap, art, places):
    titles = _column_titles(snap)
    for t, label, where in zip(art["net_titles"], titles + [""] * COLUMNS, places + [[]] * COLUMNS):
        t.set_text(label if where else " ")
        if where:
            t.set_x(where[0][0])
    names = snap["feature_labels"]
    for t, i in zip(art["net_features"], range(ROWS)):
        if i < len(names):
            x, y = places[0][i]
            t.set_text(names[i])
            t.set_position((x - CELL / 2 - 4, y))
        else:
            t.set_text(" ")


def _grid(snap):
    region, p = snap["region"], snap["maps"][-1][0]
    x1 = np.linspace(region[0], region[1], p.shape[1])
    x2 = np.linspace(region[2], region[3], p.shape[0])
    return output_grid(np.nan_to_num(p, nan=0.5), x1, x2)


def _surface_rgb(snap):
    p = np.nan_to_num(snap["maps"][-1][0], nan=0.5)
    return SIGN_CMAP(0.5 + 0.5 * np.clip(2 * p - 1, -1, 1) * 0.8)      # lighter than the points


def _class_colours(y):
    return [OKABE_ITO[int(k) % 2] for k in y]


def _curve(snap):
    region, f = snap["region"], snap["maps"][-1][0][0]
    return np.linspace(region[0], region[1], f.size), np.clip(np.nan_to_num(f, nan=0.0), -1e3, 1e3)


def update(snap, art):
    """Show another snapshot (of the same data set) in the artists that draw returned."""
    c = snap["config"]
    img, segs, widths, colours, places = network_picture(snap)
    art["net_image"].set_data(img)
    art["net_edges"].set_segments(segs)
    art["net_edges"].set_linewidths(widths)
    art["net_edges"].set_colors(colours)
    _set_network_texts(snap, art, places)
    if c.regression:
        art["curve"].set_data(*_curve(snap))
    else:
        art["surface"].set_data(_surface_rgb(snap))
        art["boundary"].set_segments(boundary_lines(_grid(snap)))
    art["title"].set_text(_surface_title(snap))
    epochs = np.arange(len(snap["train_loss"]))
    art["train_curve"].set_data(epochs, np.clip(snap["train_loss"], *LOSS_LIMITS))
    art["test_curve"].set_data(epochs, np.clip(snap["test_loss"], *LOSS_LIMITS))
    for i, bar in enumerate(art["grad_bars"]):
        g = snap["grad_norms"][i] if i < len(snap["grad_norms"]) else np.nan
        bar.set_visible(bool(np.isfinite(g)))
        bar.set_height(float(np.clip(g, *GRAD_LIMITS)) - GRAD_LIMITS[0] if np.isfinite(g) else 0.0)
    for i, bar in enumerate(art["sat_bars"]):
        s = snap["saturated"][i] if i < len(snap["saturated"]) else np.nan
        bar.set_visible(bool(np.isfinite(s)))
        bar.set_height(float(s) if np.isfinite(s) else 0.0)
    edges, counts = snap["hist_edges"], snap["hist_counts"]
    centres = (edges[:-1] + edges[1:]) / 2
    for i, line in enumerate(art["hist_lines"]):
        shown = i < len(counts)
        line.set_data((centres, counts[i] / max(counts[i].sum(), 1)) if shown else ([], []))
