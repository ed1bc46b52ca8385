"""Chapter 15: the playground, a lab with every control of the course, on the engine the chapters teach.

1. ``Config``: every control (data set, noise, split, input features, layers, activation, output and
   loss, initialization, batch norm, dropout, penalty, clipping, learning rate, batch size, seed).
2. ``Run``: a config made into data and a network, trained epoch by epoch with ``nnlab.fit``;
   ``snapshot()`` is what the views show, ``code()`` the same run as a few lines of Python.
3. ``Playground``: the live lab (play, pause, step, reset) for a notebook with a kernel: a background
   thread trains, the pictures follow several times a second, the controls stay live.
4. ``SCENARIOS``: named recorded runs for the static site, each a lesson of a chapter replayed, with
   an epoch scrubber (one ``Experiment`` per scenario).

Training a run for k epochs in the lab (one ``fit(..., epochs=1)`` per epoch, on one generator) is the
same computation as one ``fit(..., epochs=k)``: ``fit`` draws from its generator only to shuffle, once
per epoch, and a dropout layer draws from the generator it was built with.
"""
import base64
import dataclasses
import html
import os
import threading
import time

import numpy as np

from .. import data, params, probes
from ..clipping import ClipByNorm, ClipByValue
from ..experiment import Experiment, dropdown, slider
from ..layers import mlp
from ..losses import get_loss
from ..optim import SGD
from ..regularizers import L1, L2, ElasticNet
from ..train import evaluate, fit
from ..viz import playground as view
from ..viz import plots

# ---------------------------------------------------------------- the controls and their choices
DATASETS = ("xor", "circles", "moons", "spirals", "blobs", "regression")
REGIONS = {"xor": (-0.75, 1.75, -0.75, 1.75), "circles": (-1.5, 1.5, -1.5, 1.5),
           "moons": (-1.5, 2.5, -1.5, 2.0), "spirals": (-1.25, 1.25, -1.25, 1.25),
           "blobs": (-2.5, 2.5, -2.5, 2.5), "regression": (-1.1, 1.1, -1.6, 1.6)}
FEATURES = tuple(data.FEATURES)                  # the input features of nnlab.data.features, by name
FEATURE_LABELS = {"x1": "$x_1$", "x2": "$x_2$", "x1^2": "$x_1^2$", "x2^2": "$x_2^2$", "x1*x2": "$x_1x_2$",
                  "sin(x1)": r"$\sin x_1$", "sin(x2)": r"$\sin x_2$"}
ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "linear")
OUTPUTS = {"sigmoid + cross-entropy": ("sigmoid", "bce"), "sigmoid + squared error": ("sigmoid", "squared_error"),
           "linear + squared error": ("linear", "squared_error")}
INITS = ("xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "standard_uniform", "normal", "zeros")
PENALTIES = ("none", "L1", "L2", "elastic net")
CLIPS = ("none", "by value", "by norm")
BATCH_SIZES = (1, 2, 5, 10, 25, 50, None)       # None: the full batch
MAX_LAYERS, MAX_UNITS = 6, 8
GRID = 40                                        # the input plane is sampled GRID x GRID times for the views
HIST_BINS = 20
HIST_RANGES = {"tanh": (-1, 1), "sigmoid": (0, 1), "relu": (0, 3), "leaky_relu": (-0.5, 3), "linear": (-3, 3)}
# what changes the network (a reset) and what a running network takes on as it goes
LIVE_FIELDS = ("lr", "penalty", "lam", "clip", "clip_threshold", "batch_size")


@dataclasses.dataclass(frozen=True)
class Config:
    """Every control of the lab. Fields in LIVE_FIELDS change a running network; the others reset it."""
    dataset: str = "circles"
    noise: float = 0.1
    n_points: int = 500
    test_fraction: float = 0.5
    features: tuple = ("x1", "x2")
    hidden: tuple = (4, 4)                       # units per hidden layer (0 to 6 layers, 1 to 8 units)
    activation: str = "tanh"
    output: str = "sigmoid + cross-entropy"
    init: str = "xavier_uniform"
    batch_norm: bool = False
    dropout: float = 0.0                         # p_drop after every hidden layer
    penalty: str = "none"
    lam: float = 0.001
    clip: str = "none"
    clip_threshold: float = 1.0
    lr: float = 0.1
    batch_size: int = 10                         # None: the full batch
    seed: int = 0

    def __post_init__(self):
        _check_config(self)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    @property
    def regression(self):
        return self.dataset == "regression"

    @property
    def used_features(self):
        """The features the data set has: the 1-D regression has x1 only."""
        return tuple(f for f in self.features if not (self.regression and "x2" in f))


def _choice(name, value, options):
    if isinstance(value, (list, dict, set, bool, np.bool_)) or value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")


def _check_config(c):
    """Every check of a Config, before anything is built: the argument, what it must be, what came."""
    _choice("dataset", c.dataset, DATASETS)
    _number("noise", c.noise, 0, 2)
    if isinstance(c.n_points, bool) or not isinstance(c.n_points, (int, np.integer)) or not 20 <= c.n_points <= 5000:
        raise ValueError(f"n_points must be an integer from 20 to 5000, got {c.n_points!r}")
    _number("test_fraction", c.test_fraction, 0.1, 0.9)
    if not isinstance(c.features, tuple) or not c.features or len(set(c.features)) != len(c.features):
        raise ValueError(f"features must be a non-empty tuple of distinct names from {list(FEATURES)}, "
                         f"got {c.features!r}")
    for f in c.features:
        _choice("features", f, FEATURES)
    if not c.used_features:
        raise ValueError(f"features must include one of x1, x1^2, sin(x1) for the 1-D regression, got {c.features!r}")
    if not isinstance(c.hidden, tuple) or len(c.hidden) > MAX_LAYERS or any(
            isinstance(u, bool) or not isinstance(u, (int, np.integer)) or not 1 <= u <= MAX_UNITS for u in c.hidden):
        raise ValueError(f"hidden must be a tuple of 0 to {MAX_LAYERS} layer widths, each from 1 to {MAX_UNITS}, "
                         f"got {c.hidden!r}")
    _choice("activation", c.activation, ACTIVATIONS)
    _choice("output", c.output, OUTPUTS)
    if c.regression and OUTPUTS[c.output][0] != "linear":
        raise ValueError(f"output must be 'linear + squared error' for the regression data set, got {c.output!r}")
    _choice("init", c.init, INITS)
    if not isinstance(c.batch_norm, bool):
        raise TypeError(f"batch_norm must be True or False, got {c.batch_norm!r}")
    _number("dropout", c.dropout, 0, 0.9)
    _choice("penalty", c.penalty, PENALTIES)
    _number("lam", c.lam, 0, 1)
    _choice("clip", c.clip, CLIPS)
    _number("clip_threshold", c.clip_threshold, 1e-6, 1e6)
    _number("lr", c.lr, 1e-6, 100)
    _choice("batch_size", c.batch_size, BATCH_SIZES)
    if isinstance(c.seed, bool) or not isinstance(c.seed, (int, np.integer)) or c.seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {c.seed!r}")
    n_train = _n_train(c)
    if c.batch_size is not None and c.batch_size > n_train:
        raise ValueError(f"batch_size must be at most the {n_train} training samples of n_points={c.n_points} "
                         f"with test_fraction={c.test_fraction}, got {c.batch_size}")
    if c.batch_norm and c.hidden and (c.batch_size or n_train) < 2:
        raise ValueError(f"batch_size must be at least 2 for batch norm (it needs a batch mean and variance), "
                         f"got {c.batch_size}")


def _number(name, value, low, high):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}, got {value!r}")


def _n_train(c):
    """How many of the n_points are trained on (the rest held out, as nnlab.data.train_val_split counts)."""
    return c.n_points - min(c.n_points - 1, max(1, int(round(c.test_fraction * c.n_points))))


def drop_last_of(c):
    """Whether fit must skip each epoch's last mini-batch: only with batch norm, and only when that
    batch would hold a single sample (it has no batch variance). Every other run keeps all its batches."""
    n_train = _n_train(c)
    return bool(c.batch_norm and c.hidden and c.batch_size is not None and n_train % c.batch_size == 1)


def config_from_controls(values, base=None):
    """``base`` (default: Config()) with the lab's widget values (hidden given as 'layers' and 'units' there)."""
    values = dict(values)
    layers, units = values.pop("layers", None), values.pop("units", None)
    if layers is not None:
        values["hidden"] = tuple(units[:layers]) if isinstance(units, (tuple, list)) else (units,) * layers
    return (base or Config()).replace(**values)


# ---------------------------------------------------------------- config -> data, features, network


def make_data(config):
    """The raw data of a config: (X (N, 2) or (N, 1), y (N,) classes or (N, 1) values), from
    np.random.default_rng(seed), then split with train_val_split on the same generator.
    Returns rng (to build and train with next), X_train, y_train, X_test, y_test."""
    rng = np.random.default_rng(config.seed)
    X, y = _generate(config, rng)
    X_train, y_train, X_test, y_test = data.train_val_split(X, y, val_fraction=config.test_fraction, rng=rng)
    return rng, X_train, y_train, X_test, y_test


def _generate(config, rng):
    name, n, noise = config.dataset, config.n_points, config.noise
    if name == "regression":
        return data.regression_1d(n, noise=noise, rng=rng)
    if name == "blobs":
        return data.overlapping_blobs(n, noise=noise, rng=rng)
    return getattr(data, name)(n, noise=noise, rng=rng)


