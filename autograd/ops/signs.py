"""Sign and float-representation ops as ``torch`` has them: sgn, frac, fix, copysign and nextafter, with
their Tensor methods and in-place forms. copysign/nextafter are primitives with PyTorch's gradients
(copysign: ``grad * result / input``, 0 where input is 0; nextafter: ``grad`` to input); none to ``other``."""

from __future__ import annotations

from typing import Any

from ..grad_mode import state as _grad_state
from ..tensor import Tensor
from .elementwise import Trunc
from .elementwise_math import _XpBinary
from .writes import store


class CopySign(_XpBinary):
    fn = "copysign"

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        n = ctx.needs_input_grad
        ga = None
        if n[0]:
            xp, ad = a.backend.xp, a._data
            ratio = xp.where(ad == 0, 0, xp.copysign(1, ad) * xp.copysign(1, b._data)).astype(ad.dtype)
            ga = g * Tensor._make(ratio)
        return ga, (g * 0 if n[1] else None)


class NextAfter(_XpBinary):
    fn = "nextafter"
    _saved_inputs = ()

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        return (g if n[0] else None), (g * 0 if n[1] else None)


def _float_only(op: str, x: Tensor) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(x).__name__}")
    if x._data.dtype.kind != "f":
        raise NotImplementedError(
            f'{op}: "{op}" not implemented for {x.dtype!r} (needs a floating point tensor)'
        )
    return x


def sgn(input: Tensor) -> Tensor:
    """The sign (-1, 0 or 1; a bool tensor is its own sign); for real tensors the same as ``sign``."""
    return input.sign()


def frac(input: Tensor) -> Tensor:
    """The fractional part ``input - trunc(input)`` (keeps the sign); floating tensors only."""
    x = _float_only("frac", input)
    return x - Trunc.apply(x)


def fix(input: Tensor) -> Tensor:
    """Round towards zero (an alias of ``trunc``)."""
    return input.trunc()


def copysign(input: Any, other: Any) -> Tensor:
    """``|input|`` with the sign of ``other`` (-0.0 counts as negative); integers give a float result."""
    from ..math_ops import _pair

    return CopySign.apply(*_pair("copysign", input, other))


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next representable float after ``input`` towards ``other``."""
    from ..math_ops import _pair

    if not isinstance(other, Tensor):
        raise TypeError(
            f"nextafter: argument 'other' (position 2) must be Tensor, not {type(other).__name__}"
        )
    a, b = _pair("nextafter", input, other, to_float=False)
    return NextAfter.apply(_float_only("nextafter", a), b)


def _inplace(fn: Any, op: str) -> Any:
    def f_(self: Tensor, *args: Any) -> Tensor:
        # copysign's backward reads the old self: under grad mode compute from a copy of it
        src = self.clone() if self.requires_grad and _grad_state.enabled else self
        return store(op, self, fn(src, *args))

    f_.__name__ = op
    return f_


METHODS = {
    "sgn": sgn,
    "frac": frac,
    "fix": fix,
    "copysign": copysign,
    "nextafter": nextafter,
}


def install(T: type) -> None:
    """Attach the methods and their in-place forms (``frac_``, ``copysign_``...) to Tensor."""
    for name, fn in METHODS.items():
        setattr(T, name, fn)
        setattr(T, name + "_", _inplace(fn, name + "_"))
