"""Bad input gives a clear ValueError/TypeError that names the argument and says what was expected."""
import numpy as np
import pytest

from nnlab import activations as A
from nnlab import data, init
from nnlab.clipping import clip_by_norm
from nnlab.layers import BatchNorm, Dense, Dropout, mlp
from nnlab.losses import BinaryCrossEntropy, SoftmaxCrossEntropy, SquaredError
from nnlab.optim import SGD
from nnlab.regularizers import L2
from nnlab.train import EarlyStopping, fit


@pytest.fixture
def setup(rng):
    X, y = data.moons(20, rng=rng)
    return mlp([2, 3, 1], rng=rng), X, y


def test_wrong_feature_count(rng, setup):
    model, X, y = setup
    with pytest.raises(ValueError, match=r"X must have 2 features \(columns\), got shape \(20, 3\)"):
        fit(model, np.c_[X, X[:, 0]], y, rng=rng)
    with pytest.raises(ValueError, match="X must have 2 features"):
        model(np.ones((4, 5)))
    with pytest.raises(ValueError, match="X must have 3 features"):
        BatchNorm(3).forward(np.ones((4, 2)), train=True)


def test_one_dimensional_X(rng, setup):
    model, X, y = setup
    with pytest.raises(ValueError, match=r"X must be 2-D with shape \(N, D\), got shape \(20,\).*reshape"):
        fit(model, X[:, 0], y, rng=rng)
    with pytest.raises(ValueError, match="X must be 2-D"):
        Dense(2, 1, rng=rng).forward(np.ones(2))
    with pytest.raises(TypeError, match="X must be an array of numbers"):
        fit(model, "abc", y, rng=rng)


