"""The perceptron rule against hand-computed updates, its convergence, and its input checks."""
import numpy as np
import pytest

from nnlab import data
from nnlab.topics import perceptron as P

# Three points, visited in order (shuffle=False), lr = 0.5, zero start; H(0) = 1.
X3 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
Y3 = np.array([1, 0, 0])


def test_three_point_example_by_hand():
    # epoch 1: (1,0) s=0 -> 1 ok; (0,1) s=0 -> 1, t=0: w=(0,-.5), b=-.5; (1,1) s=-1 ok
    # epoch 2: (1,0) s=-.5 -> 0, t=1: w=(.5,-.5), b=0; (0,1) s=-.5 ok; (1,1) s=0 -> 1, t=0: w=(0,-1), b=-.5
    # epoch 3: (1,0) s=-.5 -> 0, t=1: w=(.5,-1), b=0; (0,1) s=-1 ok; (1,1) s=-.5 ok
    # epoch 4: no mistake -> converged
    h = P.perceptron_train(X3, Y3, lr=0.5, epochs=10, rng=np.random.default_rng(0), shuffle=False)
    np.testing.assert_allclose(h.w, [[0, 0], [0, -0.5], [0.5, -0.5], [0, -1], [0.5, -1]])
    np.testing.assert_allclose(h.b, [0, -0.5, 0, -0.5, 0])
    np.testing.assert_array_equal(h.sample, [1, 0, 2, 0])
    np.testing.assert_array_equal(h.sign, [-1, 1, -1, 1])
    np.testing.assert_array_equal(h.epoch, [0, 1, 1, 2])
    np.testing.assert_array_equal(h.mistakes, [1, 2, 1, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(h.epoch_end[:4], [1, 3, 4, 4])
    assert h.converged_epoch == 3 and h.updates == 4 and h.convention == "01"
    np.testing.assert_array_equal(P.perceptron_predict(X3, h.w[-1], h.b[-1]), Y3)


def test_plus_minus_one_labels_give_the_same_updates():
    a = P.perceptron_train(X3, Y3, lr=0.5, epochs=10, rng=np.random.default_rng(0), shuffle=False)
    b = P.perceptron_train(X3, 2 * Y3 - 1, lr=0.5, epochs=10, rng=np.random.default_rng(0), shuffle=False)
    np.testing.assert_array_equal(a.w, b.w)
    assert b.convention == "pm1"
    np.testing.assert_array_equal(P.perceptron_predict(X3, b.w[-1], b.b[-1], labels="pm1"), [1, -1, -1])


def test_predict_uses_step_with_h0_equal_1():
    X = np.array([[1.0, 1.0], [-1.0, 1.0], [2.0, 0.0]])
    np.testing.assert_array_equal(P.perceptron_predict(X, [1.0, 0.0], -1.0), [1, 0, 1])


@pytest.mark.parametrize("seed", range(5))
def test_converges_on_separable_data(seed):
    X, y = data.separable_blobs(60, noise=0.8, rng=np.random.default_rng(seed), margin=0.2)
    X = X + [2.0, 1.0]
    h = P.perceptron_train(X, y, lr=1.0, epochs=500, rng=np.random.default_rng(seed))
    assert h.converged_epoch is not None and h.mistakes[h.converged_epoch] == 0
    assert h.mistakes[-1] == 0
    np.testing.assert_array_equal(P.perceptron_predict(X, h.w[-1], h.b[-1]), y)
    _, gamma, bound = P.convergence_bound(X, y, np.array([1.0, 1.0]), -3.0)
    assert gamma > 0 and h.updates <= bound


def test_never_converges_on_xor_or_overlapping_blobs():
    X, y = data.xor_table()
    h = P.perceptron_train(X, y, lr=1.0, epochs=200, rng=np.random.default_rng(0))
    assert h.converged_epoch is None and np.all(h.mistakes > 0)
    X, y = data.overlapping_blobs(100, noise=1.0, rng=np.random.default_rng(0))
    h = P.perceptron_train(X, y, lr=1.0, epochs=50, rng=np.random.default_rng(1))
    assert h.converged_epoch is None and h.mistakes.min() >= 10
    We, _ = h.epoch_weights()
    assert np.all(np.linalg.norm(np.diff(We, axis=0), axis=1) > 0)  # the weights never settle


def test_learning_rate_only_rescales_from_zero_start():
    X, y = data.overlapping_blobs(80, noise=1.0, rng=np.random.default_rng(3))
    ref = P.perceptron_train(X, y, lr=1.0, epochs=8, rng=np.random.default_rng(4))
    for lr in (0.01, 7.0):
        h = P.perceptron_train(X, y, lr=lr, epochs=8, rng=np.random.default_rng(4))
        np.testing.assert_array_equal(h.sample, ref.sample)
        np.testing.assert_allclose(h.w, lr * ref.w, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(h.b, lr * ref.b, rtol=1e-12, atol=1e-12)


def test_learning_rate_matters_from_a_nonzero_start():
    X, y = data.overlapping_blobs(80, noise=1.0, rng=np.random.default_rng(3))
    kw = dict(epochs=5, rng=None, w0=np.array([-2.0, -1.0]), b0=1.0)
    a = P.perceptron_train(X, y, lr=0.01, **{**kw, "rng": np.random.default_rng(4)})
    b = P.perceptron_train(X, y, lr=1.0, **{**kw, "rng": np.random.default_rng(4)})
    assert not np.array_equal(a.mistakes, b.mistakes)
    np.testing.assert_allclose(a.w[0], [-2.0, -1.0])


def test_margin_corrects_points_that_are_right_but_close():
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    y = np.array([1, 0])
    plain = P.perceptron_train(X, y, lr=1.0, epochs=5, rng=np.random.default_rng(0), shuffle=False,
                               w0=np.array([0.1, 0.0]))
    assert plain.updates == 0
    wide = P.perceptron_train(X, y, lr=1.0, epochs=5, rng=np.random.default_rng(0), shuffle=False,
                              w0=np.array([0.1, 0.0]), margin=0.5)
    np.testing.assert_allclose(wide.w[1], [1.1, 0.0])      # t (w.x + b) = 0.1 <= 0.5: corrected
    assert wide.b[1] == 1.0


def test_shuffle_is_reproducible_with_the_same_generator():
    X, y = data.overlapping_blobs(50, noise=1.0, rng=np.random.default_rng(0))
    a = P.perceptron_train(X, y, lr=1.0, epochs=5, rng=np.random.default_rng(9))
    b = P.perceptron_train(X, y, lr=1.0, epochs=5, rng=np.random.default_rng(9))
    np.testing.assert_array_equal(a.w, b.w)


def test_accuracy_of_weights_and_pocket():
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]])
    y = np.array([1, 0, 1, 0])
    W = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    np.testing.assert_allclose(P.accuracy_of_weights(W, [0.0, -0.5, 0.0], X, y), [0.75, 0.75, 0.25])
    np.testing.assert_array_equal(P.pocket([0.5, 0.7, 0.6, 0.7, 0.9, 0.2]), [0, 1, 1, 1, 4, 4])


