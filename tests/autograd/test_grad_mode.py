"""Grad mode: no_grad / enable_grad / set_grad_enabled as context managers and decorators,
restored on exceptions, and thread-local."""

import threading

import pytest
import torch

import chainrule as cr


def test_no_grad_context_stops_recording():
    x = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = x * 2
    assert cr.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_enable_grad_inside_no_grad():
    x = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        with cr.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and not z.requires_grad


@pytest.mark.parametrize("parens", [True, False])
def test_decorators(parens):
    def plain():
        """doc"""
        return cr.is_grad_enabled()

    off = cr.no_grad()(plain) if parens else cr.no_grad(plain)
    on = cr.enable_grad()(plain) if parens else cr.enable_grad(plain)
    assert off() is False and cr.is_grad_enabled()
    with cr.no_grad():
        assert on() is True
        assert not cr.is_grad_enabled()
    assert off.__name__ == "plain" and off.__doc__ == "doc"


def test_decorator_is_reusable_and_reentrant():
    @cr.no_grad()
    def f(n):
        return cr.is_grad_enabled() if n == 0 else f(n - 1)

    assert f(3) is False and f(0) is False and cr.is_grad_enabled()


def test_set_grad_enabled_function_context_and_decorator():
    try:
        cr.set_grad_enabled(False)
        assert not cr.is_grad_enabled()
    finally:
        cr.set_grad_enabled(True)
    with cr.set_grad_enabled(False):
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()

    @cr.set_grad_enabled(False)
    def f():
        return cr.is_grad_enabled()

    assert cr.is_grad_enabled() and f() is False and cr.is_grad_enabled()


def test_mode_restored_after_exception():
    with pytest.raises(ZeroDivisionError):
        with cr.no_grad():
            raise ZeroDivisionError
    assert cr.is_grad_enabled()

    @cr.no_grad()
    def boom():
        raise KeyError

    with pytest.raises(KeyError):
        boom()
    assert cr.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = {}
    started, release = threading.Event(), threading.Event()

    def worker():
        seen["start"] = cr.is_grad_enabled()  # a new thread starts with grad on
        with cr.no_grad():
            started.set()
            release.wait(5)
            seen["inside"] = cr.is_grad_enabled()

    x = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        started.wait(5)
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()  # the worker's no_grad doesn't leak here
    assert (x * 2).requires_grad
    release.set()
    t.join(5)
    assert seen == {"start": True, "inside": False}


def test_no_grad_rejects_arguments():
    with pytest.raises(TypeError, match="no_grad"):
        cr.no_grad(3)


def test_inference_mode_is_torchs_no_grad_spelling():
    x = cr.ones(2, requires_grad=True)
    tx = torch.ones(2, requires_grad=True)
    with cr.inference_mode(), torch.inference_mode():
        assert (x * 2).requires_grad is False and (tx * 2).requires_grad is False
    with cr.inference_mode(False), torch.inference_mode(False):
        assert (x * 2).requires_grad is True and (tx * 2).requires_grad is True

    @cr.inference_mode
    def bare():
        return (x * 2).requires_grad

    @cr.inference_mode(mode=False)
    def off():
        return (x * 2).requires_grad

    assert bare() is False and off() is True and cr.is_grad_enabled()
