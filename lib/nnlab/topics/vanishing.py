"""Chapter 8: the backward pass through a deep network as a product of one Jacobian per layer.

In the package's layout a layer computes z_l = h_{l-1} @ W_l + b_l and h_l = f_l(z_l), one sample per
row. For one sample (as a column vector) the layer's Jacobian is dh_l/dh_{l-1} = diag(f_l'(z_l)) W_l^T,
and the chain rule gives dL/dh_0 = J_1^T J_2^T ... J_n^T dL/dh_n: n factors, each of size at most
max|f_l'| times the largest singular value of W_l. The engine's ``backward`` computes the same
product one factor at a time without ever forming a matrix J_l.
"""
import numpy as np

from .._checks import generator, number
from ..activations import Activation, get_activation
from ..init import fans, normal
from ..layers import Dense, Sequential


def gain_normal(gain):
    """An initializer f(shape, rng): W ~ N(0, gain^2 / fan_in), so each unit's net input has
    variance about gain^2 times the mean square of its inputs (gain 1: LeCun's scale; sqrt(2): He's)."""
    gain = number("gain", gain, low=0, low_open=True)

    def init(shape, rng):
        return normal(shape, rng, sigma=gain / np.sqrt(fans(shape)[0]))

    init.__name__ = f"gain_normal({gain:g})"
    return init


def deep_mlp(depth, *, rng, width=16, activation="tanh", gain=1.0, n_in=2, n_out=1,
             output_activation="linear"):
    """n_in -> depth hidden layers of `width` units -> n_out: Dense layers with W ~ N(0, gain^2 / fan_in)
    and zero biases, the same hidden activation after each hidden layer."""
    number("depth", depth, low=1, integer=True)
    number("width", width, low=1, integer=True)
    generator("rng", rng)
    init = gain_normal(gain)
    sizes = [n_in] + [width] * depth + [n_out]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [Dense(a, b, rng=rng, init=init),
                   get_activation(output_activation if i == depth else activation)]
    return Sequential(layers)


def _pairs(model):
    """[(Dense, activation)] of a model built as Dense, activation, Dense, activation, ..."""
    layers = getattr(model, "layers", None)
    if layers is None or len(layers) % 2 or not all(
            isinstance(d, Dense) and isinstance(f, Activation) for d, f in zip(layers[::2], layers[1::2])):
        raise TypeError(f"model must be a Sequential of Dense, activation, Dense, activation, ... layers, got {model!r}")
    return list(zip(layers[::2], layers[1::2]))


def jacobians(model):
    """After model.forward(X): per layer l, J_l = dh_l/dh_{l-1} = diag(f'(z_l)) W_l^T for every sample,
    an array (N, n_l, n_{l-1})."""
    out = []
    for dense, act in _pairs(model):
        if act.out is None:
            raise RuntimeError("run model.forward(X) first: the Jacobians need each layer's z")
        out.append(act.df(act.z)[:, :, None] * dense.params["W"].T[None, :, :])
    return out


def backprop_by_jacobians(J, g_top):
    """dL/dh_0 = J_1^T ... J_n^T dL/dh_n for every sample: J from ``jacobians``, g_top (N, n_n) -> (N, n_0).
    Also returns the gradient reaching every layer's output, [dL/dh_0, ..., dL/dh_n]."""
    g = np.asarray(g_top, dtype=float)
    grads = [g]
    for J_l in reversed(J):
        g = np.einsum("nij,ni->nj", J_l, g)     # row n: J_l[n]^T g[n]
        grads.append(g)
    return g, grads[::-1]


def max_slope(activation):
    """The largest derivative of an activation: 1/4 for sigmoid, 1 for tanh and ReLU."""
    f = get_activation(activation)
    return float(np.max(f.df(np.linspace(-1.0, 1.0, 201))))


def factor_bounds(model):
    """Per layer, the bound ||J_l|| <= max|f_l'| * sigma_max(W_l) (sigma_max: the largest singular value,
    the spectral norm): no gradient passes a layer and grows by more than this factor."""
    return np.array([max_slope(act) * float(np.linalg.norm(dense.params["W"], 2)) for dense, act in _pairs(model)])
