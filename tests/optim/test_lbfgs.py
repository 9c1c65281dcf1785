"""LBFGS against torch's: the same iterates on the Rosenbrock function (with and without the
strong Wolfe line search), the same bookkeeping, and the closed-form least-squares minimum."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.optim import LBFGS

X0 = [-1.2, 1.0, -0.5, 0.8, 1.5]


def _rosenbrock(x):
    return ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()


def _run(lib, dtype, steps=4, **kwargs):
    p = lib.nn.Parameter(lib.tensor(np.array(X0, dtype=dtype)))
    opt = lib.optim.LBFGS([p], **kwargs)

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(p)
        loss.backward()
        return loss

    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    state = opt.state[p]
    return p.detach().numpy().copy(), losses, state["func_evals"], state["n_iter"]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(lr=0.1, max_iter=30, history_size=5),
        dict(lr=1.0, max_iter=30, history_size=5, line_search_fn="strong_wolfe"),
        dict(lr=0.5, max_iter=10, max_eval=12, history_size=3, line_search_fn="strong_wolfe"),
        dict(lr=0.05, max_iter=8, tolerance_change=1e-4),
    ],
    ids=str,
)
def test_lbfgs_follows_torch_in_float64(kwargs):
    p, losses, evals, iters = _run(cr, "float64", **kwargs)
    pt, losses_t, evals_t, iters_t = _run(torch, "float64", **kwargs)
    np.testing.assert_allclose(p, pt, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(losses, losses_t, rtol=1e-8)
    assert (evals, iters) == (evals_t, iters_t)


def test_lbfgs_float32_with_line_search_reaches_torchs_minimum():
    kwargs = dict(lr=1.0, max_iter=30, history_size=5, line_search_fn="strong_wolfe")
    p, *_ = _run(cr, "float32", **kwargs)
    pt, *_ = _run(torch, "float32", **kwargs)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, pt, atol=1e-5)
    np.testing.assert_allclose(p, np.ones(5), atol=1e-5)  # Rosenbrock's minimum


def test_lbfgs_solves_least_squares_over_several_parameters():
    """min ‖Xw + b − y‖²: the normal equations' solution, weight and bias as two parameters."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 3)), rng.standard_normal(40)
    model = cr.nn.Linear(3, 1).double()
    opt = LBFGS(
        model.parameters(), line_search_fn="strong_wolfe", tolerance_grad=1e-12, tolerance_change=0
    )
    xs, ys = cr.tensor(X), cr.tensor(y[:, None])

    def closure():
        opt.zero_grad()
        loss = ((model(xs) - ys) ** 2).mean()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    A = np.hstack([X, np.ones((40, 1))])
    solution = np.linalg.lstsq(A, y, rcond=None)[0]
    fitted = np.append(model.weight.data.ravel(), model.bias.data)
    np.testing.assert_allclose(fitted, solution, atol=1e-8)


def test_lbfgs_errors():
    p = cr.nn.Parameter(cr.zeros(2))
    with pytest.raises(ValueError, match="LBFGS: invalid learning rate -1"):
        LBFGS([p], lr=-1)
    with pytest.raises(ValueError, match="line_search_fn must be None or 'strong_wolfe'"):
        LBFGS([p], line_search_fn="armijo")
    with pytest.raises(ValueError, match="parameter groups"):
        LBFGS([{"params": [p]}, {"params": [cr.nn.Parameter(cr.zeros(1))]}])
    with pytest.raises(ValueError, match="needs a closure"):
        LBFGS([p]).step(None)
