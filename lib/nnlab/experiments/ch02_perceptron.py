"""Chapter 2 experiments: the perceptron rule step by step, and gradient descent on quadratics."""
import numpy as np

from .. import data
from ..topics import descent, perceptron
from .._checks import choice, number
from ..experiment import Experiment, dropdown, slider
from ..viz.plots import OKABE_ITO, line_2d, scatter_classes

# ---------------------------------------------------------------------------------------------
# Shared data and figures used in the chapter text
# ---------------------------------------------------------------------------------------------
STEPPER_SEED = 0
STEPPER_SHIFT = np.array([2.0, 1.0])   # moves the blobs off the origin, so the bias has to be learned


def stepper_data(seed=STEPPER_SEED, n=30):
    """The separable set of the stepper: 30 points, separable by x1 + x2 = 3. -> X (n, 2), y (n,)."""
    X, y = data.separable_blobs(n, noise=0.7, rng=np.random.default_rng(seed), margin=0.2)
    return X + STEPPER_SHIFT, y


def stepper_history(seed=STEPPER_SEED, lr=1.0):
    """Train the perceptron on stepper_data (zero start) -> (X, y, PerceptronHistory)."""
    X, y = stepper_data(seed)
    return X, y, perceptron.perceptron_train(X, y, lr=lr, epochs=50, rng=np.random.default_rng(seed))


def bound_vs_updates(seeds=range(30), shifts=((0.0, 0.0), (2.0, 1.0), (3.0, 0.0)), margins=(0.1, 0.2, 0.4)):
    """Updates to convergence and the bound (R/gamma)^2 over many separable sets -> dict of (M,) arrays."""
    updates, bounds, labels = [], [], []
    for shift in shifts:
        for m in margins:
            for seed in seeds:
                X, y = data.separable_blobs(40, noise=0.7, rng=np.random.default_rng(seed), margin=m)
                X = X + np.asarray(shift)
                h = perceptron.perceptron_train(X, y, lr=1.0, epochs=1000, rng=np.random.default_rng(seed))
                updates.append(h.updates if h.converged_epoch is not None else np.nan)
                bounds.append(perceptron.convergence_bound(X, y, np.array([1.0, 1.0]), -sum(shift))[2])
                labels.append(m)
    return {"updates": np.array(updates, float), "bound": np.array(bounds), "margin": np.array(labels)}


# ---------------------------------------------------------------------------------------------
# Experiment 1: the perceptron rule, one update at a time
# ---------------------------------------------------------------------------------------------
def perceptron_stepper_compute(update=0):
    """State of the perceptron after ``update`` updates on the stepper data set."""
    number("update", update, low=0, integer=True)
    X, y, h = stepper_history()
    k = min(update, h.updates)
    out = {"X": X, "y": y, "k": k, "U": h.updates, "W": h.w, "B": h.b,
           "w": h.w[k], "b": h.b[k], "w_prev": h.w[max(k - 1, 0)], "b_prev": h.b[max(k - 1, 0)],
           "mistakes": h.mistakes[:h.converged_epoch + 1], "converged_epoch": h.converged_epoch,
           "sample": None, "sign": 0, "epoch": None}
    if k > 0:
        out.update(sample=int(h.sample[k - 1]), sign=int(h.sign[k - 1]), epoch=int(h.epoch[k - 1]))
    out["errors"] = int(np.sum(perceptron.perceptron_predict(X, h.w[k], h.b[k]) != y))
    return out


