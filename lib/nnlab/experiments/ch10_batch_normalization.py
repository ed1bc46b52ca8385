"""Chapter 10 experiments: batch normalization in deep sigmoid and tanh networks (learning rate and
depth), and train-mode against test-mode outputs as the batch size and the batches seen shrink."""
import copy

import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import NullLocator

from .. import data, probes
from ..experiment import Experiment, dropdown, slider
from ..layers import BatchNorm, mlp
from ..losses import BinaryCrossEntropy
from ..train import evaluate, fit
from ..viz import plots
from .._checks import choice, number

DATA_SEED, INIT_SEED, ORDER_SEED = 7, 1, 2
WIDTH, N_TRAIN, BATCH, EPOCHS = 8, 64, 16, 15    # hidden units per layer, samples, mini-batch, epochs
DEPTHS = (2, 4, 6, 8)                            # hidden layers
ACTIVATIONS = ("sigmoid", "tanh")
PLACEMENTS = {"without batch norm": None, "batch norm before the activation": "before",
              "batch norm after the activation": "after"}


def make_data(n=N_TRAIN):
    """The chapter's moons: X (n, 2), y (n,) in {0, 1}."""
    number("n", n, low=4, integer=True)
    return data.moons(n, noise=0.15, rng=np.random.default_rng(DATA_SEED))


def make_network(depth, activation="sigmoid", batch_norm=None):
    """2 inputs, ``depth`` hidden layers of WIDTH units, 1 sigmoid output; the same initial weights
    for every placement of batch norm (it adds no weights, only gamma = 1 and beta = 0)."""
    number("depth", depth, low=1, integer=True)
    choice("activation", activation, ACTIVATIONS)
    return mlp([2] + [WIDTH] * depth + [1], rng=np.random.default_rng(INIT_SEED), activation=activation,
               output_activation="sigmoid", batch_norm=batch_norm)


def train_run(depth, activation, batch_norm, lr, *, epochs=EPOCHS):
    """Train one network with mini-batch SGD (nnlab.fit). Returns a dict: 'loss' (epochs + 1,), the
    loss on all the training data in test mode before training and after each epoch (NaN after a
    run that stopped on a non-finite loss); 'grad_norm' (depth + 1,), ||dL/dW|| of every Dense layer
    at the start, from one train-mode pass (nnlab.probes.probe); 'history'; 'model' (trained)."""
    number("lr", lr, low=0, low_open=True)
    X, y = make_data()
    model = make_network(depth, activation, batch_norm)
    loss_fn = BinaryCrossEntropy()
    loss0 = evaluate(model, loss_fn, X, y)[0]
    grad_norm = probes.probe(model, loss_fn, X, y, train=True)["weight_grad_norm"]
    history = fit(model, X, y, loss="bce", lr=lr, epochs=epochs, batch_size=BATCH,
                  rng=np.random.default_rng(ORDER_SEED))
    loss = np.full(epochs + 1, np.nan)
    loss[0], loss[1:len(history.train_loss) + 1] = loss0, history.train_loss
    return {"loss": loss, "grad_norm": grad_norm, "history": history, "model": model}


# ---------------------------------------------------------------- 1. with and without batch norm
RUNS = {"without batch norm": None, "with batch norm (before the activation)": "before"}
LOSS_LIMITS, LOSS_TICKS = (0.05, 30), (0.1, 0.3, 1, 3, 10)
GRAD_LIMITS, GRAD_TICKS = (1e-8, 1e3), (1e-8, 1e-6, 1e-4, 1e-2, 1, 1e2)


def bn_training_compute(activation="sigmoid", depth=6, log10_lr=0.0):
    """The same network trained without and with batch norm at learning rate 10**log10_lr.

    Returns {'lr', 'activation', 'depth', 'runs': {name: train_run dict}} (names as in RUNS).
    """
    number("log10_lr", log10_lr, low=-4, high=2)
    lr = float(10.0 ** log10_lr)
    runs = {name: train_run(depth, activation, placement, lr) for name, placement in RUNS.items()}
    return {"lr": lr, "activation": activation, "depth": depth, "runs": runs}


