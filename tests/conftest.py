"""Shared test fixtures: keep this small, every test file sees it."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture
def rng():
    """A fresh, seeded numpy Generator for each test (tests never touch the global random state)."""
    return np.random.default_rng(12345)
