"""Friendly checks for the exercise notebooks: each runs a student's function on a few cases
and compares it with the package's reference implementation.

A check prints "✓ <name>: N cases passed" or raises ``CheckFailed`` (an AssertionError) that
names the case, what was expected, what came back and a hint. In a notebook a failed check shows
only that message, not a traceback through this module; a function that is not written yet says so
in words; an exception raised by the student's own code shows the student's own frames. Hidden tests in the graded
notebooks call ``expect_close`` / ``expect_equal`` with ``show=False`` so their inputs stay hidden.
"""

import traceback

import numpy as np

from . import activations, clipping, gradcheck, init, layers, losses, params, regularizers, train
from .topics import perceptron


class CheckFailed(AssertionError):
    """A check found a difference; the message says which case, expected, got and a hint."""

    def _render_traceback_(self):
        """What IPython shows for it: the message alone (the check's own frames say nothing)."""
        return str(self).splitlines()


class StudentCodeFailed(CheckFailed):
    """The student's function raised; shown with the student's own frames, not the check's."""

    def __init__(self, message, error):
        super().__init__(message)
        self.error = error

    def _render_traceback_(self):
        tb = self.error.__traceback__
        tb = tb.tb_next if tb is not None else None          # skip the check's own call frame
        frames = traceback.format_exception(type(self.error), self.error, tb)
        return str(self).splitlines() + [""] + "".join(frames).rstrip().splitlines()


# ---------------------------------------------------------------- generic helpers

def _show(x):
    """A short, readable rendering of a value (arrays: shape and rounded entries)."""
    if x is None:
        return "None"
    if isinstance(x, (list, tuple)) and not all(np.isscalar(v) for v in x):
        return "[" + ", ".join(_show(v) for v in x) + "]" if isinstance(x, list) else \
            "(" + ", ".join(_show(v) for v in x) + ")"
    a = np.asarray(x)
    if a.dtype == object:
        return repr(x)
    if a.ndim == 0 and np.issubdtype(a.dtype, np.number):
        return f"{a.item():.6g}"
    text = np.array2string(a, precision=4, threshold=12, edgeitems=2, suppress_small=True,
                           max_line_width=100)
    return text if a.ndim == 0 else f"{text} (shape {a.shape})"


def _fail(case, message, hint=""):
    text = f"✗ {case}: {message}"
    if hint:
        text += f"\n  Hint: {hint}"
    raise CheckFailed(text)


def _numeric(case, got, hint):
    if got is None:
        _fail(case, "your function returned None", "did you forget a `return` statement?")
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        _fail(case, f"expected numbers, got {type(got).__name__}: {got!r:.80}", hint)


def expect_close(case, got, expected, *, hint="", rtol=1e-6, atol=1e-9, show=True):
    """Fail unless ``got`` has ``expected``'s shape and values (within rtol/atol).

    show=False (hidden tests) names the case and the size of the difference, not the values.
    """
    expected = np.asarray(expected, dtype=float)
    g = _numeric(case, got, hint)
    if g.shape != expected.shape:
        _fail(case, f"expected shape {expected.shape}, got shape {g.shape}", hint)
    if not np.all(np.isfinite(g)) and np.all(np.isfinite(expected)):
        what = f": {_show(g)}" if show else ""
        _fail(case, f"expected finite values, got NaN or inf{what}", hint)
    if not np.allclose(g, expected, rtol=rtol, atol=atol):
        if not show:
            _fail(case, f"values differ from the reference (largest difference "
                        f"{np.max(np.abs(g - expected)):.3g})", hint)
        bad = np.argwhere(~np.isclose(g, expected, rtol=rtol, atol=atol))
        idx = tuple(int(i) for i in bad[0])
        where = (f" (first difference at index {idx}: expected {expected[idx]:.10g}, got {g[idx]:.10g})"
                 if g.ndim else "")
        _fail(case, f"expected {_show(expected)}, got {_show(g)}{where}", hint)


def expect_equal(case, got, expected, *, hint="", show=True):
    """Fail unless ``got == expected`` (numbers, None, or arrays compared exactly)."""
    if expected is None or got is None:
        ok = got is expected
    else:
        try:
            ok = np.shape(got) == np.shape(expected) and bool(np.all(np.asarray(got) == np.asarray(expected)))
        except (TypeError, ValueError):
            ok = False
    if not ok:
        if show:
            _fail(case, f"expected {_show(expected)}, got {_show(got)}", hint)
        _fail(case, "your result differs from the reference", hint)


def _call(case, fn, *args, **kwargs):
    """Call a student's function; turn a crash into a message that names the case."""
    if not callable(fn):
        _fail(case, f"expected a function, got {type(fn).__name__}", "pass the function itself, without ()")
    try:
        return fn(*args, **kwargs)
    except CheckFailed:
        raise
    except NotImplementedError as err:   # still the template: say so in words (the grader sees the type)
        name = getattr(fn, "__name__", "this function")
        err._render_traceback_ = lambda: [f"✗ {case}: `{name}` is not written yet. Replace "
                                          f"`raise NotImplementedError()` in it with your code, then run "
                                          f"its cell and this one again."]
        raise
    except Exception as err:  # a student's bug: report it as a failed case, with the student's frames
        raise StudentCodeFailed(f"✗ {case}: your function raised {type(err).__name__}: {err}\n"
                                f"  Hint: the lines below are your code where it failed", err) from None


def _unchanged(case, before, after, name):
    if not np.array_equal(before, after):
        _fail(case, f"your function changed its input {name} in place",
              f"work on a copy (e.g. {name} = {name}.copy() or {name} = {name} + ...) instead of "
              "`+=` on the argument")


