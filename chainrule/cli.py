"""The ``chainrule`` command (also ``python -m chainrule``): list, train, evaluate, sample.

    chainrule list                               # the models and the datasets
    chainrule train                              # mlp on digits: prints the test accuracy
    chainrule train cnn --epochs 5 --out runs/cnn
    chainrule train --resume runs/cnn --epochs 8 # continue, exactly as if never stopped
    chainrule evaluate runs/cnn                  # the test metrics of the saved checkpoint
    chainrule sample runs/gan                    # a sample grid PNG (or text)
    mpiexec -n 4 chainrule train cnn             # data-parallel over 4 MPI ranks

Bad input (an unknown name, a bad option, missing data, an unwritable folder, a folder with no
checkpoint) gets one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import sys

EXIT_USAGE = 2
EXIT_DIVERGED = 1
EXIT_INTERRUPTED = 130
TRAIN_KEYS = ("dataset", "epochs", "batch_size", "lr", "optimizer", "loss", "metric", "target")


class CLIError(Exception):
    """Bad input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints usage and exits; we want one line
        raise CLIError(message)


def _number(kind, what: str, allow_zero: bool = False):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return parse


_pos_int = _number(int, "a positive integer")
_nonneg_int = _number(int, "a non-negative integer", allow_zero=True)
_pos_float = _number(float, "a positive number")


def _parser() -> _Parser:
    from .train import OPTIMIZERS

    p = _Parser(prog="chainrule", description="Train, evaluate and sample chainrule's models.")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    sub.add_parser("list", help="the models and datasets")
    t = sub.add_parser("train", help="train a model (mlp on digits by default)")
    t.add_argument("model", nargs="?", help="a model name (see `chainrule list`); default mlp")
    t.add_argument("--data", help="a dataset name, or a directory of MNIST IDX files")
    t.add_argument("--epochs", type=_pos_int)
    t.add_argument("--batch-size", type=_pos_int)
    t.add_argument("--lr", type=_pos_float)
    t.add_argument("--optimizer", choices=list(OPTIMIZERS))
    t.add_argument("--seed", type=_nonneg_int)
    t.add_argument("--out", help="the run folder (default runs/MODEL-DATASET[-N])")
    t.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR")
    t.add_argument("--early-stopping", type=_pos_int, metavar="PATIENCE")
    t.add_argument("--quiet", action="store_true", help="no progress bar or epoch lines")
    t.add_argument(
        "--device",
        default="cpu",
        help="cpu (default), cuda or cuda:N: train on that GPU (needs CuPy: chainrule[gpu])",
    )
    t.add_argument(
        "--check-gradients",
        action="store_true",
        help="first check every parameter's gradient against finite differences; stop if one "
        "disagrees",
    )
    e = sub.add_parser("evaluate", help="print the test metrics of a run's checkpoint")
    e.add_argument("run_dir")
    s = sub.add_parser("sample", help="samples of a generative run: an image grid PNG or text")
    s.add_argument("run_dir")
    s.add_argument("-n", type=_pos_int, default=64, help="how many samples (default 64)")
    s.add_argument("--seed", type=_nonneg_int, default=0)
    s.add_argument("--out", help="the PNG to write (default RUN_DIR/samples.png)")
    g = sub.add_parser(
        "gradcheck", help="every parameter's backprop gradient against finite differences"
    )
    g.add_argument("model", nargs="?", help="a model name (see `chainrule list`); default mlp")
    g.add_argument("--data", help="a dataset name, or a directory of MNIST IDX files")
    g.add_argument("--batch-size", type=_pos_int, default=4, help="samples in the batch (4)")
    g.add_argument("--directions", type=_pos_int, default=3, help="per parameter (3)")
    g.add_argument("--seed", type=_nonneg_int, default=0)
    f = sub.add_parser("lr-find", help="the learning-rate range test (Smith 2017)")
    f.add_argument("model", nargs="?", help="a model name (see `chainrule list`); default mlp")
    f.add_argument("--data", help="a dataset name, or a directory of MNIST IDX files")
    f.add_argument("--optimizer", choices=list(OPTIMIZERS), help="default: the model's")
    f.add_argument("--batch-size", type=_pos_int, help="default: the model's")
    f.add_argument("--start-lr", type=_pos_float, default=1e-7)
    f.add_argument("--end-lr", type=_pos_float, default=10.0)
    f.add_argument("--num-iter", type=_pos_int, default=100, help="minibatches (100)")
    f.add_argument("--seed", type=_nonneg_int, default=0)
    f.add_argument("--plot", metavar="PNG", help="write the loss-against-lr plot there")
    for module in _extensions():
        module.add_cli(sub)  # each sets its parsers' ``handler``
    return p


