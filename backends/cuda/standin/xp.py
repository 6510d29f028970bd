"""The stand-in's ``cupy`` module: NumPy's functions under CuPy's rules.

Any NumPy function that CuPy also has is available (looked up lazily); a name CuPy lacks raises
AttributeError, a keyword CuPy's signature rejects raises TypeError, a host array mixed with
device arrays raises TypeError, and ``asarray``/``asnumpy`` are the explicit copies.
"""

from __future__ import annotations

import builtins as _b
import types as _types
from typing import Any as _Any

import numpy as _np

from . import _cupy_api as _api
from . import _runtime as _rt
from ._array import ndarray
from ._array import new as _new
from ._array import run as _run
from ._array import unwrap as _unwrap
from ._kernels import ElementwiseKernel, RawKernel
from ._random import random

__all__ = [
    "ElementwiseKernel",
    "RawKernel",
    "array",
    "asarray",
    "asnumpy",
    "cuda",
    "get_array_module",
    "get_default_memory_pool",
    "ndarray",
    "random",
]

IS_STANDIN = True
_MISSING = object()

# numpy functions whose result is (usually) a view: no kernel runs unless they had to copy
_VIEW_FUNCS = frozenset(
    "reshape ravel transpose swapaxes moveaxis rollaxis squeeze expand_dims broadcast_to broadcast_arrays "
    "atleast_1d atleast_2d atleast_3d split array_split hsplit vsplit dsplit diagonal real imag flip fliplr "
    "flipud ascontiguousarray".split()
)


class _Ufunc:
    """A CuPy ufunc: call, plus the ``at``/``reduce``/``accumulate``/``outer`` methods CuPy has."""

    def __init__(self, u: _np.ufunc) -> None:
        self._u = u
        self.__name__ = u.__name__
        self._target = _api.function_target(u.__name__)

    @property
    def nin(self) -> int:
        return self._u.nin

    @property
    def nout(self) -> int:
        return self._u.nout

    @property
    def types(self) -> list:
        return self._u.types

    def __call__(self, *args: _Any, **kwargs: _Any) -> _Any:
        _api.check_ufunc_kwargs(self.__name__, kwargs)
        if len(args) not in (self._u.nin, self._u.nin + self._u.nout):
            raise TypeError(f"Wrong number of arguments for {self.__name__}")
        return _run(f"cupy.{self.__name__}", self._u, args, kwargs)

    def _sub(self, method: str) -> _Any:
        if self._target is not None and not hasattr(self._target, method):
            raise AttributeError(f"strict CuPy stand-in: CuPy's ufunc {self.__name__} has no .{method}()")
        return getattr(self._u, method)

    def at(self, a: _Any, indices: _Any, b: _Any = None) -> None:
        if type(a) is not ndarray:
            raise TypeError(f"{self.__name__}.at: the target must be a cupy.ndarray, got {type(a).__name__}")
        fn = self._sub("at")
        _run(f"cupy.{self.__name__}.at", fn, (a, indices) + (() if b is None else (b,)), {})

    def reduce(self, *args: _Any, **kwargs: _Any) -> _Any:
        return _run(f"cupy.{self.__name__}.reduce", self._sub("reduce"), args, kwargs)

    def accumulate(self, *args: _Any, **kwargs: _Any) -> _Any:
        return _run(f"cupy.{self.__name__}.accumulate", self._sub("accumulate"), args, kwargs)

    def outer(self, *args: _Any, **kwargs: _Any) -> _Any:
        return _run(f"cupy.{self.__name__}.outer", self._sub("outer"), args, kwargs)

    def __repr__(self) -> str:
        return f"<ufunc '{self.__name__}' (strict CuPy stand-in)>"


def _function(name: str, fn: _Any, sub: str | None = None) -> _Any:
    qual = name if sub is None else f"{sub}.{name}"
    target = _api.function_target(name, sub)
    view = name in _VIEW_FUNCS

    def f(*args: _Any, **kwargs: _Any) -> _Any:
        _api.check_call(f"cupy.{qual}", target, args, kwargs)
        return _run(f"cupy.{qual}", fn, args, kwargs, view)

    f.__name__ = name
    f.__qualname__ = qual
    return f


