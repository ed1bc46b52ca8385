"""Experiments: one pure definition, shown three ways.

An ``Experiment`` has controls, a pure ``compute(**values) -> data`` and a ``draw(data, fig)``
that draws that data into a fresh matplotlib Figure. From that one definition:

* ``live()``   ipywidgets controls that redraw the figure (a notebook with a kernel);
* ``static()`` a self-contained HTML scrubber whose frames are computed now over a small
  grid of control values (the built site, no kernel, no CDN);
* ``show()``   picks ``static()`` when the environment variable NNLAB_STATIC is set (the
  book build sets it), ``live()`` otherwise;
* tests call ``compute`` directly.
"""
import base64
import hashlib
import html
import io
import itertools
import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from matplotlib.figure import Figure

from .viz.plots import style

MAX_STATIC_FRAMES = 64


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


def png_bytes(fig, dpi=80, colors=None):
    """Render a Figure to PNG bytes (Agg, no pyplot); ``colors`` quantizes to a palette PNG,
    about 3x smaller, which keeps pages with many static frames light."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    if colors is None:
        return buf.getvalue()
    from PIL import Image  # matplotlib depends on Pillow

    buf.seek(0)
    image = Image.open(buf).convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT,
                                                    dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@dataclass
class Experiment:
    """A figure that depends on control values. See the module docstring."""
    title: str
    controls: list
    compute: Callable[..., Any]
    draw: Callable[[Any, Figure], None]
    figsize: tuple = (8, 3.6)
    alt: str = ""                     # alt text: what the figure shows, for screen readers
    dpi: int = 80
    cache: int = 0                    # keep the last `cache` compute results, keyed by control values
    _names: list = field(init=False, repr=False)
    _memo: dict = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self):
        self._names = [c.name for c in self.controls]
        if len(set(self._names)) != len(self._names):
            raise ValueError(f"experiment {self.title!r}: control names must be unique, got {self._names}")

    def defaults(self):
        return {c.name: c.value for c in self.controls}

    def computed(self, **values):
        """compute(**values), from the experiment's own cache when it declares one (cache=N)."""
        values = {**self.defaults(), **values}
        if not self.cache:
            return self.compute(**values)
        key = tuple(sorted(values.items()))
        if key in self._memo:
            self._memo[key] = self._memo.pop(key)          # most recently used goes last
        else:
            self._memo[key] = self.compute(**values)
            while len(self._memo) > self.cache:
                self._memo.pop(next(iter(self._memo)))
        return self._memo[key]

    def figure(self, **values):
        """Compute and draw for the given control values (defaults for the rest)."""
        unknown = set(values) - set(self._names)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; this experiment has {self._names}")
        data = self.computed(**values)
        with style():
            fig = Figure(figsize=self.figsize, layout="constrained")
            self.draw(data, fig)
        return fig

    def alt_text(self, values):
        shown = ", ".join(f"{c.label} = {values[c.name]}" for c in self.controls)
        return f"{self.alt or self.title} ({shown})"

    # ----- live: ipywidgets -----
    def live(self):
        """Widgets that redraw on every change; displays as the widget box."""
        import ipywidgets as widgets

        image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        inputs = {c.name: _widget(c, widgets) for c in self.controls}

        def redraw(_=None):
            values = {name: w.value for name, w in inputs.items()}
            image.value = png_bytes(self.figure(**values), self.dpi)

        for w in inputs.values():
            w.observe(redraw, names="value")
        redraw()
        title = widgets.HTML(f"<b>{html.escape(self.title)}</b>")
        return LiveView(widgets.VBox([title, widgets.HBox(list(inputs.values()), layout=widgets.Layout(
            flex_flow="row wrap")), image]), self.title, inputs, image)

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
        frames, alts = {}, {}
        for idx, values in self.frames():
            key = ",".join(map(str, idx))
            frames[key] = "data:image/png;base64," + base64.b64encode(
                png_bytes(self.figure(**values), self.dpi, colors=128)).decode()
            alts[key] = self.alt_text(values)
        return StaticView(self, frames, alts)

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


class LiveView:
    """The live widget box; its text form is one short line so saved notebooks stay small."""

    def __init__(self, box, title, inputs, image):
        self.box, self.title, self.inputs, self.image = box, title, inputs, image

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.box._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"Live experiment: {self.title} (run the notebook to move the controls)"
        return bundle


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
  }
  inputs.forEach(function (el) { el.addEventListener('input', update); el.addEventListener('change', update); });
})();
"""


class StaticView:
    """HTML for the static page; ``_repr_html_`` is what the book embeds."""

    def __init__(self, experiment, frames, alts):
        self.experiment, self.frames, self.alts = experiment, frames, alts

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
            parts.append(f'<label>{html.escape(c.label)} {field_html}</label>')
        parts.append("</div>")
        parts.append(f'<img src="{self.frames[first]}" alt="{html.escape(self.alts[first])}" '
                     'style="max-width:100%;height:auto">')
        if any(len(c.static) < 2 for c in exp.controls):
            fixed = ", ".join(f"{c.label} = {_fmt(c.value)}" for c in exp.controls if len(c.static) < 2)
            parts.append(f'<div style="font-size:85%;color:#555">On this page {html.escape(fixed)} stay fixed; '
                         'run the notebook to change them too.</div>')
        data = {"controls": [{"labels": [_fmt(v) for v in c.static]} for c in exp.controls],
                "frames": self.frames, "alts": self.alts}
        parts.append('<script type="application/json">' + json.dumps(data).replace("</", "<\\/") + "</script>")
        parts.append("<script>" + _SCRIPT % {"id": json.dumps(uid)} + "</script></div>")
        return "".join(parts)

    def __repr__(self):
        return f"Static experiment: {self.experiment.title} ({len(self.frames)} frames)"


def _fmt(v):
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)
