"""Losses: values and gradients worked out by hand, reductions, softmax stability, accuracy."""
import numpy as np
import pytest

from nnlab import activations as A
from nnlab.losses import (BinaryCrossEntropy, SoftmaxCrossEntropy, SquaredError, accuracy, get_loss,
                          one_hot, scorer, softmax)


def test_squared_error_per_sample_half_sum_averaged():
    y_hat, y = np.array([[1.0], [3.0]]), np.array([0.0, 1.0])
    value, grad = SquaredError()(y_hat, y)
    assert value == pytest.approx((0.5 * 1 + 0.5 * 4) / 2)           # 1.25
    np.testing.assert_allclose(grad, [[0.5], [1.0]])                   # (z - t) / N


def test_squared_error_sums_over_outputs_and_sum_reduction():
    y_hat = np.array([[1.0, 2.0], [0.0, -1.0]])
    y = np.array([[0.0, 0.0], [1.0, 1.0]])
    # sample 1: 1/2 (1 + 4) = 2.5; sample 2: 1/2 (1 + 4) = 2.5
    value, grad = SquaredError(reduction="sum")(y_hat, y)
    assert value == pytest.approx(5.0)
    np.testing.assert_allclose(grad, y_hat - y)
    assert SquaredError()(y_hat, y)[0] == pytest.approx(2.5)


def test_binary_cross_entropy_values():
    p, t = np.array([[0.8], [0.3]]), np.array([1, 0])
    value, grad = BinaryCrossEntropy()(p, t)
    assert value == pytest.approx(-(np.log(0.8) + np.log(0.7)) / 2)
    np.testing.assert_allclose(grad, [[-1 / 0.8 / 2], [1 / 0.7 / 2]])  # -1/p for t=1, 1/(1-p) for t=0


def test_binary_cross_entropy_with_sigmoid_gives_p_minus_t(rng):
    z = rng.normal(size=(6, 1))
    t = np.array([0, 1, 1, 0, 1, 0])
    sig = A.Sigmoid()
    p = sig.forward(z)
    _, dp = BinaryCrossEntropy()(p, t)
    np.testing.assert_allclose(sig.backward(dp), (p - t[:, None]) / 6, atol=1e-12)


def test_binary_cross_entropy_stays_finite_at_saturated_outputs():
    value, grad = BinaryCrossEntropy()(np.array([[0.0], [1.0]]), np.array([1, 0]))
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert value == pytest.approx(-np.log(1e-12), rel=1e-6)


def test_softmax_cross_entropy_hand_values():
    value, grad = SoftmaxCrossEntropy()(np.zeros((1, 3)), np.array([1]))
    assert value == pytest.approx(np.log(3))
    np.testing.assert_allclose(grad, [[1 / 3, -2 / 3, 1 / 3]])
    logits = np.array([[1.0, 2.0, 3.0]])
    value, _ = SoftmaxCrossEntropy()(logits, np.array([2]))
    assert value == pytest.approx(-np.log(np.exp(3) / (np.exp(1) + np.exp(2) + np.exp(3))))


def test_softmax_cross_entropy_integer_and_one_hot_labels_agree(rng):
    logits = rng.normal(size=(5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    v_int, g_int = SoftmaxCrossEntropy()(logits, labels)
    v_hot, g_hot = SoftmaxCrossEntropy()(logits, one_hot(labels, 4))
    assert v_int == pytest.approx(v_hot)
    np.testing.assert_allclose(g_int, g_hot)
    np.testing.assert_allclose(g_int, (softmax(logits) - one_hot(labels, 4)) / 5)
    assert v_int == pytest.approx(-np.mean(np.log(softmax(logits)[np.arange(5), labels])))


@pytest.mark.parametrize("shift", [-50.0, 3.0, 1000.0])
def test_softmax_cross_entropy_invariant_to_constant_shift(rng, shift):
    logits = rng.normal(size=(4, 3))
    labels = np.array([2, 0, 1, 2])
    v0, g0 = SoftmaxCrossEntropy()(logits, labels)
    v1, g1 = SoftmaxCrossEntropy()(logits + shift, labels)
    assert v1 == pytest.approx(v0, rel=1e-9)
    np.testing.assert_allclose(g1, g0, atol=1e-12)


def test_softmax_rows_sum_to_one_without_overflow():
    p = softmax(np.array([[1000.0, 0.0, -1000.0], [1.0, 1.0, 1.0]]))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]])