def _data_call(config):
    """The data line of the reproduction: the call _generate makes."""
    name, n, noise = config.dataset, config.n_points, config.noise
    fn = {"regression": "regression_1d", "blobs": "overlapping_blobs"}.get(name, name)
    return f"nnlab.data.{fn}({n}, noise={noise!r}, rng=rng)"


def build_model(config, n_in, rng):
    """The network: nnlab.mlp, with batch norm before each hidden activation and dropout after it."""
    out_act = OUTPUTS[config.output][0]
    sizes = [n_in, *config.hidden, 1]
    bn = "before" if config.batch_norm else None
    return mlp(sizes, rng=rng, activation=config.activation, output_activation=out_act, init=config.init,
               batch_norm=bn, dropout=config.dropout or None)


PENALTY_CLASSES = {"L1": L1, "L2": L2, "elastic net": ElasticNet}


def regularizer_of(config):
    """The weight penalty of a config: None, L1(lam), L2(lam) or ElasticNet(lam)."""
    return PENALTY_CLASSES[config.penalty](config.lam) if config.penalty in PENALTY_CLASSES else None


def clip_of(config):
    if config.clip == "by value":
        return ClipByValue(-config.clip_threshold, config.clip_threshold)
    return ClipByNorm(config.clip_threshold) if config.clip == "by norm" else None


def _targets(config, y):
    return y if config.regression else y.astype(float)[:, None]


# ---------------------------------------------------------------- a run
class Run:
    """A config made into data and a network, trained epoch by epoch with nnlab.fit.

    ``step(k)`` trains k more epochs with the config as it is now; ``set(**changes)`` takes on the
    changes of LIVE_FIELDS (learning rate, penalty, clipping, batch size) without a reset, and raises
    for any other field (make a new Run). ``segments`` records [(config, epochs)] as it was trained.
    """

    def __init__(self, config=None, **changes):
        if config is not None and not isinstance(config, Config):
            raise TypeError(f"config must be a Config (or None), got {type(config).__name__}")
        self.config = config = (config or Config()).replace(**changes)
        self.rng, X_train, self.y_train, X_test, self.y_test = make_data(config)
        self.X_train_raw, self.X_test_raw = X_train, X_test
        names = config.used_features
        self.X_train, self.X_test = data.features(X_train, names), data.features(X_test, names)
        self.model = build_model(config, len(names), self.rng)
        self.loss = get_loss(OUTPUTS[config.output][1])
        self.t_train, self.t_test = _targets(config, self.y_train), _targets(config, self.y_test)
        self.epoch, self.segments = 0, []
        self.train_loss, self.test_loss, self.seconds = [], [], 0.0
        first = self._losses()
        self.train_loss.append(first[0])
        self.test_loss.append(first[1])
        self.lock = threading.RLock()

    @property
    def diverged(self):
        return not np.isfinite(self.train_loss[-1])

    def _losses(self):
        with np.errstate(all="ignore"):
            return (evaluate(self.model, self.loss, self.X_train, self.t_train, regularizer_of(self.config))[0],
                    evaluate(self.model, self.loss, self.X_test, self.t_test, regularizer_of(self.config))[0])

    def set(self, **changes):
        """Take on changes of LIVE_FIELDS; any other field raises ValueError (it needs a new Run)."""
        structural = sorted(set(changes) - set(LIVE_FIELDS))
        if structural:
            raise ValueError(f"changes must be of {list(LIVE_FIELDS)} for a running network (the others need a "
                             f"new Run), got {structural}")
        with self.lock:
            self.config = self.config.replace(**changes)

    def step(self, epochs=1):
        """Train ``epochs`` more epochs (stops early once the loss is no longer finite); returns the epochs done."""
        done = 0
        with self.lock:
            c = self.config
            reg, clip = regularizer_of(c), clip_of(c)
            start = time.perf_counter()
            for _ in range(epochs):
                if self.diverged:
                    break
                with np.errstate(all="ignore"):
                    h = fit(self.model, self.X_train, self.t_train, loss=self.loss, optimizer=SGD(c.lr),
                            epochs=1, batch_size=c.batch_size, rng=self.rng, X_val=self.X_test,
                            y_val=self.t_test, regularizer=reg, clip=clip, drop_last=drop_last_of(c))
                self.train_loss.append(h.train_loss[0])
                self.test_loss.append(h.val_loss[0])
                self.epoch += 1
                done += 1
                if self.segments and self.segments[-1][0] == c:
                    self.segments[-1] = (c, self.segments[-1][1] + 1)
                else:
                    self.segments.append((c, 1))
            self.seconds += time.perf_counter() - start
        return done

    def weights(self):
        """Every parameter of the network as one flat vector (nnlab.params.flatten)."""
        return params.flatten(self.model)

    def code(self):
        """The run as Python that reproduces it with the package: the final weights are the lab's."""
        return reproduction(self.config if not self.segments else self.segments[0][0], self.segments)

    def snapshot(self, epoch_axis=None):
        """What the views show now (see ``viz.playground``): arrays and numbers, copies, no network.
        epoch_axis: the epochs the loss plot spans (default: ``epoch_axis(self.epoch)``)."""
        with self.lock:
            return {**_snapshot(self), "epoch_axis": epoch_axis or axis_epochs(self.epoch)}