def test_convergence_bound_by_hand():
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    R, gamma, bound = P.convergence_bound(X, [1, 0], np.array([1.0, 0.0]))
    assert R == pytest.approx(np.sqrt(2)) and gamma == pytest.approx(1.0) and bound == pytest.approx(2.0)
    assert P.convergence_bound(X, [0, 1], np.array([1.0, 0.0]))[2] == np.inf


@pytest.mark.parametrize("kwargs, err, words", [
    (dict(lr=-0.1), ValueError, "lr"),
    (dict(lr=0), ValueError, "lr"),
    (dict(epochs=0), ValueError, "epochs"),
    (dict(rng=0), TypeError, "rng"),
    (dict(w0=np.zeros(3)), ValueError, "w0 must have shape (2,)"),
    (dict(b0="1"), TypeError, "b0 must be a number"),
    (dict(y=np.array([0, 2, 1])), ValueError, "{0, 1} or in {-1, +1}"),
    (dict(y=np.array([0, 1])), ValueError, "shape (3,)"),
    (dict(y=np.array(["a", "b", "a"])), TypeError, "y must hold numbers"),
    (dict(X=np.ones(3)), ValueError, "X must be 2-D"),
])
def test_bad_inputs_raise_clear_errors(kwargs, err, words):
    args = dict(X=X3, y=Y3, lr=1.0, epochs=3, rng=np.random.default_rng(0))
    args.update(kwargs)
    with pytest.raises(err) as info:
        P.perceptron_train(args.pop("X"), args.pop("y"), **args)
    assert words in str(info.value)


def test_predict_bad_inputs():
    with pytest.raises(ValueError, match="w must have shape"):
        P.perceptron_predict(X3, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="labels"):
        P.perceptron_predict(X3, [1.0, 2.0], labels="+-")
