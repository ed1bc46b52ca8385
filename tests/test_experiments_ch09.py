"""Chapter 9 experiments, tested through their pure compute functions (no widgets): what the lesson
claims about zero, constant and random starts and about Xavier's and He's variance arguments."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlab import init
from nnlab.experiments import ch09_weight_initialization as ch09


def per_layer_factor(values):
    """The geometric mean of values[l + 1] / values[l]: the factor a signal changes by per layer."""
    values = np.asarray(values, dtype=float)
    return float(np.exp(np.mean(np.diff(np.log(values)))))


# ---------------------------------------------------------------- 1. histograms at the start
def test_standard_init_shrinks_tanh_activations_by_sqrt_3_and_the_gradients_toward_the_input():
    d = ch09.histograms_compute("standard U(±1/√n_in)", "tanh", depth=5)
    assert np.all(np.diff(d["act_std"]) < 0)                        # narrower in every layer
    assert per_layer_factor(d["act_std"]) == pytest.approx(1 / np.sqrt(3), rel=0.1)
    assert np.all(np.diff(d["grad_rms"]) > 0)                       # smaller the further from the output
    assert d["grad_rms"][0] < d["grad_rms"][-1] / 5


def test_xavier_keeps_tanh_activations_and_gradients_across_ten_layers():
    d = ch09.histograms_compute("Xavier (normal)", "tanh", depth=10)
    assert 0.3 < d["act_std"][-1] / d["act_std"][0] <= 1.0
    assert 1 / 3 < d["grad_rms"][0] / d["grad_rms"][-1] < 3


def test_xavier_halves_the_relu_variance_per_layer_and_he_keeps_it():
    xavier = ch09.histograms_compute("Xavier (normal)", "relu", depth=10)
    assert per_layer_factor(xavier["act_std"][1:]) == pytest.approx(1 / np.sqrt(2), rel=0.1)
    he = ch09.histograms_compute("He (normal)", "relu", depth=10)
    assert 0.5 < he["act_std"][-1] / he["act_std"][0] < 2
    assert 0.5 < he["grad_rms"][0] / he["grad_rms"][-1] < 2


def test_sigmoid_gradients_shrink_by_about_4_per_layer_even_with_xavier():
    d = ch09.histograms_compute("Xavier (normal)", "sigmoid", depth=10)
    assert 3 < per_layer_factor(d["grad_rms"]) < 6                  # larger by ~4 per layer toward the output


def test_small_weights_vanish_and_large_weights_explode_relu():
    small = ch09.histograms_compute("small N(0, 0.01²)", "tanh", depth=10)
    assert per_layer_factor(small["act_std"][1:]) == pytest.approx(0.1, rel=0.15)   # sigma sqrt(n) = 0.1
    large = ch09.histograms_compute("large N(0, 1)", "relu", depth=10)
    assert large["act_std"][-1] / large["act_std"][0] > 1e6 and large["act_beyond"] > 0.3
    assert large["grad_rms"][0] > 1e3 * large["grad_rms"][-1]
    saturated = ch09.histograms_compute("large N(0, 1)", "tanh", depth=10)
    assert saturated["act_std"].min() > 0.85                          # outputs pinned near -1 and +1
    assert saturated["grad_rms"][0] > 100 * saturated["grad_rms"][-1]  # and the gradient still grows backwards


def test_histograms_count_every_value_once():
    d = ch09.histograms_compute("large N(0, 1)", "relu", depth=3)
    assert d["act"].shape == (3, ch09.BINS) and d["grad"].shape == (3, ch09.BINS)
    np.testing.assert_allclose(d["act"].sum(axis=1), 1)              # values beyond the range sit in the edge bins
    np.testing.assert_allclose(d["grad"].sum(axis=1), 1)
    assert len(d["act_edges"]) == len(d["grad_edges"]) == ch09.BINS + 1


def test_histograms_bad_input():
    with pytest.raises(ValueError, match="init"):
        ch09.histograms_compute("glorot", "tanh", 3)
    with pytest.raises(ValueError, match="activation"):
        ch09.histograms_compute("He (normal)", "softplus", 3)


# ---------------------------------------------------------------- 2. symmetry
def test_all_zero_tanh_weights_never_move():
    d = ch09.symmetry_compute("zeros")
    assert d["W1"].shape == (ch09.SYM_EPOCHS + 1, 2, 4)
    assert np.all(d["W1"] == 0)                                       # not one weight, in any epoch
    for layer in d["model"].layers[::2]:
        assert np.all(layer.params["W"] == 0)
        assert np.all(np.abs(layer.params["b"]) < 1e-12)              # balanced classes: even the output bias stays
    np.testing.assert_allclose(d["loss"], np.log(2), rtol=1e-12)
    assert d["accuracy"] == 0.5


@pytest.mark.parametrize("value, dataset", [(0.5, "circles"), (-1.0, "circles"), (1.0, "moons")])
def test_constant_weights_move_but_the_units_stay_identical(value, dataset):
    d = ch09.symmetry_compute("constant c", value=value, dataset=dataset)
    assert np.abs(d["W1"][-1] - d["W1"][0]).max() > 0.3               # the weights do change ...
    assert np.all(d["gap1"] < 1e-12) and np.all(d["gap2"] < 1e-12)    # ... but every unit the same way
    # one unit per layer: the output depends on x only through W[:, 0] . x, so the boundary is a line
    model, X = d["model"], d["X"]
    w = model.layers[0].params["W"][:, 0]
    along = np.outer(np.linspace(-2, 2, 7), [-w[1], w[0]])            # moves that keep w . x fixed
    outputs = np.array([model(X + shift).ravel() for shift in along])
    assert np.ptp(outputs, axis=0).max() < 1e-9


def test_constant_start_fails_where_random_succeeds():
    constant = ch09.symmetry_compute("constant c")
    xavier = ch09.symmetry_compute("Xavier (uniform)")
    assert constant["accuracy"] < 0.75 and constant["loss"][-1] > 0.5
    assert xavier["accuracy"] >= 0.97 and xavier["loss"][-1] < 0.05
    assert xavier["gap1"][-1] > 1


def test_tiny_noise_breaks_the_symmetry_only_slowly():
    d = ch09.symmetry_compute("c + noise N(0, 0.001²)")
    assert 0 < d["gap1"][0] < 0.01 and d["gap1"][-1] < 0.01            # still nearly identical after 600 epochs
    constant = ch09.symmetry_compute("constant c")
    assert d["accuracy"] == pytest.approx(constant["accuracy"], abs=0.02)


def test_unit_gap():
    assert ch09.unit_gap(np.ones((3, 5))) == 0.0
    assert ch09.unit_gap([[1.0, 1.0, 3.0], [0.0, -1.0, 0.0]]) == 2.0
    Ws = np.random.default_rng(0).normal(size=(4, 3, 5))
    np.testing.assert_array_equal(ch09._unit_gaps(Ws), [ch09.unit_gap(W) for W in Ws])


def test_symmetry_applies_and_bad_input():
    assert ch09.symmetry_applies("zeros", 0.5, "circles") == {"init", "dataset"}
    assert "value" in ch09.symmetry_applies("constant c", 0.5, "moons")
    with pytest.raises(ValueError, match="init"):
        ch09.symmetry_compute("ones")
    with pytest.raises(ValueError, match="dataset"):
        ch09.symmetry_compute("zeros", dataset="spirals")


def test_symmetry_is_deterministic():
    a, b = (ch09.symmetry_compute("Xavier (uniform)", dataset="moons", epochs=20) for _ in range(2))
    np.testing.assert_array_equal(a["W1"], b["W1"])
    np.testing.assert_array_equal(a["loss"], b["loss"])


# ---------------------------------------------------------------- every experiment
@pytest.mark.parametrize("name", sorted(ch09.EXPERIMENTS))
def test_experiment_draws_and_fits_static_limit(name):
    exp = ch09.EXPERIMENTS[name]()
    n_frames = int(np.prod([len(c.static) for c in exp.controls]))
    assert 8 <= n_frames <= 64
    fig = exp.figure()
    assert isinstance(fig, Figure)
    main = [ax for ax in fig.axes if ax.has_data() and ax.get_label() != "<colorbar>"]
    assert len(main) >= 2 and all(ax.get_xlabel() and ax.get_ylabel() for ax in main[:1])


def test_histogram_rows_beyond_the_depth_are_blank():
    d = ch09.histograms_compute("He (normal)", "relu", depth=2)
    image = ch09._rows(d["act"])
    assert image.shape == (ch09.MAX_DEPTH, ch09.BINS)
    assert np.all(np.isnan(image[2:])) and np.any(np.isfinite(image[:2]))


# ---------------------------------------------------------------- the chapter's other figures
def test_a_tiny_start_is_still_at_ln_2_after_600_epochs_and_xavier_fits():
    runs = ch09.bad_good_compute()["runs"]
    small, xavier = (runs[k]["history"] for k in ch09.BAD_GOOD)
    assert abs(small.train_loss[-1] - np.log(2)) < 1e-3 and small.train_acc[-1] < 0.65
    assert xavier.train_loss[-1] < 0.05 and xavier.train_acc[-1] == 1.0


def test_digits_densities_narrow_from_the_standard_start_and_keep_their_spread_from_xavier():
    standard = ch09.digits_density_compute("standard U(±1/√n_in)")
    xavier = ch09.digits_density_compute("Xavier (normal)")
    assert np.all(np.diff(standard["std"]) < 0) and standard["std"][-1] < 0.1
    assert xavier["std"].min() > 0.2
    assert standard["history"].train_loss[-1] > 2 > 0.5 > xavier["history"].train_loss[-1]
    widths = np.diff(standard["edges"])
    np.testing.assert_allclose((standard["density"] * widths).sum(axis=1), 1)   # tanh outputs lie in (-1, 1)


def test_thirty_relu_layers_stall_from_xavier_and_learn_from_he():
    runs = ch09.deep_relu_compute()
    xavier, he = runs["Xavier (normal)"], runs["He (normal)"]
    assert np.all(np.abs(xavier["loss"] - np.log(10)) < 0.01)
    assert he["loss"].min() < 1
    ratio = xavier["act_std"][-1] / xavier["act_std"][0]
    assert 2 ** -14.5 / 3 < ratio < 3 * 2 ** -14.5                   # 29 halvings of the variance
    assert 0.3 < he["act_std"][-1] / he["act_std"][0] < 3


def test_named_initializers_have_the_variances_the_chapter_states(rng):
    shape = (400, 600)
    expected = {"small N(0, 0.01²)": 1e-4, "standard U(±1/√n_in)": 1 / 1200, "Xavier (normal)": 1 / 500,
                "He (normal)": 2 / 400, "large N(0, 1)": 1.0}
    for name, variance in expected.items():
        assert ch09.named_init(name)(shape, rng).var() == pytest.approx(variance, rel=0.02), name
    assert ch09.symmetry_init("Xavier (uniform)") is init.xavier_uniform
