"""Chapter 5 experiments: learning by perturbing weights, and what it costs in forward passes."""
import numpy as np
from matplotlib.ticker import NullFormatter

from .. import params
from ..topics import perturb
from .._checks import choice, number
from ..data import moons
from ..experiment import Experiment, dropdown, slider
from ..layers import mlp
from ..viz.plots import OKABE_ITO

N_SAMPLES = 48
BP_LR = 10.0             # gradient-descent step for backprop (and scheme b): chosen by a small sweep
B_SIGMA, B_TRIALS = 0.03, 10
METHODS = ("perturb one weight (a)", "perturb all weights (b)", "backprop")
COLORS = dict(zip(METHODS, OKABE_ITO[:3]))


def problem(hidden, *, seed=0):
    """The chapter's task: 48 fixed 'moons' points and a 2-hidden-1 tanh/sigmoid network whose
    random start depends on seed. Returns (Objective, theta0 (P,))."""
    number("hidden", hidden, low=1, integer=True)
    X, y = moons(N_SAMPLES, noise=0.1, rng=np.random.default_rng(0))
    model = mlp([2, hidden, 1], rng=np.random.default_rng(seed + 1))
    return perturb.Objective(model, X, y), params.flatten(model)


def run_method(method, hidden, *, budget, scale=0.3, seed=0):
    """Train with one method until `budget` forward passes are spent: (passes (T,), losses (T,))."""
    obj, theta = problem(hidden, seed=seed)
    rng = np.random.default_rng(seed + 2)
    if method == METHODS[0]:
        _, losses, passes, _ = perturb.perturb_one(obj, theta, n_steps=budget - 1, scale=scale, rng=rng)
    elif method == METHODS[1]:
        _, losses, passes = perturb.perturb_all(obj, theta, n_steps=(budget - 1) // (B_TRIALS + 1),
                                                sigma=B_SIGMA, trials=B_TRIALS, lr=BP_LR, rng=rng)
    elif method == METHODS[2]:
        _, losses, passes = perturb.gradient_descent(obj, theta, n_steps=(budget - 1) // perturb.GRAD_PASSES,
                                                lr=BP_LR)
    else:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return passes, losses




def _plain_log_ticks(axis, ticks):
    """Label a log axis at the given values in plain numbers (0.01, 10, 257), no minor labels."""
    axis.set_ticks(list(ticks), [f"{t:g}" for t in ticks])
    axis.set_minor_formatter(NullFormatter())


# ---------------------------------------------------------------- 1. loss vs forward passes
def cost_compute(hidden=8, scale=0.3, budget=1000, target=0.02):
    """Loss curves of the three methods against forward passes, and passes to reach `target`."""
    number("budget", budget, low=3, integer=True)
    number("target", target, low=0, low_open=True)
    out = {"hidden": hidden, "scale": scale, "target": target, "curves": {}, "to_target": {}}
    for method in METHODS:
        passes, losses = run_method(method, hidden, budget=budget, scale=scale)
        out["curves"][method] = (passes, losses)
        out["to_target"][method] = perturb.passes_to_reach(losses, passes, target)
    out["n_weights"] = problem(hidden)[0].size
    out["budget"] = max(p[-1] for p, _ in out["curves"].values())
    return out


COST_YLIM = (1e-3, 1.0)   # training losses stay within it for every control value


def cost_draw(data, fig):
    ax, bx = fig.subplots(1, 2, width_ratios=[2, 1])
    art = {"title": ax.set_title(" ", fontsize=9), "lines": {}}
    for method, (passes, losses) in data["curves"].items():
        (art["lines"][method],) = ax.plot(passes, losses, color=COLORS[method], label=method, lw=1.6)
    ax.axhline(data["target"], color="0.5", ls=":", lw=1, label=f"target {data['target']:g}")
    ax.set_yscale("log")
    ax.set_xlim(0, data["budget"])
    ax.set_ylim(*COST_YLIM)
    _plain_log_ticks(ax.yaxis, [0.001, 0.01, 0.1, 1])
    ax.set_xlabel("forward passes (whole training set through the network)")
    ax.set_ylabel("training loss (mean squared error / 2)")
    ax.legend(fontsize=9, loc="upper right", ncol=2)   # above the curves, which start below 0.2
    bars = bx.bar(range(3), [0] * 3, color=[COLORS[m] for m in METHODS])
    art["bars"] = list(bars)
    art["labels"] = [bx.text(bar.get_x() + bar.get_width() / 2, 0, "", ha="center", va="bottom", fontsize=9)
                     for bar in bars]
    bx.set_xticks(range(3), ["(a)", "(b)", "backprop"])
    bx.set_xlabel("method")
    bx.set_ylabel(f"forward passes to reach loss {data['target']:g}")
    bx.set_ylim(0, data["budget"] * 1.25)
    cost_update(data, art)
    return art


