"""Chapter 15, the playground: every control reaches the engine, the reproduction is exact, the scenarios
show their lessons. Tested through Config, Run and the scenarios' compute (no widgets here; the live
controller is tested in test_playground.py)."""
import subprocess
import sys

import numpy as np
import pytest

import nnlab
from nnlab import params, probes
from nnlab.experiments import ch15_playground as pg
from nnlab.viz import playground as view

SMALL = dict(n_points=200, test_fraction=0.5)


def run(epochs=0, **changes):
    r = pg.Run(pg.Config(**{**SMALL, **changes}))
    r.step(epochs)
    return r


def layers_of(model, cls):
    return [l for l in model.layers if isinstance(l, cls)]


def first_step(**changes):
    """The parameter change of one full-batch update (one epoch, B = N)."""
    r = run(batch_size=None, **changes)
    before = r.weights()
    r.step(1)
    return r.weights() - before


# ---------------------------------------------------------------- every control reaches the engine
def test_dataset_picks_the_engine_data_set():
    rng = np.random.default_rng(0)
    X, _ = nnlab.data.moons(200, noise=0.1, rng=rng)
    r = run(dataset="moons")
    assert sorted(map(tuple, np.r_[r.X_train_raw, r.X_test_raw])) == sorted(map(tuple, X))
    assert run(dataset="regression", features=("x1",), output="linear + squared error").X_train.shape[1] == 1
    xor = run(dataset="xor")
    assert set(np.unique(xor.y_train)) == {0, 1} and abs(xor.X_train_raw.mean() - 0.5) < 0.1


def test_noise_spreads_the_points_around_the_circles():
    def spread(noise):
        r = run(dataset="circles", noise=noise)
        radius = np.where(r.y_train == 0, 1.0, 0.5)
        return np.mean(np.abs(np.hypot(*r.X_train_raw.T) - radius))
    assert spread(0.0) < 1e-12 < spread(0.1) < spread(0.3)


def test_test_fraction_holds_out_that_share():
    for f in (0.1, 0.5, 0.9):
        r = run(test_fraction=f)
        assert len(r.X_test) == round(f * 200) and len(r.X_train) == 200 - round(f * 200)


def test_features_are_the_columns_the_network_sees():
    r = run(features=("x1", "x2^2", "x1*x2", "sin(x2)"))
    X = r.X_train_raw
    np.testing.assert_array_equal(r.X_train, np.c_[X[:, 0], X[:, 1] ** 2, X[:, 0] * X[:, 1], np.sin(X[:, 1])])
    assert r.model.layers[0].in_features == 4


def test_the_regression_keeps_every_feature_of_x1():
    r = run(dataset="regression", output="linear + squared error", features=("x1", "x1^2", "sin(x1)", "x2", "x2^2"))
    x = r.X_train_raw[:, 0]
    np.testing.assert_array_equal(r.X_train, np.c_[x, x ** 2, np.sin(x)])
    assert r.model.layers[0].in_features == 3
    assert "nnlab.data.features(X_train, ('x1', 'x1^2', 'sin(x1)'))" in r.code()


def test_hidden_layers_and_units_build_those_dense_layers():
    assert [l.out_features for l in layers_of(run(hidden=(3, 8, 1)).model, nnlab.Dense)] == [3, 8, 1, 1]
    assert [l.out_features for l in layers_of(run(hidden=()).model, nnlab.Dense)] == [1]
    assert pg.config_from_controls({"layers": 2, "units": [5, 6, 7]}).hidden == (5, 6)


def test_activation_is_the_hidden_units_function():
    r = run(hidden=(8, 8), activation="relu")
    hidden = [l for _, l in probes.activation_layers(r.model)][:-1]
    assert all(isinstance(l, nnlab.ReLU) for l in hidden)
    r.model.forward(r.X_train)
    assert all(np.all(l.out >= 0) for l in hidden)
    assert isinstance(run(activation="sigmoid").model.layers[1], nnlab.Sigmoid)