def perceptron_stepper_draw(d, fig):
    ax, axw = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
    X, y, k = d["X"], d["y"], d["k"]
    scatter_classes(X, y, ax, s=30)
    pad = 0.8
    ax.set_xlim(X[:, 0].min() - pad, X[:, 0].max() + pad)
    ax.set_ylim(X[:, 1].min() - pad, X[:, 1].max() + pad)
    if k > 0 and np.any(d["w_prev"] != 0):
        line_2d(d["w_prev"], d["b_prev"], ax, color="0.55", ls="--", lw=1.2, label="line before")
    if np.any(d["w"] != 0):
        line_2d(d["w"], d["b"], ax, color="black", lw=2, label="line after" if k else "line")
        w, b = d["w"], d["b"]
        foot = -b * w / (w @ w)             # the point of the line closest to the origin
        # the foot may lie outside the view: slide it along the line to the middle of the view
        centre = np.array([np.mean(ax.get_xlim()), np.mean(ax.get_ylim())])
        along = np.array([-w[1], w[0]]) / np.linalg.norm(w)
        p = foot + along * ((centre - foot) @ along)
        u = w / np.linalg.norm(w)
        (x_lo, x_hi), (y_lo, y_hi) = ax.get_xlim(), ax.get_ylim()
        tip = p + 1.2 * u
        if not (x_lo < tip[0] < x_hi and y_lo < tip[1] < y_hi):
            p, tip = p - 1.2 * u, p          # no room on the class-1 side: end the arrow on the line
        ax.annotate("", xy=tip, xytext=p, arrowprops=dict(arrowstyle="-|>", color=OKABE_ITO[5], lw=2))
        ax.text(*(0.5 * (p + tip) + 0.25 * np.array([u[1], -u[0]])), "$w$", color=OKABE_ITO[5], fontsize=12)
    if d["sample"] is not None:
        xi = X[d["sample"]]
        ax.scatter(*xi, s=260, facecolors="none", edgecolors=OKABE_ITO[5], linewidths=2.2,
                   label="point corrected", zorder=5)
        ax.set_title(f"update {k}/{d['U']} (epoch {d['epoch'] + 1}): class {y[d['sample']]} point, "
                     f"$t-y={d['sign']:+d}$; {d['errors']} errors now", fontsize=9)
    else:
        ax.set_title(f"start: $w=0$, $b=0$, every point predicted 1; {d['errors']} errors", fontsize=9)
    ax.legend(loc="lower right", fontsize=9)

    W = d["W"]
    axw.plot(W[:, 0], W[:, 1], color="0.7", lw=1, marker="o", ms=3, zorder=1)
    axw.plot(W[:k + 1, 0], W[:k + 1, 1], color=OKABE_ITO[0], lw=1.5, marker="o", ms=4, zorder=2,
             label="$w$ so far")
    if k > 0:
        axw.annotate("", xy=d["w"], xytext=d["w_prev"],
                     arrowprops=dict(arrowstyle="-|>", color=OKABE_ITO[5], lw=2))
        axw.plot([], [], color=OKABE_ITO[5], lw=2, label=r"this step $\eta\,(t-y)\,x$")
    axw.scatter([0], [0], color="black", marker="+", s=60, label="start $w=0$")
    axw.set_xlabel("$w_1$")
    axw.set_ylabel("$w_2$")
    axw.set_title(f"weight space (bias now $b={d['b']:.0f}$)", fontsize=9)
    axw.set_aspect("equal", adjustable="datalim")
    axw.legend(loc="best", fontsize=9)


def perceptron_stepper():
    U = stepper_history()[2].updates
    static = tuple(range(U + 1)) if U < 64 else tuple(np.linspace(0, U, 40).astype(int))
    return Experiment(
        "The perceptron rule, one update at a time",
        [slider("update", 0, U, 1, 0, label="update number", static=static)],
        perceptron_stepper_compute, perceptron_stepper_draw, figsize=(9, 4),
        alt="Left: 30 points of two classes and the perceptron's decision line before and after one "
            "update, with the corrected point circled and the weight vector drawn normal to the line. "
            "Right: the path of the weight vector in weight space")


# ---------------------------------------------------------------------------------------------
# Experiment 2: gradient descent on quadratics
# ---------------------------------------------------------------------------------------------
A_1D = 5.0                                   # f(x) = 5 x^2: f'' = 10
A_2D = descent.ill_conditioned(1.0, 10.0, 30.0)   # eigenvalues 1 and 10: condition number 10
X0_1D = 1.0
X0_2D = np.array([-2.0, 1.5])
GD_STEPS = 30
GD_TOL = 1e-6


