"""Activation functions: each computes f(z) and its derivative f'(z), elementwise.

Every activation is also a layer: ``forward`` keeps its input, ``backward(dout)``
returns ``dout * f'(z)``.
"""
import numpy as np

from ._checks import choice, gradient_like, number


class Activation:
    """Base class: subclasses define ``f(z)`` and ``df(z)``; ``range`` is the output range.

    Two definitions of saturation are in use (chapter 1): ``saturating`` is the bounded-range one
    (|f(z)| stays bounded on both sides, the slides' source); ``saturates_where`` is the derivative
    one (Gulcehre et al., 2016): where f'(z) -> 0, "both", "left" (z -> -inf only) or "none".
    """
    range = (-np.inf, np.inf)
    saturating = False
    saturates_where = "none"
    out = dout = None

    @property
    def params(self):
        """An activation has no parameters (a new empty dict each time: nothing shared)."""
        return {}

    grads = params

    def f(self, z):
        raise NotImplementedError

    def df(self, z):
        raise NotImplementedError

    def __call__(self, z):
        return self.f(np.asarray(z, dtype=float))

    def forward(self, X, *, train=False):
        """X: any shape -> f(X), same shape."""
        self.z = X if type(X) is np.ndarray and X.dtype == np.float64 else np.asarray(X, dtype=float)
        self.out = self.f(self.z)
        return self.out

    def backward(self, dout):
        """dout: dL/d(output), same shape as X -> dL/dX."""
        self.dout = dout = gradient_like("dout", dout, self.out)
        return dout * self.df(self.z)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Step(Activation):
    """Heaviside step: 1 if z >= 0 else 0. Its derivative is 0 wherever it exists."""
    range = (0, 1)
    saturating, saturates_where = True, "both"

    def f(self, z):
        return (z >= 0).astype(float)

    def df(self, z):
        return np.zeros_like(z)


class Sign(Activation):
    """Sign: +1 if z >= 0 else -1 (sign(0) = +1 here, so the output is always a class)."""
    range = (-1, 1)
    saturating, saturates_where = True, "both"

    def f(self, z):
        return np.where(z >= 0, 1.0, -1.0)

    def df(self, z):
        return np.zeros_like(z)


class Linear(Activation):
    """Identity: f(z) = z, f'(z) = 1."""

    def f(self, z):
        return z

    def df(self, z):
        return np.ones_like(z)


class Sigmoid(Activation):
    """Logistic sigmoid 1 / (1 + e^-z), computed without overflow; f' = f (1 - f)."""
    range = (0, 1)
    saturating, saturates_where = True, "both"

    def f(self, z):
        e = np.exp(-np.abs(z))  # never exp of a large positive number
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

    def df(self, z):
        s = self.f(z)
        return s * (1 - s)

    def backward(self, dout):
        """dout * f'(z), with f' = f (1 - f) taken from the forward output (no second exp)."""
        self.dout = dout = gradient_like("dout", dout, self.out)
        s = self.out
        return dout * (s * (1 - s))


class Tanh(Activation):
    """Hyperbolic tangent; f' = 1 - tanh^2."""
    range = (-1, 1)
    saturating, saturates_where = True, "both"

    def f(self, z):
        return np.tanh(z)

    def df(self, z):
        return 1 - np.tanh(z) ** 2

    def backward(self, dout):
        """dout * f'(z), with f' = 1 - f^2 taken from the forward output."""
        self.dout = dout = gradient_like("dout", dout, self.out)
        return dout * (1 - self.out ** 2)


class ReLU(Activation):
    """Rectified linear unit max(0, z); we take f'(0) = 0."""
    range = (0, np.inf)
    saturates_where = "left"  # f'(z) = 0 for z < 0: the range is unbounded, the slope is not

    def f(self, z):
        return np.maximum(z, 0.0)

    def df(self, z):
        return (z > 0).astype(float)


class LeakyReLU(Activation):
    """max(alpha z, z) for a small slope alpha in [0, 1); f'(z) = 1 if z > 0 else alpha."""

    def __init__(self, alpha=0.01):
        self.alpha = number("alpha", alpha, low=0, high=1, high_open=True)

    def f(self, z):
        return np.where(z > 0, z, self.alpha * z)

    def df(self, z):
        return np.where(z > 0, 1.0, self.alpha)

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"


ACTIVATIONS = {"step": Step, "sign": Sign, "linear": Linear, "sigmoid": Sigmoid,
               "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU}


def get_activation(name_or_obj):
    """Return an activation from its name ('sigmoid', 'relu', ...) or pass an instance through."""
    if isinstance(name_or_obj, Activation):
        return name_or_obj
    if isinstance(name_or_obj, type) and issubclass(name_or_obj, Activation):
        raise TypeError(f"activation must be a name or an Activation instance, got the class "
                        f"{name_or_obj.__name__}: write {name_or_obj.__name__}()")
    if not isinstance(name_or_obj, str):
        raise TypeError(f"activation must be a name or an Activation, got {type(name_or_obj).__name__}")
    return ACTIVATIONS[choice("activation", name_or_obj.lower(), ACTIVATIONS)]()
