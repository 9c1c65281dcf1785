"""Backpropagation, shown with its numbers: ``cr.explain(loss)`` and ``chainrule explain``.

For one training step of a small graph it lists, in order:

1. forward: every node's value (inputs, parameters, then each op in the order it ran);
2. the loss;
3. backward, from the loss down: for each op ``y = f(..., x, ...)`` the upstream gradient
   ∂L/∂y, the local partial ∂y/∂x and their product, x's share of ∂L/∂x = ∂L/∂y · ∂y/∂x; a
   tensor that feeds several ops gets the sum of its shares;
4. the update of each parameter: w_new = w_old − α·∂L/∂w.

    w = cr.tensor([[0.1], [0.2], [0.3]], requires_grad=True)
    x, y = cr.tensor([1.0, 2.0, 3.0]), cr.tensor([5.0])
    print(cr.explain(((x @ w - y) ** 2).mean(), {"w": w}, lr=0.01))

The local partials come from the ops themselves: ``fn.backward(e_i)`` with a one-hot upstream
``e_i`` is row i of the Jacobian ∂y/∂x (a vector-Jacobian product), so any op works, not only
ones this file knows. ``explain`` then runs ``loss.backward()`` once, so the leaves' ``.grad``
end as that call leaves them; the weights themselves change only with ``apply=True``.

How a local partial ∂y/∂x prints: a number when y and x are single numbers; ``diag [...]``
when the op is element-wise (Jacobian diagonal: ∂L/∂x = ∂L/∂y ⊙ diag, in x's shape);
in x's shape when y is a single number; in y's shape when x is; otherwise the full Jacobian,
one row per element of y and one column per element of x (both flattened in C order).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import NamedTuple

from . import backend
from .autograd import no_grad
from .tensor import Tensor

np = backend.np

MAX_NODES = 40  # ops plus leaf tensors
MAX_ELEMENTS = 16  # per tensor
MAX_JACOBIAN = 64  # numbers in a local partial that is not diagonal
DIGITS = 6  # significant digits of every printed number


# ---------------------------------------------------------------- the structured result
@dataclass
class Node:
    """One node of the forward pass: a leaf tensor or the output of an op."""

    name: str
    kind: str  # "input" (no grad), "parameter" (updated), "leaf" (grad, not updated), "op"
    value: np.ndarray
    op: str | None = None  # the Function's name, e.g. "Sigmoid"
    args: tuple = ()  # the inputs' names (constants as numbers)

    @property
    def definition(self) -> str:
        return f"{self.op}({', '.join(self.args)})" if self.op else self.kind


@dataclass
class Partial:
    """One chain-rule step: x's share of ∂L/∂x through the op that made y."""

    output: str  # y
    input: str  # x
    op: str
    upstream: np.ndarray  # ∂L/∂y, y's shape
    jacobian: np.ndarray  # ∂y/∂x, (y.size, x.size)
    product: np.ndarray  # ∂L/∂y · ∂y/∂x, x's shape
    x_shape: tuple = ()
    shared: bool = False  # x feeds several ops: this is one share of ∂L/∂x (see GradSum)


@dataclass
class GradSum:
    """∂L/∂x of a tensor that feeds several ops: the sum of the shares from each."""

    name: str
    parts: list  # (consumer's output name, share)
    total: np.ndarray


@dataclass
class Update:
    name: str
    old: np.ndarray
    grad: np.ndarray
    new: np.ndarray


@dataclass
class Explanation:
    """One step of backprop: ``nodes`` (forward), ``loss``, ``backward`` (``Partial`` and
    ``GradSum`` entries from the loss down), ``updates`` and ``grads`` (name → ∂L/∂leaf).
    ``str()`` / ``.table()`` is the terminal text; ``.markdown()`` a Markdown document."""

    nodes: list
    loss: float
    backward: list
    updates: list
    lr: float
    grads: dict = field(default_factory=dict)
    title: str = "one training step"

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"<Explanation: {len(self.nodes)} nodes, loss {_num(self.loss)}; print() it>"

    def table(self) -> str:
        return _render(self, markdown=False)

    def markdown(self) -> str:
        return _render(self, markdown=True)