def gd_compute(dim="1-D", lr=0.05, steps=GD_STEPS):
    """Gradient descent path and loss per step on f = 5 x^2 (1-D) or f = 1/2 x^T A x (2-D, eig 1 and 10)."""
    choice("dim", dim, ("1-D", "2-D"))
    number("lr", lr, low=0, low_open=True)
    if dim == "1-D":
        f, grad = descent.quadratic_1d(A_1D)
        x0, factors = X0_1D, np.array([float(descent.contraction_factor(A_1D, lr))])
    else:
        f, grad = descent.quadratic_2d(A_2D)
        x0 = X0_2D
        factors = 1 - lr * np.linalg.eigvalsh(A_2D)    # per eigen-direction: (shallow, steep)
    path = descent.gradient_descent(grad, x0, lr=lr, steps=steps, tol=GD_TOL)
    loss = f(path)
    return {"dim": dim, "lr": lr, "path": path, "loss": loss, "factors": factors,
            "regimes": [descent.regime(q) for q in factors], "f": f}


def _curve_1d(ax, f, path, lr):
    reach = max(1.2, 1.1 * np.max(np.abs(path[np.isfinite(path)])))
    xs = np.linspace(-reach, reach, 300)
    ax.plot(xs, f(xs), color="0.4", lw=1.5, label="$f(x)=5x^2$")
    ax.plot(path, f(path), color=OKABE_ITO[5], lw=1, alpha=0.8)
    ax.scatter(path, f(path), color=OKABE_ITO[5], s=22, zorder=3, label="steps")
    ax.scatter(path[:1], f(path[:1]), s=120, facecolors="none", edgecolors="black", zorder=4, label="start")
    ax.set_xlabel("$x$")
    ax.set_ylabel("$f(x)$")


def _contours_2d(ax, f, path):
    finite = path[np.all(np.isfinite(path), axis=1)]
    reach = max(2.6, 1.1 * np.max(np.abs(finite)))
    g = np.linspace(-reach, reach, 200)
    G1, G2 = np.meshgrid(g, g)
    Z = f(np.stack([G1, G2], axis=-1))
    ax.contour(G1, G2, Z, levels=np.geomspace(0.02, Z.max(), 12), colors="0.6", linewidths=0.8)
    ax.plot(finite[:, 0], finite[:, 1], color=OKABE_ITO[5], lw=1.2, marker="o", ms=3.5, label="steps")
    ax.scatter(*finite[0], s=120, facecolors="none", edgecolors="black", zorder=4, label="start")
    ax.scatter([0], [0], marker="*", s=120, color=OKABE_ITO[2], zorder=4, label="minimum")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")


def gd_draw(d, fig):
    ax, axl = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
    if d["dim"] == "1-D":
        _curve_1d(ax, d["f"], d["path"], d["lr"])
        q = d["factors"][0]
        ax.set_title(rf"$\eta={d['lr']:g}$: factor $1-2a\eta={q:+.2f}$ → {d['regimes'][0]}", fontsize=9)
    else:
        _contours_2d(ax, d["f"], d["path"])
        qs, qt = d["factors"]
        ax.set_title(rf"$\eta={d['lr']:g}$: steep direction $1-10\eta={qt:+.2f}$ ({d['regimes'][1]})"
                     "\n" rf"shallow direction $1-\eta={qs:+.2f}$ ({d['regimes'][0]})", fontsize=9)
    ax.legend(loc="upper center", fontsize=9)
    loss = np.maximum(d["loss"], 1e-16)
    axl.semilogy(np.arange(len(loss)), loss, color=OKABE_ITO[0], marker="o", ms=3)
    axl.set_xlabel("step $k$")
    axl.set_ylabel("loss $f(x_k)$ (log scale)")
    stop = len(loss) - 1
    note = f"stopped at step {stop}: gradient < {GD_TOL:g}" if stop < GD_STEPS else f"{GD_STEPS} steps"
    axl.set_title(note, fontsize=9)


def gd_explorer():
    return Experiment(
        "Gradient descent on a quadratic: the learning rate decides",
        [dropdown("dim", ("1-D", "2-D"), "1-D", label="function"),
         slider("lr", 0.005, 0.25, 0.005, 0.05, label="learning rate η",
                static=(0.01, 0.05, 0.1, 0.15, 0.18, 0.21))],
        gd_compute, gd_draw, figsize=(9, 3.8),
        alt="Left: the path of gradient descent on f(x)=5x² (a parabola) or on an elongated 2-D "
            "quadratic (contour lines). Right: the loss at every step on a log scale")