def _passed(name, n):
    print(f"✓ {name}: {n} cases passed")


def _pair(case, got, n, what):
    if not isinstance(got, tuple) or len(got) != n:
        _fail(case, f"expected a tuple of {n} values ({what}), got {_show(got)}",
              f"end with `return {what}`")
    return got


# ---------------------------------------------------------------- 1. activations

def check_sigmoid(sigmoid):
    """Values, shape, and no overflow for huge |z| (compared with nnlab.activations.Sigmoid)."""
    ref = activations.Sigmoid()
    cases = [("z = 0", 0.0), ("z = [-2, -1, 0, 1, 2]", np.arange(-2.0, 3.0)),
             ("a (2, 3) matrix keeps its shape", np.linspace(-3, 3, 6).reshape(2, 3))]
    for case, z in cases:
        case = f"sigmoid, {case}"
        expect_close(case, _call(case, sigmoid, z), ref(z),
                     hint="sigma(z) = 1 / (1 + e^(-z)), elementwise, same shape as z")
    case = "sigmoid, z = [-1000, -50, 50, 1000] (no overflow warning allowed)"
    z = np.array([-1000.0, -50.0, 50.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            got = sigmoid(z)
        except FloatingPointError as err:
            _fail(case, f"numpy overflowed ({err})",
                  "e^(-z) overflows for large negative z. Only ever exponentiate a non-positive "
                  "number, e.g. e^(-|z|), and use a different but equal formula for z < 0")
        except NotImplementedError:
            raise
        except Exception as err:
            _fail(case, f"your function raised {type(err).__name__}: {err}")
    expect_close(case, got, ref(z), hint="for z < 0 use the equivalent form e^z / (1 + e^z)")
    _passed("sigmoid", len(cases) + 1)


def check_derivatives(sigmoid_prime, tanh_prime, relu_prime, leaky_relu_prime):
    """f'(z) of sigmoid, tanh, ReLU (f'(0) = 0) and leaky ReLU, compared with nnlab.activations."""
    z = np.array([[-30.0, -2.0, -0.5, 0.0], [0.5, 1.0, 2.0, 30.0]])
    n = 0
    for name, fn, ref, hint in [
            ("sigmoid_prime", sigmoid_prime, activations.Sigmoid(), "sigma'(z) = sigma(z) (1 - sigma(z))"),
            ("tanh_prime", tanh_prime, activations.Tanh(), "tanh'(z) = 1 - tanh(z)^2"),
            ("relu_prime", relu_prime, activations.ReLU(), "1 where z > 0, else 0 (also at z = 0)")]:
        for case, zz in [("z = 0", np.array(0.0)), ("a (2, 4) matrix from -30 to 30", z)]:
            case = f"{name}, {case}"
            expect_close(case, _call(case, fn, zz), ref.df(zz), hint=hint)
            n += 1
    for alpha in (0.01, 0.2):
        case = f"leaky_relu_prime, (2, 4) matrix, alpha = {alpha}"
        expect_close(case, _call(case, leaky_relu_prime, z, alpha=alpha),
                     activations.LeakyReLU(alpha).df(z), hint="1 where z > 0, else alpha")
        n += 1
    _passed("activation derivatives", n)


# ---------------------------------------------------------------- 2. perceptron

def _ref_perceptron_epoch(X, t, w, b, lr):
    """One epoch in the given order from (w, b), by the package's rule: (w, b, mistakes)."""
    h = perceptron.perceptron_train(X, t, lr=lr, epochs=1, rng=np.random.default_rng(0), shuffle=False,
                                    w0=w, b0=b)
    return h.w[-1], float(h.b[-1]), int(h.mistakes[0])


def _ref_train_perceptron(X, t, lr=1.0, max_epochs=100):
    """From zeros until an error-free epoch (counted) or max_epochs: (w, b, epochs run)."""
    h = perceptron.perceptron_train(X, t, lr=lr, epochs=max_epochs, rng=np.random.default_rng(0),
                                    shuffle=False)
    epochs = max_epochs if h.converged_epoch is None else h.converged_epoch + 1
    return h.w[-1], float(h.b[-1]), epochs


def _perceptron_data(rng, n, d):
    X = rng.normal(size=(n, d))
    w_true = rng.normal(size=d)
    t = np.where(X @ w_true + 0.3 >= 0, 1.0, -1.0)
    return X, t


def compare_perceptron_epoch(perceptron_epoch, X, t, w, b, lr, case, show=True):
    """One case of perceptron_epoch against the reference rule."""
    X0, w0 = X.copy(), np.array(w, dtype=float)
    got = _pair(case, _call(case, perceptron_epoch, X, t, w0, b, lr), 3, "w, b, mistakes")
    exp = _ref_perceptron_epoch(X, t, w, b, lr)
    hint = ("visit the samples in order; predict +1 when w.x + b >= 0 (sign(0) = +1), else -1; "
            "only on a mistake add lr * t_n * x_n to w and lr * t_n to b")
    expect_close(f"{case}: w", got[0], exp[0], hint=hint, show=show)
    expect_close(f"{case}: b", got[1], exp[1], hint=hint, show=show)
    expect_equal(f"{case}: number of mistakes", got[2], exp[2], hint=hint, show=show)
    _unchanged(case, X0, X, "X")
    _unchanged(case, np.array(w, dtype=float), w0, "w")


def check_perceptron_epoch(perceptron_epoch):
    """Hand-worked cases and a random one for one epoch of the perceptron rule."""
    cases = [("one sample on the boundary (w.x + b = 0 counts as +1), target -1",
              np.array([[1.0, 2.0]]), np.array([-1.0]), np.zeros(2), 0.0, 1.0),
             ("two samples, the second already right after the first update",
              np.array([[1.0, 0.0], [2.0, 0.0]]), np.array([1.0, 1.0]), np.array([-1.0, 0.0]), 0.0, 0.5),
             ("three samples, all right from the start (no update)",
              np.array([[1.0, 1.0], [-1.0, -2.0], [3.0, 0.0]]), np.array([1.0, -1.0, 1.0]),
              np.array([1.0, 1.0]), 0.0, 0.1)]
    rng = np.random.default_rng(0)
    X, t = _perceptron_data(rng, 8, 3)
    cases.append(("8 random samples in 3-D, lr = 0.3", X, t, np.zeros(3), 0.0, 0.3))
    for case, X, t, w, b, lr in cases:
        compare_perceptron_epoch(perceptron_epoch, X, t, w, b, lr, case)
    _passed("perceptron_epoch", len(cases))


def compare_train_perceptron(train_perceptron, X, t, lr, max_epochs, case, show=True):
    got = _pair(case, _call(case, train_perceptron, X, t, lr=lr, max_epochs=max_epochs), 3, "w, b, epochs")
    exp = _ref_train_perceptron(X, t, lr, max_epochs)
    hint = ("start from w = 0, b = 0; call perceptron_epoch until an epoch makes no mistake or "
            "max_epochs epochs have run; epochs counts every epoch run, the error-free one included")
    expect_close(f"{case}: w", got[0], exp[0], hint=hint, show=show)
    expect_close(f"{case}: b", got[1], exp[1], hint=hint, show=show)
    expect_equal(f"{case}: epochs", got[2], exp[2], hint=hint, show=show)


def check_train_perceptron(train_perceptron):
    """Separable data (stops when an epoch is error free) and XOR (stops at max_epochs)."""
    rng = np.random.default_rng(1)
    X, t = _perceptron_data(rng, 20, 2)
    compare_train_perceptron(train_perceptron, X, t, 1.0, 100, "20 separable points in 2-D")
    Xx = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    compare_train_perceptron(train_perceptron, Xx, np.array([-1.0, 1.0, 1.0, -1.0]), 1.0, 7,
                             "XOR (not separable: must stop after max_epochs = 7)")
    _passed("train_perceptron", 2)


# ---------------------------------------------------------------- 3. XOR and the forward pass

def _step(z):
    return activations.Step()(z)


def check_xor_network(xor_step_network, *, noise=0.0, seed=None, show=True):
    """The step network built from the returned weights computes XOR (optionally near the corners)."""
    case = "xor_step_network()"
    got = _pair(case, _call(case, xor_step_network), 4, "W1, b1, W2, b2")
    W1, b1, W2, b2 = (_numeric(case, a, "") for a in got)
    for name, a, shape in [("W1", W1, (2, 2)), ("b1", b1, (2,)), ("W2", W2, (2, 1)), ("b2", b2, (1,))]:
        if a.shape != shape:
            _fail(f"{case}: {name}", f"expected shape {shape}, got shape {a.shape}",
                  "two inputs, two hidden units, one output unit")
    X, y = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0.0, 1.0, 1.0, 0.0])
    if seed is not None:
        rng = np.random.default_rng(seed)
        X = np.repeat(X, 25, axis=0) + rng.uniform(-noise, noise, size=(100, 2))
        y = np.repeat(y, 25)
    out = _step(_step(X @ W1 + b1) @ W2 + b2)
    wrong = np.flatnonzero(out[:, 0] != y)
    if wrong.size:
        i = wrong[0]
        where = f"input {X[i].round(3)}" if show else f"{wrong.size} of {len(y)} inputs within {noise} of the corners"
        _fail(f"XOR network, {where}", f"expected output {y[i]:.0f}, got {out[i, 0]:.0f}",
              "let one hidden unit compute OR and the other AND; the output fires for OR and not AND. "
              "Put each threshold halfway between the sums it must separate")
    if seed is None:
        _passed("xor_step_network", 4)


