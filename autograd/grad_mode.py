"""Grad modes: whether ops record the graph. Thread-local, usable as context managers and decorators."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any


class _State(threading.local):
    enabled = True
    inference = False
    anomaly = False
    anomaly_check_nan = True


state = _State()


def is_grad_enabled() -> bool:
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _Mode:
    """Base for context managers that set grad mode on entry and restore it on exit."""

    _target: bool

    def __enter__(self) -> None:
        self._prev = state.enabled
        state.enabled = self._target

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self._prev

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__.__new__(self.__class__).__init_copy__(self):
                return fn(*args, **kwargs)

        return wrapper

    def __init_copy__(self, other: _Mode) -> _Mode:
        self.__dict__.update(other.__dict__)
        return self

    def clone(self) -> _Mode:
        return self.__class__.__new__(self.__class__).__init_copy__(self)


class no_grad(_Mode):  # noqa: N801
    """Disable graph recording (``with no_grad():``, ``@no_grad()`` or bare ``@no_grad``)."""

    def __new__(cls, orig_func: Callable | None = None) -> Any:
        if orig_func is not None:  # used as a bare decorator
            if not callable(orig_func):
                raise TypeError(f"no_grad: expected a function to decorate, got {type(orig_func).__name__}")
            return super().__new__(cls).__init_copy__(_NO_GRAD)(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func: Callable | None = None) -> None:
        self._target = False


_NO_GRAD = no_grad.__new__(no_grad)
_NO_GRAD._target = False


class enable_grad(_Mode):  # noqa: N801
    """Enable graph recording inside a no_grad block."""

    def __init__(self) -> None:
        self._target = True


class set_grad_enabled(_Mode):  # noqa: N801
    """Set grad mode to ``mode``; takes effect at once, and as a context manager restores on exit."""

    def __init__(self, mode: bool) -> None:
        self._target = bool(mode)
        self._prev = state.enabled
        state.enabled = self._target

    def __enter__(self) -> None:
        if not hasattr(self, "_prev"):
            self._prev = state.enabled
        state.enabled = self._target

    def __init_copy__(self, other: _Mode) -> _Mode:
        self._target = other._target
        return self

    def __call__(self, fn: Callable) -> Callable:
        state.enabled = self._prev  # as a decorator it must not leave the mode changed
        return super().__call__(fn)


class inference_mode(_Mode):  # noqa: N801
    """Like no_grad, for pure inference; ``inference_mode(False)`` is a no-op."""

    def __init__(self, mode: bool = True) -> None:
        self._mode = bool(mode)
        self._target = False

    def __enter__(self) -> None:
        self._prev = state.enabled
        self._prev_inf = state.inference
        if self._mode:
            state.enabled = False
            state.inference = True

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self._prev
        state.inference = self._prev_inf
