"""Chapter 6 experiments: the step-through numbers and the restarts, checked directly."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlab import params as P
from nnlab.topics import backprop
from nnlab.data import xor_table
from nnlab.experiments import ch06_backprop as ch


def test_trace_numbers_follow_the_slide_formulas():
    d = ch.trace_compute(step=0, example="(1, 0)", lr=0.5)
    p, x, t = d["params"], d["x"], d["t"]
    np.testing.assert_array_equal(x, [1.0, 0.0])
    assert t == 1.0
    y = 1 / (1 + np.exp(-(x @ p["W1"] + p["b1"])))
    z = 1 / (1 + np.exp(-(y @ p["W2"][:, 0] + p["b2"][0])))
    np.testing.assert_allclose(d["y"], y)
    assert d["z"] == pytest.approx(z)
    assert d["E"] == pytest.approx(0.5 * (t - z) ** 2)
    assert d["d_out"] == pytest.approx(z * (1 - z) * (t - z))
    np.testing.assert_allclose(d["d_hid"], y * (1 - y) * p["W2"][:, 0] * d["d_out"])
    np.testing.assert_allclose(d["change"]["W2"][:, 0], 0.5 * d["d_out"] * y)
    np.testing.assert_allclose(d["change"]["W1"], 0.5 * np.outer(x, d["d_hid"]))
    np.testing.assert_array_equal(d["change"]["W1"][1], [0.0, 0.0])   # input x2 = 0: its weights stay
    assert d["E_new"] < d["E"]


@pytest.mark.parametrize("example", ch.EXAMPLES)
def test_trace_update_equals_one_stochastic_step(example):
    d = ch.trace_compute(step=9, example=example)
    X, T = xor_table()
    i = ch.EXAMPLES.index(example)
    model = P.load_dict(backprop.network(2, 2, 1, rng=np.random.default_rng(0)), d["params"])
    step = P.as_dict(backprop.stochastic_epoch(model, X[i:i + 1], T[i:i + 1], d["lr"]))
    for k in backprop.NAMES:
        np.testing.assert_allclose(d["new"][k], step[k], rtol=1e-12)
        np.testing.assert_allclose(d["new"][k], d["params"][k] + d["change"][k], rtol=1e-12, atol=1e-16)


def test_trace_caches_are_the_models_net_inputs():
    d = ch.trace_compute(step=0, example="(0, 1)")
    p, x = d["params"], d["x"]
    np.testing.assert_allclose(d["net_h"], x @ p["W1"] + p["b1"], rtol=1e-12)
    assert d["net_z"] == pytest.approx(float(d["y"] @ p["W2"][:, 0] + p["b2"][0]), rel=1e-12)


def test_trace_rejects_bad_step_and_example():
    with pytest.raises(ValueError, match="step"):
        ch.trace_compute(step=ch.N_STEPS)
    with pytest.raises(ValueError, match="example"):
        ch.trace_compute(example="(2, 0)")


def test_restarts_compute_values():
    d = ch.restarts_compute(hidden=2, lr=4.0, epochs=600, n_starts=100)
    assert d["final"].shape == d["solved"].shape == (100,)
    assert d["curves"].shape == (601, 30)
    np.testing.assert_array_equal(d["curves"][-1], d["final"][:30])
    assert 0.5 < d["solved"].mean() < 1.0                   # most runs solve XOR, some get stuck
    assert np.all(d["final"][d["solved"]] < 0.05)
    assert np.all(d["final"][~d["solved"]] > 0.2)           # stuck runs sit near E = 1/4 or 1/3
    wider = ch.restarts_compute(hidden=4, lr=4.0, epochs=600, n_starts=100)
    assert wider["solved"].mean() > d["solved"].mean()
    with pytest.raises(ValueError, match="hidden"):
        ch.restarts_compute(hidden=0)


@pytest.mark.parametrize("step", range(ch.N_STEPS))
def test_trace_draws_every_step(step):
    fig = ch.trace().figure(step=step)
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_title().startswith(f"step {step}/")


@pytest.mark.parametrize("name", list(ch.EXPERIMENTS))
def test_factories_stay_within_the_static_frame_limit(name):
    exp = ch.EXPERIMENTS[name]()
    frames = int(np.prod([len(c.static) for c in exp.controls]))
    assert 1 <= frames <= 64
    assert isinstance(exp.figure(), Figure)
    assert exp.alt


@pytest.mark.parametrize("name", list(ch.EXPERIMENTS))
def test_no_text_below_9_pt(name):
    fig = ch.EXPERIMENTS[name]().figure()
    fig.canvas.draw()                       # lays out ticks and legends
    texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
             if t.get_text().strip() and t.get_visible()]
    assert texts
    assert min(t.get_fontsize() for t in texts) >= 9


@pytest.mark.parametrize("hidden", [2, 3, 4])
def test_restarts_fit_the_fixed_axes(hidden):
    for lr in (1.0, 4.0, 8.0):
        d = ch.restarts_compute(hidden=hidden, lr=lr, epochs=max(ch.EPOCH_OPTIONS))
        assert d["counts_solved"].sum() == d["solved"].sum()
        assert d["counts_solved"].sum() + d["counts_stuck"].sum() == 100
        assert (d["counts_solved"] + d["counts_stuck"]).max() <= ch.RUNS_MAX
        assert 1e-4 < d["curves"].min() and d["curves"].max() < 1


def test_more_epochs_do_not_rescue_the_stuck_runs():
    runs = [ch.restarts_compute(hidden=2, lr=4.0, epochs=e) for e in ch.EPOCH_OPTIONS[1:]]
    np.testing.assert_array_equal(runs[0]["solved"], runs[1]["solved"])
