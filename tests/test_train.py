"""fit: iterations per epoch, learning, early stopping, clipping, validation history, determinism."""
import math

import numpy as np
import pytest

from nnlab import data, gradcheck, init
from nnlab.layers import BatchNorm, Dense, Dropout, Sequential, mlp
from nnlab.activations import Sigmoid, Tanh
from nnlab.losses import BinaryCrossEntropy, SoftmaxCrossEntropy, SquaredError
from nnlab.optim import SGD
from nnlab.regularizers import L2
from nnlab.clipping import ClipByNorm, ClipByValue
from nnlab.train import EarlyStopping, batches, evaluate, fit, train_step


def blobs(n=40, seed=0):
    return data.separable_blobs(n, rng=np.random.default_rng(seed))


def params(model):
    return [p.copy() for _, _, p, _ in model.parameters()]


def test_batches_partition_the_data(rng):
    parts = list(batches(10, 3, rng))
    assert [len(p) for p in parts] == [3, 3, 3, 1]
    assert sorted(np.concatenate(parts)) == list(range(10))
    np.testing.assert_array_equal(np.concatenate(list(batches(5, 2, rng, shuffle=False))), np.arange(5))


@pytest.mark.parametrize("batch_size, per_epoch", [(None, 1), (1, 10), (3, 4), (5, 2), (10, 1)])
def test_iterations_per_epoch(rng, batch_size, per_epoch):
    X, y = blobs(10)
    model = mlp([2, 3, 1], rng=rng)
    h = fit(model, X, y, loss="bce", epochs=3, batch_size=batch_size, rng=rng)
    assert per_epoch == (1 if batch_size is None else math.ceil(10 / batch_size))
    assert h.iterations == 3 * per_epoch
    assert len(h.loss) == len(h.grad_norm) == len(h.samples) == h.iterations
    assert h.epochs == 3 and len(h.train_acc) == 3
    assert h.val_loss == [] and h.val_acc == []


def test_loss_decreases_on_an_easy_problem(rng):
    X, y = blobs(100)
    model = mlp([2, 4, 1], rng=rng)
    h = fit(model, X, y, loss="bce", lr=0.5, epochs=30, batch_size=10, rng=rng)
    assert h.train_loss[-1] < 0.3 * h.train_loss[0]
    assert h.train_acc[-1] == 1.0
    loss, acc = evaluate(model, BinaryCrossEntropy(), X, y)
    assert loss == pytest.approx(h.train_loss[-1]) and acc == 1.0


def test_full_batch_history_loss_is_the_loss_before_the_step(rng):
    X, y = blobs(20)
    model = mlp([2, 3, 1], rng=rng)
    h = fit(model, X, y, loss="bce", epochs=4, rng=rng)
    # with one batch per epoch, iteration k sees the weights of epoch k-1's end
    np.testing.assert_allclose(h.loss[1:], h.train_loss[:-1])


def test_softmax_cross_entropy_with_integer_labels(rng):
    y = np.arange(90) % 3
    X = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])[y] + 0.3 * rng.normal(size=(90, 2))  # three blobs
    for loss in ("softmax_cross_entropy", SoftmaxCrossEntropy()):
        model = mlp([2, 16, 3], rng=np.random.default_rng(1), output_activation="linear")
        h = fit(model, X, y, loss=loss, lr=0.5, epochs=40, batch_size=15, rng=np.random.default_rng(2))
        assert h.train_loss[-1] < h.train_loss[0]
        assert h.train_acc[-1] == 1.0


def test_validation_history_lengths(rng):
    X, y = blobs(40)
    Xv, yv = blobs(20, seed=1)
    h = fit(mlp([2, 3, 1], rng=rng), X, y, loss="bce", epochs=5, batch_size=8, rng=rng, X_val=Xv, y_val=yv)
    assert len(h.val_loss) == len(h.val_acc) == len(h.train_loss) == 5
    assert h.best_epoch is None and h.stopped_epoch is None


