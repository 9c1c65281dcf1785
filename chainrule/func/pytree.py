"""Pytrees: leaves nested in tuples, lists and dicts, flattened to a list and a spec that
rebuilds them (the arguments, in_dims and results of the transforms)."""

from __future__ import annotations


# ---------------------------------------------------------------- pytrees
def _flatten(tree):
    """(leaves, spec): the leaves of nested tuples, lists and dicts, left to right, and the
    spec that ``_unflatten`` rebuilds the containers from. A spec is None for a leaf."""
    leaves = []

    def walk(t):
        if isinstance(t, (tuple, list)):
            return (type(t), len(t), [walk(c) for c in t])
        if isinstance(t, dict):
            return (type(t), list(t), [walk(c) for c in t.values()])
        leaves.append(t)
        return None

    return leaves, walk(tree)


def _unflatten(leaves, spec):
    it = iter(leaves)

    def build(s):
        if s is None:
            return next(it)
        kind, keys, children = s
        items = [build(c) for c in children]
        if issubclass(kind, dict):
            return kind(zip(keys, items))
        if kind is tuple or kind is list:
            return kind(items)
        if hasattr(kind, "_fields"):  # a namedtuple
            return kind(*items)
        return kind(items)

    return build(spec)


def _describe(spec) -> str:
    """A spec as the containers it stands for, with * for each leaf: ``(*, {'s': *})``."""
    if spec is None:
        return "*"
    return repr(_unflatten([_Star()] * _count(spec), spec))


class _Star:
    def __repr__(self):
        return "*"


def _broadcast_prefix(prefix, spec, what):
    """One value per leaf of ``spec``: ``prefix`` is a value for the whole tree, or a tree of
    the same containers down to where it holds one value for each subtree."""
    if spec is None or not isinstance(prefix, (tuple, list, dict)):
        if isinstance(prefix, (tuple, list, dict)):
            raise ValueError(f"{what}: got {prefix!r} where the structure holds a single leaf")
        return [prefix] * _count(spec)
    kind, keys, children = spec
    if isinstance(prefix, dict) != issubclass(kind, dict) or (
        isinstance(prefix, dict) and set(prefix) != set(keys)
    ):
        raise ValueError(f"{what}: {prefix!r} does not match the structure {_describe(spec)}")
    if not isinstance(prefix, dict) and len(prefix) != len(children):
        raise ValueError(
            f"{what}: {prefix!r} has {len(prefix)} entries but the structure "
            f"{_describe(spec)} has {len(children)}"
        )
    subs = [prefix[k] for k in keys] if isinstance(prefix, dict) else list(prefix)
    out = []
    for p, c in zip(subs, children):
        out += _broadcast_prefix(p, c, what)
    return out


def _count(spec) -> int:
    return 1 if spec is None else sum(_count(c) for c in spec[2])
