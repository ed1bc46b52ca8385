"""Learning by perturbing weights, and the forward passes it costs.

The cost unit is one *forward pass*: the whole training set through the network once.
``Objective.grad`` (backpropagation) is counted as ``GRAD_PASSES = 3`` forward passes: the forward
pass itself plus a backward pass that costs about two, because per weight the forward pass does one
multiply-add and the backward pass two (one for the weight's gradient, one to pass the error back).
That is the usual rule for reverse-mode differentiation (the "cheap gradient principle"); in the
worst case theory bounds the ratio by a small constant, about 4 to 5 (Griewank & Walther,
*Evaluating Derivatives*, 2nd ed., SIAM 2008; Baydin et al., JMLR 18(153), 2018).

All methods work on the flat parameter vector ``theta`` (P,) of an nnlab ``Sequential``
made of ``Dense`` layers and activations: ``get_flat`` / ``set_flat`` move between the two.
"""
import numpy as np

from .._checks import as_2d, as_targets, generator, number
from ..activations import Activation
from ..layers import Dense

GRAD_PASSES = 3  # forward passes counted for one gradient by backprop: 1 forward + about 2 backward

def _params(model):
    if not hasattr(model, "parameters"):
        raise TypeError(f"model must be an nnlab Sequential (with .parameters()), got {type(model).__name__}")
    return [p for _, _, p, _ in model.parameters()]


def get_flat(model):
    """All parameters of model, concatenated in ``model.parameters()`` order: a new array (P,)."""
    params = _params(model)
    return np.concatenate([p.ravel() for p in params]) if params else np.zeros(0)


def get_flat_grad(model):
    """All gradients of model (after ``backward``), in the order of ``get_flat``: (P,)."""
    return np.concatenate([g.ravel() for _, _, _, g in model.parameters()])


def set_flat(model, theta):
    """Write theta (P,) into model's parameters in place; returns model."""
    params = _params(model)
    theta = np.asarray(theta, dtype=float)
    size = sum(p.size for p in params)
    if theta.shape != (size,):
        raise ValueError(f"theta must have shape ({size},) (the model's parameter count), got {theta.shape}")
    start = 0
    for p in params:
        p[...] = theta[start:start + p.size].reshape(p.shape)
        start += p.size
    return model


