"""Dense, Dropout, BatchNorm, Sequential and mlp: values worked out by hand."""
import numpy as np
import pytest

from nnlab import activations as A
from nnlab.layers import BatchNorm, Dense, Dropout, Sequential, mlp


def dense_2x2(rng):
    layer = Dense(2, 2, rng=rng)
    layer.params["W"][...] = [[1.0, 2.0], [3.0, 4.0]]
    layer.params["b"][...] = [0.5, -1.0]
    return layer


def test_dense_forward_2x2(rng):
    layer = dense_2x2(rng)
    X = np.array([[1.0, 1.0], [2.0, -1.0]])
    # row 1: [1+3, 2+4] + b = [4.5, 5]; row 2: [2-3, 4-4] + b = [-0.5, -1]
    np.testing.assert_allclose(layer.forward(X), [[4.5, 5.0], [-0.5, -1.0]])
    np.testing.assert_allclose(layer.forward(np.eye(2)), [[1.5, 1.0], [3.5, 3.0]])


def test_dense_backward_2x2(rng):
    layer = dense_2x2(rng)
    X = np.array([[1.0, 1.0], [2.0, -1.0]])
    layer.forward(X)
    dout = np.array([[1.0, 0.0], [0.0, 2.0]])
    dX = layer.backward(dout)
    np.testing.assert_allclose(layer.grads["W"], [[1.0, 4.0], [1.0, -2.0]])  # X^T dout
    np.testing.assert_allclose(layer.grads["b"], [1.0, 2.0])
    np.testing.assert_allclose(dX, [[1.0, 3.0], [4.0, 8.0]])                # dout W^T


def test_dense_shapes_and_init(rng):
    layer = Dense(3, 5, rng=rng)
    assert layer.params["W"].shape == (3, 5) and layer.params["b"].shape == (5,)
    np.testing.assert_array_equal(layer.params["b"], 0.0)
    assert layer.forward(np.ones((7, 3))).shape == (7, 5)
    assert {k: v.shape for k, v in layer.grads.items()} == {"W": (3, 5), "b": (5,)}
    zero = Dense(3, 5, rng=rng, init="zeros")
    np.testing.assert_array_equal(zero.params["W"], 0.0)
    assert repr(layer) == "Dense(3, 5)"


def test_dropout_train_mask_rate_and_inverted_scaling(rng):
    p_drop = 0.3
    layer = Dropout(p_drop, rng=rng)
    X = np.ones((200, 1000))
    out = layer.forward(X, train=True)
    kept = out != 0
    assert abs(kept.mean() - (1 - p_drop)) < 0.005          # 200,000 units: sd of the rate ~ 0.001
    np.testing.assert_allclose(out[kept], 1 / (1 - p_drop))  # survivors scaled by 1 / p_keep
    assert abs(out.mean() - 1.0) < 0.01                       # so the mean is kept
    dout = np.full_like(X, 2.0)
    np.testing.assert_allclose(layer.backward(dout), 2.0 * out)  # same mask backward


def test_dropout_test_mode_is_identity(rng):
    layer = Dropout(0.5, rng=rng)
    X = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(layer.forward(X, train=False), X)
    np.testing.assert_array_equal(layer.backward(np.ones((2, 3))), 1.0)


def test_dropout_non_inverted_scales_at_test_time(rng):
    layer = Dropout(0.25, rng=rng, inverted=False)
    X = np.ones((100, 1000))
    out = layer.forward(X, train=True)
    assert set(np.unique(out)) == {0.0, 1.0}                 # train: mask only
    assert abs(out.mean() - 0.75) < 0.01                      # expectation p_keep * x
    np.testing.assert_allclose(layer.forward(2 * X[:2], train=False), 2 * 0.75)
    np.testing.assert_allclose(layer.backward(np.ones((2, 1000))), 0.75)


def test_dropout_zero_rate_keeps_everything(rng):
    X = np.random.default_rng(1).normal(size=(4, 5))
    np.testing.assert_array_equal(Dropout(0.0, rng=rng).forward(X, train=True), X)


