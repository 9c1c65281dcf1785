"""``check_twin``: one chainrule layer against its torch twin with identical weights.

The torch twin's weights are loaded into ours; then the forward output, the gradient of every
floating input and the gradient of every parameter must agree (float64 within 1e-10, float32
within 1e-5 relative) for a random upstream gradient. Our layer and its inputs run on
``helpers.DEVICE``; torch's stay on the CPU.
"""

import helpers
import numpy as np
import torch
from helpers import assert_close, on_device

import chainrule as cr
from chainrule import backend


def check_twin(ours, theirs, *inputs, dtype="float64", seed=0):
    """``inputs``: shapes (drawn as floats in ``dtype``) or ndarrays (used as they are)."""
    rng = np.random.default_rng(seed)
    theirs = theirs.double() if dtype == "float64" else theirs.float()
    ours.to(getattr(cr, dtype)).load_state_dict(theirs.state_dict())
    ours.to(helpers.DEVICE)
    arrays = [
        a if isinstance(a, np.ndarray) else rng.standard_normal(a).astype(dtype) for a in inputs
    ]
    xs = [cr.tensor(a, requires_grad=a.dtype.kind == "f", device=helpers.DEVICE) for a in arrays]
    xt = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    y, yt = ours(*xs), theirs(*xt)
    assert_close(y.data, yt, dtype, "forward")
    g = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    y.backward(on_device(g))
    yt.backward(torch.from_numpy(g))
    for i, (a, b) in enumerate(zip(xs, xt)):
        if b.requires_grad:
            assert_close(a.grad, b.grad, dtype, f"grad of input {i}")
    ours_p = dict(ours.named_parameters())
    theirs_p = dict(theirs.named_parameters())
    assert list(ours_p) == list(theirs_p), "parameter names differ from torch's"
    for name, p in theirs_p.items():
        if p.grad is None:
            assert ours_p[name].grad is None or not ours_p[name].grad.data.any(), name
        else:
            assert_close(ours_p[name].grad, p.grad, dtype, f"grad of {name}")
    for name, p in ours_p.items():
        assert backend.on_device(p.data, helpers.DEVICE), f"{name} is not on {helpers.DEVICE}"
    return y