class Objective:
    """The training loss L(theta) = 1/N sum_n 1/2 ||z_n - t_n||^2 of a Dense/activation Sequential.

    ``forward_passes`` counts every evaluation: ``loss`` 1, ``losses`` one per row, ``grad`` GRAD_PASSES.
    X: (N, D), y: (N,) or (N, K). theta: (P,) as in ``get_flat(model)``.
    """

    def __init__(self, model, X, y):
        self.layers = []  # ("dense", W slice, W shape, b slice) or ("act", Activation)
        start = 0
        for i, layer in enumerate(getattr(model, "layers", None) or []):
            if isinstance(layer, Dense):
                n_w = layer.params["W"].size
                n_b = layer.params["b"].size
                self.layers.append(("dense", slice(start, start + n_w), layer.params["W"].shape,
                                    slice(start + n_w, start + n_w + n_b)))
                start += n_w + n_b
            elif isinstance(layer, Activation):
                self.layers.append(("act", layer))
            else:
                raise TypeError(f"model.layers[{i}] must be Dense or an activation, got {type(layer).__name__}")
        if not self.layers:
            raise TypeError(f"model must be a Sequential of Dense layers and activations, got {model!r}")
        self.size = start
        self.X = as_2d("X", X, self.layers[0][2][0] if self.layers[0][0] == "dense" else None)
        out = [spec[2][1] for spec in self.layers if spec[0] == "dense"][-1]
        self.y = as_targets("y", y, len(self.X), out)
        self.forward_passes = 0

    def _check(self, theta, batched):
        theta = np.asarray(theta, dtype=float)
        want = 2 if batched else 1
        if theta.ndim != want or theta.shape[-1] != self.size:
            shape = "(B, %d)" % self.size if batched else "(%d,)" % self.size
            raise ValueError(f"theta must have shape {shape}, got {theta.shape}")
        return theta

    def _forward(self, thetas):
        """thetas (B, P) -> outputs (B, N, K), with the cache of every layer's input.

        One parameter vector (B = 1) takes a plain 2-D path."""
        single = len(thetas) == 1
        a = self.X if single else self.X[None]
        cache = []
        for spec in self.layers:
            cache.append(a)
            if spec[0] == "dense":
                _, ws, shape, bs = spec
                if single:
                    a = a @ thetas[0, ws].reshape(shape) + thetas[0, bs]
                else:
                    a = a @ thetas[:, ws].reshape((-1,) + shape) + thetas[:, None, bs]
            else:
                a = spec[1].f(a)
        if single:
            a, cache = a[None], [c[None] for c in cache]
        return a, cache

    def losses(self, thetas):
        """Loss of each row of thetas (B, P) -> (B,); costs B forward passes."""
        thetas = self._check(thetas, True)
        self.forward_passes += len(thetas)
        z, _ = self._forward(thetas)
        return 0.5 * np.sum((z - self.y) ** 2, axis=(1, 2)) / len(self.X)

    def loss(self, theta):
        """Loss at theta (P,); costs 1 forward pass."""
        theta = self._check(theta, False)
        self.forward_passes += 1
        d = (self._forward(theta[None])[0] - self.y).ravel()
        return 0.5 * float(d @ d) / len(self.X)

    def grad(self, theta):
        """(loss, dL/dtheta (P,)) by backpropagation; costs GRAD_PASSES = 3 forward passes
        (the forward pass, and a backward pass counted as 2)."""
        theta = self._check(theta, False)
        self.forward_passes += GRAD_PASSES
        z, cache = self._forward(theta[None])
        z, cache = z[0], [c[0] for c in cache]
        dout = (z - self.y) / len(self.X)
        g = np.empty(self.size)
        for spec, a in zip(reversed(self.layers), reversed(cache)):
            if spec[0] == "dense":
                _, ws, shape, bs = spec
                g[ws] = (a.T @ dout).ravel()
                g[bs] = dout.sum(axis=0)
                dout = dout @ theta[ws].reshape(shape).T
            else:
                dout = dout * spec[1].df(a)
        d = (z - self.y).ravel()
        return 0.5 * float(d @ d) / len(self.X), g


def _trace(n_steps):
    return np.empty(n_steps + 1), np.empty(n_steps + 1, dtype=int)


def perturb_one(objective, theta, *, n_steps, scale, rng):
    """Scheme (a): add N(0, scale^2) to one random weight; keep it if the training loss falls.

    Returns (theta (P,), losses (n_steps+1,), forward_passes (n_steps+1,), accepted count).
    Each step costs 1 forward pass (plus 1 at the start for the first loss).
    """
    theta = objective._check(theta, False).copy()
    number("n_steps", n_steps, low=0, integer=True)
    number("scale", scale, low=0, low_open=True)
    generator("rng", rng)
    losses, passes = _trace(n_steps)
    best = objective.loss(theta)
    losses[0], passes[0] = best, objective.forward_passes
    which = rng.integers(objective.size, size=n_steps)
    amount = scale * rng.normal(size=n_steps)
    accepted = 0
    for s in range(n_steps):
        i = which[s]
        old = theta[i]
        theta[i] = old + amount[s]
        trial = objective.loss(theta)
        if trial < best:
            best, accepted = trial, accepted + 1
        else:
            theta[i] = old
        losses[s + 1], passes[s + 1] = best, objective.forward_passes
    return theta, losses, passes, accepted


def estimate_gradient(objective, theta, *, trials, sigma, rng, base=None):
    """Scheme (b)'s estimate g = 1/(trials sigma^2) sum_k (L(theta + d_k) - L(theta)) d_k, d_k ~ N(0, sigma^2 I).

    Costs ``trials`` forward passes (+1 when base, the loss at theta, is not given). Returns g (P,).
    """
    theta = objective._check(theta, False)
    number("trials", trials, low=1, integer=True)
    number("sigma", sigma, low=0, low_open=True)
    generator("rng", rng)
    if base is None:
        base = objective.loss(theta)
    d = sigma * rng.normal(size=(trials, objective.size))
    gain = objective.losses(theta + d) - base
    return gain @ d / (trials * sigma ** 2)


