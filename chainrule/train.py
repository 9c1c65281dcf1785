"""``fit``: one training loop for every standard model, with run folders and exact resume.

    splits = chainrule.datasets.load("digits")
    model = chainrule.models.get("mlp").build(splits.info)
    result = fit(model, splits, loss="cross_entropy", metric="accuracy",
                 lr=1e-3, epochs=20, batch_size=32, out="runs/mlp")
    result["val_accuracy"]           # the test split's accuracy after the last epoch

Each epoch is one shuffled pass over ``splits.train`` (minibatch loss → backward → step),
then a validation pass over ``splits.test``. With ``out`` the run folder holds config.json,
metrics.jsonl (one JSON line per epoch), checkpoint.safetensors (saved atomically after every
epoch) and PNG plots. The checkpoint holds the model, the optimizer, the epoch and both random
states (chainrule's global generator and the DataLoader's shuffle generator), so
``fit(..., resume=run_dir)`` continues to the same final weights, bit for bit, as a run that
was never stopped. Ctrl-C stops at the next batch boundary and saves a checkpoint there.

Under MPI (after ``cr.distributed.init()``, as ``mpiexec -n N chainrule train`` does) every rank
draws the same shuffled batches of ``batch_size`` and trains on its own slice of each, through
``DistributedDataParallel`` (batch norm made ``SyncBatchNorm``), so N ranks take the steps one
process would take; rank 0 alone shows progress and writes the run folder. See
docs/distributed.md.

On a GPU (``device="cuda"``, ``chainrule train --device cuda``) the model is moved there and
each batch follows it; the DataLoader stays on the CPU, predictions come back to the host for
the metrics, and checkpoints hold host arrays, so a run resumes on either device.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

from . import backend, data, optim
from . import distributed as dist
from .autograd import no_grad
from .nn import functional as F
from .nn.utils import clip_grad_norm_
from .serialization import load, save

np = backend.np

CHECKPOINT = "checkpoint.safetensors"
CONFIG = "config.json"
METRICS = "metrics.jsonl"
LOSSES = ("cross_entropy", "bce_with_logits", "mse")
METRIC_NAMES = ("accuracy", "r2")
OPTIMIZERS = {
    "sgd": optim.SGD,
    "adam": optim.Adam,
    "adamw": optim.AdamW,
    "rmsprop": optim.RMSprop,
    "adagrad": optim.Adagrad,
}
# Settings that must match for a resumed run to continue the same trajectory.
_RESUME_KEYS = (
    "loss",
    "metric",
    "optimizer",
    "lr",
    "weight_decay",
    "batch_size",
    "seed",
    "schedule",
    "clip_grad_norm",
)
SCHEDULES = (None, "cosine", "cosine_step")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or Inf; the message names the epoch and step."""


# ---------------------------------------------------------------- losses and metrics
def compute_loss(name: str, out, y):
    """The named loss of model output ``out`` against targets ``y`` (a scalar Tensor).

    cross_entropy: out (N, C) logits, y (N,) class indices. bce_with_logits: out (N,) or (N, 1)
    logits, y 0/1 of the same size. mse: out and y of the same size.
    """
    if name == "cross_entropy":
        return F.cross_entropy(out, y)
    if y.numel() == out.numel() and y.shape != out.shape:
        y = y.reshape(out.shape)
    if not backend.is_floating(y.dtype):
        y = y.to(out.dtype)
    if name == "bce_with_logits":
        return F.binary_cross_entropy_with_logits(out, y)
    return F.mse_loss(out, y)


