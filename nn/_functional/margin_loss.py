"""nn.functional: multi-class margin losses (multi_margin_loss, multilabel_margin_loss) and
triplet_margin_with_distance_loss, as PyTorch's; targets are validated before any arithmetic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd as A
from autograd import Tensor

from ._loss_utils import apply_reduction, check_float_input, check_tensors, resolve_reduction
from .activation import relu
from .misc import pairwise_distance

__all__ = ["multi_margin_loss", "multilabel_margin_loss", "triplet_margin_with_distance_loss"]


def _class_input(op: str, input: Tensor, target: Tensor) -> tuple[Tensor, Tensor, bool]:
    """(N, C) input, its int64 target, and whether the input was a single (C,) sample."""
    check_tensors(op, input=input, target=target)
    check_float_input(op, input)
    if input.ndim not in (1, 2):
        raise RuntimeError(f"{op}: expected a 1-D (C,) or 2-D (N, C) input, got shape {tuple(input.shape)}")
    if target.dtype != A.int64:
        raise RuntimeError(f"{op}: expected an int64 (class index) target, got {target.dtype}")
    single = input.ndim == 1
    return (input.unsqueeze(0) if single else input), target, single


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """sum over i != y of w[y] * max(0, margin - x[y] + x[i]) ** p, divided by C (multi-class hinge)."""
    op = "multi_margin_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 supported, got p={p}")
    x, target, single = _class_input(op, input, target)
    n, c = x.shape
    if target.numel() != n or (not single and target.ndim != 1):
        raise RuntimeError(
            f"{op}: target should be 1-D with one class index per sample: expected {n} elements for an input of "
            f"shape {tuple(input.shape)}, got a target of shape {tuple(target.shape)}"
        )
    t = target.reshape(n, 1)
    if n and (int(t.min().item()) < 0 or int(t.max().item()) >= c):
        raise RuntimeError(
            f"{op}: target out of range: class indices must be in [0, {c}), got {target.tolist()}"
        )
    if weight is not None:
        check_tensors(op, input=input, weight=weight)
        if weight.ndim != 1 or weight.shape[0] != c:
            raise RuntimeError(
                f"{op}: expected weight to be a 1-D tensor of size {c} (one per class), got {tuple(weight.shape)}"
            )
    x_y = x.gather(1, t)
    z = relu(margin - x_y + x)
    z = z if p == 1 else z * z
    others = A.arange(c, device=x.device).reshape(1, c) != t
    loss = A.where(others, z, 0.0)
    if weight is not None:
        loss = loss * weight.to(x.dtype).gather(0, t.reshape(-1)).reshape(n, 1)
    loss = loss.sum(1) / c
    if single:
        loss = loss.reshape(target.shape)  # () or (1,), as the target (PyTorch's)
    return apply_reduction(loss, reduction)


def multilabel_margin_loss(
    input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None, reduction: str = "mean"
) -> Tensor:
    """Hinge loss between each target class and each non-target class, divided by C.

    ``target`` holds class indices, each row ended by the first -1 (the rest is ignored).
    """
    op = "multilabel_margin_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    x, target, single = _class_input(op, input, target)
    if target.shape != input.shape:
        raise RuntimeError(
            f"{op}: inconsistent target size {tuple(target.shape)} for input of size {tuple(input.shape)}; "
            "expected the input's shape"
        )
    n, c = x.shape
    t = target.reshape(n, c)
    if t.numel() and (int(t.min().item()) < -1 or int(t.max().item()) >= c):
        raise RuntimeError(
            f"{op}: target out of range: expected class indices in [0, {c}) or -1 (end of the labels), "
            f"got {target.tolist()}"
        )
    valid = (t != -1).to(A.int64).cumprod(1) > 0  # labels before the first -1
    safe = A.where(valid, t, 0)
    is_label = A.zeros(n, c, dtype=A.int64, device=x.device).scatter_add(1, safe, valid.to(A.int64)) > 0
    x_y = x.gather(1, safe)  # (n, c): the score of each listed label
    hinge = relu(1 - x_y.unsqueeze(2) + x.unsqueeze(1))  # [n, j, i]: label j against class i
    pair = valid.unsqueeze(2) & is_label.logical_not().unsqueeze(1)
    loss = A.where(pair, hinge, 0.0).sum((1, 2)) / c
    if single:
        loss = loss.reshape(())
    return apply_reduction(loss, reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) for any distance ``d`` (default: pairwise_distance)."""
    op = "triplet_margin_with_distance_loss"
    reduction = resolve_reduction(op, None, None, reduction)
    dist = distance_function if distance_function is not None else pairwise_distance
    return _triplet_loss(op, anchor, positive, negative, dist, margin, swap, reduction)


def _triplet_loss(
    op: str,
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    dist: Callable[[Tensor, Tensor], Tensor],
    margin: float,
    swap: bool,
    reduction: str,
) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), ``swap``: d(a, n) -> min(d(a, n), d(p, n)); shared by both
    triplet losses (``triplet_margin_loss`` passes a p-norm ``pairwise_distance``)."""
    check_tensors(op, anchor=anchor, positive=positive, negative=negative)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            f"{op}: the anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {tuple(anchor.shape)}, positive {tuple(positive.shape)}, and negative "
            f"{tuple(negative.shape)}"
        )
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    return apply_reduction((margin + d_pos - d_neg).clamp(min=0), reduction)
