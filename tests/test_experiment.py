"""The experiment framework, with a tiny made-up experiment: figure, static HTML, live widgets, show."""
import base64
import json
import re

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlab import experiment as E
from nnlab.experiments import registry
from nnlab.viz.plots import smallest_font


def compute(slope, kind, grid):
    """slope * z for kind 'line', slope * z^2 for 'square'."""
    z = np.linspace(-1, 1, 21)
    return z, slope * (z if kind == "line" else z ** 2), grid


def draw(data, fig):
    z, out, grid = data
    ax = fig.add_subplot()
    ax.plot(z, out)
    ax.grid(grid)
    ax.set_xlabel("z")
    ax.set_ylabel("output")


def tiny(**overrides):
    controls = [E.slider("slope", -2.0, 2.0, 0.5, 1.0),
                E.dropdown("kind", ["line", "square"]),
                E.toggle("grid", False)]
    kwargs = dict(title="Tiny <test>", controls=controls, compute=compute, draw=draw, figsize=(3, 2),
                  alt="A line or a parabola", dpi=40)
    kwargs.update(overrides)
    return E.Experiment(**kwargs)


def test_figure_uses_defaults_and_overrides():
    exp = tiny()
    assert exp.defaults() == {"slope": 1.0, "kind": "line", "grid": False}
    fig = exp.figure()
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.linspace(-1, 1, 21))
    ax = exp.figure(slope=-2.0, kind="square").axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), -2.0 * np.linspace(-1, 1, 21) ** 2)


def test_unknown_control_raises():
    with pytest.raises(ValueError, match=r"unknown control\(s\) \['slop'\]"):
        tiny().figure(slop=1.0)


def test_control_validation():
    with pytest.raises(ValueError, match="slider 'a'"):
        E.slider("a", 0, 1, 0.1, 2)
    with pytest.raises(ValueError, match="dropdown 'b'"):
        E.dropdown("b", ["x", "y"], "z")
    with pytest.raises(ValueError, match="unique"):
        tiny(controls=[E.toggle("a"), E.toggle("a")])


def test_default_static_values():
    s = E.slider("s", 0, 1, 0.1, 0.5)
    assert s.static == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert E.slider("s", 0, 1, 0.1, 0.3).static == (0.0, 0.25, 0.3, 0.5, 0.75, 1.0)  # default added
    assert E.toggle("t").static == (False, True)
    assert E.dropdown("d", ["a", "b", "c"], "b").static == ("a", "b", "c")
    assert E.dropdown("d", ["a", "b", "c"], "c", static=("a",)).static == ("c", "a")


def small(slope_static=(-2.0, 1.0, 2.0), grid_static=(False, True)):
    return tiny(controls=[E.slider("slope", -2.0, 2.0, 0.5, 1.0, static=slope_static),
                          E.dropdown("kind", ["line", "square"]), E.toggle("grid", False, static=grid_static)])


def test_static_frames_are_the_product_of_static_values():
    view = small().static()
    assert len(view.frames) == 3 * 2 * 2
    assert set(view.frames) == {f"{i},{j},{k}" for i in range(3) for j in range(2) for k in range(2)}
    assert all(v.startswith("data:image/webp;base64,") for v in view.frames.values())
    # the frames differ with the slider
    assert view.frames["0,0,0"] != view.frames["2,0,0"]
    assert view.alts["2,1,1"] == "A line or a parabola (slope = 2.0, kind = square, grid = True)"
    assert repr(view) == "Static experiment: Tiny <test> (12 frames)"