def test_dropout_same_seed_same_mask():
    X = np.ones((3, 50))
    a = Dropout(0.5, rng=np.random.default_rng(7)).forward(X, train=True)
    b = Dropout(0.5, rng=np.random.default_rng(7)).forward(X, train=True)
    np.testing.assert_array_equal(a, b)


def batch(rng, n=400):
    return rng.normal(size=(n, 3)) * [1.0, 5.0, 0.1] + [3.0, -2.0, 7.0]


def test_batchnorm_train_output_is_standardised(rng):
    bn = BatchNorm(3)
    out = bn.forward(batch(rng), train=True)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    # var(x_hat) = var / (var + eps): 1 up to eps / var (eps = 1e-5, smallest var ~ 0.01)
    np.testing.assert_allclose(out.var(axis=0), 1.0, atol=2e-3)
    np.testing.assert_allclose(out[:, :2].var(axis=0), 1.0, atol=1e-5)


def test_batchnorm_gamma_beta_scale_and_shift(rng):
    bn = BatchNorm(3)
    bn.params["gamma"][...] = [2.0, 0.5, 1.0]
    bn.params["beta"][...] = [1.0, -1.0, 0.0]
    out = bn.forward(batch(rng), train=True)
    np.testing.assert_allclose(out.mean(axis=0), [1.0, -1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), [2.0, 0.5, 1.0], rtol=1e-3)


def test_batchnorm_running_averages_follow_the_slides(rng):
    m = 0.8
    bn = BatchNorm(3, momentum=m)
    mu, var = np.zeros(3), np.ones(3)   # the starting running statistics
    for _ in range(3):
        X = batch(rng, 50)
        bn.forward(X, train=True)
        mu = m * mu + (1 - m) * X.mean(axis=0)        # mu = m mu + (1 - m) mu_B
        var = m * var + (1 - m) * X.var(axis=0)       # sigma^2 = m sigma^2 + (1 - m) sigma_B^2 (1/N_B)
        np.testing.assert_allclose(bn.running_mean, mu)
        np.testing.assert_allclose(bn.running_var, var)


def test_batchnorm_test_mode_uses_running_stats():
    bn = BatchNorm(3)
    bn.running_mean[...] = [1.0, 2.0, 3.0]
    bn.running_var[...] = [4.0, 9.0, 16.0]
    bn.params["gamma"][...] = [1.0, 2.0, 3.0]
    bn.params["beta"][...] = [0.0, 1.0, -1.0]
    X = np.array([[3.0, 5.0, 7.0], [1.0, 2.0, 3.0]])
    out = bn.forward(X, train=False)
    expected = [1.0, 2.0, 3.0] * (X - [1.0, 2.0, 3.0]) / np.sqrt(np.array([4.0, 9.0, 16.0]) + bn.eps) + [0, 1, -1]
    np.testing.assert_allclose(out, expected)
    np.testing.assert_allclose(out[1], [0.0, 1.0, -1.0])
    before = bn.running_mean.copy()
    bn.forward(X * 10, train=False)
    np.testing.assert_array_equal(bn.running_mean, before)  # test mode never updates the statistics


def test_batchnorm_rejects_single_sample_batches_in_train_mode():
    with pytest.raises(ValueError, match="at least 2 samples"):
        BatchNorm(2).forward(np.ones((1, 2)), train=True)


def test_sequential_composes_and_lists_parameters(rng):
    d1, d2 = Dense(2, 3, rng=rng), Dense(3, 1, rng=rng)
    model = Sequential(d1, A.ReLU(), d2)
    X = rng.normal(size=(4, 2))
    expected = np.maximum(X @ d1.params["W"] + d1.params["b"], 0) @ d2.params["W"] + d2.params["b"]
    np.testing.assert_allclose(model(X), expected)
    np.testing.assert_allclose(model.predict(X), expected)
    names = [(type(layer).__name__, name, p.shape) for layer, name, p, g in model.parameters()]
    assert names == [("Dense", "W", (2, 3)), ("Dense", "b", (3,)), ("Dense", "W", (3, 1)), ("Dense", "b", (1,))]
    assert Sequential([d1, d2]).layers == [d1, d2]


