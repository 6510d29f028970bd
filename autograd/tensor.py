"""The Tensor: a backend array plus the autograd bookkeeping. No math lives here; ops attach methods."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

import backends

from . import dtypes
from .grad_mode import state as _grad_state

_BY_TYPE = backends._BY_TYPE

# One increasing counter orders graph nodes (their ``seq``) and in-place edits alike, so the engine can
# skip the per-input version checks of any node recorded after the last in-place edit anywhere.
_seq = itertools.count(1)
_last_inplace = [0]
_engine_backward = None  # engine.backward, bound on first use


def bump_version(t: Tensor) -> None:
    """Record an in-place change of ``t``'s memory (every in-place write must call this)."""
    t._vc[0] += 1
    _last_inplace[0] = next(_seq)


def bump_versions(ts: list) -> None:
    """``bump_version`` for each of ``ts``, written all at once (an optimizer step's parameters)."""
    for t in ts:
        t._vc[0] += 1
    if ts:
        _last_inplace[0] = next(_seq)


class Tensor:
    """An n-d array on a device that records the ops applied to it when it requires grad."""

    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "_vc", "_oi", "_extra", "__weakref__")
    __array_priority__ = 1000  # numpy scalars/arrays on the left defer to our reflected operators

    # ---- construction ------------------------------------------------------------------------
    def __init__(self, data: Any = None, *, requires_grad: bool = False, dtype: Any = None, device=None):
        from .creation import _to_array

        arr = _to_array([] if data is None else data, dtype, device)
        _init(self, arr)
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(arr: Any) -> Tensor:
        """Wrap a backend array (no copy, no graph)."""
        t = _new(Tensor)
        if type(arr) not in _BY_TYPE:
            arr = _coerce(arr)
        t._data = arr
        t.requires_grad = False
        t.grad = None
        t.grad_fn = None
        t._vc = [0]
        t._oi = 0
        t._extra = None
        return t

    # ---- what it is --------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self._data.shape

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return self._data.shape
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.dtype.itemsize

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_np(self._data.dtype)

    @property
    def device(self) -> backends.Device:
        return _BY_TYPE[type(self._data)].device_of(self._data)

    @property
    def backend(self) -> backends.Backend:
        return _BY_TYPE[type(self._data)]

    @property
    def is_cuda(self) -> bool:
        return _BY_TYPE[type(self._data)].name == "cuda"

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def data_ptr(self) -> int:
        """The address of the first element (views of one tensor differ by their offset)."""
        return _BY_TYPE[type(self._data)].data_ptr(self._data)

    @property
    def _base(self) -> Tensor | None:
        """The tensor whose memory this one is a view of (None when it is not a view), as PyTorch's."""
        ex = self._extra
        return ex.get("view") if ex else None

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def data(self) -> Tensor:
        """The same storage, detached from the graph and from in-place version checks."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data: expected a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def name(self) -> str | None:
        return self._extra.get("name") if self._extra else None

    @name.setter
    def name(self, value: str | None) -> None:
        self._ext()["name"] = value

    def _ext(self) -> dict:
        if self._extra is None:
            self._extra = {}
        return self._extra

    # ---- autograd attributes -----------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"requires_grad_: only Tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad_: you can only change requires_grad flags of leaf variables; "
                "use .detach() to get a tensor that does not require grad"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on a Tensor that has requires_grad=False")
        if self.grad_fn is None:
            return
        import weakref

        retain = self.grad_fn._tensor_meta("retain")
        retain[self._oi] = weakref.ref(self)
        self._ext()["retains_grad"] = True

    @property
    def retains_grad(self) -> bool:
        return bool(self._extra and self._extra.get("retains_grad"))

    def register_hook(self, hook) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that doesn't require gradient"
            )
        if self.grad_fn is None:
            hooks = self._ext().setdefault("hooks", [])
        else:
            hooks = self.grad_fn._tensor_meta("hooks").setdefault(self._oi, [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook) -> RemovableHandle:
        """Call ``hook(tensor)`` on this leaf after its ``.grad`` was accumulated in a backward pass."""
        if not self.requires_grad:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: cannot register a hook on a tensor that doesn't require "
                "gradient"
            )
        if self.grad_fn is not None:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: post accumulate grad hooks cannot be registered on non-leaf "
                "tensors"
            )
        hooks = self._ext().setdefault("post_accumulate_hooks", [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def detach(self) -> Tensor:
        """The same storage and version counter, cut from the graph."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self.requires_grad = False
        return self

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``."""
        global _engine_backward
        if _engine_backward is None:  # the engine imports this module: bound on first use
            from .engine import backward as _engine_backward
        _engine_backward(self, gradient, retain_graph, create_graph, inputs)

    # ---- conversions -------------------------------------------------------------------------
    def numpy(self, *, force: bool = False):
        """The values as a NumPy array (shares memory on the CPU)."""
        if self.requires_grad and not force:
            raise RuntimeError(
                "numpy: can't call numpy() on a Tensor that requires grad; use tensor.detach().numpy() instead"
            )
        b = _BY_TYPE[type(self._data)]
        if b.name != "cpu":
            if not force:
                raise TypeError(
                    f"numpy: can't convert {self.device} device type tensor to numpy; "
                    "use Tensor.cpu() to copy the tensor to host memory first"
                )
            return b.to_host(self._data)
        return self._data

    def __array__(self, dtype=None, copy=None):
        b = _BY_TYPE[type(self._data)]
        if b.name != "cpu":
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy; "
                "use Tensor.cpu() to copy the tensor to host memory first"
            )
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(
                f"item: a Tensor with {self._data.size} elements cannot be converted to a Python scalar"
            )
        return _BY_TYPE[type(self._data)].to_host(self._data).reshape(()).item()

    def tolist(self) -> Any:
        return _BY_TYPE[type(self._data)].to_host(self._data).tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a Tensor with {self._data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __contains__(self, element: Any) -> bool:
        """``element in t``: does any entry equal it (a number or a tensor broadcast against t), as in PyTorch."""
        if isinstance(element, Tensor):
            element = element._data
        elif not isinstance(element, int | float | bool):
            raise RuntimeError(
                f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element).__name__}"
            )
        return bool((self._data == element).any())

    __hash__ = object.__hash__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __repr__(self) -> str:
        from .printing import tensor_repr

        return tensor_repr(self)

    def __reduce_ex__(self, protocol):
        raise TypeError("Tensors are not pickled (DESIGN: Safety); save a state_dict with nn.save instead")

    def __deepcopy__(self, memo: dict) -> Tensor:
        t = Tensor._make(self._data.copy())
        t.requires_grad = self.requires_grad if self.grad_fn is None else False
        if self.grad is not None:
            t.grad = self.grad.__deepcopy__(memo)
        if type(self) is not Tensor:
            t.__class__ = type(self)
        memo[id(self)] = t
        return t


_new = object.__new__


def _init(t: Tensor, arr: Any) -> None:
    t._data = arr
    t.requires_grad = False
    t.grad = None
    t.grad_fn = None
    t._vc = [0]
    t._oi = 0
    t._extra = None


def _coerce(arr: Any) -> Any:
    """Turn a NumPy scalar (what NumPy reductions return) into a 0-d array."""
    if isinstance(arr, np.generic | float | int | bool):
        return np.asarray(arr)
    raise TypeError(f"Tensor: cannot wrap {type(arr).__name__}; expected a backend array")


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + n if dim < 0 else dim


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def grad_enabled() -> bool:
    return _grad_state.enabled