def _two_dense(W1, b1, W2, b2, *between):
    """Sequential(Dense, *between, Dense) holding copies of the given weights (via nnlab.params)."""
    d1 = layers.Dense(*np.shape(W1), rng=np.random.default_rng(0))
    d2 = layers.Dense(*np.shape(W2), rng=np.random.default_rng(0))
    net = layers.Sequential(d1, *between, d2)
    params.load_dict(net, {"W1": W1, "b1": b1, "W2": W2, "b2": b2})
    return net


def _ref_forward(X, W1, b1, W2, b2, f, g):
    d1, d2 = _two_dense(W1, b1, W2, b2).layers
    H = f(d1.forward(X))
    return H, g(d2.forward(H))


def compare_two_layer_forward(two_layer_forward, X, W1, b1, W2, b2, f, g, case, show=True):
    got = _pair(case, _call(case, two_layer_forward, X, W1, b1, W2, b2, f, g), 2, "H, Z")
    H, Z = _ref_forward(X, W1, b1, W2, b2, f, g)
    hint = "one matrix product per layer for all samples at once: H = f(X @ W1 + b1), Z = g(H @ W2 + b2)"
    expect_close(f"{case}: H", got[0], H, hint=hint, show=show)
    expect_close(f"{case}: Z", got[1], Z, hint=hint, show=show)