def test_sequential_rejects_non_layers():
    with pytest.raises(TypeError, match=r"layers\[1\]"):
        Sequential(A.ReLU(), "relu")


def test_mlp_structure(rng):
    model = mlp([2, 16, 16, 1], rng=rng, activation="tanh", output_activation="sigmoid")
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Dense", "Tanh", "Dense", "Tanh", "Dense", "Sigmoid"]
    assert [layer.params["W"].shape for layer in model.layers[::2]] == [(2, 16), (16, 16), (16, 1)]
    out = model(rng.normal(size=(5, 2)))
    assert out.shape == (5, 1) and np.all((out > 0) & (out < 1))


def test_mlp_needs_two_sizes(rng):
    with pytest.raises(ValueError, match="sizes"):
        mlp([3], rng=rng)


# ---------------------------------------------------------------- batch norm: the convolutional form
from nnlab.gradcheck import check_layer  # noqa: E402


def conv_batch(rng, n=4, c=3, h=2, w=3):
    """Feature maps (N, C, H, W) whose channels have different means and spreads."""
    scale, shift = np.array([1.0, 4.0, 0.3])[:c], np.array([2.0, -1.0, 5.0])[:c]
    return rng.normal(size=(n, c, h, w)) * scale[:, None, None] + shift[:, None, None]


def as_rows(X):
    """(N, C, H, W) -> (N * H * W, C): one row per sample and position, one column per channel."""
    return X.transpose(0, 2, 3, 1).reshape(-1, X.shape[1])


def configured(c, rng, momentum=0.9):
    bn = BatchNorm(c, momentum=momentum)
    bn.params["gamma"][...] = rng.uniform(0.5, 2.0, size=c)
    bn.params["beta"][...] = rng.normal(size=c)
    bn.running_mean[...] = rng.normal(size=c)
    bn.running_var[...] = rng.uniform(0.5, 2.0, size=c)
    return bn


@pytest.mark.parametrize("shape", [(5, 3), (7, 1), (3, 3, 2, 2), (2, 2, 3, 1), (1, 3, 2, 2)])
@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_gradient_check_2d_and_4d(shape, train):
    rng = np.random.default_rng(sum(shape) + train)
    bn = configured(shape[1], rng)
    X = rng.normal(size=shape) * 2.0 + 1.0
    errors = check_layer(bn, X, rng, train=train)
    assert set(errors) == {"X", "gamma", "beta"}
    assert max(errors.values()) < 1e-7, errors