def test_output_and_loss_choose_the_last_unit_and_the_loss():
    ce, se = run(), run(output="sigmoid + squared error")
    assert isinstance(ce.loss, nnlab.BinaryCrossEntropy) and isinstance(se.loss, nnlab.SquaredError)
    assert isinstance(run(output="linear + squared error").model.layers[-1], nnlab.Linear)
    # same network, same start: cross-entropy's loss at the start is about log 2, squared error's about 1/8
    assert ce.train_loss[0] == pytest.approx(np.log(2), abs=0.15)
    assert se.train_loss[0] == pytest.approx(0.125, abs=0.05)


def test_init_scheme_sets_the_starting_weights():
    assert not params.flatten(run(init="zeros").model).any()
    W = lambda init: run(hidden=(8, 8), init=init, seed=1).model.layers[2].params["W"]
    assert np.std(W("he_normal")) > np.std(W("normal")) * 5          # sqrt(2/8) = 0.5 against 0.05


def test_batch_norm_adds_a_batch_norm_layer_before_each_hidden_activation():
    model = run(hidden=(4, 4), batch_norm=True).model
    kinds = [type(l).__name__ for l in model.layers]
    assert kinds == ["Dense", "BatchNorm", "Tanh", "Dense", "BatchNorm", "Tanh", "Dense", "Sigmoid"]
    with pytest.raises(ValueError, match="batch_size"):
        pg.Config(**SMALL, batch_norm=True, batch_size=1)


def test_batch_norm_with_a_last_batch_of_one_sample_skips_that_batch_and_trains():
    c = pg.Config(n_points=201, test_fraction=0.5, batch_norm=True, batch_size=10, hidden=(4, 4))
    r = pg.Run(c)
    assert len(r.X_train) == 101 and pg.drop_last_of(c)           # 10 batches of 10 and one of 1
    r.step(3)
    assert r.epoch == 3 and np.all(np.isfinite(r.train_loss))
    # the same run by hand: nnlab.fit with drop_last=True, 10 updates an epoch
    rng, X_train, y_train, X_test, y_test = pg.make_data(c)
    model = pg.build_model(c, 2, rng)
    h = nnlab.fit(model, nnlab.data.features(X_train, c.features), y_train[:, None] * 1.0, loss="bce", lr=0.1,
                  epochs=3, batch_size=10, rng=rng, drop_last=True)
    assert h.iterations == 30 and h.samples[-1] == 300
    np.testing.assert_array_equal(params.flatten(model), r.weights())
    # only where it is needed: without batch norm, or when the last batch holds 2 or more, every batch trains
    assert not pg.drop_last_of(c.replace(batch_norm=False))
    assert not pg.drop_last_of(c.replace(batch_size=None))
    assert not pg.drop_last_of(c.replace(batch_size=25, n_points=204))           # 102 % 25 == 2
    assert not pg.drop_last_of(c.replace(hidden=()))                # no hidden layer, no batch norm layer
    pg.Config(**SMALL, batch_norm=True, batch_size=1, hidden=())     # batch norm has nothing to act on: allowed


def test_every_config_the_old_check_allowed_keeps_all_its_batches():
    for n_points in (20, 21, 101, 200, 201, 333, 500, 5000):
        for test_fraction in (0.1, 0.3, 0.5, 0.9):
            for batch_size in pg.BATCH_SIZES:
                n_train = pg._n_train(pg.Config(n_points=n_points, test_fraction=test_fraction, batch_size=None))
                if batch_size == 1 or (batch_size or 0) > n_train:    # refused (a batch larger than the data)
                    continue
                c = pg.Config(n_points=n_points, test_fraction=test_fraction, batch_size=batch_size, batch_norm=True)
                refused_before = n_train % (batch_size or n_train) == 1
                assert pg.drop_last_of(c) == refused_before, (n_points, test_fraction, batch_size)


def test_dropout_changes_the_training_curve_and_holds_the_training_loss_up():
    plain, dropped = run(30, hidden=(8, 8)), run(30, hidden=(8, 8), dropout=0.5)
    assert [l.p_drop for l in layers_of(dropped.model, nnlab.Dropout)] == [0.5, 0.5]
    assert not layers_of(plain.model, nnlab.Dropout)
    assert plain.train_loss[1:] != dropped.train_loss[1:]
    assert dropped.train_loss[-1] > plain.train_loss[-1]


