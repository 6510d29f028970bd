"""The stand-in's ndarray: NumPy storage that behaves as a CuPy device array.

It refuses what a GPU array cannot do: implicit conversion to NumPy (``__array__`` raises),
host NumPy arrays mixed into an op, computing on an array that is not on the current device,
and any method or keyword CuPy does not have. Explicit copies go through ``.get()``/``asnumpy``.
Results are always arrays (a full reduction gives a 0-d array, as in CuPy), never NumPy scalars.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _cupy_api as api
from . import _runtime as rt

IMPLICIT_MSG = (
    "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy "
    "array explicitly. (strict CuPy stand-in: device data reached code that needs host data; copy it "
    "with .get() / Tensor.cpu(), or keep the computation on the device with the backend's xp)"
)


def host_error(where: str, x: Any) -> TypeError:
    return TypeError(
        f"Unsupported type {type(x)} (strict CuPy stand-in: {where} received a host NumPy array of shape "
        f"{getattr(x, 'shape', '?')} and dtype {getattr(x, 'dtype', '?')}; CuPy cannot mix host and device "
        "arrays in one op: move it to the device with xp.asarray() first)"
    )


def unwrap(x: Any, where: str, found: list) -> Any:
    """The NumPy storage of stand-in arrays (collected in ``found``); host arrays are refused."""
    t = type(x)
    if t is ndarray:
        found.append(x)
        return x._a
    if t is list:
        return [unwrap(e, where, found) for e in x]
    if t is tuple:
        return tuple([unwrap(e, where, found) for e in x])
    if isinstance(x, np.ndarray):
        raise host_error(where, x)
    return x


def require_current(found: list, where: str) -> None:
    """CuPy runs kernels on the current device and refuses arrays that live elsewhere."""
    cur = rt._local.device
    for a in found:
        if a._dev != cur:
            raise ValueError(
                f"The device where the array resides ({a._dev}) is different from the current device "
                f"({cur}). Peer access is unavailable between these devices. (strict CuPy stand-in: in "
                f"{where}; make the array's device current first, e.g. `with autograd.cuda.device({a._dev})`)"
            )


def new(a: np.ndarray, dev: int, base: ndarray | None = None) -> ndarray:
    obj = _object_new(ndarray)
    obj._a = a
    obj._dev = dev
    obj._base = base
    return obj


def view_of(a: np.ndarray, w: ndarray) -> ndarray:
    """Wrap ``a``, a view of stand-in array ``w``: ``.base`` is the owner, as in CuPy."""
    return new(a, w._dev, w if w._base is None else w._base)


_object_new = object.__new__


def wrap(res: Any, found: list, where: str, view: bool) -> Any:
    """Turn a NumPy result into stand-in arrays: views keep their base's device, new memory is tracked."""
    t = type(res)
    if t is np.ndarray:
        for w in found:
            if w._a is res:
                return w
        if res.base is None:
            root = res
        else:
            root = rt.root_of(res)
            for w in found:
                if w._a is root or rt.root_of(w._a) is root:
                    return view_of(res, w)
        if view and found:
            require_current(found, where)  # the "view" needed a copy: a kernel ran
        dev = rt._local.device
        rt.track(root, dev)
        return new(res, dev)
    if isinstance(res, np.generic):
        a = np.asarray(res)
        dev = rt._local.device
        rt.track(a, dev)
        return new(a, dev)
    if t is list:
        return [wrap(r, found, where, view) for r in res]
    if isinstance(res, tuple):  # NumPy's named tuples (linalg's QRResult...) are plain tuples in CuPy
        return tuple(wrap(r, found, where, view) for r in res)
    return res


_PLAIN = frozenset({float, int, bool, type(None), np.float32, np.float64, np.int64, np.int32, np.bool_})


def run(where: str, fn: Any, args: tuple, kwargs: dict, view: bool = False) -> Any:
    """Call a NumPy function on unwrapped stand-in arrays with CuPy's device rules, then wrap.

    NumPy may warn about inf/nan where CuPy is silent; the backend's ``errstate()`` silences the
    places that expect them, as on the CPU.
    """
    found: list = []
    a = []
    for x in args:
        t = type(x)
        if t is ndarray:
            found.append(x)
            a.append(x._a)
        elif t in _PLAIN:
            a.append(x)
        else:
            a.append(unwrap(x, where, found))
    k = {n: unwrap(v, where, found) for n, v in kwargs.items()} if kwargs else {}
    if found and not view:
        cur = rt._local.device
        for w in found:
            if w._dev != cur:
                require_current(found, where)
    return wrap(fn(*a, **k), found, where, view)