def test_batchnorm_4d_is_the_2d_form_on_one_row_per_position(rng):
    X = conv_batch(rng)
    dout = rng.normal(size=X.shape)
    conv, flat = BatchNorm(3, momentum=0.7), BatchNorm(3, momentum=0.7)
    for bn in (conv, flat):
        bn.params["gamma"][...] = [2.0, 0.5, 1.5]
        bn.params["beta"][...] = [0.0, 1.0, -1.0]
    for train in (True, False):
        out = conv.forward(X, train=train)
        out_rows = flat.forward(as_rows(X), train=train)
        np.testing.assert_allclose(as_rows(out), out_rows, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(conv.running_mean, flat.running_mean, rtol=1e-12)
        np.testing.assert_allclose(conv.running_var, flat.running_var, rtol=1e-12)
        dX = conv.backward(dout)
        dX_rows = flat.backward(as_rows(dout))
        np.testing.assert_allclose(as_rows(dX), dX_rows, rtol=1e-10, atol=1e-12)
        for name in ("gamma", "beta"):
            assert conv.grads[name].shape == (3,)
            np.testing.assert_allclose(conv.grads[name], flat.grads[name], rtol=1e-12)


def test_batchnorm_4d_statistics_are_per_channel(rng):
    X = conv_batch(rng, n=50, h=4, w=4)
    out = BatchNorm(3).forward(X, train=True)
    assert out.shape == X.shape
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    # var(x_hat) = var / (var + eps): 1 up to eps / var (eps = 1e-5, smallest var ~ 0.09)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1.0, atol=2e-4)
    # one channel's statistics are shared by all samples and positions, not per position
    assert np.max(np.abs(out.mean(axis=0))) > 0.05


def test_batchnorm_4d_running_averages_follow_the_slides(rng):
    m = 0.8
    bn = BatchNorm(3, momentum=m)
    mu, var = np.zeros(3), np.ones(3)
    for _ in range(3):
        X = conv_batch(rng, n=6)
        bn.forward(X, train=True)
        mu = m * mu + (1 - m) * X.mean(axis=(0, 2, 3))       # one number per channel
        var = m * var + (1 - m) * X.var(axis=(0, 2, 3))      # the biased variance, 1/(N H W)
        np.testing.assert_allclose(bn.running_mean, mu)
        np.testing.assert_allclose(bn.running_var, var)


def test_batchnorm_4d_test_mode_broadcasts_the_running_statistics(rng):
    bn = BatchNorm(2)
    bn.running_mean[...] = [1.0, -2.0]
    bn.running_var[...] = [4.0, 0.25]
    bn.params["gamma"][...] = [3.0, 1.0]
    bn.params["beta"][...] = [0.5, 0.0]
    X = rng.normal(size=(3, 2, 2, 2))
    out = bn.forward(X, train=False)
    np.testing.assert_allclose(out[:, 0], 3.0 * (X[:, 0] - 1.0) / np.sqrt(4.0 + bn.eps) + 0.5)
    np.testing.assert_allclose(out[:, 1], (X[:, 1] + 2.0) / np.sqrt(0.25 + bn.eps))
    np.testing.assert_array_equal(bn.running_mean, [1.0, -2.0])         # test mode never updates them
    one = bn.forward(X[:1], train=False)                                 # one sample is fine at test time
    np.testing.assert_allclose(one, out[:1])


def test_batchnorm_4d_one_sample_with_several_positions_trains(rng):
    X = conv_batch(rng, n=1, h=2, w=2)      # N = 1 but N * H * W = 4 values per channel
    out = BatchNorm(3).forward(X, train=True)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)


@pytest.mark.parametrize("X, message", [
    (np.ones((2, 3, 4)), r"X must be 2-D with shape \(N, D\) or 4-D with shape \(N, C, H, W\).*\(2, 3, 4\)"),
    (np.ones((2, 3, 2, 2, 1)), r"X must be 2-D .* or 4-D .*got shape \(2, 3, 2, 2, 1\)"),
    (np.ones((2, 4, 2, 2)), r"X must have 3 channels \(axis 1 of \(N, C, H, W\)\), got shape \(2, 4, 2, 2\)"),
    (np.ones((1, 3, 1, 1)), r"X must hold at least 2 values per channel .*N \* H \* W >= 2"),
])
def test_batchnorm_4d_bad_input_names_X_and_changes_nothing(X, message):
    bn = BatchNorm(3)
    with pytest.raises(ValueError, match=message):
        bn.forward(X, train=True)
    np.testing.assert_array_equal(bn.running_mean, 0.0)
    np.testing.assert_array_equal(bn.running_var, 1.0)
    assert bn.out is None


def test_batchnorm_4d_nan_batch_is_refused_in_train_mode():
    X = np.ones((2, 3, 2, 2))
    X[0, 1, 0, 0] = np.nan
    bn = BatchNorm(3)
    with pytest.raises(ValueError, match="X contains NaN"):
        bn.forward(X, train=True)
    np.testing.assert_array_equal(bn.running_mean, 0.0)


def test_batchnorm_2d_messages_are_kept():
    with pytest.raises(ValueError, match=r"X must be 2-D with shape \(N, D\), got shape \(3,\).*reshape"):
        BatchNorm(3).forward(np.ones(3), train=True)
    with pytest.raises(ValueError, match=r"X must have 3 features \(columns\), got shape \(4, 2\)"):
        BatchNorm(3).forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match="X must hold at least 2 samples for BatchNorm in train mode"):
        BatchNorm(3).forward([[1.0, 2.0, 3.0]], train=True)
    with pytest.raises(TypeError, match="X must be an array of numbers"):
        BatchNorm(3).forward("abc", train=True)


def test_sequential_with_a_4d_batchnorm(rng):
    model = Sequential(BatchNorm(3), A.ReLU())
    X = conv_batch(rng)
    out = model.forward(X, train=True)
    assert out.shape == X.shape and np.all(out >= 0)
    assert model.backward(np.ones_like(X)).shape == X.shape
    with pytest.raises(ValueError, match=r"layers\[1\] \(BatchNorm\(4\)\) takes 4 inputs"):
        Sequential(Dense(2, 3, rng=rng), BatchNorm(4))


def test_mlp_batch_norm_placements(rng):
    kinds = lambda m: [type(layer).__name__ for layer in m.layers]
    before = mlp([2, 4, 4, 1], rng=rng, batch_norm="before")
    after = mlp([2, 4, 4, 1], rng=rng, batch_norm="after")
    assert kinds(before) == ["Dense", "BatchNorm", "Tanh", "Dense", "BatchNorm", "Tanh", "Dense", "Sigmoid"]
    assert kinds(after) == ["Dense", "Tanh", "BatchNorm", "Dense", "Tanh", "BatchNorm", "Dense", "Sigmoid"]
    assert kinds(mlp([2, 4, 1], rng=rng)) == ["Dense", "Tanh", "Dense", "Sigmoid"]
    with pytest.raises(ValueError, match="batch_norm must be None, 'before' or 'after', got 'yes'"):
        mlp([2, 4, 1], rng=rng, batch_norm="yes")


def test_bias_before_batchnorm_gets_no_gradient(rng):
    """beta replaces the bias of the Dense layer below: in train mode that bias cannot change the output."""
    model = mlp([2, 5, 1], rng=rng, batch_norm="before")
    X = rng.normal(size=(8, 2))
    model.forward(X, train=True)
    model.backward(rng.normal(size=(8, 1)))
    dense = model.layers[0]
    assert np.max(np.abs(dense.grads["b"])) < 1e-12 * np.max(np.abs(dense.grads["W"])) + 1e-15
    assert np.max(np.abs(dense.grads["W"])) > 1e-3


# ---------------------------------------------------------------- mlp(dropout=...)
def kinds(model):
    return [type(layer).__name__ for layer in model.layers]


def test_mlp_dropout_ends_every_hidden_layer_and_never_the_output(rng):
    plain = mlp([2, 4, 3, 1], rng=rng, dropout=0.25)
    assert kinds(plain) == ["Dense", "Tanh", "Dropout", "Dense", "Tanh", "Dropout", "Dense", "Sigmoid"]
    before = mlp([2, 4, 3, 1], rng=rng, batch_norm="before", dropout=0.25)
    assert kinds(before) == ["Dense", "BatchNorm", "Tanh", "Dropout", "Dense", "BatchNorm", "Tanh", "Dropout",
                             "Dense", "Sigmoid"]
    after = mlp([2, 4, 3, 1], rng=rng, batch_norm="after", dropout=0.25)
    assert kinds(after) == ["Dense", "Tanh", "BatchNorm", "Dropout", "Dense", "Tanh", "BatchNorm", "Dropout",
                            "Dense", "Sigmoid"]
    for model in (plain, before, after):
        drops = [layer for layer in model.layers if isinstance(layer, Dropout)]
        assert len(drops) == 2 and all(d.rng is rng and d.p_drop == 0.25 and d.inverted for d in drops)
    assert kinds(mlp([2, 1], rng=rng, dropout=0.5)) == ["Dense", "Sigmoid"]     # no hidden layer, no dropout
    for none in (None, 0, 0.0):
        assert kinds(mlp([2, 4, 1], rng=rng, dropout=none)) == ["Dense", "Tanh", "Dense", "Sigmoid"]


