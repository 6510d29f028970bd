"""Pairwise p-norm distances: ``cdist`` (torch.cdist) and the helper shared with ``nn.functional.pdist``.

Both are composed from differentiable Tensor ops; at zero distance the gradient is 0 (PyTorch's subgradient)
rather than NaN, for every p > 0.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .base import check_same_device


def pnorm_last(diff: Tensor, p: float) -> Tensor:
    """The p-norm of ``diff`` over its last dim, with gradient 0 where the norm is 0."""
    p = float(p)
    if p == 0:
        return diff.ne(0).to(diff.dtype).sum(-1)
    if p in (1.0, 2.0, float("inf")):
        return diff.norm(p, -1)
    from ..methods import where

    s = (diff.abs() ** p).sum(-1)
    zero = s == 0
    return where(zero, 0.0, where(zero, 1.0, s) ** (1.0 / p))


def check_pdist_input(op: str, name: str, x: Any, p: float) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise RuntimeError(f"{op}: only supports floating-point dtypes, {name} got {x.dtype}")
    if not isinstance(p, int | float) or p < 0:
        raise RuntimeError(f"{op}: only supports non-negative p values, got p={p!r}")


def cdist(
    x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary"
) -> Tensor:
    """p-norm distance between each row of x1 (..., P, M) and each row of x2 (..., R, M): (..., P, R).

    ``compute_mode`` is checked and accepted for compatibility; distances are always computed directly.
    """
    op = "cdist"
    check_pdist_input(op, "x1", x1, p)
    check_pdist_input(op, "x2", x2, p)
    check_same_device(op, x1, x2)
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(
            f"{op}: {compute_mode!r} is not a valid value for compute_mode; expected one of {modes}"
        )
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(
            f"{op}: only supports at least 2-D tensors (..., rows, M), got x1 {tuple(x1.shape)} and x2 "
            f"{tuple(x2.shape)}"
        )
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"{op}: x1 and x2 must have the same number of columns, got x1 {tuple(x1.shape)} and x2 "
            f"{tuple(x2.shape)}"
        )
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"{op}: x1 and x2 must have the same dtype, got {x1.dtype} and {x2.dtype}")
    try:
        x1.backend.xp.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"{op}: the batch dims of x1 {tuple(x1.shape)} and x2 {tuple(x2.shape)} are not broadcastable"
        ) from None
    return pnorm_last(x1.unsqueeze(-2) - x2.unsqueeze(-3), p)
