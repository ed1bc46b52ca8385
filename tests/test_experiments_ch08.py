"""Chapter 8 experiments, tested through their compute functions (no widgets): what the lesson claims."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlab.clipping import ClipByNorm
from nnlab.experiments import ch08_vanishing_gradients as ch08


@pytest.fixture(scope="module")
def sigmoid_run():
    return ch08.training_run(10, "sigmoid", 1.0)


# ---------------------------------------------------------------- vanishing
def test_sigmoid_gradient_shrinks_layer_by_layer_towards_the_input(sigmoid_run):
    grad, delta = sigmoid_run["grad"][0], sigmoid_run["delta"][0]
    assert grad.shape == delta.shape == (11,)
    assert np.all(np.diff(np.log(delta)) > 0)             # every layer back loses some
    assert ch08.first_to_last(sigmoid_run) < 1e-6          # layer 1 gets < a millionth of the last layer's
    assert ch08.first_to_last(sigmoid_run, "delta") < 1e-6
    per_layer = (delta[0] / delta[-1]) ** (1 / 10)         # the average factor per layer: below 1/4
    assert 0.1 < per_layer < 0.25


def test_sigmoid_training_stalls_early_at_the_constant_output(sigmoid_run):
    loss = sigmoid_run["loss"]
    assert len(loss) == ch08.EPOCHS + 1 and not sigmoid_run["diverged"]
    assert loss[-1] == pytest.approx(ch08.CONSTANT_LOSS, rel=0.01)
    assert abs(loss[5] - loss[-1]) < 0.002                # stalled within 5 epochs
    tanh = ch08.training_run(10, "tanh", 1.0)["loss"]
    assert tanh[-1] < 0.5 * ch08.CONSTANT_LOSS             # the tanh network of the same depth learns


def test_sigmoid_layers_near_the_input_barely_move(sigmoid_run):
    first_update = sigmoid_run["ratio"][0]
    assert first_update[0] < 1e-7 and first_update[-1] > 0.1
    assert np.all(np.diff(np.log(first_update)) > 0)
    moved = np.abs(sigmoid_run["weight"][-1] / sigmoid_run["weight"][0] - 1)
    assert np.all(moved[:9] < 1e-3)                       # the first 9 layers keep their weights ...
    assert 0.02 < moved[-1] < 0.2                          # ... the output layer's shrink by a few percent,


def test_weights_do_not_shrink_exponentially(sigmoid_run):
    w = sigmoid_run["weight"]
    assert np.all(w[-1] > 0.8 * w[0])                      # nothing like an exponential decay


def test_relu_small_scale_vanishes_in_delta_but_not_in_weight_gradients():
    d = ch08.training_run(10, "relu", 0.5, epochs=1)
    assert ch08.first_to_last(d, "delta") < 1e-3           # the backward product shrinks ...
    assert 0.2 < ch08.first_to_last(d) < 5                 # ... and the inputs shrink forward as much
    assert np.max(d["grad"][0]) < 1e-3                     # every layer's gradient is tiny


# ---------------------------------------------------------------- exploding
def test_relu_large_scale_explodes_and_diverges():
    d = ch08.training_run(10, "relu", 2.0)
    assert d["diverged"] and d["epochs"] <= 5
    assert np.all(d["ratio"][0] > 1)                       # the first update moves every layer by more than its size
    assert d["loss"][1] > 100 * d["loss"][0]


def test_tanh_large_scale_grows_the_gradient_towards_the_input_and_the_loss_jumps():
    d = ch08.training_run(10, "tanh", 4.0)
    assert ch08.first_to_last(d, "delta") > 10
    assert np.all(d["saturated"][0] > 0.3)                 # although many units are saturated
    assert np.sum(np.diff(d["loss"][:6]) > 0) >= 2         # the loss goes up in some of the first updates
    assert not d["diverged"] and d["loss"][-1] < 0.1


def test_clipping_by_norm_tames_the_exploding_run():
    d = ch08.training_run(10, "relu", 2.0, clip=ClipByNorm(2.0))
    assert not d["diverged"] and d["loss"][-1] < 0.1
    assert np.all(np.isfinite(d["grad"]))


def exploding_facts(d):
    """What the chapter prints about the exploding runs: diverged (after how many epochs), the number of
    the first 5 updates after which the loss was higher, and whether the final loss is below 0.1."""
    loss = d["loss"]
    return (d["diverged"], d["epochs"] if d["diverged"] else None, int(np.sum(np.diff(loss[:6]) > 0)),
            bool(loss[-1] < 0.1))


@pytest.mark.parametrize("seed", [0, 1])
def test_exploding_facts_survive_last_digit_changes(nudge, seed):
    """A change in the last digits of the initial weights (as another CPU's rounding would make)
    leaves the printed facts as they are."""
    settings = [("relu", 2.0, None), ("tanh", 4.0, None), ("relu", 2.0, ClipByNorm(2.0))]
    expected = [exploding_facts(ch08.training_run(10, a, g, clip=c)) for a, g, c in settings]
    nudge(ch08, seed)
    assert [exploding_facts(ch08.training_run(10, a, g, clip=c)) for a, g, c in settings] == expected
    assert expected == [(True, 2, 2, False), (False, None, 2, True), (False, None, 1, True)]


# ---------------------------------------------------------------- well-scaled networks keep the gradient
@pytest.mark.parametrize("activation,gain", [("tanh", 1.0), ("relu", 1.41)])
def test_a_proper_scale_keeps_the_gradient_within_a_factor_ten(activation, gain):
    d = ch08.training_run(10, activation, gain, epochs=1)
    assert 0.1 < ch08.first_to_last(d, "delta") < 10 and 0.1 < ch08.first_to_last(d) < 10


# ---------------------------------------------------------------- saturation
def test_saturation_grows_with_the_weight_scale_for_tanh():
    small, big = ch08.saturation_compute("tanh", 0.25), ch08.saturation_compute("tanh", 4.0)
    assert np.all(small["saturated"] == 0) and np.all(big["saturated"] > 0.3)
    assert np.all(big["slope"] < 0.4) and np.all(small["slope"] > 0.9)
    assert big["saturated"].shape == (10,) and big["max_slope"] == 1.0


def test_relu_saturates_half_its_units_whatever_the_scale():
    fractions = [ch08.saturation_compute("relu", g)["saturated"] for g in (0.25, 1.0, 8.0)]
    np.testing.assert_array_equal(fractions[0], fractions[1])      # sign(z) does not depend on the scale
    np.testing.assert_array_equal(fractions[0], fractions[2])
    assert 0.3 < np.mean(fractions[0]) < 0.7


def test_sigmoid_vanishes_without_saturating(sigmoid_run):
    d = ch08.saturation_compute("sigmoid", 1.0)
    assert np.all(d["saturated"] == 0) and np.all(d["slope"] <= 0.25) and d["max_slope"] == 0.25
    assert np.all(sigmoid_run["saturated"] == 0)


# ---------------------------------------------------------------- every experiment
@pytest.mark.parametrize("name", sorted(ch08.EXPERIMENTS))
def test_experiment_draws_and_fits_static_limit(name):
    exp = ch08.EXPERIMENTS[name]()
    n_frames = int(np.prod([len(c.static) for c in exp.controls]))
    assert 2 <= n_frames <= 64
    fig = exp.figure()
    main = [ax for ax in fig.axes if ax.has_data()]
    assert len(main) == 2 and all(ax.get_xlabel() and ax.get_ylabel() for ax in main)


def test_static_frames_stay_inside_the_fixed_axes():
    for depth in (2, 6, 10):   # the static frames (2 and 10) and one between
        for activation in ch08.ACTIVATIONS:
            for gain in ch08.GAINS:
                d = ch08.training_run(depth, activation, gain)
                if d["diverged"]:
                    continue
                assert np.all((d["grad"] > ch08.GRAD_LIMITS[0]) & (d["grad"] < ch08.GRAD_LIMITS[1])), (depth, activation, gain)
                assert np.all((d["loss"] > ch08.LOSS_LIMITS[0]) & (d["loss"] < ch08.LOSS_LIMITS[1])), (depth, activation, gain)
                assert np.all((d["ratio"] > ch08.RATIO_LIMITS[0]) & (d["ratio"] < ch08.RATIO_LIMITS[1])), (depth, activation, gain)


def test_diverged_runs_are_marked_and_drawn_on_the_edge():
    d = ch08.training_run(10, "relu", 4.0)
    fig = Figure()
    art = ch08.training_signs_draw(d, fig)
    assert "diverged" in art["diverged"].get_text()
    y = art["loss"].get_ydata()
    assert np.all(np.isfinite(y)) and y[-1] == ch08.LOSS_LIMITS[1]
    fresh = ch08.training_run(10, "tanh", 1.0)
    ch08.training_signs_update(fresh, art)
    assert art["diverged"].get_text() == ""


def test_runs_are_deterministic():
    a, b = (ch08.training_run(4, "tanh", 2.0) for _ in range(2))
    for key in ("loss", "grad", "delta", "ratio", "weight"):
        np.testing.assert_array_equal(a[key], b[key])


def test_bad_input():
    with pytest.raises(ValueError, match="activation"):
        ch08.training_run(3, "softplus", 1.0)
    with pytest.raises(ValueError, match="depth"):
        ch08.training_run(0, "tanh", 1.0)
    with pytest.raises(ValueError, match="gain"):
        ch08.saturation_compute("tanh", -1.0)