def test_mlp_dropout_draws_nothing_at_construction_so_the_weights_stay_those_of_mlp():
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    plain = mlp([3, 5, 4, 2], rng=rng_a, batch_norm="before")
    dropped = mlp([3, 5, 4, 2], rng=rng_b, batch_norm="before", dropout=0.4)
    for (_, name, p, _), (_, name_d, q, _) in zip(plain.parameters(), dropped.parameters(), strict=True):
        assert name == name_d
        np.testing.assert_array_equal(p, q)
    assert rng_a.random() == rng_b.random()          # the generators stand at the same place afterwards


def test_mlp_dropout_masks_come_from_the_shared_generator_in_layer_order():
    rng = np.random.default_rng(3)
    model = mlp([2, 4, 3, 1], rng=rng, dropout=0.5)
    X = np.random.default_rng(4).normal(size=(6, 2))
    state = rng.bit_generator.state
    model.forward(X, train=True)
    masks = [layer.mask for layer in model.layers if isinstance(layer, Dropout)]
    rng.bit_generator.state = state
    expected = [(rng.random((6, 4)) < 0.5) / 0.5, (rng.random((6, 3)) < 0.5) / 0.5]
    for mask, want in zip(masks, expected, strict=True):
        np.testing.assert_array_equal(mask, want)
    np.testing.assert_array_equal(model.forward(X, train=False), mlp([2, 4, 3, 1], rng=np.random.default_rng(3))(X))


@pytest.mark.parametrize("batch_norm", [None, "before", "after"])
def test_mlp_with_dropout_passes_a_gradient_check_in_train_mode(batch_norm):
    """One mask for every evaluation: the shared generator is set back before each forward pass."""
    from nnlab.gradcheck import numerical_gradient, rel_error
    rng = np.random.default_rng(11)
    model = mlp([3, 5, 4, 2], rng=rng, batch_norm=batch_norm, dropout=0.3, output_activation="linear")
    X, dout = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    state = rng.bit_generator.state

    def forward():
        rng.bit_generator.state = state
        return model.forward(X, train=True)

    forward()
    dX = model.backward(dout)
    analytic = [g.copy() for _, _, _, g in model.parameters()]
    f = lambda: float(np.sum(forward() * dout))
    assert any(np.any(layer.mask == 0) for layer in model.layers if isinstance(layer, Dropout))
    assert rel_error(dX, numerical_gradient(f, X)) < 1e-7
    for (layer, name, p, _), g in zip(model.parameters(), analytic, strict=True):
        if batch_norm == "before" and isinstance(layer, Dense) and name == "b" and layer is not model.layers[-2]:
            assert np.max(np.abs(g)) < 1e-12                 # a bias before batch norm has no effect
            continue
        assert rel_error(g, numerical_gradient(f, p)) < 1e-7, (type(layer).__name__, name)


@pytest.mark.parametrize("dropout, error, message", [
    (1.0, ValueError, r"dropout must be in \[0, 1\), got 1.0"),
    (-0.1, ValueError, r"dropout must be in \[0, 1\)"),
    (float("nan"), ValueError, "dropout must be finite"),
    ("0.5", TypeError, "dropout must be a number"),
    (True, TypeError, "dropout must be a number"),
])
def test_mlp_refuses_a_bad_dropout_before_building_anything(dropout, error, message):
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    with pytest.raises(error, match=message):
        mlp([2, 4, 1], rng=rng, dropout=dropout)
    assert rng.bit_generator.state == state                 # no weight was drawn
