"""In-place ops: the out-of-place op on a shell of the old value, written back into the same memory."""

from __future__ import annotations

import weakref
from typing import Any

from ..function import _shell
from ..grad_mode import state as _grad_state
from ..tensor import Tensor, bump_version


def inplace_apply(x: Tensor, cls: Any, *args: Any, fast: Any = None) -> Tensor:
    """Apply primitive ``cls`` to ``(x, *args)`` and store the result in ``x``; bumps x's version."""
    needs = _grad_state.enabled and (
        x.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
    )
    if needs and x.requires_grad and x.grad_fn is None:
        raise RuntimeError(
            f"{cls.op_name()}_: a leaf Variable that requires grad (shape {tuple(x.shape)}) is being used in an "
            "in-place operation; wrap it in `with autograd.no_grad():` or use the out-of-place op"
        )
    if not needs:
        raw = [a._data if isinstance(a, Tensor) else a for a in args]
        if fast is not None:
            try:
                fast(x._data, *raw)
            except (ValueError, TypeError) as e:
                # shape and casting failures are RuntimeErrors in PyTorch (NumPy's own subclasses can't be
                # rebuilt from a message anyway); a bad operand type stays a TypeError
                kind = TypeError if type(e) is TypeError else RuntimeError
                raise kind(f"{cls.op_name()}_: {e} (tensor of shape {tuple(x.shape)}, {x.dtype})") from None
        else:
            _write(x, cls.forward(cls.__new__(cls), x._data, *raw), cls)
        bump_version(x)
        return x
    old = _shell(x)
    if 0 in cls._saved_inputs:
        old._data = x._data.copy()
        old._vc = [0]
    res = cls.apply(old, *args)
    _write(x, res._data, cls)
    bump_version(x)
    node = res.grad_fn
    record_history(x, node.seq)
    x.grad_fn, x.requires_grad, x._oi = node, True, 0
    if cls._saves_output:
        node._out = weakref.ref(x)
        node._outv = x._vc[0]
    return x


def record_history(x: Tensor, boundary: int) -> None:
    """Remember x's history before an in-place op: nodes recorded before ``boundary`` consumed the old x.

    The engine reads a node's input history through ``history_at`` so gradients flow along the graph as it
    was when each node was recorded (PyTorch's edges), not as it is at backward time.
    """
    x._ext().setdefault("history", []).append((boundary, x.grad_fn, x._oi, x.requires_grad))


def history_at(x: Tensor, seq: int) -> tuple:
    """(grad_fn, output index, requires_grad) of ``x`` as seen by a node recorded at ``seq``."""
    for boundary, fn, oi, rg in x._extra["history"]:
        if seq < boundary:
            return fn, oi, rg
    return x.grad_fn, x._oi, x.requires_grad


def _write(x: Tensor, value: Any, cls: Any) -> None:
    if value.shape != x._data.shape:
        raise RuntimeError(
            f"{cls.op_name()}_: output with shape {tuple(x._data.shape)} doesn't match the broadcast shape "
            f"{tuple(value.shape)}"
        )
    if value.dtype != x._data.dtype and not _can_cast(value.dtype, x._data.dtype):
        raise RuntimeError(
            f"{cls.op_name()}_: result type {value.dtype} can't be cast to the desired output type "
            f"{x._data.dtype}"
        )
    x._data[...] = value


def _can_cast(src: Any, dst: Any) -> bool:
    # PyTorch refuses float -> int in place but allows same-kind narrowing (float64 -> float32)
    order = "biuf"
    return (
        order.index(src.kind) <= order.index(dst.kind) if src.kind in order and dst.kind in order else False
    )
