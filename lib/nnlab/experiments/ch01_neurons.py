"""Chapter 1 experiments: neurons and activation functions.

* ``activation_explorer``: f(a x + c) and its slope for a chosen activation, saturated region shaded.
* ``single_neuron``: one neuron y = f(w1 x1 + w2 x2 + b) over the plane, with its line w.x + b = 0.
* ``derivative_chain``: products of k activation derivatives, a first look at vanishing gradients.

Each ``*_compute`` is pure numpy (control values -> dict of arrays); ``*_draw`` draws that dict.
"""
import numpy as np
from matplotlib import patheffects

from .. import params
from .._checks import as_2d, choice, number
from ..activations import ACTIVATIONS, LeakyReLU, get_activation
from ..experiment import Experiment, dropdown, slider
from ..layers import Dense, Sequential
from ..viz.plots import OKABE_ITO

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
    return {"activation": activation, "gain": float(gain), "shift": float(shift), "tol": float(tol),
            "x": x, "u": u, "y": y, "df_u": df_u, "slope": slope,
            "saturated": np.abs(df_u) < tol, "range": act.range}


def activation_explorer_draw(data, fig):
    """Left: f(a x + c) and its slope with the saturated region shaded. Right: the formula and range."""
    ax = fig.add_subplot()
    x, sat = data["x"], data["saturated"]
    ax.fill_between(x, 0, 1, where=sat, transform=ax.get_xaxis_transform(), color=OKABE_ITO[6], alpha=0.35,
                    linewidth=0, label=f"saturated: $|f'(u)| < {data['tol']:g}$")
    ax.plot(x, data["y"], color=OKABE_ITO[0], lw=2.2, label=r"$y = f(u)$, $u = a x + c$")
    ax.plot(x, data["slope"], color=OKABE_ITO[5], lw=2, ls="--", label=r"slope $dy/dx = a\,f'(u)$")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.axvline(0, color="0.6", lw=0.8)
    lo, hi = _ylim(make_activation(data["activation"]), np.r_[data["y"], data["slope"]])
    pad = 0.1 * (hi - lo)
    ax.set_ylim(max(lo - pad, -7), min(hi + pad, 7))
    ax.set_xlim(x[0], x[-1])
    ax.set_xlabel("input $x$")
    ax.set_ylabel("value")
    share = 100 * sat.mean()
    ax.set_title(f"{data['activation']}:  $y = f({_affine(data['gain'], data['shift'])})$   "
                 f"(saturated on {share:.0f}% of the shown inputs)", fontsize=10)
    if data["activation"] in ("step", "sign"):
        ax.text(0.98, 0.45, "$f'(u) = 0$ for every $u \\neq 0$; at the jump $u = 0$ it does not exist",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=9, color=OKABE_ITO[5])
    ax.legend(loc="upper left", fontsize=9, framealpha=0.9)
    return ax


def activation_explorer():
    """Experiment: choose an activation and a gain/shift of its input; see f, its slope and where it saturates."""
    controls = [dropdown("activation", NAMES, "sigmoid"),
                slider("gain", 0.25, 4.0, 0.25, 1.0, label="gain a", static=(0.5, 1.0, 2.0)),
                slider("shift", -4.0, 4.0, 0.5, 0.0, label="shift c", static=(0.0, 2.0))]
    return Experiment("Activation explorer", controls, activation_explorer_compute, activation_explorer_draw,
                      figsize=(8, 3.6), alt="An activation function f(a x + c), its slope, and the shaded "
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
    return {"activation": activation, "w": w, "b": float(b), "lim": float(lim), "grid": grid, "Z": Z, "Y": Y,
            "points": P, "z_points": z_pts, "y_points": y_pts, "line": decision_line(w, b, lim),
            "vmin": vmin, "vmax": vmax, "z_curve": z_curve, "f_curve": act.f(z_curve)}


def single_neuron_draw(data, fig):
    """Left: heat map of y over the plane with the line w.x + b = 0. Right: the points placed on f(z)."""
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.15, 1])
    lim, (w1, w2), b = data["lim"], data["w"], data["b"]
    im = ax.imshow(data["Y"], origin="lower", extent=(-lim, lim, -lim, lim), cmap="cividis",
                   vmin=data["vmin"], vmax=data["vmax"], aspect="equal", interpolation="nearest")
    fig.colorbar(im, ax=ax, label="neuron output $y$", shrink=0.9)
    halo = [patheffects.withStroke(linewidth=4, foreground="black")]
    if data["line"] is not None:
        (a1, a2), (c1, c2) = data["line"]
        ax.plot([a1, c1], [a2, c2], color="white", lw=2, path_effects=halo, label=r"$\mathbf{w}\cdot\mathbf{x}+b=0$")
        # the normal vector w points to the side where z > 0
        p0 = -b * data["w"] / (data["w"] @ data["w"])
        if np.all(np.abs(p0) < lim):
            d = data["w"] / np.linalg.norm(data["w"])
            ax.annotate("", xy=p0 + 0.9 * d, xytext=p0, arrowprops=dict(arrowstyle="-|>", color="white", lw=1.5))
            ax.text(*(p0 + 1.1 * d), r"$\mathbf{w}$", color="white", ha="center", va="center", fontsize=11,
                    path_effects=halo)
    P, zp, yp = data["points"], data["z_points"], data["y_points"]
    pos = zp >= 0
    for mask, marker, color, lab in ((pos, "o", OKABE_ITO[1], "$z \\geq 0$"), (~pos, "s", OKABE_ITO[4], "$z < 0$")):
        ax.scatter(P[mask, 0], P[mask, 1], marker=marker, s=45, c=color, edgecolors="black", zorder=3, label=lab)
        ax2.scatter(zp[mask], yp[mask], marker=marker, s=45, c=color, edgecolors="black", zorder=3)
    for (p1, p2), y in zip(P, yp):
        ax.text(p1 + 0.12, p2 + 0.12, f"{y:.2f}", color="white", fontsize=9, path_effects=halo)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(f"$z = {w1:g}\\,x_1 {w2:+g}\\,x_2 {b:+g}$", fontsize=10)
    ax.legend(loc="lower left", fontsize=9, framealpha=0.85)
    ax2.plot(data["z_curve"], data["f_curve"], color=OKABE_ITO[0], lw=2)
    ax2.axvline(0, color="0.6", lw=0.8)
    ax2.axhline(0, color="0.6", lw=0.8)
    ax2.set_xlabel(r"$z = \mathbf{w}\cdot\mathbf{x} + b$")
    ax2.set_ylabel("$y = f(z)$")
    ax2.set_title(f"the same points on $f$ = {data['activation']}", fontsize=10)
    return ax, ax2


