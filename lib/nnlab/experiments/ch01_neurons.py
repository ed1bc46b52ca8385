"""Chapter 1 experiments: neurons and activation functions.

* ``activation_explorer``: f(a x + c) and its slope for a chosen activation, saturated region shaded.
* ``single_neuron``: one neuron y = f(w1 x1 + w2 x2 + b) over the plane, with its line w.x + b = 0.
* ``derivative_chain``: products of k activation derivatives, a first look at vanishing gradients.

Each ``*_compute`` is pure numpy (control values -> dict of arrays); ``*_draw`` draws that dict.
"""
import numpy as np
from matplotlib import patheffects
from matplotlib.collections import PolyCollection
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, ScalarFormatter

from .. import params
from .._checks import as_2d, choice, number
from ..activations import ACTIVATIONS, LeakyReLU, get_activation
from ..experiment import Experiment, dropdown, freeze_layout, slider
from ..layers import Dense, Sequential
from ..viz.plots import OKABE_ITO, square_view

LEAKY_ALPHA = 0.1        # leaky ReLU slope used in this chapter (0.1 so that the slope is visible)
SATURATION_TOL = 0.02    # |f'(u)| below this counts as saturated in the explorer
NAMES = tuple(ACTIVATIONS)   # step, sign, linear, sigmoid, tanh, relu, leaky_relu
# a few fixed sample points for the single-neuron picture, shape (6, 2)
SAMPLE_POINTS = np.array([[-2.0, -1.0], [-1.0, 2.0], [0.5, -2.0], [1.5, 0.5], [2.0, 2.0], [-0.5, 0.25]])


def make_activation(name):
    """Activation object for a name of nnlab.activations.ACTIVATIONS (leaky ReLU with alpha = LEAKY_ALPHA)."""
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name such as 'sigmoid', got {type(name).__name__}")
    choice("activation", name, ACTIVATIONS)
    return LeakyReLU(LEAKY_ALPHA) if name == "leaky_relu" else get_activation(name)


def neuron(w, b, activation):
    """One neuron as an engine network: Dense(len(w), 1) then the named activation, holding w and b."""
    w = np.asarray(w, dtype=float).reshape(-1)
    net = Sequential(Dense(len(w), 1, rng=np.random.default_rng(0), init="zeros"), make_activation(activation))
    return params.load_dict(net, {"W1": w[:, None], "b1": [number("b", b)]})


def _ylim(act, values):
    """Colour/axis limits: the activation's range if bounded, else the range of values."""
    lo, hi = act.range
    if np.isfinite(lo) and np.isfinite(hi):
        return float(lo), float(hi)
    lo, hi = float(np.min(values)), float(np.max(values))
    return (lo - 0.5, hi + 0.5) if hi - lo < 1e-9 else (lo, hi)


def _affine(a, c):
    """TeX for a x + c with tidy signs: '2x - 1', 'x', '0.5x + 2'."""
    text = "x" if a == 1 else f"{a:g}\\,x"
    return text if c == 0 else f"{text} {'-' if c < 0 else '+'} {abs(c):g}"


# ---------------------------------------------------------------- drawing once, updating after




WIDEST_TICK = "\u22120.25"    # as wide as any tick label of the axes whose limits follow the data


def _reserve_tick_room(axis):
    """Before the layout: one tick label as wide as any this axis (or colorbar) will show."""
    axis.set_ticks([0.0], labels=[WIDEST_TICK])


def _auto_ticks(axis):
    """After the layout: ticks that follow the limits again (at most 4 characters but one, e.g. -0.25)."""
    locator, formatter = MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]), ScalarFormatter()
    if hasattr(axis, "long_axis"):         # a colorbar
        axis.locator, axis.formatter = locator, formatter
    else:
        axis.set_major_locator(locator)
        axis.set_major_formatter(formatter)


def _spans(x, mask):
    """(n, 2) x-intervals [x[i], x[j]] of the runs of True in mask (the parts fill_between shades)."""
    m = np.r_[False, np.asarray(mask, bool), False]
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return np.c_[x[edges[0::2]], x[edges[1::2] - 1]] if edges.size else np.zeros((0, 2))