def check_two_layer_forward(two_layer_forward):
    """Shapes and values of H and Z for one sample and for a batch."""
    rng = np.random.default_rng(2)
    sig = activations.Sigmoid()
    cases = [("one sample (1, 2), identity activations", (1, 2, 2, 1), lambda z: z, lambda z: z),
             ("5 samples (5, 3), 4 hidden units, 2 outputs, tanh then sigmoid", (5, 3, 4, 2), np.tanh, sig)]
    for case, (n, d, h, k), f, g in cases:
        X = rng.normal(size=(n, d))
        W1, b1, W2, b2 = rng.normal(size=(d, h)), rng.normal(size=h), rng.normal(size=(h, k)), rng.normal(size=k)
        compare_two_layer_forward(two_layer_forward, X, W1, b1, W2, b2, f, g, case)
    _passed("two_layer_forward", len(cases))


# ---------------------------------------------------------------- 4. backpropagation

def _ref_backprop(X, T, W1, b1, W2, b2):
    net = layers.Sequential(*_two_dense(W1, b1, W2, b2, activations.Sigmoid()).layers, activations.Sigmoid())
    loss, dZ = losses.SquaredError(reduction="sum")(net.forward(X), T)
    net.backward(dZ)
    return loss, params.as_dict(net, grads=True)


def compare_backprop(backprop_two_layer, X, T, W1, b1, W2, b2, case, show=True):
    got = _pair(case, _call(case, backprop_two_layer, X, T, W1, b1, W2, b2), 2, "loss, grads")
    loss, grads = _ref_backprop(X, T, W1, b1, W2, b2)
    expect_close(f"{case}: loss", got[0], loss, show=show,
                 hint="loss = 1/2 * sum over samples and outputs of (T - Z)^2 (a sum, not a mean)")
    if not isinstance(got[1], dict) or set(got[1]) != set(grads):
        _fail(f"{case}: grads", f"expected a dict with keys {sorted(grads)}, got {_show(got[1])}")
    for k in ("W2", "b2", "W1", "b1"):
        expect_close(f"{case}: grads['{k}']", got[1][k], grads[k], rtol=1e-5, atol=1e-9, show=show,
                     hint="delta2 = (Z - T) * Z (1 - Z); dW2 = H^T delta2; db2 = sum of delta2 over "
                          "samples; then delta1 = (delta2 @ W2^T) * H (1 - H)")


def _net_params(rng, d, h, k):
    return rng.normal(size=(d, h)), rng.normal(size=h) * 0.1, rng.normal(size=(h, k)), rng.normal(size=k) * 0.1


def check_backprop(backprop_two_layer):
    """Loss and the four gradients: against the package's layers and a numerical gradient check."""
    rng = np.random.default_rng(3)
    cases = [("one sample, 2 inputs, 2 hidden, 1 output", 1, 2, 2, 1),
             ("6 samples, 3 inputs, 4 hidden, 2 outputs", 6, 3, 4, 2)]
    for case, n, d, h, k in cases:
        X, T = rng.normal(size=(n, d)), rng.random(size=(n, k))
        params = _net_params(rng, d, h, k)
        compare_backprop(backprop_two_layer, X, T, *params, case)
    # the same thing seen as a gradient check: relative error to centred differences
    X, T = rng.normal(size=(4, 3)), rng.random(size=(4, 2))
    params = [p.copy() for p in _net_params(rng, 3, 5, 2)]
    _, grads = backprop_two_layer(X, T, *params)
    for name, p in zip(("W1", "b1", "W2", "b2"), params):
        num = gradcheck.numerical_gradient(lambda: backprop_two_layer(X, T, *params)[0], p)
        err = gradcheck.rel_error(grads[name], num)
        if err > 1e-6:
            _fail(f"gradient check of grads['{name}']", f"expected relative error < 1e-6, got {err:.2e}")
    _passed("backprop_two_layer (and its numerical gradient check)", len(cases) + 1)


def compare_numerical_gradient(numerical_gradient, f, x, case, show=True):
    x0 = np.array(x, dtype=float)
    got = _call(case, numerical_gradient, f, x0.copy(), h=1e-5)
    xc = x0.copy()
    exp = gradcheck.numerical_gradient(lambda: f(xc), xc, h=1e-5)
    expect_close(case, got, exp, rtol=1e-6, atol=1e-8, show=show,
                 hint="for each component i: (f(x + h e_i) - f(x - h e_i)) / (2h); put x[i] back afterwards")


def check_numerical_gradient(numerical_gradient):
    """Centred differences of known functions: sum(x^2) has gradient 2x; a matrix input keeps its shape."""
    cases = [("f(x) = sum(x^2) at x = [1, -2, 3] (gradient 2x)", lambda x: float(np.sum(x ** 2)),
              np.array([1.0, -2.0, 3.0])),
             ("f(X) = sum(sin(X) * X) for a (2, 3) matrix", lambda x: float(np.sum(np.sin(x) * x)),
              np.linspace(-1, 1, 6).reshape(2, 3))]
    for case, f, x in cases:
        compare_numerical_gradient(numerical_gradient, f, x, case)
    case = "x is unchanged after the call"
    x = np.array([0.5, 1.5])
    _call(case, numerical_gradient, lambda v: float(np.sum(v ** 3)), x, h=1e-5)
    _unchanged(case, np.array([0.5, 1.5]), x, "x")
    _passed("numerical_gradient", len(cases) + 1)


# ---------------------------------------------------------------- 5. mini-batch SGD

