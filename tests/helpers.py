"""One helper runs the same function in chainrule and in torch and compares everything.

    check_against_torch(lambda t: t.sigmoid(), (3, 4))

draws inputs, then compares (1) the forward output, (2) the gradient of every input for a
random upstream gradient (not all ones), and (3) the second-order gradient: the gradient of
⟨first gradient, v⟩ for a random v, through ``create_graph=True`` on both sides.

Devices: chainrule's inputs are created on ``DEVICE`` ("cpu" or "cuda"), which
``tests/conftest.py`` sets per test (for the suites in ``tests/functions`` and ``tests/nn``,
every test that goes through these helpers runs on both); torch, the oracle, stays
on the CPU, and results come back to the host through ``backend.to_host`` before comparing.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

import chainrule as cr
from chainrule import backend

DEVICE = "cpu"
"""Where the helpers put chainrule's inputs (and layers, in ``check_twin``)."""

TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-6)}


def host(a):
    """``a`` (a torch or chainrule tensor, a NumPy or device array, a number) as NumPy."""
    if isinstance(a, torch.Tensor):
        return a.detach().numpy()
    if isinstance(a, cr.Tensor):
        a = a.data
    return np.asarray(backend.to_host(a))


def on_device(a):
    """A chainrule tensor of array ``a`` on ``DEVICE`` (for upstream gradients, constants)."""
    return cr.tensor(a, device=DEVICE)


def assert_close(ours, ref, dtype="float64", what="value", scale_atol=True):
    ours, ref = host(ours), host(ref)
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape} != torch's {ref.shape}"
    tol = dict(TOL[str(dtype)])
    if scale_atol and ref.size:
        finite = np.abs(ref[np.isfinite(ref)])
        if finite.size:
            tol["atol"] *= max(1.0, float(finite.max()))
    np.testing.assert_allclose(ours, ref, err_msg=what, equal_nan=True, **tol)


def _draw(shape, rng, low, high, dtype):
    if isinstance(shape, np.ndarray):  # given inputs: floats take the test's dtype
        return shape.astype(dtype) if shape.dtype.kind == "f" else shape
    return rng.uniform(low, high, size=shape).astype(dtype)


def _grads_cr(out, xs, g, create_graph):
    live = [x for x in xs if x.requires_grad]
    gs = cr.grad(out, live, on_device(g), create_graph=create_graph, allow_unused=True)
    it = iter(gs)
    return [next(it) if x.requires_grad else None for x in xs]


def _grads_torch(out, xs, g, create_graph):
    live = [x for x in xs if x.requires_grad]
    gs = torch.autograd.grad(
        out, live, torch.from_numpy(g), create_graph=create_graph, allow_unused=True
    )
    it = iter(gs)
    return [next(it) if x.requires_grad else None for x in xs]


def _zeros_if_none(g, x):
    if g is None:
        return np.zeros(tuple(x.shape))
    return g.detach().numpy(force=True) if isinstance(g, torch.Tensor) else g.data


def check_against_torch(
    fn,
    *shapes,
    torch_fn=None,
    dtype="float64",
    low=-2.0,
    high=2.0,
    seed=0,
    grad=True,
    gradgrad=True,
    requires_grad=None,
):
    """Compare ``fn`` in chainrule and torch (``torch_fn`` if the spelling differs).

    ``shapes`` are input shapes, or ndarrays to use as inputs. ``requires_grad`` lists, per
    input, whether it is differentiable (default: all floating inputs).
    """
    torch_fn = torch_fn or fn
    rng = np.random.default_rng(seed)
    arrays = [_draw(s, rng, low, high, dtype) for s in shapes]
    if requires_grad is None:
        requires_grad = [a.dtype.kind == "f" for a in arrays]
    xs_cr = [
        cr.tensor(a, requires_grad=r and grad, device=DEVICE) for a, r in zip(arrays, requires_grad)
    ]
    xs_t = [torch.tensor(a, requires_grad=r and grad) for a, r in zip(arrays, requires_grad)]
    out_cr, out_t = fn(*xs_cr), torch_fn(*xs_t)
    assert isinstance(out_cr, cr.Tensor), f"expected a Tensor, got {type(out_cr)}"
    assert backend.on_device(out_cr.data, DEVICE), f"output on {out_cr.device}, not {DEVICE}"
    assert str(out_cr.dtype) == str(out_t.dtype).replace("torch.", ""), (
        f"dtype {out_cr.dtype} != torch's {out_t.dtype}"
    )
    assert_close(out_cr.data, out_t, dtype, "forward")
    if not grad or not out_t.requires_grad:
        return out_cr
    g = rng.standard_normal(tuple(out_t.shape)).astype(dtype)
    gs_cr = _grads_cr(out_cr, xs_cr, g, create_graph=gradgrad)
    gs_t = _grads_torch(out_t, xs_t, g, create_graph=gradgrad)
    for i, (a, b, x) in enumerate(zip(gs_cr, gs_t, xs_t)):
        if x.requires_grad:
            assert_close(_zeros_if_none(a, x), _zeros_if_none(b, x), dtype, f"grad of input {i}")
    if not gradgrad:
        return out_cr
    live = [i for i, b in enumerate(gs_t) if b is not None and b.requires_grad]
    if not live:  # linear in the inputs: the second derivative is zero on both sides
        return out_cr
    vs = {i: rng.standard_normal(tuple(xs_t[i].shape)).astype(dtype) for i in live}
    s_t = sum((gs_t[i] * torch.from_numpy(vs[i])).sum() for i in live)
    targets = [x for x in xs_t if x.requires_grad]
    gg_t = torch.autograd.grad(s_t, targets, allow_unused=True)
    cr_live = [i for i in live if gs_cr[i] is not None and gs_cr[i].requires_grad]
    targets_cr = [x for x in xs_cr if x.requires_grad]
    if cr_live:
        s_cr = sum((gs_cr[i] * on_device(vs[i])).sum() for i in cr_live)
        gg_cr = cr.grad(s_cr, targets_cr, allow_unused=True)
    else:
        gg_cr = [None] * len(targets_cr)
    for k, (a, b, x) in enumerate(zip(gg_cr, gg_t, targets)):
        assert_close(
            _zeros_if_none(a, x),
            _zeros_if_none(b, x),
            dtype,
            f"second-order grad of differentiable input {k}",
        )
    return out_cr


