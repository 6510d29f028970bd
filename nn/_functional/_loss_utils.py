"""Shared pieces of the loss functions: reductions (with PyTorch's legacy flags) and input checks."""

from __future__ import annotations

import warnings
from typing import Any

from autograd import Tensor
from autograd.ops.base import check_same_device


def resolve_reduction(op: str, size_average: Any, reduce: Any, reduction: str, extra: tuple = ()) -> str:
    """The reduction to use, honouring PyTorch's deprecated size_average/reduce flags."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
        warnings.warn(
            f"{op}: size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
            stacklevel=3,
        )
    allowed = ("none", "mean", "sum", *extra)
    if reduction not in allowed:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction; expected one of {allowed}")
    return reduction


def apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def check_tensors(op: str, **named: Any) -> None:
    """Each named argument is a Tensor (or None), all on one device."""
    tensors = []
    for name, t in named.items():
        if t is None:
            continue
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{op}: expected {name} to be a Tensor, got {type(t).__module__}.{type(t).__name__}"
            )
        tensors.append(t)
    if len(tensors) > 1:
        kind = type(tensors[0]._data)
        # one array type on the host is one device; only CUDA has several of them
        if tensors[0].is_cuda or any(type(t._data) is not kind for t in tensors):
            check_same_device(op, *tensors)


def check_float_input(op: str, x: Tensor, name: str = "input") -> None:
    if not x.is_floating_point():
        raise RuntimeError(f"{op}: expected a floating-point {name}, got {x.dtype} (shape {tuple(x.shape)})")


def as_input_dtype(t: Tensor, x: Tensor) -> Tensor:
    """Integer/bool targets take the input's float dtype (PyTorch's type promotion)."""
    return t if t.is_floating_point() else t.to(x.dtype)


def pointwise_target(op: str, input: Tensor, target: Tensor) -> Tensor:
    """Regression losses broadcast a differently shaped target with PyTorch's warning; impossible shapes raise."""
    check_tensors(op, input=input, target=target)
    check_float_input(op, input)
    if target.shape != input.shape:
        try:
            input.backend.xp.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise ValueError(
                f"{op}: target of shape {tuple(target.shape)} cannot be broadcast to the input's shape "
                f"{tuple(input.shape)}; expected a target of shape {tuple(input.shape)}"
            ) from None
        warnings.warn(
            f"{op}: using a target size {tuple(target.shape)} that is different to the input size "
            f"{tuple(input.shape)}. This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )
    return as_input_dtype(target, input)


def same_shape_target(op: str, input: Tensor, target: Tensor) -> Tensor:
    check_tensors(op, input=input, target=target)
    check_float_input(op, input)
    if target.shape != input.shape:
        raise ValueError(
            f"{op}: target of shape {tuple(target.shape)} must have the same shape as the input "
            f"{tuple(input.shape)}"
        )
    if not target.is_floating_point():
        raise RuntimeError(
            f"{op}: expected a floating-point target (values in [0, 1]) like the input ({input.dtype}), got "
            f"{target.dtype}; convert it with target.float()"
        )
    return target.to(input.dtype) if target.dtype != input.dtype else target


def weighted_reduce(op: str, loss: Tensor, weight: Tensor | None, input: Tensor, reduction: str) -> Tensor:
    """PyTorch's optional elementwise weight (same shape as input); 'mean' divides by the weight sum."""
    if weight is None:
        return apply_reduction(loss, reduction)
    check_tensors(op, input=input, weight=weight)
    if weight.shape != input.shape:
        raise ValueError(
            f"{op}: weight of shape {tuple(weight.shape)} must have the input's shape {tuple(input.shape)}"
        )
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return apply_reduction(loss, reduction)