def test_labels_of_the_wrong_shape(rng, setup):
    model, X, y = setup
    with pytest.raises(ValueError, match=r"y must have shape \(20, K\) or \(20,\)"):
        fit(model, X, y[:-1], rng=rng)
    with pytest.raises(ValueError, match=r"y must have 1 column\(s\)"):
        fit(model, X, np.c_[y, y], rng=rng)
    with pytest.raises(ValueError, match="y must have 20 labels"):
        fit(mlp([2, 3, 3], rng=rng, output_activation="linear"), X, np.r_[y, 0],
            loss="softmax_cross_entropy", rng=rng)
    with pytest.raises(ValueError, match=r"y must have shape \(2, K\)"):
        SquaredError()(np.ones((2, 1)), np.ones(3))
    with pytest.raises(ValueError, match="y must have 2 labels"):
        SoftmaxCrossEntropy()(np.ones((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"y must hold targets in \[0, 1\]"):
        BinaryCrossEntropy()(np.full((2, 1), 0.5), np.array([0, 2]))
    with pytest.raises(ValueError, match="labels must be integers in 0..2"):
        SoftmaxCrossEntropy()(np.ones((2, 3)), np.array([0, 3]))


def test_nan_input(rng, setup):
    model, X, y = setup
    X = X.copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinite values"):
        fit(model, X, y, rng=rng)
    with pytest.raises(ValueError, match="y contains NaN"):
        SquaredError()(np.ones((2, 1)), np.array([0.0, np.inf]))


@pytest.mark.parametrize("lr", [-0.1, 0.0])
def test_non_positive_learning_rate(rng, setup, lr):
    model, X, y = setup
    with pytest.raises(ValueError, match=r"lr must be in \(0, inf\], got"):
        fit(model, X, y, lr=lr, rng=rng)
    with pytest.raises(ValueError, match="lr must be in"):
        SGD(lr=lr)


def test_learning_rate_of_the_wrong_type():
    with pytest.raises(TypeError, match="lr must be a number, got '0.1'"):
        SGD(lr="0.1")
    with pytest.raises(ValueError, match="lr must be finite"):
        SGD(lr=np.nan)


@pytest.mark.parametrize("batch_size", [0, -1, 21])
def test_batch_size_out_of_range(rng, setup, batch_size):
    model, X, y = setup
    with pytest.raises(ValueError, match=rf"batch_size must be in \[1, 20\], got {batch_size}"):
        fit(model, X, y, batch_size=batch_size, rng=rng)


def test_batch_size_not_an_integer(rng, setup):
    model, X, y = setup
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        fit(model, X, y, batch_size=2.5, rng=rng)


def test_unknown_activation(rng):
    with pytest.raises(ValueError, match=r"activation must be one of \[.*'relu'.*\], got 'rectifier'"):
        A.get_activation("rectifier")
    with pytest.raises(ValueError, match="activation must be one of"):
        mlp([2, 3, 1], rng=rng, activation="softplus")
    with pytest.raises(TypeError, match="activation must be a name or an Activation"):
        A.get_activation(3)


@pytest.mark.parametrize("bad", [None, 0, np.random.RandomState(0), "seed"])
def test_rng_must_be_a_generator(setup, bad):
    model, X, y = setup
    msg = "rng must be a numpy.random.Generator"
    with pytest.raises(TypeError, match=msg):
        fit(model, X, y, rng=bad)
    with pytest.raises(TypeError, match=msg):
        Dense(2, 3, rng=bad)
    with pytest.raises(TypeError, match=msg):
        Dropout(0.5, rng=bad)
    with pytest.raises(TypeError, match=msg):
        data.moons(10, rng=bad)
    with pytest.raises(TypeError, match=msg):
        init.he_normal((2, 3), bad)


@pytest.mark.parametrize("p_drop", [-0.1, 1.0, 1.5])
def test_p_drop_outside_unit_interval(rng, p_drop):
    with pytest.raises(ValueError, match=rf"p_drop must be in \[0, 1\), got {p_drop}"):
        Dropout(p_drop, rng=rng)


def test_other_hyper_parameters(rng, setup):
    model, X, y = setup
    with pytest.raises(ValueError, match=r"epochs must be in \[1, inf\], got 0"):
        fit(model, X, y, epochs=0, rng=rng)
    with pytest.raises(TypeError, match=r"clip must be None, ClipByValue\(min, max\) or ClipByNorm"):
        fit(model, X, y, clip=("norm", 1.0), rng=rng)
    with pytest.raises(ValueError, match="early_stopping needs validation data"):
        fit(model, X, y, early_stopping=EarlyStopping(2), rng=rng)
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        fit(model, X, y, X_val=X, rng=rng)
    with pytest.raises(ValueError, match="X_val must have 2 features"):
        fit(model, X, y, X_val=np.ones((3, 4)), y_val=np.ones(3), rng=rng)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        SGD(0.1, momentum=1.0)
    with pytest.raises(ValueError, match="lam must be in"):
        L2(-1.0)
    with pytest.raises(ValueError, match="alpha must be in"):
        A.LeakyReLU(1.0)
    with pytest.raises(ValueError, match="eps must be in"):
        BatchNorm(2, eps=0.0)
    with pytest.raises(TypeError, match="in_features must be an integer"):
        Dense(2.0, 3, rng=rng)
    with pytest.raises(ValueError, match="max_norm must be in"):
        clip_by_norm(np.ones(2), -1.0)
    with pytest.raises(ValueError, match="margin must be in"):
        data.separable_blobs(10, rng=rng, margin=-0.5)
    with pytest.raises(ValueError, match="n must be in"):
        data.moons(1, rng=rng)


def test_classes_instead_of_instances(rng, setup):
    from nnlab.activations import ReLU
    from nnlab.layers import Sequential
    model, X, y = setup
    with pytest.raises(TypeError, match=r"layers\[1\] must be a layer instance, got the class ReLU: write ReLU"):
        Sequential(Dense(2, 3, rng=rng), ReLU)
    with pytest.raises(TypeError, match="loss must be a name or a loss instance, got the class SquaredError"):
        fit(model, X, y, loss=SquaredError, rng=rng)
    with pytest.raises(TypeError, match="optimizer must be an optimizer instance"):
        fit(model, X, y, optimizer=SGD, rng=rng)
    with pytest.raises(TypeError, match="regularizer must be None or an instance of L1, L2 or ElasticNet"):
        fit(model, X, y, regularizer=L2, rng=rng)
    with pytest.raises(TypeError, match="got the class ReLU: write ReLU()"):
        A.get_activation(ReLU)


def test_layers_whose_sizes_do_not_chain(rng):
    from nnlab.layers import Sequential
    with pytest.raises(ValueError, match=r"layers\[2\] \(Dense\(5, 1\)\) takes 5 inputs, but the layers before "
                                         r"it give 3 outputs"):
        Sequential(Dense(2, 3, rng=rng), A.Tanh(), Dense(5, 1, rng=rng))
    with pytest.raises(ValueError, match=r"layers\[1\] \(BatchNorm\(4\)\) takes 4 inputs"):
        Sequential(Dense(2, 3, rng=rng), BatchNorm(4))


def test_bad_sizes_for_mlp(rng):
    with pytest.raises(TypeError, match="sizes must be a list of layer widths"):
        mlp(None, rng=rng)
    with pytest.raises(TypeError, match=r"sizes\[1\] must be an integer"):
        mlp([2, 2.5, 1], rng=rng)


def test_validation_data_checked_before_training(rng, setup):
    model, X, y = setup
    before = [p.copy() for _, _, p, _ in model.parameters()]
    with pytest.raises(ValueError, match=r"y_val must have shape \(20, K\) or \(20,\)"):
        fit(model, X, y, X_val=X, y_val=y[:-1], rng=rng)
    with pytest.raises(ValueError, match="give either optimizer or lr, not both"):
        fit(model, X, y, optimizer=SGD(0.5), lr=0.1, rng=rng)
    with pytest.raises(ValueError, match="X must hold at least one sample"):
        fit(model, X[:0], y[:0], rng=rng)
    for (_, _, p, _), b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p, b)


def test_backward_misuse(rng):
    layer = Dense(2, 3, rng=rng)
    with pytest.raises(RuntimeError, match="backward was called before forward"):
        layer.backward(np.ones((4, 3)))
    layer.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"dout must have the shape of the forward output \(4, 3\), got \(4, 2\)"):
        layer.backward(np.ones((4, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        A.Tanh().backward(np.ones(3))


def test_logits_given_to_binary_cross_entropy():
    with pytest.raises(ValueError, match=r"y_hat must hold probabilities in \[0, 1\].*logits"):
        BinaryCrossEntropy()(np.array([[-3.0], [2.0]]), np.array([0, 1]))


def test_numerical_gradient_needs_a_float_array():
    from nnlab.gradcheck import numerical_gradient
    x = np.array([1, 2, 3])
    with pytest.raises(TypeError, match="x must be a float numpy array.*int64"):
        numerical_gradient(lambda: float(np.sum(x ** 2)), x)
    with pytest.raises(TypeError, match="x must be a float numpy array"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])


def test_nan_batch_does_not_poison_batch_norm():
    bn = BatchNorm(2)
    X = np.ones((4, 2))
    X[1, 0] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        bn.forward(X, train=True)
    np.testing.assert_array_equal(bn.running_mean, [0.0, 0.0])
    np.testing.assert_array_equal(bn.running_var, [1.0, 1.0])


def test_dropout_flag_and_float_shapes(rng):
    with pytest.raises(TypeError, match="inverted must be True or False, got 'no'"):
        Dropout(0.5, rng=rng, inverted="no")
    with pytest.raises(ValueError, match=r"shape must be a tuple of positive integers.*\(2.7, 3\)"):
        init.xavier_uniform((2.7, 3), rng)
