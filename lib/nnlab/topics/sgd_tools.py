"""Chapter 7: the gradient of the mean loss and the gradient of each sample's own loss.

Both come from the engine: one forward and one backward pass of the model. A "gradient
evaluation" is the gradient of the loss on ONE sample: a full-batch step on N samples costs N of
them, a stochastic (SGD) step costs 1, a mini-batch step of size B costs B. Training itself is
``nnlab.fit``, whose History counts the samples seen after every update.
"""
import numpy as np

from .. import params
from .._checks import as_2d
from ..activations import Activation
from ..layers import Dense, Sequential, _widths
from ..losses import get_loss


def full_gradient(model, X, y, *, loss="bce"):
    """Gradient of the MEAN loss over all N samples w.r.t. every parameter: X (N, D) -> (P,).

    Entries follow ``nnlab.params.names(model)``.
    """
    X, t, loss_fn = _check_inputs(model, X, y, loss)
    _, dy_hat = loss_fn(model.forward(X, train=True), t)
    model.backward(dy_hat)
    return params.flatten(model, grads=True)


def per_sample_gradients(model, X, y, *, loss="bce"):
    """Gradient of each sample's OWN loss, all at once: X (N, D) -> G (N, P).

    Row n is the gradient of loss(model(x_n), y_n); columns follow ``nnlab.params.names(model)``.
    One backward pass of the SUM of the losses leaves in every Dense layer its input X and the
    gradient dout that reached its output; row n of dout only depends on sample n, so
    d loss_n / dW = outer(X[n], dout[n]) and d loss_n / db = dout[n].
    The mean of the rows is ``full_gradient`` (the loss is a mean over samples).
    """
    X, t, loss_fn = _check_inputs(model, X, y, loss, per_sample=True)
    total = type(loss_fn)(reduction="sum")
    _, dy_hat = total(model.forward(X, train=True), t)
    model.backward(dy_hat)
    blocks = []
    for layer, name, _, _ in model.parameters():
        if name == "W":
            blocks.append((layer.X[:, :, None] * layer.dout[:, None, :]).reshape(len(X), -1))
        else:
            blocks.append(layer.dout)
    return np.concatenate(blocks, axis=1)


def _check_inputs(model, X, y, loss, per_sample=False):
    """Check model, X, y and loss before any layer runs; returns (X, targets, loss function)."""
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a nnlab Sequential (e.g. nnlab.mlp(...)), got {type(model).__name__}")
    if per_sample:
        for i, layer in enumerate(model.layers):
            if not isinstance(layer, (Dense, Activation)):
                raise TypeError(f"model.layers[{i}] must be Dense or an activation (per-sample gradients "
                                f"need layers that treat samples independently), got {type(layer).__name__}")
    n_in, n_out = _widths(model)
    X = as_2d("X", X, n_in)
    loss_fn = get_loss(loss)
    if not hasattr(loss_fn, "targets"):
        raise TypeError(f"loss must be a name such as 'bce' or a nnlab loss such as BinaryCrossEntropy(), "
                        f"got {loss!r}")
    return X, loss_fn.targets(y, len(X), n_out), loss_fn
