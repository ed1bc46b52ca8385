"""Plot functions: return labelled axes, draw the expected artists, never call plt.show."""
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from nnlab import activations as A
from nnlab.viz import plots
from nnlab.train import History


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("plots must never call plt.show()")
    monkeypatch.setattr(plt, "show", forbidden)
    monkeypatch.setattr(Figure, "show", forbidden)


def labelled(ax, x=None, y=None):
    assert ax.get_xlabel() and ax.get_ylabel()
    if x is not None:
        assert ax.get_xlabel() == x
    if y is not None:
        assert ax.get_ylabel() == y


def test_okabe_ito_palette():
    assert len(plots.OKABE_ITO) == 8 and all(mcolors.is_color_like(c) for c in plots.OKABE_ITO)
    assert plots.OKABE_ITO[:3] == ["#0072B2", "#E69F00", "#009E73"]


def test_new_axes_reuses_or_creates():
    ax = plots.new_axes()
    assert isinstance(ax.figure, Figure)
    assert plots.new_axes(ax) is ax


def test_scatter_classes(rng):
    X, y = rng.normal(size=(30, 2)), np.arange(30) % 3
    ax = plots.scatter_classes(X, y)
    labelled(ax, "$x_1$", "$x_2$")
    cols = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(cols) == 3
    assert [len(c.get_offsets()) for c in cols] == [10, 10, 10]
    for k, c in enumerate(cols):
        np.testing.assert_allclose(c.get_facecolor()[0][:3], mcolors.to_rgb(plots.OKABE_ITO[k]))
        assert c.get_label() == f"class {k}"
    ax2 = plots.scatter_classes(X, y % 2, labels=["no", "yes"])
    assert [c.get_label() for c in ax2.collections] == ["no", "yes"]


def test_decision_boundary_one_output(rng):
    X, y = rng.normal(size=(20, 2)), np.arange(20) % 2
    fig = Figure()
    ax = fig.add_subplot()
    out = plots.decision_boundary(lambda G: 1 / (1 + np.exp(-(G[:, 0] + G[:, 1]))), X, y, ax, steps=40)
    assert out is ax
    labelled(ax, "$x_1$", "$x_2$")
    assert len(ax.collections) >= 3        # filled regions, the 0.5 contour line, the two point clouds
    assert ax.get_xlim() == pytest.approx((X[:, 0].min() - 0.5, X[:, 0].max() + 0.5))
    # a constant predictor has no boundary to draw: regions and points only
    ax_flat = plots.decision_boundary(lambda G: np.ones(len(G)), X, y, steps=20)
    assert len(ax_flat.collections) == len(ax.collections) - 1


def test_decision_boundary_several_outputs(rng):
    X, y = rng.normal(size=(30, 2)), np.arange(30) % 3
    ax = plots.decision_boundary(lambda G: np.c_[G[:, 0], G[:, 1], -G[:, 0]], X, y, steps=30, show_points=False)
    labelled(ax)
    assert len(ax.collections) >= 1 and not any(isinstance(c, PathCollection) for c in ax.collections)


def test_grid_for():
    X = np.array([[0.0, 0.0], [1.0, 2.0]])
    grid, G1, G2 = plots.grid_for(X, pad=0.5, steps=11)
    assert grid.shape == (121, 2) and G1.shape == (11, 11)
    assert grid.min(axis=0) == pytest.approx([-0.5, -0.5]) and grid.max(axis=0) == pytest.approx([1.5, 2.5])


def test_line_2d():
    ax = plots.new_axes()
    ax.set_xlim(-2, 2)
    ax.set_ylim(-3, 3)
    plots.line_2d([1.0, 2.0], -1.0, ax, label="boundary")
    (line,) = ax.lines
    xs, ys = line.get_data()
    np.testing.assert_allclose(1.0 * np.asarray(xs) + 2.0 * np.asarray(ys) - 1.0, 0.0)  # on w.x + b = 0
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-3, 3)
    plots.line_2d([2.0, 0.0], 1.0, ax)                  # vertical line x1 = -1/2
    np.testing.assert_allclose(ax.lines[1].get_xdata(), -0.5)


def make_history(val=True):
    h = History(loss=[1.0, 0.8, 0.7, 0.5],
                train_loss=[0.9, 0.6], train_acc=[0.6, 0.8])
    if val:
        h.val_loss, h.val_acc = [1.0, 0.7], [0.5, 0.75]
    return h


def test_history_curves_per_epoch():
    ax = plots.history_curves(make_history())
    labelled(ax, "epoch", "loss")
    assert [l.get_label() for l in ax.lines] == ["training", "validation"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [1.0, 0.7])
    assert ax.get_legend() is not None
    ax = plots.history_curves(make_history(val=False), metric="acc", log=True)
    labelled(ax, "epoch", "accuracy")
    assert len(ax.lines) == 1 and ax.get_yscale() == "log"


def test_history_curves_per_iteration():
    ax = plots.history_curves(make_history(), per="iteration")
    labelled(ax, "iteration", "loss")
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_ydata(), [1.0, 0.8, 0.7, 0.5])


def test_function_and_derivative():
    ax = plots.function_and_derivative(A.Sigmoid())
    labelled(ax, "$z$", "value")
    f, df = ax.lines[:2]
    np.testing.assert_allclose(f.get_ydata(), A.Sigmoid().f(f.get_xdata()))
    np.testing.assert_allclose(df.get_ydata(), A.Sigmoid().df(df.get_xdata()))
    assert len(ax.lines) == 4                           # f, f', and the two axis lines
    assert f.get_color() == plots.OKABE_ITO[0] and df.get_color() == plots.OKABE_ITO[1]


def test_region_grid_output_grid_and_the_boundary_of_a_half_plane():
    from nnlab.viz import plots
    points, x1, x2 = plots.region_grid((-1.0, 1.0, -2.0, 2.0), 21)
    assert points.shape == (21 * 21, 2) and x1[0] == -1 and x2[-1] == 2
    assert np.array_equal(points[:21, 1], np.full(21, -2.0))            # row after row from the bottom
    grid = plots.output_grid(points[:, 0] > 0.25, x1, x2)             # class 1 right of x1 = 0.25
    assert grid["p"].shape == (21, 21)
    (line,) = plots.boundary_lines({**grid, "p": grid["p"].astype(float)})
    assert np.allclose(line[:, 0], 0.25, atol=0.06) and np.ptp(line[:, 1]) == 4.0
    (region,) = plots.region_paths({**grid, "p": grid["p"].astype(float)})
    assert region.contains_point((0.8, 0.0)) and not region.contains_point((-0.5, 0.0))
