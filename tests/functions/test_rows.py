"""chainrule/functions/rows.py: the row layout of per-channel vectors, against brute force and
NumPy's own broadcasting."""

import numpy as np
import pytest

from chainrule.functions import rows


@pytest.mark.parametrize("m", [1, 2, 7, 12, 49, 784, 3301, 50176, 65536])
@pytest.mark.parametrize("cap", [1, 5, 64, 512, 4096])
def test_divisor_at_most_is_the_largest_divisor_under_the_cap(m, cap):
    want = max(k for k in range(1, min(m, cap) + 1) if m % k == 0)
    assert rows.divisor_at_most(m, cap) == want


@pytest.mark.parametrize("shape", [(1, 3), (50176, 32), (12544, 64), (3301, 5), (6, 20000)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_add_rows_is_numpys_broadcast_add(shape, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape).astype(dtype)
    v = rng.standard_normal(shape[1]).astype(dtype)
    want = a + v
    rows.add_rows(a, v, np)
    np.testing.assert_array_equal(a, want)
    k = rows.repeats(*shape)
    assert shape[0] % k == 0 and (k == 1 or k * shape[1] <= rows.ROW)
