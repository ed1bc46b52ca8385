"""Numerical gradient checks (nnlab.gradcheck) for every layer, activation, loss, regularizer and
for whole models, over random shapes drawn by hypothesis. Bound: relative error < 1e-6."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nnlab import activations as A
from nnlab.gradcheck import check_layer, check_loss, check_model, numerical_gradient, rel_error
from nnlab.layers import BatchNorm, Dense, Dropout, Sequential, mlp
from nnlab.losses import BinaryCrossEntropy, SoftmaxCrossEntropy, SquaredError, one_hot
from nnlab.regularizers import L1, L2, ElasticNet

TOL = 1e-6
# derandomize: the same 25 examples every run, so CI never flakes (these checks passed with 400 random examples)
FAST = settings(max_examples=25, deadline=None, derandomize=True)
seeds = st.integers(0, 2 ** 32 - 1)
sizes = st.integers(1, 5)


def away_from_zero(rng, shape, gap=0.1):
    """Random numbers with |z| >= gap, so no check straddles the kink of ReLU, LeakyReLU or |.|."""
    return rng.choice([-1.0, 1.0], size=shape) * (gap + np.abs(rng.normal(size=shape)))


# ----- the checker itself -----

def test_numerical_gradient_of_a_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    np.testing.assert_allclose(grad, 3 * x ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, [[1.0, -2.0], [0.5, 3.0]])   # x is restored


def test_rel_error():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0], [3.0]) == pytest.approx(0.5)
    assert rel_error([0.0], [0.0]) == 0.0


def test_check_layer_catches_a_wrong_backward(rng):
    class Wrong(A.Activation):
        def f(self, z):
            return np.tanh(z)

        def df(self, z):
            return 1 - np.tanh(z) ** 2 + 0.01            # a small mistake in the derivative

    assert check_layer(Wrong(), rng.normal(size=(3, 4)), rng)["X"] > 1e-3


# ----- layers -----

@FAST
@given(seed=seeds, n=sizes, d=sizes, k=sizes)
def test_dense(seed, n, d, k):
    rng = np.random.default_rng(seed)
    layer = Dense(d, k, rng=rng)
    layer.params["b"][...] = rng.normal(size=k)
    errors = check_layer(layer, rng.normal(size=(n, d)), rng)
    assert set(errors) == {"X", "W", "b"}
    assert max(errors.values()) < TOL, errors


@FAST
@given(seed=seeds, n=sizes, d=sizes, name=st.sampled_from(["linear", "sigmoid", "tanh", "relu", "leaky_relu"]))
def test_smooth_activations(seed, n, d, name):
    rng = np.random.default_rng(seed)
    X = away_from_zero(rng, (n, d)) * 2
    assert check_layer(A.get_activation(name), X, rng)["X"] < TOL


@pytest.mark.parametrize("alpha", [0.0, 0.2, 0.9])
def test_leaky_relu_slopes(rng, alpha):
    assert check_layer(A.LeakyReLU(alpha), away_from_zero(rng, (4, 3)), rng)["X"] < TOL


@pytest.mark.parametrize("name", ["step", "sign"])
def test_step_and_sign_pass_back_zero(rng, name):
    act = A.get_activation(name)
    X = away_from_zero(rng, (4, 3))
    act.forward(X, train=True)
    np.testing.assert_array_equal(act.backward(rng.normal(size=(4, 3))), 0.0)
    # the numerical derivative away from the jump is 0 as well
    assert check_layer(act, X, rng)["X"] == 0.0


@FAST
@given(seed=seeds, n=sizes, d=sizes, p_drop=st.sampled_from([0.0, 0.2, 0.5, 0.9]), inverted=st.booleans())
def test_dropout_train_mode(seed, n, d, p_drop, inverted):
    rng = np.random.default_rng(seed)
    layer = Dropout(p_drop, rng=np.random.default_rng(seed + 1), inverted=inverted)
    assert check_layer(layer, rng.normal(size=(n, d)), rng, train=True)["X"] < TOL


@pytest.mark.parametrize("inverted", [True, False])
def test_dropout_test_mode(rng, inverted):
    layer = Dropout(0.3, rng=rng, inverted=inverted)
    assert check_layer(layer, rng.normal(size=(3, 4)), rng, train=False)["X"] < TOL


@FAST
@given(seed=seeds, n=st.integers(3, 6), d=sizes, train=st.booleans())
def test_batchnorm(seed, n, d, train):
    # n >= 3: with two samples x_hat = +-1 whatever X is, the true dX is ~eps-small and only round-off is compared
    rng = np.random.default_rng(seed)
    bn = BatchNorm(d)
    bn.params["gamma"][...] = rng.uniform(0.5, 2.0, size=d)
    bn.params["beta"][...] = rng.normal(size=d)
    bn.running_mean[...] = rng.normal(size=d)
    bn.running_var[...] = rng.uniform(0.5, 2.0, size=d)
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d) + rng.normal(size=d)
    # a feature that is nearly constant over the batch makes x_hat ill-conditioned: skip such draws
    assume(not train or np.all(X.std(axis=0) > 0.05))
    errors = check_layer(bn, X, rng, train=train)
    assert set(errors) == {"X", "gamma", "beta"}
    assert max(errors.values()) < TOL, errors


# ----- losses -----

@FAST
@given(seed=seeds, n=sizes, k=sizes, reduction=st.sampled_from(["mean", "sum"]))
def test_squared_error(seed, n, k, reduction):
    rng = np.random.default_rng(seed)
    assert check_loss(SquaredError(reduction), rng.normal(size=(n, k)), rng.normal(size=(n, k))) < TOL


@FAST
@given(seed=seeds, n=sizes, reduction=st.sampled_from(["mean", "sum"]), soft=st.booleans())
def test_binary_cross_entropy(seed, n, reduction, soft):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, size=(n, 1))
    t = rng.uniform(0, 1, size=n) if soft else rng.integers(0, 2, size=n)
    assert check_loss(BinaryCrossEntropy(reduction), p, t) < TOL


@FAST
@given(seed=seeds, n=sizes, k=st.integers(2, 5), reduction=st.sampled_from(["mean", "sum"]), hot=st.booleans())
def test_softmax_cross_entropy(seed, n, k, reduction, hot):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, size=n)
    y = one_hot(labels, k) if hot else labels
    assert check_loss(SoftmaxCrossEntropy(reduction), 2 * rng.normal(size=(n, k)), y) < TOL


# ----- regularizers -----

@FAST
@given(seed=seeds, shape=st.tuples(sizes, sizes), lam=st.floats(1e-3, 1.0), beta=st.floats(0.0, 2.0),
       which=st.sampled_from(["L2", "L1", "ElasticNet"]))
def test_regularizers(seed, shape, lam, beta, which):
    rng = np.random.default_rng(seed)
    reg = {"L2": L2(lam), "L1": L1(lam), "ElasticNet": ElasticNet(lam, beta)}[which]
    W = away_from_zero(rng, shape)          # |W| has a kink at 0
    assert rel_error(reg.grad(W), numerical_gradient(lambda: reg(W), W)) < TOL


# ----- whole models -----

@FAST
@given(seed=seeds, n=st.integers(1, 6), hidden=st.lists(st.integers(1, 5), min_size=1, max_size=3),
       activation=st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu", "linear"]),
       loss=st.sampled_from(["squared_error", "bce"]), reg=st.sampled_from([None, "L2", "ElasticNet"]))
def test_mlp(seed, n, hidden, activation, loss, reg):
    rng = np.random.default_rng(seed)
    sizes = [2, *hidden, 1]
    model = mlp(sizes, rng=rng, activation=activation,
                output_activation="sigmoid" if loss == "bce" else "linear")
    for _, name, p, _ in model.parameters():
        if name == "b":
            p[...] = 0.1 * rng.normal(size=p.shape)
    X = rng.normal(size=(n, 2))
    out = X
    for layer in model.layers:               # keep every pre-activation away from the ReLU kink
        out = layer.forward(out)
        if isinstance(layer, Dense):
            assume(np.all(np.abs(out) > 1e-3))
    y = rng.integers(0, 2, size=n)
    loss_fn = SquaredError() if loss == "squared_error" else BinaryCrossEntropy()
    regularizer = {None: None, "L2": L2(0.1), "ElasticNet": ElasticNet(0.1, 0.5)}[reg]
    if regularizer is not None:             # and every weight away from the kink of |w|
        assume(all(np.all(np.abs(p) > 1e-3) for _, name, p, _ in model.parameters() if name == "W"))
    errors = check_model(model, loss_fn, X, y, regularizer=regularizer)
    assert len(errors) == 2 * (len(sizes) - 1)
    assert max(errors.values()) < TOL, errors


@FAST
@given(seed=seeds, n=st.integers(2, 6), k=st.integers(2, 4))
def test_softmax_model_with_batchnorm_and_dropout(seed, n, k):
    rng = np.random.default_rng(seed)
    bn = BatchNorm(5)
    bn.running_mean[...] = rng.normal(size=5)
    model = Sequential(Dense(3, 5, rng=rng), bn, A.Tanh(), Dropout(0.5, rng=rng), Dense(5, k, rng=rng))
    X, labels = rng.normal(size=(n, 3)), rng.integers(0, k, size=n)
    errors = check_model(model, SoftmaxCrossEntropy(), X, labels, regularizer=L2(0.01))
    assert len(errors) == 6 and max(errors.values()) < TOL, errors
