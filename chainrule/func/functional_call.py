"""functional_call: call a module with other tensors in place of its parameters and buffers."""

from __future__ import annotations


# ---------------------------------------------------------------- functional_call
def functional_call(
    module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False
):
    """``module(*args, **kwargs)`` with its parameters and buffers replaced, for this call
    only, by the tensors given by name (``{"0.weight": W, ...}``; a dict, or a tuple of dicts
    with distinct keys). The originals are put back afterwards, also when the call raises.

    Names not given keep the module's own tensors (``strict=True``: an error, as are unknown
    names). With ``tie_weights``, a tensor registered under several names (tied weights)
    is replaced under all of them when any one is given.
    """
    from ..nn.module import _edits

    given, names = _merge_dicts(parameter_and_buffer_dicts), {}
    for prefix, m in module.named_modules():
        for where in ("_parameters", "_buffers"):
            for name, t in m.__dict__[where].items():
                if t is not None:
                    names[f"{prefix}.{name}" if prefix else name] = t
    if tie_weights:
        given = _untie(names, given)
    unexpected, missing = sorted(set(given) - set(names)), sorted(set(names) - set(given))
    if strict and (unexpected or missing):
        msgs = [f"Unexpected key(s): {', '.join(map(repr, unexpected))}."] if unexpected else []
        msgs += [f"Missing key(s): {', '.join(map(repr, missing))}."] if missing else []
        raise ValueError(
            f"functional_call: error(s) in reparametrizing for {type(module).__name__}:\n\t"
            + "\n\t".join(msgs)
        )
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    swapped = []  # (submodule, name, "_parameters" / "_buffers" / None, the original)
    try:
        for key, t in given.items():
            owner, _, name = key.rpartition(".")
            m = module.get_submodule(owner) if owner else module
            where = next((w for w in ("_parameters", "_buffers") if name in m.__dict__[w]), None)
            old = m.__dict__[where][name] if where else m.__dict__.get(name, _MISSING)
            swapped.append((m, name, where, old))
            if where:
                m.__dict__[where][name] = t
            object.__setattr__(m, name, t)
        _edits[0] += 1  # Sequential's fused plans hold the layers' tensors: remake them
        return module(*args, **(kwargs or {}))
    finally:
        for m, name, where, old in reversed(swapped):
            if where:
                m.__dict__[where][name] = old
            if old is _MISSING:
                m.__dict__.pop(name, None)
            else:
                object.__setattr__(m, name, old)
        _edits[0] += 1


_MISSING = object()


def _merge_dicts(dicts) -> dict:
    if isinstance(dicts, dict):
        return dict(dicts)
    if not isinstance(dicts, (tuple, list)) or not all(isinstance(d, dict) for d in dicts):
        raise TypeError(
            "functional_call: expected parameter_and_buffer_dicts to be a dict or a tuple of "
            f"dicts, got {type(dicts).__name__}"
        )
    keys = [k for d in dicts for k in d]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"functional_call: {repeated} appeared in multiple dictionaries")
    return {k: v for d in dicts for k, v in d.items()}


def _untie(names, given) -> dict:
    """``given`` with each given tensor also under the other names of its tied group."""
    groups, out = {}, dict(given)
    for name, t in names.items():
        groups.setdefault(id(t), []).append(name)
    for tied in groups.values():
        keys = [k for k in tied if k in given]
        if len({id(given[k]) for k in keys}) > 1:
            raise ValueError(
                f"functional_call: got multiple values for keys {sorted(tied)}, which are tied; "
                "consider tie_weights=False"
            )
        out.update({k: given[keys[0]] for k in tied} if keys else {})
    return out
