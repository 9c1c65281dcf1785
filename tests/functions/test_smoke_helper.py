import pytest
from helpers import check_against_torch, check_gradcheck


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 0, 3)])
def test_sigmoid(shape, dtype):
    check_against_torch(lambda t: t.sigmoid(), shape, low=-30, high=30, dtype=dtype)


def test_mul_broadcast():
    check_against_torch(lambda a, b: a * b, (3, 1, 4), (2, 1))
    check_gradcheck(lambda a, b: a * b, (3, 1, 4), (2, 1))