def _defer(other: Any) -> bool:
    """CuPy's ``_should_use_rop``: a higher-priority non-array operand handles the operator."""
    return type(other) is not ndarray and getattr(other, "__array_priority__", 0) > ndarray.__array_priority__


def _binop(u: Any, name: str) -> tuple:
    where = f"ndarray.__{name}__"

    def op(self: ndarray, other: Any) -> Any:
        if _defer(other):
            return NotImplemented
        return run(where, u, (self, other), {})

    def rop(self: ndarray, other: Any) -> Any:
        if _defer(other):
            return NotImplemented
        return run(where, u, (other, self), {})

    def iop(self: ndarray, other: Any) -> Any:
        run(where, u, (self, other), {"out": self})
        return self

    return op, rop, iop


def _unop(u: Any, name: str) -> Any:
    where = f"ndarray.__{name}__"

    def op(self: ndarray) -> Any:
        return run(where, u, (self,), {})

    return op


_VIEW_METHODS = frozenset({"reshape", "transpose", "view", "squeeze", "swapaxes", "ravel", "diagonal"})


def _method(name: str) -> Any:
    npm = getattr(np.ndarray, name)
    target = api.method_target(name)
    where = f"ndarray.{name}"
    view = name in _VIEW_METHODS

    def m(self: ndarray, *args: Any, **kwargs: Any) -> Any:
        api.check_call(where, target, args, kwargs, drop_self=True)
        return run(where, npm, (self, *args), kwargs, view)

    m.__name__ = name
    return m


class _Flags:
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, a: np.ndarray) -> None:
        f = a.flags
        self.c_contiguous, self.f_contiguous, self.owndata = f.c_contiguous, f.f_contiguous, f.owndata

    def __getitem__(self, key: str) -> bool:
        return {
            "C_CONTIGUOUS": self.c_contiguous,
            "F_CONTIGUOUS": self.f_contiguous,
            "OWNDATA": self.owndata,
        }[key]

    def __repr__(self) -> str:
        return f"  C_CONTIGUOUS : {self.c_contiguous}\n  F_CONTIGUOUS : {self.f_contiguous}\n  OWNDATA : {self.owndata}"


class _MemoryPointer:
    __slots__ = ("ptr",)

    def __init__(self, ptr: int) -> None:
        self.ptr = ptr


