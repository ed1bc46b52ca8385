"""Gradient descent on explicit functions: new = old - lr * gradient, until the gradient is almost 0.

For f(x) = a x^2 the step is x <- x - lr * 2 a x = (1 - 2 a lr) x: the distance to the minimum
is multiplied by the same factor at every step (``contraction_factor``).
"""
import numpy as np

from .._checks import as_2d, number


def gradient_descent(grad, x0, *, lr, steps=100, tol=1e-8):
    """Run x <- x - lr * grad(x) from x0. grad: (D,) -> (D,); x0: scalar or (D,) -> path (K+1,) or (K+1, D).

    Stops after ``steps`` steps, as soon as |grad(x)| < tol (the slides' "gradient almost 0"),
    or when x stops being finite (divergence). path[0] is x0 and path[k] the point after step k.
    """
    x, scalar = _check_gradient_descent(grad, x0, lr, steps, tol)
    path = [x]
    with np.errstate(over="ignore", invalid="ignore"):   # a diverging path may overflow: then it stops
        for _ in range(steps):
            g = _gradient_at(grad, x, scalar)            # the slope at the current point
            if np.linalg.norm(g) < tol:                  # gradient almost 0: stop
                break
            x = x - lr * g                               # new = old - learning rate * gradient
            path.append(x)
            if not np.all(np.isfinite(x)):
                break
    path = np.array(path)
    return path[:, 0] if scalar else path


def _check_gradient_descent(grad, x0, lr, steps, tol):
    """Every argument check of ``gradient_descent``; returns x0 as a float vector (D,) and whether it was a number."""
    if not callable(grad):
        raise TypeError(f"grad must be a function x -> gradient at x, got {type(grad).__name__}")
    number("lr", lr, low=0, low_open=True)
    number("steps", steps, low=0, integer=True)
    number("tol", tol, low=0)
    scalar = np.ndim(x0) == 0
    try:
        x = np.atleast_1d(np.asarray(x0, dtype=float)).copy()
    except (TypeError, ValueError):
        raise TypeError(f"x0 must be a number or a 1-D array of numbers, got {type(x0).__name__}") from None
    if x.ndim != 1 or not np.all(np.isfinite(x)):
        raise ValueError(f"x0 must be a finite number or a 1-D array (D,), got {np.shape(x0)}")
    return x, scalar


def _gradient_at(grad, x, scalar):
    """grad at x as a vector shaped like x (grad gets a number when x0 was one), or a clear error."""
    g = np.atleast_1d(np.asarray(grad(x[0] if scalar else x), dtype=float))
    if g.shape != x.shape:
        raise ValueError(f"grad must return an array of shape {x.shape} (like x0), got {g.shape}")
    return g


def quadratic_1d(a):
    """f(x) = a x^2 and f'(x) = 2 a x (elementwise, any shape), for a > 0."""
    number("a", a, low=0, low_open=True)
    return (lambda x: a * np.asarray(x, dtype=float) ** 2), (lambda x: 2 * a * np.asarray(x, dtype=float))


def quadratic_2d(A):
    """f(x) = 1/2 x^T A x and grad f(x) = A x for a symmetric positive definite A (2, 2).

    f accepts points of shape (..., 2) (a grid for contours), grad one point (2,).
    """
    A = np.asarray(A, dtype=float)
    if A.shape != (2, 2):
        raise ValueError(f"A must have shape (2, 2), got {A.shape}")
    if not np.allclose(A, A.T) or np.linalg.eigvalsh(A).min() <= 0:
        raise ValueError(f"A must be symmetric positive definite, got {A.tolist()}")
    f = lambda x: 0.5 * np.einsum("...i,ij,...j->...", np.asarray(x, dtype=float), A, np.asarray(x, dtype=float))
    return f, (lambda x: A @ np.asarray(x, dtype=float))


def ill_conditioned(lam_small=1.0, lam_large=10.0, angle_deg=30.0):
    """A symmetric (2, 2) matrix with eigenvalues lam_small, lam_large, its axes rotated by angle_deg."""
    number("lam_small", lam_small, low=0, low_open=True)
    number("lam_large", lam_large, low=0, low_open=True)
    c, s = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    Q = np.array([[c, -s], [s, c]])
    return Q @ np.diag([lam_small, lam_large]) @ Q.T


def contraction_factor(a, lr):
    """The factor 1 - 2 a lr by which one step multiplies x on f(x) = a x^2 (any shapes that broadcast)."""
    return 1 - 2 * np.asarray(a, dtype=float) * np.asarray(lr, dtype=float)


def regime(factor, decimals=2):
    """Name what a per-step factor does: 'too small' (0.9 <= q < 1, slow), 'good' (0 <= q < 0.9),
    'oscillating' (-1 < q < 0), 'bouncing' (q = -1) or 'diverging' (|q| > 1).

    q is first rounded to ``decimals`` places, the digits the chapter prints: 1 - 0.1 * lambda with
    a computed eigenvalue lambda = 1.0000000000000002 is 0.90, 'too small', as shown.
    """
    q = round(float(factor), decimals)
    if abs(q) > 1:
        return "diverging"
    if q == -1:
        return "bouncing"
    if q < 0:
        return "oscillating"
    return "too small" if q >= 0.9 else "good"


def least_squares(X, t):
    """Mean squared error of a linear unit with bias, L(theta) = 1/(2N) |X_a theta - t|^2, X_a = [X, 1].

    X: (N, D), t: (N,) -> (f, grad, H): f and grad take theta (D+1,) (weights then bias); H is the
    constant Hessian X_a^T X_a / N (D+1, D+1), so gradient descent converges iff lr < 2 / max eig(H).
    f and grad are the engine's network Dense(D, 1) + Linear with SquaredError() written out as
    formulas, with theta in the order of ``nnlab.params.flatten`` (tests/test_descent.py checks it).
    """
    X = as_2d("X", X)
    t = np.asarray(t, dtype=float).reshape(-1)
    if t.shape != (len(X),):
        raise ValueError(f"t must have shape ({len(X)},) to match X, got shape {np.shape(t)}")
    Xa = np.c_[X, np.ones(len(X))]
    n = len(X)
    f = lambda th: 0.5 * float(np.mean((Xa @ th - t) ** 2))
    grad = lambda th: Xa.T @ (Xa @ th - t) / n
    return f, grad, Xa.T @ Xa / n
