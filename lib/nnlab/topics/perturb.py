"""Learning by perturbing weights, and the forward passes it costs.

The cost unit is one *forward pass*: the whole training set through the network once.
``Objective.grad`` (backpropagation) is counted as ``GRAD_PASSES = 3`` forward passes: the forward
pass itself plus a backward pass that costs about two, because per weight the forward pass does one
multiply-add and the backward pass two (one for the weight's gradient, one to pass the error back).
That is the usual rule for reverse-mode differentiation (the "cheap gradient principle"); in the
worst case theory bounds the ratio by a small constant, about 4 to 5 (Griewank & Walther,
*Evaluating Derivatives*, 2nd ed., SIAM 2008; Baydin et al., JMLR 18(153), 2018).

Every method sees the network only through ``Objective``: the training loss as a function of the
flat parameter vector ``theta`` (P,) of ``nnlab.params.flatten``. The loss is the network's own
forward pass and ``nnlab.SquaredError``; the gradient its own backward pass. Scheme (a)
(``perturb_one``) and scheme (b) (``perturb_all``) are loops written out, because the loop is the
lesson; the backprop baseline (``gradient_descent``) is ``nnlab.fit``.
"""
import copy

import numpy as np

from .. import params
from .._checks import as_2d, choice, generator, instance, number
from ..layers import Sequential, _widths
from ..losses import SquaredError
from ..train import fit

GRAD_PASSES = 3  # forward passes counted for one gradient by backprop: 1 forward + about 2 backward


class Objective:
    """The training loss L(theta) = 1/N sum_n 1/2 ||z_n - t_n||^2 of a network, as a function of
    its flat parameter vector theta (P,), in the order of ``nnlab.params.names(model)``.

    L(theta) writes theta into the network (``nnlab.params.assign``), runs its forward pass in test
    mode and applies ``nnlab.SquaredError``; the gradient is the network's backward pass. The
    Objective works on its own copy of model: the model passed in is never changed.
    ``forward_passes`` counts every evaluation: ``loss`` 1, ``losses`` one per row, ``grad`` GRAD_PASSES.
    X: (N, D), y: (N,) or (N, K).
    """

    def __init__(self, model, X, y):
        self.loss_fn = SquaredError()
        self.model, self.X, self.y = _check_objective(model, X, y, self.loss_fn)
        self.size = params.size(self.model)
        self.forward_passes = 0

    def _outputs(self, theta):
        """The network's outputs z (N, K) at theta; uncounted."""
        params.assign(self.model, theta)
        return self.model.forward(self.X)

    def loss(self, theta):
        """L(theta) for theta (P,); costs 1 forward pass."""
        theta = _check_theta(self, theta, finite=False)
        value, _ = self.loss_fn.value_and_grad(self._outputs(theta), self.y)
        self.forward_passes += 1
        return value

    def losses(self, thetas):
        """L of each row of thetas (B, P) -> (B,); costs B forward passes."""
        thetas = _check_theta(self, thetas, batched=True, finite=False)
        return np.array([self.loss(theta) for theta in thetas])

    def grad(self, theta):
        """(L(theta), dL/dtheta (P,)) by the network's forward and backward pass; costs
        GRAD_PASSES = 3 forward passes (the forward pass, and a backward pass counted as 2)."""
        theta = _check_theta(self, theta, finite=False)
        value, dz = self.loss_fn.value_and_grad(self._outputs(theta), self.y)
        self.model.backward(dz)
        self.forward_passes += GRAD_PASSES
        return value, params.flatten(self.model, grads=True)


def _check_objective(model, X, y, loss_fn):
    """(a private copy of model, X (N, D), targets (N, K)), or a clear error."""
    if isinstance(model, type) or not isinstance(model, Sequential):
        raise TypeError(f"model must be an nnlab Sequential such as nnlab.mlp([2, 8, 1], rng=rng), "
                        f"got {model!r}")
    if params.size(model) == 0:
        raise ValueError(f"model must have parameters to perturb, got {model!r} with none")
    n_in, n_out = _widths(model)
    X = as_2d("X", X, n_in)
    return copy.deepcopy(model), X, loss_fn.targets(y, len(X), n_out)


