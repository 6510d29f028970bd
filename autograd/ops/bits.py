"""Bitwise ops on integer and bool tensors (and, or, xor, not, shifts) with PyTorch's dtype promotion,
its shift semantics (shifting by the bit width or more gives 0, or the sign for a right shift) and the
``& | ^ ~ << >>`` operators. No gradients: these are not differentiable in PyTorch either."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .writes import store


def _kind_error(op: str, dt: Any) -> NotImplementedError:
    return NotImplementedError(f'{op}: "{op}" not implemented for {dt!r} (needs integer or bool tensors)')


def _operands(op: str, a: Any, b: Any) -> tuple[Any, Any, Any]:
    """Raw arrays of both operands in PyTorch's result dtype, and that dtype's backend."""
    from ..creation import result_type
    from ..math_ops import operands

    a, b = operands(op, a, b)
    dt = result_type(a, b)
    if dt.np.kind not in "iub":
        raise _kind_error(op, dt)
    ref = a if isinstance(a, Tensor) else b
    xp = ref.backend.xp

    def raw(x: Any) -> Any:
        if isinstance(x, Tensor):
            return x._data if x._data.dtype == dt.np else x._data.astype(dt.np)
        return xp.asarray(x).astype(dt.np)  # wraps like a C cast (-1 as uint8 is 255), as PyTorch

    return raw(a), raw(b), xp


def _logic(fn: str, op: str) -> Any:
    def f(input: Any, other: Any) -> Tensor:
        a, b, xp = _operands(op, input, other)
        return Tensor._make(getattr(xp, fn)(a, b))

    f.__name__ = op
    f.__doc__ = (
        f"Elementwise ``{op}`` of integer or bool tensors (a Python int or bool works as either side)."
    )
    return f


bitwise_and = _logic("bitwise_and", "bitwise_and")
bitwise_or = _logic("bitwise_or", "bitwise_or")
bitwise_xor = _logic("bitwise_xor", "bitwise_xor")


def bitwise_not(input: Tensor) -> Tensor:
    """Bitwise NOT of an integer tensor (logical NOT of a bool one)."""
    if input._data.dtype.kind not in "iub":
        raise _kind_error("bitwise_not", input.dtype)
    return Tensor._make(input.backend.xp.invert(input._data))


def bitwise_left_shift(input: Any, other: Any) -> Tensor:
    """``input << other``; shifting by a negative amount or by the bit width or more gives 0."""
    a, b, xp = _operands("bitwise_left_shift", input, other)
    if a.dtype.kind == "b":
        raise _kind_error("bitwise_left_shift", "Bool")
    bits = a.dtype.itemsize * 8
    out = xp.left_shift(a, xp.clip(b, 0, bits - 1))
    return Tensor._make(xp.where((b < 0) | (b >= bits), xp.zeros((), dtype=a.dtype), out))


def bitwise_right_shift(input: Any, other: Any) -> Tensor:
    """``input >> other`` (arithmetic for signed types); a negative shift or one of the bit width or more
    leaves only the sign (0 or -1), as in PyTorch."""
    a, b, xp = _operands("bitwise_right_shift", input, other)
    if a.dtype.kind == "b":
        raise _kind_error("bitwise_right_shift", "Bool")
    bits = a.dtype.itemsize * 8
    out = xp.right_shift(a, xp.clip(b, 0, bits - 1))
    sign = xp.right_shift(a, bits - 1) if a.dtype.kind == "i" else xp.zeros((), dtype=a.dtype)
    return Tensor._make(xp.where((b < 0) | (b >= bits), sign, out))


def _inplace(fn: Any, op: str) -> Any:
    def f_(self: Tensor, other: Any) -> Tensor:
        return store(op, self, fn(self, other))

    f_.__name__ = op
    return f_


def install(T: type) -> None:
    """Attach the methods, their in-place forms and the operators to Tensor."""
    pairs = {
        "bitwise_and": (bitwise_and, "and"),
        "bitwise_or": (bitwise_or, "or"),
        "bitwise_xor": (bitwise_xor, "xor"),
        "bitwise_left_shift": (bitwise_left_shift, "lshift"),
        "bitwise_right_shift": (bitwise_right_shift, "rshift"),
    }
    for name, (fn, dunder) in pairs.items():
        f_ = _inplace(fn, name + "_")
        setattr(T, name, fn)
        setattr(T, name + "_", f_)
        setattr(T, f"__{dunder}__", fn)
        setattr(T, f"__r{dunder}__", lambda self, other, fn=fn: fn(other, self))
        setattr(T, f"__i{dunder}__", f_)
    T.bitwise_not = T.__invert__ = bitwise_not
    T.bitwise_not_ = lambda self: store("bitwise_not_", self, bitwise_not(self))