class Score:
    """A running accuracy or R² over batches, kept as sums so it can be checkpointed.

    accuracy = correct / n, with the prediction argmax(logits) for (N, C > 1) outputs and
    logit > 0 for one logit per sample. R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)², per output column,
    averaged over columns (scikit-learn's ``r2_score``).
    """

    def __init__(self, metric: str, sums=None):
        self.metric = metric
        self.sums = None if sums is None else np.array(sums, dtype=np.float64)

    @staticmethod
    def predict(out):
        out = np.asarray(out)
        if out.ndim > 1 and out.shape[-1] > 1:
            return out.argmax(-1)
        return (out.reshape(len(out)) > 0).astype(np.int64)

    def update(self, out, y) -> None:
        out, y = np.asarray(backend.to_host(out)), np.asarray(backend.to_host(y))
        if self.metric == "accuracy":
            pred = self.predict(out)
            truth = (y.reshape(pred.shape) > 0.5) if y.dtype.kind == "f" else y.reshape(pred.shape)
            batch = np.array([(pred == truth).sum(), pred.size], dtype=np.float64)
        else:
            yhat = out.reshape(len(out), -1).astype(np.float64)
            yt = y.reshape(yhat.shape).astype(np.float64)
            batch = np.stack(
                [
                    np.full(yhat.shape[1], len(yt)),
                    yt.sum(0),
                    (yt * yt).sum(0),
                    ((yt - yhat) ** 2).sum(0),
                ]
            )
        self.sums = batch if self.sums is None else self.sums + batch

    def value(self) -> float:
        if self.sums is None:
            return float("nan")
        if self.metric == "accuracy":
            return float(self.sums[0] / self.sums[1])
        n, s1, s2, sse = self.sums
        sst = s2 - s1 * s1 / n
        r2 = np.where(sst > 0, 1.0 - sse / np.where(sst > 0, sst, 1.0), 0.0)
        return float(r2.mean())


def model_device(model) -> backend.Device:
    """The device of ``model``'s first parameter (the CPU for a model without any)."""
    for p in model.parameters():
        return p.device
    return backend.CPU


def evaluate(model, dataset, *, loss: str, metric: str, batch_size: int = 512, device=None) -> dict:
    """Loss and metric of ``model`` over ``dataset`` in eval mode, without a graph. Batches go
    to ``device`` (default: where the model's parameters are).

    Returns {'loss', metric, 'confusion'}: ``confusion[i, j]`` counts samples of class i
    predicted as j (classifiers only; None for regression).
    """
    _check_choice("loss", loss, LOSSES)
    _check_choice("metric", metric, METRIC_NAMES)
    device = model_device(model) if device is None else backend.as_device(device)
    was_training = model.training
    model.eval()
    score, total, n, pairs = Score(metric), 0.0, 0, []
    with no_grad():
        for x, y in data.DataLoader(dataset, batch_size=batch_size):
            x, y = x.to(device), y.to(device)
            out = model(x)
            total += compute_loss(loss, out, y).item() * len(y)
            n += len(y)
            score.update(out.numpy(), y.numpy())
            if metric == "accuracy":
                truth = y.numpy().reshape(len(y))
                pairs.append((truth.astype(np.int64), Score.predict(out.numpy())))
    model.train(was_training)
    confusion = None
    if pairs:
        truth, pred = (np.concatenate(p) for p in zip(*pairs))
        k = int(max(truth.max(), pred.max())) + 1
        confusion = np.bincount(truth * k + pred, minlength=k * k).reshape(k, k)
    return {"loss": total / n, metric: score.value(), "confusion": confusion}


# ---------------------------------------------------------------- run folders
def read_config(run_dir) -> dict:
    with open(os.path.join(run_dir, CONFIG)) as f:
        return json.load(f)


def read_metrics(run_dir) -> list[dict]:
    """The lines of metrics.jsonl as dicts ([] when there is none)."""
    path = os.path.join(run_dir, METRICS)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def _write_json(path: str, obj) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, default=str)
        f.write("\n")
    os.replace(tmp, path)


def _write_metrics(run_dir: str, history: list[dict]) -> None:
    tmp = os.path.join(run_dir, f"{METRICS}.tmp")
    with open(tmp, "w") as f:
        f.writelines(json.dumps(rec) + "\n" for rec in history)
    os.replace(tmp, os.path.join(run_dir, METRICS))