def axis_epochs(epoch):
    """The span of the loss plot's epoch axis for a run at ``epoch``: 25, 50, 100, ... (at least epoch)."""
    span = 25
    while span < epoch:
        span *= 2
    return span


def reproduction(config, segments=()):
    """Python (a few lines) that builds config's data and network and trains them as ``segments``
    [(config, epochs)] say, with nnlab.fit; ``model`` then holds the run's final weights."""
    c = config
    names = c.used_features
    out_act, loss = OUTPUTS[c.output]
    lines = ["import numpy as np, nnlab",
             f"rng = np.random.default_rng({c.seed})",
             f"X, y = {_data_call(c)}",
             f"X_train, y_train, X_test, y_test = nnlab.data.train_val_split(X, y, val_fraction={c.test_fraction!r}, rng=rng)",
             f"X_train = nnlab.data.features(X_train, {tuple(names)!r})",
             f"X_test = nnlab.data.features(X_test, {tuple(names)!r})"]
    if not c.regression:
        lines.append("y_train, y_test = y_train[:, None] * 1.0, y_test[:, None] * 1.0")
    bn = ", batch_norm='before'" if c.batch_norm else ""
    dropout = f", dropout={c.dropout!r}" if c.dropout and c.hidden else ""
    sizes = [len(names), *c.hidden, 1]
    lines.append(f"model = nnlab.mlp({sizes}, rng=rng, activation={c.activation!r}, output_activation={out_act!r}, "
                 f"init={c.init!r}{bn}{dropout})")
    if not segments:                                        # nothing trained yet: the call that would train
        lines.append("# not trained yet; the lab trains with:")
        segments = [(c, 1)]
    for seg, epochs in segments:
        extra = ""
        reg = {"L1": "nnlab.L1", "L2": "nnlab.L2", "elastic net": "nnlab.ElasticNet"}.get(seg.penalty)
        if reg:
            extra += f", regularizer={reg}({seg.lam!r})"
        if seg.clip == "by value":
            extra += f", clip=nnlab.ClipByValue({-seg.clip_threshold!r}, {seg.clip_threshold!r})"
        elif seg.clip == "by norm":
            extra += f", clip=nnlab.ClipByNorm({seg.clip_threshold!r})"
        if drop_last_of(seg):
            extra += ", drop_last=True"
        lines.append(("# " if lines[-1].startswith("# not") else "") + f"history = nnlab.fit(model, X_train, y_train, loss={loss!r}, lr={seg.lr!r}, "
                     f"epochs={epochs}, batch_size={seg.batch_size!r}, rng=rng, "
                     f"X_val=X_test, y_val=y_test{extra})")
    return "\n".join(lines)


def _unit_maps(run, region):
    """Each feature's, hidden unit's and the output's value over a GRID x GRID sampling of the input
    plane (the 1-D regression: GRID points of x1, as a 1 x GRID strip): a list per column of the
    network, each (units, rows, GRID)."""
    c = run.config
    if c.regression:
        G = np.linspace(region[0], region[1], GRID)[:, None]
        rows = 1
    else:
        G = plots.region_grid(region, GRID)[0]
        rows = GRID
    F = data.features(G, c.used_features)
    with np.errstate(all="ignore"):
        run.model.forward(F, train=False)
    acts = [l.out for _, l in probes.activation_layers(run.model)]
    columns = [F] + acts
    return [a.T.reshape(a.shape[1], rows, GRID) for a in columns], G


def _snapshot(run):
    c = run.config
    region = REGIONS[c.dataset]
    maps, G = _unit_maps(run, region)
    dense = [l for _, l in probes.dense_layers(run.model)]
    with np.errstate(all="ignore"):
        stats = probes.probe(run.model, run.loss, run.X_train, run.t_train)
    acts = [l.out for _, l in probes.activation_layers(run.model)][:-1]   # hidden layers, on the training data
    edges, counts = probes.histograms(acts, bins=HIST_BINS, value_range=HIST_RANGES[c.activation]) if acts \
        else (np.linspace(*HIST_RANGES[c.activation], HIST_BINS + 1), np.zeros((0, HIST_BINS)))
    hidden_sat = stats["zero" if c.activation == "relu" else "saturated"][:-1]
    return {"config": c, "region": region, "epoch": run.epoch, "maps": maps,
            "weights": [l.params["W"].copy() for l in dense],
            "feature_labels": [FEATURE_LABELS[f] for f in c.used_features],
            "X_train": run.X_train_raw, "y_train": run.y_train, "X_test": run.X_test_raw, "y_test": run.y_test,
            "train_loss": np.array(run.train_loss), "test_loss": np.array(run.test_loss),
            "grad_norms": stats["weight_grad_norm"], "saturated": hidden_sat,
            "saturated_kind": "dead (output 0)" if c.activation == "relu" else "saturated",
            "hist_edges": edges, "hist_counts": counts, "diverged": run.diverged}