def _lookup(name: str, np_mod: _Any, sub: str | None, cache: dict) -> _Any:
    if name.startswith("__"):
        raise AttributeError(name)
    obj = getattr(np_mod, name, _MISSING)
    where = "cupy" if sub is None else f"cupy.{sub}"
    if obj is _MISSING:
        raise AttributeError(f"module '{where}' has no attribute {name!r} (strict CuPy stand-in)")
    if not _api.has_function(name, sub):
        raise AttributeError(
            f"module '{where}' has no attribute {name!r} (strict CuPy stand-in: NumPy has it, CuPy does not; "
            "code on device arrays cannot use it)"
        )
    if isinstance(obj, _np.ufunc):
        w: _Any = _Ufunc(obj)
    elif callable(obj) and not isinstance(obj, type):
        w = _function(name, obj, sub)
    else:
        w = obj  # dtypes, scalar types, constants
    cache[name] = w
    return w


def __getattr__(name: str) -> _Any:
    # cached into globals(): code below must call builtins that NumPy shadows (any, bool...) as _b.X
    return _lookup(name, _np, None, globals())


class _Submodule(_types.SimpleNamespace):
    """``cupy.linalg`` and friends: NumPy's functions of the same submodule, under CuPy's rules."""

    def __init__(self, sub: str) -> None:
        super().__init__()
        self._sub = sub

    def __getattr__(self, name: str) -> _Any:
        return _lookup(name, getattr(_np, self._sub), self._sub, self.__dict__)


linalg = _Submodule("linalg")


def _as_strided(x: _Any, shape: _Any = None, strides: _Any = None) -> _Any:
    """``cupy.lib.stride_tricks.as_strided``: a fresh array over ``x``'s memory (no ``.base``, as in CuPy)."""
    if type(x) is not ndarray:
        raise TypeError(f"as_strided: expected a cupy.ndarray, got {type(x).__name__} (strict CuPy stand-in)")
    return _new(_np.lib.stride_tricks.as_strided(x._a, shape, strides), x._dev)


lib = _types.SimpleNamespace(stride_tricks=_types.SimpleNamespace(as_strided=_as_strided))


# ---- explicit transfers --------------------------------------------------------------------------


def _from_host(obj: _Any, dtype: _Any, copy: bool, order: str | None, where: str) -> _Any:
    if type(obj) is ndarray:
        if dtype is None or _np.dtype(dtype) == obj.dtype:
            return obj.copy(order="C" if order in (None, "K", "A") else order) if copy else obj
        return obj.astype(dtype)
    found: list = []
    if isinstance(obj, list | tuple):
        obj = _unwrap(obj, where, found)  # a list of device arrays is gathered on the device
        if found:
            from ._array import require_current

            require_current(found, where)
    a = _np.array(obj, dtype=dtype, copy=True, order="K" if order is None else order)
    if a.dtype.kind in "OUSV":
        raise ValueError(
            f"Unsupported dtype {a.dtype} (strict CuPy stand-in: CuPy has no {a.dtype.kind} arrays)"
        )
    dev = _rt._local.device
    _rt.track(_rt.root_of(a), dev)
    return _new(a, dev)


def asarray(
    a: _Any, dtype: _Any = None, order: _Any = None, *, copy: _Any = None, blocking: bool = False
) -> _Any:
    """To the current device (host data is copied; a device array is returned as is)."""
    return _from_host(a, dtype, _b.bool(copy), order, "cupy.asarray")


def array(
    obj: _Any,
    dtype: _Any = None,
    copy: bool = True,
    order: str = "K",
    subok: bool = False,
    ndmin: int = 0,
    *,
    blocking: bool = False,
) -> _Any:
    out = _from_host(obj, dtype, copy, order, "cupy.array")
    while out.ndim < ndmin:
        out = out[None]
    return out


def asnumpy(
    a: _Any, stream: _Any = None, order: str = "C", out: _Any = None, *, blocking: bool = True
) -> _np.ndarray:
    """The explicit device-to-host copy."""
    if type(a) is ndarray:
        return a.get(order=order, out=out)
    return _np.asarray(a, order=order)


def get_array_module(*args: _Any) -> _Any:
    import sys

    return sys.modules[__name__] if _b.any(type(a) is ndarray for a in args) else _np


# ---- runtime: devices, memory ------------------------------------------------------------------


class _Runtime(_types.SimpleNamespace):
    def getDeviceCount(self) -> int:  # noqa: N802 - CuPy's name
        return _rt.get_device_count()

    def getDevice(self) -> int:  # noqa: N802
        return _rt.get_device_id()

    def deviceSynchronize(self) -> None:  # noqa: N802
        pass


cuda = _types.SimpleNamespace(
    Device=_rt.Device,
    MemoryPool=_rt.MemoryPool,
    MemoryPointer=_rt.MemoryPointer,
    get_device_id=_rt.get_device_id,
    set_allocator=_rt.set_allocator,
    get_allocator=_rt.get_allocator,
    runtime=_Runtime(),
    is_available=lambda: True,
)

get_default_memory_pool = _rt.get_default_memory_pool
