"""Plots (matplotlib only). Each takes data and an optional ``ax`` and returns the axes.

Nothing here trains a model or calls ``plt.show()``. Colours are the Okabe-Ito palette,
which stays distinct for the common kinds of colour blindness.
"""
import contourpy
import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import ListedColormap, to_rgb
from matplotlib.path import Path
from matplotlib.figure import Figure

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P"]
CLASS_CMAP = ListedColormap(OKABE_ITO[:2])
LIGHT_CLASS_COLOURS = [0.75 + 0.25 * np.array(to_rgb(c)) for c in OKABE_ITO[:2]]   # the class colours, light

STYLE = {"axes.prop_cycle": mpl.cycler(color=OKABE_ITO)}   # the course's matplotlib settings


def use_style():
    """Make the course's settings (Okabe-Ito colour cycle) matplotlib's defaults, for a notebook's
    own figures. Importing nnlab changes nothing; experiments draw inside ``style()``."""
    mpl.rcParams.update(STYLE)


def style():
    """A context in which matplotlib uses the course's settings, leaving the global ones alone."""
    return mpl.rc_context(STYLE)


def new_axes(ax=None, figsize=(5, 4)):
    """Return ax, or a fresh Axes on a new Figure (no pyplot state involved)."""
    if ax is not None:
        return ax
    ax = Figure(figsize=figsize, layout="constrained").add_subplot()
    ax.set_prop_cycle(STYLE["axes.prop_cycle"])
    return ax


def smallest_font(fig):
    """The smallest font size (pt) of any visible text of a figure, tick labels included (it is drawn
    first, so that ticks and legends exist). The course's figures keep it at 9 pt or more."""
    fig.draw_without_rendering()
    sizes = [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
             if t.get_visible() and t.get_text().strip()]
    return min(sizes) if sizes else float("inf")


def square_view(ax, lim, ticks=(-2, 0, 2), labels=("$x_1$", "$x_2$")):
    """Fix a square view of the input plane: limits -lim..lim on both axes, the ticks, the labels."""
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    return ax


def scatter_classes(X, y, ax=None, *, alpha=0.8, s=18, labels=None):
    """Scatter 2-D points coloured and shaped by class."""
    ax = new_axes(ax)
    y = np.asarray(y).reshape(-1)
    for k in np.unique(y):
        pts = X[y == k]
        name = labels[int(k)] if labels else f"class {int(k)}"
        ax.scatter(pts[:, 0], pts[:, 1], s=s, alpha=alpha, c=OKABE_ITO[int(k) % 8],
                   marker=MARKERS[int(k) % 6], edgecolors="white", linewidths=0.4, label=name)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def grid_for(X, pad=0.5, steps=150):
    """A (steps*steps, 2) grid covering the points plus padding, and its two mesh axes."""
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    x1, x2 = np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps)
    G1, G2 = np.meshgrid(x1, x2)
    return np.c_[G1.ravel(), G2.ravel()], G1, G2


def decision_boundary(predict, X, y, ax=None, *, steps=150, pad=0.5, threshold=0.5, show_points=True):
    """Shade a 2-D classifier's regions and draw its boundary.

    predict: callable (M, 2) -> (M,) or (M, K) scores; one column is cut at ``threshold``,
    several columns by argmax.
    """
    ax = new_axes(ax)
    grid, G1, G2 = grid_for(X, pad, steps)
    scores = np.asarray(predict(grid), dtype=float)
    if scores.ndim == 2 and scores.shape[1] > 1:
        regions = scores.argmax(axis=1).reshape(G1.shape)
        ax.contourf(G1, G2, regions, levels=np.arange(scores.shape[1] + 1) - 0.5,
                    colors=OKABE_ITO[:scores.shape[1]], alpha=0.25)
    else:
        z = scores.reshape(G1.shape)
        ax.contourf(G1, G2, (z >= threshold).astype(float), levels=[-0.5, 0.5, 1.5], cmap=CLASS_CMAP, alpha=0.25)
        if z.min() < threshold < z.max():
            ax.contour(G1, G2, z, levels=[threshold], colors="black", linewidths=1.5)
    if show_points:
        scatter_classes(X, y, ax)
    ax.set_xlim(G1.min(), G1.max())
    ax.set_ylim(G2.min(), G2.max())
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def line_points(w, b, xlim, ylim):
    """Two points of the line w1 x1 + w2 x2 + b = 0 that span the view xlim x ylim: at its left and
    right edges, or at its bottom and top for a vertical line -> (xs (2,), ys (2,)); two empty arrays
    when w = 0 (there is no line)."""
    w1, w2 = (float(v) for v in w)
    if abs(w2) > 1e-12:
        xs = np.array(xlim, dtype=float)
        return xs, -(w1 * xs + b) / w2
    if abs(w1) > 1e-12:
        return np.full(2, -b / w1), np.array(ylim, dtype=float)
    return np.empty(0), np.empty(0)