def load_checkpoint(run_dir) -> dict:
    """The checkpoint of ``run_dir``; FileNotFoundError naming the folder if there is none."""
    path = os.path.join(run_dir, CHECKPOINT)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"resume: {run_dir} holds no checkpoint ({CHECKPOINT} missing)")
    return load(path)


# ---------------------------------------------------------------- Ctrl-C
class _Interrupt:
    """While active (main thread only), the first Ctrl-C sets ``requested`` so the loop stops
    at the next batch boundary, where the state is whole; a second one interrupts at once."""

    requested = False

    def __enter__(self):
        self._old = None
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
        return False


# ---------------------------------------------------------------- the loop
def _check_choice(what: str, value, valid) -> None:
    if value not in valid:
        raise ValueError(f"fit: unknown {what} {value!r}; valid: {', '.join(map(str, valid))}")


def _check_positive(what: str, value, kind=int, allow_zero: bool = False) -> None:
    ok = isinstance(value, (int, float) if kind is float else int) and not isinstance(value, bool)
    if not ok or not (value >= 0 if allow_zero else value > 0) or not math.isfinite(value):
        need = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"fit: {what} must be {need} {kind.__name__}, got {value!r}")


def _bar(total: int, initial: int, desc: str, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, leave=True, dynamic_ncols=True)


