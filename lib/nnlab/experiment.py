"""Experiments: one pure definition, shown three ways.

An ``Experiment`` has controls, a pure ``compute(**values) -> data`` and a ``draw(data, fig)``
that draws that data into a fresh matplotlib Figure. An experiment that gives ``update(data, art)``
as well is redrawn fast: ``draw`` returns its artists ``art`` (any object, e.g. a dict of lines,
images and texts), the layout is computed once, and every later change only sets the artists' data
(``set_data``, ``set_offsets``, ``set_text``, ...). ``applies(values)`` may name the controls that
have an effect for the given values; the others are disabled (live) or marked (static).
From that one definition:

* ``live()``   ipywidgets controls that redraw the figure (a notebook with a kernel);
* ``static()`` a self-contained HTML scrubber whose frames are computed now over a small
  grid of control values (the built site, no kernel, no CDN);
* ``show()``   picks ``static()`` when the environment variable NNLAB_STATIC is set (the
  book build sets it), ``live()`` otherwise;
* tests call ``compute`` directly.
"""
import base64
import functools
import hashlib
import html
import io
import itertools
import json
import os
import struct
import threading
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from .viz.agg import CachingCanvas
from matplotlib.figure import Figure, FigureBase

from .viz.plots import style

MAX_STATIC_FRAMES = 64
MAX_WARM = 160                    # combinations a warm-up may compute (in the background: seconds, not minutes)


def once(fn):
    """fn, computing each result once per arguments, for every experiment and thread that calls it:
    two experiments that show the same training run (one chapter's two views of it) share it, and
    a warm-up thread and a redraw asking for the same run at the same time compute it once. Results
    are kept for the life of the process; fn must be pure."""
    results, lock = {}, threading.Lock()

    def shared(*args, **kwargs):
        key = (args, tuple(sorted(kwargs.items())))
        with lock:
            entry = results.setdefault(key, [threading.Lock(), None])
        with entry[0]:                            # the second caller waits for the first one's result
            if entry[1] is None:
                entry[1] = (fn(*args, **kwargs),)
        return entry[1][0]

    return functools.update_wrapper(shared, fn)


@dataclass
class Control:
    """One control: kind 'slider', 'dropdown' or 'toggle'."""
    name: str
    kind: str
    value: Any
    label: str = None
    low: float = None
    high: float = None
    step: float = None
    options: tuple = ()
    static: tuple = None   # values offered on the static page

    def __post_init__(self):
        self.label = self.label or self.name.replace("_", " ")
        if self.static is None:
            if self.kind == "slider":
                self.static = tuple(np.linspace(self.low, self.high, 5))
            elif self.kind == "toggle":
                self.static = (False, True)
            else:
                self.static = tuple(self.options)
        self.static = tuple(_plain(v) for v in self.static)
        if self.value not in self.static:
            # the page opens on the default picture, so the default must be a frame
            self.static = tuple(sorted(self.static + (self.value,))) if self.kind == "slider" \
                else (self.value,) + self.static


def _plain(v):
    """numpy scalars -> Python scalars, rounded so that slider steps print cleanly."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(round(float(v), 10))
    return v


def slider(name, low, high, step, value, *, label=None, static=None):
    """A numeric slider from low to high by step (integers if all three are ints)."""
    if not low <= value <= high:
        raise ValueError(f"slider {name!r}: value must be in [{low}, {high}], got {value}")
    return Control(name, "slider", _plain(value), label, low, high, step, static=static)


def dropdown(name, options, value=None, *, label=None, static=None):
    """A choice among options (strings or numbers)."""
    options = tuple(options)
    value = options[0] if value is None else value
    if value not in options:
        raise ValueError(f"dropdown {name!r}: value must be one of {options}, got {value!r}")
    return Control(name, "dropdown", value, label, options=options, static=static)


def toggle(name, value=False, *, label=None, static=None):
    """An on/off switch."""
    return Control(name, "toggle", bool(value), label, static=static)


def _values_of(c):
    """Every value a control can take: a slider's step grid, a dropdown's options, a toggle's two."""
    if c.kind == "slider":
        n = int(round((c.high - c.low) / c.step))
        ints = isinstance(c.value, int) and float(c.step).is_integer()
        return [_plain(int(c.low + c.step * k) if ints else c.low + c.step * k) for k in range(n + 1)]
    if c.kind == "dropdown":
        return list(c.options)
    return [False, True]