def test_early_stopping_restores_best_weights_and_stops_after_patience():
    X, y = blobs(40)
    Xv, yv = X, 1 - y            # validation labels flipped: learning the training set makes it worse
    kwargs = dict(loss="bce", lr=0.5, batch_size=10)
    model = mlp([2, 3, 1], rng=np.random.default_rng(5))
    h = fit(model, X, y, epochs=50, rng=np.random.default_rng(6), X_val=Xv, y_val=yv, early_stopping=EarlyStopping(3), **kwargs)
    assert h.best_epoch == int(np.argmin(h.val_loss))
    assert h.stopped_epoch == h.best_epoch + 3
    assert len(h.val_loss) == len(h.train_loss) == h.stopped_epoch + 1 < 50
    # the same training stopped by hand after the best epoch gives the restored weights
    ref = mlp([2, 3, 1], rng=np.random.default_rng(5))
    fit(ref, X, y, epochs=h.best_epoch + 1, rng=np.random.default_rng(6), **kwargs)
    for a, b in zip(params(model), params(ref)):
        np.testing.assert_array_equal(a, b)
    assert evaluate(model, BinaryCrossEntropy(), Xv, yv)[0] == pytest.approx(min(h.val_loss))


def test_clip_by_norm_caps_each_step(rng):
    X, y = blobs(30)
    model = mlp([2, 5, 1], rng=rng)
    before = params(model)
    h = fit(model, X, y, loss="bce", lr=1.0, epochs=1, rng=rng, clip=ClipByNorm(1e-3))
    step = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(params(model), before)))
    assert h.grad_norm[0] > 1e-3                       # the recorded norm is the one before clipping
    assert step == pytest.approx(1e-3, rel=1e-9)       # one full-batch step of lr * max_norm


def test_clip_by_value_caps_each_component(rng):
    X, y = blobs(30)
    model = mlp([2, 5, 1], rng=rng)
    before = params(model)
    fit(model, X, y, loss="bce", lr=1.0, epochs=1, rng=rng, clip=ClipByValue(-1e-4, 1e-4))
    assert max(np.abs(a - b).max() for a, b in zip(params(model), before)) <= 1e-4 + 1e-15


def test_regularizer_shrinks_weights_and_is_in_the_loss():
    X, y = blobs(40)
    kw = dict(loss="bce", lr=0.5, epochs=30, batch_size=10)
    plain = mlp([2, 4, 1], rng=np.random.default_rng(0))
    decayed = mlp([2, 4, 1], rng=np.random.default_rng(0))
    fit(plain, X, y, rng=np.random.default_rng(1), **kw)
    h = fit(decayed, X, y, rng=np.random.default_rng(1), regularizer=L2(0.05), **kw)
    norm = lambda m: sum(np.sum(p ** 2) for _, name, p, _ in m.parameters() if name == "W")
    assert norm(decayed) < 0.5 * norm(plain)
    bce = BinaryCrossEntropy()
    assert h.train_loss[-1] == pytest.approx(bce(decayed(X), y)[0] + L2(0.05)(decayed.layers[0].params["W"])
                                             + L2(0.05)(decayed.layers[2].params["W"]))


def test_train_step_matches_a_hand_update(rng):
    layer = Dense(2, 1, rng=rng)
    model = Sequential(layer)
    X, y = np.array([[1.0, 2.0], [0.0, -1.0]]), np.array([1.0, 0.0])
    W0, b0 = layer.params["W"].copy(), layer.params["b"].copy()
    value, norm = train_step(model, SquaredError(), SGD(0.1), X, y)
    r = X @ W0 + b0 - y[:, None]                       # residuals z - t
    assert value == pytest.approx(0.5 * np.mean(r ** 2))
    gW, gb = X.T @ r / 2, r.sum(axis=0) / 2
    np.testing.assert_allclose(layer.params["W"], W0 - 0.1 * gW)
    np.testing.assert_allclose(layer.params["b"], b0 - 0.1 * gb)
    assert norm == pytest.approx(np.sqrt(np.sum(gW ** 2) + np.sum(gb ** 2)))


def test_fit_with_dropout_and_batchnorm(rng):
    X, y = data.moons(120, rng=rng)
    model = Sequential(Dense(2, 16, rng=rng), BatchNorm(16), Tanh(), Dropout(0.2, rng=rng),
                       Dense(16, 1, rng=rng), Sigmoid())
    h = fit(model, X, y, loss="bce", lr=0.3, epochs=30, batch_size=20, rng=rng)
    assert h.train_loss[-1] < h.train_loss[0] and h.train_acc[-1] > 0.8


def test_divergence_stops_early(rng):
    X, y = data.regression_1d(30, rng=rng)
    model = mlp([1, 8, 1], rng=rng, activation="relu", output_activation="linear", init="he_normal")
    with np.errstate(all="ignore"):
        h = fit(model, X * 1e3, y * 1e3, lr=5.0, epochs=50, rng=rng)
    assert h.epochs < 50 and not np.isfinite(h.train_loss[-1])


