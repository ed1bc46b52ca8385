"""The chapter 13 cliff: its gradient is the loss's derivative, its descent is the engine's clipped step."""
import numpy as np
import pytest

import nnlab
from nnlab.topics import clipping_cliff as cliff


def numeric_grad(w, h=1e-6):
    return np.array([(cliff.loss_and_grad(w + h * e)[0] - cliff.loss_and_grad(w - h * e)[0]) / (2 * h)
                     for e in np.eye(2)])


@pytest.mark.parametrize("w", [(-1.0, 0.5), (0.003, -0.2), (0.02, 1.0), (-0.03, -2.0), (0.5, 0.5)])
def test_gradient_matches_finite_differences(w):
    w = np.array(w)
    _, g = cliff.loss_and_grad(w)
    assert nnlab.gradcheck.rel_error(g, numeric_grad(w)) < 1e-6


def test_scalar_and_array_losses_agree(rng):
    W = rng.uniform(-2, 1, size=(50, 2))
    grid = cliff.cliff_loss(W[:, 0], W[:, 1])
    np.testing.assert_allclose(grid, [cliff.loss_and_grad(w)[0] for w in W], rtol=1e-12)


def test_the_cliff_is_a_hundred_times_steeper_than_the_bowl():
    n = np.array(cliff.N)
    on_face = np.linalg.norm(cliff.loss_and_grad(0.05 * n)[1])
    in_bowl = np.linalg.norm(cliff.loss_and_grad(-1.0 * n)[1])
    assert on_face > 90 and in_bowl < 3


def test_lowest_point_has_zero_gradient():
    w = cliff.lowest_point()
    assert np.linalg.norm(cliff.loss_and_grad(w)[1]) < 1e-9
    assert abs(cliff.along_ravine(w)) < 1e-12
    assert -0.1 < w @ np.array(cliff.N) < 0          # at the foot of the wall


@pytest.mark.parametrize("clip", [None, nnlab.ClipByValue(-1, 1), nnlab.ClipByNorm(0.5)], ids=repr)
def test_descend_takes_the_engines_clipped_step(clip):
    run = cliff.descend((-0.5, -2.0), 0.2, 30, clip)
    assert run["path"].shape == (31, 2) and run["raw"].shape == (30, 2) and run["loss"].shape == (31,)
    for k in range(30):
        loss, g = cliff.loss_and_grad(run["path"][k])
        assert run["loss"][k] == loss
        np.testing.assert_array_equal(run["raw"][k], g)
        expected = g if clip is None else clip(g)
        np.testing.assert_array_equal(run["used"][k], expected)
        np.testing.assert_allclose(run["path"][k + 1], run["path"][k] - 0.2 * expected, rtol=0, atol=1e-15)


def test_angle_deg():
    assert cliff.angle_deg([1.0, 0.0], [0.0, 2.0]) == pytest.approx(90.0)
    assert cliff.angle_deg([10.0, 1.0], [1.0, 1.0]) == pytest.approx(45 - np.degrees(np.arctan(0.1)))
    np.testing.assert_allclose(cliff.angle_deg(np.eye(2), np.ones((2, 2))), [45.0, 45.0])


def test_descend_bad_input():
    with pytest.raises(ValueError, match="lr"):
        cliff.descend((0, 0), 0.0, 5)
    with pytest.raises(TypeError, match="clip must be"):
        cliff.descend((0, 0), 0.1, 5, clip=lambda g: g)