def random_values(experiment, rng):
    """Control values drawn at random (slider values on their step grid), for tests and benchmarks."""
    values = {}
    for c in experiment.controls:
        options = _values_of(c)
        values[c.name] = options[int(rng.integers(len(options)))]
    return values


def png_bytes(fig, dpi=80):
    """Render a Figure to PNG bytes by a full draw (Agg, no pyplot): the reference that a Canvas's
    layered pictures are tested against."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def _quantized(rgb, colors):
    """An (h, w, 3) picture reduced to ``colors`` colours (a PIL palette image): pages with many
    pictures stay light."""
    from PIL import Image  # matplotlib depends on Pillow

    return Image.fromarray(np.ascontiguousarray(rgb[..., :3])).quantize(
        colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def _palette_png(rgb, colors):
    """The picture in ``colors`` colours as a palette PNG (the picture a saved notebook keeps)."""
    out = io.BytesIO()
    _quantized(rgb, colors).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _frame_webp(rgb, colors):
    """A static frame: the picture in ``colors`` colours as lossless WebP (about a third smaller
    than the same palette as PNG, and every browser of today shows it)."""
    out = io.BytesIO()
    _quantized(rgb, colors).convert("RGB").save(out, format="WEBP", lossless=True, method=4)
    return out.getvalue()


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def rgb_png(rgb, level=1):
    """An (h, w, 3) RGB or (h, w, 4) RGBA uint8 array (an Agg buffer) as PNG bytes: every row
    'up'-filtered (minus the row above), then deflated. Written out here because it is several times
    as fast as the general encoders, and a live picture is encoded on every change of a control.
    An Agg buffer is encoded as RGBA as it is (its opaque alpha costs little once filtered):
    dropping the alpha first would copy every pixel."""
    h, w, channels = rgb.shape
    if channels not in (3, 4):
        raise ValueError(f"rgb must have shape (h, w, 3) or (h, w, 4), got {rgb.shape}")
    flat = np.ascontiguousarray(rgb).reshape(h, w * channels)
    raw = np.empty((h, w * channels + 1), np.uint8)
    raw[:, 0] = 2                                        # PNG filter type 2: Up
    raw[0, 1:] = flat[0]
    np.subtract(flat[1:], flat[:-1], out=raw[1:, 1:])    # uint8 arithmetic wraps mod 256, as PNG wants
    colour_type = 2 if channels == 3 else 6              # 8-bit RGB or RGBA, no interlace
    header = struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, level)) + _chunk(b"IEND", b""))


@dataclass
class Experiment:
    """A figure that depends on control values. See the module docstring."""
    title: str
    controls: list
    compute: Callable[..., Any]
    draw: Callable[[Any, Figure], None]
    figsize: tuple = (8, 3.6)
    alt: str = ""                     # alt text: what the figure shows, for screen readers
    dpi: int = 80                     # CSS pixels per inch: the size the picture is shown at
    cache: int = 0                    # keep the last `cache` compute results, keyed by control values
    update: Callable[[Any, Any], None] = None   # update(data, artists): change the data of draw's artists
    applies: Callable[..., Any] = None         # applies(**values) -> names of the controls with an effect
    scale: int = 2                    # pixel density of the rendered PNG (2: sharp on HiDPI screens)
    warm: bool = False                # compute every combination of control values when the widget is built
    stages: dict = None               # {keyword: (function, control names)}: see computed()
    _names: list = field(init=False, repr=False)
    _memo: dict = field(init=False, repr=False, default_factory=dict)
    _staged: dict = field(init=False, repr=False, default_factory=dict)
    _lock: Any = field(init=False, repr=False, default_factory=threading.Lock)  # the caches, for warm_up's thread

    def __post_init__(self):
        self._names = [c.name for c in self.controls]
        if len(set(self._names)) != len(self._names):
            raise ValueError(f"experiment {self.title!r}: control names must be unique, got {self._names}")
        for keyword, (fn, on) in (self.stages or {}).items():
            if not callable(fn) or not set(on) <= set(self._names):
                raise ValueError(f"experiment {self.title!r}: stage {keyword!r} must be (function, names of "
                                 f"controls), got ({fn!r}, {on!r})")
            n = int(np.prod([len(_values_of(c)) for c in self.controls if c.name in on]))
            if n > MAX_WARM:
                raise ValueError(f"experiment {self.title!r}: stage {keyword!r} would be computed for {n} "
                                 f"values of {list(on)} when the widget is built (limit {MAX_WARM})")
        if self.warm:
            n = len({self._key(values) for values in self.all_values()})
            if n > MAX_WARM:
                raise ValueError(f"experiment {self.title!r}: warm=True would compute {n} combinations of "
                                 f"control values (limit {MAX_WARM}): give its controls fewer values")
            self.cache = max(self.cache, n)   # keep them all

    def all_values(self):
        """Every combination of control values, as dicts."""
        grids = [_values_of(c) for c in self.controls]
        for combo in itertools.product(*grids):
            yield dict(zip(self._names, combo))

    def warm_up(self):
        """Compute every stage for every value of the controls it depends on, and with warm=True the
        data of every combination of control values (into the cache), so that no change of a control
        waits for a network to train. live() runs it in a thread of its own once the widget shows its
        first picture; a value asked for before it is reached is computed at once."""
        for keyword, (_, on) in (self.stages or {}).items():
            grids = [_values_of(c) for c in self.controls if c.name in on]
            for combo in itertools.product(*grids):
                self._stage(keyword)(*combo)
        if self.warm:
            for values in self.all_values():
                self.computed(**values)

    def defaults(self):
        return {c.name: c.value for c in self.controls}

    def _key(self, values):
        """The cache key of these control values: those of the controls with an effect (applies)."""
        on = self.active(values)
        return tuple(sorted((k, v) for k, v in values.items() if k in on))

    def _stage(self, keyword):
        """The stage function, computed once per argument values (kept for the experiment's life)."""
        fn, _ = self.stages[keyword]

        def staged(*args):
            key = (keyword, args)
            with self._lock:
                if key in self._staged:
                    return self._staged[key]
            result = fn(*args)
            with self._lock:
                return self._staged.setdefault(key, result)
        return staged

    def computed(self, **values):
        """compute(**values), from the experiment's own cache when it declares one (cache=N), keyed
        by the values of the controls that have an effect. A declared stage (``stages={keyword:
        (function, control names)}``, e.g. the training that depends on the seed alone) is handed to
        compute as ``keyword=function`` that computes each of its results once."""
        values = {**self.defaults(), **values}
        stages = {k: self._stage(k) for k in (self.stages or {})}
        if not self.cache:
            return self.compute(**values, **stages)
        key = self._key(values)
        with self._lock:
            if key in self._memo:
                self._memo[key] = data = self._memo.pop(key)   # most recently used goes last
                return data
        data = self.compute(**values, **stages)
        with self._lock:
            self._memo[key] = data
            while len(self._memo) > self.cache:
                self._memo.pop(next(iter(self._memo)))
        return data

    def figure(self, **values):
        """Compute and draw for the given control values (defaults for the rest)."""
        unknown = set(values) - set(self._names)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; this experiment has {self._names}")
        return self.figure_from(self.computed(**values))

    def figure_from(self, data):
        """A fresh Figure with `data` drawn; what draw returned is kept as fig.nnlab_artists."""
        with style():
            fig = Figure(figsize=self.figsize, dpi=self.dpi * self.scale, layout="constrained")
            CachingCanvas(fig)                         # one canvas for the figure's life; text rasterized once
            fig.nnlab_artists = self.draw(data, fig)
        return fig

    def canvas(self):
        """A Canvas: renders this experiment for successive control values, reusing one Figure."""
        return Canvas(self)

    def active(self, values):
        """The names of the controls that have an effect for these values (all, unless applies says)."""
        names = set(self._names)
        if self.applies is None:
            return names
        got = set(self.applies(**{**self.defaults(), **values}))
        if not got <= names:
            raise ValueError(f"experiment {self.title!r}: applies() named unknown controls {sorted(got - names)}")
        return got

    def css_size(self):
        """(width, height) in CSS pixels that the picture is shown at (its natural size)."""
        return round(self.figsize[0] * self.dpi), round(self.figsize[1] * self.dpi)

    def alt_text(self, values):
        shown = ", ".join(f"{c.label} = {values[c.name]}" for c in self.controls)
        return f"{self.alt or self.title} ({shown})"

    # ----- live: ipywidgets -----
    def live(self):
        """Widgets that redraw on every change; displays as the widget box."""
        import ipywidgets as widgets

        width, height = self.css_size()
        image = widgets.Image(format="png", layout=widgets.Layout(width=f"{width}px", max_width="100%",
                                                                  height="auto"))
        inputs = {c.name: _widget(c, widgets) for c in self.controls}
        canvas = self.canvas()

        def redraw(_=None):
            values = {name: w.value for name, w in inputs.items()}
            image.value = canvas.png(**values)
            on = self.active(values)
            for name, w in inputs.items():
                w.disabled = name not in on
                w.tooltip = None if name in on else "no effect with the other controls as they are"

        for w in inputs.values():
            w.observe(redraw, names="value")
        redraw()
        warming = None
        if self.warm or self.stages:          # the rest of the grid, while the learner reads the picture
            warming = threading.Thread(target=self.warm_up, name=f"warm-up: {self.title}", daemon=True)
            warming.start()
        title = widgets.HTML(f"<b>{html.escape(self.title)}</b>")
        box = widgets.VBox([title, widgets.HBox(list(inputs.values()), layout=widgets.Layout(flex_flow="row wrap")),
                            image], layout=widgets.Layout(align_items="flex-start"))
        view = LiveView(box, self, inputs, image, canvas)
        view.warming = warming                # the warm-up thread (None: nothing to warm)
        return view

    # ----- static: HTML scrubber -----
    def frames(self):
        """Yield (indices, values) over the grid of static control values."""
        grids = [range(len(c.static)) for c in self.controls]
        for idx in itertools.product(*grids):
            yield idx, {c.name: c.static[i] for c, i in zip(self.controls, idx)}

    def static(self):
        """Self-contained HTML (inline PNG frames and a few lines of JS) with no kernel."""
        n = int(np.prod([len(c.static) for c in self.controls])) if self.controls else 1
        if n > MAX_STATIC_FRAMES:
            raise ValueError(f"experiment {self.title!r} would need {n} static frames (limit "
                             f"{MAX_STATIC_FRAMES}): give some controls fewer static= values")
        frames, alts, inactive = {}, {}, {}
        canvas = self.canvas()
        for idx, values in self.frames():
            key = ",".join(map(str, idx))
            frames[key] = "data:image/webp;base64," + base64.b64encode(canvas.frame(**values)).decode()
            alts[key] = self.alt_text(values)
            on = self.active(values)
            inactive[key] = [i for i, c in enumerate(self.controls) if c.name not in on]
        return StaticView(self, frames, alts, inactive)

    def show(self):
        """Display static() when NNLAB_STATIC is set (book build), live() otherwise."""
        from IPython.display import display
        display(self.static() if os.environ.get("NNLAB_STATIC") else self.live())


def _widget(c, widgets):
    style = {"description_width": "initial"}
    if c.kind == "slider":
        ints = all(float(v).is_integer() for v in (c.low, c.high, c.step)) and isinstance(c.value, int)
        cls = widgets.IntSlider if ints else widgets.FloatSlider
        return cls(value=c.value, min=c.low, max=c.high, step=c.step, description=c.label,
                   continuous_update=True, style=style)
    if c.kind == "dropdown":
        return widgets.Dropdown(options=list(c.options), value=c.value, description=c.label, style=style)
    return widgets.Checkbox(value=c.value, description=c.label, style=style)


def freeze_layout(fig):
    """Lay fig out now (constrained layout) and keep those positions, the axis labels' too (they
    no longer follow the tick labels' widths), so that later pictures only change data."""
    fig.draw_without_rendering()
    fig.set_layout_engine(None)                # no layout pass, and no second draw, when saving
    for ax in fig.axes:
        if not ax.get_visible():               # an axes hidden now was not laid out: leave its labels free
            continue
        for axis in (ax.xaxis, ax.yaxis):
            if axis.label.get_text():
                where = axis.label.get_transform().transform(axis.label.get_position())
                axis.set_label_coords(*ax.transAxes.inverted().transform(where))


class Canvas:
    """Renders an experiment again and again. With an ``update``, the Figure, its layout and its
    artists are made once and only their data change; without one, every render draws afresh.

    An updated picture is drawn in two layers: a background, drawn once, of everything that never
    changes and lies below every artist that ``update`` may touch (axes, ticks, labels, static
    curves), and on top of it, at each render, the artists that ``draw`` returned, with whatever
    lies above them in the same axes (or figure), in matplotlib's own order (zorder)."""

    def __init__(self, experiment):
        self.experiment, self.fig, self.artists = experiment, None, None
        self._background = self._layers = None

    def figure(self, **values):
        exp = self.experiment
        data = exp.computed(**values)
        if self.fig is None or exp.update is None:
            self.fig = exp.figure_from(data)
            self.artists = self.fig.nnlab_artists
            self._background = self._layers = None
            if exp.update is not None and self.fig.get_layout_engine() is not None:
                freeze_layout(self.fig)                # unless draw has already fixed its layout
        else:
            with style():
                exp.update(data, self.artists)
        return self.fig

    def render(self, **values):
        """Compute, update (or draw) and render into the Agg buffer; return it, (h, w, 4) uint8."""
        fig = self.figure(**values)
        canvas = fig.canvas
        if self.experiment.update is None:
            canvas.draw()
        else:
            if self._background is None:
                self._layers = _top_layers(fig, self.artists)
                for _, top in self._layers:
                    for a in top:
                        _artist(a).set_animated(True)  # left out of a normal draw: the background
                canvas.draw()
                renderer = canvas.get_renderer()
                for _, top in self._layers:           # an axis whose lines alone are redrawn: its texts
                    for a in top:
                        if isinstance(a, _AxisLines):
                            a.draw_texts(renderer)
                self._background = canvas.copy_from_bbox(fig.bbox)
            canvas.restore_region(self._background)
            renderer = canvas.get_renderer()
            for parent, top in self._layers:
                items = {id(_artist(a)): a for a in top}
                for a in _children(parent):            # in the order of now: update may change a zorder
                    if id(a) in items:
                        items[id(a)].draw(renderer)
        return np.asarray(canvas.buffer_rgba())

    def render_whole(self):
        """The current figure drawn whole in one pass, as matplotlib draws it (no kept background):
        what render() must equal, pixel for pixel."""
        tops = [_artist(a) for _, top in (self._layers or []) for a in top]
        for a in tops:
            a.set_animated(False)
        try:
            self.fig.canvas.draw()
            return np.asarray(self.fig.canvas.buffer_rgba()).copy()
        finally:
            for a in tops:
                a.set_animated(True)

    def png(self, **values):
        """The picture for these control values as PNG bytes."""
        return rgb_png(self.render(**values))

    def frame(self, colors=128, **values):
        """The picture for these control values as a static page's frame (lossless WebP bytes)."""
        return _frame_webp(self.render(**values), colors)

    def last_png(self, colors=128):
        """The picture rendered last, in ``colors`` colours as a palette PNG (no new draw)."""
        return _palette_png(np.asarray(self.fig.canvas.buffer_rgba()), colors)


class _AxisLines:
    """Stands in a layer for an axis (x or y) whose texts (tick labels, label) lie clear of what is
    redrawn, while its tick and grid lines touch it: the lines are drawn again on every render, the
    texts once, into the background."""

    def __init__(self, axis):
        self.axis = axis

    def draw(self, renderer):
        if self.axis.get_visible():
            for tick in self.axis._update_ticks():
                if tick.get_visible():
                    for line in (tick.gridline, tick.tick1line, tick.tick2line):
                        line.draw(renderer)

    def draw_texts(self, renderer):
        if self.axis.get_visible():
            for tick in self.axis._update_ticks():
                if tick.get_visible():
                    tick.label1.draw(renderer)
                    tick.label2.draw(renderer)
            for text in (self.axis.label, self.axis.offsetText):
                text.draw(renderer)

    def texts_extent(self, renderer):
        from matplotlib.transforms import Bbox
        boxes = [t.get_window_extent(renderer) for tick in self.axis._update_ticks() if tick.get_visible()
                 for t in (tick.label1, tick.label2) if t.get_visible() and t.get_text()]
        boxes += [t.get_window_extent(renderer) for t in (self.axis.label, self.axis.offsetText)
                  if t.get_visible() and t.get_text()]
        return [b.padded(1) for b in boxes]


def _artist(item):
    """The artist a layer item stands for."""
    return item.axis if isinstance(item, _AxisLines) else item


def _artists_in(obj, out):
    """Every matplotlib Artist (Axes too) inside obj (nested dicts, lists, tuples), Figures excepted."""
    from matplotlib.artist import Artist

    if isinstance(obj, dict):
        obj = obj.values()
    if isinstance(obj, (list, tuple, set, type({}.values()))):
        for item in obj:
            _artists_in(item, out)
    elif isinstance(obj, Artist) and not isinstance(obj, FigureBase):
        out.append(obj)
    return out


def _children(parent):
    """The children that parent's own draw() draws, in the order it draws them (stable by zorder)."""
    kids = [a for a in parent.get_children() if a is not parent.patch]
    if not isinstance(parent, FigureBase):
        if not (parent.axison and parent.get_frame_on()):
            kids = [a for a in kids if a not in parent.spines.values()]
        if not parent.axison:
            kids = [a for a in kids if a not in parent._axis_map.values()]
    return sorted(kids, key=lambda a: a.zorder)


def _top_layers(fig, artists):
    """[(parent, [its children to draw on the background, in order])]: for each figure, subfigure
    and axes that holds an artist that update may change, what it draws from the first such artist
    on. An Axes handed over whole (update may call its methods) is redrawn whole, as a child of its
    figure; so are the figure's children that overlap what is redrawn (an inset, a panel on top)."""
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis

    def descendants(a):
        for child in a.get_children():
            yield child
            yield from descendants(child)

    figures, i = [fig], 0
    while i < len(figures):
        figures += [c for c in figures[i].get_children() if isinstance(c, FigureBase)]
        i += 1
    parents = figures + [a for a in descendants(fig) if isinstance(a, Axes)]
    arts = _artists_in(artists, [])
    whole = {id(a) for a in arts if isinstance(a, Axes)}
    owner = {}                                            # id(artist) -> (parent, child of that parent)
    for parent in parents:
        for child in _children(parent):
            if isinstance(child, (Axes, FigureBase)):
                owner[id(child)] = owner[id(child.patch)] = (parent, child)  # a new background: redraw it
                continue
            owner[id(child)] = (parent, child)
            for d in descendants(child):
                owner.setdefault(id(d), (parent, child))
    moving = {}
    for a in arts:
        if id(a) not in owner:
            continue                                      # not drawn (removed, or never added)
        parent, child = owner[id(a)]
        if id(parent) in whole:
            continue
        moving.setdefault(id(parent), set()).add(id(child))
    layers = []
    renderer = fig.canvas.get_renderer()
    for parent in parents:                                # figures first: their axes lie below figure texts
        if id(parent) not in moving:
            continue
        kids = _children(parent)
        first = min(i for i, k in enumerate(kids) if id(k) in moving[id(parent)])
        # from the first that moves on: what moves, and what lies above it and overlaps what is redrawn
        top, boxes = [], []
        later = kids[first:]
        for i, k in enumerate(later):
            if id(k) in moving[id(parent)]:
                top.append(k)
                boxes.append(_reach(k, renderer))
            elif any(_overlap(_extent(k, renderer), b) for b in boxes):
                lines = _AxisLines(k) if isinstance(k, Axis) else None
                if lines is not None and _texts_stay_clear(lines, later[:i] + later[i + 1:], boxes, renderer):
                    top.append(lines)                   # only its lines touch what is redrawn
                    boxes.append(k.axes.bbox.frozen())  # grid lines span the axes
                else:
                    top.append(k)
                    boxes.append(_extent(k, renderer))
        layers.append((parent, top))
    return layers


def _texts_stay_clear(lines, others, boxes, renderer):
    """Whether an axis' texts overlap nothing that is redrawn or drawn after them (so that drawing
    them into the background, apart from the axis' lines, changes no pixel)."""
    texts = lines.texts_extent(renderer)
    near = boxes + [_extent(o, renderer, pad=0) for o in others]
    return not any(_overlap(t, b) for t in texts for b in near)


def _reach(artist, renderer):
    """Where an artist that update changes may draw: its clip box if it is clipped to one (a curve,
    an image, inside its axes), else where it draws now, generously padded (a title that grows)."""
    clip = artist.get_clip_box() if artist.get_clip_on() else None
    if clip is not None and artist.get_clip_path() is None:
        return clip.frozen()
    return _extent(artist, renderer, pad=24)


def _extent(artist, renderer, pad=2):
    """Where an artist draws, in pixels, padded a little (None: nowhere). An axes with its ticks,
    labels and title; an axis with its grid lines; a curve clipped to its axes within them."""
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.transforms import Bbox

    if isinstance(artist, (Axes, FigureBase, Axis)):
        box = artist.get_tightbbox(renderer)
        if box is None:                                   # hidden now: where it would draw
            box = artist.bbox if not isinstance(artist, Axis) else artist.axes.bbox
        if isinstance(artist, Axis) and any(t.gridline.get_visible() for t in artist.get_major_ticks()):
            box = Bbox.union([box, artist.axes.bbox])
    else:
        box = artist.get_window_extent(renderer)
        clip = artist.get_clip_box() if artist.get_clip_on() and artist.get_clip_path() is None else None
        if clip is not None:                              # a curve or points clipped to their axes
            box = Bbox.intersection(box, clip)
            if box is None:
                return None
    return box.padded(pad)


def _overlap(a, b):
    return a is not None and b is not None and a.overlaps(b)


class LiveView:
    """The live widget box. A saved notebook keeps the default picture (image/png) and a text line
    that names the controls, so it reads well before it is run, in any notebook viewer."""

    def __init__(self, box, experiment, inputs, image, canvas):
        self.box, self.experiment, self.inputs, self.image = box, experiment, inputs, image
        self.canvas, self.title = canvas, experiment.title

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.box._repr_mimebundle_(**kwargs)
        data, meta = (bundle if isinstance(bundle, tuple) else (bundle, {}))
        exp = self.experiment
        controls = "; ".join(_describe(c) for c in exp.controls)
        data["text/plain"] = (f"Live experiment: {exp.title}. Controls: {controls}. "
                              f"(Run the notebook to move them.)")
        # the picture the widget shows now (the defaults, when the cell has just run): no second draw
        data["image/png"] = base64.b64encode(self.canvas.last_png(colors=128)).decode()
        width, height = exp.css_size()
        meta = dict(meta, **{"image/png": {"width": width, "height": height}})
        return data, meta


def _describe(c):
    if c.kind == "slider":
        return f"{c.label} {_fmt(c.low)} to {_fmt(c.high)} (now {_fmt(c.value)})"
    if c.kind == "dropdown":
        return f"{c.label} one of {', '.join(map(_fmt, c.options))} (now {_fmt(c.value)})"
    return f"{c.label} on/off (now {'on' if c.value else 'off'})"


_SCRIPT = """
(function () {
  var root = document.getElementById(%(id)s);
  var data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  var img = root.querySelector('img'), inputs = root.querySelectorAll('[data-control]');
  function update() {
    var key = [];
    inputs.forEach(function (el) {
      var i = parseInt(el.value, 10), c = data.controls[parseInt(el.dataset.control, 10)];
      key.push(i);
      var out = el.parentNode.querySelector('output');
      if (out) { out.textContent = c.labels[i]; }
    });
    key = key.join(',');
    img.src = data.frames[key];
    img.alt = data.alts[key];
    inputs.forEach(function (el) {
      var off = data.inactive[key].indexOf(parseInt(el.dataset.control, 10)) >= 0;
      var label = el.closest('label');
      label.style.opacity = off ? '0.45' : '';
      label.title = off ? 'no effect with the other controls as they are' : '';
      var mark = label.querySelector('.nnlab-off');
      if (mark) { mark.hidden = !off; }
    });
  }
  inputs.forEach(function (el) { el.addEventListener('input', update); el.addEventListener('change', update); });
  update();
})();
"""


class StaticView:
    """HTML for the static page; ``_repr_html_`` is what the book embeds."""

    def __init__(self, experiment, frames, alts, inactive=None):
        self.experiment, self.frames, self.alts = experiment, frames, alts
        self.inactive = inactive if inactive is not None else {k: [] for k in frames}

    def _repr_html_(self):
        exp = self.experiment
        uid = "nnlab-" + hashlib.sha1(exp.title.encode()).hexdigest()[:10]
        first = ",".join(str(c.static.index(c.value)) for c in exp.controls)
        parts = [f'<div class="nnlab-experiment" id="{uid}" style="border:1px solid #ccc;'
                 'border-radius:6px;padding:8px;margin:8px 0">',
                 f'<div style="font-weight:bold">{html.escape(exp.title)}</div>',
                 '<div class="nnlab-controls" style="display:flex;flex-wrap:wrap;gap:4px 18px;margin:6px 0">']
        for i, c in enumerate(exp.controls):
            labels = [_fmt(v) for v in c.static]
            start = c.static.index(c.value)
            if c.kind == "slider":
                field_html = (f'<input type="range" min="0" max="{len(c.static) - 1}" step="1" value="{start}" '
                              f'data-control="{i}" aria-label="{html.escape(c.label)}"> '
                              f'<output>{html.escape(labels[start])}</output>')
            else:
                opts = "".join(f'<option value="{j}"{" selected" if j == start else ""}>{html.escape(t)}</option>'
                               for j, t in enumerate(labels))
                field_html = f'<select data-control="{i}" aria-label="{html.escape(c.label)}">{opts}</select>'
            parts.append(f'<label>{html.escape(c.label)} {field_html}'
                         f'<span class="nnlab-off" hidden> (no effect here)</span></label>')
        parts.append("</div>")
        width, height = exp.css_size()
        parts.append(f'<img src="{self.frames[first]}" alt="{html.escape(self.alts[first])}" '
                     f'width="{width}" height="{height}" style="max-width:100%;height:auto">')
        if any(len(c.static) < 2 for c in exp.controls):
            fixed = ", ".join(f"{c.label} = {_fmt(c.value)}" for c in exp.controls if len(c.static) < 2)
            parts.append(f'<div style="font-size:85%;color:#555">On this page {html.escape(fixed)} stay fixed; '
                         'run the notebook to change them too.</div>')
        data = {"controls": [{"labels": [_fmt(v) for v in c.static]} for c in exp.controls],
                "frames": self.frames, "alts": self.alts, "inactive": self.inactive}
        parts.append('<script type="application/json">' + json.dumps(data).replace("</", "<\\/") + "</script>")
        parts.append("<script>" + _SCRIPT % {"id": json.dumps(uid)} + "</script></div>")
        return "".join(parts)

    def __repr__(self):
        return f"Static experiment: {self.experiment.title} ({len(self.frames)} frames)"


def _fmt(v):
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)