def compare_make_batches(make_batches, n, batch_size, seed, case, show=True):
    got = _call(case, make_batches, n, batch_size, np.random.default_rng(seed))
    exp = list(train.batches(n, batch_size, np.random.default_rng(seed)))
    hint = ("shuffle once with order = rng.permutation(n), then cut order into consecutive pieces "
            "of batch_size; the last piece may be shorter")
    if not isinstance(got, list):
        _fail(case, f"expected a list of index arrays, got {type(got).__name__}", hint)
    expect_equal(f"{case}: number of batches", len(got), len(exp), hint=hint, show=show)
    for i, (g, e) in enumerate(zip(got, exp)):
        expect_equal(f"{case}: batch {i}", np.asarray(g), e, hint=hint, show=show)


def check_make_batches(make_batches, count_iterations):
    """Batches equal nnlab.train.batches for the same seed; iteration counts for several sizes."""
    cases = [("n = 10, batch_size = 4 (last batch has 2)", 10, 4, 0),
             ("n = 6, batch_size = 6 (one full batch)", 6, 6, 1),
             ("n = 5, batch_size = 1 (stochastic)", 5, 1, 2)]
    for case, n, bs, seed in cases:
        compare_make_batches(make_batches, n, bs, seed, case)
    counts = [(10, 4, 3, 9), (6, 6, 5, 5), (5, 1, 2, 10), (100, 32, 1, 4)]
    for n, bs, epochs, expected in counts:
        case = f"count_iterations(n={n}, batch_size={bs}, epochs={epochs})"
        expect_equal(case, _call(case, count_iterations, n, bs, epochs), expected,
                     hint="each epoch has ceil(n / batch_size) iterations")
    _passed("make_batches and count_iterations", len(cases) + len(counts))


def _ref_minibatch_sgd(X, y, w, lr, batch_size, epochs, rng):
    w, iterations = np.array(w, dtype=float), 0
    for _ in range(epochs):
        for idx in train.batches(len(X), batch_size, rng):
            Xb, yb = X[idx], y[idx]
            w = w - lr * Xb.T @ (Xb @ w - yb) / len(idx)
            iterations += 1
    return w, iterations


def compare_minibatch_sgd(minibatch_sgd, X, y, w, lr, batch_size, epochs, seed, case, show=True):
    w0 = np.array(w, dtype=float)
    got = _pair(case, _call(case, minibatch_sgd, X, y, w0, lr=lr, batch_size=batch_size, epochs=epochs,
                            rng=np.random.default_rng(seed)), 2, "w, iterations")
    exp = _ref_minibatch_sgd(X, y, w, lr, batch_size, epochs, np.random.default_rng(seed))
    hint = ("each epoch: batches = make_batches(n, batch_size, rng); for each batch B: "
            "w <- w - lr * X_B^T (X_B w - y_B) / |B|, and count one iteration")
    expect_close(f"{case}: w", got[0], exp[0], hint=hint, show=show)
    expect_equal(f"{case}: iterations", got[1], exp[1], hint=hint, show=show)
    _unchanged(case, np.array(w, dtype=float), w0, "w")


