"""Chapter 13 experiments, tested through their pure compute functions (no widgets)."""
import numpy as np
import pytest
from matplotlib.figure import Figure

import nnlab
from nnlab.experiments import ch13_gradient_clipping as ch13
from nnlab.topics import clipping_cliff as cliff


# ---------------------------------------------------------------- 1. the cliff
@pytest.fixture(scope="module")
def defaults():
    return ch13.cliff_compute(log10_threshold=0.0, lr=0.2)


def test_without_clipping_the_cliff_throws_the_parameters_away(defaults):
    run = defaults["runs"]["none"]
    assert run["longest"] > 15                        # eta * |g| with |g| near the face's slope 100
    assert run["throws"] >= 2 and ch13.off_chart(run["path"])
    assert run["far"] > 15


def test_clipping_by_norm_steps_off_the_wall_and_slides_down_the_ravine(defaults):
    run = defaults["runs"]["by norm"]
    steps = np.linalg.norm(np.diff(run["path"], axis=0), axis=1)
    assert np.all(steps <= 0.2 * 1.0 * (1 + 1e-12))  # no step longer than eta * v
    assert not ch13.off_chart(run["path"]) and run["throws"] == 0
    assert run["end_distance"] < 0.5 and abs(run["end_s"]) < 0.5
    assert np.max(run["angle"]) < 1e-4                # the direction is kept


def test_clipping_by_value_bends_the_step_and_stalls_up_the_ravine(defaults):
    run = defaults["runs"]["by value"]
    assert np.all(np.abs(run["used"]) <= 1.0)
    assert 20 < np.max(run["angle"]) <= 45            # bent, by at most 45 degrees in 2-D
    assert run["end_s"] < -1.5 and run["end_distance"] > 1.5   # the start is at s = -2.5
    # every component keeps its sign (or is zero), so the step is still downhill
    assert np.all(np.sign(run["used"]) == np.sign(run["raw"]))
    assert np.all(np.sum(run["used"] * run["raw"], axis=1) > 0)


def test_norm_clipping_ends_lowest(defaults):
    late = {m: r["late_loss"] for m, r in defaults["runs"].items()}
    lowest = cliff.loss_and_grad(cliff.lowest_point())[0]
    assert lowest < late["by norm"] < 1.0 < late["by value"] < 2.0 < 10 < late["none"]


def test_the_threshold_is_a_hyper_parameter():
    small = ch13.cliff_compute(log10_threshold=-1.0, lr=0.2)["runs"]["by norm"]
    assert small["end_distance"] > 1 and small["longest"] <= 0.2 * 0.1 * (1 + 1e-12)   # crawls
    for log10_v in (0.0, 0.5, 1.0):
        assert ch13.cliff_compute(log10_threshold=log10_v, lr=0.2)["runs"]["by norm"]["end_distance"] < 0.5
    assert ch13.cliff_compute(log10_threshold=1.5, lr=0.2)["runs"]["by norm"]["throws"] >= 1
    huge = ch13.cliff_compute(log10_threshold=2.0, lr=0.2)["runs"]
    for method in ("by value", "by norm"):             # above every gradient: clipping changes nothing
        np.testing.assert_array_equal(huge[method]["path"], huge["none"]["path"])


def test_larger_value_thresholds_push_further_up_the_ravine():
    ends = [ch13.cliff_compute(log10_threshold=v, lr=0.2)["runs"]["by value"]["end_s"] for v in (1.0, 1.5)]
    assert ends[0] < -2.5 and ends[1] < ends[0]       # beyond the start (s = -2.5)


def test_a_small_learning_rate_is_not_thrown():
    run = ch13.cliff_compute(log10_threshold=0.0, lr=0.05)["runs"]["none"]
    assert run["throws"] == 0 and run["longest"] < 3


def test_the_chapters_large_step():
    n = np.array(cliff.N)
    loss, g = cliff.loss_and_grad(0.03 * n)
    w_next = 0.03 * n - 0.2 * g
    assert 90 < np.linalg.norm(g) < 100
    assert -20 < w_next @ n < -18 and cliff.loss_and_grad(w_next)[0] > 150


def test_cliff_compute_is_deterministic_and_checks_input():
    a, b = (ch13.cliff_compute(0.5, 0.1) for _ in range(2))
    for m in ch13.METHODS:
        np.testing.assert_array_equal(a["runs"][m]["path"], b["runs"][m]["path"])
    with pytest.raises(TypeError, match="log10_threshold"):
        ch13.cliff_compute("big")
    with pytest.raises(ValueError, match="method"):
        ch13.make_clip("by magic", 1.0)


# ---------------------------------------------------------------- 2. the deep network
@pytest.fixture(scope="module")
def deep():
    return {m: ch13.deep_compute(m, 0.0) for m in ch13.METHODS}


def test_without_clipping_the_deep_network_explodes(deep):
    run = deep["none"]
    assert run["exploded"]
    assert run["loss"][1] > 1e10 * run["loss"][0]
    assert run["size"] == 3057


def test_clipping_by_norm_trains_it(deep):
    run = deep["by norm"]
    assert not run["exploded"]
    assert run["loss"][-1] < 0.5 < 20 < run["loss"][0]
    assert np.all(run["clipped_norm"] <= 1.0 * (1 + 1e-9))
    assert np.all(run["grad_norm"] > 1.0)               # every update was clipped
    np.testing.assert_allclose(run["clipped_norm"], 1.0, rtol=1e-9)


def test_clipping_by_value_trains_it_after_a_jump(deep):
    run = deep["by value"]
    assert not run["exploded"] and run["loss"][-1] < 0.5
    assert run["loss"][1] > 10 * run["loss"][0]          # the first update jumps up
    assert run["clipped_norm"][0] > 30                   # up to sqrt(3057) = 55 with each component <= 1


def test_deep_thresholds_as_the_chapter_tabulates_them():
    """Per threshold v: (exploded, final loss below 0.1) by value and by norm."""
    expected = {-1.0: ((False, True), (False, False)), -0.5: ((False, True), (False, False)),
                0.0: ((False, True), (False, False)), 0.5: ((True, True), (False, True)),
                1.0: ((True, False), (False, True)), 1.5: ((True, False), (False, True)),
                2.0: ((True, False), (True, False))}
    for log10_v, want in expected.items():
        got = tuple((r["exploded"], bool(r["loss"][-1] < 0.1))
                    for r in (ch13.deep_compute(m, log10_v) for m in ("by value", "by norm")))
        assert got == want, log10_v


def test_a_small_norm_threshold_is_slow_at_first():
    slow, good = ch13.deep_compute("by norm", -1.0), ch13.deep_compute("by norm", 0.5)
    assert slow["loss"][10] > 1 > 0.2 > good["loss"][10]


def test_an_exploded_network_ends_dead():
    run = ch13.deep_compute("by value", 1.0)
    assert run["exploded"] and run["loss"][-1] == pytest.approx(0.125, abs=0.005)   # a constant output 0.5
    assert run["grad_norm"][-1] < 1e-3


def test_deep_applies_and_grad_norm_is_fits():
    exp = ch13.deep_network()
    assert exp.active({"method": "none"}) == {"method"}
    assert exp.active({"method": "by norm"}) == {"method", "log10_threshold"}
    X, y = ch13.make_data()
    net = ch13.make_network()
    nnlab.probes.probe(net, nnlab.SquaredError(), X, y)
    grads = [g for *_, g in net.parameters()]
    run = ch13.deep_compute("by norm", 0.0, epochs=1)
    assert run["grad_norm"][0] == pytest.approx(nnlab.clipping.global_norm(grads), rel=1e-12)


def test_global_norm_keeps_the_direction_per_array_does_not():
    """The chapter's comparison on the deep network's first gradient."""
    X, y = ch13.make_data()
    net = ch13.make_network()
    nnlab.probes.probe(net, nnlab.SquaredError(), X, y)
    grads = [g for *_, g in net.parameters()]
    flat = lambda arrays: np.concatenate([a.ravel() for a in arrays])  # noqa: E731
    global_clip = nnlab.clipping.clip_by_norm(grads, 1.0)
    per_array = [nnlab.clipping.clip_by_norm(g, 1.0) for g in grads]
    assert cliff.angle_deg(flat(grads), flat(global_clip)) < 1e-4
    assert 30 < cliff.angle_deg(flat(grads), flat(per_array)) < 60
    assert nnlab.clipping.global_norm(per_array) == pytest.approx(np.sqrt(len(grads)))


# ---------------------------------------------------------------- every experiment
@pytest.mark.parametrize("name", sorted(ch13.EXPERIMENTS))
def test_experiment_draws_labelled_axes_and_fits_static_limit(name):
    exp = ch13.EXPERIMENTS[name]()
    n_frames = int(np.prod([len(c.static) for c in exp.controls]))
    assert 2 <= n_frames <= 64
    fig = exp.figure()
    assert isinstance(fig, Figure)
    assert all(ax.get_xlabel() for ax in fig.axes) and fig.axes[0].get_ylabel()


@pytest.mark.parametrize("name", sorted(ch13.EXPERIMENTS))
def test_axes_do_not_depend_on_the_controls(name):
    exp = ch13.EXPERIMENTS[name]()
    rng = np.random.default_rng(0)
    limits = []
    for values in [exp.defaults()] + [nnlab.experiment.random_values(exp, rng) for _ in range(2)]:
        fig = exp.figure(**values)
        limits.append([(ax.get_xlim(), ax.get_ylim(), tuple(ax.get_xticks()), tuple(ax.get_yticks()))
                       for ax in fig.axes])
    assert limits[0] == limits[1] == limits[2]


def test_cliff_titles_say_what_happened(defaults):
    titles = ch13._cliff_titles(defaults)
    assert "thrown" in titles[0] and "thrown" not in titles[2]
    assert "ends at s = -0.2" in titles[2]
