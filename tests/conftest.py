"""Shared test fixtures: keep this small, every test file sees it."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture
def rng():
    """A fresh, seeded numpy Generator for each test (tests never touch the global random state)."""
    return np.random.default_rng(12345)


@pytest.fixture
def nudge(monkeypatch):
    """nudge(module, seed): from now on module.make_network(...) gives its network with every parameter
    changed in its last digits (relative 1e-14), as another CPU's rounding would change a run."""
    from nnlab import params

    def apply(module, seed, relative=1e-14):
        make = module.make_network

        def nudged(*args, **kwargs):
            model = make(*args, **kwargs)
            theta = params.flatten(model)
            noise = np.random.default_rng(seed).standard_normal(theta.size)
            return params.assign(model, theta * (1 + relative * noise))

        monkeypatch.setattr(module, "make_network", nudged)
    return apply
