"""Drawing the recorded graph: ``cr.viz.draw_graph(y)`` gives its Graphviz DOT source.

One node per op (a ``Function``) and one per leaf that requires grad; edges run the way data
flows in the forward pass, from each input to the op that consumes it. Each node shows the op
(or the leaf's name), the shape and, for tensors of at most 8 elements, the value and the
gradient when it is known: leaves after backward, non-leaves only after ``retain_grad()``.

    y = (w @ x + b).sigmoid()
    g = cr.viz.draw_graph(y, params={"w": w, "b": b})
    print(g.source)            # DOT text; no Graphviz needed
    g.render("graph.svg")      # needs `pip install chainrule[viz]` and Graphviz's `dot`

backward frees the graph it walks, so draw before backward, or call
``backward(retain_graph=True)`` to draw afterwards with the gradients filled in.
"""

from __future__ import annotations

import os
import shutil

from . import backend
from .tensor import Tensor

SMALL = 8  # tensors with at most this many elements show their numbers


def fmt(a) -> str:
    """How labels print an array: every number as ``f"{v:.4g}"``, nested in brackets."""
    a = backend.np.asarray(a)
    if a.ndim == 0:
        return _num(a.item())
    return "[" + ", ".join(fmt(r) for r in a) + "]"


def _num(v) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    return f"{v:.4g}"


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _label(head: str, t: Tensor | None) -> str:
    if t is None:  # the op's output is not reachable from here (never happens for a live graph)
        return head
    lines = [head, str(tuple(t.data.shape))]
    if t.data.size <= SMALL:
        lines.append("value " + fmt(t.data))
        if t.grad is not None:
            lines.append("grad " + fmt(t.grad.data))
    return "\n".join(lines)


class Graph:
    """DOT source of a graph, with ``render`` when Graphviz is installed.

    ``str(g)`` and ``g.source`` are the DOT text; ``g.save(path)`` writes it;
    ``g.render("out.svg")`` draws it in the format named by the suffix.
    """

    def __init__(self, source: str, num_nodes: int = 0, num_edges: int = 0):
        self.source = source
        self.num_nodes = num_nodes
        self.num_edges = num_edges

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<Graph: {self.num_nodes} nodes, {self.num_edges} edges; .source is the DOT>"

    def save(self, path: str | os.PathLike) -> str:
        """Write the DOT source to ``path``; returns the path."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.source)
        return str(path)

    def render(self, path: str | os.PathLike) -> str:
        """Draw the graph to ``path``, in the format named by its suffix (``.svg``, ``.png``,
        ``.pdf``, ...). ``.dot`` and ``.gv`` just save the source. Returns the path."""
        fmt_ = os.path.splitext(str(path))[1].lstrip(".").lower()
        if not fmt_:
            raise ValueError(f"render: {str(path)!r} has no suffix to name the format (.svg, .png)")
        if fmt_ in ("dot", "gv"):
            return self.save(path)
        data = _pipe(self.source, fmt_)
        with open(path, "wb") as f:
            f.write(data)
        return str(path)

    def _repr_svg_(self):  # Jupyter: a picture when Graphviz is there, else the text repr
        try:
            return _pipe(self.source, "svg").decode("utf-8")
        except RuntimeError:
            return None


def _pipe(source: str, fmt_: str) -> bytes:
    try:
        import graphviz
    except ImportError:
        graphviz = None
    if graphviz is None or shutil.which("dot") is None:
        missing = "the graphviz Python package" if graphviz is None else "Graphviz's `dot` program"
        raise RuntimeError(
            f"render: drawing needs {missing}; run `pip install chainrule[viz]` and install "
            "Graphviz's `dot` (e.g. `apt install graphviz`), or use .source / .save() for DOT"
        )
    return graphviz.Source(source).pipe(format=fmt_)


def draw_graph(tensor, params: dict | None = None) -> Graph:
    """The graph that produced ``tensor`` (or a sequence of tensors), as Graphviz DOT.

    ``params`` maps names to leaf tensors (``dict(model.named_parameters())``) to label them.
    Node ids follow the walk order (inputs in argument order), so the text is the same on
    every run. The walk is iterative: graphs of any depth are fine.

    Raises RuntimeError if backward has already freed the graph (call draw_graph before
    backward, or use ``backward(retain_graph=True)``).
    """
    roots = [tensor] if isinstance(tensor, Tensor) else list(tensor)
    names = {id(t): name for name, t in (params or {}).items()}

    ids: dict = {}  # id(fn or leaf tensor) -> node id
    keep: list = []  # the objects behind ids, held so no id is reused during the walk
    nodes: list = []  # (node id, object, is_leaf)
    out_of: dict = {}  # id(fn) -> the Tensor it produced
    edges: list = []

    def node(obj, leaf: bool) -> tuple[str, bool]:
        k = id(obj)
        if k in ids:
            return ids[k], False
        ids[k] = f"n{len(ids)}"
        keep.append(obj)
        nodes.append((ids[k], obj, leaf))
        return ids[k], True

    stack = []
    root_ids = []
    for t in roots:
        leaf = t.grad_fn is None
        nid, new = node(t if leaf else t.grad_fn, leaf)
        root_ids.append(nid)
        if not leaf:
            out_of.setdefault(id(t.grad_fn), t)
            if new:
                stack.append(t.grad_fn)
    stack.reverse()  # the first root explored first
    while stack:
        fn = stack.pop()
        if fn._freed:
            raise RuntimeError(
                f"draw_graph: the graph was freed by backward (reached {fn.name}, whose inputs "
                "are gone); call draw_graph before backward, or backward(retain_graph=True)"
            )
        me = ids[id(fn)]
        todo = []
        for x, need, g in zip(fn.inputs, fn.needs_input_grad, fn._fns):
            if not need:  # constants and tensors that need no grad are not drawn
                continue
            if g is None:
                src, _ = node(x, True)
            else:
                out_of.setdefault(id(g), x)
                src, new = node(g, False)
                if new:
                    todo.append(g)
            edges.append((src, me))
        stack.extend(reversed(todo))  # first input explored first

    lines = ["digraph {", "    graph [rankdir=TB]", "    node [shape=box fontname=monospace]"]
    roots_set = set(root_ids)
    for nid, obj, leaf in nodes:
        if leaf:
            text = _label(names.get(id(obj), "leaf"), obj)
            style = "lightblue"
        else:
            r = obj._retain() if obj._retain is not None else None
            text = _label(obj.name, r if r is not None else out_of.get(id(obj)))
            style = "lightgrey"
        if nid in roots_set:
            style = "darkolivegreen1"
        lines.append(f"    {nid} [label={_quote(text)} style=filled fillcolor={style}]")
    for a, b in edges:
        lines.append(f"    {a} -> {b}")
    lines.append("}")
    return Graph("\n".join(lines) + "\n", len(nodes), len(edges))