# ---------------------------------------------------------------- the live lab
LIVE_ART = ("net_image", "net_edges", "surface", "boundary", "curve", "title", "train_curve", "test_curve",
            "grad_bars", "sat_bars", "hist_lines")   # what moves while a network trains (its structure stays)
FIGSIZE = (11, 6.4)
ALT = ("The network drawn as columns of small heat maps (each input feature, each hidden unit and the output "
       "over the input plane) joined by its weights (width: size, orange: positive, blue: negative); the "
       "decision surface or fitted curve with the train (filled) and test (hollow) points; the train and test "
       "loss over epochs; the weight-gradient norm per layer; the saturated or dead fraction per hidden layer; "
       "the histograms of each hidden layer's activations")


def live_experiment(source, scale=1):
    """An Experiment with no controls whose compute is ``source()`` (a run's snapshot): the lab's picture,
    drawn once per network and then updated in place, only what training moves redrawn."""
    full = {}

    def draw(snap, fig):
        full.clear()
        full.update(view.draw(snap, fig))
        return {k: full[k] for k in LIVE_ART if k in full}

    return Experiment("The playground", [], source, draw, figsize=FIGSIZE, alt=ALT, scale=scale,
                      update=lambda snap, art: view.update(snap, full))


class Playground:
    """The live lab: ``play()`` trains in a background thread and pushes the picture several times a
    second, ``pause()`` stops it (within one update), ``step(k)`` trains k epochs, ``reset()`` starts the
    network again from its initial weights; ``set(**changes)`` changes controls (learning rate, penalty,
    clipping and batch size go on with the same network; the others reset it).

    Works without a browser: ``png()`` is the picture now, ``widget()`` the ipywidgets box (built on demand).
    """

    def __init__(self, config=None, *, frame_seconds=0.08, scale=1, **changes):
        self.run = Run(config, **changes)
        self.frame_seconds, self.scale = frame_seconds, scale
        self._thread, self._stop = None, threading.Event()
        self._draw = threading.Lock()
        self._canvas = self._axis = None
        self.frames = 0                              # pictures rendered while playing
        self._box = self._image = self._status = self._code = None
        self.widgets = {}
        self.message = ""

    # ----- running
    @property
    def playing(self):
        return self._thread is not None and self._thread.is_alive()

    def play(self):
        """Train in the background until pause() (or until the loss is no longer finite)."""
        if self.playing:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="nnlab-playground", daemon=True)
        self._thread.start()

    def pause(self):
        """Stop training; returns once the background thread has finished its current update."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
        self._show()

    def step(self, epochs=1):
        """Train ``epochs`` epochs now (pausing first if playing); returns the epochs done."""
        self.pause()
        done = self.run.step(epochs)
        self._show()
        return done

    def reset(self, config=None):
        """A new network for ``config`` (default: the current one), from its initial weights; keeps playing if it was."""
        was = self.playing
        self.pause()
        self.run = Run(config or self.run.config)
        self._canvas = None
        self._show()
        if was:
            self.play()

    def set(self, **changes):
        """Change controls. Learning rate, penalty, clipping and batch size change the running network;
        any other change resets it (as in TF Playground). Bad values raise before anything changes."""
        config = self.run.config.replace(**changes)             # checks every value first
        if set(changes) <= set(LIVE_FIELDS):
            self.run.set(**changes)
            self._show()
        else:
            self.reset(config)

    def _loop(self):
        while not self._stop.is_set() and not self.run.diverged:
            start = time.perf_counter()
            while True:                                          # at least one epoch per picture
                self.run.step(1)
                if self._stop.is_set() or self.run.diverged or \
                        time.perf_counter() - start > 0.5 * self.frame_seconds:
                    break
            self._show()
            self.frames += 1
            time.sleep(max(0.002, self.frame_seconds - (time.perf_counter() - start)))

    # ----- pictures
    def snapshot(self):
        return self.run.snapshot(self._axis)

    def png(self):
        """The picture of the run now, as PNG bytes (a new figure when the network or the epoch axis changes)."""
        with self._draw:
            axis = axis_epochs(self.run.epoch)
            if self._canvas is None or axis != self._axis:
                self._axis = axis
                self._canvas = live_experiment(self.snapshot, self.scale).canvas()
            return self._canvas.png()

    def _show(self):
        if self._image is not None:
            self._image.value = self.png()
            self._status.value = self.status()
            self._code.value = "<pre style='font-size:12px;line-height:1.3;white-space:pre-wrap'>" + \
                html.escape(self.run.code()) + "</pre>"

    def status(self):
        r = self.run
        state = "diverged (the loss is no longer finite): reset, or lower the learning rate" if r.diverged else \
            ("training" if self.playing else "paused")
        extra = f"; {self.message}" if self.message else ""
        return f"<b>epoch {r.epoch}</b>, {state}{extra}"

    # ----- widgets
    def widget(self):
        """The ipywidgets box: controls, buttons, the picture and the code of the run."""
        if self._box is None:
            self._box = _build_widgets(self)
            self._show()
        return self._box

    def _repr_mimebundle_(self, **kwargs):
        box = self.widget()
        bundle = box._repr_mimebundle_(**kwargs)
        data, meta = bundle if isinstance(bundle, tuple) else (bundle, {})
        data["text/plain"] = (f"The playground (live): {self.run.config.dataset} data, hidden layers "
                              f"{list(self.run.config.hidden)}. Run the notebook to play, pause, step and reset.")
        with self._draw:
            data["image/png"] = base64.b64encode(self._canvas.last_png()).decode()
        return data, meta


def _build_widgets(lab):
    import ipywidgets as W

    c = lab.run.config
    style, small = {"description_width": "initial"}, W.Layout(width="210px")
    w = lab.widgets
    w["dataset"] = W.Dropdown(options=DATASETS, value=c.dataset, description="data", style=style, layout=small)
    w["noise"] = W.FloatSlider(value=c.noise, min=0, max=0.5, step=0.05, description="noise", style=style,
                               layout=small)
    w["test_fraction"] = W.FloatSlider(value=c.test_fraction, min=0.1, max=0.9, step=0.1, description="test share",
                                       style=style, layout=small)
    w["features"] = W.SelectMultiple(options=list(FEATURES), value=c.features, description="features", rows=7,
                                     style=style, layout=W.Layout(width="190px"))
    w["layers"] = W.IntSlider(value=len(c.hidden), min=0, max=MAX_LAYERS, description="hidden layers", style=style,
                              layout=small)
    units = list(c.hidden) + [4] * (MAX_LAYERS - len(c.hidden))
    w["units"] = [W.BoundedIntText(value=u, min=1, max=MAX_UNITS, description=f"units {i + 1}", style=style,
                                   layout=W.Layout(width="100px")) for i, u in enumerate(units)]
    w["activation"] = W.Dropdown(options=ACTIVATIONS, value=c.activation, description="activation", style=style,
                                 layout=small)
    w["output"] = W.Dropdown(options=list(OUTPUTS), value=c.output, description="output, loss", style=style,
                             layout=W.Layout(width="290px"))
    w["init"] = W.Dropdown(options=INITS, value=c.init, description="init", style=style, layout=small)
    w["batch_norm"] = W.Checkbox(value=c.batch_norm, description="batch norm", style=style)
    w["dropout"] = W.FloatSlider(value=c.dropout, min=0, max=0.8, step=0.1, description="dropout p_drop",
                                 style=style, layout=small)
    w["penalty"] = W.Dropdown(options=PENALTIES, value=c.penalty, description="penalty", style=style, layout=small)
    w["lam"] = W.FloatLogSlider(value=c.lam, base=10, min=-5, max=-0.5, step=0.5, description="λ", style=style,
                                layout=small, readout_format=".1e")
    w["clip"] = W.Dropdown(options=CLIPS, value=c.clip, description="clipping", style=style, layout=small)
    w["clip_threshold"] = W.FloatLogSlider(value=c.clip_threshold, base=10, min=-2, max=2, step=0.5,
                                           description="threshold", style=style, layout=small, readout_format=".2g")
    w["lr"] = W.FloatLogSlider(value=c.lr, base=10, min=-3, max=1, step=0.25, description="learning rate",
                               style=style, layout=small, readout_format=".3g")
    w["batch_size"] = W.Dropdown(options=[("full", None) if b is None else (str(b), b) for b in BATCH_SIZES],
                                 value=c.batch_size, description="batch size", style=style, layout=small)
    w["seed"] = W.BoundedIntText(value=c.seed, min=0, max=10 ** 6, description="seed", style=style,
                                 layout=W.Layout(width="130px"))
    buttons = {name: W.Button(description=name, layout=W.Layout(width="80px")) for name in ("play", "pause", "step", "reset")}
    buttons["play"].on_click(lambda _: (lab.play(), lab._show()))
    buttons["pause"].on_click(lambda _: lab.pause())
    buttons["step"].on_click(lambda _: lab.step(1))
    buttons["reset"].on_click(lambda _: lab.reset())
    lab.buttons = buttons

    def changed(_=None):
        values = {k: v.value for k, v in w.items() if k != "units"}
        values["features"] = tuple(values["features"])
        values["units"] = [u.value for u in w["units"]]
        for i, u in enumerate(w["units"]):
            u.disabled = i >= values["layers"]
        try:
            config = config_from_controls(values, lab.run.config)
        except (ValueError, TypeError) as err:
            lab.message = f"<span style='color:#D55E00'>not applied: {html.escape(str(err))}</span>"
            lab._status.value = lab.status()
            return
        lab.message = ""
        changes = {f.name: getattr(config, f.name) for f in dataclasses.fields(Config)
                   if getattr(config, f.name) != getattr(lab.run.config, f.name)}
        if changes:
            lab.set(**changes)

    for key, widget in w.items():
        for item in (widget if isinstance(widget, list) else [widget]):
            item.observe(changed, names="value")
    width, height = round(FIGSIZE[0] * 80), round(FIGSIZE[1] * 80)
    lab._image = W.Image(format="png", layout=W.Layout(width=f"{width}px", max_width="100%", height="auto"))
    lab._status = W.HTML()
    lab._code = W.HTML()
    for i, u in enumerate(w["units"]):
        u.disabled = i >= len(c.hidden)
    row = lambda *items: W.HBox(list(items), layout=W.Layout(flex_flow="row wrap", align_items="center"))
    return W.VBox([
        row(*buttons.values(), lab._status),
        row(W.VBox([w["dataset"], w["noise"], w["test_fraction"]]), w["features"],
            W.VBox([w["layers"], w["activation"], w["output"], w["init"]]),
            W.VBox([w["batch_norm"], w["dropout"], w["penalty"], w["lam"]]),
            W.VBox([w["clip"], w["clip_threshold"], w["lr"], w["batch_size"], w["seed"]])),
        row(*w["units"]),
        lab._image,
        W.HTML("<b>This run in Python</b> (copy it into a notebook: it gives the same final weights):"),
        lab._code], layout=W.Layout(align_items="flex-start"))


# ---------------------------------------------------------------- static scenarios: lessons of the chapters replayed
@dataclasses.dataclass(frozen=True)
class Scenario:
    """A named recorded run (one per variant) with the chapter it replays."""
    title: str
    chapter: str                     # the chapter's file, for the link
    lesson: str                      # what to see, in one sentence
    variants: dict                   # label -> Config
    epochs: int
    frames: int = 4                  # epoch steps of the scrubber (frames + 1 pictures per variant)


def _base(**changes):
    return Config(n_points=200, test_fraction=0.5, **changes)


SCENARIOS = {
    "xor": Scenario(
        "XOR: no hidden layer, and one", "03_perceptron_limits",
        "Without a hidden layer the boundary is a straight line and stays wrong on half the points; one hidden "
        "layer of four units bends it around the four clusters.",
        {"no hidden layer": _base(dataset="xor", hidden=(), lr=0.3),
         "one hidden layer of 4": _base(dataset="xor", hidden=(4,), lr=0.3)}, epochs=80),
    "spirals": Scenario(
        "Spirals need depth", "04_mlp_and_xor",
        "One hidden layer of four units cannot follow the two arms; three layers of eight, trained as long, "
        "wind the boundary between them.",
        {"1 hidden layer of 4": _base(dataset="spirals", hidden=(4,), lr=0.3),
         "3 hidden layers of 8": _base(dataset="spirals", hidden=(8, 8, 8), lr=0.3)}, epochs=160),
    "zero_init": Scenario(
        "Zero initialization never breaks the symmetry", "09_weight_initialization",
        "With every weight zero, every hidden unit computes the same thing and gets the same update: the "
        "heat maps stay blank and only the output's bias learns; Xavier's random start trains.",
        {"zeros": _base(dataset="circles", hidden=(4, 4), init="zeros", lr=0.3),
         "Xavier uniform": _base(dataset="circles", hidden=(4, 4), init="xavier_uniform", lr=0.3)}, epochs=80),
    "deep_sigmoid": Scenario(
        "A deep sigmoid network trains only with batch norm", "10_batch_normalization",
        "Six sigmoid layers pass back a gradient that shrinks layer by layer (the gradient bars fall towards "
        "the input) and the loss hardly moves; batch norm before each sigmoid keeps it training.",
        {"no batch norm": _base(dataset="circles", hidden=(8,) * 6, activation="sigmoid", lr=0.3),
         "batch norm": _base(dataset="circles", hidden=(8,) * 6, activation="sigmoid", lr=0.3, batch_norm=True)},
        epochs=80),
    "dropout": Scenario(
        "Dropout against overfitting on noisy circles", "12_dropout",
        "On 100 noisy training points a network of three layers of eight fits the noise: the training loss keeps "
        "falling while the test loss turns up after a few dozen epochs. With dropout 0.2 the test loss ends lower "
        "and the gap between the two curves is smaller.",
        {"no dropout": _base(dataset="circles", noise=0.3, hidden=(8, 8, 8), activation="relu", init="he_uniform",
                             lr=0.1, batch_size=5),
         "dropout 0.2": _base(dataset="circles", noise=0.3, hidden=(8, 8, 8), activation="relu", init="he_uniform",
                              lr=0.1, batch_size=5, dropout=0.2)}, epochs=200),
    "clipping": Scenario(
        "An exploding run tamed by clipping", "13_gradient_clipping",
        "At learning rate 2 a few steep gradients throw the weights far away and the loss blows up by orders of "
        "magnitude; clipping the gradient's norm at 0.2 bounds every step, and the same run trains.",
        {"no clipping": _base(dataset="regression", features=("x1",), hidden=(8, 8, 8), activation="relu",
                              init="he_normal", output="linear + squared error", lr=2.0, batch_size=5),
         "clip by norm at 0.2": _base(dataset="regression", features=("x1",), hidden=(8, 8, 8), activation="relu",
                                      init="he_normal", output="linear + squared error", lr=2.0, batch_size=5,
                                      clip="by norm", clip_threshold=0.2)}, epochs=64),
    "batch_sizes": Scenario(
        "Batch sizes against time", "14_gradient_descent_variants",
        "Per epoch, stochastic descent (B = 1) makes 100 updates, mini-batches of 10 make 10 and the full batch "
        "one: after the same epochs (the same gradient evaluations) the small batches are far ahead.",
        {"B = 1": _base(dataset="moons", hidden=(8,), lr=0.1, batch_size=1),
         "B = 10": _base(dataset="moons", hidden=(8,), lr=0.1, batch_size=10),
         "full batch (B = 100)": _base(dataset="moons", hidden=(8,), lr=0.1, batch_size=None)}, epochs=40),
}


def record(config, epochs, at):
    """Train a Run of config for ``epochs`` epochs; its snapshots (loss axis spanning ``epochs``) at the
    epochs in ``at``, as {epoch: snapshot}, and the Run."""
    run, out = Run(config), {}
    for e in range(epochs + 1):
        if e > run.epoch:
            run.step(e - run.epoch)
        if e in at:
            out[e] = run.snapshot(epochs)
    return out, run


def scenario(name):
    """The Experiment of a scenario: a variant and an epoch scrubber over its recorded runs."""
    sc = SCENARIOS[name]
    if sc.epochs % sc.frames:
        raise ValueError(f"epochs must be a multiple of frames ({sc.frames}), got {sc.epochs}")
    step = sc.epochs // sc.frames
    at = set(range(0, sc.epochs + 1, step))

    def recorded(variant):
        """The variant's run, recorded at every epoch of the scrubber: {epoch: snapshot}."""
        return record(sc.variants[variant], sc.epochs, at)[0]

    def compute(variant, epoch, recorded=recorded):
        return recorded(variant)[epoch]

    labels = tuple(sc.variants)
    return Experiment(
        f"{sc.title} (replays chapter {int(sc.chapter[:2])})",
        [dropdown("variant", labels, labels[-1], label="run"),
         slider("epoch", 0, sc.epochs, step, sc.epochs, label="epoch",
                static=tuple(range(0, sc.epochs + 1, step)))],
        compute, view.draw, figsize=FIGSIZE, update=view.update, alt=ALT + f". {sc.lesson}",
        stages={"recorded": (recorded, ("variant",))},   # each variant trained once, shown at any epoch
        scale=1)                                 # at natural density: the page holds some 80 such pictures


