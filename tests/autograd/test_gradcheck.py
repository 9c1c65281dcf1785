"""gradcheck / gradgradcheck: they pass on correct ops and report wrong ones precisely."""

import re

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import Function, GradcheckError, gradcheck, gradgradcheck


class Cube(Function):
    """y = x³; dy/dx = 3x²."""

    def forward(self, x):
        self.save_for_backward(x)
        return x**3

    def backward(self, gy):
        (x,) = self.saved
        return gy * 3 * x * x


class BadCube(Cube):
    def backward(self, gy):  # wrong on purpose: 2x² instead of 3x²
        (x,) = self.saved
        return gy * 2 * x * x


X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def _x():
    return cr.tensor(X, requires_grad=True)


def test_passes_on_correct_functions():
    y = cr.tensor(X[::-1].copy(), requires_grad=True)
    assert gradcheck(Cube.apply, (_x(),))
    assert gradgradcheck(Cube.apply, (_x(),))
    assert gradcheck(lambda a, b: (a * b.sin()).sum(dim=0), (_x(), y))
    assert gradgradcheck(lambda a, b: (a.exp() * b).tanh(), [_x(), y])
    assert gradcheck(lambda a: (a, a * 2), _x())  # several outputs


def test_failure_names_input_element_and_both_values():
    c = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda k, a: BadCube.apply(a) * k, (cr.tensor(2.0), _x()))
    msg = str(info.value)
    assert "input 1" in msg and "element (0, 0)" in msg
    analytical = float(re.search(r"analytical (\S+),", msg).group(1))
    numerical = float(re.search(r"numerical (\S+) ", msg).group(1))
    # at x = 0.5 with output weight w: analytical 2·2x²·w, numerical 2·3x²·w: ratio 2/3
    np.testing.assert_allclose(analytical / numerical, 2 / 3, rtol=1e-6)
    assert "6 of 6" in msg
    assert not gradcheck(BadCube.apply, (c.double(),), raise_exception=False)


def test_gradgradcheck_catches_wrong_second_derivative():
    class BadDouble(Function):
        """y = sin x with a backward that is right as a number but not differentiable right."""

        def forward(self, x):
            self.save_for_backward(x)
            return np.sin(x)

        def backward(self, gy):
            (x,) = self.saved
            if isinstance(gy, cr.Tensor):  # the recorded path: cos x as a constant
                return gy * cr.tensor(np.cos(x.data))
            return gy * np.cos(x)

    assert gradcheck(BadDouble.apply, (_x(),))
    with pytest.raises(GradcheckError, match="input 0 at element"):
        gradgradcheck(BadDouble.apply, (_x(),))


def test_requires_float64_and_some_differentiable_input():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(Cube.apply, (cr.tensor([1.0], requires_grad=True),))
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(Cube.apply, (cr.tensor([1.0], dtype=cr.float64),))


def test_tolerances_are_used():
    class Slightly(Cube):
        def backward(self, gy):
            (x,) = self.saved
            return gy * 3 * x * x * (1 + 1e-4)

    assert gradcheck(Slightly.apply, (_x(),), atol=1e-5, rtol=1e-3)
    with pytest.raises(GradcheckError):
        gradcheck(Slightly.apply, (_x(),), atol=1e-9, rtol=1e-6)


def test_checks_run_on_the_inputs_device(device):
    def x():
        return cr.tensor(X, requires_grad=True, device=device)

    y = cr.tensor(X[::-1].copy(), requires_grad=True, device=device)
    assert gradcheck(lambda a, b: (a.exp() * b).tanh(), (x(), y))
    assert gradgradcheck(lambda a, b: (a * b.sin()).sum(dim=0), (x(), y))
    with pytest.raises(GradcheckError, match="input 0 at element"):
        gradcheck(BadCube.apply, (x(),))