def perturb_all(objective, theta, *, n_steps, sigma, trials, lr, rng):
    """Scheme (b): perturb all weights at once, correlate the loss change with the perturbation, step.

    theta <- theta - lr g_hat. Each step costs trials + 1 forward passes.
    Returns (theta, losses (n_steps+1,), forward_passes (n_steps+1,)); losses[s] is L before step s+1.
    """
    theta = objective._check(theta, False).copy()
    number("n_steps", n_steps, low=0, integer=True)
    number("lr", lr, low=0, low_open=True)
    losses, passes = _trace(n_steps)
    for s in range(n_steps + 1):
        base = objective.loss(theta)
        losses[s], passes[s] = base, objective.forward_passes
        if s == n_steps:
            break
        theta = theta - lr * estimate_gradient(objective, theta, trials=trials, sigma=sigma, rng=rng, base=base)
    return theta, losses, passes


def gradient_descent(objective, theta, *, n_steps, lr):
    """Backpropagation + gradient descent theta <- theta - lr dL/dtheta; each step costs GRAD_PASSES = 3
    forward passes.

    Returns (theta, losses (n_steps+1,), forward_passes (n_steps+1,)): losses[s] is L after s steps,
    and passes[s] is what was spent to know it: the loss is known after the forward part of a step,
    so passes = 1, 4, 7, ... (the last entry adds 1 pass for the final loss).
    """
    theta = objective._check(theta, False).copy()
    number("n_steps", n_steps, low=0, integer=True)
    number("lr", lr, low=0, low_open=True)
    losses, passes = _trace(n_steps)
    for s in range(n_steps):
        losses[s], g = objective.grad(theta)
        passes[s] = objective.forward_passes - (GRAD_PASSES - 1)  # known before the backward pass
        theta = theta - lr * g
    losses[n_steps] = objective.loss(theta)
    passes[n_steps] = objective.forward_passes
    return theta, losses, passes


def passes_to_reach(losses, passes, target):
    """First forward-pass count at which losses <= target; inf if never. losses, passes: (T,)."""
    losses, passes = np.asarray(losses, dtype=float), np.asarray(passes)
    if losses.shape != passes.shape or losses.ndim != 1:
        raise ValueError(f"losses and passes must be 1-D of equal length, got {losses.shape} and {passes.shape}")
    hit = np.flatnonzero(losses <= target)
    return float(passes[hit[0]]) if hit.size else float("inf")


def random_directions(n, size, *, rng, kind="all"):
    """n unit perturbation directions (n, size): 'all' uniform on the sphere, 'one' = +-e_i at random."""
    number("n", n, low=1, integer=True)
    generator("rng", rng)
    if kind == "all":
        d = rng.normal(size=(n, size))
        return d / np.linalg.norm(d, axis=1, keepdims=True)
    if kind == "one":
        d = np.zeros((n, size))
        d[np.arange(n), rng.integers(size, size=n)] = rng.choice([-1.0, 1.0], size=n)
        return d
    raise ValueError(f"kind must be 'all' or 'one', got {kind!r}")


def improving_fraction(objective, theta, sizes, directions):
    """Fraction of perturbations theta + s u (u a row of directions (M, P)) that lower the loss,
    for each s in sizes (S,) -> (S,). Costs S*M + 1 forward passes."""
    theta = objective._check(theta, False)
    sizes = np.asarray(sizes, dtype=float).reshape(-1)
    directions = np.asarray(directions, dtype=float)
    if directions.ndim != 2 or directions.shape[1] != objective.size:
        raise ValueError(f"directions must have shape (M, {objective.size}), got {directions.shape}")
    base = objective.loss(theta)
    trial = theta + sizes[:, None, None] * directions[None]
    new = objective.losses(trial.reshape(-1, objective.size)).reshape(len(sizes), len(directions))
    return np.mean(new < base, axis=1)
