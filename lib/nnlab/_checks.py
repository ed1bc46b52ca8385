"""Input checks that turn a student's mistake into a message that names the argument."""
import numbers

import numpy as np


def _numbers(name, x):
    """x as a float array, or a TypeError that names the argument (strings, None, dicts, classes)."""
    if isinstance(x, (str, bytes, dict)) or x is None or isinstance(x, type):
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of numbers: {err}") from None


def as_2d(name, X, n_features=None, *, finite=True):
    """Return X as a float array of shape (N, D), finite unless finite=False; raise a clear error otherwise."""
    if (not finite and type(X) is np.ndarray and X.dtype == np.float64 and X.ndim == 2
            and (n_features is None or X.shape[1] == n_features)):
        return X                                  # the common case inside a network: nothing to check
    X = _numbers(name, X)
    if X.ndim != 2:
        hint = " (use X.reshape(-1, 1) for one feature, or X[None, :] for one sample)" if X.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D with shape (N, D), got shape {X.shape}{hint}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} features (columns), got shape {X.shape}")
    if finite and not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


def as_targets(name, y, n_samples, n_outputs=None):
    """Return y as float (N, K), accepting (N,) when one output is expected."""
    y = _numbers(name, y)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != n_samples:
        raise ValueError(f"{name} must have shape ({n_samples}, K) or ({n_samples},) to match the "
                         f"predictions, got shape {np.shape(y)}")
    if n_outputs is not None and y.shape[1] != n_outputs:
        raise ValueError(f"{name} must have {n_outputs} column(s) to match the predictions, got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return y


def same_shape(name, a, ref_name, ref):
    """Raise unless array a has exactly ref's shape."""
    a = np.asarray(a, dtype=float)
    if a.shape != np.shape(ref):
        raise ValueError(f"{name} must have the same shape as {ref_name} {np.shape(ref)}, got {a.shape}")
    return a


def number(name, value, *, low=None, high=None, low_open=False, high_open=False, integer=False):
    """Check a scalar hyper-parameter lies in [low, high] (or open ends) and return it."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an integer" if integer else "a number"
        raise TypeError(f"{name} must be {what}, got {value!r} ({type(value).__name__})")
    if not integer and not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {value!r}")
    return value


def generator(name, rng):
    """Require a numpy Generator: a course function never touches global random state."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{name} must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
                        f"got {type(rng).__name__}")
    return rng


def choice(name, value, options):
    """Check value is one of options (a dict or a sequence of names)."""
    if value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}, got {value!r}")
    return value


def instance(name, value, cls, example):
    """Require an instance of cls; a class passed by mistake gets a hint with `example`."""
    if isinstance(value, type):
        raise TypeError(f"{name} must be an instance, got the class {value.__name__}: write {example}")
    if not isinstance(value, cls):
        article = "an" if cls.__name__[0].lower() in "aeiou" else "a"
        raise TypeError(f"{name} must be {article} {cls.__name__}, got {type(value).__name__}")
    return value


def flag(name, value):
    """Require a real bool (so that inverted="no" is not silently taken as True)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def gradient_like(name, dout, out):
    """dout for backward: an array of the forward output's shape; raise if forward has not run."""
    if type(dout) is np.ndarray and out is not None and dout.shape == out.shape:
        return dout                               # the common case: nothing to convert
    if out is None:
        raise RuntimeError("backward was called before forward: run forward(X, train=True) first")
    try:
        dout = np.asarray(dout, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of numbers: {err}") from None
    if dout.shape != out.shape:
        raise ValueError(f"{name} must have the shape of the forward output {out.shape}, got {dout.shape}")
    return dout
