"""Tensor methods for the torch functions of ops/bits, signs, nan_reduce, contract, bucketing, covariance and
shape_extra, and the pointwise composites with their in-place forms (addcmul(_), addcdiv(_), lerp(_))."""

from __future__ import annotations

from typing import Any

from .ops import bits, signs
from .ops import bucketing as B
from .ops import contract as C
from .ops import covariance as Cv
from .ops import nan_reduce as N
from .ops import shape_extra as SX
from .ops.writes import store
from .tensor import Tensor


def addcmul(input: Tensor, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
    """``input + value * tensor1 * tensor2`` (broadcasting); with integer tensors a float ``value`` is
    truncated to an int first, as in PyTorch."""
    if isinstance(value, float) and all(
        isinstance(t, Tensor) and t._data.dtype.kind in "biu" for t in (input, tensor1, tensor2)
    ):
        value = int(value)
    return input + value * tensor1 * tensor2


def addcdiv(input: Tensor, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
    """``input + value * tensor1 / tensor2`` (true division; integer tensor1 and tensor2 are refused)."""
    if all(isinstance(t, Tensor) and t._data.dtype.kind in "biu" for t in (tensor1, tensor2)):
        raise RuntimeError(
            "addcdiv: Integer division with addcdiv is no longer supported; use "
            "(input + value * trunc(tensor1 / tensor2)) for the historic integer behaviour, or "
            "(input + value * tensor1 / tensor2) for true division"
        )
    return input + value * tensor1 / tensor2


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """``input + weight * (end - input)``; input and end share one floating dtype."""
    if not isinstance(end, Tensor):
        raise TypeError(f"lerp: expected end to be a Tensor, got {type(end).__name__}")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(
            f'lerp: "lerp" not implemented for {input.dtype!r} (needs a floating point tensor)'
        )
    if end._data.dtype != input._data.dtype:
        raise RuntimeError(f"lerp: expected dtype {input.dtype} for `end` but got dtype {end.dtype}")
    return input + weight * (end - input)


def install(T: type) -> None:
    """Attach the methods to Tensor."""
    bits.install(T)
    signs.install(T)
    T.fliplr, T.flipud, T.argwhere = SX.fliplr, SX.flipud, SX.argwhere
    T.vdot, T.mv = C.vdot, C.mv
    T.nansum, T.nanmean = N.nansum, N.nanmean
    T.histogram = B.histogram
    T.cov, T.corrcoef = Cv.cov, Cv.corrcoef
    T.addcmul, T.addcdiv, T.lerp = addcmul, addcdiv, lerp
    T.addcmul_ = lambda self, tensor1, tensor2, *, value=1: store(
        "addcmul_", self, addcmul(self, tensor1, tensor2, value=value)
    )
    T.addcdiv_ = lambda self, tensor1, tensor2, *, value=1: store(
        "addcdiv_", self, addcdiv(self, tensor1, tensor2, value=value)
    )
    T.lerp_ = lambda self, end, weight: store("lerp_", self, lerp(self, end, weight))
