"""Chapter 3 experiments: separable vs overlapping data and accuracy curves, checked with values."""

import numpy as np
import pytest

from nnlab.viz.plots import smallest_font

from nnlab.topics import perceptron
from nnlab.experiments import ch03_perceptron_limits as ch


@pytest.mark.parametrize("noise", [0.3, 0.6, 0.9, 1.2])
def test_separable_stops_and_overlapping_never_does(noise):
    sep = ch.separable_vs_overlapping_compute("separable", noise)
    assert sep["converged_epoch"] is not None and sep["mistakes"][-1] == 0
    assert sep["train_acc"][-1] == 1.0
    over = ch.separable_vs_overlapping_compute("overlapping", noise)
    if noise >= 0.6:     # at noise 0.3 the two blobs of this seed happen to be separable
        assert over["converged_epoch"] is None and np.all(over["mistakes"] > 0)
        # the weights still move in the last epochs: they wander, they do not settle
        assert np.all(np.linalg.norm(np.diff(over["W_epoch"][-5:], axis=0), axis=1) > 0)
    assert over["W"].shape == (over["updates"] + 1, 2) and len(over["mistakes"]) == ch.EPOCHS


def test_overlapping_mistakes_grow_with_the_noise():
    m = [ch.separable_vs_overlapping_compute("overlapping", s)["mistakes"][-10:].mean() for s in (0.6, 0.9, 1.2)]
    assert m[0] < m[1] < m[2]


def test_accuracy_curves_values():
    d = ch.accuracy_curves_compute(noise=1.0, lr=1.0, init="zero")
    assert d["train_update"][0] == 0.5            # w = 0: every point predicted 1, half are class 1
    assert len(d["train_epoch"]) == ch.EPOCHS
    for key in ("train_epoch", "test_epoch", "pocket_test_epoch"):
        assert np.all((d[key] >= 0) & (d[key] <= 1))
    # the epoch-end accuracy really fluctuates; the pocket never falls on the training data
    assert np.ptp(d["test_epoch"][5:]) > 0.1
    X, y = ch.make_data("overlapping", 1.0)
    h = perceptron.perceptron_train(X, y, lr=1.0, epochs=ch.EPOCHS, rng=np.random.default_rng(ch.TRAIN_SEED))
    train_u = perceptron.accuracy_of_weights(h.w, h.b, X, y)
    np.testing.assert_allclose(train_u[h.epoch_end], d["train_epoch"])
    best = np.maximum.accumulate(train_u)[h.epoch_end]
    assert np.all(np.diff(best) >= 0) and np.all(best >= d["train_epoch"])


def test_learning_rate_is_irrelevant_from_zero_but_not_from_random():
    a = ch.accuracy_curves_compute(lr=0.01, init="zero")
    b = ch.accuracy_curves_compute(lr=1.0, init="zero")
    np.testing.assert_array_equal(a["test_epoch"], b["test_epoch"])
    c = ch.accuracy_curves_compute(lr=0.01, init="random")
    d = ch.accuracy_curves_compute(lr=1.0, init="random")
    assert not np.array_equal(c["test_epoch"], d["test_epoch"])
    assert c["train_epoch"][0] < d["train_epoch"][0]   # a small step cannot undo the random start quickly


def test_lr_scaling_and_delta_rule():
    _, _, hs = ch.lr_scaling(lrs=(0.01, 1.0, 100.0), epochs=5)
    for h, lr in zip(hs, (0.01, 1.0, 100.0)):
        np.testing.assert_allclose(h.w, lr * hs[1].w, rtol=1e-12, atol=1e-12)
    losses, edge = ch.delta_rule(lrs=(0.5, 0.99, 1.01), steps=300)
    assert 0.5 < edge < 5
    losses, edge = ch.delta_rule(lrs=(0.5 * edge, 0.95 * edge, 1.05 * edge), steps=300)
    assert losses[0][-1] < losses[0][0] and losses[1][-1] < losses[1][0]
    assert losses[2][-1] > 100 * losses[2][0]


def test_seed_average_shapes():
    r = ch.seed_average(n_seeds=3, epochs=5)
    assert r["test"].shape == (3, 5) and r["pocket"].shape == (3, 5) and r["first_epoch"].shape == (3, 21)
    np.testing.assert_allclose(r["first_epoch"][:, 0], 0.5, atol=0.05)