# ---------------------------------------------------------------- 1. activation explorer
def activation_explorer_compute(activation="sigmoid", gain=1.0, shift=0.0, *, x=None, tol=SATURATION_TOL):
    """y = f(gain * x + shift) and its slope dy/dx = gain * f'(u) on x: (M,); saturated where |f'(u)| < tol."""
    act = make_activation(activation)
    number("gain", gain)
    number("shift", shift)
    number("tol", tol, low=0)
    x = np.linspace(-6.0, 6.0, 601) if x is None else np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D, got shape {x.shape}")
    net = neuron([gain], shift, activation)            # one input: weight a = gain, bias c = shift
    y = net.forward(x[:, None])[:, 0]
    slope = net.backward(np.ones((len(x), 1)))[:, 0]   # dy/dx = a f'(u), by the network's backward pass
    u = net.layers[0].out[:, 0]
    df_u = act.df(u)
    saturated = np.abs(df_u) < tol
    lo, hi = _ylim(act, np.r_[y, slope])
    pad = 0.1 * (hi - lo)
    return {"activation": activation, "gain": float(gain), "shift": float(shift), "tol": float(tol),
            "x": x, "u": u, "y": y, "df_u": df_u, "slope": slope, "saturated": saturated,
            "spans": _spans(x, saturated), "share": float(100 * saturated.mean()), "range": act.range,
            "ylim": (max(lo - pad, -7.0), min(hi + pad, 7.0))}


def activation_explorer_draw(data, fig):
    """f(a x + c) and its slope with the saturated region shaded; the legend beside the plot."""
    ax = fig.add_subplot()
    x = data["x"]
    shade = PolyCollection([], transform=ax.get_xaxis_transform(), facecolor=OKABE_ITO[6], alpha=0.35,
                           linewidth=0)
    ax.add_collection(shade, autolim=False)
    (y_line,) = ax.plot(x, data["y"], color=OKABE_ITO[0], lw=2.2)
    (s_line,) = ax.plot(x, data["slope"], color=OKABE_ITO[5], lw=2, ls="--")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.axvline(0, color="0.6", lw=0.8)
    ax.set_xlim(x[0], x[-1])
    ax.set_xlabel("input $x$")
    ax.set_ylabel("value")
    note = ax.text(0.98, 0.62, "$f'(u) = 0$ for every $u \\neq 0$;\nat the jump $u = 0$ it does not exist",
                   transform=ax.transAxes, ha="right", va="bottom", fontsize=9, color=OKABE_ITO[5])
    handles = [Patch(facecolor=OKABE_ITO[6], alpha=0.35, linewidth=0), y_line, s_line]
    ax.legend(handles, [f"saturated:\n$|f'(u)| < {data['tol']:g}$", "$y = f(u)$,\n$u = a x + c$",
                        "slope\n$dy/dx = a\\,f'(u)$"],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, fontsize=9, framealpha=0.9)
    ax.set_title("sigmoid: $y = f(0.25\\,x - 4)$   (saturated on 100% of the shown inputs)", fontsize=10)
    _reserve_tick_room(ax.yaxis)
    freeze_layout(fig)    # lay out with the placeholder texts and the widest tick label, then keep it
    _auto_ticks(ax.yaxis)
    art = {"ax": ax, "shade": shade, "y": y_line, "slope": s_line, "note": note}
    activation_explorer_update(data, art)
    return art


def activation_explorer_update(data, art):
    ax = art["ax"]
    art["shade"].set_verts([[(a, 0), (b, 0), (b, 1), (a, 1)] for a, b in data["spans"]])
    art["y"].set_ydata(data["y"])
    art["slope"].set_ydata(data["slope"])
    ax.set_ylim(*data["ylim"])
    ax.set_title(f"{data['activation']}:  $y = f({_affine(data['gain'], data['shift'])})$   "
                 f"(saturated on {data['share']:.0f}% of the shown inputs)", fontsize=10)
    art["note"].set_visible(data["activation"] in ("step", "sign"))


