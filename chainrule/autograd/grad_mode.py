"""Grad mode: whether new ops are recorded for backward. Thread-local, as in PyTorch."""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    enabled = True  # each thread starts with grad mode on


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


def _set(flag: bool) -> None:
    _state.enabled = bool(flag)


class _GradMode:
    """Base for context managers that also work as decorators."""

    _flag = True

    def __new__(cls, func=None):
        if func is None:  # cr.no_grad(): a context manager (or a decorator)
            return super().__new__(cls)
        if not callable(func):
            raise TypeError(f"{cls.__name__}: takes no arguments, got {func!r}")
        return cls()(func)  # @cr.no_grad without parentheses, as torch allows

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set(self._flag)
        return self

    def __exit__(self, *exc):
        _set(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Disable graph recording: ``with cr.no_grad(): ...`` or ``@cr.no_grad()``."""

    _flag = False


class enable_grad(_GradMode):
    """Re-enable graph recording inside a ``no_grad`` block."""

    _flag = True


class set_grad_enabled(_GradMode):
    """Set grad mode to ``mode``; as a function call it takes effect at once, as in torch."""

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool):
        self._flag = bool(mode)
        self._prev = is_grad_enabled()
        _set(mode)

    def __enter__(self):
        return self

    def __call__(self, fn):
        _set(self._prev)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self._flag):
                return fn(*args, **kwargs)

        return wrapper


class inference_mode(_GradMode):
    """``torch.inference_mode``: no graph recording inside (``mode=False``: no change). chainrule
    has no separate inference tensors, so this is ``no_grad`` under torch's name, usable as a
    context manager or a decorator, with or without parentheses."""

    def __new__(cls, mode=True):
        if callable(mode):  # @cr.inference_mode without parentheses
            return cls()(mode)
        return object.__new__(cls)

    def __init__(self, mode=True):
        if not callable(mode):
            self._mode = bool(mode)

    def __enter__(self):
        self._prev = is_grad_enabled()
        if self._mode:
            _set(False)
        return self

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper
