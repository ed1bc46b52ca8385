"""Chapter 12 experiments, tested through their pure compute functions (no widgets)."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlab import Dropout
from nnlab.experiments import ch12_dropout as ch12
from nnlab.viz import plots


@pytest.fixture(scope="module")
def rates():
    return {(ds, p): ch12.rate_explorer_compute(ds, p) for ds in ("moons", "circles") for p in (0.0, 0.5)}


# ---------------------------------------------------------------- the dropout rate
def test_the_network_has_dropout_after_each_hidden_layer_and_not_on_the_output():
    model = ch12.make_network(0.5)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Dense", "ReLU", "Dropout", "Dense", "ReLU", "Dropout", "Dense", "Sigmoid"]
    assert all(layer.p_drop == 0.5 and layer.inverted for layer in model.layers if isinstance(layer, Dropout))


@pytest.mark.parametrize("dataset", ["moons", "circles"])
def test_without_dropout_the_network_overfits_and_dropout_narrows_the_gap(rates, dataset):
    plain, dropped = rates[(dataset, 0.0)]["history"], rates[(dataset, 0.5)]["history"]
    assert plain.train_loss[-1] < 0.07                               # it (nearly) memorises 40 points ...
    assert plain.val_loss[-1] > 4 * plain.train_loss[-1]             # ... and validates far worse
    assert plain.val_loss[-1] > min(plain.val_loss) + 0.05           # its validation loss climbs again
    assert dropped.train_loss[-1] > 1.5 * plain.train_loss[-1]       # dropout: worse on the training data
    assert dropped.val_loss[-1] < plain.val_loss[-1] - 0.03          # ... better on new data
    gap = lambda h: h.val_loss[-1] - h.train_loss[-1]
    assert gap(dropped) < gap(plain)


def test_training_loss_rises_with_the_dropout_rate():
    final = [ch12.rate_explorer_compute("moons", p)["history"].train_loss[-1] for p in ch12.RATES]
    assert np.all(np.diff(final) > 0)


def test_rate_explorer_loss_axis_and_region_hold_every_frame(rates):
    low1, high1, low2, high2 = ch12.REGION
    for d in rates.values():
        h = d["history"]
        for curve in (h.train_loss, h.val_loss):
            assert ch12.LOSS_LIMITS[0] < min(curve) and max(curve) < ch12.LOSS_LIMITS[1]
        for X in (d["X"], d["X_val"]):
            assert np.all((X > [low1, low2]) & (X < [high1, high2]))
    d = ch12.rate_explorer_compute("moons", 0.75)
    assert ch12.LOSS_LIMITS[0] < min(d["history"].train_loss) and max(d["history"].val_loss) < ch12.LOSS_LIMITS[1]


def test_rate_explorer_region_is_the_networks_class_1(rates):
    d = rates[("circles", 0.5)]
    paths = plots.region_paths(d["grid"])
    inside = np.any([path.contains_points(d["X_val"]) for path in paths], axis=0)
    assert np.mean(inside == (d["model"](d["X_val"]).ravel() >= 0.5)) > 0.97


def test_rate_explorer_is_deterministic_and_the_test_mode_is_too():
    a, b = ch12.rate_explorer_compute("moons", 0.25, epochs=20), ch12.rate_explorer_compute("moons", 0.25, epochs=20)
    np.testing.assert_array_equal(a["history"].train_loss, b["history"].train_loss)
    np.testing.assert_array_equal(a["model"](a["X"]), a["model"](a["X"]))   # test mode draws no mask


def test_rate_explorer_bad_input():
    with pytest.raises(ValueError, match="dataset"):
        ch12.rate_explorer_compute("spirals", 0.5)
    with pytest.raises(ValueError, match="p_drop"):
        ch12.rate_explorer_compute("moons", 1.0)


# ---------------------------------------------------------------- Monte Carlo average
@pytest.fixture(scope="module")
def masks():
    return ch12.mc_masks_compute(0.5)


def test_mc_running_average_is_the_mean_of_the_thinned_networks(masks):
    K = len(masks["running"])
    assert K == 2 ** ch12.MC_MAX_LOG2 and masks["running"].shape == (K, ch12.MC_N)
    # row k - 1 is a running mean: k * row(k - 1) - (k - 1) * row(k - 2) is the k-th thinned network's output
    k = np.arange(1, K + 1)[:, None]
    single = np.diff(np.vstack([np.zeros(ch12.MC_N), masks["running"] * k]), axis=0)
    assert np.all((single > -1e-9) & (single < 1 + 1e-9))            # sigmoid outputs
    np.testing.assert_allclose(single.var(axis=0).mean(), masks["sigma2"], rtol=1e-6)
    # one thinned network spreads widely; the sampling noise of the average of 512 is small
    assert np.sqrt(masks["sigma2"]) > 0.05 and np.sqrt(masks["sigma2"] / K) < 0.01


def test_mc_average_settles_near_the_test_mode_output(masks):
    one, many = ch12.mc_view(masks, 0), ch12.mc_view(masks, ch12.MC_MAX_LOG2)
    assert many["rms"] < 0.1                                     # close to the scaled network ...
    assert many["rms"] > 0.02                                    # ... but not equal: the approximation's gap
    assert ch12.same_side(many) >= 98                           # it classes (nearly) every point alike
    # the tracked points' running averages move less and less: last half vs first 8 masks
    for i in masks["tracked"]:
        run = masks["running"][:, i]
        assert np.ptp(run[256:]) < np.ptp(run[:8]) + 1e-12


def test_mc_view_selects_the_first_K(masks):
    d = ch12.mc_view(masks, 4)
    assert d["K"] == 16
    np.testing.assert_array_equal(d["mc"], masks["running"][15])
    with pytest.raises(ValueError, match="log2_K"):
        ch12.mc_view(masks, ch12.MC_MAX_LOG2 + 1)


def test_mc_experiment_trains_once_per_rate():
    exp = ch12.mc_average()
    a = exp.computed(log2_K=0, p_drop=0.25)
    b = exp.computed(log2_K=9, p_drop=0.25)
    assert a["running"] is b["running"]                           # the masks are drawn once per p_drop
    assert exp.computed(log2_K=9, p_drop=0.5)["running"] is not a["running"]
    np.testing.assert_array_equal(exp.computed(log2_K=3, p_drop=0.25)["mc"],
                                  ch12.mc_average_compute(3, 0.25)["mc"])     # the plain function agrees


# ---------------------------------------------------------------- the chapter's static results
def test_two_input_example_gives_half_the_full_output():
    w, x = np.array([3.0, -2.0]), np.array([1.5, 0.5])
    z, p, y = ch12.two_input_masks(w, x, 0.5)
    assert len(z) == 4 and np.all(p == 0.25)
    assert p @ y == 0.5 * (w @ x)
    z, p, y = ch12.two_input_masks(w, x, 0.25)
    assert p @ y == pytest.approx(0.75 * (w @ x), rel=1e-15)      # the keep probability, not the drop one


def test_dropout_spreads_the_work_over_the_units():
    inc = ch12.coadaptation_compute()
    plain, dropped = inc[0.0], inc[0.5]
    assert plain.shape == dropped.shape == (ch12.HIDDEN,)
    assert plain[0] > 0.02 and plain[0] > 5 * dropped[0]          # one unit matters a lot without dropout
    assert np.sum(plain > 0.01) >= 3 and np.sum(dropped > 0.01) == 0


def test_thinned_networks_are_a_varied_ensemble():
    e = ch12.ensemble_compute()
    acc = e["thinned_acc"]
    assert len(acc) == 200 and acc.min() < 0.8 < 0.85 < np.median(acc)
    assert e["average_acc"] >= np.median(acc) - 0.01
    assert abs(e["scaled_acc"] - e["average_acc"]) <= 0.02
    assert e["spread"].mean() > 0.05 and len(e["maps"]) == 12


def test_scaling_is_exact_before_the_sigmoid_and_close_after_it():
    g = ch12.scaling_gap_compute()
    assert g["masks"] == 4096
    assert g["logit"][1] < 1e-12                                   # one linear layer after dropout: exact
    assert 0.01 < g["output"][0] < 0.1 and g["output"][1] < 0.3    # through the sigmoid: close, not exact
    exact, scaled = g["to_exact"], g["to_scaled"]
    assert exact[-1] < 0.01 and exact[-1] < exact[0] / 10          # the average of random masks -> E_z[f]
    assert scaled[-1] > 0.03                                       # ... which is not the test-mode output


def test_draw_thinned_crosses_out_dropped_units():
    fig = Figure()
    ax = fig.subplots()
    kept = [np.array([1, 0]), np.array([1, 1, 0]), np.array([1])]
    ch12.draw_thinned(ax, [2, 3, 1], kept)
    assert len(ax.lines) == 2 * 2                                 # two strokes per crossed-out unit
    arrows = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    assert len(arrows) == 1 * 2 + 2 * 1                           # only between kept units


def test_random_kept_never_drops_outputs():
    kept = ch12.random_kept([2, 5, 5, 1], 0.9, np.random.default_rng(0))
    assert kept[0].all() and kept[-1].all() and len(kept) == 4


# ---------------------------------------------------------------- every experiment
@pytest.mark.parametrize("name", sorted(ch12.EXPERIMENTS))
def test_experiment_draws_and_fits_static_limit(name):
    exp = ch12.EXPERIMENTS[name]()
    n_frames = int(np.prod([len(c.static) for c in exp.controls]))
    assert 2 <= n_frames <= 64 and exp.warm
    fig = exp.figure()
    main = [ax for ax in fig.axes if ax.has_data()]
    assert len(main) == 2
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in main)
