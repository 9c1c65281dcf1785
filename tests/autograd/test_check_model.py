"""check_model: whole-model backprop against finite differences on a float64 copy."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.autograd import Function, GradcheckError, check_model


class BadDouble(Function):
    """y = 2x, with a backward that forgets the 2 (wrong on purpose)."""

    def forward(self, x):
        return 2 * x

    def backward(self, gy):
        return gy


class BadDoubleLayer(nn.Module):
    def forward(self, x):
        return BadDouble.apply(x)


def mse(model, batch):
    x, y = batch
    return F.mse_loss(model(x), y)


def _batch(n=8, d_in=3, d_out=2):
    rng = np.random.default_rng(1)
    x = cr.tensor(rng.standard_normal((n, d_in)).astype(np.float32))
    y = cr.tensor(rng.standard_normal((n, d_out)).astype(np.float32))
    return x, y


def test_mlp_passes():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    report = check_model(model, mse, _batch())
    assert report.ok and bool(report)
    assert [r.name for r in report.rows] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(r.ok and r.max_abs_error < 1e-7 for r in report.rows)
    assert "all 4 parameters agree" in str(report)


def test_wrong_backward_names_the_parameters_upstream_of_the_bug():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), BadDoubleLayer(), nn.Linear(5, 2))
    report = check_model(model, mse, _batch())
    assert not report.ok
    assert report.failed == ["0.weight", "0.bias"]
    rows = {r.name: r for r in report.rows}
    assert rows["3.weight"].ok and rows["3.bias"].ok
    assert rows["0.weight"].rel_error == pytest.approx(0.5, rel=1e-4)  # backprop gives half
    text = str(report)
    assert "gradient mismatch in: 0.weight, 0.bias" in text
    with pytest.raises(GradcheckError, match=r"0\.weight, 0\.bias"):
        check_model(model, mse, _batch(), raise_on_failure=True)


def test_batchnorm_and_dropout_pass():
    cr.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(3, 6), nn.BatchNorm1d(6), nn.Tanh(), nn.Dropout(0.5), nn.Linear(6, 2)
    )
    assert model.training
    report = check_model(model, mse, _batch(), n_directions=2)
    assert report.ok, str(report)
    assert len(report.rows) == 6


def test_user_model_is_unchanged():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.3), nn.Linear(4, 2))
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    x, y = _batch()
    check_model(model, mse, (x, y))
    after = model.state_dict()
    assert before.keys() == after.keys()
    for k, v in before.items():
        assert after[k].dtype == v.dtype
        np.testing.assert_array_equal(after[k].numpy(), v)
    assert all(p.dtype == cr.float32 and p.grad is None for p in model.parameters())
    assert x.dtype == cr.float32 and y.dtype == cr.float32
    assert model.training


def test_a_zero_gradient_has_no_relative_error():
    # a bias before BatchNorm: BatchNorm subtracts the batch mean, so ∂L/∂b is exactly 0 and
    # both backprop and the finite difference give rounding noise
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    x = cr.randn(6, 3)
    report = check_model(model, lambda m, b: (m(b) ** 2).mean(), x)
    rows = {r.name: r for r in report.rows}
    assert report.ok
    assert rows["0.bias"].max_abs_error < 1e-9 and rows["0.bias"].rel_error == 0.0
    assert 0 < rows["0.weight"].rel_error < 1e-5