def _check_theta(objective, theta, *, batched=False, finite=True):
    """theta as a float array (P,), or (B, P) when batched; finite=False lets a diverged run's NaN through."""
    theta = np.asarray(theta, dtype=float)
    P = objective.size
    if theta.ndim != (2 if batched else 1) or theta.shape[-1] != P:
        raise ValueError(f"theta must have shape {f'(B, {P})' if batched else f'({P},)'} (one entry per "
                         f"parameter of the network), got {theta.shape}")
    if finite and not np.all(np.isfinite(theta)):
        raise ValueError("theta contains NaN or infinite values")
    return theta


def perturb_one(objective, theta, *, n_steps, scale, rng):
    """Scheme (a): add N(0, scale^2) to one random weight; keep the change if the training loss falls.

    Returns (theta (P,), losses (n_steps+1,), forward_passes (n_steps+1,), accepted count).
    Each step costs 1 forward pass (plus 1 at the start for the first loss).
    """
    theta = _check_perturb_one(objective, theta, n_steps, scale, rng)
    best = objective.loss(theta)
    losses, passes, accepted = [best], [objective.forward_passes], 0
    which = rng.integers(objective.size, size=n_steps)     # the weight i of each trial
    amount = scale * rng.normal(size=n_steps)               # and its change epsilon
    for i, epsilon in zip(which, amount):
        old = theta[i]
        theta[i] = old + epsilon
        trial = objective.loss(theta)
        if trial < best:
            best, accepted = trial, accepted + 1
        else:
            theta[i] = old
        losses.append(best)
        passes.append(objective.forward_passes)
    return theta, np.array(losses), np.array(passes), accepted


def _check_perturb_one(objective, theta, n_steps, scale, rng):
    """A copy of theta to change, once every argument of perturb_one is checked."""
    instance("objective", objective, Objective, "perturb.Objective(model, X, y)")
    theta = _check_theta(objective, theta).copy()
    number("n_steps", n_steps, low=0, integer=True)
    number("scale", scale, low=0, low_open=True)
    generator("rng", rng)
    return theta


def estimate_gradient(objective, theta, *, trials, sigma, rng, base=None):
    """Scheme (b)'s estimate g = 1/(trials sigma^2) sum_k (L(theta + d_k) - L(theta)) d_k, d_k ~ N(0, sigma^2 I).

    Costs ``trials`` forward passes (+1 when base, the loss at theta, is not given). Returns g (P,).
    """
    theta = _check_estimate(objective, theta, trials, sigma, rng, base)
    if base is None:
        base = objective.loss(theta)
    d = sigma * rng.normal(size=(trials, objective.size))
    gain = objective.losses(theta + d) - base
    return gain @ d / (trials * sigma ** 2)


def _check_estimate(objective, theta, trials, sigma, rng, base):
    instance("objective", objective, Objective, "perturb.Objective(model, X, y)")
    theta = _check_theta(objective, theta)
    number("trials", trials, low=1, integer=True)
    number("sigma", sigma, low=0, low_open=True)
    generator("rng", rng)
    if base is not None:
        number("base", base)
    return theta


def perturb_all(objective, theta, *, n_steps, sigma, trials, lr, rng):
    """Scheme (b): perturb all weights at once, correlate the loss change with the perturbation, step.

    theta <- theta - lr g_hat. Each step costs trials + 1 forward passes.
    Returns (theta, losses (n_steps+1,), forward_passes (n_steps+1,)); losses[s] is L before step s+1.
    """
    theta = _check_perturb_all(objective, theta, n_steps, sigma, trials, lr, rng)
    losses, passes = [], []
    for s in range(n_steps + 1):
        base = objective.loss(theta)
        losses.append(base)
        passes.append(objective.forward_passes)
        if s < n_steps:
            g_hat = estimate_gradient(objective, theta, trials=trials, sigma=sigma, rng=rng, base=base)
            theta = theta - lr * g_hat
    return theta, np.array(losses), np.array(passes)


