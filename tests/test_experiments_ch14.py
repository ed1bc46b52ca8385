"""Chapter 14 experiments, tested through their pure compute functions (no widgets)."""
import math

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import nnlab
from nnlab.experiments import ch14_gradient_descent_variants as ch14
from nnlab.topics import descent, sgd_tools


# ---------------------------------------------------------------- 1. paths on the contours
def test_a_batch_path_is_gradient_descent_on_the_bowl():
    """With B = N every update of fit is theta <- theta - lr * grad J(theta), J the least-squares bowl."""
    x, t = ch14.line_data()
    _, grad, _ = descent.least_squares(x[:, None], t)
    path = ch14.descent_path(ch14.LINE_N, 0.3, steps=5)
    expected = descent.gradient_descent(grad, np.array(ch14.THETA0), lr=0.3, steps=5, tol=0)
    np.testing.assert_allclose(path, expected, rtol=0, atol=1e-12)


def test_paths_have_one_point_per_update_and_start_at_theta0():
    for B in ch14.PATH_BATCHES:
        d = ch14.paths_compute(B, 0.3)
        assert d["path"].shape == (ch14.PATH_STEPS + 1, 2)
        np.testing.assert_array_equal(d["path"][0], ch14.THETA0)
        assert d["per_epoch"] == math.ceil(ch14.LINE_N / B)
        x, t = ch14.line_data()
        assert d["loss"][-1] == pytest.approx(0.5 * np.mean((d["path"][-1, 0] * x + d["path"][-1, 1] - t) ** 2))


def test_the_minimum_is_the_least_squares_line():
    d = ch14.paths_compute(5, 0.3)
    W, B, J = d["grid"]
    assert d["loss_star"] <= J.min() + 1e-12               # no grid point is lower
    assert d["loss_star"] == pytest.approx(0.128, abs=5e-4)


def test_the_jitter_shrinks_as_the_batch_grows():
    """The slides' three figures: batch smooth (the loss falls at every update), stochastic bouncing,
    mini-batch in between."""
    ups = {B: int(np.sum(np.diff(ch14.paths_compute(B, 0.3)["loss"]) > 0)) for B in (1, 5, 50)}
    assert ups[50] == 0
    assert ups[1] > ups[5] > 0 and ups[1] >= 15


def test_what_the_chapter_prints_about_the_three_paths():
    finals = {B: ch14.paths_compute(B, 0.3)["loss"][-1] for B in (50, 1, 5)}
    assert f"{finals[50]:.3f}" == "0.133" and f"{finals[1]:.3f}" == "0.274" and f"{finals[5]:.3f}" == "0.143"
    assert finals[50] < finals[5] < finals[1]


def test_a_noisy_gradient_takes_a_smaller_learning_rate():
    """The claims of the chapter's things-to-try list."""
    x, t = ch14.line_data()
    _, _, H = descent.least_squares(x[:, None], t)
    assert 2 / np.linalg.eigvalsh(H).max() == pytest.approx(0.90, abs=0.005)
    sgd_06 = ch14.paths_compute(1, 0.6)["loss"]
    assert not ch14.diverged(sgd_06) and sgd_06[20:].max() / sgd_06[20:].min() > 10
    assert ch14.paths_compute(50, 0.6)["loss"][20:].max() / ch14.paths_compute(50, 0.6)["loss"][20:].min() < 2
    assert ch14.diverged(ch14.paths_compute(1, 0.9)["loss"])
    for B in (10, 20):
        for lr in (0.6, 0.7, 0.8, 0.9):
            assert not ch14.diverged(ch14.paths_compute(B, lr)["loss"]), (B, lr)
    assert not ch14.diverged(ch14.paths_compute(5, 0.7)["loss"]) and ch14.diverged(ch14.paths_compute(5, 0.8)["loss"])
    assert not ch14.diverged(ch14.paths_compute(50, 0.9)["loss"])
    assert all(ch14.diverged(ch14.paths_compute(B, 1.0)["loss"]) for B in ch14.PATH_BATCHES)


def test_paths_titles_say_epochs_and_divergence():
    first, second = ch14._path_titles(ch14.paths_compute(20, 0.3))
    assert first == "mini-batch (B = 20), α = 0.3"
    assert second.startswith("60 updates = 20 epochs; final loss")          # ceil(50 / 20) = 3 per epoch
    assert "diverged" in ch14._path_titles(ch14.paths_compute(1, 1.0))[1]
    assert ch14._path_titles(ch14.paths_compute(1, 0.3))[1].startswith("60 updates = 1.2 epochs; final loss")


def test_paths_bad_input():
    with pytest.raises(ValueError, match="batch_size"):
        ch14.descent_path(0, 0.3)
    with pytest.raises(ValueError, match="batch_size"):
        ch14.descent_path(51, 0.3)
    with pytest.raises(ValueError, match="lr"):
        ch14.paths_compute(5, -0.1)


def test_paths_axes_do_not_depend_on_the_controls():
    limits = []
    for values in ({"batch_size": 1, "lr": 1.0}, {"batch_size": 50, "lr": 0.1}):
        fig = ch14.paths().figure(**values)
        limits.append([(ax.get_xlim(), ax.get_ylim(), tuple(ax.get_xticks()), tuple(ax.get_yticks())) for ax in fig.axes])
    assert limits[0] == limits[1]


def test_slides_paths_draw_three_panels():
    fig = Figure(figsize=(10, 3.9))
    axes = ch14.slides_paths_draw([ch14.paths_compute(B, 0.3) for B in (50, 1, 5)], fig)
    assert len(axes) == 3 and all(ax.get_xlabel() for ax in axes)
    assert [ax.get_title().split("\n")[0] for ax in axes] == ["batch (B = N = 50)", "stochastic (B = 1)",
                                                              "mini-batch (B = 5)"]


# ---------------------------------------------------------------- epochs and iterations
def test_epoch_diagram_has_one_block_per_iteration():
    fig = Figure()
    ax = ch14.epoch_diagram_draw(10, 4, 2, fig.subplots(), np.random.default_rng(0))
    blocks = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert [b.get_width() for b in blocks] == [4, 4, 2, 4, 4, 2]             # ceil(10 / 4) = 3 per epoch
    texts = [t.get_text() for t in ax.texts]
    assert "iteration 6 (B = 2)" in texts and sum(t.isdigit() for t in texts) == 20
    first_epoch = [int(t) for t in texts if t.isdigit()][:10]
    assert first_epoch == np.random.default_rng(0).permutation(10).tolist()   # nnlab.train.batches' order


@pytest.mark.parametrize("n,B", [(200, 64), (200, 1), (500, 32), (10, 4), (7, 7)])
def test_fit_makes_ceil_n_over_b_iterations_per_epoch(n, B):
    X, y = ch14.make_data("moons", n)
    history = nnlab.fit(ch14.make_network(), X, y, loss="bce", lr=0.1, epochs=2, batch_size=B,
                        rng=np.random.default_rng(0))
    per_epoch = math.ceil(n / B)
    assert history.iterations == 2 * per_epoch
    sizes = np.diff(history.samples, prepend=0)
    assert sizes[per_epoch - 1] == n - (per_epoch - 1) * B and np.all(sizes[:per_epoch - 1] == B)


# ---------------------------------------------------------------- 2. the race
EXPECTED_UPDATES = {0: [500, 63, 16, 1], 50: [500, 486, 446, 167], 500: [500, 498, 494, 416]}


@pytest.mark.parametrize("overhead", ch14.OVERHEADS)
def test_race_counts_the_updates_that_fit_in_the_budget(overhead):
    d = ch14.race_compute(-0.5, overhead)
    assert d["budget"] == pytest.approx(ch14.SGD_UPDATES * (overhead * 1e-6 + ch14.PER_SAMPLE))
    assert [run["updates"] for run in d["runs"].values()] == EXPECTED_UPDATES[overhead]
    for batch_size, run in d["runs"].items():
        history = run["history"]
        seconds = sgd_tools.modeled_seconds(history.samples, overhead * 1e-6, ch14.PER_SAMPLE)
        k = run["updates"]
        assert seconds[k - 1] <= d["budget"] * (1 + 1e-9)                     # the last update in the budget ...
        assert k == history.iterations or seconds[k] > d["budget"]           # ... and the next one is past it
        assert run["seconds"][-1] <= d["budget"] * (1 + 1e-9)
        assert run["loss"][0] == d["loss0"] and run["evals"][0] == 0
        np.testing.assert_allclose(run["epochs"], run["evals"] / d["n"])


def test_race_curves_are_the_fit_histories():
    d = ch14.race_compute(-0.5, 50)
    X, y = ch14.make_data("moons", ch14.RACE_N)
    for run in d["runs"].values():
        history = run["history"]
        steps = run["iterations"][1:].astype(int) - 1
        np.testing.assert_array_equal(run["evals"][1:], np.array(history.samples)[steps])
        np.testing.assert_array_equal(run["loss"][1:], [history.logs[i] for i in steps])
        assert history.samples[-1] == history.epochs * ch14.RACE_N


def _finals(d):
    return {B: run["loss"][-1] for B, run in d["runs"].items()}


def test_race_on_this_cpu_mini_batches_win():
    f = _finals(ch14.race_compute(-0.5, 50))
    assert max(f[8], f[32]) < f[None] < f[1]
    assert max(f[8], f[32]) < 0.8 * f[1]


def test_race_on_the_slides_count_the_batch_falls_behind_and_sgd_can_win():
    f = _finals(ch14.race_compute(-0.5, 0))
    assert f[None] == max(f.values()) and min(f, key=f.get) == 8
    f = _finals(ch14.race_compute(-1.0, 0))
    assert min(f, key=f.get) == 1


def test_race_with_a_large_fixed_cost_larger_batches_catch_up():
    f = _finals(ch14.race_compute(-0.5, 500))
    assert f[None] < 1.15 * min(f.values()) and f[1] == max(f.values())
    f = _finals(ch14.race_compute(0.5, 500))
    assert min(f, key=f.get) is None


@pytest.mark.parametrize("overhead", ch14.OVERHEADS)
def test_race_sgd_breaks_first(overhead):
    for log10_lr in (0.0, 0.5):
        d = ch14.race_compute(log10_lr, overhead)
        assert d["runs"][1]["loss"][-1] > d["loss0"]                   # SGD ends above where it started
        assert d["runs"][None]["loss"][-1] < d["loss0"]                # the batch still descends


def test_race_printed_numbers_hold_when_the_weights_change_in_their_last_digits(nudge):
    """The chapter prints the final losses at 10^-0.5 to 3 digits: they must not be chaotic."""
    base = {ov: _finals(ch14.race_compute(-0.5, ov)) for ov in ch14.OVERHEADS}
    nudge(ch14, 1)
    for ov in ch14.OVERHEADS:
        for B, value in _finals(ch14.race_compute(-0.5, ov)).items():
            assert abs(value - base[ov][B]) < 1e-9, (ov, B)


def test_race_labels_count_updates_and_epochs():
    labels = ch14._race_labels(ch14.race_compute(-0.5, 0))
    assert labels == ["stochastic (B = 1): 500 updates = 1 epoch", "mini-batch (B = 8): 63 updates = 1 epoch",
                      "mini-batch (B = 32): 16 updates = 1 epoch", "batch (B = N = 500): 1 update = 1 epoch"]


def test_race_bad_input():
    with pytest.raises(TypeError, match="log10_lr"):
        ch14.race_compute("big", 50)
    with pytest.raises(ValueError, match="overhead"):
        ch14.race_compute(-0.5, -1)
    with pytest.raises(ValueError, match="n"):
        ch14.race_compute(-0.5, 50, n=100)


def test_race_axes_do_not_depend_on_the_controls():
    exp = ch14.race()
    limits = []
    for values in ({"log10_lr": -1.0, "overhead": 0}, {"log10_lr": 0.5, "overhead": 500}):
        fig = exp.figure_from(ch14.race_compute(**values))
        limits.append([(ax.get_xlim(), ax.get_ylim()) for ax in fig.axes])
    assert limits[0] == limits[1]


# ---------------------------------------------------------------- every experiment
@pytest.mark.parametrize("name", sorted(ch14.EXPERIMENTS))
def test_experiment_draws_and_fits_static_limit(name):
    exp = ch14.EXPERIMENTS[name]()
    n_frames = int(np.prod([len(c.static) for c in exp.controls]))
    assert 2 <= n_frames <= 64
    fig = exp.figure()
    main = [ax for ax in fig.axes if ax.has_data()]
    assert len(main) == 2
    assert all(ax.get_xlabel() for ax in main) and main[0].get_ylabel()
