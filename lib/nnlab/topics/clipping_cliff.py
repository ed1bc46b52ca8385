"""Chapter 13: a 2-D loss with a cliff, and gradient descent on it with and without clipping.

The loss is a gentle bowl next to a steep wall. In coordinates across the wall, u = n . w, and
along it, s = t . w (n and t are unit vectors at an angle THETA to the axes):

    L(w) = a/2 (u - U_MIN)^2 + b/2 s^2 + (S/K) softplus(K u),

The wall term is about 0 for u < 0 and rises with slope S (a cliff face) for u > 0; its steepness
K sets how sharp the edge is. The bowl's lowest point lies beyond the wall (u = U_MIN > 0), so the
bowl pushes the parameters into the wall: the loss has a ravine at the foot of the cliff, along t,
with its lowest point near s = 0. Descent is a hand-written loop here because the loop is the
lesson (a 2-D loss is not a network); its clipping rules are the engine's ClipByValue / ClipByNorm.
Scalars are computed with the ``math`` module, so a trajectory does not depend on numpy's SIMD kernels.
"""
import math

import numpy as np

from .._checks import number
from ..clipping import ClipByNorm, ClipByValue

THETA = math.radians(20.0)         # angle of the wall's normal n to the w1 axis
N = (math.cos(THETA), math.sin(THETA))    # across the wall (uphill on the cliff face)
T = (-math.sin(THETA), math.cos(THETA))   # along the wall, the ravine's direction
A, B = 1.0, 0.3                    # curvatures of the bowl across and along the wall
U_MIN = 1.0                        # the bowl's lowest point lies beyond the wall
S, K = 100.0, 100.0                # slope of the cliff face, sharpness of its edge


def _softplus(z):
    return z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))


def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def cliff_loss(w1, w2):
    """L on arrays of points (any equal shapes), for drawing the landscape."""
    u = N[0] * np.asarray(w1, float) + N[1] * np.asarray(w2, float)
    s = T[0] * np.asarray(w1, float) + T[1] * np.asarray(w2, float)
    wall = (S / K) * np.logaddexp(0.0, K * u)          # softplus, computed without overflow
    return 0.5 * A * (u - U_MIN) ** 2 + 0.5 * B * s ** 2 + wall


def loss_and_grad(w):
    """L(w) and its gradient at one point w = (w1, w2): the bowl's pull plus the wall's S sigmoid(K u)."""
    w1, w2 = float(w[0]), float(w[1])
    u, s = N[0] * w1 + N[1] * w2, T[0] * w1 + T[1] * w2
    loss = 0.5 * A * (u - U_MIN) ** 2 + 0.5 * B * s ** 2 + (S / K) * _softplus(K * u)
    g_u, g_s = A * (u - U_MIN) + S * _sigmoid(K * u), B * s     # dL/du, dL/ds
    return loss, np.array([g_u * N[0] + g_s * T[0], g_u * N[1] + g_s * T[1]])


def descend(w0, lr, steps, clip=None):
    """Gradient descent w <- w - lr * clip(g) from w0 for ``steps`` steps.

    Returns a dict of arrays: 'path' (steps + 1, 2), 'loss' (steps + 1,), 'raw' (steps, 2) the
    gradient at each step and 'used' (steps, 2) the gradient after clipping (the step is -lr * used).
    """
    number("lr", lr, low=0, low_open=True)
    number("steps", steps, low=1, integer=True)
    if clip is not None and not isinstance(clip, (ClipByValue, ClipByNorm)):
        raise TypeError(f"clip must be None, ClipByValue(min, max) or ClipByNorm(max_norm), got {clip!r}")
    w = np.array(w0, dtype=float)
    path, losses, raw, used = [w.copy()], [], [], []
    for _ in range(steps):
        loss, g = loss_and_grad(w)
        step = g if clip is None else clip(g)
        w = w - lr * step
        losses.append(loss)
        raw.append(g)
        used.append(step)
        path.append(w.copy())
    losses.append(loss_and_grad(w)[0])
    return {"path": np.array(path), "loss": np.array(losses), "raw": np.array(raw), "used": np.array(used)}


def along_ravine(path):
    """The coordinate s = t . w of each point of a path (0 at the ravine's lowest point)."""
    path = np.asarray(path, float)
    return T[0] * path[..., 0] + T[1] * path[..., 1]


def angle_deg(a, b):
    """The angle in degrees between two vectors (of the same length), or between paired rows of two arrays."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    cos = np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def lowest_point():
    """The point of lowest loss: s = 0 and, across the wall, the root of dL/du = 0 (by bisection)."""
    low, high = -1.0, 0.0                       # dL/du < 0 at u = -1, > 0 at u = 0
    for _ in range(60):
        mid = 0.5 * (low + high)
        if A * (mid - U_MIN) + S * _sigmoid(K * mid) < 0:
            low = mid
        else:
            high = mid
    u = 0.5 * (low + high)
    return np.array([u * N[0], u * N[1]])
