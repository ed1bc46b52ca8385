"""An Agg canvas that remembers the text it has rasterized, for figures drawn again and again.

matplotlib's Agg renderer lays every string out and rasterizes every glyph afresh at each draw, and
in a redrawn experiment that is most of the time: tick labels, legends and titles are the same from
one picture to the next. ``CachingCanvas`` keeps two tables, shared by all its figures:

- a string's layout (which glyphs, where), by font, size, resolution and string;
- a glyph's coverage bitmap, by font, size, resolution, glyph, rotation and the position's fraction
  of a pixel (1/64 steps, FreeType's 26.6 fixed point). A glyph placed k whole pixels further is
  the same bitmap k pixels further, so the table keeps it once per fraction.

The pixels are the ones matplotlib draws: the bitmaps are FreeType's own, composited by Agg's own
``draw_text_image``. (Private matplotlib API, pinned by requirements.lock; the tests compare every
experiment's picture against a plain ``FigureCanvasAgg``.)
"""
import threading
from types import SimpleNamespace

from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.ft2font import RenderMode

MAX_ENTRIES = 200_000            # glyph bitmaps and layouts kept; past that the tables start afresh
_glyphs, _layouts = {}, {}
_lock = threading.Lock()


def clear():
    """Forget every cached glyph and layout."""
    with _lock:
        _glyphs.clear()
        _layouts.clear()


def _remember(table, key, value):
    with _lock:
        if len(table) >= MAX_ENTRIES:
            table.clear()
        table[key] = value


def _hashable(value):
    """A font-feature or language setting (None, a string, or a list of them / of tuples) as a key."""
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value


class _Glyph:
    """Stands for an FT2Font in RendererAgg's glyph loop: records the size and transform asked for,
    and answers ``_render_glyph`` from the table (rendering at the pixel's fraction on a miss)."""

    __slots__ = ("font", "size", "matrix", "delta")

    def __init__(self, font):
        self.font = font

    def set_size(self, size, dpi):
        self.size = (size, dpi)

    def _set_transform(self, matrix, delta):
        self.matrix, self.delta = matrix, delta

    def _render_glyph(self, index, flags, mode):
        (whole_x, frac_x), (whole_y, frac_y) = divmod(self.delta[0], 64), divmod(self.delta[1], 64)
        key = (self.font, self.size, tuple(self.matrix.ravel().tolist()), frac_x, frac_y, index, flags, mode)
        hit = _glyphs.get(key)
        if hit is None:
            self.font.set_size(*self.size)
            self.font._set_transform(self.matrix, [frac_x, frac_y])
            bitmap = self.font._render_glyph(index, flags, mode)
            hit = (bitmap.buffer.copy(), bitmap.left, bitmap.top)
            _remember(_glyphs, key, hit)
        buffer, left, top = hit
        # the renderer scales a monochrome bitmap in place: hand it a copy of the kept one
        return SimpleNamespace(buffer=buffer if mode == RenderMode.NORMAL else buffer.copy(),
                               left=left + whole_x, top=top + whole_y)


class CachingRenderer(RendererAgg):
    """RendererAgg with cached string layouts and glyph bitmaps (same pixels)."""

    def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):
        stand_ins = {}

        def through_cache(items):
            for font, *rest in items:
                if font not in stand_ins:
                    stand_ins[font] = _Glyph(font)
                yield (stand_ins[font], *rest)

        super()._draw_text_glyphs_and_boxes(gc, x, y, angle, through_cache(glyphs), boxes)

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath:
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        font = self._prepare_font(prop)
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        size = prop.get_size_in_points()
        flags = get_hinting_flag()
        key = (font, size, self.dpi, s, flags, _hashable(features), _hashable(language))
        items = _layouts.get(key)
        if items is None:
            items = [(item.ft_object, item.glyph_index, item.x, item.y)
                     for item in font._layout(s, flags=flags, features=features, language=language)]
            _remember(_layouts, key, items)
        self._draw_text_glyphs_and_boxes(
            gc, x, y, angle, ((f, size, index, 0, 1, gx, gy) for f, index, gx, gy in items), [])


class CachingCanvas(FigureCanvasAgg):
    """FigureCanvasAgg drawing with a CachingRenderer."""

    def get_renderer(self):
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if self._lastKey != key:
            self.renderer = CachingRenderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer
