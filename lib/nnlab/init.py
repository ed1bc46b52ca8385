"""Weight initializers. Each is ``f(shape, rng, ...)`` and returns a new float array.

For a dense weight of shape ``(fan_in, fan_out)``: ``fan_in`` = n^[l-1] (inputs to a
unit) and ``fan_out`` = n^[l] (units in the layer); ``fan_avg`` = (fan_in + fan_out) / 2.
"""
import numpy as np

from ._checks import generator, number


def fans(shape):
    """Return (fan_in, fan_out) of a weight shape (fan_in, fan_out) or a bias (n,)."""
    shape = tuple(shape)
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) != 2:
        raise ValueError(f"shape must be (fan_in, fan_out), got {shape}")
    return shape[0], shape[1]


def _shape(shape):
    sizes = tuple(np.atleast_1d(shape).tolist()) if not isinstance(shape, (str, bytes)) else (shape,)
    if not sizes or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"shape must be a tuple of positive integers such as (fan_in, fan_out), got {shape!r}")
    return sizes


def zeros(shape, rng=None):
    """All zeros: every unit of a layer computes the same thing (no symmetry breaking)."""
    return np.zeros(_shape(shape))


def constant(shape, rng=None, *, value=0.1):
    """Every weight equal to ``value``: fails to break symmetry, just like zeros."""
    return np.full(_shape(shape), float(number("value", value)))


def uniform(shape, rng, *, r=0.05):
    """U(-r, +r)."""
    number("r", r, low=0)
    return generator("rng", rng).uniform(-r, r, size=_shape(shape))


def normal(shape, rng, *, sigma=0.05):
    """N(0, sigma^2)."""
    number("sigma", sigma, low=0)
    return generator("rng", rng).normal(0.0, sigma, size=_shape(shape))


def standard_uniform(shape, rng):
    """U(-r, r) with r = 1 / sqrt(fan_in), so Var(W) = 1 / (3 fan_in): Glorot and Bengio's (2010)
    "standard" initialization, and PyTorch's default for nn.Linear."""
    fan_in, _ = fans(_shape(shape))
    return uniform(shape, rng, r=1.0 / np.sqrt(fan_in))


def xavier_uniform(shape, rng):
    """Xavier/Glorot: U(-r, r) with r = sqrt(3 / fan_avg), so Var(W) = 1 / fan_avg."""
    fan_in, fan_out = fans(_shape(shape))
    return uniform(shape, rng, r=np.sqrt(3.0 / ((fan_in + fan_out) / 2)))


def xavier_normal(shape, rng):
    """Xavier/Glorot: N(0, sigma^2) with sigma^2 = 1 / fan_avg."""
    fan_in, fan_out = fans(_shape(shape))
    return normal(shape, rng, sigma=np.sqrt(1.0 / ((fan_in + fan_out) / 2)))


def he_normal(shape, rng):
    """He: N(0, sigma^2) with sigma^2 = 2 / fan_in (fan_in = n^[l-1], the inputs to each unit)."""
    fan_in, _ = fans(_shape(shape))
    return normal(shape, rng, sigma=np.sqrt(2.0 / fan_in))


def he_uniform(shape, rng):
    """He: U(-r, r) with r = sqrt(3 sigma^2) = sqrt(6 / fan_in)."""
    fan_in, _ = fans(_shape(shape))
    return uniform(shape, rng, r=np.sqrt(6.0 / fan_in))


INITIALIZERS = {"zeros": zeros, "constant": constant, "uniform": uniform, "normal": normal,
                "standard_uniform": standard_uniform, "xavier_uniform": xavier_uniform, "xavier_normal": xavier_normal,
                "he_uniform": he_uniform, "he_normal": he_normal}


def get_initializer(name_or_fn):
    """Return an initializer from its name, or pass a callable ``f(shape, rng)`` through."""
    if callable(name_or_fn):
        return name_or_fn
    if name_or_fn not in INITIALIZERS:
        raise ValueError(f"init must be one of {sorted(INITIALIZERS)} or a callable, got {name_or_fn!r}")
    return INITIALIZERS[name_or_fn]
