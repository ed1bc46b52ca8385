"""nnlab.probes against hand-computed values and against the numerical gradient."""
import copy

import numpy as np
import pytest

from nnlab import probes
from nnlab.activations import ReLU, Sigmoid, Tanh
from nnlab.gradcheck import numerical_gradient, rel_error
from nnlab.layers import BatchNorm, Dense, Dropout, Sequential
from nnlab.losses import SquaredError


def net(rng, act=Tanh):
    return Sequential(Dense(3, 4, rng=rng), act(), Dense(4, 2, rng=rng), Sigmoid())


def test_statistics_by_hand(rng):
    model = net(rng)
    X = rng.normal(size=(6, 3))
    model.forward(X)
    h = np.tanh(X @ model.layers[0].params["W"] + model.layers[0].params["b"])
    assert probes.means(model)[0] == pytest.approx(h.mean())
    assert probes.stds(model)[0] == pytest.approx(h.std())
    assert probes.saturated_fractions(model)[0] == pytest.approx(np.mean(1 - h ** 2 < 0.05))


def test_saturation_and_zeros_for_relu_and_saturated_tanh(rng):
    model = Sequential(Dense(1, 1, rng=rng), ReLU())
    model.layers[0].params.update(W=np.ones((1, 1)), b=np.zeros(1))
    model.forward(np.array([[-2.0], [-1.0], [0.5], [3.0]]))
    assert probes.zero_fractions(model)[0] == 0.5
    assert probes.saturated_fractions(model)[0] == 0.5       # f'(z) = 0 for z <= 0
    tanh = Sequential(Dense(1, 1, rng=rng), Tanh())
    tanh.layers[0].params.update(W=np.ones((1, 1)), b=np.zeros(1))
    tanh.forward(np.array([[-5.0], [0.0], [0.1], [4.0]]))
    assert probes.saturated_fractions(tanh)[0] == 0.5


def test_gradient_norms_agree_with_numerical_gradients(rng):
    model = net(rng)
    X, y = rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))
    report = probes.probe(model, SquaredError(), X, y)
    for k, (_, layer) in enumerate(probes.dense_layers(model)):
        W = layer.params["W"]
        num = numerical_gradient(lambda: SquaredError()(model.forward(X), y)[0], W)
        assert rel_error(layer.grads["W"], num) < 1e-7
        assert report["weight_grad_norm"][k] == pytest.approx(np.linalg.norm(num), rel=1e-6)
    # dL/d(out) of the last Dense layer, by hand: (z - t)/N * z (1 - z)
    z = model.forward(X)
    expected = (z - y) / 5 * z * (1 - z)
    assert report["output_grad_norm"][-1] == pytest.approx(np.linalg.norm(expected))


def test_update_ratios(rng):
    model = net(rng)
    before = probes.weights(model)
    model.layers[0].params["W"] *= 1.1
    r = probes.update_ratios(before, model)
    assert r[0] == pytest.approx(0.1) and r[1] == 0.0
    with pytest.raises(ValueError, match="before must hold 2 weight matrices"):
        probes.update_ratios(before[:1], model)


def test_histograms_share_edges():
    edges, counts = probes.histograms([np.array([0.0, 1.0]), np.array([0.5, 2.0, 2.0])], bins=4)
    np.testing.assert_allclose(edges, [0, 0.5, 1, 1.5, 2])
    assert counts.tolist() == [[1, 0, 1, 0], [0, 1, 0, 2]]


def test_probe_in_train_mode_leaves_running_statistics_and_dropout_alone(rng):
    model = Sequential(Dense(3, 4, rng=rng), BatchNorm(4), Tanh(), Dropout(0.5, rng=np.random.default_rng(1)),
                       Dense(4, 1, rng=rng), Sigmoid())
    X, y = rng.normal(size=(8, 3)), rng.uniform(size=(8, 1))
    bn, drop = model.layers[1], model.layers[3]
    mean, var, state = bn.running_mean.copy(), bn.running_var.copy(), copy.deepcopy(drop.rng)
    probes.probe(model, SquaredError(), X, y, train=True)
    np.testing.assert_array_equal(bn.running_mean, mean)
    np.testing.assert_array_equal(bn.running_var, var)
    assert drop.rng.random() == state.random()
    probes.probe(model, SquaredError(), X, y, train=True, update_stats=True)
    assert not np.array_equal(bn.running_mean, mean)


def test_reading_before_forward_says_what_to_do(rng):
    with pytest.raises(RuntimeError, match="run model.forward"):
        probes.means(net(rng))


def test_mean_slopes_by_hand(rng):
    model = Sequential(Dense(1, 3, rng=rng), Sigmoid(), Dense(3, 1, rng=rng), ReLU())
    X = rng.normal(size=(7, 1))
    model.forward(X)
    z1 = X @ model.layers[0].params["W"] + model.layers[0].params["b"]
    s = 1 / (1 + np.exp(-z1))
    z2 = model.layers[2].out
    slopes = probes.mean_slopes(model)
    assert slopes[0] == pytest.approx(np.mean(s * (1 - s)))
    assert slopes[1] == pytest.approx(np.mean(z2 > 0))
    assert 0 < slopes[0] <= 0.25


def test_weight_norms(rng):
    model = net(rng)
    norms = probes.weight_norms(model)
    assert norms == pytest.approx([np.linalg.norm(model.layers[0].params["W"]), np.linalg.norm(model.layers[2].params["W"])])
    model.layers[2].params["W"] *= 0.5
    assert probes.weight_norms(model)[1] == pytest.approx(0.5 * norms[1])


def test_new_probes_need_a_forward_pass(rng):
    with pytest.raises(RuntimeError, match="forward"):
        probes.mean_slopes(net(rng))
