"""Chapter 11's lesson math: the proximal callback, the patience rule on a curve, weight counts."""
import numpy as np
import pytest

from nnlab import data, fit, mlp
from nnlab.regularizers import L1, L2, ElasticNet
from nnlab.topics.regularization import patience_stop, proximal, weight_counts
from nnlab.train import EarlyStopping, penalty, train_step
from nnlab.losses import BinaryCrossEntropy
from nnlab.optim import SGD


def _net(seed=0):
    return mlp([2, 5, 1], rng=np.random.default_rng(seed), activation="tanh", output_activation="sigmoid")


@pytest.mark.parametrize("reg", [L1(0.05), L2(0.05), ElasticNet(0.05, beta=0.5)], ids=repr)
def test_proximal_callback_is_a_gradient_step_on_the_data_loss_then_prox(reg, rng):
    X, y = data.moons(30, noise=0.2, rng=rng)
    a, b = _net(), _net()
    history = fit(a, X, y, loss="bce", lr=0.5, epochs=1, rng=np.random.default_rng(0), callback=proximal(reg, 0.5))
    train_step(b, BinaryCrossEntropy(), SGD(0.5), X, y)          # by hand: the plain step ...
    for layer in b.layers:
        if "W" in layer.params:                                    # ... then the proximal step, weights only
            layer.params["W"][...] = reg.prox(layer.params["W"], 0.5)
    for (_, name, pa, _), (_, _, pb, _) in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(pa, pb, rtol=1e-12, atol=1e-15, err_msg=name)
    assert history.logs == [pytest.approx(penalty(a, reg))]


def test_proximal_l1_reaches_exact_zeros_where_the_subgradient_does_not(rng):
    X, y = data.moons(40, noise=0.3, rng=rng)
    sub, prox = _net(), _net()
    fit(sub, X, y, loss="bce", lr=0.3, epochs=300, rng=np.random.default_rng(0), regularizer=L1(0.02))
    fit(prox, X, y, loss="bce", lr=0.3, epochs=300, rng=np.random.default_rng(0), callback=proximal(L1(0.02), 0.3))
    assert weight_counts(sub)["zero"] == 0
    assert weight_counts(prox)["zero"] >= 5
    assert weight_counts(sub, near=0.01)["near_zero"] >= weight_counts(prox)["zero"] - 2


def test_proximal_bad_input():
    with pytest.raises(TypeError, match="regularizer"):
        proximal(L1, 0.1)
    with pytest.raises(ValueError, match="lr"):
        proximal(L1(0.1), 0.0)


def test_patience_rule_by_hand():
    curve = [1.0, 0.8, 0.9, 0.8, 0.85, 0.7, 0.75, 0.76, 0.9]
    assert patience_stop(curve, 1) == (1, 2)
    assert patience_stop(curve, 2) == (1, 3)          # 0.8 again is a tie: not an improvement
    assert patience_stop(curve, 3) == (1, 4)
    assert patience_stop(curve, 4) == (5, None)
    acc = [0.5, 0.7, 0.7, 0.65, 0.9]
    assert patience_stop(acc, 2, higher_is_better=True) == (1, 3)
    assert patience_stop([np.nan, 1.0], 1) == (None, 0)   # NaN never improves: as in fit, patience 1 stops at once
    assert patience_stop([np.nan, 1.0], 2) == (1, None)


def test_patience_rule_matches_fit(rng):
    X, y = data.moons(60, noise=0.3, rng=rng)
    Xt, yt, Xv, yv = data.train_val_split(X, y, val_fraction=0.5, rng=rng)
    full = fit(_net(), Xt, yt, loss="bce", lr=0.5, epochs=120, batch_size=5, rng=np.random.default_rng(1), X_val=Xv, y_val=yv)
    for patience in (1, 3, 10, 30):
        h = fit(_net(), Xt, yt, loss="bce", lr=0.5, epochs=120, batch_size=5, rng=np.random.default_rng(1),
                X_val=Xv, y_val=yv, early_stopping=EarlyStopping(patience))
        assert patience_stop(full.val_loss, patience) == (h.best_epoch, h.stopped_epoch)


def test_patience_bad_input():
    with pytest.raises(ValueError, match="patience"):
        patience_stop([1.0, 2.0], 0)
    with pytest.raises(ValueError, match="values"):
        patience_stop([[1.0, 2.0]], 1)


def test_weight_counts_leave_biases_out():
    model = _net()
    model.layers[0].params["W"][0, :2] = 0.0
    model.layers[0].params["W"][1, 0] = 1e-4
    model.layers[0].params["b"][...] = 0.0                 # zero biases are not counted
    counts = weight_counts(model)
    assert counts["weights"] == 2 * 5 + 5 * 1
    assert counts["zero"] == 2 and counts["near_zero"] == 3