@pytest.mark.parametrize("loss, y_hat, y", [
    (SquaredError, [[0.2, 1.0], [3.0, -1.0], [0.5, 0.5]], [[0, 1], [1, 0], [1, 1]]),
    (BinaryCrossEntropy, [[0.2], [0.9], [0.6]], [0, 1, 0]),
    (SoftmaxCrossEntropy, [[0.2, 1.0], [3.0, -1.0], [0.5, 0.5]], [1, 0, 1]),
])
def test_sum_is_n_times_mean(loss, y_hat, y):
    v_mean, g_mean = loss()(np.array(y_hat), np.array(y))
    v_sum, g_sum = loss(reduction="sum")(np.array(y_hat), np.array(y))
    assert v_sum == pytest.approx(3 * v_mean)
    np.testing.assert_allclose(g_sum, 3 * g_mean)


@pytest.mark.parametrize("loss, y", [(SquaredError, [0, 1]), (BinaryCrossEntropy, [0, 1]), (SoftmaxCrossEntropy, [0, 0])])
def test_nan_predictions_give_a_nan_loss(loss, y):
    # a diverging network predicts NaN: the loss says so with NaN instead of raising, and fit stops
    with np.errstate(invalid="ignore"):
        value, grad = loss()(np.array([[np.nan], [0.5]]), np.array(y))
    assert np.isnan(value) and np.isnan(grad[0, 0])


def test_one_hot():
    np.testing.assert_array_equal(one_hot([2, 0, 1], 3), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match="labels"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="labels"):
        one_hot([0.5, 1], 3)


def test_accuracy_binary_multiclass_and_regression():
    assert accuracy(np.array([[0.9], [0.4], [0.6], [0.5]]), np.array([1, 0, 0, 1])) == 0.75
    assert accuracy(np.array([0.3, -0.2, -0.1]), np.array([1, -1, 1])) == pytest.approx(2 / 3)  # {-1,+1}: cut at 0
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3], [0.1, 0.2, 0.7], [0.9, 0.0, 0.1]])
    labels = np.array([1, 0, 1, 0])
    assert accuracy(scores, labels) == 0.75
    assert accuracy(scores, one_hot(labels, 3)) == 0.75
    assert np.isnan(accuracy(np.array([[0.1], [0.2]]), np.array([0.3, 2.5])))  # regression targets


def test_a_scorer_gives_accuracy_with_the_classes_worked_out_once():
    rng = np.random.default_rng(3)
    cases = [(rng.uniform(size=(9, 1)), rng.integers(0, 2, size=(9, 1)).astype(float), 1),      # {0, 1}
             (rng.normal(size=9), rng.choice([-1.0, 1.0], size=9), 1),                           # {-1, +1}
             (rng.normal(size=(9, 3)), rng.integers(0, 3, size=9), 3),                            # labels
             (rng.normal(size=(9, 3)), one_hot(rng.integers(0, 3, size=9), 3), 3)]                # one-hot
    for y_hat, y, k in cases:
        assert scorer(y, k)(y_hat) == accuracy(y_hat, y)
    assert scorer(np.array([0.3, 2.5]), 1) is None                                              # no classes


@pytest.mark.parametrize("loss", [SquaredError(), SquaredError("sum"), BinaryCrossEntropy(),
                                  BinaryCrossEntropy("sum"), SoftmaxCrossEntropy()])
def test_value_is_exactly_the_value_of_value_and_grad(loss):
    rng = np.random.default_rng(4)
    y_hat = rng.uniform(0.01, 0.99, size=(7, 3))
    t = one_hot(rng.integers(0, 3, size=7), 3) if isinstance(loss, SoftmaxCrossEntropy) else rng.uniform(size=(7, 3))
    assert loss.value(y_hat, t) == loss.value_and_grad(y_hat, t)[0]     # bit for bit: fit's losses stay as they were
    with pytest.raises(ValueError, match="shape"):
        loss.value(y_hat, t[:, :2])


def test_get_loss():
    assert isinstance(get_loss("mse"), SquaredError)
    assert isinstance(get_loss("bce"), BinaryCrossEntropy)
    assert isinstance(get_loss("softmax_cross_entropy"), SoftmaxCrossEntropy)
    loss = SquaredError(reduction="sum")
    assert get_loss(loss) is loss
    with pytest.raises(ValueError, match="loss must be one of"):
        get_loss("hinge")
    with pytest.raises(ValueError, match="reduction"):
        SquaredError(reduction="max")
