"""Chapter 2 experiments: the perceptron rule step by step, and gradient descent on quadratics."""
import numpy as np

from .. import data
from ..topics import descent, perceptron
from .._checks import choice, number
from ..experiment import Experiment, dropdown, freeze_layout, slider
from ..viz.plots import OKABE_ITO, line_points, scatter_classes, square_view

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




def _line_in_view(w, b, xlim, ylim):
    """Two points (2, 2) of the line w1 x1 + w2 x2 + b = 0 spanning the view, or None."""
    xs, ys = line_points(w, b, xlim, ylim)
    return np.c_[xs, ys] if xs.size else None


def _normal_arrow(w, b, xlim, ylim):
    """Start and tip of the arrow w drawn on the line, near the middle of the view."""
    foot = -b * w / (w @ w)             # the point of the line closest to the origin
    # the foot may lie outside the view: slide it along the line to the middle of the view
    centre = np.array([np.mean(xlim), np.mean(ylim)])
    along = np.array([-w[1], w[0]]) / np.linalg.norm(w)
    p = foot + along * ((centre - foot) @ along)
    u = w / np.linalg.norm(w)
    tip = p + 1.2 * u
    if not (xlim[0] < tip[0] < xlim[1] and ylim[0] < tip[1] < ylim[1]):
        p, tip = p - 1.2 * u, p          # no room on the class-1 side: end the arrow on the line
    return p, tip, 0.5 * (p + tip) + 0.25 * np.array([u[1], -u[0]])


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
    pad = 0.8
    xlim = (X[:, 0].min() - pad, X[:, 0].max() + pad)
    ylim = (X[:, 1].min() - pad, X[:, 1].max() + pad)
    has_line = bool(np.any(out["w"] != 0))
    out.update(xlim=xlim, ylim=ylim,
               line=_line_in_view(out["w"], out["b"], xlim, ylim) if has_line else None,
               line_prev=_line_in_view(out["w_prev"], out["b_prev"], xlim, ylim)
               if k > 0 and np.any(out["w_prev"] != 0) else None,
               arrow=_normal_arrow(out["w"], out["b"], xlim, ylim) if has_line else None)
    return out


def perceptron_stepper_draw(d, fig):
    ax, axw = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
    X, y = d["X"], d["y"]
    scatter_classes(X, y, ax, s=30)
    ax.set_xlim(*d["xlim"])
    ax.set_ylim(*d["ylim"])
    (before,) = ax.plot([], [], color="0.55", ls="--", lw=1.2)
    (after,) = ax.plot([], [], color="black", lw=2)
    arrow = ax.annotate("", xy=(0, 0), xytext=(0, 0), arrowprops=dict(arrowstyle="-|>", color=OKABE_ITO[5], lw=2))
    w_text = ax.text(0, 0, "$w$", color=OKABE_ITO[5], fontsize=12)
    ring = ax.scatter([], [], s=260, facecolors="none", edgecolors=OKABE_ITO[5], linewidths=2.2, zorder=5)
    ax.set_title("update 0/0 (epoch 1): class 0 point, $t-y=+1$; 0 errors now", fontsize=9)

    W = d["W"]
    axw.plot(W[:, 0], W[:, 1], color="0.7", lw=1, marker="o", ms=3, zorder=1)
    (so_far,) = axw.plot([], [], color=OKABE_ITO[0], lw=1.5, marker="o", ms=4, zorder=2)
    step = axw.annotate("", xy=(0, 0), xytext=(0, 0), arrowprops=dict(arrowstyle="-|>", color=OKABE_ITO[5], lw=2))
    (step_key,) = axw.plot([], [], color=OKABE_ITO[5], lw=2)
    start = axw.scatter([0], [0], color="black", marker="+", s=60)
    axw.set_xlabel("$w_1$")
    axw.set_ylabel("$w_2$")
    axw.set_title("weight space (bias now $b=0$)", fontsize=9)
    axw.set_aspect("equal", adjustable="datalim")   # limits: the whole path (grey), the same for every update
    classes = list(ax.collections[:2])
    fig.legend(classes + [before, after, ring, so_far, step_key, start],
               [c.get_label() for c in classes] + ["line before the update", "line after it", "point corrected",
                                                  "$w$ so far", r"this step $\eta\,(t-y)\,x$", "start $w=0$"],
               loc="outside lower center", ncols=4, fontsize=9)
    art = {"title": ax.title, "w_title": axw.title, "before": before, "after": after, "arrow": arrow, "w_text": w_text,
           "ring": ring, "so_far": so_far, "step": step}
    freeze_layout(fig)    # lay out with the placeholder texts, then keep it
    perceptron_stepper_update(d, art)
    return art


