"""nnlab.checks: every check passes a correct implementation (built from the package) and fails a
wrong one with a message that names the case, the expected value and what came back."""
import re

import numpy as np
import pytest

from nnlab import activations, checks, clipping, init, layers, regularizers, train
from nnlab.checks import CheckFailed


# ---------------------------------------------------------------- correct implementations, from the package

def sigmoid(z):
    return activations.Sigmoid()(z)


def naive_sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


def perceptron_epoch(X, t, w, b, lr):
    w, b, m = np.array(w, dtype=float), float(b), 0
    for x, target in zip(X, t):
        if np.where(x @ w + b >= 0, 1.0, -1.0) != target:
            w, b, m = w + lr * target * x, b + lr * target, m + 1
    return w, b, m


def train_perceptron(X, t, lr=1.0, max_epochs=100):
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(1, max_epochs + 1):
        w, b, m = perceptron_epoch(X, t, w, b, lr)
        if m == 0:
            return w, b, epoch
    return w, b, max_epochs


def xor_net():
    return np.array([[20.0, -20.0], [20.0, -20.0]]), np.array([-10.0, 30.0]), np.array([[20.0], [20.0]]), np.array([-30.0])


def forward(X, W1, b1, W2, b2, f, g):
    H = f(X @ W1 + b1)
    return H, g(H @ W2 + b2)


def backprop(X, T, W1, b1, W2, b2):
    d1, d2 = layers.Dense(*W1.shape, rng=np.random.default_rng(0)), layers.Dense(*W2.shape, rng=np.random.default_rng(0))
    d1.params.update(W=W1, b=b1)
    d2.params.update(W=W2, b=b2)
    net = layers.Sequential(d1, activations.Sigmoid(), d2, activations.Sigmoid())
    Z = net.forward(X)
    net.backward(Z - T)
    return 0.5 * float(np.sum((T - Z) ** 2)), {"W1": d1.grads["W"], "b1": d1.grads["b"],
                                               "W2": d2.grads["W"], "b2": d2.grads["b"]}


