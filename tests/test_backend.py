"""The backend seam: array module lookup, dtype normalisation, torch's default dtypes."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import backend


def test_get_array_module_is_numpy_on_cpu():
    assert backend.get_array_module(np.zeros(2), cr.zeros(2), 3.0) is np


@pytest.mark.parametrize(
    "given, expected",
    [
        (float, "float32"),
        (int, "int64"),
        (bool, "bool"),
        ("float64", "float64"),
        (np.int32, "int32"),
        (cr.float64, "float64"),
        (None, None),
    ],
)
def test_as_dtype(given, expected):
    got = backend.as_dtype(given)
    assert (got is None) if expected is None else got == np.dtype(expected)


def test_asarray_defaults_and_rejects_strings():
    assert backend.asarray([1.5]).dtype == np.float32
    assert backend.asarray([1]).dtype == np.int64
    assert backend.asarray(np.float64(0.1)).dtype == np.float64
    assert backend.asarray(0.1, "float64").item() == 0.1
    with pytest.raises(TypeError, match="unsupported"):
        backend.asarray(["a"])
    with pytest.raises(TypeError, match="unsupported dtype"):
        backend.as_dtype("nope")