def _bn_texts(d):
    finals = [run["loss"][-1] for run in d["runs"].values()]
    words = ", ".join(f"{w} {'stopped (not finite)' if not np.isfinite(f) else f'{f:.2g}'}"
                      for w, f in zip(("without", "with"), finals))
    return (f"{d['depth']} {d['activation']} layers, η = {d['lr']:.2g}: final loss {words}",
            "gradient at the start, per layer")


def _grad_xy(run):
    g = run["grad_norm"]
    return np.arange(1, len(g) + 1), np.clip(g, GRAD_LIMITS[0], None)


def bn_training_draw(d, fig):
    ax_loss, ax_grad = fig.subplots(1, 2, width_ratios=(1.4, 1))
    styles = [dict(color=plots.OKABE_ITO[5], ls="--", marker="s", ms=3),
              dict(color=plots.OKABE_ITO[0], ls="-", marker="o", ms=3)]
    loss_title, grad_title = _bn_texts(d)
    art = {"loss": [], "grad": []}
    for (name, run), style in zip(d["runs"].items(), styles):
        art["loss"].append(ax_loss.plot(np.arange(len(run["loss"])), run["loss"], lw=2, label=name, **style)[0])
        art["grad"].append(ax_grad.plot(*_grad_xy(run), lw=1.5, **style)[0])
    art["ln2"] = ax_loss.axhline(np.log(2), color="0.5", ls=":", lw=1, label="ln 2: always answering 0.5")
    ax_loss.set_yscale("log")
    ax_loss.set_ylim(*LOSS_LIMITS)
    ax_loss.set_yticks(LOSS_TICKS, labels=[f"{t:g}" for t in LOSS_TICKS])
    ax_loss.yaxis.set_minor_locator(NullLocator())
    ax_loss.set_xlim(0, EPOCHS)
    ax_loss.set_xticks(range(0, EPOCHS + 1, 5))
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss (test mode, log scale)")
    ax_loss.legend(loc="lower left", fontsize=9)
    art["loss_title"] = ax_loss.set_title(loss_title, fontsize=9)
    ax_grad.set_yscale("log")
    ax_grad.set_ylim(*GRAD_LIMITS)
    ax_grad.set_yticks(GRAD_TICKS, labels=[f"{t:g}" for t in GRAD_TICKS])
    ax_grad.yaxis.set_minor_locator(NullLocator())
    ax_grad.set_xlim(0.5, max(DEPTHS) + 1.5)
    ax_grad.set_xticks(range(1, max(DEPTHS) + 2, 2))
    ax_grad.set_xlabel("Dense layer (1 = next to the input)")
    ax_grad.set_ylabel("weight-gradient norm ||dL/dW||")
    art["grad_title"] = ax_grad.set_title(grad_title, fontsize=9)
    return art


def bn_training_update(d, art):
    for run, line, grad in zip(d["runs"].values(), art["loss"], art["grad"]):
        line.set_data(np.arange(len(run["loss"])), run["loss"])
        grad.set_data(*_grad_xy(run))
    loss_title, grad_title = _bn_texts(d)
    art["loss_title"].set_text(loss_title)
    art["grad_title"].set_text(grad_title)


def bn_training():
    return Experiment(
        "Training a deep network with and without batch norm",
        [dropdown("activation", ACTIVATIONS, "sigmoid"),
         dropdown("depth", DEPTHS, 6, label="hidden layers"),
         slider("log10_lr", -1.0, 1.0, 0.25, 0.0, label="log10 learning rate",
                static=(-1.0, -0.5, 0.0, 0.5, 1.0))],
        bn_training_compute, bn_training_draw, figsize=(9, 3.6), update=bn_training_update, warm=True,
        alt="Left: training loss against epoch, log scale, for the network without and with batch "
            "normalization. Right: the weight-gradient norm of every layer at the start, log scale")


def placements_compute(activation="sigmoid", depth=6, lr=0.3, epochs=30):
    """The network trained without batch norm, with it before and with it after the activation:
    {name: train_run dict} (names as in PLACEMENTS)."""
    return {name: train_run(depth, activation, placement, lr, epochs=epochs) for name, placement in PLACEMENTS.items()}


def placements_draw(runs, ax):
    """Loss against epoch for every run of ``placements_compute``."""
    styles = [dict(color=plots.OKABE_ITO[5], ls="--"), dict(color=plots.OKABE_ITO[0], ls="-"),
              dict(color=plots.OKABE_ITO[2], ls="-.")]
    for (name, run), style in zip(runs.items(), styles):
        ax.plot(np.arange(len(run["loss"])), run["loss"], lw=2, label=name, **style)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (test mode)")
    ax.legend(fontsize=9)
    return ax


def few_batches_compute(epochs=(1, 2, 15), depth=4, activation="sigmoid", lr=0.3):
    """A network with batch norm (before the activation) trained for a few epochs of BATCH samples,
    then judged on all its training data twice: in train mode (the statistics of those N_TRAIN
    samples) and in test mode (the running statistics). Returns {epochs: {'updates', 'train_loss',
    'test_loss', 'train_acc', 'test_acc'}}."""
    X, y = make_data()
    loss_fn = BinaryCrossEntropy()
    out = {}
    for e in epochs:
        model = make_network(depth, activation, "before")
        history = fit(model, X, y, loss="bce", lr=lr, epochs=e, batch_size=BATCH, rng=np.random.default_rng(ORDER_SEED))
        y_train_mode = model.forward(X, train=True)
        test_loss, test_acc = evaluate(model, loss_fn, X, y)
        out[e] = {"updates": history.iterations, "train_loss": loss_fn(y_train_mode, y)[0],
                  "train_acc": float(np.mean((y_train_mode[:, 0] >= 0.5) == y)),
                  "test_loss": test_loss, "test_acc": test_acc}
    return out


# ---------------------------------------------------------------- 2. train mode against test mode
POOL_N, EVAL_N = 4000, 128
UNIT_W, UNIT_B = np.array([2.0, -3.0]), 1.0      # the unit whose input z = w.x + b is normalised
BATCHES_SEEN = (1, 2, 3, 5, 10, 20, 50, 100, 200)
MOMENTA = (0.9, 0.99)
IDEAL_LIMITS, OUT_LIMITS = (-2.5, 2.5), (-4.5, 6.5)


def unit_inputs():
    """z = w.x + b of one hidden unit on moons points: a pool of POOL_N values that the training
    batches are drawn from, and an evaluation batch of EVAL_N other values in random order."""
    X_pool, _ = data.moons(POOL_N, noise=0.15, rng=np.random.default_rng(DATA_SEED))
    X_eval, _ = data.moons(EVAL_N, noise=0.15, rng=np.random.default_rng(DATA_SEED + 1))
    X_eval = X_eval[np.random.default_rng(DATA_SEED + 2).permutation(EVAL_N)]   # both classes in every part
    return X_pool @ UNIT_W + UNIT_B, X_eval @ UNIT_W + UNIT_B