# ---------------------------------------------------------------- explain
def explain(
    loss: Tensor,
    params: dict | None = None,
    lr: float = 0.1,
    *,
    names: dict | None = None,
    apply: bool = False,
    retain_graph: bool = False,
    title: str = "one training step",
    max_nodes: int = MAX_NODES,
    max_elements: int = MAX_ELEMENTS,
) -> Explanation:
    """Explain one gradient-descent step on ``loss`` (a one-element tensor with a graph).

    ``params`` maps names to the leaf tensors the step updates (``dict(m.named_parameters())``);
    without it every leaf that requires grad is updated. ``names`` labels any other tensor of
    the graph (inputs, intermediate values). Unnamed leaves print as x0, x1, ..., unnamed op
    outputs as v1, v2, ..., the loss as L.

    Runs ``loss.backward(retain_graph=retain_graph)`` after reading the graph, so ``.grad`` is
    what that call gives; the parameters change (w ← w − lr·∂L/∂w) only with ``apply=True``.
    A graph of more than ``max_nodes`` nodes, or with a tensor of more than ``max_elements``
    elements, raises ValueError: it would not print legibly.
    """
    if not isinstance(loss, Tensor):
        raise TypeError(f"explain: loss must be a Tensor, got {type(loss).__name__}")
    if not isinstance(lr, (int, float)) or not np.isfinite(lr):
        raise ValueError(f"explain: lr must be a finite number, got {lr!r}")
    if loss.grad_fn is None:
        raise ValueError(
            f"explain: the loss (shape {tuple(loss.shape)}) has no graph: it was not computed "
            "from tensors with requires_grad=True (or it was computed under no_grad)"
        )
    if loss.data.size != 1:
        raise ValueError(
            f"explain: the loss must be one number, got shape {tuple(loss.shape)}; "
            "reduce it first (e.g. .mean())"
        )
    fns, leaves, out_of = _walk(loss)
    n = len(fns) + len(leaves)
    if n > max_nodes:
        raise ValueError(
            f"explain: the graph has {n} nodes ({len(fns)} ops, {len(leaves)} leaf tensors); "
            f"at most {max_nodes} print legibly. Explain a smaller model or expression "
            "(e.g. `chainrule explain net221`, or one layer and one sample of yours)"
        )
    label = _Labels(params, names, loss)
    nodes = _forward_nodes(fns, leaves, out_of, label, params, max_elements)
    entries, grads = _backward_entries(fns, out_of, label, loss)
    updated = [t for t in leaves if _updated(t, params)]
    updates = []
    for t in updated:
        g = grads.get(id(t), np.zeros(t.shape))
        old = _f64(t.data)
        updates.append(Update(label(t), old, g, old - lr * g))
    loss.backward(retain_graph=retain_graph)
    if apply:
        with no_grad():
            for t, u in zip(updated, updates):
                t -= Tensor(u.grad.astype(t.data.dtype) * lr)
    return Explanation(
        nodes=nodes,
        loss=float(_f64(loss.data).reshape(-1)[0]),
        backward=entries,
        updates=updates,
        lr=float(lr),
        grads={label(t): grads[id(t)] for t in leaves if id(t) in grads},
        title=title,
    )


def _f64(a) -> np.ndarray:
    return np.array(a, dtype=np.float64)


def _updated(t: Tensor, params: dict | None) -> bool:
    if params is None:
        return t.requires_grad
    return any(p is t for p in params.values())