def numgrad(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    from nnlab.gradcheck import numerical_gradient
    return numerical_gradient(lambda: f(x), x, h)


def make_batches(n, batch_size, rng):
    return list(train.batches(n, batch_size, rng))


def count_iterations(n, batch_size, epochs):
    return epochs * int(np.ceil(n / batch_size))


def minibatch_sgd(X, y, w, *, lr, batch_size, epochs, rng):
    w, it = np.array(w, dtype=float), 0
    for _ in range(epochs):
        for idx in make_batches(len(X), batch_size, rng):
            w = w - lr * X[idx].T @ (X[idx] @ w - y[idx]) / len(idx)
            it += 1
    return w, it


def penalty(W, kind, lam, beta=1.0):
    reg = {"l1": regularizers.L1(lam), "l2": regularizers.L2(lam), "elastic_net": regularizers.ElasticNet(lam, beta)}[kind]
    return reg(W), reg.grad(W)


def early_stopping(losses, patience):
    best, best_epoch = np.inf, None
    for e, v in enumerate(losses):
        if v < best:
            best, best_epoch = v, e
        elif e - best_epoch >= patience:
            return best_epoch, e
    return best_epoch, None


def dropout_forward(X, p_drop, *, train, rng):
    layer = layers.Dropout(p_drop, rng=rng)
    out = layer.forward(X, train=train)
    return out, layer.mask


def dropout_backward(dout, mask):
    return dout if mask is None else dout * mask


def bn_forward(X, gamma, beta, rm, rv, *, train, momentum=0.9, eps=1e-5):
    bn = layers.BatchNorm(len(gamma), momentum=momentum, eps=eps)
    bn.params.update(gamma=gamma, beta=beta)
    bn.running_mean, bn.running_var = rm, rv
    out = bn.forward(X, train=train)
    return out, bn.running_mean, bn.running_var, bn


def bn_backward(dout, bn):
    dX = bn.backward(dout)
    return dX, bn.grads["gamma"], bn.grads["beta"]


def forward_variances(X, Ws, act):
    out, a = [], X
    for W in Ws:
        a = act(a @ W)
        out.append(float(np.var(a)))
    return out


# ---------------------------------------------------------------- (check, correct args, wrong args, case, hint word)

def _wrong_bn_forward(X, gamma, beta, rm, rv, *, train, momentum=0.9, eps=1e-5):
    out, rm2, rv2, cache = bn_forward(X, gamma, beta, rm, rv, train=train, momentum=momentum, eps=eps)
    if train:  # momentum the wrong way round
        rm2 = (1 - momentum) * rm + momentum * X.mean(axis=0)
    return out, rm2, rv2, cache


CASES = [
    ("check_sigmoid", (sigmoid,), (naive_sigmoid,), "no overflow warning allowed", "overflowed"),
    ("check_derivatives",
     tuple(a.df for a in (activations.Sigmoid(), activations.Tanh(), activations.ReLU())) + (
         lambda z, alpha=0.01: activations.LeakyReLU(alpha).df(z),),
     (activations.Sigmoid().df, activations.Tanh().df, lambda z: (np.asarray(z) >= 0).astype(float),
      lambda z, alpha=0.01: activations.LeakyReLU(alpha).df(z)),
     "relu_prime, z = 0", "expected 0, got 1"),
    ("check_perceptron_epoch", (perceptron_epoch,),
     (lambda X, t, w, b, lr: perceptron_epoch(X, t, w, b, 1.0),), "two samples", "expected"),
    ("check_train_perceptron", (train_perceptron,),
     (lambda X, t, lr=1.0, max_epochs=100: train_perceptron(X, t, lr, max_epochs)[:2] + (0,),),
     "epochs", "expected"),
    ("check_xor_network", (xor_net,), (lambda: (np.ones((2, 2)), np.zeros(2), np.ones((2, 1)), np.zeros(1)),),
     "XOR network, input [0. 0.]", "expected output 0, got 1"),
    ("check_two_layer_forward", (forward,),
     (lambda X, W1, b1, W2, b2, f, g: forward(X, W1, b1, W2, b2, g, f),), "tanh then sigmoid: H", "expected"),
    ("check_backprop", (backprop,),
     (lambda *a: (backprop(*a)[0], {**backprop(*a)[1], "b1": 0 * backprop(*a)[1]["b1"]}),),
     "grads['b1']", "expected"),
    ("check_numerical_gradient", (numgrad,),
     (lambda f, x, h=1e-5: (np.array([f(x + h * e) for e in np.eye(x.size)]).reshape(x.shape) - f(x)) / h,),
     "f(x) = sum(x^2) at x = [1, -2, 3]", "expected"),
    ("check_make_batches", (make_batches, count_iterations),
     (lambda n, bs, rng: [np.arange(n)[i:i + bs] for i in range(0, n, bs)], count_iterations),
     "n = 10, batch_size = 4", "expected"),
    ("check_minibatch_sgd", (minibatch_sgd,),
     (lambda X, y, w, *, lr, batch_size, epochs, rng: minibatch_sgd(X, y, w, lr=lr, batch_size=batch_size,
                                                                     epochs=1, rng=rng),),
     "3 epochs, batch_size = 4: w", "expected"),
    ("check_penalty", (penalty,), (lambda W, kind, lam, beta=1.0: (lam * float(np.sum(W)), lam * np.ones_like(W)),),
     "L1, lam = 0.1", "expected"),
    ("check_early_stopping", (early_stopping,),
     (lambda losses, patience: early_stopping(losses, patience + 1),), "stopped_epoch", "expected"),
    ("check_dropout_forward", (dropout_forward,),
     (lambda X, p_drop, *, train, rng: dropout_forward(X, 1 - p_drop if p_drop else 0.0, train=train, rng=rng),),
     "p_drop = 0.2, train mode", "expected"),
    ("check_dropout_backward", (dropout_forward, dropout_backward),
     (dropout_forward, lambda dout, mask: dout),
     "train mode: dX", "expected"),
    ("check_batchnorm_forward", (bn_forward,), (_wrong_bn_forward,), "train mode: running_mean", "expected"),
    ("check_batchnorm_backward", (bn_forward, bn_backward),
     (bn_forward, lambda dout, bn: (dout * bn.params["gamma"] * bn.inv_std,) + bn_backward(dout, bn)[1:]),
     "train mode: dX", "expected"),
    ("check_clip_by_value", (clipping.clip_by_value,),
     (lambda grads, lo, hi: [np.clip(g, -hi, hi) for g in grads],), "asymmetric range [-0.5, 2]", "expected"),
    ("check_clip_by_norm", (clipping.clip_by_norm,),
     (lambda grads, v: [clipping.clip_by_norm(g, v) for g in grads],), "global norm 5, max_norm 1", "expected"),
    ("check_initializers", (init.xavier_uniform, init.he_normal),
     (init.xavier_uniform, lambda shape, rng: rng.normal(0.0, np.sqrt(2.0 / shape[1]), size=shape)),
     "he_normal(shape=(3, 2)", "expected"),
    ("check_forward_variances", (forward_variances, init.xavier_uniform, init.he_normal),
     (forward_variances, init.xavier_uniform, lambda s, rng: init.normal(s, rng, sigma=0.01)),
     "He normal + ReLU, 10 layers", "expected the variance"),
]


@pytest.mark.parametrize("name, good, bad, case, words", CASES, ids=[c[0] for c in CASES])
def test_check_passes_the_reference_and_names_the_failing_case(name, good, bad, case, words, capsys):
    check = getattr(checks, name)
    check(*good)
    assert re.search(r"^✓ .+: \d+ cases passed$", capsys.readouterr().out.strip().splitlines()[-1])
    with pytest.raises(CheckFailed) as err:
        check(*bad)
    msg = str(err.value)
    assert msg.startswith("✗ ") and case in msg and words in msg, msg
    if "expected" in words:
        assert "got" in msg
    assert "Hint:" in msg or name == "check_forward_variances"


def test_every_check_is_tested():
    names = {n for n in dir(checks) if n.startswith("check_")}
    assert names == {c[0] for c in CASES}


def test_a_crash_in_the_student_function_becomes_a_named_failure():
    def broken(z):
        return z.nonexistent

    with pytest.raises(CheckFailed, match=r"sigmoid, z = 0.*raised AttributeError"):
        checks.check_sigmoid(broken)


def test_not_implemented_passes_through_unchanged():
    def todo(z):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        checks.check_sigmoid(todo)


def test_missing_return_is_explained():
    with pytest.raises(CheckFailed, match="(?s)returned None.*return"):
        checks.check_sigmoid(lambda z: None)


def test_in_place_changes_are_reported():
    def clip_in_place(grads, lo, hi):
        for g in grads:
            np.clip(g, lo, hi, out=g)
        return grads

    with pytest.raises(CheckFailed, match="changed its input grads in place"):
        checks.check_clip_by_value(clip_in_place)


def test_hidden_mode_names_the_case_but_not_the_values():
    with pytest.raises(CheckFailed) as err:
        checks.expect_close("hidden case", np.array([1.0, 2.0]), np.array([1.0, 2.5]), show=False)
    assert "hidden case" in str(err.value) and "0.5" in str(err.value) and "2.5" not in str(err.value)
    with pytest.raises(CheckFailed, match="expected shape"):
        checks.expect_close("hidden case", np.zeros(3), np.zeros(2), show=False)


def test_early_stopping_reference_agrees_with_fit():
    """The rule the exercise asks for is the one nnlab.fit uses (restoring the best weights)."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 2)), rng.normal(size=40)
    Xv, yv = rng.normal(size=(40, 2)), rng.normal(size=40)
    model = layers.mlp([2, 16, 1], rng=rng, activation="tanh", output_activation="linear")
    hist = train.fit(model, X, y, lr=0.3, epochs=200, rng=rng, X_val=Xv, y_val=yv,
                     early_stopping=train.EarlyStopping(3))
    assert hist.stopped_epoch is not None
    assert checks._ref_early_stopping(hist.val_loss, 3) == (hist.best_epoch, hist.stopped_epoch)


def test_what_a_notebook_shows_for_a_failed_check_a_template_and_a_bug():
    """Run in a real kernel: a student sees the message, not 30 lines through nnlab/checks.py."""
    import nbformat
    from nbclient import NotebookClient

    cells = ["from nnlab import checks\nimport numpy as np",
             "def sigmoid(z):\n    raise NotImplementedError()\nchecks.check_sigmoid(sigmoid)",
             "def sigmoid(z):\n    return z\nchecks.check_sigmoid(sigmoid)",
             "def sigmoid(z):\n    half = 0.5\n    return undefined_name * half\nchecks.check_sigmoid(sigmoid)"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
    errors = [next(o for o in c.outputs if o.output_type == "error") for c in nb.cells[1:]]
    template, wrong, bug = ("\n".join(e.traceback) for e in errors)
    assert errors[0].ename == "NotImplementedError"           # the grader still tells 'not implemented'
    assert "`sigmoid` is not written yet" in template and len(errors[0].traceback) == 1
    assert wrong.startswith("✗ sigmoid, z = ") and "Hint:" in wrong and "checks.py" not in wrong
    assert len(errors[1].traceback) <= 3
    assert "your function raised NameError" in bug and "undefined_name * half" in bug   # the student's line
    assert "checks.py" not in bug