def perceptron_stepper_update(d, art):
    k, X, y = d["k"], d["X"], d["y"]
    for line, seg in ((art["before"], d["line_prev"]), (art["after"], d["line"])):
        line.set_data(*(([], []) if seg is None else seg.T))
    art["arrow"].set_visible(d["arrow"] is not None)
    art["w_text"].set_visible(d["arrow"] is not None)
    if d["arrow"] is not None:
        p, tip, label = d["arrow"]
        art["arrow"].xy = tip
        art["arrow"].set_position(p)
        art["w_text"].set_position(label)
    if d["sample"] is not None:
        art["ring"].set_offsets(X[d["sample"]][None])
        art["title"].set_text(f"update {k}/{d['U']} (epoch {d['epoch'] + 1}): class {y[d['sample']]} point, "
                              f"$t-y={d['sign']:+d}$; {d['errors']} errors now")
    else:
        art["ring"].set_offsets(np.zeros((0, 2)))
        art["title"].set_text(f"start: $w=0$, $b=0$, every point predicted 1; {d['errors']} errors")
    W = d["W"]
    art["so_far"].set_data(W[:k + 1, 0], W[:k + 1, 1])
    art["step"].set_visible(k > 0)
    art["step"].xy = d["w"]
    art["step"].set_position(d["w_prev"])
    art["w_title"].set_text(f"weight space (bias now $b={d['b']:.0f}$)")


