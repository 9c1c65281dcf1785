"""``cr.optim.find_lr``: the learning-rate range test."""

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.data import DataLoader, TensorDataset
from chainrule.datasets.registry import load
from chainrule.optim.lr_finder import _suggest


def _mlp(hidden=64, seed=0):
    cr.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def _toy(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    return TensorDataset(cr.from_numpy(X), cr.from_numpy(y))


def _toy_model():
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


def _accuracy(model, dataset):
    X, y = dataset.tensors
    with cr.no_grad():
        return float((model(X).numpy().argmax(1) == y.numpy()).mean())


def _train(splits, lr, epochs=3, batch_size=16, momentum=0.9):
    model = _mlp()
    opt = cr.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loader = DataLoader(
        splits.train, batch_size=batch_size, shuffle=True, generator=np.random.default_rng(0)
    )
    for _ in range(epochs):
        for x, y in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
    return _accuracy(model, splits.test), float(loss.item())


def test_suggestion_trains_digits_mlp_and_100x_diverges():
    splits = load("digits", seed=0)
    model = _mlp()
    opt = cr.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loader = DataLoader(
        splits.train, batch_size=16, shuffle=True, generator=np.random.default_rng(0)
    )
    result = cr.optim.find_lr(
        model, opt, F.cross_entropy, loader, start_lr=1e-4, end_lr=10, num_iter=300
    )
    lr = result.suggestion
    assert lr is not None and 1e-3 < lr < 1  # measured: 0.0362
    good_acc, _ = _train(splits, lr)
    assert good_acc >= 0.95  # measured: 0.956
    bad_acc, bad_loss = _train(splits, 100 * lr)
    assert not math.isfinite(bad_loss) or bad_acc < 0.2  # measured: 0.102


def test_lrs_are_geometric_from_start_to_end():
    model = _toy_model()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(_toy(), batch_size=16)  # 4 batches: the loader is cycled
    result = cr.optim.find_lr(
        model, opt, F.cross_entropy, loader, start_lr=1e-5, end_lr=1e-2, num_iter=10
    )
    assert len(result.lrs) == len(result.losses) == len(result.raw_losses) == 10
    np.testing.assert_allclose(result.lrs, np.geomspace(1e-5, 1e-2, 10), rtol=1e-12)
    assert not result.diverged
    # smoothed, bias-corrected: the first smoothed loss is the first raw loss
    assert result.losses[0] == pytest.approx(result.raw_losses[0])
    avg = 0.0
    for i, raw in enumerate(result.raw_losses):
        avg = 0.98 * avg + 0.02 * raw
        assert result.losses[i] == pytest.approx(avg / (1 - 0.98 ** (i + 1)))


def test_model_and_optimizer_are_restored_exactly():
    model = _toy_model()
    opt = cr.optim.SGD(
        [
            {"params": model[0].parameters(), "lr": 0.03},
            {"params": model[2].parameters()},
        ],
        lr=0.1,
        momentum=0.9,
    )
    # give the optimizer some momentum state first
    x, y = _toy().tensors
    F.cross_entropy(model(x), y).backward()
    opt.step()
    weights = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    momenta = {i: s["momentum_buffer"].numpy().copy() for i, s in opt.state_dict()["state"].items()}

    cr.optim.find_lr(model, opt, F.cross_entropy, DataLoader(_toy(), batch_size=16), num_iter=20)

    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), weights[k])
    assert [g["lr"] for g in opt.param_groups] == [0.03, 0.1]
    state = opt.state_dict()["state"]
    assert set(state) == set(momenta)
    for i, s in state.items():
        np.testing.assert_array_equal(s["momentum_buffer"].numpy(), momenta[i])


def test_stops_early_on_divergence():
    model = _toy_model()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(_toy(), batch_size=16)
    result = cr.optim.find_lr(
        model, opt, F.cross_entropy, loader, start_lr=1e-3, end_lr=1e8, num_iter=100
    )
    assert result.diverged
    assert len(result.lrs) < 100
    last = result.losses[-1]
    assert not math.isfinite(last) or last > 5.0 * result.losses[:-1].min()
    assert np.all(result.lrs < 1e8)


def test_suggestion_is_steepest_descent_before_minimum():
    lrs = np.geomspace(1e-4, 1, 40)
    x = np.log10(lrs)
    losses = 2 - np.tanh(3 * (x + 2)) + 0.5 * np.maximum(x + 0.5, 0) ** 2 * 10
    assert _suggest(lrs, losses) == pytest.approx(1e-2, rel=0.3)  # steepest at x = -2
    # a curve that only rises has no descent to suggest
    assert _suggest(lrs, np.linspace(1, 2, 40)) is None


@pytest.mark.parametrize(
    "kw, words",
    [
        ({"start_lr": 1.0, "end_lr": 0.1}, ["start_lr=1.0", "end_lr=0.1"]),
        ({"start_lr": 0.1, "end_lr": 0.1}, ["start_lr=0.1", "end_lr=0.1"]),
        ({"start_lr": 0.0}, ["start_lr=0.0"]),
        ({"start_lr": -1e-3, "end_lr": 1.0}, ["start_lr=-0.001"]),
        ({"num_iter": 1}, ["num_iter", "1"]),
    ],
)
def test_bad_inputs_raise(kw, words):
    model = _toy_model()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError) as err:
        cr.optim.find_lr(model, opt, F.cross_entropy, DataLoader(_toy(), batch_size=16), **kw)
    for word in words:
        assert word in str(err.value)


def test_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    model = _toy_model()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    result = cr.optim.find_lr(
        model, opt, F.cross_entropy, DataLoader(_toy(), batch_size=16), num_iter=30
    )
    path = tmp_path / "lr.png"
    result.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