def activation_explorer_applies(activation, gain, shift):
    """A step or sign of a x alone is the same step for every gain a > 0: the gain acts through the shift."""
    return {"activation", "shift"} if activation in ("step", "sign") and shift == 0 else \
        {"activation", "gain", "shift"}


def activation_explorer():
    """Experiment: choose an activation and a gain/shift of its input; see f, its slope and where it saturates."""
    controls = [dropdown("activation", NAMES, "sigmoid"),
                slider("gain", 0.25, 4.0, 0.25, 1.0, label="gain a", static=(0.5, 1.0, 2.0)),
                slider("shift", -4.0, 4.0, 0.5, 0.0, label="shift c", static=(0.0, 2.0))]
    return Experiment("Activation explorer", controls, activation_explorer_compute, activation_explorer_draw,
                      figsize=(9, 3.6), update=activation_explorer_update, applies=activation_explorer_applies,
                      alt="An activation function f(a x + c), its slope, and the shaded "
                      "region of inputs where its derivative is almost zero")


# ---------------------------------------------------------------- 2. a single neuron on 2-D inputs
def decision_line(w, b, lim):
    """Endpoints (2, 2) of the segment of w.x + b = 0 inside the square [-lim, lim]^2, or None."""
    w = np.asarray(w, dtype=float)
    if w.shape != (2,):
        raise ValueError(f"w must have shape (2,), got {w.shape}")
    number("b", b)
    number("lim", lim, low=0, low_open=True)
    w1, w2 = w
    edges = np.array([-lim, lim])
    pts = []
    if abs(w2) > 1e-12:   # crossings of the vertical edges x1 = +-lim
        pts.append(np.c_[edges, -(w1 * edges + b) / w2])
    if abs(w1) > 1e-12:   # crossings of the horizontal edges x2 = +-lim
        pts.append(np.c_[-(w2 * edges + b) / w1, edges])
    if not pts:
        return None
    pts = np.vstack(pts)
    pts = pts[np.all(np.abs(pts) <= lim + 1e-9, axis=1)]
    if len(pts) < 2:
        return None
    # the two crossings farthest apart along the line's direction (-w2, w1)
    t = pts @ np.array([-w2, w1])
    seg = pts[[np.argmin(t), np.argmax(t)]]
    return None if np.allclose(seg[0], seg[1]) else seg


def _padded(lo, hi, frac=0.05):
    """(lo, hi) widened by frac of its span on each side (by 0.5 if the span is 0)."""
    span = hi - lo
    return (lo - 0.5, hi + 0.5) if span < 1e-12 else (lo - frac * span, hi + frac * span)


def single_neuron_compute(w1=1.0, w2=1.0, b=0.0, activation="sigmoid", *, lim=3.0, steps=121, points=None):
    """Neuron output y = f(w.x + b) on a (steps, steps) grid over [-lim, lim]^2 and at points: (P, 2)."""
    act = make_activation(activation)
    for name, v in (("w1", w1), ("w2", w2), ("b", b)):
        number(name, v)
    number("lim", lim, low=0, low_open=True)
    number("steps", steps, low=2, integer=True)
    w = np.array([w1, w2], dtype=float)
    net = neuron(w, b, activation)
    grid = np.linspace(-lim, lim, steps)
    X1, X2 = np.meshgrid(grid, grid)
    Y = net.forward(np.c_[X1.ravel(), X2.ravel()]).reshape(X1.shape)
    Z = net.layers[0].out.reshape(X1.shape)            # the pre-activation z = w.x + b
    P = SAMPLE_POINTS if points is None else as_2d("points", points, 2)
    y_pts = net.forward(P)[:, 0]
    z_pts = net.layers[0].out[:, 0]
    vmin, vmax = _ylim(act, Y)
    z_curve = np.linspace(min(Z.min(), -1.0), max(Z.max(), 1.0), 301)
    f_curve = act.f(z_curve)
    normal = None                                       # the arrow w, drawn from the line's point nearest 0
    if w @ w > 0:
        p0 = -b * w / (w @ w)
        if np.all(np.abs(p0) < lim):
            d = w / np.linalg.norm(w)
            normal = {"start": p0, "tip": p0 + 0.9 * d, "label": p0 + 1.1 * d}
    return {"activation": activation, "w": w, "b": float(b), "lim": float(lim), "grid": grid, "Z": Z, "Y": Y,
            "points": P, "z_points": z_pts, "y_points": y_pts, "line": decision_line(w, b, lim),
            "vmin": vmin, "vmax": vmax, "z_curve": z_curve, "f_curve": f_curve, "normal": normal,
            "zlim": _padded(min(z_curve[0], z_pts.min()), max(z_curve[-1], z_pts.max())),
            "flim": _padded(min(f_curve.min(), y_pts.min()), max(f_curve.max(), y_pts.max()))}


