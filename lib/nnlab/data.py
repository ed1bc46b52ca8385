"""Toy data sets, made on the fly: ``f(n, *, noise, rng) -> (X, y)``.

X: (n, 2) float; y: (n,) int class labels in {0, 1} (spirals: 0..classes-1).
One real data set ships with the package: ``digits()``, 1,797 small images of handwritten digits.
``features(X, names)`` maps raw inputs (x1, x2) to input features such as x1^2 or sin(x2).
"""
from pathlib import Path

import numpy as np

from ._checks import as_2d, generator, number


def _check(n, noise, rng, n_min=2):
    number("n", n, low=n_min, integer=True)
    number("noise", noise, low=0)
    return generator("rng", rng)


def _halves(n):
    """Labels 0 then 1, as equal in number as possible."""
    return np.repeat([0, 1], [n - n // 2, n // 2])


def overlapping_blobs(n=200, *, noise=1.0, rng, distance=2.0):
    """Two Gaussian blobs with std ``noise`` whose centres are ``distance`` apart: they overlap."""
    rng = _check(n, noise, rng)
    y = _halves(n)
    centres = np.array([[-1.0, -1.0], [1.0, 1.0]]) * distance / (2 * np.sqrt(2))
    return centres[y] + noise * rng.normal(size=(n, 2)), y


def separable_blobs(n=200, *, noise=0.5, rng, distance=2.0, margin=0.2):
    """Two blobs like ``overlapping_blobs`` but guaranteed separable by the line x1 + x2 = 0:
    a point on the wrong side is mirrored to its class's side, and every point is then pushed
    ``margin`` further from the line, so the classes have a gap of 2 * margin."""
    number("margin", margin, low=0)
    X, y = overlapping_blobs(n, noise=noise, rng=rng, distance=distance)
    u = np.array([1.0, 1.0]) / np.sqrt(2)
    proj = X @ u
    side = np.where(y == 1, 1.0, -1.0)
    target = side * (margin + np.abs(proj))
    return X + np.outer(target - proj, u), y


def xor(n=200, *, noise=0.1, rng):
    """Four clusters at the corners of the unit square: (0,0), (1,1) -> 0 and (1,0), (0,1) -> 1."""
    rng = _check(n, noise, rng, n_min=4)
    corners = np.array([[0, 0], [1, 1], [1, 0], [0, 1]], dtype=float)
    which = np.arange(n) % 4
    return corners[which] + noise * rng.normal(size=(n, 2)), (which >= 2).astype(int)


def xor_table():
    """The four XOR cases exactly: X (4, 2), y (4,)."""
    return np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float), np.array([0, 1, 1, 0])


def moons(n=200, *, noise=0.1, rng):
    """Two interleaving half circles."""
    rng = _check(n, noise, rng)
    y = _halves(n)
    t = np.pi * rng.random(n)
    X = np.where(y[:, None] == 0, np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    return X + noise * rng.normal(size=(n, 2)), y


def circles(n=200, *, noise=0.1, rng, factor=0.5):
    """A small circle (class 1, radius ``factor``) inside a large one (class 0, radius 1)."""
    rng = _check(n, noise, rng)
    number("factor", factor, low=0, high=1, low_open=True, high_open=True)
    y = _halves(n)
    t = 2 * np.pi * rng.random(n)
    r = np.where(y == 0, 1.0, factor)
    return r[:, None] * np.c_[np.cos(t), np.sin(t)] + noise * rng.normal(size=(n, 2)), y


def spirals(n=200, *, noise=0.1, rng, classes=2, turns=1.0):
    """``classes`` interleaved spiral arms starting at the origin."""
    rng = _check(n, noise, rng)
    number("classes", classes, low=2, integer=True)
    y = np.arange(n) % classes
    r = rng.random(n)
    t = 2 * np.pi * turns * r + 2 * np.pi * y / classes
    return r[:, None] * np.c_[np.cos(t), np.sin(t)] + noise * rng.normal(size=(n, 2)), y


TARGETS = {
    "sine": lambda x: np.sin(np.pi * x),
    "step": lambda x: (x > 0).astype(float),
    "abs": np.abs,
    "cubic": lambda x: x ** 3 - 0.5 * x,
    "bump": lambda x: np.exp(-8 * x ** 2),
}


def regression_1d(n=100, *, noise=0.05, rng, target="sine"):
    """x uniform in [-1, 1] and y = target(x) + noise: X (n, 1), y (n, 1)."""
    rng = _check(n, noise, rng)
    if target not in TARGETS:
        raise ValueError(f"target must be one of {sorted(TARGETS)}, got {target!r}")
    x = np.sort(rng.uniform(-1, 1, n))
    return x[:, None], (TARGETS[target](x) + noise * rng.normal(size=n))[:, None]


# input features of raw inputs (x1, x2), as TensorFlow Playground offers them: name -> f(x1, x2)
FEATURES = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 ** 2,
    "x2^2": lambda x1, x2: x2 ** 2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}


def features(X, names):
    """The input features ``names`` (keys of FEATURES, e.g. ("x1", "x2", "x1*x2")) of raw inputs X:
    (N, len(names)), column j the feature names[j]. X: (N, 2), or (N, 1) with names on x1 only."""
    X, names = _check_features(X, names)
    x1, x2 = X[:, 0], (X[:, 1] if X.shape[1] == 2 else None)
    return np.column_stack([FEATURES[name](x1, x2) for name in names])


def _check_features(X, names):
    if isinstance(names, (str, bytes)) or not isinstance(names, (tuple, list)):
        raise TypeError(f"names must be a tuple or list of feature names such as ('x1', 'x2'), got {names!r}")
    if not names:
        raise ValueError(f"names must list at least one feature of {list(FEATURES)}, got {names!r}")
    for name in names:
        if not isinstance(name, str) or name not in FEATURES:
            raise ValueError(f"names must be feature names from {list(FEATURES)}, got {name!r}")
    X = as_2d("X", X)
    if X.shape[1] not in (1, 2):
        raise ValueError(f"X must hold the raw inputs x1, x2 with shape (N, 2) or x1 with shape (N, 1), "
                         f"got shape {X.shape}")
    if X.shape[1] == 1 and any("x2" in name for name in names):
        raise ValueError(f"names must be features of x1 only for X of shape {X.shape} (one input), "
                         f"got {list(names)}")
    return X, tuple(names)


def digits():
    """The 8 x 8 handwritten digits: X (1797, 64) float in [0, 1] (row-major pixels), y (1797,) int 0..9.

    Each pixel counts the "on" pixels of a 4 x 4 block of a 32 x 32 bitmap, an integer 0..16; X is that
    count / 16. Source: the test set of the UCI Optical Recognition of Handwritten Digits data set
    (E. Alpaydin and C. Kaynak, 1998, licensed CC BY 4.0;
    https://archive.ics.uci.edu/ml/datasets/Optical+Recognition+of+Handwritten+Digits), as distributed
    with scikit-learn (``sklearn.datasets.load_digits``); shipped in ``nnlab/datasets/digits.npz``.
    """
    with np.load(Path(__file__).parent / "datasets" / "digits.npz") as f:
        return f["images"] / 16.0, f["labels"].astype(int)


DATASETS = {"separable_blobs": separable_blobs, "overlapping_blobs": overlapping_blobs, "xor": xor,
            "moons": moons, "circles": circles, "spirals": spirals}


def train_val_split(X, y, *, val_fraction=0.3, rng):
    """Shuffle and split into (X_train, y_train, X_val, y_val)."""
    number("val_fraction", val_fraction, low=0, high=1, low_open=True, high_open=True)
    X, y = np.asarray(X), np.asarray(y)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"y must have one label per row of X ({n}), got {len(y)}")
    if n < 2:
        raise ValueError(f"X must have at least 2 samples to split, got {n}")
    order = generator("rng", rng).permutation(n)
    n_val = min(n - 1, max(1, int(round(val_fraction * n))))
    val, train = order[:n_val], order[n_val:]
    return X[train], y[train], X[val], y[val]
