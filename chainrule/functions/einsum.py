"""Einstein summation, as ``torch.einsum``, and the two products built on it: ``tensordot``
and ``kron``.

An einsum multiplies its operands element by element over every letter of the equation and
sums the letters that are missing from the output. So y[o] = Σ_s Π_k x_k[s_k], and the
derivative of y with respect to one element of x_i is the product of the *other* operands:

    ∂L/∂x_i[s_i] = Σ_(letters not in s_i) gy[o] · Π_(k≠i) x_k[s_k]

which is itself an einsum: of gy (subscripts ``o``) with the other operands, into ``s_i``.
The chain rule sums over the contracted letters, exactly what einsum does. Two letters of x_i
need care, and both are folded into that same einsum as constant operands:

* a letter that appears in x_i only (summed out in the forward) has no operand to take its
  size from: a vector of ones with that letter broadcasts the gradient back along it;
* a letter repeated in x_i ("ii->i": a diagonal) reads only the diagonal, so its gradient
  lives on the diagonal: the repeats get fresh letters tied to the first by identity
  matrices, δ_ij, which put the values there and zeros elsewhere.

Because each gradient is an einsum, a backward fed Tensors (``create_graph``) calls
``einsum`` again and records a graph: gradients of gradients come for free.

Before the op runs, the equation is parsed into a small plan: the ellipsis becomes fresh
letters (right-aligned, so batch ranks may differ), sizes are checked letter by letter, and
size-1 dimensions that broadcast against a larger size are squeezed out of their operand.
"""

from __future__ import annotations

import functools
import string
from collections import Counter

from .. import backend
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _wrap, as_tensor

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # sorted as torch sorts them
_ELLIPSIS = "."  # stands for "..." in a parsed term


# ------------------------------------------------------------------ parsing the equation
@functools.lru_cache(maxsize=256)
def _parse(equation: str):
    """The equation's terms as strings of letters, '.' standing for one ellipsis, and the
    output term (None when implicit). Raises on anything torch would refuse to read."""
    eq = "".join(equation.split())
    if eq.count("->") > 1:
        raise ValueError(f"einsum: equation {equation!r} has more than one '->'")
    lhs, arrow, rhs = eq.partition("->")
    terms = tuple(_parse_term(t, equation, f"operand {i}") for i, t in enumerate(lhs.split(",")))
    out = _parse_term(rhs, equation, "the output") if arrow else None
    if out is not None:
        for c, n in Counter(out).items():
            if n > 1 and c != _ELLIPSIS:
                raise ValueError(
                    f"einsum: output subscript {c} appears more than once in {equation!r}"
                )
    return terms, out


def _parse_term(term: str, equation: str, where: str) -> str:
    if term.count("...") > 1:
        raise ValueError(f"einsum: more than one ellipsis for {where} in {equation!r}")
    rest = term.replace("...", "")
    for c in rest:
        if c not in _LETTERS:
            what = "'.' that is not part of an ellipsis" if c == "." else f"{c!r}"
            raise ValueError(
                f"einsum: invalid subscript {what} for {where} in {equation!r}; "
                f"subscripts must be in [a-zA-Z]"
            )
    return term.replace("...", _ELLIPSIS)


