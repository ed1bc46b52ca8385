"""nnlab.topics.dropout: masks, thinned networks and the average over masks, against the engine's
Dropout layer and against brute-force sums."""
import itertools

import numpy as np
import pytest

from nnlab import Dense, Dropout, Sequential, SquaredError, get_activation
from nnlab.topics import dropout as topic


def small_net(p_drop=0.5, *, inverted=True, hidden=3, shared_rng=None, linear=False):
    rng = np.random.default_rng(0)
    masks = shared_rng if shared_rng is not None else np.random.default_rng(1)
    act = "linear" if linear else "tanh"
    return Sequential(Dense(2, hidden, rng=rng), get_activation(act), Dropout(p_drop, rng=masks, inverted=inverted),
                      Dense(hidden, hidden, rng=rng), get_activation(act), Dropout(p_drop, rng=masks, inverted=inverted),
                      Dense(hidden, 1, rng=rng))


def test_all_masks_lists_every_binary_vector_once():
    z = topic.all_masks(3)
    assert z.shape == (8, 3)
    assert {tuple(r) for r in z} == set(itertools.product((0, 1), repeat=3))
    np.testing.assert_array_equal(z[1], [1, 0, 0])           # row k: the binary digits of k, unit 1 first


@pytest.mark.parametrize("p_drop", [0.0, 0.2, 0.5, 0.9])
def test_mask_probabilities_sum_to_one_and_follow_the_drop_probability(p_drop):
    z = topic.all_masks(4)
    p = topic.mask_probability(z, p_drop)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert p[-1] == pytest.approx((1 - p_drop) ** 4)          # all kept
    assert p[0] == pytest.approx(p_drop ** 4)                 # all dropped
    # the expected number of kept units is n (1 - p_drop)
    assert p @ z.sum(axis=1) == pytest.approx(4 * (1 - p_drop))


@pytest.mark.parametrize("inverted", [True, False])
def test_thinned_outputs_are_what_a_training_forward_pass_computes(inverted):
    X = np.random.default_rng(2).normal(size=(1, 2))
    model = small_net(0.4, inverted=inverted, shared_rng=np.random.default_rng(9))
    z = topic.sample_masks(model, X, 1, np.random.default_rng(9))      # the same draws, in the same order
    thinned = topic.thinned_outputs(model, X, z)[0]
    np.testing.assert_allclose(thinned, model.forward(X, train=True), rtol=1e-13, atol=1e-15)


def test_forward_masked_with_masks_of_ones_is_test_mode():
    X = np.random.default_rng(3).normal(size=(5, 2))
    model = small_net()
    out = topic.forward_masked(model, X, {2: np.ones((2, 3))})
    np.testing.assert_allclose(out[0], model(X), rtol=1e-14)
    np.testing.assert_allclose(out[1], model(X), rtol=1e-14)


@pytest.mark.parametrize("inverted", [True, False])
def test_exact_average_is_the_brute_force_sum_over_masks(inverted):
    X = np.random.default_rng(4).normal(size=(6, 2))
    model = small_net(0.3, inverted=inverted)
    total = 0.0
    for bits in itertools.product((0, 1), repeat=6):
        z1, z2 = np.array([bits[:3]], float), np.array([bits[3:]], float)
        p = np.prod(np.where(np.array(bits) == 1, 0.7, 0.3))
        total = total + p * topic.thinned_outputs(model, X, {2: z1, 5: z2})[0]
    np.testing.assert_allclose(topic.exact_average(model, X), total, rtol=1e-12)


@pytest.mark.parametrize("inverted", [True, False])
def test_scaling_is_exact_for_a_linear_network_and_not_for_tanh(inverted):
    X = np.random.default_rng(5).normal(size=(8, 2))
    linear = small_net(0.5, inverted=inverted, linear=True)
    np.testing.assert_allclose(topic.exact_average(linear, X), linear(X), rtol=1e-10, atol=1e-12)
    curved = small_net(0.5, inverted=inverted)
    assert np.max(np.abs(topic.exact_average(curved, X) - curved(X))) > 1e-3


def test_mc_average_converges_to_the_exact_average():
    X = np.random.default_rng(6).normal(size=(4, 2))
    model = small_net(0.5)
    running = topic.mc_average(model, X, 4000, np.random.default_rng(7))
    exact = topic.exact_average(model, X)
    one = topic.thinned_outputs(model, X, topic.sample_masks(model, X, 4000, np.random.default_rng(8)))
    sigma = one.std(axis=0)
    assert np.all(np.abs(running[-1] - exact) < 5 * sigma / np.sqrt(4000) + 1e-12)
    assert np.max(np.abs(running[9] - exact)) > np.max(np.abs(running[-1] - exact))


def test_sample_masks_keep_units_with_probability_one_minus_p_drop():
    X = np.zeros((1, 2))
    model = small_net(0.25, hidden=50)
    z = topic.sample_masks(model, X, 400, np.random.default_rng(0))
    assert sorted(z) == [2, 5] and z[2].shape == (400, 50)
    assert set(np.unique(z[2])) <= {0.0, 1.0}
    assert abs(z[2].mean() - 0.75) < 0.01 and abs(z[5].mean() - 0.75) < 0.01


def test_knockout_of_a_unit_that_feeds_nothing_costs_nothing():
    X = np.random.default_rng(1).normal(size=(10, 2))
    y = np.random.default_rng(2).normal(size=(10, 1))
    model = small_net()
    model.layers[6].params["W"][1, :] = 0.0           # unit 1 of the second hidden layer feeds nothing
    inc = topic.knockout_increase(model, X, y, SquaredError(), position=4)
    assert inc.shape == (3,)
    assert inc[1] == pytest.approx(0.0, abs=1e-14)
    assert np.any(np.abs(inc) > 1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="n"):
        topic.all_masks(0)
    with pytest.raises(ValueError, match="p_drop"):
        topic.mask_probability(np.ones((1, 2)), 1.0)
    with pytest.raises(TypeError, match="K"):
        topic.sample_masks(small_net(), np.zeros((1, 2)), 2.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="dropout units"):
        topic.exact_average(small_net(hidden=9), np.zeros((1, 2)))