def line_2d(w, b, ax, *, color="black", label=None, **kw):
    """Draw the line w1 x1 + w2 x2 + b = 0 across the current limits of ax."""
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    xs, ys = line_points(w, b, xlim, ylim)
    if xs.size:
        ax.plot(xs, ys, color=color, label=label, **kw)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return ax


def history_curves(history, ax=None, *, metric="loss", per="epoch", log=False):
    """Training (and validation) curves of a History: metric 'loss' or 'acc' per 'epoch', or the
    batch loss per 'iteration'."""
    ax = new_axes(ax)
    if per == "iteration":
        ax.plot(np.arange(1, len(getattr(history, metric)) + 1), getattr(history, metric),
                color=OKABE_ITO[0], lw=1, label=f"batch {metric}")
        ax.set_xlabel("iteration")
    else:
        epochs = np.arange(1, history.epochs + 1)
        ax.plot(epochs, getattr(history, f"train_{metric}"), color=OKABE_ITO[0], label="training")
        val = getattr(history, f"val_{metric}")
        if val:
            ax.plot(epochs[:len(val)], val, color=OKABE_ITO[1], ls="--", label="validation")
        ax.set_xlabel("epoch")
    ax.set_ylabel({"loss": "loss", "acc": "accuracy"}.get(metric, metric))
    if log:
        ax.set_yscale("log")
    ax.legend()
    return ax


def function_and_derivative(activation, ax=None, *, z=None, name=None):
    """Plot f(z) and f'(z) of an activation on one axes."""
    ax = new_axes(ax)
    z = np.linspace(-5, 5, 401) if z is None else z
    name = name or type(activation).__name__
    ax.plot(z, activation.f(z), color=OKABE_ITO[0], lw=2, label=f"{name}  $f(z)$")
    ax.plot(z, activation.df(z), color=OKABE_ITO[1], lw=2, ls="--", label="derivative $f'(z)$")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.axvline(0, color="0.6", lw=0.8)
    ax.set_xlabel("$z$")
    ax.set_ylabel("value")
    ax.legend(loc="upper left", fontsize=8)
    return ax


def region_grid(region, steps):
    """A steps x steps grid over region = (x1 from, to, x2 from, to): its points (steps * steps, 2),
    row after row from the bottom, and its two axes x1, x2."""
    x1 = np.linspace(region[0], region[1], steps)
    x2 = np.linspace(region[2], region[3], steps)
    G1, G2 = np.meshgrid(x1, x2)
    return np.c_[G1.ravel(), G2.ravel()], x1, x2


def output_grid(values, x1, x2):
    """A network's outputs on the points of region_grid as {'x1', 'x2', 'p' (len(x2), len(x1))}."""
    return {"x1": x1, "x2": x2, "p": np.asarray(values).reshape(len(x2), len(x1))}


def boundary_lines(grid, level=0.5):
    """The decision boundary: the lines where the output on an output_grid crosses ``level``."""
    return contourpy.contour_generator(grid["x1"], grid["x2"], grid["p"]).lines(level)


def region_paths(grid, level=0.5):
    """The region where the output on an output_grid is at least ``level`` (class 1), as Paths."""
    generator = contourpy.contour_generator(grid["x1"], grid["x2"], grid["p"], fill_type="OuterCode")
    polygons = generator.filled(level, np.inf)
    return [Path(points, codes) for points, codes in zip(*polygons)]


def decision_regions(ax, grid, region, xticks, yticks):
    """Draw on ax the regions of an output_grid (class 1, light, where the output is >= 0.5; class 0 as
    the background), the boundary between them, and the view of region = (x1 from, to, x2 from, to).
    Returns {"region", "boundary"}, the artists that set_decision_regions changes."""
    ax.set_facecolor(LIGHT_CLASS_COLOURS[0])
    art = {"region": ax.add_collection(PathCollection(region_paths(grid), facecolors=[LIGHT_CLASS_COLOURS[1]],
                                                      edgecolors="none"), autolim=False),
           "boundary": ax.add_collection(LineCollection(boundary_lines(grid), colors="black", linewidths=1.5),
                                         autolim=False)}
    ax.set(xlim=region[:2], ylim=region[2:], xticks=xticks, yticks=yticks, xlabel="$x_1$", ylabel="$x_2$")
    return art


def set_decision_regions(art, grid):
    """Show another output_grid in the artists that decision_regions returned."""
    art["region"].set_paths(region_paths(grid))
    art["boundary"].set_segments(boundary_lines(grid))