def check_minibatch_sgd(minibatch_sgd):
    """Exact weights and iteration counts, same rng as the reference."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(10, 2))
    y = X @ np.array([2.0, -1.0]) + 0.1 * rng.normal(size=10)
    cases = [("one epoch, batch_size = 10 (full batch)", 0.1, 10, 1),
             ("3 epochs, batch_size = 4", 0.1, 4, 3),
             ("2 epochs, batch_size = 1 (stochastic)", 0.05, 1, 2)]
    for case, lr, bs, epochs in cases:
        compare_minibatch_sgd(minibatch_sgd, X, y, np.zeros(2), lr, bs, epochs, 7, case)
    _passed("minibatch_sgd", len(cases))


# ---------------------------------------------------------------- 6. regularization

_PENALTIES = {"l1": lambda lam, beta: regularizers.L1(lam), "l2": lambda lam, beta: regularizers.L2(lam),
              "elastic_net": lambda lam, beta: regularizers.ElasticNet(lam, beta)}


def compare_penalty(penalty, W, kind, lam, beta, case, show=True):
    W0 = np.array(W, dtype=float)
    got = _pair(case, _call(case, penalty, W0, kind, lam, beta=beta), 2, "value, grad")
    reg = _PENALTIES[kind](lam, beta)
    hints = {"l1": "lam * sum |W|; its gradient is lam * sign(W) (0 at W = 0)",
             "l2": "lam * sum W^2; its gradient is 2 lam W",
             "elastic_net": "lam * sum (beta W^2 + |W|); gradient lam (2 beta W + sign(W))"}
    expect_close(f"{case}: value", got[0], reg(W), hint=hints[kind], show=show)
    expect_close(f"{case}: grad", got[1], reg.grad(W), hint=hints[kind], show=show)
    _unchanged(case, np.array(W, dtype=float), W0, "W")


def check_penalty(penalty):
    """Value and gradient of the L1, L2 and elastic-net penalties against nnlab.regularizers."""
    W = np.array([[1.0, -2.0, 0.0], [0.5, 0.0, -0.25]])
    cases = [("L1, lam = 0.1", "l1", 0.1, 1.0), ("L2, lam = 0.1", "l2", 0.1, 1.0),
             ("elastic net, lam = 0.1, beta = 1", "elastic_net", 0.1, 1.0),
             ("elastic net, lam = 0.01, beta = 3", "elastic_net", 0.01, 3.0)]
    for case, kind, lam, beta in cases:
        compare_penalty(penalty, W, kind, lam, beta, f"{case}, W of shape (2, 3)")
    _passed("penalty", len(cases))


def _ref_early_stopping(val_losses, patience):
    best, best_epoch = np.inf, None
    for epoch, v in enumerate(val_losses):
        if v < best:
            best, best_epoch = v, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, None


def compare_early_stopping(early_stopping, val_losses, patience, case, show=True):
    got = _pair(case, _call(case, early_stopping, list(val_losses), patience), 2, "best_epoch, stopped_epoch")
    exp = _ref_early_stopping(val_losses, patience)
    hint = ("a loss counts as better only if strictly smaller than the best so far; stop at the first "
            "epoch that is `patience` epochs after the best one; return None if training never stops")
    expect_equal(f"{case}: best_epoch", got[0], exp[0], hint=hint, show=show)
    expect_equal(f"{case}: stopped_epoch", got[1], exp[1], hint=hint, show=show)


def check_early_stopping(early_stopping):
    """Hand-made validation curves: a U shape, a tie, and a curve that keeps improving."""
    cases = [("U-shaped curve [5, 4, 3, 3.5, 3.2, 4, 5], patience = 2", [5, 4, 3, 3.5, 3.2, 4, 5], 2),
             ("a tie does not count as better: [2, 1, 1, 1], patience = 2", [2, 1, 1, 1], 2),
             ("always improving [4, 3, 2, 1], patience = 1 (never stops)", [4, 3, 2, 1], 1),
             ("patience = 1 stops one epoch after the best: [1, 2, 0]", [1, 2, 0], 1)]
    for case, curve, patience in cases:
        compare_early_stopping(early_stopping, curve, patience, case)
    _passed("early_stopping", len(cases))


# ---------------------------------------------------------------- 7. dropout

_DROP_HINT = ("draw u = rng.random(X.shape) once; keep the units with u < 1 - p_drop and divide the "
              "kept ones by 1 - p_drop (inverted dropout); return (out, mask) with out = X * mask")


def compare_dropout_forward(dropout_forward, X, p_drop, seed, case, show=True):
    ref = layers.Dropout(p_drop, rng=np.random.default_rng(seed))
    X0 = np.array(X, dtype=float)
    got = _pair(case, _call(case, dropout_forward, X0, p_drop, train=True, rng=np.random.default_rng(seed)),
                2, "out, mask")
    expect_close(f"{case}, train mode: out", got[0], ref.forward(X, train=True), hint=_DROP_HINT, show=show)
    expect_close(f"{case}, train mode: mask", got[1], ref.mask, hint=_DROP_HINT, show=show)
    got = _pair(case, _call(case, dropout_forward, X0, p_drop, train=False, rng=np.random.default_rng(seed)),
                2, "out, mask")
    expect_close(f"{case}, test mode: out", got[0], ref.forward(X, train=False), show=show,
                 hint="with inverted dropout, test time is the identity: out = X and mask = None")
    expect_equal(f"{case}, test mode: mask", got[1], None, hint="return mask = None in test mode")
    _unchanged(case, np.array(X, dtype=float), X0, "X")


def check_dropout_forward(dropout_forward):
    """Same mask as nnlab.layers.Dropout (p_drop, inverted) for the same seed; test mode; E[out] = X."""
    cases = [("X of ones (4, 5), p_drop = 0.5", np.ones((4, 5)), 0.5, 0),
             ("X (3, 6), p_drop = 0.2", np.arange(18.0).reshape(3, 6) - 9, 0.2, 1),
             ("p_drop = 0 keeps everything", np.arange(6.0).reshape(2, 3), 0.0, 2)]
    for case, X, p, seed in cases:
        compare_dropout_forward(dropout_forward, X, p, seed, case)
    case = "mean output over 20000 units of 1, p_drop = 0.3"
    out, _ = _pair(case, _call(case, dropout_forward, np.ones((200, 100)), 0.3, train=True,
                               rng=np.random.default_rng(3)), 2, "out, mask")
    expect_close(case, np.mean(out), 1.0, atol=0.03, rtol=0,
                 hint="inverted dropout keeps E[out] = X: divide the kept units by 1 - p_drop")
    _passed("dropout_forward", len(cases) + 1)


def compare_dropout_backward(dropout_forward, dropout_backward, X, p_drop, seed, case, show=True):
    ref = layers.Dropout(p_drop, rng=np.random.default_rng(seed))
    ref.forward(X, train=True)
    _, mask = _pair(case, _call(case, dropout_forward, X, p_drop, train=True, rng=np.random.default_rng(seed)),
                    2, "out, mask")
    dout = np.cos(np.arange(X.size, dtype=float)).reshape(X.shape)
    expect_close(f"{case}, train mode: dX", _call(case, dropout_backward, dout, mask), ref.backward(dout),
                 show=show, hint="the output is X * mask, so dL/dX = dout * mask (the same mask)")
    ref.forward(X, train=False)
    expect_close(f"{case}, test mode (mask = None): dX", _call(case, dropout_backward, dout, None),
                 ref.backward(dout), show=show,
                 hint="with mask = None the layer was the identity, so dX = dout")


def check_dropout_backward(dropout_forward, dropout_backward):
    """dX = dout * mask with the forward pass's own mask; the identity in test mode."""
    cases = [("X (4, 5), p_drop = 0.5", np.ones((4, 5)), 0.5, 0),
             ("X (2, 7), p_drop = 0.1", np.arange(14.0).reshape(2, 7), 0.1, 4)]
    for case, X, p, seed in cases:
        compare_dropout_backward(dropout_forward, dropout_backward, X, p, seed, case)
    _passed("dropout_backward", 2 * len(cases))


# ---------------------------------------------------------------- 8. batch normalization

