"""finfo, iinfo, promote_types, result_type and can_cast against torch's."""

import itertools

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import backend
from chainrule.dtypes import can_cast, finfo, iinfo, promote_types, result_type

FLOATS = ["float16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]
ALL = ["bool"] + INTS + FLOATS


def _t(name):
    return getattr(torch, name)


@pytest.mark.parametrize("name", FLOATS)
def test_finfo_matches_torch(name):
    ours, ref = finfo(np.dtype(name)), torch.finfo(_t(name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(ours, attr) == getattr(ref, attr), attr
        assert type(getattr(ours, attr)) is type(getattr(ref, attr)), attr
    assert ours.dtype == ref.dtype == name
    assert repr(ours) == repr(ref)


def test_finfo_defaults_to_the_default_float_and_takes_other_spellings(monkeypatch):
    assert finfo().dtype == "float32"
    assert finfo(float).eps == torch.finfo(torch.float32).eps
    assert finfo("float64") == finfo(cr.float64)
    monkeypatch.setattr(backend, "DEFAULT_FLOAT", backend.float64)
    assert finfo().eps == torch.finfo(torch.float64).eps


@pytest.mark.parametrize("name", INTS)
def test_iinfo_matches_torch(name):
    ours, ref = iinfo(np.dtype(name)), torch.iinfo(_t(name))
    assert (ours.bits, ours.max, ours.min) == (ref.bits, ref.max, ref.min)
    assert type(ours.max) is int
    assert ours.dtype == ref.dtype == name
    assert repr(ours) == repr(ref)


def test_info_errors_name_the_dtype():
    with pytest.raises(TypeError, match="finfo: requires a floating point dtype, got int32"):
        finfo(cr.int32)
    with pytest.raises(TypeError, match="iinfo: requires an integer dtype, got float32"):
        iinfo(cr.float32)
    with pytest.raises(TypeError, match="iinfo: requires an integer dtype, got bool"):
        iinfo(cr.bool_)
    with pytest.raises(TypeError, match="finfo: unsupported dtype 'nonsense'"):
        finfo("nonsense")
    with pytest.raises(TypeError, match="finfo: expected a dtype, got a Tensor"):
        finfo(cr.tensor([1.0]))


@pytest.mark.parametrize("a,b", list(itertools.product(ALL, ALL)))
def test_promote_types_and_can_cast_match_torch(a, b):
    ours = promote_types(np.dtype(a), np.dtype(b))
    assert str(ours) == str(torch.promote_types(_t(a), _t(b))).replace("torch.", "")
    assert can_cast(np.dtype(a), np.dtype(b)) == torch.can_cast(_t(a), _t(b))


def test_promote_types_takes_python_types():
    assert promote_types(int, float) == cr.float32
    assert promote_types(bool, cr.int8) == cr.int8


def _both(v, dtype=None, shape=(2,)):
    """The same operand for chainrule and torch: a number, or a tensor of dtype and shape."""
    if dtype is None:
        return v, v
    a = np.ones(shape, dtype=dtype)
    return cr.tensor(a), torch.tensor(a)


OPERANDS = [
    (1, None, None),
    (2.5, None, None),
    (True, None, None),
    (None, "int8", ()),
    (None, "float64", ()),
    (None, "bool", ()),
    (None, "int32", (2,)),
    (None, "float16", (2,)),
    (None, "uint8", (3,)),
    (None, "bool", (2,)),
    (None, "float32", (1, 2)),
]


@pytest.mark.parametrize("x,y", list(itertools.product(OPERANDS, OPERANDS)))
def test_result_type_matches_torch(x, y):
    (xc, xt), (yc, yt) = _both(*x), _both(*y)
    ref = torch.result_type(xt, yt)
    assert str(result_type(xc, yc)) == str(ref).replace("torch.", "")


def test_result_type_follows_the_default_float(monkeypatch):
    monkeypatch.setattr(backend, "DEFAULT_FLOAT", backend.float64)
    assert result_type(cr.tensor([1, 2]), 2.5) == cr.float64
    assert result_type(np.float32(1.5), 2) == cr.float64  # a NumPy scalar is a Python number


def test_result_type_and_promotion_errors():
    with pytest.raises(TypeError, match="result_type: expected a Tensor or a Python number"):
        result_type(cr.tensor([1.0]), "a")
    with pytest.raises(TypeError, match="promote_types: no integer dtype holds both"):
        promote_types(cr.int64, np.uint64)
    with pytest.raises(TypeError, match="can_cast: unsupported dtype complex64"):
        can_cast(np.complex64, cr.float32)