def perceptron_stepper():
    U = stepper_history()[2].updates
    static = tuple(range(U + 1)) if U < 64 else tuple(np.linspace(0, U, 40).astype(int))
    return Experiment(
        "The perceptron rule, one update at a time",
        [slider("update", 0, U, 1, 0, label="update number", static=static)],
        perceptron_stepper_compute, perceptron_stepper_draw, figsize=(9, 4.6), update=perceptron_stepper_update,
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
VIEW_1D = 1.5          # the 1-D panel shows x in [-1.5, 1.5]
VIEW_2D = 2.6          # the 2-D panel shows the square [-2.6, 2.6]^2
LOSS_LIM = (1e-16, 1e13)


def gd_compute(dim="1-D", lr=0.05, steps=GD_STEPS):
    """Gradient descent path and loss per step on f = 5 x^2 (1-D) or f = 1/2 x^T A x (2-D, eig 1 and 10)."""
    choice("dim", dim, ("1-D", "2-D"))
    number("lr", lr, low=0, low_open=True)
    f1, grad1 = descent.quadratic_1d(A_1D)
    f2, grad2 = descent.quadratic_2d(A_2D)
    if dim == "1-D":
        f, grad = f1, grad1
        x0, factors = X0_1D, np.array([float(descent.contraction_factor(A_1D, lr))])
    else:
        f, grad = f2, grad2
        x0 = X0_2D
        factors = 1 - lr * np.linalg.eigvalsh(A_2D)    # per eigen-direction: (shallow, steep)
    path = descent.gradient_descent(grad, x0, lr=lr, steps=steps, tol=GD_TOL)
    loss = f(path)
    xs = np.linspace(-VIEW_1D, VIEW_1D, 301)
    g = np.linspace(-VIEW_2D, VIEW_2D, 161)
    G1, G2 = np.meshgrid(g, g)
    Z = f2(np.stack([G1, G2], axis=-1))
    finite = path[np.all(np.isfinite(path.reshape(len(path), -1)), axis=1)]
    return {"dim": dim, "lr": lr, "path": path, "loss": loss, "factors": factors,
            "regimes": [descent.regime(q) for q in factors], "f": f,
            "finite_path": finite, "finite_f": f(finite), "loss_shown": np.maximum(loss, LOSS_LIM[0]),
            "parabola": (xs, f1(xs)), "bowl": (G1, G2, Z, np.geomspace(0.02, Z.max(), 12))}


def _curve_1d(ax, f, path, lr):
    reach = max(1.2, 1.1 * np.max(np.abs(path[np.isfinite(path)])))
    xs = np.linspace(-reach, reach, 300)
    ax.plot(xs, f(xs), color="0.4", lw=1.5, label="$f(x)=5x^2$")
    ax.plot(path, f(path), color=OKABE_ITO[5], lw=1, alpha=0.8)
    ax.scatter(path, f(path), color=OKABE_ITO[5], s=22, zorder=3, label="steps")
    ax.scatter(path[:1], f(path[:1]), s=120, facecolors="none", edgecolors="black", zorder=4, label="start")
    ax.set_xlabel("$x$")
    ax.set_ylabel("$f(x)$")


def gd_draw(d, fig):
    """Left: the path on the parabola (1-D) or on the contours (2-D); both panels share one place and
    the one of the other function is hidden. Right: the loss per step."""
    gs = fig.add_gridspec(1, 2, width_ratios=[1.2, 1])
    ax1, ax2, axl = fig.add_subplot(gs[0]), fig.add_subplot(gs[0]), fig.add_subplot(gs[1])
    xs, fx = d["parabola"]
    ax1.plot(xs, fx, color="0.4", lw=1.5, label="$f(x)=5x^2$")
    (path1,) = ax1.plot([], [], color=OKABE_ITO[5], lw=1, alpha=0.8)
    steps1 = ax1.scatter([], [], color=OKABE_ITO[5], s=22, zorder=3, label="steps")
    ax1.scatter([X0_1D], [A_1D * X0_1D ** 2], s=120, facecolors="none", edgecolors="black", zorder=4,
                label="start")
    ax1.set_xlim(-VIEW_1D, VIEW_1D)
    ax1.set_ylim(-0.04 * fx.max(), 1.08 * fx.max())
    ax1.set_xticks([-1, 0, 1])
    ax1.set_yticks([0, 5, 10])
    ax1.set_xlabel("$x$")
    ax1.set_ylabel("$f(x)$")
    ax1.legend(loc="upper center", fontsize=9)

    G1, G2, Z, levels = d["bowl"]
    ax2.contour(G1, G2, Z, levels=levels, colors="0.6", linewidths=0.8)
    (path2,) = ax2.plot([], [], color=OKABE_ITO[5], lw=1.2, marker="o", ms=3.5, label="steps")
    ax2.scatter(*X0_2D, s=120, facecolors="none", edgecolors="black", zorder=4, label="start")
    ax2.scatter([0], [0], marker="*", s=120, color=OKABE_ITO[2], zorder=4, label="minimum")
    square_view(ax2, VIEW_2D)
    ax2.set_aspect("equal")
    ax2.legend(loc="upper right", fontsize=9)    # the paths start at the upper left and run across the valley

    (loss,) = axl.semilogy([], [], color=OKABE_ITO[0], marker="o", ms=3)
    axl.set_xlim(-1, GD_STEPS + 1)
    axl.set_ylim(*LOSS_LIM)
    axl.set_yticks(10.0 ** np.arange(-15, 13, 5))
    axl.set_xticks([0, 10, 20, 30])
    axl.set_xlabel("step $k$")
    axl.set_ylabel("loss $f(x_k)$ (log scale)")
    axl.set_title(f"stopped at step {GD_STEPS - 1}: gradient < {GD_TOL:g}", fontsize=9)
    for ax in (ax1, ax2):     # the tallest titles either function gets (two lines)
        ax.set_title("$\\eta=0.25$: steep direction $1-10\\eta=-1.50$ (diverging)\n"
                     "shallow direction $1-\\eta=+0.75$ (good)", fontsize=9)
    art = {"ax1": ax1, "ax2": ax2, "path1": path1, "steps1": steps1, "path2": path2, "loss": loss, "loss_title": axl.title}
    freeze_layout(fig)    # lay out with the placeholder texts, then keep it
    gd_update(d, art)
    return art


def gd_update(d, art):
    one_d = d["dim"] == "1-D"
    art["ax1"].set_visible(one_d)
    art["ax2"].set_visible(not one_d)
    path, fp = d["finite_path"], d["finite_f"]
    if one_d:
        art["path1"].set_data(path, fp)
        art["steps1"].set_offsets(np.c_[path, fp])
        q = d["factors"][0]
        art["ax1"].set_title(rf"$\eta={d['lr']:g}$: factor $1-2a\eta={q:+.2f}$" "\n" f"→ {d['regimes'][0]}",
                             fontsize=9)
    else:
        art["path2"].set_data(path[:, 0], path[:, 1])
        qs, qt = d["factors"]
        art["ax2"].set_title(rf"$\eta={d['lr']:g}$: steep direction $1-10\eta={qt:+.2f}$ ({d['regimes'][1]})"
                             "\n" rf"shallow direction $1-\eta={qs:+.2f}$ ({d['regimes'][0]})", fontsize=9)
    loss = d["loss_shown"]
    art["loss"].set_data(np.arange(len(loss)), loss)
    stop = len(loss) - 1
    note = f"stopped at step {stop}: gradient < {GD_TOL:g}" if stop < GD_STEPS else f"{GD_STEPS} steps"
    art["loss_title"].set_text(note)


def gd_explorer():
    return Experiment(
        "Gradient descent on a quadratic: the learning rate decides",
        [dropdown("dim", ("1-D", "2-D"), "1-D", label="function"),
         slider("lr", 0.005, 0.25, 0.005, 0.05, label="learning rate η",
                static=(0.01, 0.05, 0.1, 0.15, 0.18, 0.21))],
        gd_compute, gd_draw, figsize=(9, 3.8), update=gd_update,
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
