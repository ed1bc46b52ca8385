"""The caching Agg canvas draws exactly the pixels matplotlib's own Agg canvas draws."""
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from nnlab.experiment import freeze_layout, random_values
from nnlab.experiments import registry
from nnlab.viz import agg


def pixels(fig, canvas_class):
    canvas_class(fig)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def text_figure():
    """Texts at many fractions of a pixel, rotated, in mathtext, without antialiasing, in several sizes."""
    fig = Figure(figsize=(4, 3), dpi=97)                 # an odd dpi: positions fall between pixels
    ax = fig.add_axes((0.1, 0.1, 0.85, 0.85))
    for i in range(12):
        ax.text(0.013 * i + 0.0371 * i ** 1.5, 0.07 * i, f"w{i} = {np.pi * i:.3f}", fontsize=7 + i % 4,
                rotation=15 * (i % 5), antialiased=bool(i % 3))
    ax.text(0.5, 0.9, r"$\sigma(z) = \frac{1}{1 + e^{-z}}$", fontsize=11)
    ax.set_title("titles, ticks, labels", fontsize=9)
    ax.set_xlabel("x label")
    ax.legend(handles=ax.plot([0, 1], [0, 1], label="a curve"), loc="lower right")
    return fig


def test_texts_match_matplotlib_pixel_for_pixel_and_again_from_the_cache():
    agg.clear()
    fig = text_figure()
    plain = pixels(fig, FigureCanvasAgg)
    assert (pixels(fig, agg.CachingCanvas) == plain).all()      # glyphs rasterized into the cache
    assert agg._glyphs and agg._layouts
    assert (pixels(fig, agg.CachingCanvas) == plain).all()      # drawn from it
    fig.axes[0].texts[0].set_text("something else")            # a changed string: new layout, same rule
    assert (pixels(fig, agg.CachingCanvas) == pixels(fig, FigureCanvasAgg)).all()


def test_a_full_table_starts_afresh(monkeypatch):
    agg.clear()
    monkeypatch.setattr(agg, "MAX_ENTRIES", 5)
    fig = text_figure()
    plain = pixels(fig, FigureCanvasAgg)
    assert (pixels(fig, agg.CachingCanvas) == plain).all()
    assert len(agg._glyphs) <= 5 and len(agg._layouts) <= 5
    agg.clear()
    assert not agg._glyphs and not agg._layouts


@pytest.mark.parametrize("module, name", [(m, n) for m, exps in registry().items() for n in exps])
def test_every_experiment_draws_the_same_pixels_on_the_caching_canvas(module, name):
    exp = registry()[module][name]()
    rng = np.random.default_rng(3)
    for values in (exp.defaults(), random_values(exp, rng)):
        fig = exp.figure(**values)
        FigureCanvasAgg(fig)
        freeze_layout(fig)                                   # the same layout for both canvases
        plain = pixels(fig, FigureCanvasAgg)
        cached = pixels(fig, agg.CachingCanvas)
        assert cached.shape == plain.shape
        assert (cached == plain).all(), f"{int((cached != plain).any(axis=2).sum())} pixels differ at {values}"