def cost_update(data, art):
    for method, (passes, losses) in data["curves"].items():
        art["lines"][method].set_data(passes, losses)
    art["title"].set_text(f"hidden units = {data['hidden']} ({data['n_weights']} weights), "
                          f"(a) scale = {data['scale']:g}")
    for bar, text, m in zip(art["bars"], art["labels"], METHODS):
        v = data["to_target"][m]
        bar.set_height(v if np.isfinite(v) else data["budget"])
        text.set_y(bar.get_height())
        text.set_text(f"{v:.0f}" if np.isfinite(v) else "not\nreached")


def cost():
    return Experiment(
        "Loss against forward passes: perturbation versus backpropagation",
        [dropdown("hidden", (2, 8, 32), 8, label="hidden units"),
         dropdown("scale", (0.1, 0.3, 1.0), 0.3, label="(a) perturbation size")],
        cost_compute, cost_draw, figsize=(9, 3.6), update=cost_update, warm=True,
        alt="Training loss against forward passes for perturbing one weight, perturbing all weights, and "
            "backpropagation, with the forward passes each needs to reach the target loss")


def scaling_compute(hidden_sizes=(4, 8, 16, 32), budget=2000, target=0.01, scale=0.3, seeds=(0, 1, 2)):
    """Forward passes to reach `target` against the number of weights, per method: the median over
    random starts (inf when most starts do not reach it within `budget`). The default sweep starts at
    4 hidden units: with 2, the step BP_LR is too large and backprop's loss spikes up and down."""
    weights, need = [], {m: [] for m in METHODS}
    for h in hidden_sizes:
        weights.append(problem(h)[0].size)
        for m in METHODS:
            runs = []
            for s in seeds:
                passes, losses = run_method(m, h, budget=budget, scale=scale, seed=s)
                runs.append(perturb.passes_to_reach(losses, passes, target))
            need[m].append(float(np.median(runs)))
    return {"weights": np.array(weights), "need": {m: np.array(v) for m, v in need.items()},
            "budget": budget, "target": target}


def scaling_draw(data, ax):
    for j, m in enumerate(METHODS):
        v = data["need"][m]
        ok = np.isfinite(v)
        ax.plot(data["weights"][ok], v[ok], "o-", color=COLORS[m], label=m)
        if np.any(~ok):   # not reached: a cross at the budget, nudged sideways so crosses do not hide each other
            ax.plot(data["weights"][~ok] * 2 ** (0.08 * (j - 1)), np.full((~ok).sum(), data["budget"]), "x",
                    color=COLORS[m], ms=9, mew=2)
    ax.set_xscale("log", base=2)
    ax.set_xticks(data["weights"], [str(w) for w in data["weights"]])
    ax.set_ylim(0, data["budget"] * 1.1)
    ax.set_xlabel("number of weights (and biases) P")
    ax.set_ylabel(f"forward passes to reach loss {data['target']:g}")
    ax.legend(fontsize=9, title=f"x = not reached in {data['budget']}", title_fontsize=9)
    return ax


# ---------------------------------------------------------------- 2. fraction of improving perturbations
SIZES = np.logspace(-3, 1, 9)      # half a decade apart