def fit(
    model,
    splits,
    *,
    loss: str,
    metric: str,
    optimizer: str = "adam",
    lr: float,
    weight_decay: float | None = None,
    schedule: str | None = None,
    clip_grad_norm: float | None = None,
    epochs: int,
    batch_size: int,
    seed: int = 0,
    out=None,
    resume=None,
    early_stopping: int | None = None,
    progress: bool = True,
    log: Callable[[int, dict], None] | None = None,
    config: dict | None = None,
    plots: bool = True,
    device=None,
) -> dict:
    """Train ``model`` on ``splits.train``, validating on ``splits.test`` after each epoch.

    loss: 'cross_entropy' | 'bce_with_logits' | 'mse'; metric: 'accuracy' | 'r2' (higher is
    better); optimizer: 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad' with learning rate
    ``lr`` (and ``weight_decay``, when given). ``schedule='cosine'`` sets epoch e's (from 0)
    learning rate to lr·(1 + cos(π·e/epochs))/2, CosineAnnealingLR's closed form stepped once
    per epoch, from lr down towards 0; ``'cosine_step'`` is the same curve stepped once per
    batch, lr·(1 + cos(π·t/T))/2 for batch t (from 0) of T = epochs·batches per epoch, so the
    last batches of a short run train at nearly 0. ``clip_grad_norm``: rescale the gradients so
    their global 2-norm is at most this before each step (recurrent models need it). ``seed`` seeds
    chainrule's global generator (dropout) and the shuffles. ``out``: a run folder (see the
    module docstring); ``config``: extra entries for its config.json.
    ``resume``: a run folder to continue (the settings must match it; ``epochs`` may grow).
    ``early_stopping``: stop after that many epochs without a better validation metric.
    ``log(epoch, record)`` is called after each epoch with that epoch's metrics line.
    ``plots``: write curves.png (and confusion.png for classifiers) into the run folder.
    ``device``: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``: the model moves there and every batch
    follows it (default: where the model is). Without CuPy or a GPU, ``"cuda"`` raises a
    RuntimeError that says how to install CuPy.

    Returns {'history', 'epoch', 'val_loss', 'val_<metric>', 'best_epoch', 'stopped_early',
    'interrupted', 'run_dir', 'confusion'}. Raises ``TrainingDiverged`` when the loss becomes
    NaN or Inf (the folder keeps the last good checkpoint).
    """
    _check_choice("loss", loss, LOSSES)
    _check_choice("metric", metric, METRIC_NAMES)
    _check_choice("optimizer", optimizer, tuple(OPTIMIZERS))
    _check_positive("lr", lr, float)
    _check_positive("epochs", epochs)
    _check_positive("batch_size", batch_size)
    _check_positive("seed", seed, allow_zero=True)
    if early_stopping is not None:
        _check_positive("early_stopping", early_stopping)
    if weight_decay is not None:
        _check_positive("weight_decay", weight_decay, float, allow_zero=True)
    _check_choice("schedule", schedule, SCHEDULES)
    if clip_grad_norm is not None:
        _check_positive("clip_grad_norm", clip_grad_norm, float)
    settings = {
        "loss": loss,
        "metric": metric,
        "optimizer": optimizer,
        "lr": lr,
        "weight_decay": weight_decay,
        "batch_size": batch_size,
        "seed": seed,
        "schedule": schedule,
        "clip_grad_norm": clip_grad_norm,
        "epochs": epochs,
        "early_stopping": early_stopping,
    }
    world = dist.world_size() if dist.is_initialized() else 1
    rank = dist.rank() if world > 1 else 0
    writer = rank == 0  # the rank that writes the run folder and shows progress
    if device is None:
        device = model_device(model)
    else:
        device = backend.as_device(device)
        backend.module_for(device)  # no CuPy or no GPU: one line saying how to get them
        model.to(device)
    decay = {} if weight_decay is None else {"weight_decay": weight_decay}
    params = list(model.parameters())
    opt = OPTIMIZERS[optimizer](params, lr=lr, **decay)

    def set_lr(epoch: int, step: int = 1) -> None:  # both count from 1
        if schedule == "cosine":
            t = (epoch - 1) / epochs
        elif schedule == "cosine_step":
            t = ((epoch - 1) * len(loader) + step - 1) / (epochs * len(loader))
        else:
            return
        for group in opt.param_groups:
            group["lr"] = lr * (1 + math.cos(math.pi * t)) / 2

    gen = data.Generator(seed)
    loader = data.DataLoader(splits.train, batch_size=batch_size, shuffle=True, generator=gen)
    run_dir = None if out is None and resume is None else os.fspath(out or resume)
    state = {
        "epoch": 0,
        "step": 0,
        "rng": None,
        "partial": None,
        "best": None,
        "best_epoch": 0,
        "bad": 0,
    }
    history: list[dict] = []

    if resume is not None:
        ckpt = load_checkpoint(resume)
        saved = read_config(resume)
        differ = [
            f"{k}: {saved.get(k)!r} != {settings[k]!r}"
            for k in _RESUME_KEYS
            if saved.get(k) != settings[k]
        ]
        if differ:
            raise ValueError(f"resume: settings differ from {resume}/{CONFIG}: {'; '.join(differ)}")
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        gen.set_state(ckpt["loader_rng"])
        backend.rng().bit_generator.state = ckpt["rng"]
        for k in ("epoch", "step", "partial", "best", "best_epoch", "bad"):
            state[k] = ckpt[k]
        history = [r for r in read_metrics(resume) if r["epoch"] <= state["epoch"]]
    else:
        backend.manual_seed(seed)

    def checkpoint(step: int, loader_rng, rng, partial) -> None:
        if run_dir is None or not writer:
            return
        save(
            {
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "step": step,
                "loader_rng": loader_rng,
                "rng": rng,
                "partial": partial,
                **{k: state[k] for k in ("epoch", "best", "best_epoch", "bad")},
            },
            os.path.join(run_dir, CHECKPOINT),
        )

    if run_dir is not None and writer:
        os.makedirs(run_dir, exist_ok=True)
        _write_json(os.path.join(run_dir, CONFIG), {**(config or {}), **settings})
        _write_metrics(run_dir, history)
        if resume is None:
            checkpoint(0, gen.get_state(), backend.rng().bit_generator.state, None)

    net = model
    if world > 1:
        from .nn.parallel import DistributedDataParallel, SyncBatchNorm

        # batch norm over the whole batch, not each rank's slice: the run is one process's
        net = DistributedDataParallel(SyncBatchNorm.convert_sync_batchnorm(model))
        progress = progress and writer
    tty = progress and sys.stderr.isatty()
    last_val: dict = {}
    interrupted = stopped_early = False
    epoch, bar = state["epoch"], None
    with _Interrupt() as sigint:
        # Where the last whole batch left things: what a Ctrl-C checkpoint saves.
        loader_rng = gen.get_state()
        at = {"step": state["step"], "rng": backend.rng().bit_generator.state, "in_batch": False}

        def mark(step: int) -> None:
            """Record the position after ``step`` batches, then honour a pending Ctrl-C."""
            at.update(step=step, rng=backend.rng().bit_generator.state)
            seconds = partial["seconds"] + time.perf_counter() - t0
            at["acc"] = (loss_sum, n_seen, score.sums, seconds)
            if sigint.requested:
                raise KeyboardInterrupt

        try:
            while epoch < epochs and not (interrupted or stopped_early):
                epoch += 1
                loader_rng = gen.get_state()
                partial = state["partial"] or {"loss": 0.0, "n": 0, "score": None, "seconds": 0.0}
                score = Score(metric, partial["score"])
                loss_sum, n_seen, t0 = partial["loss"], partial["n"], time.perf_counter()
                skip, state["partial"], state["step"] = state["step"], None, 0
                bar = _bar(len(loader), skip, f"epoch {epoch}/{epochs}", tty)
                set_lr(epoch)
                model.train()
                for step, (x, y) in enumerate(loader, start=1):
                    if step <= skip:
                        continue
                    mark(step - 1)
                    at["in_batch"] = True
                    set_lr(epoch, step)
                    scale, counted = 1.0, True
                    if world > 1:
                        x, y, scale, counted = _shard(x, y, rank, world)
                    x, y = x.to(device), y.to(device)  # the loader yields CPU tensors
                    output = net(x)
                    batch_loss = compute_loss(loss, output, y)
                    value = batch_loss.item()
                    if not math.isfinite(value):
                        raise TrainingDiverged(
                            f"training stopped: the loss became {value} at epoch {epoch}, "
                            f"step {step}; the learning rate {lr:g} is probably too large, try a "
                            f"smaller one (e.g. --lr {lr / 10:g})"
                            + (f"; the last good checkpoint is in {run_dir}" if run_dir else "")
                        )
                    opt.zero_grad()
                    (batch_loss if scale == 1.0 else batch_loss * scale).backward()
                    if clip_grad_norm is not None:
                        clip_grad_norm_(params, clip_grad_norm)
                    opt.step()
                    at["in_batch"] = False
                    if not counted:  # a batch every rank trained whole: rank 0 counts it
                        continue
                    loss_sum, n_seen = loss_sum + value * len(y), n_seen + len(y)
                    score.update(output.detach().numpy(), y.numpy())
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(
                            {"loss": f"{loss_sum / n_seen:.4f}", metric: f"{score.value():.4f}"},
                            refresh=False,
                        )
                mark(len(loader))
                if world > 1:  # the epoch's training loss and metric over all ranks' samples
                    loss_sum, n_seen, score.sums = _sum_over_ranks(loss_sum, n_seen, score.sums)
                last_val = evaluate(
                    model,
                    splits.test,
                    loss=loss,
                    metric=metric,
                    batch_size=max(batch_size, 256),
                    device=device,
                )
                if not math.isfinite(last_val["loss"]):
                    raise TrainingDiverged(
                        f"training stopped: the validation loss became {last_val['loss']} after "
                        f"epoch {epoch}, step {len(loader)}; the learning rate {lr:g} is probably "
                        f"too large, try a smaller one (e.g. --lr {lr / 10:g})"
                    )
                record = {
                    "epoch": epoch,
                    "train_loss": loss_sum / max(n_seen, 1),
                    f"train_{metric}": score.value(),
                    "val_loss": last_val["loss"],
                    f"val_{metric}": last_val[metric],
                    "lr": opt.param_groups[0]["lr"],
                    "seconds": round(at["acc"][3], 4),
                }
                history.append(record)
                if state["best"] is None or record[f"val_{metric}"] > state["best"]:
                    state.update(best=record[f"val_{metric}"], best_epoch=epoch, bad=0)
                else:
                    state["bad"] += 1
                stopped_early = early_stopping is not None and state["bad"] >= early_stopping
                state["epoch"] = epoch
                at.update(step=0, rng=backend.rng().bit_generator.state)
                loader_rng = gen.get_state()
                if run_dir is not None and writer:
                    with open(os.path.join(run_dir, METRICS), "a") as f:
                        f.write(json.dumps(record) + "\n")
                checkpoint(0, loader_rng, at["rng"], None)
                if bar is not None:
                    bar.set_postfix(
                        {
                            "loss": f"{record['train_loss']:.4f}",
                            f"val_{metric}": f"{record[f'val_{metric}']:.4f}",
                        }
                    )
                    bar.close()
                elif progress:
                    print(_summary(record, epochs, metric), file=sys.stderr, flush=True)
                if log is not None and writer:
                    log(epoch, dict(record))
                if sigint.requested:
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            interrupted = True
            if bar is not None:
                bar.close()
            if at["in_batch"]:  # stopped inside a step: the state is not whole; keep the last
                pass
            elif at["step"] > 0:  # mid-epoch: save the position for an exact resume
                loss_sum, n_seen, sums, seconds = at["acc"]
                partial = {
                    "loss": loss_sum,
                    "n": n_seen,
                    "seconds": seconds,
                    "score": None if sums is None else np.asarray(sums),
                }
                state["epoch"] = epoch - 1
                checkpoint(at["step"], loader_rng, at["rng"], partial)
            if progress:
                where = f"epoch {epoch}, step {at['step']}"
                saved = f"; checkpoint in {run_dir}" if run_dir else ""
                print(f"interrupted at {where}{saved}", file=sys.stderr, flush=True)

    result = {
        "history": history,
        "epoch": state["epoch"],
        "best_epoch": state["best_epoch"],
        "stopped_early": stopped_early,
        "interrupted": interrupted,
        "run_dir": run_dir,
        "val_loss": last_val.get("loss"),
        f"val_{metric}": last_val.get(metric),
        "confusion": last_val.get("confusion"),
    }
    if plots and run_dir is not None and history and writer:
        from . import plots as plotting

        info = getattr(splits, "info", None) or {}
        plotting.save_run_plots(
            run_dir, history, metric, last_val.get("confusion"), info.get("classes")
        )
    return result