def test_static_html_contains_json_image_and_alt_text():
    html = small(slope_static=(-1.0, 1.0), grid_static=(False,)).static()._repr_html_()
    assert 'class="nnlab-experiment"' in html and "Tiny &lt;test&gt;" in html
    payload = re.search(r'<script type="application/json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(payload.replace("<\\/", "</"))
    assert len(data["frames"]) == 4 and data["controls"][0]["labels"] == ["-1", "1"]
    img = re.search(r'<img src="([^"]+)" alt="([^"]+)"', html)
    assert img.group(1) == data["frames"]["1,0,0"]              # opens on the defaults
    assert img.group(2) == "A line or a parabola (slope = 1.0, kind = line, grid = False)"
    frame = base64.b64decode(img.group(1).split(",", 1)[1])
    assert frame[:4] == b"RIFF" and frame[8:12] == b"WEBP"
    assert 'type="range"' in html and "<select" in html
    assert "grid = False stay fixed" in html                    # a one-value control is announced


def test_too_many_static_frames_raises():
    exp = tiny(controls=[E.slider("a", 0, 1, 0.1, 0.0, static=tuple(np.linspace(0, 1, 9))),
                         E.slider("b", 0, 1, 0.1, 0.0, static=tuple(np.linspace(0, 1, 9)))],
               compute=lambda a, b: (np.zeros(3), np.zeros(3), False))
    with pytest.raises(ValueError, match="81 static frames"):
        exp.static()


def test_png_bytes():
    assert E.png_bytes(tiny().figure())[:8] == b"\x89PNG\r\n\x1a\n"


def test_live_widgets_redraw_on_change():
    exp = tiny()
    view = exp.live()
    assert set(view.inputs) == {"slope", "kind", "grid"}
    assert type(view.inputs["slope"]).__name__ == "FloatSlider"
    assert type(view.inputs["kind"]).__name__ == "Dropdown"
    assert type(view.inputs["grid"]).__name__ == "Checkbox"
    before = view.image.value
    assert before[:8] == b"\x89PNG\r\n\x1a\n"
    view.inputs["slope"].value = -2.0
    assert view.image.value != before
    assert np.array_equal(pixels(view.image.value), pixels(E.png_bytes(exp.figure(slope=-2.0), exp.dpi * exp.scale)))


def test_int_slider_for_integer_controls():
    exp = tiny(controls=[E.slider("n", 1, 9, 1, 3)], compute=lambda n: (np.arange(n), np.arange(n), False))
    assert type(exp.live().inputs["n"]).__name__ == "IntSlider"


def test_saved_live_view_shows_the_default_picture_and_names_its_controls():
    exp = tiny()
    data, meta = exp.live()._repr_mimebundle_()
    text = data["text/plain"]
    assert "\n" not in text and text.startswith("Live experiment: Tiny <test>. Controls: ")
    assert "slope -2 to 2 (now 1)" in text and "kind one of line, square (now line)" in text
    assert "application/vnd.jupyter.widget-view+json" in data
    png = base64.b64decode(data["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert meta["image/png"] == {"width": 3 * 40, "height": 2 * 40}


@pytest.mark.parametrize("static, expected", [("1", "StaticView"), (None, "LiveView")])
def test_show_picks_static_when_nnlab_static_is_set(monkeypatch, static, expected):
    import IPython.display
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    if static is None:
        monkeypatch.delenv("NNLAB_STATIC", raising=False)
    else:
        monkeypatch.setenv("NNLAB_STATIC", static)
    small(slope_static=(1.0,), grid_static=(False,)).show()
    assert [type(o).__name__ for o in shown] == [expected]


def test_registry_lists_chapter_modules():
    reg = registry()
    assert isinstance(reg, dict)
    for module, experiments in reg.items():
        assert module.startswith("ch") and isinstance(experiments, dict)
        assert all(callable(f) for f in experiments.values())


def test_registered_experiments_leave_the_global_random_state_alone():
    # every experiment's compute at its defaults, the way the book and the benchmark call it
    state = np.random.get_state()
    for experiments in registry().values():
        for factory in experiments.values():
            exp = factory()
            exp.compute(**exp.defaults())
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


ALL_EXPERIMENTS = [(m, n, f) for m, exps in sorted(registry().items()) for n, f in sorted(exps.items())]


@pytest.mark.parametrize("module,name,factory", ALL_EXPERIMENTS, ids=[f"{m}/{n}" for m, n, _ in ALL_EXPERIMENTS])
def test_every_registered_experiment_draws_labelled_axes_within_the_frame_limit(module, name, factory):
    exp = factory()
    n_frames = int(np.prod([len(c.static) for c in exp.controls]))
    assert 1 <= n_frames <= 64, f"{module}/{name}: {n_frames} static frames"
    assert exp.alt, f"{module}/{name} has no alt text"
    fig = exp.figure()
    drawn = [ax for ax in fig.axes if ax.has_data() and ax.get_label() != "<colorbar>"]
    assert drawn, f"{module}/{name} drew nothing"
    for ax in drawn:
        if ax.axison:   # diagrams hide their axes; plots must label them
            assert ax.get_xlabel(), f"{module}/{name}: an axes has no x label"


def test_declared_cache_keeps_the_last_results_and_compute_stays_pure():
    from nnlab.experiment import Experiment, slider
    calls = []

    def compute(a):
        calls.append(a)
        return {"a": a}

    exp = Experiment("t", [slider("a", 0, 5, 1, 0)], compute, lambda d, fig: fig.add_subplot(), cache=2)
    exp.computed(a=1), exp.computed(a=1), exp.computed(a=2), exp.computed(a=1), exp.computed(a=3)
    assert calls == [1, 2, 3]                         # a=1 came from the cache twice
    exp.computed(a=2)                                 # evicted by a=3 (a=1 was used more recently)
    assert calls == [1, 2, 3, 2]
    plain = Experiment("t", [slider("a", 0, 5, 1, 0)], compute, lambda d, fig: fig.add_subplot())
    plain.computed(a=4), plain.computed(a=4)
    assert calls[-2:] == [4, 4]                       # no cache declared: compute runs every time


def tiny_fast(**overrides):
    """tiny() with an update: draw keeps the line, update only sets its data."""
    def draw_keep(data, fig):
        z, out, grid = data
        ax = fig.add_subplot()
        (line,) = ax.plot(z, out)
        ax.set_xlim(-1, 1)
        ax.set_ylim(-2.5, 2.5)
        ax.grid(grid)
        ax.set_xlabel("z")
        ax.set_ylabel("output")
        return {"line": line, "ax": ax}

    def update(data, art):
        z, out, grid = data
        art["line"].set_data(z, out)
        art["ax"].grid(grid)

    return tiny(**{"draw": draw_keep, "update": update, **overrides})


def pixels(png):
    from PIL import Image
    import io
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def picture_difference(a, b, k=6):
    """(mean, max) absolute difference of two RGB pictures averaged over k x k blocks: a layout
    that moved by a pixel barely counts, an artist left stale (a line, a text, an image) stands out."""
    def pool(x):
        g = x.mean(axis=2)
        h, w = (g.shape[0] // k) * k, (g.shape[1] // k) * k
        return g[:h, :w].reshape(h // k, k, w // k, k).mean(axis=(1, 3))
    d = np.abs(pool(a) - pool(b))
    return float(d.mean()), float(d.max())


def same_picture(a, b):
    mean, top = picture_difference(a, b)
    return a.shape == b.shape and mean < 1.5 and top < 110


def fresh_pixels(exp, values):
    """A figure drawn from scratch for these values, laid out by constrained layout as it is saved."""
    return pixels(E.png_bytes(exp.figure(**values), exp.dpi * exp.scale))


def test_an_updated_figure_shows_what_a_fresh_one_shows():
    exp = tiny_fast()
    canvas = exp.canvas()
    first = canvas.fig
    for values in [dict(slope=-2.0), dict(kind="square", grid=True), dict(slope=0.5, kind="line")]:
        updated = pixels(canvas.png(**values))
        fresh = fresh_pixels(exp, values)
        assert same_picture(updated, fresh), picture_difference(updated, fresh)
    assert canvas.fig is not first and canvas.fig is canvas.figure(slope=1.0)   # one Figure, kept


def test_a_stale_artist_is_caught():
    exp = tiny_fast(update=lambda data, art: None)           # forgets to update the line
    canvas = exp.canvas()
    canvas.png()
    stale, fresh = pixels(canvas.png(slope=-2.0)), fresh_pixels(exp, dict(slope=-2.0))
    assert not same_picture(stale, fresh), picture_difference(stale, fresh)


def test_controls_that_do_not_apply_are_disabled_live_and_marked_static():
    exp = tiny(applies=lambda slope, kind, grid: {"slope", "kind"} if kind == "line" else {"kind", "grid"})
    view = exp.live()
    assert view.inputs["grid"].disabled and not view.inputs["slope"].disabled
    view.inputs["kind"].value = "square"
    assert view.inputs["slope"].disabled and not view.inputs["grid"].disabled
    static = exp.static()
    line_key = next(k for k, a in static.alts.items() if "kind = line" in a)
    assert static.inactive[line_key] == [2]
    assert '(no effect here)' in static._repr_html_()
    with pytest.raises(ValueError, match="unknown controls"):
        tiny(applies=lambda **v: {"nope"}).active({})


def test_pictures_are_rendered_at_twice_the_density_and_shown_at_natural_size():
    exp = tiny()
    assert pixels(exp.canvas().png()).shape[:2] == (2 * 2 * 40, 2 * 3 * 40)
    assert 'width="120" height="80"' in exp.static()._repr_html_()


FAST = [(m, n, f) for m, n, f in ALL_EXPERIMENTS if f().update is not None]


@pytest.mark.parametrize("module,name,factory", FAST, ids=[f"{m}/{n}" for m, n, _ in FAST])
def test_every_fast_experiment_updates_to_the_picture_a_fresh_draw_gives(module, name, factory):
    exp = factory()
    canvas = exp.canvas()
    canvas.png()
    rng = np.random.default_rng(sum(map(ord, name)))
    for _ in range(4):
        values = E.random_values(exp, rng)
        updated, fresh = pixels(canvas.png(**values)), fresh_pixels(exp, values)
        assert same_picture(updated, fresh), (f"{module}/{name}: the updated picture differs from a fresh one "
                                              f"at {values}: {picture_difference(updated, fresh)}")


@pytest.mark.parametrize("module,name,factory", FAST, ids=[f"{m}/{n}" for m, n, _ in FAST])
def test_every_fast_experiment_draws_on_its_background_exactly_what_a_whole_draw_gives(module, name, factory):
    exp = factory()
    canvas = exp.canvas()
    rng = np.random.default_rng(sum(map(ord, module + name)))
    for values in [exp.defaults()] + [E.random_values(exp, rng) for _ in range(3)]:
        layered = canvas.render(**values).copy()
        whole = canvas.render_whole()
        differ = np.any(layered != whole, axis=2)
        assert not differ.any(), f"{module}/{name} at {values}: {differ.sum()} pixels differ from a whole draw"


def test_layered_drawing_follows_zorder_changes_titles_and_overlapping_axes():
    """update raises a line above another, retitles the figure and changes an inset's data."""
    def draw(data, fig):
        ax = fig.add_subplot()
        lines = [ax.plot([-1, 1], [0, 0], lw=8, color=c)[0] for c in ("C0", "C1")]
        ax.set(xlim=(-1, 1), ylim=(-2.5, 2.5), xlabel="z", ylabel="output")
        inset = ax.inset_axes([0.6, 0.6, 0.35, 0.35])
        (dot,) = inset.plot([0], [0], "o", ms=12)
        inset.set(xlim=(-2, 2), ylim=(-2, 2))
        art = {"lines": lines, "dot": dot, "title": fig.suptitle(" ")}
        update(data, art)
        return art

    def update(data, art):
        z, out, grid = data
        top = 0 if out[-1] > 0 else 1
        for i, line in enumerate(art["lines"]):
            line.set_zorder(3 if i == top else 2)
            line.set_ydata([out[0], out[-1]])
        art["dot"].set_data([out[-1]], [out[0]])
        art["title"].set_text(f"slope {out[-1]:g}")

    exp = tiny(draw=draw, update=update)
    canvas = exp.canvas()
    for values in [dict(slope=1.0), dict(slope=-2.0), dict(slope=0.5, kind="square")]:
        layered = canvas.render(**values).copy()
        assert np.array_equal(layered, canvas.render_whole()), values
        assert same_picture(pixels(E.rgb_png(np.ascontiguousarray(layered[..., :3]))), fresh_pixels(exp, values))


def test_rgb_png_round_trips():
    from PIL import Image
    import io
    for shape in [(7, 5, 3), (7, 5, 4), (1, 3, 4)]:                # RGB, or RGBA as an Agg buffer holds it
        rgb = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
        decoded = Image.open(io.BytesIO(E.rgb_png(rgb)))
        assert decoded.mode == ("RGB" if shape[2] == 3 else "RGBA")
        assert np.array_equal(np.asarray(decoded), rgb)
    agg = np.random.default_rng(1).integers(0, 256, size=(6, 8, 4), dtype=np.uint8)[:, ::2]  # not contiguous
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(E.rgb_png(agg)))), agg)
    with pytest.raises(ValueError, match="shape"):
        E.rgb_png(np.zeros((4, 4, 2), np.uint8))


@pytest.mark.parametrize("module,name,factory", ALL_EXPERIMENTS, ids=[f"{m}/{n}" for m, n, _ in ALL_EXPERIMENTS])
def test_no_text_below_9_pt_in_any_experiment(module, name, factory):
    exp = factory()
    rng = np.random.default_rng(1)
    for values in [exp.defaults(), E.random_values(exp, rng)]:
        assert smallest_font(exp.figure(**values)) >= 9, f"{module}/{name} at {values}"


def test_warm_experiments_compute_every_combination_once_after_the_widget_shows():
    calls = []

    def compute(a, kind):
        calls.append((a, kind))
        return np.linspace(-1, 1, 5) * a, kind

    def draw(data, fig):
        fig.add_subplot().plot(data[0])

    exp = E.Experiment("w", [E.slider("a", 0, 2, 1, 1), E.dropdown("kind", ["x", "y"])], compute, draw,
                       figsize=(2, 2), dpi=40, warm=True)
    assert list(exp.all_values()) == [{"a": a, "kind": k} for a in (0, 1, 2) for k in ("x", "y")]
    view = exp.live()
    assert calls[0] == (1, "x")                              # the first picture does not wait for the rest
    view.warming.join(timeout=30)
    assert not view.warming.is_alive()
    assert sorted(calls) == sorted((a, k) for a in (0, 1, 2) for k in ("x", "y"))   # each once
    view.inputs["a"].value = 2
    view.inputs["kind"].value = "y"
    assert len(calls) == 6                                   # every picture came from the cache
    too_many = E.MAX_WARM + 1
    with pytest.raises(ValueError, match=f"warm=True would compute {too_many} combinations"):
        E.Experiment("w", [E.slider("a", 0, too_many - 1, 1, 1)], compute, draw, warm=True)


def test_once_computes_each_result_once_across_callers_and_threads():
    import threading
    import time

    calls = []

    def run(depth, activation="tanh", *, epochs=3):
        calls.append((depth, activation, epochs))
        time.sleep(0.05)                                      # long enough for the threads to meet
        return {"depth": depth, "activation": activation, "epochs": epochs}

    shared = E.once(run)
    threads = [threading.Thread(target=shared, args=(4,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [(4, "tanh", 3)]                          # four callers at once, one computation
    first = shared(4)
    assert first == {"depth": 4, "activation": "tanh", "epochs": 3} and shared(4) is first
    assert shared(4, "relu")["activation"] == "relu" and shared(4, epochs=5)["epochs"] == 5
    assert shared(4, epochs=5) is shared(4, epochs=5)
    assert calls == [(4, "tanh", 3), (4, "relu", 3), (4, "tanh", 5)]
    assert shared.__wrapped__ is run and shared.__name__ == "run"


def test_the_cache_is_keyed_by_the_controls_that_have_an_effect():
    calls = []

    def compute(mode, a, b):
        calls.append((mode, a, b))
        return a if mode == "a" else b

    exp = E.Experiment("k", [E.dropdown("mode", ["a", "b"]), E.slider("a", 0, 3, 1, 0), E.slider("b", 0, 3, 1, 0)],
                       compute, lambda d, fig: None, cache=16,
                       applies=lambda mode, a, b: {"mode", mode})
    assert exp.computed(mode="a", a=2, b=0) == 2
    assert exp.computed(mode="a", a=2, b=3) == 2              # b has no effect in mode a: no new compute
    assert exp.computed(mode="b", a=2, b=3) == 3
    assert exp.computed(mode="b", a=0, b=3) == 3
    assert calls == [("a", 2, 0), ("b", 2, 3)]
    warm = E.Experiment("k", exp.controls, compute, lambda d, fig: None, applies=exp.applies, warm=True)
    assert warm.cache == 8                                   # 2 modes x 4 values of the one that applies
    calls.clear()
    warm.warm_up()
    assert sorted(calls) == sorted(set(calls)) and len(calls) == 8


def test_a_stage_is_computed_once_per_value_of_the_controls_it_depends_on():
    runs = []

    def train(seed):
        runs.append(seed)
        return np.arange(10) * (seed + 1)                     # a "training run": one value per epoch

    def compute(epochs, seed, trained=train):
        return trained(seed)[epochs]

    exp = E.Experiment("s", [E.slider("epochs", 0, 9, 1, 9), E.slider("seed", 0, 2, 1, 0)], compute,
                       lambda d, fig: None, stages={"trained": (train, ("seed",))})
    assert [exp.computed(epochs=e, seed=1) for e in (0, 5, 9)] == [0, 10, 18]
    assert runs == [1]                                       # one run serves every epoch
    exp.warm_up()                                            # as when the widget is built: every seed
    assert sorted(runs) == [0, 1, 2] and exp.computed(epochs=3, seed=2) == 9 and len(runs) == 3
    assert compute(4, 2) == 12                               # without the framework: the plain function
    with pytest.raises(ValueError, match="stage 'trained'"):
        E.Experiment("s", exp.controls, compute, lambda d, fig: None, stages={"trained": (train, ("lr",))})
    with pytest.raises(ValueError, match=f"would be computed for {E.MAX_WARM + 1} values"):
        E.Experiment("s", [E.slider("seed", 0, E.MAX_WARM, 1, 0)], compute, lambda d, fig: None,
                     stages={"trained": (train, ("seed",))})


def test_static_frames_are_the_rendered_picture_in_few_colours_without_loss():
    exp = tiny_fast()
    canvas = exp.canvas()
    rgb = canvas.render(slope=-1.5)[..., :3].astype(float)
    frame = pixels(canvas.frame(slope=-1.5))
    assert frame.shape == rgb.shape
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) <= 128
    assert np.abs(frame - rgb).mean() < 1.0          # quantization only: lossless encoding of 128 colours