def _check_perturb_all(objective, theta, n_steps, sigma, trials, lr, rng):
    theta = _check_estimate(objective, theta, trials, sigma, rng, None)
    number("n_steps", n_steps, low=0, integer=True)
    number("lr", lr, low=0, low_open=True)
    return theta


def gradient_descent(objective, theta, *, n_steps, lr):
    """Backpropagation + gradient descent theta <- theta - lr dL/dtheta from theta: ``nnlab.fit`` on
    the objective's network (full batch, one step per epoch); each step costs GRAD_PASSES = 3
    forward passes.

    Returns (theta, losses (n_steps+1,), forward_passes (n_steps+1,)): losses[s] is L after s steps,
    and passes[s] is what was spent to know it: the loss is known after the forward part of a step,
    so passes = 1, 4, 7, ... (the last entry adds 1 pass for the final loss).
    If the loss stops being finite, training stops there and the arrays are shorter.
    """
    theta = _check_descent(objective, theta, n_steps, lr)
    if n_steps == 0:
        return theta, np.array([objective.loss(theta)]), np.array([objective.forward_passes])
    start = objective.forward_passes
    params.assign(objective.model, theta)

    def count_passes(model, step):
        objective.forward_passes += GRAD_PASSES

    history = fit(objective.model, objective.X, objective.y, loss=objective.loss_fn, lr=lr,
                  epochs=n_steps, batch_size=None, shuffle=False, rng=np.random.default_rng(0),
                  callback=count_passes)                     # full batch and no shuffling: nothing random
    objective.forward_passes += 1                            # the final loss, fit's last train_loss
    losses = np.array(history.loss + history.train_loss[-1:])
    passes = start + 1 + GRAD_PASSES * np.arange(len(losses))
    return params.flatten(objective.model), losses, passes


def _check_descent(objective, theta, n_steps, lr):
    instance("objective", objective, Objective, "perturb.Objective(model, X, y)")
    theta = _check_theta(objective, theta).copy()
    number("n_steps", n_steps, low=0, integer=True)
    number("lr", lr, low=0, low_open=True)
    return theta


def passes_to_reach(losses, passes, target):
    """First forward-pass count at which losses <= target; inf if never. losses, passes: (T,)."""
    losses, passes = np.asarray(losses, dtype=float), np.asarray(passes)
    if losses.shape != passes.shape or losses.ndim != 1:
        raise ValueError(f"losses and passes must be 1-D of equal length, got {losses.shape} and {passes.shape}")
    number("target", target)
    hit = np.flatnonzero(losses <= target)
    return float(passes[hit[0]]) if hit.size else float("inf")


def random_directions(n, size, *, rng, kind="all"):
    """n unit perturbation directions (n, size): 'all' uniform on the sphere, 'one' = +-e_i at random."""
    number("n", n, low=1, integer=True)
    number("size", size, low=1, integer=True)
    generator("rng", rng)
    choice("kind", kind, ("all", "one"))
    if kind == "all":
        d = rng.normal(size=(n, size))
        return d / np.linalg.norm(d, axis=1, keepdims=True)
    d = np.zeros((n, size))
    d[np.arange(n), rng.integers(size, size=n)] = rng.choice([-1.0, 1.0], size=n)
    return d


def improving_fraction(objective, theta, sizes, directions):
    """Fraction of perturbations theta + s u (u a row of directions (M, P)) that lower the loss,
    for each s in sizes (S,) -> (S,). Costs S*M + 1 forward passes."""
    theta, sizes, directions = _check_improving(objective, theta, sizes, directions)
    base = objective.loss(theta)
    trial = theta + sizes[:, None, None] * directions[None]
    new = objective.losses(trial.reshape(-1, objective.size)).reshape(len(sizes), len(directions))
    return np.mean(new < base, axis=1)


def _check_improving(objective, theta, sizes, directions):
    instance("objective", objective, Objective, "perturb.Objective(model, X, y)")
    theta = _check_theta(objective, theta)
    sizes = np.asarray(sizes, dtype=float).reshape(-1)
    directions = np.asarray(directions, dtype=float)
    if directions.ndim != 2 or directions.shape[1] != objective.size:
        raise ValueError(f"directions must have shape (M, {objective.size}), got {directions.shape}")
    return theta, sizes, directions
