"""The reference for `make bench`: a lean hand-written numpy loop for the benchmark's network.

2-H-H-1 MLP, tanh hidden units, sigmoid output, binary cross-entropy (mean over the batch),
plain SGD on shuffled mini-batches: the least work a numpy implementation of `nnlab.fit` can do.
"""
import numpy as np


def train(X, y, *, hidden=16, lr=0.1, epochs=100, batch_size=32, rng):
    """Returns the training accuracy after `epochs` epochs."""
    sizes = [X.shape[1], hidden, hidden, 1]
    Ws = [rng.uniform(-1, 1, (a, b)) * np.sqrt(6 / (a + b)) for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(b) for b in sizes[1:]]
    t = y.reshape(-1, 1).astype(float)
    n = len(X)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            h1 = np.tanh(X[idx] @ Ws[0] + bs[0])
            h2 = np.tanh(h1 @ Ws[1] + bs[1])
            z = 1 / (1 + np.exp(-(h2 @ Ws[2] + bs[2])))
            d3 = (z - t[idx]) / len(idx)                 # BCE + sigmoid: delta = z - t
            d2 = (d3 @ Ws[2].T) * (1 - h2 ** 2)
            d1 = (d2 @ Ws[1].T) * (1 - h1 ** 2)
            for W, b, a, d in ((Ws[2], bs[2], h2, d3), (Ws[1], bs[1], h1, d2), (Ws[0], bs[0], X[idx], d1)):
                W -= lr * (a.T @ d)
                b -= lr * d.sum(axis=0)
    h = np.tanh(np.tanh(X @ Ws[0] + bs[0]) @ Ws[1] + bs[1])
    return float(np.mean(((h @ Ws[2] + bs[2]) >= 0).ravel() == (y > 0.5)))
