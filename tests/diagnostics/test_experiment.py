"""The depth experiment behind ``chainrule diagnose gradients``, and the command."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import diagnostics
from chainrule.nn import functional as F

from .test_monitor import layer_norm


# ---------------------------------------------------------------- the experiment
@pytest.fixture(scope="module")
def experiment():
    return diagnostics.gradient_experiment(steps=25, rnn_steps=60, seed=0)


@pytest.mark.slow
def test_sigmoid_vanishes_and_each_remedy_lifts_the_ratio(experiment):
    base = experiment.run("sigmoid, naive init")
    assert base.ratio_init < 1e-4
    for r in experiment.mlp[1:]:
        assert r.ratio_init >= 100 * base.ratio_init, r.name
    assert base.alerts["vanishing"] == 25
    assert all(r.alerts["vanishing"] == 0 for r in experiment.mlp[1:])
    # independent of the monitor: the same seed, the same first batch, norms from .grad
    from chainrule.datasets import registry

    splits = registry.load("digits", seed=0)
    X, y = splits.train.tensors
    idx = np.random.default_rng(0).integers(0, len(y), 64)
    cr.manual_seed(0)
    m = diagnostics.build_mlp("sigmoid, naive init", depth=20, width=64, n_in=64, n_out=10)
    F.cross_entropy(m(X[idx]), y[idx]).backward()
    direct = [layer_norm(lin) for lin in m.layers]
    np.testing.assert_allclose(base.layer_norms, direct, rtol=1e-6)


@pytest.mark.slow
def test_rnn_clipping_bounds_the_applied_norm_and_unclipped_explodes(experiment):
    free, clipped = experiment.rnn
    max_norm = experiment.config["max_norm"]
    assert clipped.clip == max_norm and free.clip is None
    assert max(clipped.applied_norms) <= max_norm * (1 + 1e-5)
    assert max(clipped.grad_norms) > 1e3 * max_norm  # the raw gradient did explode
    assert max(free.grad_norms) > 1e3
    assert free.alerts["exploding"] > 0
    assert free.losses[0] == clipped.losses[0]  # the same start
    assert free.diverged_at is not None or free.losses[-1] > 1e3 * free.losses[0]
    assert clipped.losses[-1] < free.losses[0]


@pytest.mark.slow
def test_the_experiment_is_deterministic_and_reports(experiment, tmp_path):
    again = diagnostics.gradient_experiment(steps=25, rnn_steps=60, seed=0)
    for a, b in zip(experiment.mlp + experiment.rnn, again.mlp + again.rnn):
        assert a.losses == b.losses
    text = experiment.report()
    for needle in ("ratio", "sigmoid, naive init", "clip_grad_norm_(max_norm=1)", "Verdict"):
        assert needle in text
    assert "| variant |" in experiment.report("markdown")
    path = tmp_path / "experiment.png"
    experiment.plot(path)
    assert path.read_bytes()[:4] == b"\x89PNG"


def _parser():
    from chainrule.cli import _Parser

    p = _Parser(prog="chainrule")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    diagnostics.add_cli(sub)
    return p


@pytest.mark.slow
def test_cli_prints_the_tables(capsys, tmp_path):
    plot = tmp_path / "g.png"
    argv = ["diagnose", "gradients", "--steps", "5", "--rnn-steps", "5", "--plot", str(plot)]
    args = _parser().parse_args(argv)
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    assert "variant" in out and "layer 20" in out and "no clipping" in out
    assert plot.exists()
    try:
        from chainrule import cli, explain  # noqa: F401 - explain is written concurrently
    except ImportError:
        return
    assert cli.main(argv + ["--format", "markdown"]) == 0
    assert "| variant |" in capsys.readouterr().out


def test_cli_rejects_bad_input():
    from chainrule.cli import CLIError

    p = _parser()
    with pytest.raises(CLIError):
        p.parse_args(["diagnose", "weights"])
    args = p.parse_args(["diagnose", "gradients", "--depth", "1"])
    with pytest.raises(CLIError, match="--depth must be >= 2, got 1"):
        args.handler(args)
    args = p.parse_args(["diagnose", "gradients", "--plot", "/no/such/dir/g.png"])
    with pytest.raises(CLIError, match="--plot /no/such/dir/g.png: can't write there"):
        args.handler(args)