def _shard(x, y, rank: int, world: int):
    """(x, y, scale, counted): this rank's contiguous slice of the batch, the factor for its
    mean loss so that the average over ranks is the whole batch's mean loss (world · n_rank / n;
    1 for equal slices), and whether its samples count in the epoch's training metrics.

    A batch too small to give every rank 2 samples (the last one, say; BatchNorm needs 2) is
    trained whole on every rank instead: the average of equal gradients is the same gradient,
    and only rank 0 counts it."""
    n = len(y)
    if n // world < 2:
        return x, y, 1.0, rank == 0
    lo, hi = rank * n // world, (rank + 1) * n // world
    return x[lo:hi], y[lo:hi], world * (hi - lo) / n, True


def _sum_over_ranks(loss_sum: float, n_seen: int, sums):
    """The epoch's running sums added over all ranks."""
    from .tensor import Tensor

    totals = dist.all_reduce(Tensor(np.array([loss_sum, n_seen], dtype=np.float64))).numpy()
    if sums is not None:
        sums = dist.all_reduce(Tensor(np.array(sums, dtype=np.float64))).numpy()
    return float(totals[0]), int(totals[1]), sums


def _summary(record: dict, epochs: int, metric: str) -> str:
    return (
        f"epoch {record['epoch']}/{epochs}  train_loss {record['train_loss']:.4f}  "
        f"train_{metric} {record[f'train_{metric}']:.4f}  val_loss {record['val_loss']:.4f}  "
        f"val_{metric} {record[f'val_{metric}']:.4f}  ({record['seconds']:.2f}s)"
    )
