"""Chapter 11 experiments, tested through their pure compute functions (no widgets)."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlab.experiments import ch11_regularization as ch11
from nnlab.losses import BinaryCrossEntropy
from nnlab.topics.regularization import patience_stop


@pytest.fixture(scope="module")
def runs():
    """The explorer's runs that the tests below share (each trains for 600 epochs)."""
    out = {("none", None): ch11.penalty_explorer_compute("none")}
    for name in ("L2", "L1", "L1, proximal steps", "elastic net (β = 1)"):
        for log10_lam in (-2.5, -1.0):
            out[(name, log10_lam)] = ch11.penalty_explorer_compute(name, log10_lam)
    for log10_lam in (-4.0, -3.0, -2.0):
        out[("L2", log10_lam)] = ch11.penalty_explorer_compute("L2", log10_lam)
    return out


def _weights(model):
    return np.concatenate([p.ravel() for _, name, p, _ in model.parameters() if name == "W"])


# ---------------------------------------------------------------- the network overfits
def test_without_a_penalty_training_loss_falls_while_validation_loss_rises(runs):
    c = runs[("none", None)]["curves"]
    best = int(np.argmin(c["val"]))
    assert best < 0.25 * ch11.EPOCHS                          # validation is best early on ...
    assert c["val"][-1] > c["val"][best] + 0.08               # ... and clearly worse at the end
    assert np.all(np.diff(c["val"][best + 50:]) > 0)          # rising for good, not by noise
    assert np.all(np.diff(c["train"]) < 0)                    # while the training loss falls every epoch
    assert c["train"][-1] < c["train"][best] - 0.1
    assert c["train_acc"][-1] > c["val_acc"][-1]


def test_data_losses_leave_the_penalty_out(runs):
    d = runs[("L2", -2.0)]
    model, history, curves = ch11.train("L2", 1e-2, epochs=5)
    X, y, X_val, y_val = ch11.make_data()
    assert curves["val"][-1] == pytest.approx(BinaryCrossEntropy()(model(X_val), y_val)[0], rel=1e-12)
    assert history.val_loss[-1] > curves["val"][-1]         # fit's own losses include lambda R(W)
    assert d["curves"]["val"].shape == (ch11.EPOCHS,)


# ---------------------------------------------------------------- lambda: too small, right, too large
def test_a_moderate_l2_penalty_stops_the_overfitting(runs):
    none, l2 = runs[("none", None)]["curves"], runs[("L2", -2.0)]["curves"]
    assert l2["val"][-1] < none["val"][-1] - 0.08
    assert l2["val"][-1] - l2["val"].min() < 0.005            # no rise at the end
    assert l2["val_acc"][-1] > none["val_acc"][-1]


def test_a_tiny_lambda_changes_little_and_a_huge_one_underfits(runs):
    none, tiny = runs[("none", None)]["curves"], runs[("L2", -4.0)]["curves"]
    assert abs(tiny["val"][-1] - none["val"][-1]) < 0.02
    for name in ("L2", "L1", "L1, proximal steps", "elastic net (β = 1)"):
        c = runs[(name, -1.0)]["curves"]
        assert c["train"][-1] > 0.69 and c["train_acc"][-1] < 0.6      # ln 2 = 0.693: a coin toss
        assert np.ptp(runs[(name, -1.0)]["grid"]["p"]) < 0.05           # the same answer everywhere


def test_l2_shrinks_every_weight_and_zeroes_none(runs):
    rms = [np.sqrt(np.mean(_weights(runs[("L2", k)]["model"]) ** 2)) for k in (-4.0, -3.0, -2.0)]
    assert rms[0] > rms[1] > rms[2]
    for k in (-4.0, -3.0, -2.5, -2.0):
        assert runs[("L2", k)]["counts"]["zero"] == 0
        assert runs[("L2", k)]["counts"]["near_zero"] < 0.05 * 1120


def test_l1_by_its_subgradient_gives_no_exact_zeros_but_proximal_steps_do(runs):
    sub, prox = runs[("L1", -2.5)]["counts"], runs[("L1, proximal steps", -2.5)]["counts"]
    assert sub["weights"] == prox["weights"] == 1120
    assert sub["zero"] == 0 and sub["near_zero"] > 0.7 * 1120        # many small, none exactly 0
    assert prox["zero"] > 0.7 * 1120                                 # the same many, exactly 0
    assert abs(prox["near_zero"] - sub["near_zero"]) < 0.02 * 1120   # the two find the same sparsity
    a, b = runs[("L1", -2.5)]["curves"], runs[("L1, proximal steps", -2.5)]["curves"]
    assert abs(a["val"][-1] - b["val"][-1]) < 0.005


def test_elastic_net_zeroes_like_l1_and_holds_the_large_weights_down_like_l2(runs):
    l2, l1, en = (runs[(name, -2.5)] for name in ("L2", "L1", "elastic net (β = 1)"))
    assert en["counts"]["near_zero"] > 0.7 * 1120 > 0.05 * 1120 > l2["counts"]["near_zero"]
    assert np.abs(_weights(en["model"])).max() < np.abs(_weights(l1["model"])).max()


def test_histogram_counts_every_weight(runs):
    for d in runs.values():
        assert d["hist"].sum() + d["zeros"] == 1120
        assert d["zeros"] == d["counts"]["zero"]


def test_penalties_leave_the_biases_alone(runs):
    model = runs[("L1, proximal steps", -1.0)]["model"]
    assert not _weights(model).any()                       # every weight is 0 ...
    out_bias = [p for _, name, p, _ in model.parameters() if name == "b"][-1]
    X, y, _, _ = ch11.make_data()
    assert out_bias[0] != 0                                # ... but the output bias learned the base rate
    p = 1 / (1 + np.exp(-out_bias[0]))
    assert p == pytest.approx(np.mean(y), abs=0.02)


