"""Network diagrams (matplotlib): layered networks with labelled weights, and general DAGs.

Units are circles (``gid`` "unit"); a bias is drawn as an extra always-1 unit (``gid`` "bias")
whose outgoing weights are the biases of the next layer. Weights follow ``Dense``:
``weights[l][i, j]`` is the weight from unit i of layer l to unit j of layer l + 1, and
``biases[l][j]`` the bias of unit j of layer l + 1. Each function returns the axes.
"""
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch

from ..topics import graphs
from .plots import OKABE_ITO, new_axes

POSITIVE, NEGATIVE, NEUTRAL = OKABE_ITO[0], OKABE_ITO[5], "0.45"
UNIT_FILL, BIAS_FILL, PATH_COLOR = "#DCEBF5", "0.88", OKABE_ITO[1]


def _sizes(layer_sizes):
    sizes = list(layer_sizes) if hasattr(layer_sizes, "__iter__") else None
    if not sizes or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
        raise ValueError(f"layer_sizes must be a non-empty list of positive integers, got {layer_sizes!r}")
    return [int(s) for s in sizes]


def _per_layer(name, values, sizes, shapes):
    """Check a list of arrays, one per weight layer, against the expected shapes."""
    if values is None:
        return None
    values = list(values)
    if len(values) != len(shapes):
        raise ValueError(f"{name} must hold {len(shapes)} arrays (one per weight layer of {sizes}), got {len(values)}")
    out = []
    for l, (v, shape) in enumerate(zip(values, shapes)):
        v = np.asarray(v, dtype=float)
        if v.shape != shape:
            raise ValueError(f"{name}[{l}] must have shape {shape}, got {v.shape}")
        out.append(v)
    return out


def _unit_labels(node_labels, sizes):
    """node_labels: None, or one entry per layer: a list of strings, or one letter s giving $s_1$, $s_2$, ..."""
    if node_labels is None:
        return [[""] * n for n in sizes]
    node_labels = list(node_labels)
    if len(node_labels) != len(sizes):
        raise ValueError(f"node_labels must have one entry per layer ({len(sizes)}), got {len(node_labels)}")
    out = []
    for l, (entry, n) in enumerate(zip(node_labels, sizes)):
        if isinstance(entry, str):
            out.append([f"${entry}_{{{i + 1}}}$" for i in range(n)])
        elif entry is None:
            out.append([""] * n)
        else:
            entry = [str(e) for e in entry]
            if len(entry) != n:
                raise ValueError(f"node_labels[{l}] must have {n} labels, got {len(entry)}")
            out.append(entry)
    return out


def layout(layer_sizes, *, bias=True, dx=2.0, dy=1.0):
    """Centres of the units: {(layer, unit): (x, y)} and, if bias, {(layer, 'bias'): (x, y)}.

    Layer l sits at x = l * dx; its units go from top to bottom, centred on y = 0; the always-1
    unit of layer l (feeding layer l + 1) sits one step below them.
    """
    sizes = _sizes(layer_sizes)
    tallest = max(sizes)
    pos = {}
    for l, n in enumerate(sizes):
        top = (n - 1) / 2 * dy
        for i in range(n):
            pos[(l, i)] = (l * dx, top - i * dy)
        if bias and l < len(sizes) - 1:
            pos[(l, "bias")] = (l * dx, -((tallest - 1) / 2 + 1) * dy)
    return pos


def _arrow(ax, p, q, radius, color, lw, ls="-", zorder=1):
    p, q = np.asarray(p, float), np.asarray(q, float)
    u = (q - p) / np.linalg.norm(q - p)
    ax.add_patch(FancyArrowPatch(p + radius * u, q - radius * u, arrowstyle="-|>", mutation_scale=9,
                                 color=color, lw=lw, ls=ls, zorder=zorder, shrinkA=0, shrinkB=0))


def _edge_text(ax, p, q, frac, text, fontsize, color):
    x, y = (1 - frac) * np.asarray(p) + frac * np.asarray(q)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=color, zorder=4,
            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9))