@pytest.mark.parametrize("seed", [1, 3, 4])
def test_divergence_inside_an_epoch_stops_without_an_error(seed):
    # weights become inf within an epoch, so hidden layers see NaN: fit must stop, not raise
    rng = np.random.default_rng(seed)
    X, y = data.regression_1d(30, rng=rng)
    model = mlp([1, 8, 8, 1], rng=rng, activation="tanh", output_activation="linear")
    with np.errstate(all="ignore"):
        h = fit(model, X * 1e3, y * 1e3, lr=50.0, epochs=100, batch_size=1, rng=rng)
    assert h.epochs < 100 and not np.isfinite(h.train_loss[-1])
    assert not np.all(np.isfinite(h.loss))


def test_same_seed_same_weights_and_history():
    X, y = data.moons(60, rng=np.random.default_rng(0))

    def run():
        model = mlp([2, 6, 1], rng=np.random.default_rng(1))
        h = fit(model, X, y, loss="bce", epochs=5, batch_size=7, rng=np.random.default_rng(2))
        return model, h

    (m1, h1), (m2, h2) = run(), run()
    for a, b in zip(params(m1), params(m2)):
        np.testing.assert_array_equal(a, b)
    assert h1 == h2
    m3 = mlp([2, 6, 1], rng=np.random.default_rng(1))
    h3 = fit(m3, X, y, loss="bce", epochs=5, batch_size=7, rng=np.random.default_rng(3))
    assert h3.loss != h1.loss                            # another shuffling seed, another path


def test_nothing_touches_the_global_random_state():
    state = np.random.get_state()
    r = np.random.default_rng(0)
    for make in data.DATASETS.values():
        make(50, rng=r)
    X, y = data.moons(50, rng=r)
    data.regression_1d(20, rng=r)
    data.train_val_split(X, y, rng=r)
    model = Sequential(Dense(2, 8, rng=r, init="he_normal"), BatchNorm(8), Tanh(), Dropout(0.5, rng=r),
                       Dense(8, 1, rng=r), Sigmoid())
    fit(model, X, y, loss="bce", epochs=2, batch_size=10, rng=r, X_val=X, y_val=y,
            early_stopping=EarlyStopping(1))
    for f in (init.xavier_uniform, init.xavier_normal, init.he_uniform, init.he_normal):
        f((3, 4), r)
    gradcheck.check_layer(Dropout(0.5, rng=r), r.normal(size=(3, 2)), r, train=True)
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


def test_early_stopping_when_the_first_validation_loss_is_not_finite():
    X, y = blobs(20)                           # once raised TypeError: int - NoneType at epoch 0
    model = mlp([2, 3, 1], rng=np.random.default_rng(0), output_activation="linear")
    model.layers[0].params["W"][:] = np.nan
    h = fit(model, X, y, epochs=5, rng=np.random.default_rng(1), X_val=X, y_val=y,
            early_stopping=EarlyStopping(1))
    assert not np.isfinite(h.val_loss[0]) and h.best_epoch is None and h.epochs == 1


def test_callback_sees_every_update_like_a_hand_written_loop(rng):
    X, y = blobs(24)
    model = mlp([2, 4, 1], rng=np.random.default_rng(3))
    ref = mlp([2, 4, 1], rng=np.random.default_rng(3))
    seen = []
    h = fit(model, X, y, loss="bce", optimizer=SGD(0.3, momentum=0.5), epochs=3, batch_size=8,
            rng=np.random.default_rng(4), callback=lambda m, step: (step, m.layers[0].params["W"].copy()))
    opt, loss, order_rng = SGD(0.3, momentum=0.5), BinaryCrossEntropy(), np.random.default_rng(4)
    step = 0
    for _ in range(3):
        for idx in batches(len(X), 8, order_rng):
            train_step(ref, loss, opt, X[idx], y[idx])
            step += 1
            seen.append((step, ref.layers[0].params["W"].copy()))
        evaluate(ref, loss, X, y)
    assert [s for s, _ in h.logs] == [s for s, _ in seen] == list(range(1, 10))
    for (_, a), (_, b) in zip(h.logs, seen):
        np.testing.assert_array_equal(a, b)
    assert h.samples == [8 * k for k in range(1, 10)]
    assert len(h.seconds) == 9 and all(np.diff(h.seconds) >= 0)


