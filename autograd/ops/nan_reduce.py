"""Reductions that skip NaN (nansum, nanmean) and the paired moments (var_mean, std_mean), composed from
the differentiable sum/mean/var so gradients and every device come for free."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import reduce as R
from .arith import where


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum treating NaN as zero (its gradient there is zero); integer inputs sum to int64 as ``sum`` does."""
    x = input
    if x._data.dtype.kind == "f":
        x = where(x.isnan(), 0.0, x)
    return R.sum(x, dim, keepdim, dtype=dtype)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Mean of the non-NaN elements (NaN where all are NaN); floating tensors only."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"nanmean: expected input to have floating point or complex dtype but got {input.dtype}"
        )
    count = R.sum(input.isnan().logical_not(), dim, keepdim)
    with input.backend.errstate():  # 0 / 0 where every element is NaN: NaN, silently as in PyTorch
        return nansum(input, dim, keepdim, dtype=dtype) / count


def _moment_args(op: str, x: Tensor, dim: Any, unbiased: Any, correction: Any) -> tuple[Any, Any]:
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: only supports floating point and complex dtypes, got {x.dtype}")
    if isinstance(dim, bool):  # var_mean(x, True): the unbiased flag given in dim's place
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{op}: cannot specify both unbiased and correction")
    return dim, (correction if unbiased is None else int(bool(unbiased)))


def var_mean(
    input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None
) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim`` in one call (``correction`` 1 is Bessel's, 0 the population variance)."""
    dim, correction = _moment_args("var_mean", input, dim, unbiased, correction)
    return R.var(input, dim, keepdim=keepdim, correction=correction), R.mean(input, dim, keepdim)


def std_mean(
    input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None
) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim`` in one call."""
    dim, correction = _moment_args("std_mean", input, dim, unbiased, correction)
    return R.std(input, dim, keepdim=keepdim, correction=correction), R.mean(input, dim, keepdim)