def _plan(equation: str, shapes):
    """Resolve the parsed equation against the operands' shapes.

    Returns (subs, out, sizes, squeeze): each operand's letters, the output's letters, every
    letter's size, and per operand the shape to reshape it to first (None if unchanged), which
    drops the size-1 dimensions that broadcast against a larger size elsewhere."""
    terms, out = _parse(equation)
    shown = ", ".join(str(tuple(s)) for s in shapes)

    def fail(msg):
        raise ValueError(f"einsum: {msg} (equation {equation!r}, operand shapes {shown})")

    if len(terms) != len(shapes):
        fail(f"the equation has {len(terms)} operand(s) but {len(shapes)} were given")
    ranks = []
    for i, (t, s) in enumerate(zip(terms, shapes)):
        n = len(t) - (_ELLIPSIS in t)
        if (_ELLIPSIS in t and n > len(s)) or (_ELLIPSIS not in t and n != len(s)):
            fail(f"operand {i} has {len(s)} dimension(s) but its subscripts {t!r} name {n}")
        ranks.append(len(s) - n if _ELLIPSIS in t else 0)
    used = set("".join(terms) + (out or ""))
    fresh = [c for c in _LETTERS if c not in used]
    n_ell = max(ranks, default=0)
    if n_ell > len(fresh):
        fail("too many dimensions: einsum runs out of the 52 letters a-z, A-Z")
    ell = "".join(fresh[:n_ell])
    subs = [t.replace(_ELLIPSIS, ell[n_ell - r :]) for t, r in zip(terms, ranks)]
    if out is None:  # implicit: the ellipsis, then the letters seen once, in order
        counts = Counter("".join(terms).replace(_ELLIPSIS, ""))
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    else:
        for c in out:
            if c != _ELLIPSIS and all(c not in t for t in terms):
                fail(f"output subscript {c} appears in no operand")
        out = out.replace(_ELLIPSIS, ell)
    sizes = {}
    for i, (sub, s) in enumerate(zip(subs, shapes)):
        own = {}
        for c, d in zip(sub, s):
            if own.setdefault(c, d) != d:
                fail(f"subscript {c} is repeated in operand {i} with sizes {own[c]} and {d}")
        for c, d in own.items():
            seen = sizes.get(c, 1)
            if d != 1 and seen != 1 and d != seen:
                fail(f"subscript {c} has size {d} in operand {i} but {seen} before")
            if seen == 1:
                sizes[c] = d
    squeeze = []
    for i, (sub, s) in enumerate(zip(subs, shapes)):
        keep = [k for k, c in enumerate(sub) if not (s[k] == 1 and sizes[c] != 1)]
        if len(keep) < len(sub):
            subs[i] = "".join(sub[k] for k in keep)
            squeeze.append(tuple(s[k] for k in keep))
        else:
            squeeze.append(None)
    return subs, out, sizes, squeeze


# ------------------------------------------------------------------ the op
def _xp_einsum(xp, eq, *arrays):
    if xp is backend.np:  # contraction order and BLAS; CuPy's support of ``optimize`` varies
        return xp.einsum(eq, *arrays, optimize=True)
    return xp.einsum(eq, *arrays)


class Einsum(Function):
    """y[out] = Σ Π_k x_k[subs_k] over the letters not in ``out``; the gradient of each operand
    is the einsum of gy with the others (see the module docstring)."""

    def __init__(self, subs, out, sizes):
        self.subs, self.out, self.sizes = subs, out, sizes

    def forward(self, *xs):
        xp = get_array_module(*xs)
        self.save_for_backward(*xs)
        y = _xp_einsum(xp, ",".join(self.subs) + "->" + self.out, *xs)
        return y.copy() if len(xs) == 1 else y  # one operand: NumPy may return a view of it

    def backward(self, gy):
        xs = self.saved
        gxs = tuple(
            self._grad(i, gy, xs) if need else None for i, need in enumerate(self.needs_input_grad)
        )
        return gxs if len(gxs) > 1 else gxs[0]

    def _grad(self, i, gy, xs):
        """∂L/∂x_i = einsum(gy, x_k for k≠i, constants → subs_i)."""
        eq, consts = self._grad_plan(i)
        tensors = isinstance(gy, Tensor)
        xp = get_array_module(gy.data if tensors else gy)
        extra = []
        for kind, n in consts:
            c = xp.eye(n, dtype=gy.dtype) if kind == "eye" else xp.ones(n, dtype=gy.dtype)
            extra.append(_wrap(c, None) if tensors else c)
        ops = [gy, *xs[:i], *xs[i + 1 :], *extra]
        if tensors:
            return einsum(eq, *ops)
        return _xp_einsum(xp, eq, *ops)

    def _grad_plan(self, i):
        """The gradient einsum's equation for operand i, and the constants it needs: an
        identity matrix per repeated letter, a vector of ones per letter found in x_i only."""
        sub = self.subs[i]
        taken = set("".join(self.subs) + self.out)
        fresh = iter(c for c in _LETTERS if c not in taken)
        terms = [self.out, *self.subs[:i], *self.subs[i + 1 :]]
        target, consts, seen = [], [], set()
        for c in sub:
            if c in seen:  # a diagonal: tie a fresh letter to c with δ
                f = next(fresh, None)
                if f is None:
                    raise ValueError(f"einsum: backward runs out of letters for {sub!r}")
                terms.append(c + f)
                consts.append(("eye", self.sizes[c]))
                target.append(f)
            else:
                seen.add(c)
                target.append(c)
        for c in dict.fromkeys(sub):
            if not any(c in t for t in terms):  # summed out in x_i only: broadcast back
                terms.append(c)
                consts.append(("ones", self.sizes[c]))
        return ",".join(terms) + "->" + "".join(target), consts