def single_neuron_draw(data, fig):
    """Left: heat map of y over the plane with the line w.x + b = 0. Right: the points placed on f(z)."""
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.15, 1])
    lim = data["lim"]
    im = ax.imshow(data["Y"], origin="lower", extent=(-lim, lim, -lim, lim), cmap="cividis",
                   vmin=-1.0, vmax=1.0, aspect="equal", interpolation="nearest")
    bar = fig.colorbar(im, ax=ax, label="neuron output $y$", shrink=0.9)
    halo = [patheffects.withStroke(linewidth=4, foreground="black")]
    (line,) = ax.plot([], [], color="white", lw=2, path_effects=halo)
    arrow = ax.annotate("", xy=(0, 0), xytext=(0, 0), arrowprops=dict(arrowstyle="-|>", color="white", lw=1.5))
    w_text = ax.text(0, 0, r"$\mathbf{w}$", color="white", ha="center", va="center", fontsize=11,
                     path_effects=halo)
    marks = {}
    for side, marker, color in (("pos", "o", OKABE_ITO[1]), ("neg", "s", OKABE_ITO[4])):
        marks[side] = (ax.scatter([], [], marker=marker, s=45, c=color, edgecolors="black", zorder=3),
                       ax2.scatter([], [], marker=marker, s=45, c=color, edgecolors="black", zorder=3))
    labels = [ax.text(p1 + 0.12, p2 + 0.12, "0.00", color="white", fontsize=9, path_effects=halo)
              for p1, p2 in data["points"]]
    square_view(ax, lim)
    ax.set_title("$z = -0.25\\,x_1 -0.25\\,x_2 -0.25$", fontsize=10)
    (curve,) = ax2.plot([], [], color=OKABE_ITO[0], lw=2)
    ax2.axvline(0, color="0.6", lw=0.8)
    ax2.axhline(0, color="0.6", lw=0.8)
    ax2.set_xlabel(r"$z = \mathbf{w}\cdot\mathbf{x} + b$")
    ax2.set_ylabel("$y = f(z)$")
    ax2.set_title("the same points on $f$ = leaky_relu", fontsize=10)
    # f increases, so the upper left of the right panel is always free
    ax2.legend([line, marks["pos"][0], marks["neg"][0]],
               [r"$\mathbf{w}\cdot\mathbf{x}+b=0$ (left)", "$z \\geq 0$", "$z < 0$"],
               loc="upper left", fontsize=9, framealpha=0.85)
    for axis in (bar, ax2.yaxis):
        _reserve_tick_room(axis)
    freeze_layout(fig)    # lay out with the placeholder texts and the widest tick labels, then keep it
    for axis in (bar, ax2.yaxis, ax2.xaxis):
        _auto_ticks(axis)
    art = {"title": ax.title, "ax2": ax2, "image": im, "line": line, "arrow": arrow, "w_text": w_text,
           "marks": marks, "labels": labels, "curve": curve}
    single_neuron_update(data, art)
    return art