def _extensions():
    """Modules that add their own commands: each has ``add_cli(subparsers)``."""
    from . import diagnostics, explainer

    return (explainer, diagnostics)


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


# ---------------------------------------------------------------- names and data
def _model(name: str):
    from . import models

    try:
        return models.get(name)
    except ValueError as e:
        raise CLIError(_one_line(e)) from None


def _resolve_data(data: str | None, default: str) -> tuple[str, str | None]:
    """(dataset name, root) from --data: a registry name, or a directory of IDX files (or the
    model's own dataset, ``default``)."""
    from .datasets import registry

    if data is None or data == default:
        return default, None
    if data in registry.names():
        return data, None
    if os.path.isdir(data):
        kind = "fashion_mnist" if "fashion" in os.path.abspath(data).lower() else "mnist"
        return kind, data
    if os.path.sep in data or os.path.exists(data):
        raise CLIError(
            f"--data {data}: not a directory of MNIST/Fashion-MNIST IDX files "
            f"(run `make data`, or give a dataset name: {', '.join(registry.names())})"
        )
    raise CLIError(f"unknown dataset {data!r}; valid names: {', '.join(registry.names())}")


def _load_data(name: str, seed: int, root):
    from .datasets import registry

    try:
        return registry.load(name, seed=seed, root=root)
    except (OSError, ValueError, TypeError) as e:
        raise CLIError(_one_line(e)) from None


def _splits(mod, cfg: dict):
    """The run's data: the registry's dataset, or the model's own (``mod.data``), which its
    DEFAULTS name (runs made before they did say None)."""
    if hasattr(mod, "data") and cfg.get("dataset") in (None, mod.DEFAULTS.get("dataset")):
        return mod.data(cfg["seed"])
    return _load_data(cfg["dataset"], cfg["seed"], cfg.get("data_root"))


def _writable_dir(path: str) -> str:
    import tempfile

    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise CLIError(f"--out {path}: can't write there ({e.strerror or e})") from None
    return path


def _default_out(model: str, dataset: str) -> str:
    base = os.path.join("runs", f"{model}-{dataset}")
    out, i = base, 1
    while os.path.exists(out):
        i += 1
        out = f"{base}-{i}"
    return out


def _run_config(run_dir: str) -> dict:
    from .train import CHECKPOINT, CONFIG

    if not os.path.isfile(os.path.join(run_dir, CHECKPOINT)):
        raise CLIError(
            f"{run_dir}: no checkpoint there ({CHECKPOINT} missing); give the folder of a run "
            f"made by `chainrule train --out DIR`"
        )
    try:
        with open(os.path.join(run_dir, CONFIG)) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise CLIError(f"{run_dir}: can't read {CONFIG} ({_one_line(e)})") from None


def _epochs_done(run_dir: str) -> int:
    from .serialization import CheckpointError, load
    from .train import CHECKPOINT

    try:
        return int(load(os.path.join(run_dir, CHECKPOINT)).get("epoch", 0))
    except CheckpointError as e:
        raise CLIError(_one_line(e)) from None


def _rebuild(run_dir: str):
    """(config, model module, model with the checkpoint's weights, splits) of a run folder."""
    from .serialization import CheckpointError, load
    from .train import CHECKPOINT

    cfg = _run_config(run_dir)
    mod = _model(cfg.get("model", "?"))
    splits = _splits(mod, cfg)
    model = _build(mod, cfg, splits.info)
    try:
        model.load_state_dict(load(os.path.join(run_dir, CHECKPOINT))["model"])
    except CheckpointError as e:
        raise CLIError(_one_line(e)) from None
    return cfg, mod, model, splits