def test_compute_rejects_bad_values():
    with pytest.raises(ValueError, match="kind"):
        ch.separable_vs_overlapping_compute("spiral", 0.5)
    with pytest.raises(ValueError, match="noise"):
        ch.separable_vs_overlapping_compute("separable", -1.0)
    with pytest.raises(ValueError, match="init"):
        ch.accuracy_curves_compute(init="ones")
    with pytest.raises(ValueError, match="lr"):
        ch.accuracy_curves_compute(lr=0)




def test_text_figures_no_text_below_9_pt():
    from matplotlib.figure import Figure
    for draw in (ch.lr_scaling_figure, ch.delta_rule_figure):
        fig = Figure(figsize=(9.5, 3.6), layout="constrained")
        draw(fig)
        assert smallest_font(fig) >= 9
    fig = Figure(figsize=(9.5, 3.6), layout="constrained")
    ch.seed_average_figure(fig, ch.seed_average(n_seeds=3))
    assert smallest_font(fig) >= 9


NOISES = np.round(np.arange(0.2, 1.51, 0.1), 1)


@pytest.mark.parametrize("kind", ["separable", "overlapping"])
def test_fixed_axes_hold_every_setting(kind):
    # the figure's limits do not move with the controls, so every setting must fit inside them
    for noise in NOISES:
        d = ch.separable_vs_overlapping_compute(kind, noise)
        assert np.all((d["X"] > ch.BOX[0]) & (d["X"] < ch.BOX[1]))
        assert d["mistakes"].max() <= ch.MISTAKES_MAX
        assert ch.WEIGHTS_LIM[0] < d["weights"].min() and d["weights"].max() < ch.WEIGHTS_LIM[1]


def test_update_times_put_each_epochs_updates_inside_it():
    d = ch.separable_vs_overlapping_compute("overlapping", 0.9)
    t = d["t_weights"]
    assert t[0] == 0 and t[-1] == ch.EPOCHS and np.all(np.diff(t[:-1]) > 0)
    np.testing.assert_array_equal(t[d["epoch_end"]], np.arange(1, ch.EPOCHS + 1))   # last update: epoch's end
    np.testing.assert_array_equal(d["weights"][:-1, :2], d["W"])
    sep = ch.separable_vs_overlapping_compute("separable", 0.6)
    assert sep["t_weights"][-1] == ch.EPOCHS and np.all(sep["weights"][-1, :2] == sep["W"][-1])  # held to the end


def test_lines_in_the_box_lie_on_the_line():
    for w, b in [((1.0, 2.0), 0.5), ((0.0, -1.0), 1.0), ((2.0, 0.0), -1.0)]:
        xs, ys = ch.line_in_box(np.array(w), b)
        np.testing.assert_allclose(w[0] * xs + w[1] * ys + b, 0, atol=1e-12)
    xs, ys = ch.line_in_box(np.zeros(2), 1.0)
    assert xs.size == ys.size == 0


@pytest.mark.parametrize("noise", [0.6, 1.0, 1.6])
def test_from_zero_no_learning_rate_changes_the_accuracies(noise):
    # why accuracy_curves disables the learning rate for the zero start
    runs = [ch.accuracy_curves_compute(noise=noise, lr=lr, init="zero") for lr in (0.01, 0.1, 1.0, 10.0)]
    for r in runs[1:]:
        for key in ("train_update", "test_update", "train_epoch", "test_epoch", "pocket_test_epoch", "t_update"):
            np.testing.assert_array_equal(r[key], runs[0][key])
    exp = ch.accuracy_curves()
    assert exp.active({"init": "zero"}) == {"noise", "init"}
    assert exp.active({"init": "random"}) == {"noise", "lr", "init"}


def test_accuracy_update_times_span_the_first_epochs():
    d = ch.accuracy_curves_compute()
    t = d["t_update"]
    assert len(t) == len(d["train_update"]) + 1 and t[0] == 0 and t[-1] == ch.FIRST_EPOCHS
    assert np.all(np.diff(t) >= 0)
