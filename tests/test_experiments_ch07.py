"""Chapter 7 experiments, tested through their pure compute functions (no widgets)."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlab.experiments import ch07_sgd as ch07
from nnlab.viz import plots


# ---------------------------------------------------------------- learning-rate explorer
def test_tiny_learning_rate_barely_moves_the_loss():
    d = ch07.lr_explorer_compute("moons", log10_lr=-3.0)
    loss = np.array(d["history"].train_loss)
    assert len(loss) == ch07.LR_EPOCHS
    assert np.all(np.diff(loss) < 0)                    # it does go down, every epoch ...
    assert d["loss0"] - loss[-1] < 0.15                 # ... but hardly at all in 200 epochs
    assert loss[-1] > 0.5


def test_good_learning_rate_learns_the_moons():
    d = ch07.lr_explorer_compute("moons", log10_lr=0.5)
    assert d["history"].train_loss[-1] < 0.1
    assert d["accuracy"] >= 0.95


@pytest.mark.parametrize("dataset", ["moons", "circles"])
def test_huge_learning_rate_is_finite_but_much_worse(dataset):
    good = ch07.lr_explorer_compute(dataset, log10_lr=0.0)["history"].train_loss[-1]
    d = ch07.lr_explorer_compute(dataset, log10_lr=2.0)
    loss = np.array(d["history"].train_loss)
    assert np.all(np.isfinite(loss))                     # sigmoid + cross-entropy saturate: no NaN
    assert loss[-1] > d["loss0"] > good                  # ends worse than where it started
    assert loss[-1] > 10 * good


def test_lr_explorer_is_deterministic():
    a = ch07.lr_explorer_compute("circles", log10_lr=-0.5)
    b = ch07.lr_explorer_compute("circles", log10_lr=-0.5)
    np.testing.assert_array_equal(a["history"].train_loss, b["history"].train_loss)
    np.testing.assert_array_equal(a["model"](a["X"]), b["model"](b["X"]))


def test_lr_explorer_bad_input():
    with pytest.raises(ValueError, match="dataset"):
        ch07.lr_explorer_compute("spirals2", 0.0)
    with pytest.raises(TypeError, match="log10_lr"):
        ch07.lr_explorer_compute("moons", "big")


# ---------------------------------------------------------------- every experiment
@pytest.mark.parametrize("name", sorted(ch07.EXPERIMENTS))
def test_experiment_draws_and_fits_static_limit(name):
    exp = ch07.EXPERIMENTS[name]()
    n_frames = int(np.prod([len(c.static) for c in exp.controls]))
    assert 2 <= n_frames <= 64
    fig = exp.figure()
    assert isinstance(fig, Figure)
    main = [ax for ax in fig.axes if ax.has_data()]
    assert len(main) == 2
    assert all(ax.get_xlabel() for ax in main) and main[0].get_ylabel()


# ---------------------------------------------------------------- axes and labels
def test_lr_explorer_loss_axis_holds_every_static_frame():
    low, high = ch07.LOSS_LIMITS
    for dataset in ("moons", "circles"):
        for log10_lr in np.arange(-3.0, 2.01, 0.5):
            d = ch07.lr_explorer_compute(dataset, log10_lr=log10_lr)
            loss = np.array(d["history"].train_loss)
            assert low < loss.min() and loss.max() < high, (dataset, log10_lr)


def test_lr_explorer_marks_losses_below_the_chart():
    d = ch07.lr_explorer_compute("moons", log10_lr=0.5, epochs=3)
    fig = Figure()
    art = ch07.lr_explorer_draw(d, fig)
    assert len(art["below"].get_xdata()) == 0 and "below the chart" not in art["loss_title"].get_text()
    d["history"].train_loss[-1] = 1e-6
    ch07.lr_explorer_update(d, art)
    np.testing.assert_array_equal(art["below"].get_xdata(), [3])
    assert "below the chart" in art["loss_title"].get_text()


def test_lr_explorer_axes_and_the_grid_do_not_depend_on_the_controls():
    moons, circles = (ch07.lr_explorer_compute(ds, log10_lr=0.0, epochs=3) for ds in ("moons", "circles"))
    low1, high1, low2, high2 = ch07.REGION
    for d in (moons, circles):                       # the shaded window holds every point of either data set
        assert np.all((d["X"] > [low1, low2]) & (d["X"] < [high1, high2]))
        assert d["grid"]["p"].shape == (ch07.REGION_STEPS, ch07.REGION_STEPS)
    np.testing.assert_array_equal(moons["grid"]["x1"], circles["grid"]["x1"])
    limits = []
    for d in (moons, circles):
        fig = Figure()
        ch07.lr_explorer_draw(d, fig)
        limits.append([(ax.get_xlim(), ax.get_ylim(), tuple(ax.get_xticks()), tuple(ax.get_yticks()))
                       for ax in fig.axes])
    assert limits[0] == limits[1]


def test_lr_explorer_region_is_where_the_network_says_class_1():
    d = ch07.lr_explorer_compute("circles", log10_lr=0.5)
    paths = plots.region_paths(d["grid"])
    inside = np.any([path.contains_points(d["X"]) for path in paths], axis=0)
    predicted = (d["model"](d["X"]).ravel() >= 0.5)
    assert np.mean(inside == predicted) > 0.97        # a grid of 150 x 150 draws it to within a cell
    assert len(plots.boundary_lines(d["grid"])) >= 1


# ---------------------------------------------------------------- the learning-rate effect
EXPECTED_FACTS = {  # ends above the start, gets below 0.1, more than doubles, falls every epoch
    "very high": (True, False, True, False), "high": (False, True, True, False),
    "good": (False, True, False, False), "low": (False, False, False, True)}


def _facts(runs):
    return {name: tuple(ch07.lr_effect_facts(loss).values()) for name, (_, loss) in runs.items()}


def test_lr_effect_facts_tell_the_four_rates_apart():
    runs = ch07.lr_effect_compute()
    assert list(runs) == list(EXPECTED_FACTS)
    assert _facts(runs) == EXPECTED_FACTS
    for _, loss in runs.values():
        assert loss.shape == (21,) and loss[0] == runs["low"][1][0]    # same network, same start


@pytest.mark.parametrize("seed", [0, 1])
def test_lr_effect_facts_survive_last_digit_changes(nudge, seed):
    """A change in the last digits of the initial weights (as another CPU's rounding would make)
    moves the jumpy curves anywhere, but not the facts the chapter prints."""
    nudge(ch07, seed)
    assert _facts(ch07.lr_effect_compute()) == EXPECTED_FACTS


def test_lr_effect_draws_four_labelled_curves():
    fig = Figure()
    ax = ch07.lr_effect_draw(ch07.lr_effect_compute(epochs=2, n=40), fig.subplots())
    assert len(ax.get_lines()) == 4 and ax.get_xlabel() and ax.get_ylabel()
