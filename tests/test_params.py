"""nnlab.params: the flat-vector and named views of layer.params, and their inverses."""
import numpy as np
import pytest

from nnlab import params
from nnlab.layers import BatchNorm, Dense, Sequential, mlp
from nnlab.activations import Tanh


def test_names_count_the_layers_with_parameters(rng):
    model = Sequential(Dense(2, 3, rng=rng), BatchNorm(3), Tanh(), Dense(3, 1, rng=rng))
    assert params.names(model) == ["W1", "b1", "gamma2", "beta2", "W3", "b3"]


def test_flatten_and_assign_are_inverses(rng):
    model = mlp([2, 4, 3, 1], rng=rng)
    theta = params.flatten(model)
    assert theta.shape == (params.size(model),) == (2 * 4 + 4 + 4 * 3 + 3 + 3 * 1 + 1,)
    np.testing.assert_array_equal(theta[:8], model.layers[0].params["W"].ravel())
    new = rng.normal(size=theta.shape)
    W2 = model.layers[2].params["W"]
    params.assign(model, new)
    np.testing.assert_array_equal(params.flatten(model), new)
    assert model.layers[2].params["W"] is W2            # written in place: optimizers keep working
    with pytest.raises(ValueError, match=r"theta must have shape \(31,\)"):
        params.assign(model, new[:-1])


def test_dict_view_round_trip_and_errors(rng):
    model = mlp([2, 3, 1], rng=rng)
    d = params.as_dict(model)
    assert sorted(d) == ["W1", "W2", "b1", "b2"]
    d["W1"][0, 0] += 1.0                      # a copy: the model is not changed
    assert model.layers[0].params["W"][0, 0] != d["W1"][0, 0]
    params.load_dict(model, d)
    assert model.layers[0].params["W"][0, 0] == d["W1"][0, 0]
    with pytest.raises(ValueError, match=r"missing \['b2'\]"):
        params.load_dict(model, {k: v for k, v in d.items() if k != "b2"})
    with pytest.raises(ValueError, match=r"values\['W2'\] must have the same shape"):
        params.load_dict(model, {**d, "W2": np.ones((2, 2))})
    before = params.flatten(model)
    with pytest.raises(ValueError):
        params.load_dict(model, {**d, "W1": d["W1"] * 0, "W2": np.ones((2, 2))})
    np.testing.assert_array_equal(params.flatten(model), before)   # nothing written before the error


def test_gradients_view(rng):
    model = mlp([2, 3, 1], rng=rng, output_activation="linear")
    X = rng.normal(size=(5, 2))
    model.backward(model.forward(X, train=True))
    np.testing.assert_array_equal(params.as_dict(model, grads=True)["W2"], model.layers[2].grads["W"])
    assert params.flatten(model, grads=True).shape == (params.size(model),)
