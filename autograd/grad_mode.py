"""Grad modes: whether ops record the graph. Thread-local, usable as context managers and decorators."""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable
from typing import Any

# Grad mode lives in a ContextVar: per thread like PyTorch's (a new thread starts enabled), and one
# ``grad_enabled()`` call is ~4x cheaper than a thread-local attribute on the per-op hot path.
_enabled = contextvars.ContextVar("embergrad_grad_enabled", default=True)
grad_enabled = _enabled.get


class _State(threading.local):
    inference = False
    anomaly = False
    anomaly_check_nan = True

    @property
    def enabled(self) -> bool:
        return _enabled.get()

    @enabled.setter
    def enabled(self, value: bool) -> None:
        _enabled.set(bool(value))


state = _State()

# Set (for good) the first time any thread turns anomaly mode on: until then the hot paths skip the
# thread-local anomaly lookup.
anomaly_seen = [False]


def is_grad_enabled() -> bool:
    return _enabled.get()


def is_inference_mode_enabled() -> bool:
    return state.inference


def _restore(token: contextvars.Token, prev: bool) -> None:
    """Undo a grad-mode change. Resetting by token leaves the ContextVar unset again where it was unset:
    while no context variable is set, NumPy's own per-ufunc context lookup stays on its fastest path."""
    try:
        _enabled.reset(token)
    except (ValueError, RuntimeError):  # the token belongs to another context, or was used already
        _enabled.set(prev)


class _Mode:
    """Base for context managers that set grad mode on entry and restore it on exit."""

    _target: bool

    def __enter__(self) -> None:
        self._prev = _enabled.get()
        self._token = _enabled.set(self._target)

    def __exit__(self, *exc: Any) -> None:
        _restore(self._token, self._prev)

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
        self._prev = _enabled.get()
        self._token = _enabled.set(self._target)

    def __enter__(self) -> None:
        if not hasattr(self, "_token"):
            self._prev = _enabled.get()
            self._token = _enabled.set(self._target)

    def __exit__(self, *exc: Any) -> None:
        _restore(self._token, self._prev)
        del self._token  # entered again, it sets the mode again

    def __init_copy__(self, other: _Mode) -> _Mode:
        self._target = other._target
        return self

    def __call__(self, fn: Callable) -> Callable:
        _restore(self._token, self._prev)  # as a decorator it must not leave the mode changed
        del self._token
        return super().__call__(fn)


class inference_mode(_Mode):  # noqa: N801
    """Like no_grad, for pure inference; ``inference_mode(False)`` is a no-op."""

    def __init__(self, mode: bool = True) -> None:
        self._mode = bool(mode)
        self._target = False

    def __enter__(self) -> None:
        self._prev = _enabled.get()
        self._prev_inf = state.inference
        self._token = None
        if self._mode:
            self._token = _enabled.set(False)
            state.inference = True

    def __exit__(self, *exc: Any) -> None:
        if self._token is not None:
            _restore(self._token, self._prev)
        state.inference = self._prev_inf
