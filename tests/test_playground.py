"""The live playground driven without a browser: play, pause, step, reset, and its widgets."""
import io
import time

import numpy as np
import pytest
from PIL import Image

from nnlab.experiments import ch15_playground as pg

SMALL = dict(n_points=200, test_fraction=0.5, hidden=(4, 4))


def picture(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_step_trains_one_epoch_and_changes_the_picture():
    lab = pg.Playground(**SMALL)
    before = picture(lab.png())
    assert lab.step() == 1 and lab.run.epoch == 1
    assert lab.step(3) == 3 and lab.run.epoch == 4
    after = picture(lab.png())
    assert before.shape == after.shape == (round(pg.FIGSIZE[1] * 80), round(pg.FIGSIZE[0] * 80), 3)
    assert np.any(before != after)


def test_play_trains_in_the_background_and_pause_stops_it_within_a_fraction_of_a_second():
    lab = pg.Playground(**SMALL)
    lab.play()
    assert lab.playing
    deadline = time.monotonic() + 20
    while lab.frames < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    start = time.monotonic()
    lab.pause()
    took = time.monotonic() - start
    assert not lab.playing and took < 0.5
    epoch, frames = lab.run.epoch, lab.frames
    assert frames >= 3 and epoch >= frames                   # at least one epoch per picture
    time.sleep(0.2)
    assert lab.run.epoch == epoch                            # paused: nothing trains
    lab.play()
    lab.play()                                               # a second play does not start a second thread
    time.sleep(0.2)
    lab.pause()
    assert lab.run.epoch > epoch


def test_play_stops_by_itself_when_the_run_diverges():
    lab = pg.Playground(n_points=200, dataset="regression", features=("x1",), output="linear + squared error",
                        hidden=(8, 8, 8), activation="relu", init="he_normal", lr=20.0, batch_size=5)
    lab.play()
    deadline = time.monotonic() + 20
    while lab.playing and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not lab.playing and lab.run.diverged
    assert "diverged" in lab.status()


def test_reset_starts_the_same_network_again():
    lab = pg.Playground(**SMALL)
    start = lab.run.weights()
    lab.step(5)
    lab.reset()
    assert lab.run.epoch == 0
    np.testing.assert_array_equal(lab.run.weights(), start)


def test_learning_rate_and_penalty_go_on_with_the_network_and_structure_resets_it():
    lab = pg.Playground(**SMALL)
    lab.step(3)
    lab.set(lr=0.5, penalty="L1", lam=0.01)
    assert lab.run.epoch == 3 and lab.run.config.lr == 0.5
    lab.set(hidden=(2,))
    assert lab.run.epoch == 0 and lab.run.config.hidden == (2,) and lab.run.config.lr == 0.5
    with pytest.raises(ValueError, match="^lr must"):
        lab.set(lr=-1.0)
    assert lab.run.config.lr == 0.5


def test_a_structural_change_while_playing_resets_and_keeps_playing():
    lab = pg.Playground(**SMALL)
    lab.play()
    time.sleep(0.3)
    lab.set(activation="relu")
    try:
        assert lab.playing and lab.run.config.activation == "relu"
    finally:
        lab.pause()


def test_widgets_reach_the_run():
    lab = pg.Playground(**SMALL)
    w = lab.widget() and lab.widgets
    first = lab._image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    lab.buttons["step"].click()
    assert lab.run.epoch == 1 and lab._image.value != first
    w["lr"].value = 1.0
    assert lab.run.config.lr == 1.0 and lab.run.epoch == 1            # no reset
    w["units"][1].value = 6
    assert lab.run.config.hidden == (4, 6) and lab.run.epoch == 0
    w["layers"].value = 1
    assert lab.run.config.hidden == (4,) and w["units"][1].disabled
    w["dataset"].value = "spirals"
    assert lab.run.config.dataset == "spirals"
    w["features"].value = ("x1", "sin(x2)")
    assert lab.run.X_train.shape[1] == 2 and lab.run.config.features == ("x1", "sin(x2)")
    w["batch_norm"].value = True
    assert any(type(l).__name__ == "BatchNorm" for l in lab.run.model.layers)
    w["dataset"].value = "regression"                                  # needs a linear output: not applied
    assert lab.run.config.dataset == "spirals" and "not applied" in lab._status.value
    assert "nnlab.fit(" in lab._code.value
    lab.buttons["play"].click()
    time.sleep(0.3)
    lab.buttons["pause"].click()
    assert not lab.playing and lab.run.epoch > 0
    lab.buttons["reset"].click()
    assert lab.run.epoch == 0


def test_a_saved_live_lab_keeps_its_picture_and_says_what_it_is():
    lab = pg.Playground(**SMALL)
    data, meta = lab._repr_mimebundle_()
    assert "image/png" in data and "playground" in data["text/plain"]


def test_a_live_change_while_playing_answers_at_once_and_the_run_takes_it_on():
    lab = pg.Playground(**SMALL)
    lab.play()
    try:
        time.sleep(0.3)
        start = time.monotonic()
        lab.set(lr=0.05)
        took = time.monotonic() - start
        time.sleep(0.3)
    finally:
        lab.pause()
    assert took < 0.5 and lab.playing is False
    assert lab.run.segments[-1][0].lr == 0.05 and lab.run.segments[-1][1] >= 1
    assert lab.run.segments[0][0].lr == 0.1 and "lr=0.05" in lab.run.code()


def test_batch_norm_takes_a_batch_size_whose_last_batch_would_hold_one_sample():
    lab = pg.Playground(n_points=201, test_fraction=0.5, hidden=(4, 4), batch_norm=True, batch_size=None)
    lab.step(1)
    w = lab.widget() and lab.widgets
    w["batch_size"].value = 10                                  # 101 training points: a last batch of 1
    assert lab.run.config.batch_size == 10 and lab.run.epoch == 1 and "not applied" not in lab._status.value
    lab.step(1)
    assert lab.run.epoch == 2 and np.isfinite(lab.run.train_loss[-1])
    assert "batch_size=10, rng=rng, X_val=X_test, y_val=y_test, drop_last=True" in lab.run.code()
    w["batch_size"].value = 1                                   # batches of one sample: still refused
    assert lab.run.config.batch_size == 10 and "not applied: batch_size must be at least 2" in lab._status.value
