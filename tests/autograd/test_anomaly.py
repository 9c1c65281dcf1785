"""cr.autograd.detect_anomaly: the first op that makes a NaN or Inf, forward or backward, named
with the user's line; and nothing of it outside the mode."""

import inspect
import os
import threading
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import Function, detect_anomaly, is_anomaly_enabled, set_detect_anomaly

HERE = os.path.abspath(__file__)


def _line_of(marker: str) -> int:
    """The line number in this file of the source line containing ``marker``."""
    for i, line in enumerate(open(HERE, encoding="utf-8"), 1):
        if marker in line and "_line_of" not in line:
            return i
    raise AssertionError(marker)


def test_forward_nan_names_the_op_and_the_users_line():
    x = cr.tensor([1.0, -2.0, 3.0], requires_grad=True)
    with detect_anomaly():
        y = x * 2.0  # finite: no error
        with pytest.raises(FloatingPointError) as e:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                y.log()  # MARK-log
    msg = str(e.value)
    assert "Log produced NaN in its forward output (shape (3,))" in msg
    assert f"; at {HERE}:{_line_of('MARK-log')}: y.log()  # MARK-log" in msg
    assert "already" not in msg  # its input was finite


def test_forward_inf_is_caught_too():
    x = cr.tensor([1000.0], requires_grad=True)
    with detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(FloatingPointError, match=r"Exp produced Inf"):
            (x * 1.0).exp()


def test_backward_inf_names_the_backward_and_where_its_op_was_created():
    # sqrt is finite at 0, its derivative 1/(2·sqrt(0)) is not
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly():
        s = x.sqrt()  # MARK-sqrt
        loss = (s * 3.0).sum()
        with pytest.raises(FloatingPointError) as e:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                loss.backward()
    msg = str(e.value)
    assert "SqrtBackward returned Inf in the gradient of its input 0 (shape (2,))" in msg
    assert f"created at {HERE}:{_line_of('MARK-sqrt')}: s = x.sqrt()" in msg
    assert x.grad is None  # nothing accumulated past the bad node


def test_the_first_bad_op_is_blamed_not_the_ones_after_it():
    # 0·log(0) in the forward: Log makes -Inf first, then Mul makes NaN; Log is named
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(FloatingPointError, match=r"^detect_anomaly: Log produced Inf"):
            (x * x.log()).sum()


def test_nan_in_the_data_is_reported_as_given():
    x = cr.tensor([1.0, float("nan")], requires_grad=True)
    with detect_anomaly(), pytest.raises(FloatingPointError) as e:
        x * 2.0
    assert "Mul produced NaN" in str(e.value)
    assert "input 0 already held NaN" in str(e.value)


def test_non_finite_root_gradient_is_reported_as_given():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        y = x * 2.0
        with pytest.raises(FloatingPointError, match="its upstream gradient already held NaN"):
            y.backward(cr.tensor([1.0, float("nan")]))


def test_healthy_training_step_matches_the_plain_run():
    def step():
        cr.manual_seed(0)
        model = cr.nn.Sequential(cr.nn.Linear(4, 8), cr.nn.Tanh(), cr.nn.Linear(8, 3))
        x, t = cr.randn(5, 4), cr.tensor([0, 2, 1, 1, 0])
        loss = cr.nn.functional.cross_entropy(model(x), t)
        loss.backward()
        return loss.item(), [p.grad.numpy().copy() for p in model.parameters()]

    plain = step()
    with detect_anomaly():
        checked = step()
    assert plain[0] == checked[0]
    for a, b in zip(plain[1], checked[1]):
        np.testing.assert_array_equal(a, b)


def test_second_order_gradients_work_in_the_mode():
    x = cr.tensor([0.5, 2.0], dtype=cr.float64, requires_grad=True)
    with detect_anomaly():
        (g,) = cr.grad((x**3).sum(), x, create_graph=True)
        (h,) = cr.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * np.array([0.5, 2.0]))


def test_a_users_function_with_a_bad_backward_is_named():
    class BadSquare(Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, gy):
            (x,) = self.saved
            return gy * x / 0.0  # wrong: Inf

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        y = BadSquare.apply(x)  # MARK-bad
        with pytest.raises(FloatingPointError, match="BadSquareBackward returned Inf") as e:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                y.sum().backward()
    assert f"{HERE}:{_line_of('MARK-bad')}" in str(e.value)


def test_outside_the_mode_nothing_is_checked_or_remembered():
    assert not is_anomaly_enabled()
    assert Function.__call__ is inspect.getattr_static(Function, "__call__")
    plain = Function.__call__
    x = cr.tensor([0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = x.log()  # -Inf, no error
        assert not hasattr(y.grad_fn, "_anomaly_stack")
        assert "backward" not in vars(y.grad_fn)
        y.sum().backward()
    with detect_anomaly():
        assert is_anomaly_enabled() and Function.__call__ is not plain
        with detect_anomaly():  # nested: still on after the inner block
            pass
        assert is_anomaly_enabled()
        with set_detect_anomaly(False):
            assert Function.__call__ is plain
            (x + float("inf")).sum()  # not checked
        assert Function.__call__ is not plain
    assert Function.__call__ is plain and not is_anomaly_enabled()


def test_the_mode_is_left_even_when_the_block_raises():
    with pytest.raises(FloatingPointError):
        with detect_anomaly():
            cr.tensor([float("inf")]) * 1.0
    assert not is_anomaly_enabled()


def test_check_nan_false_keeps_tracebacks_but_does_not_raise():
    x = cr.tensor([0.0], requires_grad=True)
    with detect_anomaly(check_nan=False), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = x.log()
        assert y.grad_fn._anomaly_stack
        y.sum().backward()
    assert np.isinf(x.grad.numpy()).all()


def test_decorator_form():
    @detect_anomaly()
    def bad():
        return cr.tensor([-1.0]).sqrt()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(FloatingPointError, match="Sqrt produced NaN"):
            bad()
    assert not is_anomaly_enabled()


def test_ops_on_another_thread_inside_the_block_are_checked():
    caught = []

    def work():
        try:
            cr.tensor([-1.0]).log()
        except FloatingPointError as e:
            caught.append(str(e))

    with detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        t = threading.Thread(target=work)
        t.start()
        t.join()
    assert caught and "Log produced NaN" in caught[0]
