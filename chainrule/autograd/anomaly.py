"""Anomaly detection: find the op that first made a NaN or an Inf, forward or backward.

    with cr.autograd.detect_anomaly():
        loss = model(x).log().mean()     # raises here if log met a negative number
        loss.backward()                  # or here, naming the op whose backward made the NaN

Inside the block every op checks its output, and every recorded op remembers the user's source
line that created it (a traceback captured at forward time). The first non-finite value raises
``FloatingPointError`` naming the op, the input whose gradient went bad (backward), and that
line. Since the first one raises, a NaN never travels on to be reported again; if an op is
handed one from outside the block (the data, or a root gradient), the message says so.

Outside the block nothing of this exists: the mode works by swapping ``Function.__call__`` for
a checking version on entry and back on exit, so normal runs pay not one extra instruction.
The swap is process-wide (torch's flag is too), so ops run by other threads inside the block
are checked as well.
"""

from __future__ import annotations

import os
import threading
import traceback

from .. import backend
from .function import Function

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_lock = threading.Lock()
_depth = [0]  # nested blocks: the plain __call__ comes back when the outermost one exits
_plain_call = Function.__call__


def is_anomaly_enabled() -> bool:
    return _depth[0] > 0


class detect_anomaly:
    """Context manager (and decorator) that turns on anomaly detection, as in torch.

    ``check_nan=False`` keeps the tracebacks (a backward error then names the forward line)
    but skips the NaN/Inf checks.
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = bool(check_nan)

    def __enter__(self):
        with _lock:
            if _depth[0] == 0:
                Function.__call__ = _checked_call
            _depth[0] += 1
            self._prev_check = _options["check_nan"]
            _options["check_nan"] = self.check_nan
        return self

    def __exit__(self, *exc):
        with _lock:
            _options["check_nan"] = self._prev_check
            _depth[0] -= 1
            if _depth[0] == 0:
                Function.__call__ = _plain_call
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly(detect_anomaly):
    """``set_detect_anomaly(mode)``: on or off for the block, as in torch."""

    def __init__(self, mode: bool, check_nan: bool = True):
        super().__init__(check_nan)
        self.mode = bool(mode)

    def __enter__(self):
        if self.mode:
            return super().__enter__()
        with _lock:  # off: the plain call for the block, whatever was outside
            self._saved = (_depth[0], Function.__call__)
            _depth[0] = 0
            Function.__call__ = _plain_call
        return self

    def __exit__(self, *exc):
        if self.mode:
            return super().__exit__(*exc)
        with _lock:
            _depth[0], Function.__call__ = self._saved
        return False


_options = {"check_nan": True}


# ------------------------------------------------------------------ the checking versions
def _checked_call(self, *inputs):
    """``Function.__call__`` plus: remember where the op was created, check its output."""
    stack = traceback.extract_stack()[:-1]
    out = _plain_call(self, *inputs)
    if _options["check_nan"]:
        bad = _nonfinite(out.data)
        if bad:
            raise FloatingPointError(
                f"detect_anomaly: {self.name} produced {bad} in its forward output "
                f"(shape {tuple(out.shape)}){_given(inputs)}{_where(stack)}"
            )
    if out.grad_fn is self:  # recorded: check its backward too
        self._anomaly_stack = stack
        self.backward = _CheckedBackward(self, self.backward)
    return out


class _CheckedBackward:
    """Stands in for one node's ``backward``: checks each gradient it returns."""

    __slots__ = ("fn", "plain")

    def __init__(self, fn, plain):
        self.fn, self.plain = fn, plain

    def __call__(self, gy):
        gxs = self.plain(gy)
        if not _options["check_nan"]:
            return gxs
        fn = self.fn
        for i, gx in enumerate(gxs if type(gxs) is tuple else (gxs,)):
            if gx is None:
                continue
            bad = _nonfinite(_data(gx))
            if bad:
                given = _given((gy,), "upstream gradient")
                raise FloatingPointError(
                    f"detect_anomaly: {fn.name}Backward returned {bad} in the gradient of its "
                    f"input {i} (shape {tuple(_data(gx).shape)}){given}"
                    f"{_where(fn._anomaly_stack, 'the forward op was created')}"
                )
        return gxs


def _data(x):
    return x.data if hasattr(x, "data") and not isinstance(x, backend.ndarray) else x


def _nonfinite(a) -> str:
    """'' when ``a`` is finite (or not floating point), else 'NaN', 'Inf' or 'NaN and Inf'."""
    if not isinstance(a, backend.ndarray):
        if isinstance(a, float):
            a = backend.np.asarray(a)
        else:
            return ""
    xp = backend.get_array_module(a)
    if a.dtype.kind not in "fc" or bool(xp.isfinite(a).all()):
        return ""
    nan, inf = bool(xp.isnan(a).any()), bool(xp.isinf(a).any())
    return "NaN and Inf" if nan and inf else "NaN" if nan else "Inf"


def _given(inputs, what: str = "input") -> str:
    """A note on operands that were already non-finite when the op received them."""
    notes = []
    for i, x in enumerate(inputs):
        bad = _nonfinite(_data(x))
        if bad:
            notes.append(
                f"{what} {i} already held {bad}"
                if len(inputs) > 1
                else f"its {what} already held {bad}"
            )
    return f" ({'; '.join(notes)})" if notes else ""


def _where(stack, what: str = "") -> str:
    """The user's line in ``stack`` (the innermost frame outside chainrule), then the rest."""
    user = [f for f in stack if not os.path.abspath(f.filename).startswith(_PACKAGE)]
    if not user:
        return ""
    f = user[-1]
    head = f"; {what + ' ' if what else ''}at {f.filename}:{f.lineno}"
    head += f": {f.line}" if f.line else ""
    tail = "".join(traceback.format_list(stack[-8:]))
    return f"{head}\nTraceback of the forward call (most recent call last):\n{tail}"