class ndarray:
    """A device array of the strict CuPy stand-in (NumPy storage, CuPy rules)."""

    __slots__ = ("_a", "_dev", "_base", "__weakref__")
    __array_priority__ = 100  # CuPy's
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self, shape: Any, dtype: Any = float, memptr: Any = None, strides: Any = None, order: str = "C"
    ):
        if memptr is not None or strides is not None:
            raise TypeError("strict CuPy stand-in: ndarray(memptr=..., strides=...) is not emulated")
        a = np.empty(shape, dtype=dtype, order=order)
        self._a = a
        self._dev = rt._local.device
        self._base = None
        rt.track(a, self._dev)

    # ---- refusals: the whole point of the stand-in -----------------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(IMPLICIT_MSG)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        from . import xp

        u = getattr(xp, ufunc.__name__, None)
        if u is None:
            return NotImplemented
        return u(*inputs, **kwargs) if method == "__call__" else getattr(u, method)(*inputs, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        from . import xp

        mod = getattr(func, "__module__", "numpy") or "numpy"
        ns = xp if mod == "numpy" else getattr(xp, mod.rsplit(".", 1)[-1], None)
        try:
            f = getattr(ns, func.__name__)
        except AttributeError:
            return NotImplemented
        return f(*args, **kwargs)

    # ---- what it is ------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self._a.shape

    @property
    def ndim(self) -> int:
        return self._a.ndim

    @property
    def size(self) -> int:
        return self._a.size

    @property
    def dtype(self) -> np.dtype:
        return self._a.dtype

    @property
    def itemsize(self) -> int:
        return self._a.itemsize

    @property
    def nbytes(self) -> int:
        return self._a.nbytes

    @property
    def strides(self) -> tuple:
        return self._a.strides

    @property
    def flags(self) -> _Flags:
        return _Flags(self._a)

    @property
    def base(self) -> ndarray | None:
        return self._base

    @property
    def data(self) -> _MemoryPointer:
        """CuPy's MemoryPointer, reduced to its address (``.ptr``): host addresses stand in for device ones."""
        return _MemoryPointer(int(self._a.__array_interface__["data"][0]))

    @property
    def device(self) -> rt.Device:
        return rt.Device(self._dev)

    @property
    def T(self) -> ndarray:
        return view_of(self._a.T, self)

    @property
    def mT(self) -> ndarray:
        return view_of(np.swapaxes(self._a, -1, -2), self)

    @property
    def real(self) -> ndarray:
        return view_of(self._a.real, self) if self._a.dtype.kind == "c" else self

    @property
    def imag(self) -> ndarray:
        return run("ndarray.imag", lambda a: a.imag, (self,), {}, view=True)

    # ---- explicit host copies (what CuPy allows) -------------------------------------------------
    def get(self, stream: Any = None, order: str = "C", out: Any = None, blocking: bool = True) -> np.ndarray:
        if out is not None:
            if not isinstance(out, np.ndarray) or out.shape != self.shape or out.dtype != self.dtype:
                raise ValueError(
                    "strict CuPy stand-in: get(out=...) needs a numpy array of the same shape/dtype"
                )
            np.copyto(out, self._a)
            return out
        return np.array(self._a, order=order, copy=True)

    def set(self, arr: np.ndarray, stream: Any = None) -> None:
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        if arr.shape != self.shape:
            raise ValueError(f"Shape mismatch. Old shape: {self.shape}, new shape: {arr.shape}")
        if arr.dtype != self.dtype:
            raise TypeError(f"{arr.dtype} array cannot be set to {self.dtype} array")
        require_current([self], "ndarray.set")
        np.copyto(self._a, arr)

    # ---- indexing --------------------------------------------------------------------------------
    def __getitem__(self, key: Any) -> Any:
        found = [self]
        k = unwrap(key, "ndarray.__getitem__", found)
        res = self._a[k]
        if isinstance(res, np.generic):  # CuPy: integer indexing gives a 0-d view, not a scalar
            res = self._a[(k if type(k) is tuple else (k,)) + (Ellipsis,)]
        return wrap(res, found, "ndarray.__getitem__", view=True)

    def __setitem__(self, key: Any, value: Any) -> None:
        found = [self]
        k = unwrap(key, "ndarray.__setitem__", found)
        v = unwrap(value, "ndarray.__setitem__", found)
        require_current(found, "ndarray.__setitem__")
        with np.errstate(all="ignore"):
            self._a[k] = v

    # ---- Python protocol -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self) -> Any:
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._a.shape[0]))

    def __bool__(self) -> bool:
        return bool(self._a)

    def __float__(self) -> float:
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __complex__(self) -> complex:
        return complex(self._a)

    def __repr__(self) -> str:
        return repr(self._a)

    def __str__(self) -> str:
        return str(self._a)

    def __format__(self, spec: str) -> str:
        return format(self._a.item(), spec) if self._a.ndim == 0 else format(str(self), spec)

    def __copy__(self) -> ndarray:
        return self.copy()

    def __deepcopy__(self, memo: dict) -> ndarray:
        return self.copy()

    def __reduce__(self) -> tuple:
        return (_rebuild, (self.get(), self._dev))


def _rebuild(host: np.ndarray, dev: int) -> ndarray:
    with rt.Device(dev):
        a = np.array(host, copy=True)
        rt.track(a, dev)
        return new(a, dev)


_BINOPS = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "truediv": np.true_divide,
    "floordiv": np.floor_divide,
    "mod": np.remainder,
    "pow": np.power,
    "matmul": np.matmul,
    "and": np.bitwise_and,
    "or": np.bitwise_or,
    "xor": np.bitwise_xor,
    "lshift": np.left_shift,
    "rshift": np.right_shift,
}
for _n, _u in _BINOPS.items():
    _op, _rop, _iop = _binop(_u, _n)
    setattr(ndarray, f"__{_n}__", _op)
    setattr(ndarray, f"__r{_n}__", _rop)
    setattr(ndarray, f"__i{_n}__", _iop)
for _n, _u in {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal}.items():
    setattr(ndarray, f"__{_n}__", _binop(_u, _n)[0])
ndarray.__eq__ = _binop(np.equal, "eq")[0]  # type: ignore[assignment,method-assign]
ndarray.__ne__ = _binop(np.not_equal, "ne")[0]  # type: ignore[assignment,method-assign]
ndarray.__divmod__ = _binop(np.divmod, "divmod")[0]  # type: ignore[attr-defined]
ndarray.__rdivmod__ = _binop(np.divmod, "divmod")[1]  # type: ignore[attr-defined]
for _n, _u in {"neg": np.negative, "pos": np.positive, "abs": np.absolute, "invert": np.invert}.items():
    setattr(ndarray, f"__{_n}__", _unop(_u, _n))
for _n in api.method_names():
    if not hasattr(ndarray, _n) or _n in ("copy",):
        setattr(ndarray, _n, _method(_n))
del _n, _u
