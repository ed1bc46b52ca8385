"""Chapter 10 experiments, tested through their pure compute functions (no widgets)."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlab.experiments import ch10_batch_normalization as ch10

LN2 = np.log(2)
WITHOUT, WITH = ch10.RUNS


# ---------------------------------------------------------------- with and without batch norm
@pytest.mark.parametrize("depth", [4, 6, 8])
@pytest.mark.parametrize("log10_lr", [-1.0, 0.0, 0.5])
def test_deep_sigmoid_network_trains_only_with_batch_norm(depth, log10_lr):
    runs = ch10.bn_training_compute("sigmoid", depth, log10_lr)["runs"]
    without, with_bn = runs[WITHOUT]["loss"], runs[WITH]["loss"]
    assert without[0] == pytest.approx(with_bn[0], rel=1e-4)   # same start: test mode with mu = 0, var = 1 (+ eps)
    assert abs(without[-1] - LN2) < 0.01                     # stuck at answering 0.5 for everyone
    assert with_bn[-1] < 0.5 and with_bn[-1] < without[-1] - 0.2


def test_without_batch_norm_the_sigmoid_gradient_vanishes_towards_the_input():
    runs = ch10.bn_training_compute("sigmoid", 6, 0.0)["runs"]
    without, with_bn = runs[WITHOUT]["grad_norm"], runs[WITH]["grad_norm"]
    assert len(without) == len(with_bn) == 7                  # 6 hidden Dense layers and the output layer
    assert without[0] < 1e-2 * without[-1]                    # first layer: over 100x smaller than the last
    assert np.all(np.diff(without) > 0)                       # smaller at every step towards the input
    assert with_bn[0] > with_bn[-1]                           # with batch norm it does not vanish at all
    assert with_bn.max() / with_bn.min() < 100


def _tanh_high_lr_facts():
    runs = ch10.bn_training_compute("tanh", 6, 0.5)["runs"]
    without, with_bn = runs[WITHOUT]["loss"], runs[WITH]["loss"]
    return without[-1] > 2 * without[0], with_bn[-1] < 0.75 * with_bn[0]


def test_a_tanh_learning_rate_that_only_works_with_batch_norm():
    assert _tanh_high_lr_facts() == (True, True)    # thrown far above its start; well below it with batch norm
    small = ch10.bn_training_compute("tanh", 6, -1.0)["runs"]
    assert small[WITHOUT]["loss"][-1] < 0.35 and small[WITH]["loss"][-1] < 0.35   # a small rate: both train


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_chaotic_tanh_facts_survive_last_digit_changes(nudge, seed):
    """At eta = 10**0.5 the run with batch norm is chaotic: the facts the chapter prints must not be."""
    nudge(ch10, seed)
    assert _tanh_high_lr_facts() == (True, True)


def test_shallow_network_trains_without_batch_norm_too():
    runs = ch10.bn_training_compute("sigmoid", 2, 0.5)["runs"]
    assert runs[WITHOUT]["loss"][-1] < 0.4


def test_bn_training_losses_stay_inside_the_fixed_axes_on_every_static_frame():
    exp = ch10.bn_training()
    low, high = ch10.LOSS_LIMITS
    for _, values in exp.frames():
        for run in exp.compute(**values)["runs"].values():
            loss = run["loss"]
            assert np.all(np.isfinite(loss)), values
            assert low < loss.min() and loss.max() < high, values
            assert ch10.GRAD_LIMITS[0] < run["grad_norm"].min() and run["grad_norm"].max() < ch10.GRAD_LIMITS[1]


def test_bn_training_is_deterministic_and_uses_fit():
    a = ch10.bn_training_compute("tanh", 4, -0.5)
    b = ch10.bn_training_compute("tanh", 4, -0.5)
    for name in ch10.RUNS:
        np.testing.assert_array_equal(a["runs"][name]["loss"], b["runs"][name]["loss"])
        history = a["runs"][name]["history"]
        np.testing.assert_array_equal(a["runs"][name]["loss"][1:], history.train_loss)
        assert history.iterations == ch10.EPOCHS * ch10.N_TRAIN // ch10.BATCH
    kinds = [type(layer).__name__ for layer in a["runs"][WITH]["model"].layers]
    assert kinds[:3] == ["Dense", "BatchNorm", "Tanh"] and "BatchNorm" not in kinds[-2:]


def test_bn_training_bad_input():
    with pytest.raises(ValueError, match="activation"):
        ch10.bn_training_compute("relu6", 4, 0.0)
    with pytest.raises(TypeError, match="log10_lr"):
        ch10.bn_training_compute("tanh", 4, "big")
    with pytest.raises(ValueError, match="depth"):
        ch10.bn_training_compute("tanh", 0, 0.0)


def test_both_placements_train():
    runs = ch10.placements_compute()
    assert list(runs) == list(ch10.PLACEMENTS)
    final = {name: run["loss"][-1] for name, run in runs.items()}
    assert abs(final["without batch norm"] - LN2) < 0.01
    assert final["batch norm before the activation"] < 0.35
    assert final["batch norm after the activation"] < 0.35
    kinds = [type(layer).__name__ for layer in runs["batch norm after the activation"]["model"].layers]
    assert kinds[:3] == ["Dense", "Sigmoid", "BatchNorm"]
    fig = Figure()
    ax = ch10.placements_draw(runs, fig.subplots())
    assert len(ax.get_lines()) == 3 and ax.get_xlabel() and ax.get_ylabel()


# ---------------------------------------------------------------- train mode against test mode
def test_running_statistics_after_one_batch_are_mostly_their_start():
    d = ch10.train_vs_test_compute(log2_batch=5, batches=1, momentum=0.9)
    assert d["running_mean"][0] == 0.0 and d["running_std"][0] == 1.0
    # mu = m mu + (1 - m) mu_B with mu = 0: one tenth of the batch mean
    assert d["running_mean"][1] == pytest.approx(0.1 * d["batch_means"][0], rel=1e-12)
    assert d["rms_test"] > 1.0                                 # test mode far off ...
    assert d["rms_train"] < 0.2                                # ... while train mode on batches of 32 is close


def test_test_mode_improves_with_batches_seen():
    rms = [ch10.train_vs_test_compute(5, k, 0.9)["rms_test"] for k in (1, 5, 20, 200)]
    assert np.all(np.diff(rms) < 0)
    assert rms[-1] < 0.05 < 1.0 < rms[0]


def test_larger_momentum_needs_more_batches():
    for k in (5, 20):
        slow = ch10.train_vs_test_compute(5, k, 0.99)["rms_test"]
        fast = ch10.train_vs_test_compute(5, k, 0.9)["rms_test"]
        assert slow > 2 * fast


def test_train_mode_gets_worse_as_the_batch_shrinks():
    rms = [ch10.train_vs_test_compute(b, 10, 0.9)["rms_train"] for b in range(1, 8)]
    assert np.all(np.diff(rms) < 0)
    assert rms[0] > 0.8 and rms[-1] < 0.05


def test_batches_of_two_normalise_to_plus_and_minus_one():
    d = ch10.train_vs_test_compute(1, 10, 0.9)
    # x_hat = (+-gap/2) / sqrt(gap^2/4 + eps): +-1 unless the two values nearly coincide (then eps shrinks it)
    assert np.all(np.abs(d["train"]) <= 1.0)
    assert np.mean(np.abs(np.abs(d["train"]) - 1.0) < 1e-3) > 0.9
    assert np.all(d["train"].reshape(-1, 2).sum(axis=1) == pytest.approx(0.0, abs=1e-12))   # each pair: -a, +a


def test_tiny_batches_bias_the_running_variance_down():
    # E[biased variance of 2 values] = var / 2: the running std of batches of 2 settles near std / sqrt 2
    for m in (0.9, 0.99):
        d = ch10.train_vs_test_compute(1, 200, m)
        assert d["running_std"][-1] < 0.8 * d["true_std"]
        big = ch10.train_vs_test_compute(7, 200, m)
        assert abs(big["running_std"][-1] / big["true_std"] - 1) < 0.1


def test_train_vs_test_outputs_stay_inside_the_fixed_axes():
    exp = ch10.train_vs_test()
    for _, values in exp.frames():
        d = exp.compute(**values)
        assert np.all((ch10.IDEAL_LIMITS[0] < d["ideal"]) & (d["ideal"] < ch10.IDEAL_LIMITS[1]))
        assert np.all((ch10.OUT_LIMITS[0] < d["test"]) & (d["test"] < ch10.OUT_LIMITS[1])), values
        assert np.all((ch10.OUT_LIMITS[0] < d["train"]) & (d["train"] < ch10.OUT_LIMITS[1])), values
        assert len(d["running_mean"]) == d["k"] + 1


def test_train_vs_test_bad_input():
    with pytest.raises(ValueError, match="log2_batch"):
        ch10.train_vs_test_compute(log2_batch=0)
    with pytest.raises(ValueError, match="momentum"):
        ch10.train_vs_test_compute(momentum=1.5)


# ---------------------------------------------------------------- every experiment and the diagram
@pytest.mark.parametrize("name", sorted(ch10.EXPERIMENTS))
def test_experiment_draws_and_fits_static_limit(name):
    exp = ch10.EXPERIMENTS[name]()
    n_frames = int(np.prod([len(c.static) for c in exp.controls]))
    assert 2 <= n_frames <= 64
    fig = exp.figure()
    main = [ax for ax in fig.axes if ax.has_data()]
    assert len(main) == 2
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in main)


def test_shared_statistics_diagram_colours_one_statistic_per_column_and_channel():
    fig = Figure()
    ax_fc, ax_cnn = ch10.shared_statistics_draw(fig, n=4, d=5, c=3, h=2, w=2)
    assert len(ax_fc.patches) == 4 * 5 and len(ax_cnn.patches) == 4 * 3 * 2 * 2
    colours = lambda ax: {tuple(p.get_facecolor()) for p in ax.patches}
    assert len(colours(ax_fc)) == 5 and len(colours(ax_cnn)) == 3
    assert "36" not in ax_cnn.get_title() and "16" in ax_cnn.get_title()   # N H W = 4 * 2 * 2


def test_running_statistics_from_too_few_batches_spoil_test_mode():
    d = ch10.few_batches_compute()
    assert [d[e]["updates"] for e in (1, 2, 15)] == [4, 8, 60]
    assert d[1]["train_acc"] > 0.85 and d[1]["test_acc"] < 0.6           # right in train mode, a coin at test time
    assert d[1]["test_loss"] > d[1]["train_loss"] + 0.1
    assert abs(d[15]["test_acc"] - d[15]["train_acc"]) < 0.05            # after 60 updates they agree
    assert abs(d[15]["test_loss"] - d[15]["train_loss"]) < 0.05