def test_l1_zeros_weights_and_l2_shrinks_them():
    def weights(**changes):
        return np.concatenate([l.params["W"].ravel() for l in layers_of(run(60, hidden=(8, 8), **changes).model,
                                                                          nnlab.Dense)])
    none, l1, l2 = weights(), weights(penalty="L1", lam=0.01), weights(penalty="L2", lam=0.01)
    assert np.mean(np.abs(l1) < 0.01) > np.mean(np.abs(none) < 0.01) + 0.2
    assert np.linalg.norm(l2) < 0.8 * np.linalg.norm(none)
    assert np.linalg.norm(weights(penalty="elastic net", lam=0.01)) < np.linalg.norm(none)
    assert np.linalg.norm(weights(penalty="L2", lam=0.03)) < np.linalg.norm(l2)      # a larger lambda, smaller weights


def test_clipping_bounds_a_step_and_the_threshold_sets_the_bound():
    free = first_step(lr=1.0)
    by_norm = first_step(lr=1.0, clip="by norm", clip_threshold=0.05)
    assert np.linalg.norm(free) > 0.05
    assert np.linalg.norm(by_norm) == pytest.approx(0.05, rel=1e-9)            # lr * threshold
    by_value = first_step(lr=1.0, clip="by value", clip_threshold=0.01)
    assert np.max(np.abs(by_value)) <= 0.01 + 1e-15 < np.max(np.abs(free))


def test_learning_rate_scales_the_step():
    np.testing.assert_allclose(first_step(lr=0.4), 4 * first_step(lr=0.1), rtol=1e-9, atol=1e-15)


def test_batch_size_sets_the_updates_per_epoch():
    full, small = run(batch_size=None), run(batch_size=10)
    full.step(5)
    small.step(5)
    assert small.train_loss[-1] < full.train_loss[-1]                           # 10 updates an epoch against 1
    seen = []
    nnlab.fit(run().model, small.X_train, small.t_train, loss="bce", epochs=1, batch_size=10,
              rng=np.random.default_rng(0), callback=lambda m, s: seen.append(s))
    assert len(seen) == 10


def test_seed_makes_the_run_and_only_the_seed_changes_it():
    a, b, c = run(10), run(10), run(10, seed=1)
    np.testing.assert_array_equal(a.weights(), b.weights())
    assert not np.array_equal(a.X_train_raw, c.X_train_raw)


def test_bad_config_values_raise_naming_the_argument():
    for changes, name in [(dict(dataset="iris"), "dataset"), (dict(hidden=(9,)), "hidden"),
                          (dict(hidden=(4,) * 7), "hidden"), (dict(lr=0), "lr"), (dict(features=()), "features"),
                          (dict(features=("x3",)), "features"), (dict(dropout=0.95), "dropout"),
                          (dict(batch_size=7), "batch_size"), (dict(seed=-1), "seed"),
                          (dict(dataset="regression"), "output"),
                          (dict(dataset="regression", features=("x2",), output="linear + squared error"), "features"),
                          (dict(n_points=20, test_fraction=0.9, batch_size=5), "batch_size")]:
        with pytest.raises(ValueError, match=f"^{name} must"):
            pg.Config(**changes)


# ---------------------------------------------------------------- a run
def test_stepping_epoch_by_epoch_is_one_fit_of_as_many_epochs():
    lab = run(hidden=(8, 8), dropout=0.3)
    for _ in range(6):
        lab.step(1)
    again = pg.Run(lab.config)
    again.step(6)
    np.testing.assert_array_equal(lab.weights(), again.weights())
    assert lab.epoch == 6 and len(lab.train_loss) == 7 and lab.segments == [(lab.config, 6)]


def test_live_changes_go_on_with_the_network_and_structural_ones_are_refused():
    r = run(5)
    r.set(lr=0.5, penalty="L2", lam=0.01, batch_size=25, clip="by norm", clip_threshold=1.0)
    r.step(2)
    assert r.epoch == 7 and [(s.lr, n) for s, n in r.segments] == [(0.1, 5), (0.5, 2)]
    with pytest.raises(ValueError, match="changes must be"):
        r.set(hidden=(2,))
    with pytest.raises(ValueError, match="lr must"):
        r.set(lr=-1)
    assert r.config.lr == 0.5