def _walk(loss: Tensor):
    """The graph's ops in recording order, its leaf tensors in order of first use, and each
    op's output tensor (``out_of``: id(fn) → Tensor)."""
    out_of = {id(loss.grad_fn): loss}
    fns, seen, stack = [], {id(loss.grad_fn)}, [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if fn._freed:
            raise RuntimeError(
                f"explain: the graph was freed by an earlier backward (reached {fn.name}); "
                "call explain before backward, or use backward(retain_graph=True)"
            )
        fns.append(fn)
        for x, g in zip(fn.inputs, fn._fns):
            if g is not None and id(g) not in seen:
                seen.add(id(g))
                out_of[id(g)] = x
                stack.append(g)
    fns.sort(key=lambda f: f._seq)
    leaves, seen_leaves = [], set()
    for fn in fns:
        for x, g in zip(fn.inputs, fn._fns):
            if isinstance(x, Tensor) and g is None and id(x) not in seen_leaves:
                seen_leaves.add(id(x))
                leaves.append(x)
    return fns, leaves, out_of


class _Labels:
    """Names for the graph's tensors: given ones first, then x0.. (leaves), v1.. (ops)."""

    def __init__(self, params, names, loss):
        self.names = {}
        for mapping in (names or {}, params or {}):
            for k, t in mapping.items():
                self.names.setdefault(id(t), str(k))
        self.names.setdefault(id(loss), "L")
        self.taken = set(self.names.values())
        self.count = {"x": 0, "v": 1}
        self.keep = []  # hold labelled tensors so their ids stay theirs

    def __call__(self, t: Tensor) -> str:
        if id(t) not in self.names:
            prefix = "x" if t.grad_fn is None else "v"
            while f"{prefix}{self.count[prefix]}" in self.taken:
                self.count[prefix] += 1
            self.names[id(t)] = f"{prefix}{self.count[prefix]}"
            self.taken.add(self.names[id(t)])
            self.count[prefix] += 1
            self.keep.append(t)
        return self.names[id(t)]


def _forward_nodes(fns, leaves, out_of, label, params, max_elements) -> list:
    def checked(name: str, what: str, t: Tensor) -> np.ndarray:
        if t.data.size > max_elements:
            raise ValueError(
                f"explain: {name} = {what} has shape {tuple(t.shape)} ({t.data.size} elements); "
                f"at most {max_elements} per tensor print legibly. Explain a smaller model "
                "(fewer features or units, one sample)"
            )
        return _f64(t.data)

    nodes = []
    for t in leaves:
        kind = "parameter" if _updated(t, params) else ("leaf" if t.requires_grad else "input")
        nodes.append(Node(label(t), kind, checked(label(t), kind, t)))
    for fn in fns:
        y = out_of[id(fn)]
        args = tuple(label(x) if isinstance(x, Tensor) else _const(x) for x in fn.inputs)
        node = Node(label(y), "op", None, fn.name, args)
        node.value = checked(node.name, node.definition, y)
        nodes.append(node)
    return nodes


def _const(x) -> str:
    return _num(float(x)) if isinstance(x, (int, float, np.number)) else type(x).__name__


def _backward_entries(fns, out_of, label, loss):
    """Walk the ops from the last one recorded: the chain rule, one input at a time."""
    shares: dict = {id(loss): [("", np.ones(loss.shape))]}  # id(tensor) → [(via, share)]
    uses: dict = {}  # id(tensor) → how many shares of ∂L/∂tensor there will be
    for fn in fns:
        for x, need in zip(fn.inputs, fn.needs_input_grad):
            if need:
                uses[id(x)] = uses.get(id(x), 0) + 1
    entries, grads = [], {}
    for fn in reversed(fns):
        y = out_of[id(fn)]
        gy = _total(y, shares, label, entries)
        grads[id(y)] = gy
        for j, (x, need) in enumerate(zip(fn.inputs, fn.needs_input_grad)):
            if not need:
                continue
            J = _jacobian(fn, y, j, x)
            if J.size > MAX_JACOBIAN and not _is_diagonal(J):
                raise ValueError(
                    f"explain: the local partial ∂{label(y)}/∂{label(x)} of {fn.name} is a "
                    f"{J.shape[0]}×{J.shape[1]} Jacobian; at most {MAX_JACOBIAN} numbers print "
                    "legibly. Explain a smaller model"
                )
            share = (gy.reshape(-1) @ J).reshape(x.shape)
            shared = uses[id(x)] > 1
            entries.append(
                Partial(label(y), label(x), fn.name, gy, J, share, tuple(x.shape), shared)
            )
            shares.setdefault(id(x), []).append((label(y), share))
    leaf_ids = {id(x) for fn in fns for x in fn.inputs if isinstance(x, Tensor)}
    leaf_ids -= {id(t) for t in out_of.values()}
    for fn in fns:
        for x in fn.inputs:
            if id(x) in leaf_ids and id(x) in shares and id(x) not in grads:
                grads[id(x)] = _total(x, shares, label, entries)
    return entries, grads


def _total(t, shares, label, entries) -> np.ndarray:
    parts = shares.pop(id(t))
    total = parts[0][1]
    for _, s in parts[1:]:
        total = total + s
    if len(parts) > 1:
        entries.append(GradSum(label(t), parts, total))
    return total


def _jacobian(fn, y: Tensor, j: int, x: Tensor) -> np.ndarray:
    """∂y/∂x as a (y.size, x.size) matrix: row i is fn.backward(e_i)[j] for one-hot e_i."""
    J = np.zeros((y.data.size, x.data.size))
    for i in range(y.data.size):
        e = np.zeros(y.data.size, dtype=y.data.dtype)
        e[i] = 1
        gxs = fn.backward(e.reshape(y.shape))
        gx = gxs[j] if isinstance(gxs, tuple) else gxs
        if gx is not None:
            J[i] = np.broadcast_to(_f64(gx), x.shape).reshape(-1)
    return J


def _is_diagonal(J: np.ndarray) -> bool:
    """Element-wise (up to a reshape): square, more than one row, ∂y_i/∂x_k = 0 for i ≠ k."""
    if J.shape[0] != J.shape[1] or J.shape[0] < 2:
        return False
    return not (J - np.diag(np.diag(J))).any()


# ---------------------------------------------------------------- the presets
class Problem(NamedTuple):
    """A loss with its parameters, labels and learning rate: what ``explain`` needs."""

    loss: Tensor
    params: dict
    lr: float
    names: dict
    title: str

    def explain(self, **kw) -> Explanation:
        kw.setdefault("lr", self.lr)
        return explain(self.loss, self.params, names=self.names, title=self.title, **kw)


def neuron(lr: float = 0.01) -> Problem:
    """The seed's single neuron: x = [1, 2, 3], y = [5], ŷ = x·w with w = [0.1, 0.2, 0.3]ᵀ
    (3, 1), L = mean((ŷ − y)²); so ŷ = 1.4, L = 12.96, ∂L/∂w = 2(ŷ − y)·x = [−7.2, −14.4, −21.6]."""
    f64 = backend.float64
    x = Tensor(np.array([1.0, 2.0, 3.0]), dtype=f64)
    w = Tensor(np.array([[0.1], [0.2], [0.3]]), dtype=f64, requires_grad=True)
    y = Tensor(np.array([5.0]), dtype=f64)
    y_hat = x @ w
    e = y_hat - y
    sq = e**2
    loss = sq.mean()
    names = {"x": x, "y": y, "ŷ": y_hat, "e": e, "sq": sq}
    return Problem(loss, {"w": w}, lr, names, "the seed's neuron: ŷ = x·w, L = mean((ŷ − y)²)")


def net221(lr: float = 0.5) -> Problem:
    """A 2-2-1 sigmoid network with MSE loss, the numbers of Matt Mazur's worked example
    ("A step by step backpropagation example", its first output only):

        x = [0.05, 0.10], y = [0.01], W1 = [[0.15, 0.25], [0.20, 0.30]], b1 = [0.35, 0.35],
        W2 = [[0.40], [0.45]], b2 = [0.60];  h = σ(x·W1 + b1), ŷ = σ(h·W2 + b2),
        L = mean((ŷ − y)²).

    W1[i, j] weighs input i into hidden unit j."""
    f64 = backend.float64
    x = Tensor(np.array([0.05, 0.10]), dtype=f64)
    y = Tensor(np.array([0.01]), dtype=f64)
    W1 = Tensor(np.array([[0.15, 0.25], [0.20, 0.30]]), dtype=f64, requires_grad=True)
    b1 = Tensor(np.array([0.35, 0.35]), dtype=f64, requires_grad=True)
    W2 = Tensor(np.array([[0.40], [0.45]]), dtype=f64, requires_grad=True)
    b2 = Tensor(np.array([0.60]), dtype=f64, requires_grad=True)
    a1 = x @ W1
    z1 = a1 + b1
    h = z1.sigmoid()
    a2 = h @ W2
    z2 = a2 + b2
    y_hat = z2.sigmoid()
    e = y_hat - y
    sq = e**2
    loss = sq.mean()
    names = {"x": x, "y": y, "a1": a1, "z1": z1, "h": h, "a2": a2, "z2": z2, "ŷ": y_hat}
    names.update(e=e, sq=sq)
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    return Problem(loss, params, lr, names, "a 2-2-1 sigmoid network, MSE loss")


PRESETS = {"neuron": neuron, "net221": net221}


def preset(name: str, lr: float | None = None) -> Problem:
    """The preset ``name`` (``neuron`` or ``net221``), at its own lr unless one is given."""
    if name not in PRESETS:
        raise ValueError(f"unknown model {name!r}; valid names: {', '.join(PRESETS)}")
    return PRESETS[name]() if lr is None else PRESETS[name](lr)


# ---------------------------------------------------------------- printing
def _num(v: float) -> str:
    return f"{float(v) + 0.0:.{DIGITS}g}"  # + 0.0 turns −0 into 0


def _array(a, markdown: bool) -> str:
    """A number, a vector ``[a, b]``, or a matrix; in the terminal a matrix takes one line
    per row, columns aligned."""
    a = np.asarray(a)
    if a.ndim == 0:
        return _num(a)
    if a.ndim == 1:
        return "[" + ", ".join(_num(v) for v in a) + "]"
    if a.ndim == 2 and not markdown:
        cells = [[_num(v) for v in row] for row in a]
        widths = [max(len(r[k]) for r in cells) for k in range(a.shape[1])]
        rows = [", ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
        return "\n".join(("[[" if i == 0 else " [") + r + "]" for i, r in enumerate(rows)) + "]"
    return "[" + ", ".join(_array(r, True) for r in a) + "]"


def _local(p: Partial, markdown: bool) -> str:
    J, n_out, n_in = p.jacobian, p.jacobian.shape[0], p.jacobian.shape[1]
    if n_out == 1 and n_in == 1:
        return _num(J[0, 0])
    if _is_diagonal(J):
        return "diag " + _array(np.diag(J), markdown)
    if n_out == 1:
        return _array(J.reshape(p.x_shape), markdown)
    if n_in == 1:
        return _array(J.reshape(p.upstream.shape), markdown)
    return _array(J, markdown)


def _shape(v: np.ndarray) -> str:
    return str(tuple(v.shape))


def _render(ex: Explanation, markdown: bool) -> str:
    arr = lambda a: _array(a, markdown)  # noqa: E731
    forward = [[n.name, n.definition, _shape(n.value), arr(n.value)] for n in ex.nodes]
    backward = []
    for e in ex.backward:
        if isinstance(e, GradSum):
            rule = f"∂L/∂{e.name} = " + " + ".join(f"(via {via})" for via, _ in e.parts)
            parts = (" + " if markdown else "\n+ ").join(arr(s) for _, s in e.parts)
            backward.append([rule, "", parts, arr(e.total)])
        else:
            via = f" (via {e.output})" if e.shared else ""
            rule = f"∂L/∂{e.input}{via} = ∂L/∂{e.output} · ∂{e.output}/∂{e.input}"
            backward.append([rule, arr(e.upstream), _local(e, markdown), arr(e.product)])
    updates = [[u.name, arr(u.old), arr(u.grad), arr(u.new)] for u in ex.updates]
    heads = (
        ["node", "definition", "shape", "value"],
        ["chain rule", "∂L/∂y (upstream)", "∂y/∂x (local)", "∂L/∂x"],
        ["parameter", "w_old", "∂L/∂w", f"w_new = w_old − {_num(ex.lr)}·∂L/∂w"],
    )
    titles = (
        "Forward: every node's value, in the order computed",
        "Backward: from L down, ∂L/∂x = ∂L/∂y · ∂y/∂x (∂L/∂L = 1)",
        f"Update: w_new = w_old − α·∂L/∂w, α = {_num(ex.lr)}",
    )
    top = f"Backpropagation, {ex.title}"
    loss_line = f"Loss: L = {_num(ex.loss)}"
    if markdown:
        out = [f"# {top}", "", f"## 1. {titles[0]}", ""]
        out += [_md_table(heads[0], forward, {3}), "", f"## 2. {loss_line}", ""]
        out += [f"## 3. {titles[1]}", "", _md_table(heads[1], backward, {1, 2, 3}), ""]
        out += [f"## 4. {titles[2]}", "", _md_table(heads[2], updates, {1, 2, 3}), ""]
        return "\n".join(out)
    out = [top, "", f"1. {titles[0]}", _text_table(heads[0], forward), ""]
    out += [f"2. {loss_line}", "", f"3. {titles[1]}", _text_table(heads[1], backward), ""]
    out += [f"4. {titles[2]}", _text_table(heads[2], updates)]
    return "\n".join(out) + "\n"


def _text_table(head: list, rows: list, indent: str = "  ") -> str:
    """Aligned columns; a cell may span several lines (a matrix)."""
    cells = [[c.split("\n") for c in row] for row in [head] + rows]
    widths = [max(len(line) for row in cells for line in row[k]) for k in range(len(head))]
    lines = []
    for r, row in enumerate(cells):
        for i in range(max(len(c) for c in row)):
            parts = [(c[i] if i < len(c) else "").ljust(w) for c, w in zip(row, widths)]
            lines.append((indent + "  ".join(parts)).rstrip())
        if r == 0:
            lines.append(indent + "  ".join("─" * w for w in widths))
    return "\n".join(lines)


def _md_table(head: list, rows: list, numeric: set) -> str:
    """A Markdown table; the ``numeric`` columns' cells in code spans."""

    def cell(k: int, c: str) -> str:
        c = c.replace("|", "\\|")
        return f"`{c}`" if c and k in numeric else c

    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(k, c) for k, c in enumerate(row)) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------- the command line
def add_cli(sub) -> None:
    """Add ``chainrule explain [MODEL] [--format F] [--lr A] [--graph PATH] [--out PATH]``."""
    from .cli import _pos_float

    p = sub.add_parser("explain", help="one backprop step with every number (net221 default)")
    p.add_argument("model", nargs="?", default="net221", help=f"one of {', '.join(PRESETS)}")
    p.add_argument("--format", choices=["table", "markdown"], default="table")
    p.add_argument("--lr", type=_pos_float, help="the step size α (default: the model's)")
    p.add_argument("--graph", metavar="PATH", help="draw the graph: .svg/.png/.pdf, or .dot")
    p.add_argument("--out", metavar="PATH", help="write the text there instead of stdout")
    p.set_defaults(handler=_cmd_explain)


def _cmd_explain(args) -> int:
    from . import viz
    from .cli import CLIError

    try:
        problem = preset(args.model, args.lr)
    except ValueError as e:
        raise CLIError(str(e)) from None
    graph_fmt = None
    if args.graph is not None:
        graph_fmt = os.path.splitext(args.graph)[1].lstrip(".").lower()
        if not graph_fmt:
            raise CLIError(f"--graph {args.graph}: give a suffix (.svg, .png, .pdf or .dot)")
    ex = problem.explain(retain_graph=args.graph is not None)
    text = ex.markdown() if args.format == "markdown" else ex.table()
    if args.out is None:
        sys.stdout.write(text)
    else:
        _write(args.out, text, "--out", CLIError)
        print(f"wrote {args.out}")
    if args.graph is not None:
        g = viz.draw_graph(problem.loss, params={**problem.names, **problem.params})
        if graph_fmt in ("dot", "gv"):
            _write(args.graph, g.source, "--graph", CLIError)
            print(f"wrote {args.graph}")
            return 0
        try:
            g.render(args.graph)
        except RuntimeError:
            dot = os.path.splitext(args.graph)[0] + ".dot"
            _write(dot, g.source, "--graph", CLIError)
            print(
                f"chainrule explain: Graphviz is missing, so {args.graph} was not drawn; wrote "
                f"the DOT source to {dot}. To draw: pip install chainrule[viz] and apt install "
                "graphviz (macOS: brew install graphviz)",
                file=sys.stderr,
            )
            return 0
        except OSError as e:
            raise CLIError(f"--graph {args.graph}: can't write there ({e.strerror or e})") from None
        print(f"wrote {args.graph}")
    return 0


def _write(path: str, text: str, option: str, error) -> None:
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise error(f"{option} {path}: can't write there ({e.strerror or e})") from None
