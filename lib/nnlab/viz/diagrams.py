"""Schematic drawings (matplotlib, no data): a biological neuron and an artificial neuron.

Each function takes an optional ``ax``, draws in data coordinates with the axis frame hidden,
labels every part with text and returns the axes. Colours are the Okabe-Ito palette.
"""
import numpy as np
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch

from .._checks import number
from .plots import OKABE_ITO, new_axes

_BLUE, _ORANGE, _GREEN, _PINK, _SKY, _VERMILLION = OKABE_ITO[:6]


def _label(ax, text, xy, xytext, **kw):
    """Text at xytext with a thin arrow pointing at xy."""
    ax.annotate(text, xy=xy, xytext=xytext, fontsize=kw.pop("fontsize", 9), ha=kw.pop("ha", "center"),
                va=kw.pop("va", "center"),
                arrowprops=dict(arrowstyle="-", color="0.35", lw=0.8, shrinkA=2, shrinkB=2), **kw)


def _branch(ax, start, angle, length, depth, color, lw):
    """A small deterministic binary tree of line segments (dendrites or axon terminals)."""
    x0, y0 = start
    x1, y1 = x0 + length * np.cos(angle), y0 + length * np.sin(angle)
    ax.plot([x0, x1], [y0, y1], color=color, lw=lw, solid_capstyle="round")
    if depth == 0:
        return [(x1, y1)]
    tips = []
    for turn in (-0.45, 0.45):
        tips += _branch(ax, (x1, y1), angle + turn, 0.62 * length, depth - 1, color, 0.65 * lw)
    return tips


def biological_neuron(ax=None):
    """Schematic of a biological neuron: dendrites, soma with nucleus, axon with myelin, synaptic terminals."""
    ax = new_axes(ax, figsize=(7, 3.2))
    # dendrites: trees leaving the soma to the left, up and down
    for angle in np.deg2rad([140, 165, 195, 220, 105, 255]):
        _branch(ax, (0.0, 0.0), angle, 0.9, 2, _ORANGE, 3.0)
    ax.add_patch(Circle((0.0, 0.0), 0.55, facecolor=_SKY, edgecolor=_BLUE, lw=1.5, zorder=3))
    ax.add_patch(Circle((-0.08, 0.05), 0.2, facecolor=_BLUE, edgecolor="none", zorder=4))
    # axon hillock and axon with myelin segments
    ax.plot([0.5, 5.2], [0, 0], color=_BLUE, lw=2.5, zorder=1)
    for x in np.arange(1.0, 4.9, 0.8):
        ax.add_patch(FancyBboxPatch((x, -0.13), 0.6, 0.26, boxstyle="round,pad=0.02,rounding_size=0.12",
                                    facecolor=_GREEN, edgecolor="none", zorder=2))
    tips = []
    for angle in np.deg2rad([-35, 0, 35]):
        tips += _branch(ax, (5.2, 0.0), angle, 0.45, 1, _BLUE, 2.0)
    for x, y in tips:
        ax.add_patch(Circle((x, y), 0.07, facecolor=_VERMILLION, edgecolor="none", zorder=3))
    _label(ax, "dendrites\n(receive inputs)", (-1.35, 0.75), (-2.1, 1.55))
    _label(ax, "soma (cell body)\nintegrates the inputs", (0.3, 0.45), (0.9, 1.55))
    _label(ax, "nucleus", (-0.08, -0.1), (-0.3, -1.55))
    _label(ax, "axon hillock\n(spike starts here)", (0.6, 0.0), (1.2, -1.3))
    _label(ax, "axon\n(carries the output)", (2.3, 0.0), (2.8, 1.25))
    _label(ax, "myelin sheath", (3.6, -0.12), (3.5, -1.25))
    _label(ax, "axon terminals / synapses\n(connections to the next cells)", tips[-1], (5.3, 1.5))
    return _frame(ax, (-2.6, 6.6), (-1.9, 2.0), "Biological neuron (schematic)")