def test_a_diverging_run_stops_at_a_loss_that_is_not_finite():
    r = run(hidden=(8, 8, 8), activation="relu", init="he_normal", dataset="regression", features=("x1",),
            output="linear + squared error", lr=20.0, batch_size=5)
    done = r.step(50)
    assert r.diverged and done < 50 and r.epoch == done


REPRO = dict(hidden=(5, 3), features=("x1", "x2", "sin(x1)", "x1*x2"), dropout=0.2, batch_norm=True,
             penalty="elastic net", lam=0.001, clip="by value", clip_threshold=0.5, init="he_uniform",
             activation="leaky_relu", dataset="moons", seed=3)


def test_the_reproduction_run_in_a_fresh_process_gives_the_same_final_weights(tmp_path):
    lab = run(4, **REPRO)
    lab.set(lr=0.3, penalty="L1", clip="by norm")
    lab.step(3)
    regression = run(3, dataset="regression", features=("x1", "x1^2"), output="linear + squared error",
                     hidden=(4,), batch_size=None)
    last_of_one = run(2, n_points=201, batch_norm=True, dropout=0.3, hidden=(4, 3), batch_size=10,
                      features=("x2", "x1^2", "sin(x2)"), dataset="circles", seed=5)   # 101 % 10 == 1
    last_of_one.set(batch_size=None)
    last_of_one.step(2)
    for r, name in ((lab, "lab"), (regression, "regression"), (last_of_one, "last_of_one")):
        script = r.code() + f"\nnp.save({str(tmp_path / name)!r}, nnlab.params.flatten(model))\n"
        subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
        np.testing.assert_array_equal(np.load(tmp_path / f"{name}.npy"), r.weights())
    assert lab.code().count("nnlab.fit(") == 2 and "lr=0.3" in lab.code()
    assert "dropout=0.2" in lab.code() and "drop_last" not in lab.code() and "lambda" not in lab.code()
    assert "X_train = nnlab.data.features(X_train, ('x1', 'x2', 'sin(x1)', 'x1*x2'))" in lab.code()
    code = last_of_one.code()
    assert code.count("drop_last=True") == 1 and "batch_size=10, " in code.split("drop_last=True")[0]
    assert "batch_norm='before', dropout=0.3)" in code


# ---------------------------------------------------------------- what the views show
def test_the_snapshot_holds_each_units_map_over_the_plane():
    r = run(3, hidden=(8, 3), features=("x1", "x2", "x1^2"))
    snap = r.snapshot()
    assert [m.shape for m in snap["maps"]] == [(3, pg.GRID, pg.GRID), (8, pg.GRID, pg.GRID),
                                              (3, pg.GRID, pg.GRID), (1, pg.GRID, pg.GRID)]
    G, x1, x2 = nnlab.viz.plots.region_grid(pg.REGIONS["circles"], pg.GRID)
    np.testing.assert_array_equal(snap["maps"][1][2].ravel(),
                                  np.tanh(nnlab.Dense.forward(r.model.layers[0], nnlab.data.features(G, r.config.features)))[:, 2])
    assert len(snap["grad_norms"]) == 3 and len(snap["saturated"]) == 2 and snap["hist_counts"].shape == (2, pg.HIST_BINS)
    assert snap["epoch"] == 3 and len(snap["train_loss"]) == 4
    np.testing.assert_allclose(snap["grad_norms"], probes.probe(r.model, r.loss, r.X_train, r.t_train)["weight_grad_norm"])


def test_the_network_picture_draws_a_weight_as_an_edge_of_its_sign_and_size():
    r = run(hidden=(2,))
    W = r.model.layers[0].params["W"]
    W[...] = [[0.5, -1.0], [0.0, 0.25]]
    img, segs, widths, colours, places = view.network_picture(r.snapshot())
    assert len(segs) == 2 * 2 + 2 * 1
    assert colours[:4] == [view.ORANGE, view.BLUE, view.BLUE, view.ORANGE]
    assert widths[1] == max(widths[:4]) and widths[2] == min(widths[:4])
    assert img.shape == (view.ROWS * view.PITCH, view.COLUMNS * view.HPITCH, 4)