def test_lambda_sweep_has_a_best_middle():
    sweep = ch11.lambda_sweep_compute("L2", log10_lams=(-4.0, -2.0, -1.0), epochs=ch11.EPOCHS)
    assert sweep["val"][1] < sweep["val"][0] < sweep["val"][2]
    assert sweep["train"][0] < sweep["train"][1] < sweep["train"][2]     # more lambda, worse fit of the training data
    assert sweep["val"][0] == pytest.approx(sweep["none"]["val"], abs=0.02)


def test_penalty_explorer_bad_input():
    with pytest.raises(ValueError, match="penalty"):
        ch11.penalty_explorer_compute("L3", -2.0)
    with pytest.raises(TypeError, match="log10_lam"):
        ch11.penalty_explorer_compute("L2", "small")


def test_no_lambda_control_without_a_penalty():
    assert ch11.penalty_explorer_applies("none", -2.0) == ["penalty"]
    assert set(ch11.penalty_explorer_applies("L1", -2.0)) == {"penalty", "log10_lam"}


# ---------------------------------------------------------------- early stopping
@pytest.fixture(scope="module")
def stops():
    return {(p, r): ch11.early_stopping_compute(p, r) for p in (1, 5, 20, 100) for r in (True, False)}


def test_stopped_run_is_the_start_of_the_full_run(stops):
    for d in stops.values():
        n = d["history"].epochs
        np.testing.assert_array_equal(d["history"].val_loss, d["full"].val_loss[:n])
        assert n == d["stopped"] == d["best"] + d["patience"]


def test_more_patience_trains_longer_and_finds_a_better_best(stops):
    stopped = [stops[(p, True)]["stopped"] for p in (1, 5, 20, 100)]
    kept = [stops[(p, True)]["kept"]["val_loss"] for p in (1, 5, 20, 100)]
    assert stopped == sorted(stopped) and stopped[0] < 20 < stopped[-1]
    assert kept[0] > kept[2] + 0.02                         # patience 1 stops at the first wiggle
    full_val = np.asarray(stops[(1, True)]["full"].val_loss)
    assert kept[2] == pytest.approx(full_val.min(), rel=1e-12)   # patience 20 finds the run's best epoch
    assert stops[(20, True)]["best"] == int(np.argmin(full_val)) + 1


def test_restore_best_returns_the_best_weights_and_otherwise_the_last(stops):
    for (p, restore), d in stops.items():
        val = d["history"].val_loss
        expected = min(val) if restore else val[-1]
        assert d["kept"]["val_loss"] == pytest.approx(expected, rel=1e-12)
    assert stops[(100, False)]["kept"]["val_loss"] > stops[(100, True)]["kept"]["val_loss"] + 0.01


def test_patience_rule_on_a_curve_is_fits_rule(stops):
    full_val = stops[(1, True)]["full"].val_loss
    for (p, _), d in stops.items():
        best, stopped = patience_stop(full_val, p)
        assert (best + 1, stopped + 1) == (d["best"], d["stopped"])


def test_slide_figure_marks_the_best_and_the_stopping_epoch():
    d = ch11.slide_figure_compute()
    val = np.asarray(d["full"].val_loss)
    assert d["best"] == int(np.argmin(val)) + 1 and d["stopped"] == d["best"] + ch11.SLIDE_PATIENCE
    assert d["full"].epochs == ch11.EPOCHS
    fig = Figure()
    axes = ch11.slide_figure_draw(d, fig.subplots(1, 2))
    assert all(ax.get_xlabel() == "epoch" and ax.get_ylabel() for ax in axes)


# ---------------------------------------------------------------- every experiment
@pytest.mark.parametrize("name", sorted(ch11.EXPERIMENTS))
def test_experiment_draws_and_fits_static_limit(name):
    exp = ch11.EXPERIMENTS[name]()
    n_frames = int(np.prod([len(c.static) for c in exp.controls]))
    assert 2 <= n_frames <= 64
    assert exp.warm
    fig = exp.figure()
    assert isinstance(fig, Figure)
    main = [ax for ax in fig.axes if ax.has_data()]
    assert len(main) in (2, 3)
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in main)


def test_explorer_titles_tell_the_counts(runs):
    d = runs[("L1, proximal steps", -2.5)]
    fig = Figure()
    art = ch11.penalty_explorer_draw(d, fig)
    assert f"{d['counts']['zero']} exactly 0" in art["w_title"].get_text()
    assert "λ = 0.0032" in art["db_title"].get_text()


@pytest.mark.parametrize("seed", [0, 1])
def test_printed_counts_survive_last_digit_changes(nudge, seed):
    """Another CPU's rounding changes the last digits of a run; the counts and the 3-digit losses
    that the chapter prints must not move with them."""
    from nnlab import params
    before = {name: ch11.penalty_explorer_compute(name, -2.5) for name in ("L1", "L1, proximal steps")}
    slide = ch11.slide_figure_compute()
    nudge(ch11, seed)
    for name, d in before.items():
        after = ch11.penalty_explorer_compute(name, -2.5)
        assert after["counts"] == d["counts"]
        assert f"{after['curves']['val'][-1]:.3f}" == f"{d['curves']['val'][-1]:.3f}"
    es = ch11.slide_figure_compute()
    assert (es["best"], es["stopped"]) == (slide["best"], slide["stopped"])
