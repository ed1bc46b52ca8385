"""Chapter 10: the slides' batch-normalization algorithm written formula by formula, and the
running statistics as PyTorch keeps them (for comparison with the slides' and nnlab's).

The layer itself is ``nnlab.layers.BatchNorm``; a test checks these functions against it.
"""
import numpy as np

from .._checks import as_2d, number


def slides_train_step(X, gamma, beta, running_mean, running_var, *, m=0.9, eps=1e-5):
    """The slides' training-time algorithm on X: (N, D), one line per formula.

    gamma, beta, running_mean, running_var: (D,). Returns a dict with the batch statistics
    'mu_B', 'var_B' (D,), the new running averages 'mu', 'var' (D,), 'x_hat' and 'y' (N, D).
    """
    X = as_2d("X", X)
    number("m", m, low=0, high=1)
    number("eps", eps, low=0, low_open=True)
    N = X.shape[0]
    mu_B = X.sum(axis=0) / N                           # batch mean
    var_B = ((X - mu_B) ** 2).sum(axis=0) / N          # batch variance, divided by N (biased)
    mu = m * running_mean + (1 - m) * mu_B             # running averages, kept for test time
    var = m * running_var + (1 - m) * var_B
    x_hat = (X - mu_B) / np.sqrt(var_B + eps)          # normalise with the BATCH statistics
    y = gamma * x_hat + beta                           # scale and shift
    return {"mu_B": mu_B, "var_B": var_B, "mu": mu, "var": var, "x_hat": x_hat, "y": y}


def slides_test_step(X, gamma, beta, mu, var, *, eps=1e-5):
    """The slides' test-time algorithm: normalise with the running averages mu, var (D,)."""
    X = as_2d("X", X)
    number("eps", eps, low=0, low_open=True)
    x_hat = (X - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta


def pytorch_running_stats(batches, *, momentum=0.1):
    """The running mean and variance as PyTorch's BatchNorm1d keeps them after the given batches
    (each (N, D)), starting from 0 and 1: running = (1 - momentum) running + momentum batch,
    with the UNBIASED batch variance (divided by N - 1). Returns (mean (D,), var (D,))."""
    number("momentum", momentum, low=0, high=1)
    mean = var = None
    for i, B in enumerate(batches):
        B = as_2d(f"batches[{i}]", B)
        if len(B) < 2:
            raise ValueError(f"batches[{i}] must hold at least 2 samples, got {len(B)}")
        if mean is None:
            mean, var = np.zeros(B.shape[1]), np.ones(B.shape[1])
        mean = (1 - momentum) * mean + momentum * B.mean(axis=0)
        var = (1 - momentum) * var + momentum * B.var(axis=0, ddof=1)
    if mean is None:
        raise ValueError("batches must hold at least one batch")
    return mean, var
