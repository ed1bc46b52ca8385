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


# ---------------------------------------------------------------- the lesson against the engine
import nnlab
from nnlab import params
from nnlab.train import train_step


def _neuron(w, b, activation):
    """Dense(D, 1) then an activation, built from the engine's parts and holding (w, b)."""
    net = nnlab.Sequential(nnlab.Dense(len(w), 1, rng=np.random.default_rng(0)), activation)
    return params.load_dict(net, {"W1": np.asarray(w, float)[:, None], "b1": [b]})


@pytest.mark.parametrize("seed", range(4))
def test_predict_equals_the_engines_dense_and_step_forward(seed):
    rng = np.random.default_rng(seed)
    X, w, b = rng.normal(size=(50, 3)), rng.normal(size=3), float(rng.normal())
    engine = _neuron(w, b, nnlab.Step()).forward(X)[:, 0]
    np.testing.assert_array_equal(P.perceptron_predict(X, w, b), engine)
    np.testing.assert_array_equal(P.perceptron_predict(X, w, b, labels="pm1"),
                                  _neuron(w, b, nnlab.Sign()).forward(X)[:, 0])
    # on the grid of integer points some scores are exactly 0: H(0) = 1 on both sides
    G = np.array([[i, j] for i in range(-2, 3) for j in range(-2, 3)], dtype=float)
    np.testing.assert_array_equal(P.perceptron_predict(G, [1.0, -1.0], 0.0),
                                  _neuron([1.0, -1.0], 0.0, nnlab.Step()).forward(G)[:, 0])


def test_accuracy_of_weights_equals_the_engine_one_weight_vector_at_a_time():
    rng = np.random.default_rng(5)
    X, y = data.overlapping_blobs(60, noise=1.0, rng=rng)
    W, B = rng.normal(size=(7, 2)), rng.normal(size=7)
    expected = [np.mean(_neuron(w, b, nnlab.Step()).forward(X)[:, 0] == y) for w, b in zip(W, B)]
    np.testing.assert_array_equal(P.accuracy_of_weights(W, B, X, y), expected)
    np.testing.assert_array_equal(P.network(W, B).forward(X), np.c_[[_neuron(w, b, nnlab.Step()).forward(X)[:, 0]
                                                                       for w, b in zip(W, B)]].T)


@pytest.mark.parametrize("case", ["separable", "overlapping", "xor"])
def test_the_rule_is_fit_with_batch_size_1_on_the_perceptron_criterion(case):
    # the same points in the same order (both draw one permutation per epoch from the generator):
    # every weight vector of the lesson's loop is one of fit's, in the same order, to 1e-12
    if case == "xor":
        X, y = data.xor_table()
    elif case == "separable":
        X, y = data.separable_blobs(40, noise=0.7, rng=np.random.default_rng(1), margin=0.2)
        X = X + [2.0, 1.0]
    else:
        X, y = data.overlapping_blobs(50, noise=1.0, rng=np.random.default_rng(2))
    lr, epochs, w0, b0 = 0.5, 12, np.array([0.3, -0.2]), 0.1
    h = P.perceptron_train(X, y, lr=lr, epochs=epochs, rng=np.random.default_rng(7), w0=w0, b0=b0)
    model = _neuron(w0, b0, nnlab.Linear())
    hist = nnlab.fit(model, X, y, loss=P.PerceptronCriterion(), optimizer=nnlab.SGD(lr), epochs=epochs,
                     batch_size=1, rng=np.random.default_rng(7), callback=lambda m, step: params.flatten(m))
    path = np.array([np.r_[w0, b0]] + hist.logs)
    moved = np.r_[True, np.any(path[1:] != path[:-1], axis=1)]
    np.testing.assert_allclose(path[moved], np.c_[h.w, h.b], rtol=0, atol=1e-12)
    # and epoch by epoch (the lesson stops at an error-free epoch; fit's later epochs change nothing)
    end = len(X) * np.arange(1, epochs + 1)
    We, Be = h.epoch_weights()
    np.testing.assert_allclose(path[end], np.c_[We, Be], rtol=0, atol=1e-12)


def test_one_update_is_one_train_step_on_a_mistake():
    X, t = np.array([[2.0, 1.0], [-1.0, -2.0]]), np.array([1, 0])
    w, b, lr = np.array([-1.0, 0.0]), 0.0, 0.5           # the chapter's question 1: x = (2, 1) is missed
    (i, sign, w1, b1), = P.perceptron_epoch(X, t, w, b, lr=lr, order=[0])
    model = _neuron(w, b, nnlab.Linear())
    value, _ = train_step(model, P.PerceptronCriterion(), nnlab.SGD(lr), X[:1], t[:1])
    assert (i, sign) == (0, 1) and value == pytest.approx(2.0)          # max(0, -s) with s = -2
    np.testing.assert_allclose(w1, [0.0, 0.5])
    np.testing.assert_allclose(params.flatten(model), np.r_[w1, b1], rtol=0, atol=1e-15)
    assert P.perceptron_epoch(X, t, w1, b1, lr=lr, order=[0, 1]) == []   # both right now


def test_perceptron_criterion_gradient_is_numerical_away_from_zero_scores():
    from nnlab.gradcheck import numerical_gradient, rel_error
    rng = np.random.default_rng(3)
    s = rng.uniform(0.2, 2.0, size=(20, 1)) * rng.choice([-1.0, 1.0], size=(20, 1))
    t = rng.integers(0, 2, size=20)
    value, grad = P.PerceptronCriterion()(s, t)
    assert value == pytest.approx(np.mean(np.maximum(0, -(2 * t[:, None] - 1) * s)))
    assert rel_error(grad, numerical_gradient(lambda: P.PerceptronCriterion()(s, t)[0], s)) < 1e-8
    # at s = 0 the step says 1: a class-0 point there is a mistake, a class-1 point is not
    _, g = P.PerceptronCriterion()(np.zeros((2, 1)), [0, 1])
    np.testing.assert_array_equal(g[:, 0], [0.5, 0.0])


@pytest.mark.parametrize("call, err, words", [
    (lambda: P.PerceptronCriterion()(np.zeros((3, 2)), [0, 1, 0]), ValueError, "y_hat must have 1 features"),
    (lambda: P.PerceptronCriterion()(np.zeros((3, 1)), [0, 1]), ValueError, "y must have shape (3,)"),
    (lambda: P.PerceptronCriterion()(np.zeros((2, 1)), [-1, 1]), ValueError, "labels in {0, 1}"),
    (lambda: P.network(np.ones((2, 3)), [0.0]), ValueError, "B must have shape (2,)"),
    (lambda: P.network(np.ones((2, 2, 2)), [0.0, 0.0]), ValueError, "W must have shape"),
    (lambda: P.accuracy_of_weights(np.ones((2, 3)), [0.0, 0.0], X3, Y3), ValueError, "W must have shape (K, 2)"),
    (lambda: P.accuracy_of_weights(np.ones((2, 2)), [np.nan, 0.0], X3, Y3), ValueError, "NaN"),
    (lambda: P.pocket([]), ValueError, "train_acc"),
    (lambda: P.convergence_bound(X3, Y3, np.zeros(2), 0.0), ValueError, "u and c must not all be zero"),
    (lambda: P.convergence_bound(X3, Y3, np.ones(2), "1"), TypeError, "c must be a number"),
])
def test_more_bad_inputs_raise_clear_errors(call, err, words):
    with pytest.raises(err) as info:
        call()
    assert words in str(info.value)
