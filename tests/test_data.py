"""Toy data sets: shapes, label balance, determinism, separability, noise=0 geometry."""
import numpy as np
import pytest

from nnlab import data

TWO_CLASS = ["separable_blobs", "overlapping_blobs", "moons", "circles", "xor"]


@pytest.mark.parametrize("name", sorted(data.DATASETS))
@pytest.mark.parametrize("n", [4, 7, 200])
def test_shapes_and_dtypes(rng, name, n):
    X, y = data.DATASETS[name](n, rng=rng)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert X.dtype == float and np.issubdtype(y.dtype, np.integer)
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", TWO_CLASS)
@pytest.mark.parametrize("n", [8, 9, 200, 201])
def test_two_classes_balanced(rng, name, n):
    _, y = data.DATASETS[name](n, rng=rng)
    counts = np.bincount(y)
    assert len(counts) == 2 and abs(counts[0] - counts[1]) <= 1


@pytest.mark.parametrize("classes", [2, 3, 5])
def test_spirals_classes_balanced(rng, classes):
    _, y = data.spirals(100, rng=rng, classes=classes)
    counts = np.bincount(y)
    assert len(counts) == classes and counts.max() - counts.min() <= 1


@pytest.mark.parametrize("name", sorted(data.DATASETS))
def test_determinism(name):
    make = data.DATASETS[name]
    X1, y1 = make(50, rng=np.random.default_rng(3))
    X2, y2 = make(50, rng=np.random.default_rng(3))
    X3, _ = make(50, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("noise, margin, seed", [(0.5, 0.2, 0), (2.0, 0.2, 1), (3.0, 0.5, 2), (0.1, 0.0, 3)])
def test_separable_blobs_are_separated_by_the_line(noise, margin, seed):
    X, y = data.separable_blobs(500, noise=noise, margin=margin, rng=np.random.default_rng(seed))
    signed = (X[:, 0] + X[:, 1]) / np.sqrt(2) * np.where(y == 1, 1, -1)   # distance to x1 + x2 = 0, signed
    assert signed.min() >= margin - 1e-12
    # so the perceptron-style rule sign(x1 + x2) classifies every point
    np.testing.assert_array_equal((X.sum(axis=1) > 0).astype(int), y)


def test_separable_blobs_only_move_points_along_the_normal(rng):
    X0, _ = data.overlapping_blobs(300, noise=1.0, rng=np.random.default_rng(8))
    X1, _ = data.separable_blobs(300, noise=1.0, margin=0.2, rng=np.random.default_rng(8))
    # the coordinate along the line (x1 - x2) is unchanged
    np.testing.assert_allclose(X0[:, 0] - X0[:, 1], X1[:, 0] - X1[:, 1], atol=1e-12)


def test_overlapping_blobs_overlap(rng):
    X, y = data.overlapping_blobs(1000, noise=1.0, rng=rng)
    wrong = (X.sum(axis=1) > 0).astype(int) != y
    assert 0.05 < wrong.mean() < 0.4


def test_noise_zero_blobs_sit_at_the_centres(rng):
    X, y = data.overlapping_blobs(10, noise=0.0, rng=rng, distance=4.0)
    c = 4.0 / (2 * np.sqrt(2))
    np.testing.assert_allclose(X[y == 0], -c)
    np.testing.assert_allclose(X[y == 1], c)
    assert np.linalg.norm(X[y == 1][0] - X[y == 0][0]) == pytest.approx(4.0)


def test_noise_zero_xor_is_the_truth_table(rng):
    X, y = data.xor(12, noise=0.0, rng=rng)
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]).astype(int))
    assert set(map(tuple, X)) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    Xt, yt = data.xor_table()
    np.testing.assert_array_equal(Xt, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(yt, [0, 1, 1, 0])


def test_noise_zero_moons_lie_on_half_circles(rng):
    X, y = data.moons(200, noise=0.0, rng=rng)
    a, b = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(a[:, 0], a[:, 1]), 1.0)           # upper unit half circle
    assert np.all(a[:, 1] >= 0)
    np.testing.assert_allclose(np.hypot(b[:, 0] - 1, b[:, 1] - 0.5), 1.0)  # lower one, centred at (1, 0.5)
    assert np.all(b[:, 1] <= 0.5)


def test_noise_zero_circles_have_radius_one_and_factor(rng):
    X, y = data.circles(100, noise=0.0, rng=rng, factor=0.3)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)


def test_noise_zero_spirals_start_at_the_origin(rng):
    X, _ = data.spirals(100, noise=0.0, rng=rng)
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 1.0


@pytest.mark.parametrize("target", sorted(data.TARGETS))
def test_regression_1d(rng, target):
    X, y = data.regression_1d(50, noise=0.0, rng=rng, target=target)
    assert X.shape == (50, 1) and y.shape == (50, 1)
    assert np.all(np.diff(X[:, 0]) >= 0) and np.abs(X).max() <= 1
    np.testing.assert_allclose(y[:, 0], data.TARGETS[target](X[:, 0]))
    assert data.TARGETS["sine"](np.array([0.5]))[0] == pytest.approx(1.0)


def test_train_val_split(rng):
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    Xt, yt, Xv, yv = data.train_val_split(X, y, val_fraction=0.3, rng=rng)
    assert len(Xv) == 3 and len(Xt) == 7
    assert sorted(np.r_[yt, yv]) == list(range(10))
    np.testing.assert_array_equal(Xt[:, 0], 2 * yt)   # rows stay with their labels
    np.testing.assert_array_equal(Xv[:, 0], 2 * yv)


def test_bad_arguments(rng):
    with pytest.raises(ValueError, match="target must be one of"):
        data.regression_1d(10, rng=rng, target="sawtooth")
    with pytest.raises(ValueError, match="noise"):
        data.moons(10, noise=-0.1, rng=rng)
    with pytest.raises(ValueError, match="n must be"):
        data.xor(3, rng=rng)
    with pytest.raises(ValueError, match="factor"):
        data.circles(10, rng=rng, factor=1.5)
    with pytest.raises(ValueError, match="val_fraction"):
        data.train_val_split(np.ones((4, 2)), np.ones(4), val_fraction=1.0, rng=rng)


def test_train_val_split_rejects_mismatched_lengths(rng):
    with pytest.raises(ValueError, match="y must have one label per row of X"):
        data.train_val_split(np.ones((5, 2)), np.ones(4), rng=rng)


def test_train_val_split_keeps_at_least_one_training_sample(rng):
    Xt, yt, Xv, yv = data.train_val_split(np.arange(6.0).reshape(3, 2), np.arange(3), val_fraction=0.9, rng=rng)
    assert len(Xt) == 1 and len(Xv) == 2 and sorted(np.r_[yt, yv]) == [0, 1, 2]


def test_digits_ships_with_the_package_and_is_scikit_learns():
    X, y = data.digits()
    assert X.shape == (1797, 64) and X.dtype == float and y.shape == (1797,) and np.issubdtype(y.dtype, np.integer)
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.unique(X * 16), np.arange(17))      # 17 grey levels, 0/16 .. 16/16
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    assert np.bincount(y).min() >= 170                                   # about 180 images per digit
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    reference = sklearn_datasets.load_digits()
    np.testing.assert_array_equal(X * 16, reference.data)                # exactly, pixel by pixel
    np.testing.assert_array_equal(y, reference.target)


def test_digits_returns_fresh_arrays():
    X1, y1 = data.digits()
    X1[0, 0], y1[0] = 99.0, 99
    X2, y2 = data.digits()
    assert X2[0, 0] != 99.0 and y2[0] != 99


# ---------------------------------------------------------------- input features
def test_features_are_the_plain_numpy_expressions(rng):
    X = rng.normal(size=(30, 2))
    x1, x2 = X[:, 0], X[:, 1]
    expected = {"x1": x1, "x2": x2, "x1^2": x1 ** 2, "x2^2": x2 ** 2, "x1*x2": x1 * x2,
                "sin(x1)": np.sin(x1), "sin(x2)": np.sin(x2)}
    assert list(data.FEATURES) == list(expected)
    F = data.features(X, tuple(expected))
    assert F.shape == (30, 7) and F.dtype == float
    np.testing.assert_array_equal(F, np.column_stack(list(expected.values())))    # bit for bit
    np.testing.assert_array_equal(data.features(X, ["x1*x2", "x1"]), np.c_[x1 * x2, x1])   # in the order asked
    np.testing.assert_array_equal(data.features(X, ("x2",)), X[:, 1:])


def test_features_of_one_input_take_names_on_x1(rng):
    X = rng.uniform(-1, 1, size=(12, 1))
    F = data.features(X, ("x1", "x1^2", "sin(x1)"))
    np.testing.assert_array_equal(F, np.c_[X[:, 0], X[:, 0] ** 2, np.sin(X[:, 0])])
    with pytest.raises(ValueError, match=r"^names must be features of x1 only for X of shape \(12, 1\)"):
        data.features(X, ("x1", "x1*x2"))


@pytest.mark.parametrize("X, names, error, message", [
    (np.ones((4, 2)), ("x3",), ValueError, r"^names must be feature names from \['x1', .*got 'x3'"),
    (np.ones((4, 2)), ("x1", "X1"), ValueError, "^names must be feature names from .*got 'X1'"),
    (np.ones((4, 2)), ("x1", 1), ValueError, "^names must be feature names from .*got 1"),
    (np.ones((4, 2)), (), ValueError, "^names must list at least one feature"),
    (np.ones((4, 2)), "x1", TypeError, "^names must be a tuple or list"),
    (np.ones((4, 2)), None, TypeError, "^names must be a tuple or list"),
    (np.ones(4), ("x1",), ValueError, r"^X must be 2-D with shape \(N, D\), got shape \(4,\)"),
    (np.ones((4, 3)), ("x1",), ValueError, r"^X must hold the raw inputs x1, x2 .*got shape \(4, 3\)"),
    (np.ones((4, 2, 1)), ("x1",), ValueError, "^X must be 2-D"),
    ("abc", ("x1",), TypeError, "^X must be an array of numbers"),
    (np.array([[1.0, np.nan]]), ("x1",), ValueError, "^X contains NaN"),
])
def test_features_refuse_bad_names_and_shapes(X, names, error, message):
    with pytest.raises(error, match=message):
        data.features(X, names)