def _ref_bn(gamma, beta, running_mean, running_var, momentum, eps):
    bn = layers.BatchNorm(len(gamma), momentum=momentum, eps=eps)
    bn.params.update(gamma=np.array(gamma, dtype=float), beta=np.array(beta, dtype=float))
    bn.running_mean, bn.running_var = np.array(running_mean, dtype=float), np.array(running_var, dtype=float)
    return bn


def compare_batchnorm_forward(batchnorm_forward, X, gamma, beta, rm, rv, train, momentum, case, show=True):
    bn = _ref_bn(gamma, beta, rm, rv, momentum, 1e-5)
    got = _pair(case, _call(case, batchnorm_forward, X, gamma, beta, rm.copy(), rv.copy(), train=train,
                            momentum=momentum, eps=1e-5), 4, "out, running_mean, running_var, cache")
    out = bn.forward(X, train=train)
    mode = "train" if train else "test"
    hint = ("train: normalise with the batch mean and (biased, 1/N) variance and update "
            "mu <- m mu + (1 - m) mu_B, sigma^2 <- m sigma^2 + (1 - m) sigma_B^2; test: normalise "
            "with the running averages and leave them unchanged") 
    expect_close(f"{case}, {mode} mode: out", got[0], out, hint=hint, show=show)
    expect_close(f"{case}, {mode} mode: running_mean", got[1], bn.running_mean, hint=hint, show=show)
    expect_close(f"{case}, {mode} mode: running_var", got[2], bn.running_var, hint=hint, show=show)
    return got[3]


def _bn_case(rng, n, d):
    X = rng.normal(2.0, 3.0, size=(n, d))
    return X, rng.uniform(0.5, 2, size=d), rng.normal(size=d), rng.normal(size=d), rng.uniform(0.5, 2, size=d)


def check_batchnorm_forward(batchnorm_forward):
    """Output and running averages in train and test mode, against nnlab.layers.BatchNorm."""
    rng = np.random.default_rng(8)
    n = 0
    for case, (N, D), m in [("X (4, 3), momentum 0.9", (4, 3), 0.9), ("X (10, 2), momentum 0.5", (10, 2), 0.5)]:
        X, g, b, rm, rv = _bn_case(rng, N, D)
        for mode in (True, False):
            compare_batchnorm_forward(batchnorm_forward, X, g, b, rm, rv, mode, m, case)
            n += 1
    _passed("batchnorm_forward", n)


def compare_batchnorm_backward(batchnorm_forward, batchnorm_backward, X, g, b, rm, rv, train, case, show=True):
    bn = _ref_bn(g, b, rm, rv, 0.9, 1e-5)
    out = bn.forward(X, train=train)
    dout = np.sin(np.arange(out.size, dtype=float) + 1).reshape(out.shape)
    dX = bn.backward(dout)
    cache = _pair(case, _call(case, batchnorm_forward, X, g, b, rm.copy(), rv.copy(), train=train,
                              momentum=0.9, eps=1e-5), 4, "out, running_mean, running_var, cache")[3]
    got = _pair(case, _call(case, batchnorm_backward, dout, cache), 3, "dX, dgamma, dbeta")
    mode = "train" if train else "test"
    hint = ("dbeta = sum of dout over the batch; dgamma = sum of dout * x_hat; in train mode "
            "dX = (1/sigma) (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)) with dx_hat = dout * gamma "
            "(means over the batch axis); in test mode the statistics are constants: dX = dx_hat / sigma")
    expect_close(f"{case}, {mode} mode: dX", got[0], dX, rtol=1e-5, atol=1e-8, hint=hint, show=show)
    expect_close(f"{case}, {mode} mode: dgamma", got[1], bn.grads["gamma"], rtol=1e-5, hint=hint, show=show)
    expect_close(f"{case}, {mode} mode: dbeta", got[2], bn.grads["beta"], rtol=1e-5, hint=hint, show=show)


def check_batchnorm_backward(batchnorm_forward, batchnorm_backward):
    """dX, dgamma, dbeta against nnlab.layers.BatchNorm (itself gradient-checked) in both modes."""
    rng = np.random.default_rng(9)
    n = 0
    for case, (N, D) in [("X (5, 3)", (5, 3)), ("X (2, 4), the smallest batch", (2, 4))]:
        X, g, b, rm, rv = _bn_case(rng, N, D)
        for mode in (True, False):
            compare_batchnorm_backward(batchnorm_forward, batchnorm_backward, X, g, b, rm, rv, mode, case)
            n += 1
    _passed("batchnorm_backward", n)


# ---------------------------------------------------------------- 9. gradient clipping

def _as_list(case, got, n):
    if not isinstance(got, (list, tuple)) or len(got) != n:
        _fail(case, f"expected a list of {n} arrays, got {_show(got)}", "return one clipped array per input array")
    return got


def compare_clip(fn, ref, grads, args, case, hint, show=True):
    before = [g.copy() for g in grads]
    got = _as_list(case, _call(case, fn, grads, *args), len(grads))
    exp = ref([g.copy() for g in grads], *args)
    for i, (g, e) in enumerate(zip(got, exp)):
        expect_close(f"{case}: array {i}", g, e, hint=hint, show=show)
    for b, g in zip(before, grads):
        _unchanged(case, b, g, "grads")


_VALUE_HINT = "clip every component into [min_value, max_value] (np.clip), each array separately"
_NORM_HINT = ("the norm is over all arrays together: sqrt(sum of all squared components); "
              "only if it exceeds max_norm multiply every array by max_norm / norm")