def improving_compute(hidden=8, kind="all", steps=300, n_directions=100, seed=0):
    """Fraction of random perturbations of each size that lower the loss, at the start and after
    `steps` steps of backprop training. kind 'all' (random direction) or 'one' (one weight).
    Directions come in pairs u, -u, so for tiny s exactly half improve wherever the gradient is not 0."""
    choice("kind", kind, ("all", "one"))
    number("steps", steps, low=0, integer=True)
    number("n_directions", n_directions, low=2, integer=True)
    obj, theta0 = problem(hidden, seed=seed)
    theta_end, losses, _ = perturb.gradient_descent(obj, theta0, n_steps=steps, lr=BP_LR)
    rng = np.random.default_rng(seed + 3)
    dirs = perturb.random_directions(n_directions // 2, obj.size, rng=rng, kind=kind)
    dirs = np.vstack([dirs, -dirs])
    _, g0 = obj.grad(theta0)
    _, g1 = obj.grad(theta_end)
    return {"sizes": SIZES, "start": perturb.improving_fraction(obj, theta0, SIZES, dirs),
            "end": perturb.improving_fraction(obj, theta_end, SIZES, dirs),
            "loss": (losses[0], losses[-1]), "grad_norm": (np.linalg.norm(g0), np.linalg.norm(g1)),
            "steps": steps, "kind": kind, "hidden": hidden}


IMPROVING_YLIM = (-0.03, 0.75)


def improving_draw(data, fig):
    ax = fig.add_subplot()
    art = {"title": ax.set_title(" ", fontsize=9)}
    (art["start"],) = ax.plot(data["sizes"], data["start"], "o-", color=OKABE_ITO[0], label="at the start")
    (art["end"],) = ax.plot(data["sizes"], data["end"], "s-", color=OKABE_ITO[5], label="later")
    ax.axhline(0.5, color="0.6", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_xlim(data["sizes"][0] / 2, data["sizes"][-1] * 2)
    _plain_log_ticks(ax.xaxis, [0.001, 0.01, 0.1, 1, 10])
    ax.set_ylim(*IMPROVING_YLIM)
    ax.set_xlabel("perturbation size s (length of the change to the weight vector)")
    ax.set_ylabel("fraction of perturbations\nthat lower the loss")
    art["legend"] = ax.legend(fontsize=9, loc="lower left")
    improving_update(data, art)
    return art


def improving_update(data, art):
    l0, l1 = data["loss"]
    art["start"].set_ydata(data["start"])
    art["end"].set_ydata(data["end"])
    first, second = art["legend"].get_texts()
    first.set_text(f"at the start (loss {l0:.3f})")
    second.set_text(f"after {data['steps']} backprop steps (loss {l1:.4f})")
    what = "one random weight" if data["kind"] == "one" else "all weights, random direction"
    art["title"].set_text(f"{what}; hidden units = {data['hidden']}")


def improving():
    return Experiment(
        "Late in training, large perturbations almost always hurt",
        [dropdown("hidden", (2, 8, 32), 8, label="hidden units"),
         dropdown("kind", ("all", "one"), "all", label="perturb"),
         dropdown("steps", (30, 300, 1000), 300, label="training steps")],
        improving_compute, improving_draw, figsize=(7, 3.6), update=improving_update, warm=True,
        alt="Fraction of random weight perturbations that lower the loss against their size, "
            "at the start of training and later in training")


# ---------------------------------------------------------------- 3. noise of scheme (b)
HIDDEN_SWEEP = (1, 2, 4, 8, 16, 32, 64)


def noise_compute(trials=10, sigma=0.01, repeats=None, seed=0):
    """Cosine between scheme (b)'s gradient estimate (`trials` perturbations) and the backprop gradient,
    for networks of growing size: mean and spread over `repeats` estimates, and the prediction
    1 / sqrt(1 + (P + 1) / trials) of the linear approximation."""
    number("trials", trials, low=1, integer=True)
    number("sigma", sigma, low=0, low_open=True)
    repeats = max(3, 200 // trials) if repeats is None else number("repeats", repeats, low=2, integer=True)
    rng = np.random.default_rng(seed + 4)
    P, mean, lo, hi = [], [], [], []
    for h in HIDDEN_SWEEP:
        obj, theta = problem(h, seed=seed)
        base, g = obj.grad(theta)
        d = sigma * rng.normal(size=(repeats, trials, obj.size))
        gain = obj.losses((theta + d).reshape(-1, obj.size)).reshape(repeats, trials) - base
        est = np.einsum("rk,rkp->rp", gain, d) / (trials * sigma ** 2)
        cos = est @ g / (np.linalg.norm(est, axis=1) * np.linalg.norm(g))
        P.append(obj.size)
        mean.append(cos.mean())
        lo.append(np.percentile(cos, 10))
        hi.append(np.percentile(cos, 90))
    P = np.array(P)
    return {"P": P, "mean": np.array(mean), "lo": np.array(lo), "hi": np.array(hi),
            "theory": 1 / np.sqrt(1 + (P + 1) / trials), "trials": trials, "sigma": sigma}


def noise_draw(data, fig):
    ax = fig.add_subplot()
    art = {"title": ax.set_title(" ", fontsize=9)}
    art["band"] = ax.fill_between(data["P"], data["lo"], data["hi"], color=OKABE_ITO[1], alpha=0.3,
                                  label="10th to 90th percentile")
    (art["mean"],) = ax.plot(data["P"], data["mean"], "o-", color=OKABE_ITO[1], label="measured (mean)")
    (art["theory"],) = ax.plot(data["P"], data["theory"], "--", color=OKABE_ITO[7],
                               label=r"$1/\sqrt{1 + (P+1)/K}$")
    ax.set_xscale("log", base=2)
    ax.set_xlim(data["P"][0] / 1.25, data["P"][-1] * 1.25)
    _plain_log_ticks(ax.xaxis, data["P"])
    ax.set_ylim(-0.1, 1.25)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_xlabel("number of weights P")
    ax.set_ylabel("cosine(estimate, true gradient)")
    ax.legend(fontsize=9, loc="upper center", ncol=3)   # above the cosines, which never pass 1
    noise_update(data, art)
    return art


def noise_update(data, art):
    art["band"].set_data(data["P"], data["lo"], data["hi"])
    art["mean"].set_ydata(data["mean"])
    art["theory"].set_ydata(data["theory"])
    art["title"].set_text(f"K = {data['trials']} trials per estimate, sigma = {data['sigma']:g}")


def noise():
    return Experiment(
        "The parallel scheme drowns in noise as the network grows",
        [dropdown("trials", (1, 10, 100), 10, label="trials K"),
         dropdown("sigma", (0.001, 0.01, 0.1), 0.01, label="perturbation std sigma")],
        noise_compute, noise_draw, figsize=(7, 3.6), update=noise_update, warm=True,
        alt="Cosine similarity between the perturbation gradient estimate and the true gradient, "
            "falling as the number of weights grows")


EXPERIMENTS = {"cost": cost, "improving": improving, "noise": noise}