def _same_dtype(tensors):
    dtypes = {t.data.dtype for t in tensors}
    if len(dtypes) <= 1:
        return tensors
    from .arithmetic import _promote_types

    dtype = functools.reduce(_promote_types, dtypes)
    return [t.to(dtype) for t in tensors]


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, as ``torch.einsum``: multiply the operands along the letters of
    ``equation`` and sum the letters missing from the output.

    Without '->' the output holds the letters that appear once, in alphabetical order;
    '...' stands for broadcast batch dimensions; a letter repeated in one operand takes its
    diagonal. Operands may also be given as one list.

        einsum("bij,bjk->bik", a, b)   # batched matmul
        einsum("ii", m)                # trace
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    xs = _same_dtype([as_tensor(x) for x in operands])
    subs, out, sizes, squeeze = _plan(equation, [x.shape for x in xs])
    xs = [x if s is None else x.reshape(s) for x, s in zip(xs, squeeze)]
    return Einsum(tuple(subs), out, sizes)(*xs)


# ------------------------------------------------------------------ built on einsum
def _axes(dims, ndim, which, op="tensordot"):
    dims = [dims] if isinstance(dims, int) else [int(d) for d in dims]
    out = []
    for d in dims:
        if not -ndim <= d < ndim:
            raise ValueError(f"{op}: dim {d} is out of range for {which} with {ndim} dimension(s)")
        out.append(d % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dims {dims} of {which} repeat a dimension")
    return out


def tensordot(a, b, dims=2) -> Tensor:
    """Contract ``dims`` dimensions of a with as many of b, as ``torch.tensordot``: an int n
    pairs a's last n dims with b's first n; a pair of lists ``([1, 0], [0, 1])`` names them.
    The result has a's free dims, then b's. ``tensordot(a, b, 1)`` of matrices is a @ b."""
    a, b = as_tensor(a), as_tensor(b)
    if isinstance(dims, int):
        if dims < 0:
            raise ValueError(f"tensordot: expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise ValueError(
                f"tensordot: dims={dims} is more than the dimensions of shapes "
                f"{a.shape} and {b.shape}"
            )
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        if len(dims) != 2:
            raise ValueError(f"tensordot: dims must be an int or a pair of lists, got {dims}")
        da, db = _axes(dims[0], a.ndim, "a"), _axes(dims[1], b.ndim, "b")
        if len(da) != len(db):
            raise ValueError(f"tensordot: both dim lists should have the same length, got {dims}")
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise ValueError(
                f"tensordot: contracted dimensions need to match, but a (shape {a.shape}) has "
                f"size {a.shape[i]} in dim {i} and b (shape {b.shape}) has size {b.shape[j]} "
                f"in dim {j}"
            )
    if a.ndim + b.ndim - len(da) > len(_LETTERS):
        raise ValueError(f"tensordot: shapes {a.shape} and {b.shape} have too many dimensions")
    letters = iter(_LETTERS)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [None] * b.ndim
    for i, j in zip(da, db):
        sb[j] = sa[i]
    sb = [c or next(letters) for c in sb]
    out = [c for k, c in enumerate(sa) if k not in da] + [
        c for k, c in enumerate(sb) if k not in db
    ]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


def kron(a, b) -> Tensor:
    """Kronecker product, as ``torch.kron``: y[i·m + k, ...] = a[i, ...] · b[k, ...], the
    shorter shape padded with leading 1s; shapes (n, p) and (m, q) give (n·m, p·q)."""
    a, b = as_tensor(a), as_tensor(b)
    n = max(a.ndim, b.ndim)
    sa = (1,) * (n - a.ndim) + a.shape
    sb = (1,) * (n - b.ndim) + b.shape
    # a as (n0, 1, n1, 1, ...), b as (1, m0, 1, m1, ...): their product interleaves the dims
    y = a.reshape(sum(((d, 1) for d in sa), ())) * b.reshape(sum(((1, d) for d in sb), ()))
    return y.reshape(tuple(p * q for p, q in zip(sa, sb)))


__all__ = ["einsum", "tensordot", "kron"]