def check_clip_by_value(clip_by_value):
    """Components clipped into [min, max]; inputs left alone; compared with nnlab.clipping."""
    grads = [np.array([[-3.0, 0.5], [2.0, -0.2]]), np.array([10.0, -10.0, 0.0])]
    cases = [("two arrays, range [-1, 1]", grads, (-1.0, 1.0)),
             ("asymmetric range [-0.5, 2]", grads, (-0.5, 2.0)),
             ("nothing to clip, range [-100, 100]", grads, (-100.0, 100.0))]
    for case, g, args in cases:
        compare_clip(clip_by_value, clipping.clip_by_value, g, args, case, _VALUE_HINT)
    _passed("clip_by_value", len(cases))


def check_clip_by_norm(clip_by_norm):
    """Global norm rescaling; below the threshold nothing changes; compared with nnlab.clipping."""
    grads = [np.array([[3.0, 0.0], [0.0, 0.0]]), np.array([4.0])]  # global norm 5
    cases = [("global norm 5, max_norm 1 (rescale to norm 1)", grads, (1.0,)),
             ("global norm 5, max_norm 10 (unchanged)", grads, (10.0,)),
             ("global norm 5, max_norm 5 (exactly at the threshold: unchanged)", grads, (5.0,)),
             ("one array [0.3, -0.4] (norm 0.5), max_norm 0.25", [np.array([0.3, -0.4])], (0.25,))]
    for case, g, args in cases:
        compare_clip(clip_by_norm, clipping.clip_by_norm, g, args, case, _NORM_HINT)
    _passed("clip_by_norm", len(cases))


# ---------------------------------------------------------------- 10. initialization

def compare_initializer(fn, ref, shape, seed, case, show=True):
    got = _call(case, fn, shape, np.random.default_rng(seed))
    hints = {init.xavier_uniform: "U(-r, r) with r = sqrt(3 / fan_avg), fan_avg = (fan_in + fan_out) / 2; "
                                  "draw once with rng.uniform(-r, r, size=shape)",
             init.he_normal: "N(0, sigma^2) with sigma^2 = 2 / fan_in (fan_in = shape[0]); "
                             "draw once with rng.normal(0.0, sigma, size=shape)"}
    expect_close(case, got, ref(shape, np.random.default_rng(seed)), hint=hints[ref], show=show)


def check_initializers(xavier_uniform, he_normal):
    """Exactly the package's draws for the same seed, and the variance the formula promises."""
    n = 0
    for name, fn, ref in [("xavier_uniform", xavier_uniform, init.xavier_uniform),
                          ("he_normal", he_normal, init.he_normal)]:
        for shape, seed in [((3, 2), 0), ((50, 20), 1)]:
            compare_initializer(fn, ref, shape, seed, f"{name}(shape={shape}, seed {seed})")
            n += 1
        case = f"{name}: variance of a (400, 600) weight matrix"
        W = _numeric(case, _call(case, fn, (400, 600), np.random.default_rng(2)), "")
        target = 1 / 500 if ref is init.xavier_uniform else 2 / 400
        expect_close(case, np.var(W), target, rtol=0.05, atol=0,
                     hint="Xavier: Var(W) = 1 / fan_avg; He: Var(W) = 2 / fan_in")
        n += 1
    _passed("xavier_uniform and he_normal", n)


def _ref_forward_variances(X, weights, activation):
    out, a = [], X
    for W in weights:
        a = activation(a @ W)
        out.append(float(np.var(a)))
    return out


def compare_forward_variances(forward_variances, X, weights, activation, case, show=True):
    got = _call(case, forward_variances, X, weights, activation)
    hint = "a = activation(a @ W) for each W in turn, starting from a = X; record np.var(a) after each layer"
    if not isinstance(got, (list, tuple)):
        _fail(case, f"expected a list of {len(weights)} floats, got {_show(got)}", hint)
    expect_close(case, np.asarray(got, dtype=float), _ref_forward_variances(X, weights, activation),
                 hint=hint, show=show)


def check_forward_variances(forward_variances, xavier_uniform, he_normal):
    """Variances layer by layer; then He + ReLU and Xavier + tanh keep them, a tiny N(0, 0.01^2) loses them."""
    rng = np.random.default_rng(10)
    X = rng.normal(size=(3, 2))
    Ws = [rng.normal(size=(2, 4)), rng.normal(size=(4, 1))]
    compare_forward_variances(forward_variances, X, Ws, np.tanh, "X (3, 2) through (2, 4) and (4, 1), tanh")
    relu = activations.ReLU()
    X = rng.normal(size=(500, 256))
    kept = []
    for name, init_fn, act, low, high in [("He normal + ReLU", he_normal, relu, 0.5, 2.0),
                                          ("Xavier uniform + tanh", xavier_uniform, np.tanh, 0.05, 1.0)]:
        case = f"{name}, 10 layers of 256 units"
        Ws = [_call(case, init_fn, (256, 256), rng) for _ in range(10)]
        v = np.asarray(_call(case, forward_variances, X, Ws, act), dtype=float)
        ratio = v[-1] / v[0]
        if not low <= ratio <= high:
            _fail(case, f"expected the variance of layer 10 to be within [{low}, {high}] times that "
                        f"of layer 1, got {ratio:.3g}", "check the initializer's variance formula")
        kept.append(f"{name}: {ratio:.2f}")
    naive = _ref_forward_variances(X, [init.normal((256, 256), rng, sigma=0.01) for _ in range(10)], np.tanh)
    print("  variance of layer 10 / layer 1: " + "; ".join(kept) + f"; naive N(0, 0.01^2) + tanh: "
          f"{naive[-1] / naive[0]:.0e}")
    _passed("forward_variances", 3)


__all__ = [name for name in dir() if name.startswith(("check_", "compare_", "expect_"))] + ["CheckFailed"]