def test_momentum_state_follows_the_parameters_not_object_ids(rng):
    X, y = blobs(16)
    a, b = mlp([2, 3, 1], rng=np.random.default_rng(0)), mlp([2, 3, 1], rng=np.random.default_rng(0))
    opt = SGD(0.1, momentum=0.9)
    fit(a, X, y, optimizer=opt, epochs=2, rng=np.random.default_rng(1))
    assert len(opt.velocity) == 4 and [v.shape for v in opt.velocity] == [(2, 3), (3,), (3, 1), (1,)]
    fit(b, X, y, optimizer=SGD(0.1, momentum=0.9), epochs=2, rng=np.random.default_rng(1))
    for (_, _, p, _), (_, _, q, _) in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)
    opt.step(mlp([2, 5, 1], rng=rng))          # another model's shapes: the state starts again at zero
    assert [v.shape for v in opt.velocity] == [(2, 5), (5,), (5, 1), (1,)]


# ---------------------------------------------------------------- drop_last
@pytest.mark.parametrize("n, batch_size", [(10, 3), (11, 5), (10, 4), (7, 7), (12, 4), (9, 1)])
def test_drop_last_trains_on_floor_n_over_b_full_batches_per_epoch(n, batch_size):
    X, y = blobs(n)
    steps = []
    h = fit(mlp([2, 3, 1], rng=np.random.default_rng(0)), X, y, loss="bce", epochs=3, batch_size=batch_size,
            rng=np.random.default_rng(1), drop_last=True, callback=lambda m, step: steps.append(step))
    full = n // batch_size
    assert h.iterations == len(steps) == 3 * full
    assert np.all(np.diff(h.samples, prepend=0) == batch_size)          # every batch trained is full
    assert h.samples[-1] == 3 * full * batch_size
    assert h.epochs == 3 and len(h.train_loss) == 3


@pytest.mark.parametrize("batch_size", [3, 4, 5, None])
def test_drop_last_false_is_the_default_and_keeps_every_batch(batch_size):
    X, y = blobs(10)

    def run(**kwargs):
        model = mlp([2, 3, 1], rng=np.random.default_rng(0))
        return model, fit(model, X, y, loss="bce", epochs=2, batch_size=batch_size, rng=np.random.default_rng(1),
                          **kwargs)

    (m0, h0), (m1, h1) = run(), run(drop_last=False)
    assert h0 == h1 and h0.samples[-1] == 20
    for a, b in zip(params(m0), params(m1)):
        np.testing.assert_array_equal(a, b)
    if batch_size in (5, None):                       # nothing to drop: drop_last=True is the same run
        m2, h2 = run(drop_last=True)
        assert h2 == h0
        for a, b in zip(params(m2), params(m0)):
            np.testing.assert_array_equal(a, b)


def test_drop_last_is_the_hand_loop_that_skips_the_incomplete_batch():
    X, y = blobs(11)
    model, ref = mlp([2, 4, 1], rng=np.random.default_rng(3)), mlp([2, 4, 1], rng=np.random.default_rng(3))
    fit(model, X, y, loss="bce", lr=0.3, epochs=3, batch_size=4, rng=np.random.default_rng(4), drop_last=True)
    opt, loss, order_rng = SGD(0.3), BinaryCrossEntropy(), np.random.default_rng(4)
    for _ in range(3):
        for idx in batches(len(X), 4, order_rng):     # one shuffle of all 11 samples per epoch, as before
            if len(idx) == 4:
                train_step(ref, loss, opt, X[idx], y[idx])
    for a, b in zip(params(model), params(ref)):
        np.testing.assert_array_equal(a, b)


def test_drop_last_lets_batch_norm_train_when_the_last_batch_would_hold_one_sample():
    X, y = blobs(11)
    model = lambda: mlp([2, 4, 1], rng=np.random.default_rng(0), batch_norm="before")
    with pytest.raises(ValueError, match="X must hold at least 2 samples for BatchNorm in train mode"):
        fit(model(), X, y, loss="bce", epochs=1, batch_size=5, rng=np.random.default_rng(1))
    h = fit(model(), X, y, loss="bce", epochs=2, batch_size=5, rng=np.random.default_rng(1), drop_last=True)
    assert h.iterations == 4 and np.all(np.isfinite(h.train_loss))


@pytest.mark.parametrize("value", ["yes", 1, 0, None, 1.0, [True]])
def test_drop_last_must_be_a_bool(value):
    X, y = blobs(10)
    model = mlp([2, 3, 1], rng=np.random.default_rng(0))
    before = params(model)
    with pytest.raises(TypeError, match="^drop_last must be True or False"):
        fit(model, X, y, batch_size=3, rng=np.random.default_rng(1), drop_last=value)
    for a, b in zip(params(model), before):
        np.testing.assert_array_equal(a, b)
