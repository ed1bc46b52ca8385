"""Chapter 2 experiments: the perceptron stepper and gradient descent, checked with values."""

import numpy as np
import pytest

from nnlab.viz.plots import smallest_font
from matplotlib.figure import Figure

from nnlab.topics import descent, perceptron
from nnlab.experiments import ch02_perceptron as ch


def test_stepper_starts_at_zero_and_ends_converged():
    d0 = ch.perceptron_stepper_compute(0)
    np.testing.assert_array_equal(d0["w"], [0.0, 0.0])
    assert d0["b"] == 0 and d0["sample"] is None
    assert d0["errors"] == int(np.sum(d0["y"] == 0))   # H(0) = 1: every class-0 point is wrong
    last = ch.perceptron_stepper_compute(d0["U"])
    assert last["errors"] == 0 and last["converged_epoch"] is not None
    assert last["mistakes"][-1] == 0 and last["mistakes"].sum() == d0["U"]
    assert ch.perceptron_stepper_compute(d0["U"] + 10)["k"] == d0["U"]     # clamped


def test_stepper_each_update_adds_plus_or_minus_the_point():
    U = ch.perceptron_stepper_compute(0)["U"]
    assert 10 <= U <= 60
    for k in range(1, U + 1):
        d = ch.perceptron_stepper_compute(k)
        x, s = d["X"][d["sample"]], d["sign"]
        assert s in (-1, 1) and s == (1 if d["y"][d["sample"]] == 1 else -1)
        np.testing.assert_allclose(d["w"] - d["w_prev"], s * x)          # lr = 1
        assert d["b"] - d["b_prev"] == s
        # the corrected point was on the wrong side before the update
        assert perceptron.perceptron_predict(x[None], d["w_prev"], d["b_prev"])[0] != d["y"][d["sample"]]


def test_stepper_data_is_separable_with_known_margin():
    X, y = ch.stepper_data()
    R, gamma, bound = perceptron.convergence_bound(X, y, np.array([1.0, 1.0]), -3.0)
    assert gamma >= 0.2 / np.sqrt(1 + 9 / 2) - 1e-12 and gamma > 0
    assert ch.perceptron_stepper_compute(0)["U"] <= bound


def test_gd_one_d_path_is_geometric():
    for lr in (0.01, 0.05, 0.15, 0.21):
        d = ch.gd_compute("1-D", lr)
        q = 1 - 2 * ch.A_1D * lr
        np.testing.assert_allclose(d["factors"], [q])
        np.testing.assert_allclose(d["path"], ch.X0_1D * q ** np.arange(len(d["path"])), rtol=1e-10)
        np.testing.assert_allclose(d["loss"], ch.A_1D * d["path"] ** 2)


def test_gd_static_values_cover_the_four_regimes():
    exp = ch.gd_explorer()
    lrs = next(c for c in exp.controls if c.name == "lr").static
    one_d = {descent.regime(1 - 2 * ch.A_1D * lr) for lr in lrs}
    assert {"too small", "good", "oscillating", "diverging"} <= one_d
    lam = np.linalg.eigvalsh(ch.A_2D)
    np.testing.assert_allclose(lam, [1.0, 10.0])
    two_d_steep = {descent.regime(1 - lam[1] * lr) for lr in lrs}
    assert {"good", "oscillating", "diverging"} <= two_d_steep


def test_gd_two_d_regimes():
    d = ch.gd_compute("2-D", 0.15)
    np.testing.assert_allclose(d["factors"], [0.85, -0.5])
    assert d["regimes"] == ["good", "oscillating"]
    assert d["loss"][-1] < 1e-3 * d["loss"][0]
    d = ch.gd_compute("2-D", 0.21)
    assert d["regimes"][1] == "diverging" and d["loss"][-1] > 10 * d["loss"][0]


def test_gd_two_d_lr_0_1_is_too_small_along_the_shallow_axis():
    # the shallow factor 1 - 0.1 * lambda_min prints as +0.90 whatever the last bits of the
    # computed eigenvalue: the chapter calls a factor of 0.9 or more "too small"
    d = ch.gd_compute("2-D", 0.1)
    assert d["regimes"] == ["too small", "good"]
    fig = Figure()
    art = ch.gd_draw(d, fig)
    assert art["ax2"].get_visible() and not art["ax1"].get_visible()
    assert r"$1-\eta=+0.90$ (too small)" in art["ax2"].get_title()
    for lam_min in (1 - 2e-16, 1.0, 1 + 2e-16):
        assert descent.regime(1 - 0.1 * lam_min) == "too small"


def test_gd_stops_at_the_tolerance():
    d = ch.gd_compute("1-D", 0.1)         # factor 0: the minimum in one step
    np.testing.assert_allclose(d["path"], [1.0, 0.0])


def test_compute_rejects_bad_values():
    with pytest.raises(ValueError, match="dim"):
        ch.gd_compute("3-D", 0.1)
    with pytest.raises(ValueError, match="lr"):
        ch.gd_compute("1-D", -0.1)
    with pytest.raises(ValueError, match="update"):
        ch.perceptron_stepper_compute(-1)


def test_static_frames_render():
    exp = ch.gd_explorer()
    for _, values in list(exp.frames())[::3]:
        exp.figure(**values)


def test_text_figures_draw():
    for draw in (ch.gradient_descent_figure, ch.learning_rate_figure):
        fig = Figure()
        draw(fig)
        assert fig.axes and all(ax.get_xlabel() for ax in fig.axes)
    res = ch.bound_vs_updates(seeds=range(3), shifts=((2.0, 1.0),), margins=(0.2,))
    assert np.all(res["updates"] <= res["bound"])




def test_two_d_explorer_title_no_text_below_9_pt():
    assert smallest_font(ch.gd_explorer().figure(dim="2-D", lr=0.1)) >= 9


def test_text_figures_no_text_below_9_pt():
    for draw in (ch.gradient_descent_figure, ch.learning_rate_figure):
        fig = Figure(figsize=(11, 3.2), layout="constrained")
        draw(fig)
        assert smallest_font(fig) >= 9
    res = ch.bound_vs_updates(seeds=range(3), shifts=((2.0, 1.0),), margins=(0.2,))
    fig = Figure(figsize=(5.5, 4), layout="constrained")
    ch.bound_figure(fig, res)
    assert smallest_font(fig) >= 9