def artificial_neuron(ax=None, n_inputs=3, *, show_bias=True):
    """Schematic of an artificial neuron: inputs x_i, weights w_i, bias b, sum z = w.x + b, activation f, output y."""
    number("n_inputs", n_inputs, low=1, high=6, integer=True)
    ax = new_axes(ax, figsize=(7, 3.2))
    ys = np.linspace(1.2, -1.2, n_inputs) if n_inputs > 1 else np.array([0.0])
    names = [f"$x_{{{i + 1}}}$" for i in range(n_inputs)]
    if n_inputs > 3:   # write x_1, ..., x_n: the last input is the n-th
        names[-1] = "$x_n$"
    sum_xy, r = np.array([2.0, 0.0]), 0.45
    for i, (y, name) in enumerate(zip(ys, names)):
        ax.add_patch(Circle((0.0, y), 0.28, facecolor="white", edgecolor=_ORANGE, lw=1.5, zorder=3))
        ax.text(0.0, y, name, ha="center", va="center", fontsize=11, zorder=4)
        ax.add_patch(FancyArrowPatch((0.28, y), sum_xy, arrowstyle="-|>", mutation_scale=10, color="0.3",
                                     shrinkB=r * 72 / 2, lw=1.2))
        wname = "$w_n$" if (n_inputs > 3 and i == n_inputs - 1) else f"$w_{{{i + 1}}}$"
        ax.text(0.95, 0.55 * y + 0.14, wname, ha="center", va="bottom", fontsize=10, color=_BLUE)
    if show_bias:
        ax.text(2.0, 1.35, "bias $b$", ha="center", va="center", fontsize=10, color=_BLUE)
        ax.add_patch(FancyArrowPatch((2.0, 1.2), (2.0, r), arrowstyle="-|>", mutation_scale=10, color="0.3"))
    ax.add_patch(Circle(sum_xy, r, facecolor=_SKY, edgecolor=_BLUE, lw=1.5, zorder=3))
    ax.text(*sum_xy, r"$\Sigma$", ha="center", va="center", fontsize=16, zorder=4)
    ax.text(2.0, -0.75, r"$z = \mathbf{w}\cdot\mathbf{x} + b$", ha="center", va="top", fontsize=10)
    # activation box with a small sigmoid-shaped sketch inside
    box_x, box_y, bw, bh = 3.3, -0.45, 0.9, 0.9
    ax.add_patch(FancyArrowPatch((sum_xy[0] + r, 0), (box_x, 0), arrowstyle="-|>", mutation_scale=10, color="0.3"))
    ax.text((sum_xy[0] + r + box_x) / 2, 0.08, "$z$", ha="center", va="bottom", fontsize=10)
    ax.add_patch(FancyBboxPatch((box_x, box_y), bw, bh, boxstyle="round,pad=0.02,rounding_size=0.1",
                                facecolor="white", edgecolor=_GREEN, lw=1.5))
    t = np.linspace(-1, 1, 50)
    ax.plot(box_x + bw / 2 + 0.35 * t, 0.3 * np.tanh(3 * t) - 0.05, color=_GREEN, lw=1.5)
    ax.text(box_x + bw / 2, box_y + bh + 0.08, "activation $f$", ha="center", va="bottom", fontsize=10)
    ax.add_patch(FancyArrowPatch((box_x + bw, 0), (5.3, 0), arrowstyle="-|>", mutation_scale=10, color="0.3"))
    ax.text(5.4, 0.0, "$y = f(z)$", ha="left", va="center", fontsize=11)
    ax.text(0.0, -1.75 if n_inputs > 1 else -0.75, "inputs", ha="center", va="center", fontsize=9)
    ax.text(0.95, -1.75, "weights", ha="center", va="center", fontsize=9, color=_BLUE)
    ax.text(5.75, -0.45, "output", ha="center", va="center", fontsize=9)
    return _frame(ax, (-0.6, 6.6), (-2.0, 1.7), "Artificial neuron")


def texts(ax):
    """All strings drawn on ax (text objects, annotations and the title), for tests and alt text."""
    return [t.get_text() for t in ax.texts] + [ax.get_title()]


def _frame(ax, xlim, ylim, title):
    """A diagram's frame: fixed limits, equal aspect, no axes, a title."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title)
    return ax