def single_neuron_update(data, art):
    (w1, w2), b = data["w"], data["b"]
    art["image"].set_data(data["Y"])
    art["image"].set_clim(data["vmin"], data["vmax"])
    seg = data["line"]
    art["line"].set_data(*(([], []) if seg is None else seg.T))
    normal = data["normal"]
    for a in (art["arrow"], art["w_text"]):
        a.set_visible(normal is not None and seg is not None)
    if normal is not None:
        art["arrow"].xy = normal["tip"]
        art["arrow"].set_position(normal["start"])
        art["w_text"].set_position(normal["label"])
    P, zp, yp = data["points"], data["z_points"], data["y_points"]
    pos = zp >= 0
    for side, mask in (("pos", pos), ("neg", ~pos)):
        left, right = art["marks"][side]
        left.set_offsets(P[mask].reshape(-1, 2))
        right.set_offsets(np.c_[zp[mask], yp[mask]].reshape(-1, 2))
    for text, y in zip(art["labels"], yp):
        text.set_text(f"{y:.2f}")
    art["title"].set_text(f"$z = {w1:g}\\,x_1 {w2:+g}\\,x_2 {b:+g}$")
    art["curve"].set_data(data["z_curve"], data["f_curve"])
    art["ax2"].set_xlim(*data["zlim"])
    art["ax2"].set_ylim(*data["flim"])
    art["ax2"].set_title(f"the same points on $f$ = {data['activation']}", fontsize=10)


def single_neuron():
    """Experiment: weights, bias and activation of one neuron; its output over the plane and its line w.x + b = 0."""
    controls = [slider("w1", -3.0, 3.0, 0.25, 1.0, label="w1", static=(-2.0, -1.0, 0.0, 1.0, 2.0)),
                slider("w2", -3.0, 3.0, 0.25, 1.0, label="w2", static=(1.0,)),
                slider("b", -3.0, 3.0, 0.25, 0.0, label="b", static=(-2.0, 0.0, 2.0)),
                dropdown("activation", NAMES, "sigmoid", static=("sigmoid", "step", "tanh", "relu"))]
    return Experiment("A single neuron on two inputs", controls, single_neuron_compute, single_neuron_draw,
                      figsize=(9, 3.8), update=single_neuron_update, alt="Heat map of one neuron's output over the plane (x1, x2), its "
                      "decision line w.x + b = 0, six sample points with their outputs, and the same points on f(z)")


# ---------------------------------------------------------------- 3. products of derivatives
CHAIN_FLOOR = 1e-16      # the log plot's floor: smaller products are drawn on it
CHAIN_SHOWN = 40         # chains drawn one by one


def derivative_chain_compute(activation="sigmoid", spread=1.0, *, depth=10, n_chains=300, seed=0):
    """|prod_{j<=k} f'(z_j)| for k = 1..depth over n_chains chains, z_j ~ N(0, spread^2): (n_chains, depth)."""
    act = make_activation(activation)
    number("spread", spread, low=0)
    number("depth", depth, low=1, integer=True)
    number("n_chains", n_chains, low=1, integer=True)
    rng = np.random.default_rng(seed)
    z = spread * rng.standard_normal((n_chains, depth))
    products = np.cumprod(np.abs(act.df(z)), axis=1)
    k = np.arange(1, depth + 1)
    peak = float(np.max(np.abs(act.df(np.linspace(-10, 10, 20001)))))   # max |f'| (1/4 for the sigmoid)
    median = np.median(products, axis=0)
    nonzero = products[products > 0]
    on_plot = lambda v: np.where(v > 0, np.maximum(v, CHAIN_FLOOR), np.nan)   # zeros have no place on a log axis
    return {"activation": activation, "spread": float(spread), "k": k, "products": products,
            "median": median, "zero_fraction": (products == 0).mean(axis=0), "bound": peak ** k, "peak": peak,
            "shown": on_plot(products[:CHAIN_SHOWN]), "median_shown": on_plot(median),
            "bound_shown": np.maximum(peak ** k, CHAIN_FLOOR),
            "dead_from": int(k[np.flatnonzero(median == 0)[0]]) if np.any(median == 0) else None,
            "smallest_nonzero": float(nonzero.min()) if nonzero.size else None}