def single_neuron():
    """Experiment: weights, bias and activation of one neuron; its output over the plane and its line w.x + b = 0."""
    controls = [slider("w1", -3.0, 3.0, 0.25, 1.0, label="w1", static=(-2.0, -1.0, 0.0, 1.0, 2.0)),
                slider("w2", -3.0, 3.0, 0.25, 1.0, label="w2", static=(1.0,)),
                slider("b", -3.0, 3.0, 0.25, 0.0, label="b", static=(-2.0, 0.0, 2.0)),
                dropdown("activation", NAMES, "sigmoid", static=("sigmoid", "step", "tanh", "relu"))]
    return Experiment("A single neuron on two inputs", controls, single_neuron_compute, single_neuron_draw,
                      figsize=(9, 3.8), alt="Heat map of one neuron's output over the plane (x1, x2), its "
                      "decision line w.x + b = 0, six sample points with their outputs, and the same points on f(z)")


# ---------------------------------------------------------------- 3. products of derivatives
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
    return {"activation": activation, "spread": float(spread), "k": k, "products": products,
            "median": np.median(products, axis=0), "zero_fraction": (products == 0).mean(axis=0),
            "bound": peak ** k, "peak": peak}


def derivative_chain_draw(data, fig, *, floor=1e-16, shown=40):
    """Left: products on a log scale (chains, median, bound max|f'|^k). Right: share of chains exactly 0."""
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.6, 1])
    k, prods = data["k"], data["products"]
    shown_prods = np.where(prods > 0, np.maximum(prods, floor), np.nan)[:shown]
    ax.plot(k, shown_prods.T, color=OKABE_ITO[4], lw=0.7, alpha=0.5)
    ax.plot([], [], color=OKABE_ITO[4], lw=0.7, label=f"{shown} sampled chains (non-zero part)")
    med = np.where(data["median"] > 0, np.maximum(data["median"], floor), np.nan)
    ax.plot(k, med, color=OKABE_ITO[0], lw=2.5, marker="o", ms=4, label="median over chains")
    ax.plot(k, np.maximum(data["bound"], floor), color="black", lw=1.5, ls="--",
            label=f"bound $(\\max|f'|)^k = {data['peak']:.3g}^k$")
    ax.set_yscale("log")
    ax.set_ylim(floor, 3)
    ax.set_xlabel("number of factors $k$ (layers)")
    ax.set_ylabel(r"$|f'(z_1)\,f'(z_2)\cdots f'(z_k)|$")
    dead = np.flatnonzero(data["median"] == 0)
    if dead.size:
        ax.text(0.5, 0.5, f"median is exactly 0 from $k = {k[dead[0]]}$ on;\nthe non-zero products are "
                f"$\\geq {data['products'][data['products'] > 0].min():.3g}$", transform=ax.transAxes,
                ha="center", va="center", fontsize=9, color=OKABE_ITO[5])
    ax.set_title(f"{data['activation']}, $z_j \\sim \\mathcal{{N}}(0, {data['spread']:g}^2)$", fontsize=10)
    ax.legend(loc="lower left", fontsize=9, framealpha=0.9)
    ax2.bar(k, data["zero_fraction"], color=OKABE_ITO[5])
    if not data["zero_fraction"].any():
        ax2.text(0.5, 0.5, "none: every product\nis positive", transform=ax2.transAxes, ha="center",
                 va="center", fontsize=9)
    ax2.set_ylim(0, 1.05)
    ax2.set_xlabel("number of factors $k$")
    ax2.set_ylabel("share of chains exactly 0")
    ax2.set_title("products that are exactly zero", fontsize=10)
    return ax, ax2


def derivative_chain():
    """Experiment: how a product of k activation derivatives shrinks (sigmoid, tanh) or switches off (ReLU)."""
    controls = [dropdown("activation", ("sigmoid", "tanh", "relu", "leaky_relu"), "sigmoid"),
                slider("spread", 0.25, 4.0, 0.25, 1.0, label="spread of z", static=(0.5, 1.0, 2.0, 4.0))]
    return Experiment("Products of activation derivatives", controls, derivative_chain_compute,
                      derivative_chain_draw, figsize=(9, 3.6), alt="Log-scale plot of products of k activation "
                      "derivatives against k, with their median and the bound max|f'| to the power k, and a bar "
                      "chart of the share of products that are exactly zero")


EXPERIMENTS = {"activation_explorer": activation_explorer, "single_neuron": single_neuron,
               "derivative_chain": derivative_chain}