def _scenario_factory(name):
    factory = lambda: scenario(name)
    factory.__name__ = factory.__qualname__ = f"scenario_{name}"
    return factory


EXPERIMENTS = {f"scenario_{name}": _scenario_factory(name) for name in SCENARIOS}


class StaticLab:
    """What the book's static page shows in place of the live lab: its picture after some epochs, and where to run it."""

    def __init__(self, lab, epochs):
        lab.step(epochs)
        lab.png()
        self.lab, self.png = lab, lab._canvas.last_png(colors=128)     # a palette PNG: a light page

    def _repr_html_(self):
        width, height = round(FIGSIZE[0] * 80), round(FIGSIZE[1] * 80)
        src = "data:image/png;base64," + base64.b64encode(self.png).decode()
        return (f'<div class="nnlab-playground" style="border:1px solid #ccc;border-radius:6px;padding:8px">'
                f'<div><b>The playground</b> after {self.lab.run.epoch} epochs of its default run. This page has no '
                f'kernel: run the notebook to play, pause, step and reset, and to move every control.</div>'
                f'<img src="{src}" alt="{html.escape(ALT)}" width="{width}" height="{height}" '
                f'style="max-width:100%;height:auto"></div>')

    def __repr__(self):
        return f"The playground (static picture after {self.lab.run.epoch} epochs; run the notebook to play)"


def lab(config=None, *, static_epochs=50, **changes):
    """The live lab in a notebook with a kernel; on the static site (NNLAB_STATIC set) its picture
    after ``static_epochs`` epochs."""
    playground = Playground(config, **changes)
    return StaticLab(playground, static_epochs) if os.environ.get("NNLAB_STATIC") else playground
