"""Dropout's lesson math: masks, thinned networks, and the average over masks.

A network ``model`` is a ``Sequential`` whose ``Dropout`` layers drop units with probability
``p_drop``. A *mask* ``z`` is one 0/1 vector per dropout layer (1 = the unit is kept); the network
with mask ``z`` is the *thinned network* f(x, z) that one training step would use. Test mode
(``model(X)``) is the deterministic network with the dropout layers scaled: the weight-scaling
approximation of the average over masks, E_z[f(x, z)].
"""
import numpy as np

from .._checks import generator, number
from ..layers import Dropout


def all_masks(n):
    """Every 0/1 mask of n units: (2**n, n), row k holds the binary digits of k (unit 1 first)."""
    number("n", n, low=1, high=20, integer=True)
    return (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1


def mask_probability(z, p_drop):
    """p(z) = prod_i p_keep^{z_i} p_drop^{1 - z_i} for masks z (K, n) -> (K,): units drop independently."""
    number("p_drop", p_drop, low=0, high=1, high_open=True)
    z = np.asarray(z)
    return np.prod(np.where(z == 1, 1.0 - p_drop, p_drop), axis=1)


def dropout_layers(model):
    """The positions of the Dropout layers in ``model.layers``."""
    return [i for i, layer in enumerate(model.layers) if isinstance(layer, Dropout)]


def widths(model, X):
    """{layer position: width of its output} for every layer, from one test-mode pass over X[:1]."""
    out, h = {}, np.asarray(X, dtype=float)[:1]
    for i, layer in enumerate(model.layers):
        h = layer.forward(h, train=False)
        out[i] = h.shape[1]
    return out


def forward_masked(model, X, masks):
    """Test-mode outputs with the outputs of some layers multiplied by masks, many masks at once.

    masks: {layer position: (K, width)}, the same K for all. Returns (K, N, outputs): row k is the
    network whose layer i output is multiplied by masks[i][k] (every sample alike)."""
    X = np.asarray(X, dtype=float)
    K = len(next(iter(masks.values())))
    h = np.tile(X, (K, 1))                                   # (K * N, D): the N samples once per mask
    for i, layer in enumerate(model.layers):
        h = layer.forward(h, train=False)
        if i in masks:
            h = (h.reshape(K, len(X), -1) * masks[i][:, None, :]).reshape(K * len(X), -1)
    return h.reshape(K, len(X), -1)


def thinned_outputs(model, X, z):
    """f(x, z): the training-time network for masks z = {dropout layer position: (K, width) 0/1}.

    In test mode a Dropout layer passes x (inverted) or x p_keep (not inverted); multiplying that by
    z / p_keep gives what training computes with mask z in either convention."""
    return forward_masked(model, X, {i: z[i] / (1.0 - model.layers[i].p_drop) for i in z})


def sample_masks(model, X, K, rng):
    """K random masks for every dropout layer: {position: (K, width)}, kept with probability 1 - p_drop."""
    number("K", K, low=1, integer=True)
    generator("rng", rng)
    w = widths(model, X)
    return {i: (rng.random((K, w[i])) < 1.0 - model.layers[i].p_drop).astype(float)
            for i in dropout_layers(model)}


def mc_average(model, X, K, rng):
    """The Monte Carlo estimate of E_z[f(x, z)] from K random masks, and every running mean:
    returns (K, N, outputs), row k the average of the first k + 1 thinned networks."""
    outputs = thinned_outputs(model, X, sample_masks(model, X, K, rng))
    return np.cumsum(outputs, axis=0) / np.arange(1, K + 1)[:, None, None]


def exact_average(model, X):
    """E_z[f(x, z)] = sum_z p(z) f(x, z) over all 2^n masks of the n dropout units (n <= 16)."""
    w, where = widths(model, X), dropout_layers(model)
    sizes = [w[i] for i in where]
    if not where or sum(sizes) > 16:
        raise ValueError(f"model must have between 1 and 16 dropout units to enumerate every mask, "
                         f"got {sum(sizes)}")
    z_all = all_masks(sum(sizes))
    z = dict(zip(where, np.split(z_all, np.cumsum(sizes)[:-1], axis=1)))
    p = np.prod([mask_probability(z[i], model.layers[i].p_drop) for i in where], axis=0)
    return np.tensordot(p, thinned_outputs(model, X, z), axes=1)


def knockout_increase(model, X, y, loss, position):
    """The test-mode loss increase when one unit of layer ``position``'s output is set to zero:
    (width,), entry j for unit j. A large entry means the network relies on that one unit."""
    n = widths(model, X)[position]
    masks = {position: np.vstack([np.ones(n), 1.0 - np.eye(n)])}   # mask 0 keeps all, mask j+1 zeroes unit j
    out = forward_masked(model, X, masks)
    losses = np.array([loss(o, y)[0] for o in out])
    return losses[1:] - losses[0]


__all__ = ["all_masks", "mask_probability", "dropout_layers", "widths", "forward_masked", "thinned_outputs",
           "sample_masks", "mc_average", "exact_average", "knockout_increase"]
