"""Property test: random bad input to the engine's public functions gives a clear ValueError or
TypeError that names the argument, raised before any state changes; never an error from numpy's or
Python's internals, never silent garbage."""
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnlab
from nnlab import data, init, params
from nnlab.activations import ReLU, Sigmoid, Tanh
from nnlab.clipping import ClipByNorm, ClipByValue
from nnlab.layers import BatchNorm, Dense, Dropout, Sequential, mlp
from nnlab.losses import BinaryCrossEntropy, SquaredError
from nnlab.optim import SGD
from nnlab.regularizers import L1, L2, ElasticNet
from nnlab.train import EarlyStopping, fit

BAD_SCALARS = st.sampled_from([None, "0.1", "abc", [1, 2], (), {}, True, np.nan, np.inf, -np.inf, -1, -0.5,
                               0, 1e300, -1e-300, 2.5, object(), SGD, ReLU, np.zeros(3)])
BAD_ARRAYS = st.sampled_from([None, "abc", 3.0, [], [[1, 2], [3]], np.zeros(0), np.zeros((0, 2)), np.zeros(5),
                              np.zeros((5, 3)), np.zeros((2, 2, 2)), np.full((5, 2), np.nan),
                              np.array([["a", "b"]] * 5), ReLU, {"a": 1}])
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])


def clear_error(call, *names):
    """Run call(); it may succeed, but if it fails the error is a ValueError/TypeError whose message
    starts from the argument's name ("lr must be ...", "layers[2] must ..."), not numpy's internals."""
    try:
        call()
    except (ValueError, TypeError) as err:
        msg = str(err)
        named = any(re.search(rf"(^|[\s(`']){re.escape(n)}(\[\d+\])?'? (must|contains|and|has|takes|needs)", msg)
                    or msg.startswith(n) for n in names)
        assert named, f"error does not name {names}: {type(err).__name__}: {msg}"
        return err
    return None


@SETTINGS
@given(value=BAD_SCALARS)
def test_hyper_parameters(value):
    rng = np.random.default_rng(0)
    for call, name in [(lambda: SGD(value), "lr"), (lambda: SGD(0.1, momentum=value), "momentum"),
                       (lambda: L2(value), "lam"), (lambda: L1(value), "lam"), (lambda: ElasticNet(0.1, value), "beta"),
                       (lambda: ClipByNorm(value), "max_norm"), (lambda: ClipByValue(value, 1.0), "min_value"),
                       (lambda: Dropout(value, rng=rng), "p_drop"), (lambda: BatchNorm(value), "num_features"),
                       (lambda: BatchNorm(3, momentum=value), "momentum"), (lambda: BatchNorm(3, eps=value), "eps"),
                       (lambda: Dense(value, 2, rng=rng), "in_features"), (lambda: EarlyStopping(value), "patience"),
                       (lambda: data.moons(value, rng=rng), "n"), (lambda: data.moons(20, noise=value, rng=rng), "noise"),
                       (lambda: init.he_normal(value, rng), "shape"), (lambda: mlp(value, rng=rng), "sizes")]:
        clear_error(call, name)


@SETTINGS
@given(X=BAD_ARRAYS, y=BAD_ARRAYS)
def test_fit_checks_everything_before_training(X, y):
    rng = np.random.default_rng(0)
    model = mlp([2, 3, 1], rng=rng)
    good_X, good_y = data.moons(20, rng=rng)
    before = params.flatten(model)
    for call in (lambda: fit(model, X, good_y, rng=rng, epochs=1), lambda: fit(model, good_X, y, rng=rng, epochs=1),
                 lambda: fit(model, good_X, good_y, X_val=X, y_val=y, rng=rng, epochs=1)):
        if clear_error(call, "X", "y", "X_val", "y_val") is not None:
            np.testing.assert_array_equal(params.flatten(model), before)   # nothing changed before the error
        before = params.flatten(model)


@SETTINGS
@given(value=BAD_SCALARS)
def test_fit_options(value):
    rng = np.random.default_rng(0)
    model = mlp([2, 3, 1], rng=rng)
    X, y = data.moons(20, rng=rng)
    before = params.flatten(model)
    for key in ("lr", "epochs", "batch_size", "loss", "optimizer", "regularizer", "clip", "early_stopping",
                "callback", "rng"):
        kwargs = {"rng": rng, "epochs": 1, key: value}
        if clear_error(lambda: fit(model, X, y, **kwargs), key, "give either") is not None:
            np.testing.assert_array_equal(params.flatten(model), before)
        before = params.flatten(model)


@SETTINGS
@given(a=BAD_ARRAYS, b=BAD_ARRAYS)
def test_losses_and_layers(a, b):
    rng = np.random.default_rng(0)
    good = np.full((4, 1), 0.5)
    for call, names in [(lambda: SquaredError()(a, good), ("y_hat", "y")), (lambda: SquaredError()(good, b), ("y",)),
                        (lambda: BinaryCrossEntropy()(a, np.ones(4)), ("y_hat", "y")),
                        (lambda: BinaryCrossEntropy()(good, b), ("y",)),
                        (lambda: Dense(2, 3, rng=rng).forward(a), ("X",)),
                        (lambda: BatchNorm(2).forward(a, train=True), ("X",)),
                        (lambda: Sequential(Dense(2, 3, rng=rng), Tanh(), a), ("layers",))]:
        clear_error(call, *names)
    d = Dense(2, 3, rng=rng)
    d.forward(np.ones((4, 2)))
    clear_error(lambda: d.backward(a), "dout")


def test_the_property_tests_can_fail():
    # the checker itself rejects an internal error and an error that names no argument
    with pytest.raises(AssertionError):
        clear_error(lambda: np.ones((2, 3)) @ np.ones((2, 3)), "X")
    with pytest.raises(AssertionError):
        clear_error(lambda: (_ for _ in ()).throw(ValueError("something went wrong")), "lr")