def test_axis_epochs_doubles_past_the_run():
    assert [pg.axis_epochs(e) for e in (0, 25, 26, 51, 400)] == [25, 25, 50, 100, 400]


# ---------------------------------------------------------------- the scenarios' lessons
def final(name, variant, key="train_loss"):
    sc = pg.SCENARIOS[name]
    return pg.record(sc.variants[variant], sc.epochs, {sc.epochs})[0][sc.epochs][key]


def test_xor_needs_a_hidden_layer():
    assert final("xor", "no hidden layer")[-1] > 0.6 > 0.05 > final("xor", "one hidden layer of 4")[-1]


def test_spirals_need_depth():
    assert final("spirals", "3 hidden layers of 8")[-1] < 0.6 * final("spirals", "1 hidden layer of 4")[-1]


def test_zero_init_never_breaks_the_symmetry():
    sc = pg.SCENARIOS["zero_init"]
    snaps, r = pg.record(sc.variants["zeros"], sc.epochs, {sc.epochs})
    assert not np.any(np.concatenate([l.params["W"].ravel() for l in layers_of(r.model, nnlab.Dense)]))
    assert r.train_loss[-1] == pytest.approx(np.log(2), abs=0.01)
    assert final("zero_init", "Xavier uniform")[-1] < 0.1


def test_a_deep_sigmoid_network_trains_only_with_batch_norm():
    plain, bn = final("deep_sigmoid", "no batch norm"), final("deep_sigmoid", "batch norm")
    assert plain[-1] > 0.68 and bn[-1] < 0.3          # log 2 = 0.69: the plain one predicts the base rate only


def test_dropout_narrows_the_gap_on_noisy_circles():
    sc = pg.SCENARIOS["dropout"]
    runs = {v: pg.record(c, sc.epochs, set())[1] for v, c in sc.variants.items()}
    plain, dropped = runs["no dropout"], runs["dropout 0.2"]
    assert plain.test_loss[-1] > 1.3 * min(plain.test_loss)                    # overfits: the test loss turns up
    assert dropped.test_loss[-1] < plain.test_loss[-1]
    assert dropped.test_loss[-1] - dropped.train_loss[-1] < 0.5 * (plain.test_loss[-1] - plain.train_loss[-1])


def test_clipping_tames_the_exploding_run():
    free, clipped = final("clipping", "no clipping"), final("clipping", "clip by norm at 0.2")
    assert not np.isfinite(free).all() or free.max() > 100 * free[0]
    assert clipped[-1] < 0.6 * clipped[0] and clipped.max() < 10 * clipped[0]


def test_small_batches_get_further_in_the_same_epochs():
    ends = [final("batch_sizes", v)[-1] for v in ("B = 1", "B = 10", "full batch (B = 100)")]
    assert ends[0] < ends[1] < ends[2]


def test_every_scenario_links_an_existing_chapter_and_keeps_the_frame_limit():
    from pathlib import Path
    chapters = Path(__file__).parent.parent / "chapters"
    for name, sc in pg.SCENARIOS.items():
        assert (chapters / f"{sc.chapter}.ipynb").exists(), name
        exp = pg.scenario(name)
        assert len(sc.variants) * (sc.frames + 1) <= 64
        assert [c.name for c in exp.controls] == ["variant", "epoch"]


def test_a_scenario_records_each_variant_once_and_its_frames_are_its_epochs():
    exp = pg.scenario("xor")
    calls = []
    real = pg.record
    try:
        pg.record = lambda *a: calls.append(a[0]) or real(*a)
        a = exp.computed(variant="no hidden layer", epoch=40)
        b = exp.computed(variant="no hidden layer", epoch=80)
    finally:
        pg.record = real
    assert len(calls) == 1 and a["epoch"] == 40 and b["epoch"] == 80 and a["epoch_axis"] == 80