EXPERIMENTS = {"perceptron_stepper": perceptron_stepper, "gd_explorer": gd_explorer}


# ---------------------------------------------------------------------------------------------
# Static figures of the chapter text: each draws into a given Figure
# ---------------------------------------------------------------------------------------------
def gradient_descent_figure(fig, lr=0.04, steps=6):
    """The slides' "Gradient descent" picture: a cost curve, a start, the slope there, steps down to the minimum."""
    ax = fig.add_subplot()
    f, grad = descent.quadratic_1d(A_1D)
    path = descent.gradient_descent(grad, -1.6, lr=lr, steps=steps, tol=GD_TOL)
    xs = np.linspace(-1.8, 1.8, 300)
    ax.plot(xs, f(xs), color="0.3", lw=2, label="cost $J(w)=5w^2$")
    x0 = path[0]
    tangent = np.linspace(x0 - 0.45, x0 + 0.45, 2)
    ax.plot(tangent, f(x0) + grad(x0) * (tangent - x0), color=OKABE_ITO[0], lw=2,
            label=f"slope at the start: $J'(w_0)={grad(x0):.0f}$")
    for a, b in zip(path[:-1], path[1:]):
        ax.annotate("", xy=(b, f(b)), xytext=(a, f(a)),
                    arrowprops=dict(arrowstyle="-|>", color=OKABE_ITO[5], lw=1.5, shrinkA=3, shrinkB=3))
    ax.scatter(path, f(path), color=OKABE_ITO[5], zorder=3, s=30, label=rf"steps, $\eta={lr:g}$")
    ax.annotate("initial weight $w_0$\n(random start)", xy=(x0, f(x0)), xytext=(-0.9, 14.5),
                fontsize=9, arrowprops=dict(arrowstyle="->", color="0.3"))
    ax.scatter([0], [0], marker="*", s=160, color=OKABE_ITO[2], zorder=4, label="minimum: $J'(w)=0$")
    ax.set_xlabel("weight $w$")
    ax.set_ylabel("cost $J(w)$")
    ax.legend(loc="upper right", fontsize=9)
    return ax


LR_EFFECT = (0.01, 0.07, 0.17, 0.21)   # too small, good, oscillating, diverging on f = 5 x^2


def learning_rate_figure(fig, steps=12):
    """Four learning-rate regimes on f(x) = 5 x^2 from x0 = 1: the path on the parabola, one panel each."""
    axes = fig.subplots(1, 4, sharey=False)
    f, grad = descent.quadratic_1d(A_1D)
    for ax, lr in zip(axes, LR_EFFECT):
        path = descent.gradient_descent(grad, X0_1D, lr=lr, steps=steps, tol=GD_TOL)
        _curve_1d(ax, f, path, lr)
        q = float(descent.contraction_factor(A_1D, lr))
        ax.set_title(f"{descent.regime(q)}\n" + rf"$\eta={lr:g}$, factor $1-2a\eta={q:+.1f}$", fontsize=9)
        if ax is not axes[0]:
            ax.set_ylabel("")
    axes[0].legend(loc="upper center", fontsize=9)
    return axes


def bound_figure(fig, res):
    """Updates to convergence against Novikoff's bound (R/gamma)^2, from ``bound_vs_updates``."""
    ax = fig.add_subplot()
    for i, m in enumerate(np.unique(res["margin"])):
        sel = res["margin"] == m
        ax.scatter(res["bound"][sel], res["updates"][sel], s=18, color=OKABE_ITO[i], marker="os^D"[i % 4],
                   label=f"data margin {m:g}", alpha=0.8)
    hi = np.nanmax(res["bound"]) * 1.5
    ax.plot([1, hi], [1, hi], color="black", lw=1, ls="--", label="updates = bound")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"bound $(R/\gamma)^2$")
    ax.set_ylabel("updates until convergence")
    ax.legend(loc="upper left", fontsize=9)
    return ax
