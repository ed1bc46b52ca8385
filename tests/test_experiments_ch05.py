"""Chapter 5 experiments: compute values checked directly; factories, figures and static frames."""
import numpy as np
import pytest

import nnlab
from nnlab.topics import perturb
from nnlab.experiments import ch05_perturbation as ch


def test_problem_sizes_and_loss():
    obj, theta = ch.problem(8)
    assert obj.size == theta.size == 2 * 8 + 8 + 8 + 1
    assert obj.X.shape == (ch.N_SAMPLES, 2)
    assert 0 < obj.loss(theta) < 0.5      # squared error / 2 of a sigmoid output against 0/1 labels
    model = nnlab.mlp([2, 8, 1], rng=np.random.default_rng(1))      # the chapter's start, as it says
    np.testing.assert_array_equal(theta, nnlab.params.flatten(model))
    assert obj.loss(theta) == nnlab.SquaredError()(model(obj.X), obj.y)[0]


def test_cost_compute_curves_and_passes_to_target():
    d = ch.cost_compute(hidden=2, scale=0.3, budget=400, target=0.05)
    assert d["n_weights"] == 9
    for method, (passes, losses) in d["curves"].items():
        assert passes[-1] <= 400
        assert np.all(np.diff(passes) > 0)
        assert d["to_target"][method] == perturb.passes_to_reach(losses, passes, 0.05)
    a_passes, a_losses = d["curves"][ch.METHODS[0]]
    np.testing.assert_array_equal(a_passes, np.arange(1, 401))        # scheme (a): one pass per step
    assert np.all(np.diff(a_losses) <= 0)                              # and never worse
    b_passes, _ = d["curves"][ch.METHODS[1]]
    assert np.all(np.diff(b_passes) == ch.B_TRIALS + 1)
    bp_passes, bp_losses = d["curves"][ch.METHODS[2]]
    assert np.all(np.diff(bp_passes) == perturb.GRAD_PASSES)           # 3 per step
    assert bp_losses[-1] < 0.05                                        # backprop reaches the target
    # the three methods start from the same network
    starts = {losses[0] for _, losses in d["curves"].values()}
    assert len(starts) == 1


def test_scaling_compute_counts_weights():
    d = ch.scaling_compute(hidden_sizes=(2, 4), budget=300, target=0.08)
    np.testing.assert_array_equal(d["weights"], [9, 17])
    for m in ch.METHODS:
        assert d["need"][m].shape == (2,)
        assert np.all((d["need"][m] > 0) & (d["need"][m] <= 300) | np.isinf(d["need"][m]))


def test_improving_compute_half_at_tiny_sizes_and_none_late_for_large():
    d = ch.improving_compute(hidden=4, kind="all", steps=300)
    assert d["start"][0] == 0.5 and d["end"][0] == 0.5     # pairs u, -u: exactly one of them goes down
    assert d["end"][-1] == 0.0                              # a step of size 10 after training: always worse
    assert d["loss"][1] < d["loss"][0]
    # late in training, harm starts at smaller sizes
    assert np.all(d["end"][ch.SIZES >= 0.1] <= d["start"][ch.SIZES >= 0.1])
    one = ch.improving_compute(hidden=4, kind="one", steps=300)
    assert one["end"][-1] <= 0.05 < one["start"][-1]           # one weight moved by 10: rarely better


def test_noise_compute_follows_the_linear_theory():
    d = ch.noise_compute(trials=10, sigma=0.01)
    P = np.array([4 * h + 1 for h in ch.HIDDEN_SWEEP])
    np.testing.assert_array_equal(d["P"], P)
    np.testing.assert_allclose(d["theory"], 1 / np.sqrt(1 + (P + 1) / 10))
    assert d["mean"][0] > d["mean"][-1] + 0.3
    np.testing.assert_allclose(d["mean"], d["theory"], atol=0.15)
    assert np.all(d["lo"] <= d["mean"]) and np.all(d["mean"] <= d["hi"])


def test_compute_functions_reject_bad_input():
    with pytest.raises(ValueError, match="hidden"):
        ch.cost_compute(hidden=0)
    with pytest.raises(TypeError, match="hidden"):
        ch.cost_compute(hidden=2.5)
    with pytest.raises(ValueError, match="kind"):
        ch.improving_compute(kind="some")
    with pytest.raises(ValueError, match="trials"):
        ch.noise_compute(trials=0)
    with pytest.raises(ValueError, match="sigma"):
        ch.noise_compute(sigma=-0.1)


def _with_rounding_noise(monkeypatch, eps, seed=0):
    """Multiply every tanh and sigmoid output by (1 + eps * uniform(-1, 1)): rounding errors far
    larger than those that differ between numpy's kernels on different CPUs."""
    from nnlab import activations
    noise = np.random.default_rng(seed)
    for cls in (activations.Tanh, activations.Sigmoid):
        def f(self, z, _f=cls.f):
            out = _f(self, z)
            return out * (1 + eps * noise.uniform(-1, 1, size=np.shape(out)))
        monkeypatch.setattr(cls, "f", f)


def _chapter_numbers():
    """The numbers chapter 5 prints, as it prints them."""
    obj, theta0 = ch.problem(hidden=8)
    _, losses, _, accepted = perturb.perturb_one(obj, theta0, n_steps=500, scale=0.3, rng=np.random.default_rng(0))
    out = [accepted, f"{losses[-1]:.4f}"]
    obj, theta0 = ch.problem(hidden=8)
    _, g = obj.grad(theta0)
    rng = np.random.default_rng(0)
    for K in (1, 10, 100, 1000):
        g_hat = perturb.estimate_gradient(obj, theta0, trials=K, sigma=0.01, rng=rng)
        out.append(f"{g_hat @ g / (np.linalg.norm(g_hat) * np.linalg.norm(g)):.3f}")
    scaling = ch.scaling_compute()
    out += [tuple(np.round(scaling["need"][m])) for m in ch.METHODS]
    d = ch.improving_compute(hidden=8, kind="all", steps=300)
    out += [f"{d['grad_norm'][1]:.5f}", tuple(d["start"]), tuple(d["end"])]
    return out


def test_printed_numbers_do_not_move_with_rounding_noise(monkeypatch):
    reference = _chapter_numbers()
    _with_rounding_noise(monkeypatch, 1e-13)
    assert _chapter_numbers() == reference
