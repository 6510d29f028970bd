"""Single-frame operator methods for the hottest primitives (``+ - * /``, ``@`` and common unary ops).

They do exactly what ``Primitive.apply`` does for these ops, inlined, because the engine's per-op
cost decides how every small model runs. Anything unusual (other devices, lists, anomaly mode) falls
back to the generic path, so semantics live in one place: the Primitive classes.
"""

from __future__ import annotations

import traceback
import weakref
from typing import Any

import numpy as np

from . import dtypes as _dtypes
from .function import _op_error, _seq
from .grad_mode import anomaly_seen as _anomaly_seen
from .grad_mode import grad_enabled as _grad_enabled
from .grad_mode import state as _state
from .tensor import _BY_TYPE, Tensor, _coerce

_new = object.__new__
_ref = weakref.ref
_ndarray = np.ndarray


def _trace(node: Any) -> None:
    """Anomaly mode: keep the forward stack that created ``node`` (for the backward error)."""
    node.__dict__["_trace"] = "".join(traceback.format_stack()[:-2])


def binary(cls: type, opfunc: Any, slow: Any, reflected: bool = False) -> Any:
    """``self <op> other`` (or ``other <op> self`` when reflected) for Tensor/scalar operands."""
    saves = bool(cls._saved_inputs)
    saves_out = cls._saves_output

    def method(self: Tensor, other: Any) -> Tensor:
        sd = self._data
        if isinstance(other, Tensor):
            od = other._data
            if type(od) is not type(sd) or (type(sd) is not _ndarray and od.device != sd.device):
                return slow(self, other)  # other devices (the slow path names both)
            rg = other.requires_grad
            ov = other._vc[0] if saves else None
        elif type(other) is float or type(other) is int:
            od, rg, ov = other, False, None
        else:
            return slow(self, other)
        try:
            data = opfunc(od, sd) if reflected else opfunc(sd, od)
        except (ValueError, TypeError) as e:
            raise _op_error(cls, (other, self) if reflected else (self, other), e) from None
        if type(data) not in _BY_TYPE:
            data = _coerce(data)
        if data.dtype is not sd.dtype:
            return slow(self, other)  # mixed dtypes: the slow path applies PyTorch's promotion rules
        out = _new(Tensor)
        out._data = data
        out.grad = None
        out._vc = [0]
        out._oi = 0
        out._extra = None
        if (self.requires_grad or rg) and _grad_enabled():
            node = cls()  # Function.apply's linking, inlined (built-ins take no constructor arguments)
            node.seq = next(_seq)
            node._meta = None
            if reflected:
                node.inputs = (other, self)
                if saves:
                    node._versions = [ov, self._vc[0]]
            else:
                node.inputs = (self, other)
                if saves:
                    node._versions = [self._vc[0], ov]
            if saves_out:
                node._out = _ref(out)
            if _anomaly_seen[0] and _state.anomaly:
                _trace(node)
            out.grad_fn = node
            out.requires_grad = True
        else:
            out.grad_fn = None
            out.requires_grad = False
        return out

    return method


def unary(cls: type, kernel: Any, to_float: bool = False) -> Any:
    """``self.op()`` where ``kernel(backend)`` gives the array function for that backend. ``to_float``: the op
    is computed in the default float dtype for integer and bool inputs, as in PyTorch."""
    saves_in = bool(cls._saved_inputs)
    saves_out = cls._saves_output
    fns: dict[type, Any] = {}

    def method(self: Tensor) -> Tensor:
        sd = self._data
        fn = fns.get(type(sd))
        if fn is None:
            fn = fns[type(sd)] = kernel(_BY_TYPE[type(sd)])
        data = fn(sd)
        if to_float and data.dtype is not sd.dtype:  # (float inputs keep their dtype: no cost for them)
            data = fn(sd.astype(_dtypes.default_float))
        return record(cls, data, (self,), [self._vc[0]] if saves_in else None, self.requires_grad, saves_out)

    return method


def matmul(cls: type, slow: Any) -> Any:
    """``self @ other`` for two tensors of one dtype on one device; everything else goes to ``slow``."""

    def method(self: Tensor, other: Any) -> Tensor:
        sd = self._data
        if not isinstance(other, Tensor):
            return slow(self, other)
        od = other._data
        if (
            type(od) is not type(sd)
            or (type(sd) is not _ndarray and od.device != sd.device)
            or sd.dtype is not od.dtype
            or not sd.ndim
            or not od.ndim
        ):
            return slow(self, other)
        try:
            # for two 2-d NumPy arrays ndarray.dot is the same product (bit for bit) at half matmul's call cost
            data = sd.dot(od) if type(sd) is _ndarray and sd.ndim == 2 and od.ndim == 2 else sd @ od
        except ValueError:
            return slow(self, other)  # raises the op's own shape error
        rg = self.requires_grad or other.requires_grad
        return record(cls, data, (self, other), [self._vc[0], other._vc[0]], rg)

    return method


def record(
    cls: type, data: Any, inputs: tuple, versions: list | None, rg: bool, saves_out: bool = False
) -> Tensor:
    """The output Tensor of a built-in op whose kernel already ran on raw arrays (``data``), linked to a new
    ``cls`` node over ``inputs`` when ``rg`` (an input requires grad) and grad mode is on; ``versions``: the
    version counters of the inputs ``cls._saved_inputs`` names; ``saves_out``: the node keeps a weak reference
    to the output (``cls._saves_output``). ``Function.apply`` minus its generic argument handling, for callers
    that have checked their arguments themselves (``binary`` keeps its own inlined copy: it is the hottest)."""
    out = _new(Tensor)
    out._data = data if type(data) in _BY_TYPE else _coerce(data)
    out.grad = None
    out._vc = [0]
    out._oi = 0
    out._extra = None
    if rg and _grad_enabled():
        node = cls()
        node.seq = next(_seq)
        node._meta = None
        node.inputs = inputs
        if versions is not None:
            node._versions = versions
        if saves_out:
            node._out = _ref(out)
        if _anomaly_seen[0] and _state.anomaly:
            _trace(node)
        out.grad_fn = node
        out.requires_grad = True
    else:
        out.grad_fn = None
        out.requires_grad = False
    return out