def derivative_chain_draw(data, fig):
    """Left: products on a log scale (chains, median, bound max|f'|^k). Right: share of chains exactly 0."""
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.6, 1])
    k = data["k"]
    chains = ax.plot(k, np.full((len(k), len(data["shown"])), np.nan), color=OKABE_ITO[4], lw=0.7, alpha=0.5)
    (median,) = ax.plot(k, np.full(len(k), np.nan), color=OKABE_ITO[0], lw=2.5, marker="o", ms=4)
    (bound,) = ax.plot(k, np.full(len(k), np.nan), color="black", lw=1.5, ls="--")
    ax.set_yscale("log")
    ax.set_ylim(CHAIN_FLOOR, 3)
    ax.set_xlim(0.5, k[-1] + 0.5)
    ax.set_yticks(10.0 ** np.arange(-16, 1, 4))
    ax.set_xlabel("number of factors $k$ (layers)")
    ax.set_ylabel(r"$|f'(z_1)\,f'(z_2)\cdots f'(z_k)|$")
    dead = ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center", fontsize=9,
                   color=OKABE_ITO[5])
    ax.set_title("leaky_relu, $z_j \\sim \\mathcal{N}(0, 0.25^2)$", fontsize=10)
    legend = fig.legend([chains[0], median, bound], [f"{len(chains)} sampled chains (non-zero part)",
                                                     "median over chains", "bound $(\\max|f'|)^k = 0.25^k$"],
                        loc="outside lower center", ncols=3, fontsize=9)
    bars = ax2.bar(k, np.zeros(len(k)), color=OKABE_ITO[5])
    none = ax2.text(0.5, 0.5, "none: every product\nis positive", transform=ax2.transAxes, ha="center",
                    va="center", fontsize=9)
    ax2.set_ylim(0, 1.05)
    ax2.set_yticks([0, 0.5, 1])
    ax2.set_xlim(0.5, k[-1] + 0.5)
    ax2.set_xlabel("number of factors $k$")
    ax2.set_ylabel("share of chains exactly 0")
    ax2.set_title("products that are exactly zero", fontsize=10)
    art = {"title": ax.title, "chains": chains, "median": median, "bound": bound, "dead": dead, "legend": legend,
           "bars": bars, "none": none}
    freeze_layout(fig)    # lay out with the placeholder texts, then keep it
    derivative_chain_update(data, art)
    return art


def derivative_chain_update(data, art):
    for line, y in zip(art["chains"], data["shown"]):
        line.set_ydata(y)
    art["median"].set_ydata(data["median_shown"])
    art["bound"].set_ydata(data["bound_shown"])
    art["legend"].get_texts()[2].set_text(f"bound $(\\max|f'|)^k = {data['peak']:.3g}^k$")
    dead = data["dead_from"]
    art["dead"].set_visible(dead is not None)
    if dead is not None:
        rest = ("every product is 0" if data["smallest_nonzero"] is None else
                f"the non-zero products are $\\geq {data['smallest_nonzero']:.3g}$")
        art["dead"].set_text(f"median is exactly 0 from $k = {dead}$ on;\n{rest}")
    art["title"].set_text(f"{data['activation']}, $z_j \\sim \\mathcal{{N}}(0, {data['spread']:g}^2)$")
    for bar, h in zip(art["bars"], data["zero_fraction"]):
        bar.set_height(h)
    art["none"].set_visible(not data["zero_fraction"].any())


def derivative_chain_applies(activation, spread):
    """ReLU and leaky ReLU derivatives depend only on the sign of z, which no spread s > 0 changes."""
    return {"activation"} if activation in ("relu", "leaky_relu") else {"activation", "spread"}


def derivative_chain():
    """Experiment: how a product of k activation derivatives shrinks (sigmoid, tanh) or switches off (ReLU)."""
    controls = [dropdown("activation", ("sigmoid", "tanh", "relu", "leaky_relu"), "sigmoid"),
                slider("spread", 0.25, 4.0, 0.25, 1.0, label="spread of z", static=(0.5, 1.0, 2.0, 4.0))]
    return Experiment("Products of activation derivatives", controls, derivative_chain_compute,
                      derivative_chain_draw, figsize=(9, 3.9), update=derivative_chain_update,
                      applies=derivative_chain_applies, alt="Log-scale plot of products of k activation "
                      "derivatives against k, with their median and the bound max|f'| to the power k, and a bar "
                      "chart of the share of products that are exactly zero")


EXPERIMENTS = {"activation_explorer": activation_explorer, "single_neuron": single_neuron,
               "derivative_chain": derivative_chain}