def train_vs_test_compute(log2_batch=3, batches=10, momentum=0.9):
    """A BatchNorm(1) sees ``batches`` random batches of 2**log2_batch values of z in train mode.

    Returns a dict: 'B', 'k', 'm'; 'true_mean', 'true_std' (of the pool); 'running_mean',
    'running_std' (k + 1,) after 0..k batches; 'batch_means' (k,); for the evaluation batch 'ideal'
    ((z - true mean) / true std), 'test' (test mode: the running statistics) and 'train' (train mode,
    the evaluation batch cut into batches of B, each normalised by its own statistics); and their
    root-mean-square errors from 'ideal', 'rms_test' and 'rms_train'.
    """
    number("log2_batch", log2_batch, low=1, high=7, integer=True)
    number("batches", batches, low=1, integer=True)
    number("momentum", momentum, low=0, high=1)
    B = 2 ** log2_batch
    pool, z_eval = unit_inputs()
    rng = np.random.default_rng(ORDER_SEED)
    bn = BatchNorm(1, momentum=momentum)
    means, stds, batch_means = [0.0], [1.0], []
    for _ in range(batches):
        batch = pool[rng.choice(POOL_N, B, replace=False)][:, None]
        bn.forward(batch, train=True)
        batch_means.append(batch.mean())
        means.append(bn.running_mean[0])
        stds.append(np.sqrt(bn.running_var[0]))
    true_mean, true_std = pool.mean(), pool.std()
    ideal = (z_eval - true_mean) / np.sqrt(true_std ** 2 + bn.eps)
    test = bn.forward(z_eval[:, None], train=False)[:, 0]
    scratch = copy.deepcopy(bn)                    # train mode would move bn's running statistics
    train = np.concatenate([scratch.forward(part[:, None], train=True)[:, 0]
                            for part in np.split(z_eval, EVAL_N // B)])
    rms = lambda out: float(np.sqrt(np.mean((out - ideal) ** 2)))
    return {"B": B, "k": batches, "m": momentum, "true_mean": true_mean, "true_std": true_std,
            "running_mean": np.array(means), "running_std": np.array(stds), "batch_means": np.array(batch_means),
            "ideal": ideal, "test": test, "train": train, "rms_test": rms(test), "rms_train": rms(train)}


def _tvt_texts(d):
    return (f"running statistics after {d['k']} batch{'es' if d['k'] > 1 else ''} of {d['B']} (m = {d['m']:g})",
            f"RMS error: test mode {d['rms_test']:.2f}, train mode {d['rms_train']:.2f}")


def _clip(values):
    return np.clip(values, *OUT_LIMITS)


def train_vs_test_draw(d, fig):
    ax_run, ax_out = fig.subplots(1, 2)
    steps = np.arange(d["k"] + 1)
    blue, orange, green = plots.OKABE_ITO[0], plots.OKABE_ITO[1], plots.OKABE_ITO[2]
    art = {"batch_means": ax_run.plot(np.arange(1, d["k"] + 1), d["batch_means"], ".", color="0.6", ms=4,
                                      label="batch means")[0],
           "mean": ax_run.plot(steps, d["running_mean"], color=blue, lw=2, label="running mean")[0],
           "std": ax_run.plot(steps, d["running_std"], color=orange, lw=2, ls="--", label="running std")[0],
           "true_mean": ax_run.axhline(d["true_mean"], color=blue, lw=1, ls=":"),
           "true_std": ax_run.axhline(d["true_std"], color=orange, lw=1, ls=":")}
    ax_run.set_xscale("symlog", linthresh=1)
    ax_run.set_xlim(0, max(BATCHES_SEEN) * 1.1)
    ax_run.set_xticks([0, 1, 10, 100], labels=["0", "1", "10", "100"])
    ax_run.xaxis.set_minor_locator(NullLocator())
    ax_run.set_ylim(-3, 8)
    ax_run.set_xlabel("batches seen in train mode (symmetric log scale)")
    ax_run.set_ylabel("statistic of z (dotted: over all data)")
    ax_run.legend(loc="upper left", fontsize=9, ncols=3)
    run_title, out_title = _tvt_texts(d)
    art["run_title"] = ax_run.set_title(run_title, fontsize=9)
    ax_out.plot(IDEAL_LIMITS, IDEAL_LIMITS, color="0.5", lw=1, ls=":", label="ideal (output = ideal)")
    art["test"] = ax_out.scatter(d["ideal"], _clip(d["test"]), s=12, color=green, marker="o",
                                 label="test mode (running statistics)")
    art["train"] = ax_out.scatter(d["ideal"], _clip(d["train"]), s=14, color=plots.OKABE_ITO[3], marker="^",
                                  label="train mode (its batch's statistics)")
    ax_out.set_xlim(*IDEAL_LIMITS)
    ax_out.set_ylim(*OUT_LIMITS)
    ax_out.set_xticks([-2, -1, 0, 1, 2])
    ax_out.set_yticks([-4, -2, 0, 2, 4, 6])
    ax_out.set_xlabel("ideal output (z - mean) / std, over all data")
    ax_out.set_ylabel("output of the layer (γ = 1, β = 0)")
    ax_out.legend(loc="upper left", fontsize=9)
    art["out_title"] = ax_out.set_title(out_title, fontsize=9)
    return art


def train_vs_test_update(d, art):
    art["batch_means"].set_data(np.arange(1, d["k"] + 1), d["batch_means"])
    art["mean"].set_data(np.arange(d["k"] + 1), d["running_mean"])
    art["std"].set_data(np.arange(d["k"] + 1), d["running_std"])
    art["true_mean"].set_ydata([d["true_mean"]] * 2)
    art["true_std"].set_ydata([d["true_std"]] * 2)
    art["test"].set_offsets(np.c_[d["ideal"], _clip(d["test"])])
    art["train"].set_offsets(np.c_[d["ideal"], _clip(d["train"])])
    run_title, out_title = _tvt_texts(d)
    art["run_title"].set_text(run_title)
    art["out_title"].set_text(out_title)


def train_vs_test():
    return Experiment(
        "Train mode against test mode: batch size and batches seen",
        [slider("log2_batch", 1, 7, 1, 3, label="log2 batch size", static=(1, 3, 5, 7)),
         dropdown("batches", BATCHES_SEEN, 10, label="batches seen", static=(1, 5, 20, 200)),
         dropdown("momentum", MOMENTA, 0.9, label="momentum m")],
        train_vs_test_compute, train_vs_test_draw, figsize=(9, 3.8), update=train_vs_test_update, cache=32,
        alt="Left: the running mean and standard deviation of a BatchNorm layer against the number of "
            "batches seen, with the true values dotted. Right: the layer's outputs in test mode and in "
            "train mode against the ideal normalised values")


# ---------------------------------------------------------------- which entries share a statistic
def shared_statistics_draw(fig, n=4, d=5, c=4, h=3, w=3):
    """The entries that share one mean and variance, one colour per shared statistic: the columns of an
    N x D batch (left), and each channel of an N x C x H x W batch across samples and positions (right)."""
    ax_fc, ax_cnn = fig.subplots(1, 2, width_ratios=(1, 1.6))
    colours = plots.OKABE_ITO[:max(d, c)]
    for i in range(n):
        for j in range(d):
            ax_fc.add_patch(Rectangle((j, n - 1 - i), 1, 1, facecolor=colours[j], edgecolor="white", lw=1.5))
    ax_fc.set_xlim(-0.2, d + 0.2)
    ax_fc.set_ylim(-0.2, n + 0.2)
    ax_fc.set_xticks(np.arange(d) + 0.5, labels=[f"{j + 1}" for j in range(d)])
    ax_fc.set_yticks(np.arange(n) + 0.5, labels=[f"{n - i}" for i in range(n)])
    ax_fc.set_xlabel("feature (D axis)")
    ax_fc.set_ylabel("sample (N axis)")
    ax_fc.set_title(f"N x D = {n} x {d}: one mean per column\n(over N = {n} entries)", fontsize=9)
    ax_fc.set_aspect("equal")
    gap = 0.6
    for i in range(n):
        for ch in range(c):
            x0 = ch * (w + gap)
            y0 = (n - 1 - i) * (h + gap)
            for r in range(h):
                for s in range(w):
                    ax_cnn.add_patch(Rectangle((x0 + s, y0 + r), 1, 1, facecolor=colours[ch],
                                               edgecolor="white", lw=1))
    ax_cnn.set_xlim(-0.3, c * (w + gap))
    ax_cnn.set_ylim(-0.3, n * (h + gap))
    ax_cnn.set_xticks([ch * (w + gap) + w / 2 for ch in range(c)], labels=[f"{ch + 1}" for ch in range(c)])
    ax_cnn.set_yticks([(n - 1 - i) * (h + gap) + h / 2 for i in range(n)], labels=[f"{i + 1}" for i in range(n)])
    ax_cnn.set_xlabel(f"channel (C axis); each block is one H x W = {h} x {w} map")
    ax_cnn.set_ylabel("sample (N axis)")
    ax_cnn.set_title(f"N x C x H x W = {n} x {c} x {h} x {w}: one mean per channel\n"
                     f"(over N H W = {n * h * w} entries)", fontsize=9)
    ax_cnn.set_aspect("equal")
    for ax in (ax_fc, ax_cnn):
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
    return ax_fc, ax_cnn


EXPERIMENTS = {"bn_training": bn_training, "train_vs_test": train_vs_test}