def draw_network(layer_sizes, ax=None, *, weights=None, biases=None, node_labels=None, bias=True,
                 edge_labels=None, bias_labels=None, layer_names=None, weight_fmt="{:g}",
                 label_pos=0.3, radius=0.25, fontsize=9, dx=2.0, dy=1.0):
    """Draw a fully connected layered network and return the axes.

    layer_sizes: e.g. [2, 2, 1]. weights: list of (n_l, n_{l+1}) arrays; biases: list of (n_{l+1},)
    arrays; given numbers are written on the edges (``weight_fmt``), coloured by sign, line width by size.
    edge_labels(l, i, j) / bias_labels(l, j): callables returning a label string (or None) that
    override the numbers, e.g. ``lambda l, i, j: f"$W_{{{i}{j}}}$"``. node_labels: see ``_unit_labels``.
    bias: draw the always-1 units. layer_names: one caption per layer, written under it.
    """
    sizes = _sizes(layer_sizes)
    shapes = [(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    W = _per_layer("weights", weights, sizes, shapes)
    B = _per_layer("biases", biases, sizes, [(b,) for _, b in shapes])
    if B is not None and not bias:
        raise ValueError("biases were given but bias=False: set bias=True to draw them")
    for name, fn in (("edge_labels", edge_labels), ("bias_labels", bias_labels)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be a callable returning a string (or None), got {type(fn).__name__}")
    labels = _unit_labels(node_labels, sizes)
    ax = new_axes(ax, figsize=(1.6 * len(sizes) + 1, 0.7 * max(sizes) + 1.6))
    pos = layout(sizes, bias=bias, dx=dx, dy=dy)
    scale = max([np.max(np.abs(w)) for w in (W or []) + (B or [])] + [1e-12])

    def style(value):
        if value is None:
            return NEUTRAL, 1.0
        return (POSITIVE if value >= 0 else NEGATIVE), 0.6 + 2.4 * abs(value) / scale

    for l, (n_in, n_out) in enumerate(shapes):
        for i in range(n_in):
            for j in range(n_out):
                w = None if W is None else W[l][i, j]
                color, lw = style(w)
                p, q = pos[(l, i)], pos[(l + 1, j)]
                _arrow(ax, p, q, radius, color, lw)
                text = edge_labels(l, i, j) if edge_labels else (None if w is None else weight_fmt.format(w))
                if text:
                    _edge_text(ax, p, q, label_pos, text, fontsize, color)
        if bias:
            for j in range(n_out):
                b = None if B is None else B[l][j]
                color, lw = style(b)
                p, q = pos[(l, "bias")], pos[(l + 1, j)]
                _arrow(ax, p, q, radius, color, lw, ls=(0, (4, 2)))
                text = bias_labels(l, j) if bias_labels else (None if b is None else weight_fmt.format(b))
                if text:
                    _edge_text(ax, p, q, 1 - label_pos, text, fontsize, color)
    for (l, i), (x, y) in pos.items():
        is_bias = i == "bias"
        ax.add_patch(Circle((x, y), radius, fc=BIAS_FILL if is_bias else UNIT_FILL, ec="black", lw=1.2,
                            zorder=3, gid="bias" if is_bias else "unit"))
        text = "1" if is_bias else labels[l][i]
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize + 1, zorder=5)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    bottom = min(ys) - radius - 0.25 * dy
    if layer_names is not None:
        if len(layer_names) != len(sizes):
            raise ValueError(f"layer_names must have one name per layer ({len(sizes)}), got {len(layer_names)}")
        bottom -= 0.35 * dy
        for l, name in enumerate(layer_names):
            ax.text(l * dx, bottom + 0.2 * dy, name, ha="center", va="top", fontsize=fontsize + 1)
    ax.set_xlim(min(xs) - 2 * radius, max(xs) + 2 * radius)
    ax.set_ylim(bottom - 0.1 * dy, max(ys) + radius + 0.25 * dy)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def draw_dag(edges, ax=None, *, positions=None, node_labels=None, highlight_longest=True, radius=0.22,
             fontsize=9, dx=1.5, dy=1.0):
    """Draw a DAG given as (u, v) edges and return the axes.

    Nodes sit in columns by ``graphs.levels`` (longest distance from a source) unless
    ``positions`` {node: (x, y)} is given; one longest path is drawn thick in orange.
    node_labels: {node: str}; by default the node's name.
    """
    edges = graphs._edge_list(edges)
    level = graphs.levels(edges)  # raises ValueError on a cycle
    if positions is None:
        columns = {}
        for n in level:
            columns.setdefault(level[n], []).append(n)
        positions = {}
        for lev, members in columns.items():
            top = (len(members) - 1) / 2 * dy
            for k, n in enumerate(members):
                positions[n] = (lev * dx, top - k * dy)
    missing = [n for n in level if n not in positions]
    if missing:
        raise ValueError(f"positions must give a place to every node, missing {missing}")
    path = graphs.longest_path(edges) if highlight_longest else []
    on_path = set(zip(path[:-1], path[1:]))
    ax = new_axes(ax, figsize=(3, 3))
    for u, v in edges:
        hot = (u, v) in on_path
        _arrow(ax, positions[u], positions[v], radius, PATH_COLOR if hot else NEUTRAL, 2.8 if hot else 1.0,
               zorder=2 if hot else 1)
    for n in level:
        x, y = positions[n]
        ax.add_patch(Circle((x, y), radius, fc=UNIT_FILL, ec="black", lw=1.2, zorder=3, gid="unit"))
        text = (node_labels or {}).get(n, str(n))
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=5)
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    ax.set_xlim(min(xs) - 2 * radius, max(xs) + 2 * radius)
    ax.set_ylim(min(ys) - 2 * radius, max(ys) + 2 * radius)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


__all__ = ["draw_network", "draw_dag", "layout"]
