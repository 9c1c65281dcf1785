"""cr.viz.draw_graph: the DOT text is checked structurally and against closed-form numbers."""

import re
import shutil

import numpy as np
import pytest

import chainrule as cr

NODE = re.compile(r'^\s*(n\d+) \[label="((?:[^"\\]|\\.)*)"')
EDGE = re.compile(r"^\s*(n\d+) -> (n\d+)$")


def parse(source):
    """The DOT text as ({node id: label lines}, [(src, dst)]); fails on any other line."""
    lines = source.strip().splitlines()
    assert lines[0] == "digraph {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if m := NODE.match(line):
            assert m[1] not in nodes, f"node {m[1]} declared twice"
            nodes[m[1]] = m[2].split("\\n")
        elif m := EDGE.match(line):
            edges.append((m[1], m[2]))
        else:
            assert re.match(r"^\s*(graph|node) \[", line), line
    for a, b in edges:
        assert a in nodes and b in nodes, f"edge {a} -> {b} has an undeclared end"
    return nodes, edges


def g4(a):
    """An array printed the way the labels print it, written out here independently."""
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{float(a):.4g}"
    return "[" + ", ".join(g4(r) for r in a) + "]"


W0 = np.array([[0.5, -1.0, 2.0], [0.25, 0.75, -0.5]])
X0 = np.array([1.0, 2.0, -3.0])
B0 = np.array([0.1, -0.2])


def build():
    W = cr.tensor(W0, dtype=cr.float64, requires_grad=True)
    x = cr.tensor(X0, dtype=cr.float64, requires_grad=True)
    b = cr.tensor(B0, dtype=cr.float64, requires_grad=True)
    z = W @ x + b
    y = z.sigmoid().sum()
    return W, x, b, z, y


def test_sigmoid_affine_graph_structure_and_numbers():
    W, x, b, z, y = build()
    z.retain_grad()
    params = {"W": W, "x": x, "b": b}
    nodes, edges = parse(cr.viz.draw_graph(y, params=params).source)

    # 4 Functions (MatMul, Add, Sigmoid, Sum) + 3 leaves
    assert len(nodes) == 7
    heads = sorted(lines[0] for lines in nodes.values())
    assert heads == ["Add", "MatMul", "Sigmoid", "Sum", "W", "b", "x"]
    named = {lines[0]: nid for nid, lines in nodes.items()}
    flow = {(nodes[a][0], nodes[b_][0]) for a, b_ in edges}
    assert flow == {
        ("W", "MatMul"),
        ("x", "MatMul"),
        ("MatMul", "Add"),
        ("b", "Add"),
        ("Add", "Sigmoid"),
        ("Sigmoid", "Sum"),
    }
    assert len(edges) == 6

    # forward values, closed form in NumPy
    m = W0 @ X0
    z0 = m + B0
    s = 1 / (1 + np.exp(-z0))
    assert nodes[named["W"]] == ["W", "(2, 3)", "value " + g4(W0)]
    assert nodes[named["MatMul"]] == ["MatMul", "(2,)", "value " + g4(m)]
    assert nodes[named["Add"]] == ["Add", "(2,)", "value " + g4(z0)]
    assert nodes[named["Sigmoid"]] == ["Sigmoid", "(2,)", "value " + g4(s)]
    assert nodes[named["Sum"]] == ["Sum", "()", "value " + g4(s.sum())]

    # after backward: dL/dz = s(1 - s); dL/dW = outer(dz, x); dL/dx = W^T dz; dL/db = dz
    y.backward(retain_graph=True)
    nodes, _ = parse(cr.viz.draw_graph(y, params=params).source)
    named = {lines[0]: nid for nid, lines in nodes.items()}
    dz = s * (1 - s)
    assert nodes[named["W"]][3] == "grad " + g4(np.outer(dz, X0))
    assert nodes[named["x"]][3] == "grad " + g4(W0.T @ dz)
    assert nodes[named["b"]][3] == "grad " + g4(dz)
    assert nodes[named["Add"]][3] == "grad " + g4(dz)  # retained
    assert len(nodes[named["Sigmoid"]]) == 3  # not retained: no grad shown


def test_leaves_without_params_constants_and_large_tensors():
    a = cr.ones(3, 4, requires_grad=True)  # 12 elements: shape only
    c = cr.ones(3, 4)  # needs no grad: not drawn
    nodes, edges = parse(cr.viz.draw_graph((a * c * 2.0).sum()).source)
    assert sorted(v[0] for v in nodes.values()) == ["Mul", "Mul", "Sum", "leaf"]
    leaf = next(v for v in nodes.values() if v[0] == "leaf")
    assert leaf == ["leaf", "(3, 4)"]
    assert len(edges) == 3


def test_shared_node_visited_once():
    x = cr.tensor([0.5], requires_grad=True)
    e = x.exp()
    nodes, edges = parse(cr.viz.draw_graph(e * e + e).source)
    assert sorted(v[0] for v in nodes.values()) == ["Add", "Exp", "Mul", "leaf"]
    ids = {v[0]: k for k, v in nodes.items()}
    assert edges.count((ids["Exp"], ids["Mul"])) == 2
    assert edges.count((ids["Exp"], ids["Add"])) == 1


def test_deterministic():
    *_, y = build()
    first = cr.viz.draw_graph(y).source
    assert cr.viz.draw_graph(y).source == first
    *_, y2 = build()
    assert cr.viz.draw_graph(y2).source == first


def test_deep_chain_is_iterative():
    x = cr.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y + 1.0
    g = cr.viz.draw_graph(y)
    assert g.num_nodes == 10_001 and g.num_edges == 10_000
    assert "value " + g4([10_001.0]) in g.source.split("\n")[3]  # the root comes first


def test_freed_graph_raises():
    *_, y = build()
    y.backward()
    with pytest.raises(RuntimeError, match="freed by backward.*retain_graph=True"):
        cr.viz.draw_graph(y)


def test_render_without_dot_says_what_to_install(tmp_path, monkeypatch):
    *_, y = build()
    g = cr.viz.draw_graph(y)
    monkeypatch.setattr(cr.viz.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match=r"pip install chainrule\[viz\]"):
        g.render(tmp_path / "g.svg")
    assert g.render(tmp_path / "g.dot") == str(tmp_path / "g.dot")  # DOT needs no Graphviz
    assert (tmp_path / "g.dot").read_text() == str(g)


def test_render_svg(tmp_path):
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    *_, y = build()
    out = cr.viz.draw_graph(y).render(tmp_path / "g.svg")
    assert "<svg" in open(out).read()
