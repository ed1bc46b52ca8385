"""Gradient clipping: by value changes the direction, by norm keeps it and caps the global norm."""
import numpy as np
import pytest

from nnlab.clipping import clip_by_norm, clip_by_value, global_norm


def cosine(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_clip_by_value_components():
    np.testing.assert_array_equal(clip_by_value(np.array([3.0, -4.0, 0.5]), -1, 1), [1.0, -1.0, 0.5])
    np.testing.assert_array_equal(clip_by_value(np.array([3.0, -4.0]), -2, 5), [3.0, -2.0])


def test_clip_by_value_changes_direction():
    g = np.array([10.0, 1.0])
    c = clip_by_value(g, -1, 1)
    np.testing.assert_array_equal(c, [1.0, 1.0])
    assert cosine(g, c) < 0.8          # was nearly along x1, now at 45 degrees


def test_clip_by_norm_keeps_direction_and_caps_norm():
    g = np.array([3.0, 4.0])
    c = clip_by_norm(g, 1.0)
    np.testing.assert_allclose(c, [0.6, 0.8])
    assert cosine(g, c) == pytest.approx(1.0)
    np.testing.assert_array_equal(clip_by_norm(g, 10.0), g)   # short gradients are left alone


def test_clip_by_norm_uses_the_global_norm(rng):
    grads = [np.array([[3.0]]), np.array([4.0, 0.0])]
    assert global_norm(grads) == pytest.approx(5.0)
    clipped = clip_by_norm(grads, 2.5)
    np.testing.assert_allclose(clipped[0], [[1.5]])
    np.testing.assert_allclose(clipped[1], [2.0, 0.0])
    big = [rng.normal(size=(4, 3)) * 10, rng.normal(size=3) * 10]
    out = clip_by_norm(big, 1.0)
    assert global_norm(out) == pytest.approx(1.0)
    flat_in, flat_out = np.concatenate([g.ravel() for g in big]), np.concatenate([g.ravel() for g in out])
    assert cosine(flat_in, flat_out) == pytest.approx(1.0)


def test_clipping_returns_new_arrays():
    g = np.array([3.0, 4.0])
    clip_by_norm(g, 1.0)
    clip_by_value(g, -1, 1)
    np.testing.assert_array_equal(g, [3.0, 4.0])
    assert isinstance(clip_by_value([np.array([2.0])], -1, 1), list)


def test_bad_thresholds():
    with pytest.raises(ValueError, match="min_value must be <= max_value"):
        clip_by_value(np.ones(2), 1, -1)
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_norm(np.ones(2), 0)


def test_clip_by_value_keeps_signs_so_the_step_still_goes_downhill(rng):
    for _ in range(20):
        g = rng.standard_t(2, size=int(rng.integers(2, 50))) * 10
        c = clip_by_value(g, -1.0, 1.0)
        assert np.all(np.sign(c) == np.sign(g))
        assert g @ c > 0                                   # an angle below 90 degrees
        if len(g) == 2:
            assert cosine(g, c) >= np.cos(np.pi / 4) - 1e-12   # at most 45 degrees in 2-D


def test_clip_by_value_bound_grows_with_the_dimension_clip_by_norm_does_not():
    for n in (4, 100, 10_000):
        g = np.full(n, 5.0)
        assert np.linalg.norm(clip_by_value(g, -1, 1)) == pytest.approx(np.sqrt(n))
        assert np.linalg.norm(clip_by_norm(g, 1.0)) == pytest.approx(1.0)