def _build(mod, cfg: dict, info: dict):
    from . import backend

    backend.manual_seed(cfg["seed"])
    try:
        return mod.build(info, **cfg.get("model_options", {}))
    except (ValueError, TypeError) as e:  # e.g. charlm on an image dataset
        raise CLIError(_one_line(e)) from None


# ---------------------------------------------------------------- commands
def cmd_list(args) -> int:
    from . import models
    from .datasets import registry

    print("models:")
    for name in models.names():
        try:
            mod = models.get(name)
        except Exception as e:  # a model whose file is missing still gets listed
            print(f"  {name:<11} (unavailable: {_one_line(e)})")
            continue
        data = mod.DEFAULTS.get("dataset")
        own = " (its own)" if hasattr(mod, "data") and data not in registry.names() else ""
        print(f"  {name:<11} default data {data}{own}, metric {mod.DEFAULTS.get('metric')}")
    print("datasets:")
    print("  " + ", ".join(registry.names()))
    return 0


def _train_config(args) -> dict:
    """The run's config from the command line (a new run) or its folder (--resume)."""
    from . import models

    if args.resume is not None:
        cfg = _run_config(args.resume)
        if args.model is not None and args.model != cfg.get("model"):
            raise CLIError(
                f"--resume {args.resume} is a run of {cfg.get('model')}, not {args.model}"
            )
        for opt in ("data", "batch_size", "lr", "optimizer", "seed"):
            given = getattr(args, opt)
            if given is not None and given != cfg.get("dataset" if opt == "data" else opt):
                raise CLIError(
                    f"--{opt.replace('_', '-')} can't change on --resume (the run used "
                    f"{cfg.get('dataset' if opt == 'data' else opt)!r}); only --epochs and "
                    f"--early-stopping can"
                )
        if args.out is not None and os.path.abspath(args.out) != os.path.abspath(args.resume):
            raise CLIError("--out and --resume name different folders; a run resumes in place")
        cfg["epochs"] = args.epochs or cfg["epochs"]
        if args.early_stopping is not None:
            cfg["early_stopping"] = args.early_stopping
        done = _epochs_done(args.resume)
        if done >= cfg["epochs"]:
            raise CLIError(
                f"--resume {args.resume}: the run has done {done} epochs already (--epochs "
                f"{cfg['epochs']}); give --epochs N with N > {done} to train on"
            )
        cfg["out"] = args.resume
        return cfg
    name = args.model or "mlp"
    mod = _model(name)
    dataset, root = _resolve_data(args.data, mod.DEFAULTS.get("dataset"))
    if dataset is None and args.data is None and not hasattr(mod, "data"):
        raise CLIError(f"model {name} has no default dataset; give one with --data")
    cfg = dict(models.config(name, dataset))
    cfg.update(model=name, data_root=root, seed=args.seed or 0, early_stopping=args.early_stopping)
    for key in ("epochs", "batch_size", "lr", "optimizer"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    cfg["model_options"] = {k: cfg[k] for k in _build_options(mod) if k in cfg}
    cfg.setdefault("weight_decay", None)
    cfg["out"] = args.out or _default_out(name, dataset)
    return cfg


def _train_device(spec: str):
    """``--device`` as a Device, checked: a known device, and CuPy and that GPU for "cuda"."""
    from . import backend

    try:
        device = backend.as_device(spec)
    except (TypeError, ValueError) as e:
        raise CLIError(f"--device: {_one_line(e)}") from None
    if device.type == "cpu":
        return device
    try:
        backend.module_for(device)
    except RuntimeError as e:  # no CuPy, or no GPU: the message says how to install CuPy
        raise CLIError(f"--device {spec}: {_one_line(e)}") from None
    if device.index is None:
        device = backend.Device("cuda", backend.cupy.cuda.Device().id)
    if device.index >= backend.cuda_device_count():
        raise CLIError(
            f"--device {spec}: there is no GPU {device.index}; this machine has "
            f"{backend.cuda_device_count()} (cuda:0 to cuda:{backend.cuda_device_count() - 1})"
        )
    return device


def _describe(device) -> str:
    """``cpu``, or ``cuda:0 (NVIDIA H200)``."""
    if device.type == "cpu":
        return "cpu"
    from . import cuda

    return f"{device} ({cuda.get_device_name(device.index)})"


def cmd_train(args) -> int:
    from . import distributed, train

    world = 1
    if distributed.launched_by_mpi():  # under mpiexec: data-parallel (docs/distributed.md)
        distributed.init()
        world = distributed.world_size()
    cfg = _train_config(args)
    if world > 1:  # rank 0 names the run folder (a fresh default name differs per rank)
        cfg["out"] = distributed.all_gather_object(cfg["out"])[0]
    mod = _model(cfg["model"])
    if world > 1 and hasattr(mod, "fit"):
        raise CLIError(
            f"model {cfg['model']} trains with its own loop, which is not data-parallel; under "
            "mpiexec train a model that `fit` trains (mlp, cnn, logreg, ...)"
        )
    device = _train_device(args.device)
    if world == 1 or distributed.rank() == 0:
        print(f"device: {_describe(device)}", flush=True)
    splits = _splits(mod, cfg)
    out = _writable_dir(cfg.pop("out"))
    model = _build(mod, cfg, splits.info)
    if args.check_gradients and not _gradients_agree(cfg["model"], model, splits, cfg["seed"]):
        return EXIT_DIVERGED
    if hasattr(mod, "fit"):  # its own loop: its batches follow the model's device
        model.to(device)
        return _fit_custom(mod, model, splits, cfg, out, args.resume is not None, args.quiet)
    settings = {
        k: cfg.get(k)
        for k in (
            "loss",
            "metric",
            "optimizer",
            "lr",
            "weight_decay",
            "epochs",
            "batch_size",
            "seed",
            "early_stopping",
            "schedule",
            "clip_grad_norm",
        )
    }
    extra = {k: v for k, v in cfg.items() if k not in settings}
    try:
        result = train.fit(
            model,
            splits,
            **settings,
            out=out,
            resume=args.resume,
            progress=not args.quiet,
            config=extra,
            device=device,
        )
    except train.TrainingDiverged as e:
        print(f"chainrule train: {_one_line(e)}", file=sys.stderr)
        return EXIT_DIVERGED
    except (ValueError, FileNotFoundError) as e:
        raise CLIError(_one_line(e)) from None
    if result["interrupted"]:
        print(f"stopped; resume with: chainrule train --resume {out}", file=sys.stderr)
        return EXIT_INTERRUPTED
    metric = cfg["metric"]
    value = result[f"val_{metric}"]
    target = cfg.get("target")
    reached = (
        "" if target is None else f" (target {target}: {'met' if value >= target else 'not met'})"
    )
    if world == 1 or distributed.rank() == 0:
        print(f"test {metric} {value:.4f}{reached}")
        print(f"run folder: {out}")
    return 0


def _fit_custom(mod, model, splits, cfg: dict, out: str, resume: bool, quiet: bool) -> int:
    """A model with its own ``fit`` (the neuron, charlm, the GANs): its loop, stepped by a
    ``Loop`` that checkpoints into our run folder (exact resume, Ctrl-C), as ``train.fit``."""
    from . import plots, train
    from .models._loop import Loop

    try:
        loop = Loop(out, resume=resume)
    except (OSError, ValueError) as e:
        raise CLIError(_one_line(e)) from None
    history = [r for r in train.read_metrics(out) if r["epoch"] <= loop.epoch] if resume else []
    train._write_json(os.path.join(out, train.CONFIG), cfg)
    train._write_metrics(out, history)

    def log(epoch: int, metrics: dict) -> None:
        record = {"epoch": epoch, **metrics}
        history.append(record)
        with open(os.path.join(out, train.METRICS), "a") as f:
            f.write(json.dumps(record, default=float) + "\n")
        if not quiet:
            shown = "  ".join(
                f"{k} {v:.4g}" for k, v in metrics.items() if isinstance(v, (int, float))
            )
            print(f"epoch {epoch}/{cfg['epochs']}  {shown}", file=sys.stderr, flush=True)

    interrupted = False
    try:
        with loop:
            result = mod.fit(model, splits, dict(cfg), log, loop=loop)
    except KeyboardInterrupt:
        interrupted, result = True, {}
    except FloatingPointError as e:
        print(f"chainrule train: {_one_line(e)}", file=sys.stderr)
        return EXIT_DIVERGED
    except ValueError as e:  # a bad setting, or a checkpoint this loop can't resume from
        raise CLIError(_one_line(e)) from None
    if history:
        plots.plot_history(history, os.path.join(out, "curves.png"))
    if hasattr(mod, "sample"):
        _write_samples(mod, model, splits, os.path.join(out, "samples.png"), 64, cfg["seed"])
    if interrupted:
        epoch, step = loop.saved_at or (0, 0)
        where = f"after epoch {epoch}" if step == 0 else f"at epoch {epoch + 1}, step {step}"
        print(
            f"interrupted; checkpoint {where}; resume with: chainrule train --resume {out}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    shown = {k: v for k, v in (result or {}).items() if isinstance(v, (int, float))}
    print("  ".join(f"{k} {v:.4g}" for k, v in shown.items()))
    print(f"run folder: {out}")
    return 0


def _write_samples(mod, model, splits, path: str, n: int, seed: int):
    """``mod.sample`` as a PNG at ``path`` (returned), or its text (printed; None returned)."""
    from . import plots

    samples = mod.sample(model, n, seed)
    if isinstance(samples, str):
        print(samples)
        return None
    reference = splits.train.tensors[0] if hasattr(splits.train, "tensors") else None
    plots.plot_samples(samples, path, reference=reference)
    return path


def cmd_evaluate(args) -> int:
    from . import train

    cfg, mod, model, splits = _rebuild(args.run_dir)
    if hasattr(mod, "evaluate"):
        result = mod.evaluate(model, splits)
    elif cfg.get("loss") in train.LOSSES and cfg.get("metric") in train.METRIC_NAMES:
        result = train.evaluate(model, splits.test, loss=cfg["loss"], metric=cfg["metric"])
    else:
        hint = f"; try `chainrule sample {args.run_dir}`" if hasattr(mod, "sample") else ""
        raise CLIError(f"model {cfg['model']} has no test metric to evaluate{hint}")
    shown = {k: v for k, v in result.items() if isinstance(v, (int, float))}
    print(f"{cfg['model']} on {cfg['dataset']} (test split, {len(splits.test)} samples)")
    print("  ".join(f"test_{k} {v:.4f}" for k, v in shown.items()))
    return 0


def cmd_sample(args) -> int:
    cfg, mod, model, splits = _rebuild(args.run_dir)
    if not hasattr(mod, "sample"):
        raise CLIError(f"model {cfg['model']} is not generative: it has no sample()")
    path = args.out or os.path.join(args.run_dir, "samples.png")
    if path is not None and os.path.dirname(path):
        _writable_dir(os.path.dirname(path))
    written = _write_samples(mod, model, splits, path, args.n, args.seed)
    if written is not None:
        print(f"wrote {written}")
    return 0


def _fresh(args):
    """(model name, module, splits, config) of a new, untrained model for a one-off command."""
    from . import models

    name = args.model or "mlp"
    mod = _model(name)
    dataset, root = _resolve_data(args.data, mod.DEFAULTS.get("dataset"))
    if dataset is None and not hasattr(mod, "data"):
        raise CLIError(f"model {name} has no default dataset; give one with --data")
    cfg = {**models.config(name, dataset), "seed": args.seed}
    cfg["model_options"] = {k: cfg[k] for k in _build_options(mod) if k in cfg}
    splits = _splits(mod, {**cfg, "data_root": root})
    return name, mod, splits, cfg


def _build_options(mod) -> list[str]:
    """The hyperparameters ``mod.build`` accepts after ``info``."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    params = inspect.signature(mod.build).parameters.values()
    return [p.name for p in params if p.kind in kinds][1:]


def _gradients_agree(name, model, splits, seed, n=4, directions=3) -> bool:
    """Run ``check_model`` on ``name``'s training loss; print the table; True when all agree."""
    from . import models
    from .autograd import check_model

    loss_fn, batch = models.objective(name, model, splits, n=n, seed=seed)
    report = check_model(model, loss_fn, batch, n_directions=directions, seed=seed)
    print(f"gradient check of {name} ({n} samples, float64 copy):")
    print(report)
    return report.ok


def cmd_gradcheck(args) -> int:
    name, mod, splits, cfg = _fresh(args)
    model = _build(mod, cfg, splits.info)
    ok = _gradients_agree(name, model, splits, args.seed, args.batch_size, args.directions)
    return 0 if ok else EXIT_DIVERGED


def cmd_lr_find(args) -> int:
    from . import data, train
    from .optim import find_lr

    name, mod, splits, cfg = _fresh(args)
    if hasattr(mod, "objective"):
        raise CLIError(
            f"lr-find sweeps one optimizer over a loss of model(x); {name} trains with its own "
            f"loop and loss (try mlp, cnn, logreg, lstm, ...)"
        )
    if args.start_lr >= args.end_lr:
        raise CLIError(f"--start-lr {args.start_lr:g} must be below --end-lr {args.end_lr:g}")
    if args.num_iter < 2:
        raise CLIError(f"--num-iter must be at least 2, got {args.num_iter}")
    if args.plot and os.path.dirname(args.plot):
        _writable_dir(os.path.dirname(args.plot))
    model = _build(mod, cfg, splits.info)
    opt_name = args.optimizer or cfg["optimizer"]
    batch_size = args.batch_size or cfg["batch_size"]
    opt = train.OPTIMIZERS[opt_name](model.parameters(), lr=args.start_lr)
    gen = data.Generator().manual_seed(args.seed)
    loader = data.DataLoader(splits.train, batch_size=batch_size, shuffle=True, generator=gen)
    model.train()
    result = find_lr(
        model,
        opt,
        lambda out, y: train.compute_loss(cfg["loss"], out, y),
        loader,
        start_lr=args.start_lr,
        end_lr=args.end_lr,
        num_iter=args.num_iter,
    )
    print(f"lr range test of {name} on {splits.info.get('name')}: {opt_name}, batch {batch_size}")
    print(f"{'lr':>10}  {'loss':>9}  (minibatch loss, centred average)")
    step, trend = max(1, len(result.lrs) // 12), result.trend
    for i in [*range(0, len(result.lrs) - 1, step), len(result.lrs) - 1]:
        print(f"{result.lrs[i]:>10.3g}  {trend[i]:>9.4g}")
    if result.diverged:
        print(f"the loss diverged at lr {result.lrs[-1]:.3g}; the sweep stopped there")
    if args.plot:
        result.plot(args.plot)
        print(f"wrote {args.plot}")
    if result.suggestion is None:
        print("no suggestion: too few points; give a larger --num-iter")
        return EXIT_DIVERGED
    print(f"suggested lr {result.suggestion:.3g} (where the loss falls fastest)")
    print(f"train with: chainrule train {name} --optimizer {opt_name} --lr {result.suggestion:.3g}")
    return 0


COMMANDS = {
    "list": cmd_list,
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "sample": cmd_sample,
    "gradcheck": cmd_gradcheck,
    "lr-find": cmd_lr_find,
}


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    command = "chainrule"
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            names = ", ".join(parser._subparsers._group_actions[0].choices)
            raise CLIError(f"choose a command: {names} (see chainrule --help)")
        command = f"chainrule {args.command}"
        handler = getattr(args, "handler", None) or COMMANDS[args.command]
        code = handler(args)
    except CLIError as e:
        print(f"{command}: error: {_one_line(e)}", file=sys.stderr)
        code = EXIT_USAGE
    except BrokenPipeError:  # `chainrule list | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush is quiet too
        return EXIT_DIVERGED
    from . import distributed

    if code and distributed.is_initialized() and distributed.world_size() > 1:
        distributed.abort(f"{command} failed (exit code {code})", code)  # end the other ranks
    return code


if __name__ == "__main__":
    sys.exit(main())