def check_gradcheck(fn, *shapes, low=-2.0, high=2.0, seed=0, gradgrad=True, atol=1e-5, rtol=1e-3):
    """chainrule's own finite-difference checks, in float64 (the second oracle), on the CPU:
    they evaluate ``fn`` twice per input element, which the device runs can skip, since
    ``check_against_torch`` checks every op there (``gradcheck`` itself works on any device:
    tests/autograd/test_gradcheck.py)."""
    rng = np.random.default_rng(seed)
    xs = []
    for s in shapes:
        a = _draw(s, rng, low, high, "float64")
        xs.append(cr.tensor(a, requires_grad=a.dtype.kind == "f"))
    assert cr.autograd.gradcheck(fn, xs, atol=atol, rtol=rtol)
    if gradgrad:
        assert cr.autograd.gradgradcheck(fn, xs, atol=atol, rtol=rtol)


# ---------------------------------------------------------------- devices
_DEVICE_AWARE = {"check_against_torch", "check_twin", "on_device", "helpers"}
"""Names whose use makes a test run on every device: the helpers, which read ``DEVICE``."""


def _names(code) -> set:
    """The global names ``code`` and the functions and lambdas nested in it refer to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names(const)
    return names


def runs_on_devices(fn) -> bool:
    """Whether test ``fn`` goes through the device-aware helpers, directly or through a
    function of its own module (``_compare``, ``check_exact``, ...) that does."""
    names = _names(fn.__code__)
    if names & _DEVICE_AWARE:
        return True
    for name in names:
        f = fn.__globals__.get(name)
        if getattr(f, "__module__", None) == fn.__module__ and hasattr(f, "__code__"):
            if _names(f.__code__) & _DEVICE_AWARE:
                return True
    return False


def parametrize_devices(metafunc) -> None:
    """``pytest_generate_tests`` for tests/functions and tests/nn: every test that goes through
    the helpers runs once per device, "cpu" and "cuda" (the real GPU, else the CuPy test double),
    through the ``device`` fixture of tests/conftest.py. Tests that ask for ``device`` themselves
    are parametrized already; tests marked ``slow`` stay on the CPU."""
    if "device" in metafunc.fixturenames or metafunc.definition.get_closest_marker("slow"):
        return
    if runs_on_devices(metafunc.function):
        metafunc.fixturenames.append("device")
        metafunc.parametrize("device", ["cpu", "cuda"], indirect=True)


def set_device(request, monkeypatch) -> None:
    """Point ``DEVICE`` at this test's device (an autouse fixture of tests/conftest.py)."""
    callspec = getattr(request.node, "callspec", None)
    if "device" in request.fixturenames or (callspec and "device" in callspec.params):
        # asked for by name: pytest's pruning drops a name added in pytest_generate_tests
        monkeypatch.setattr(sys.modules[__name__], "DEVICE", request.getfixturevalue("device"))


def same_values(ours_fn, torch_fn, *arrays, exact=False):
    """Forward only, for inputs the helper can't draw (ints, bools, special values)."""
    ours = ours_fn(*[on_device(a) if isinstance(a, np.ndarray) else a for a in arrays])
    ref = torch_fn(*[torch.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays])
    assert str(ours.dtype) == str(ref.dtype).replace("torch.", ""), (ours.dtype, ref.dtype)
    assert ours.shape == tuple(ref.shape)
    if exact:
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    else:
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6, atol=1e-7, equal_nan=True)
