"""nn.functional: losses, with PyTorch's names, signatures, defaults and reductions.

Inputs are validated up front so that a wrong target (shape, dtype, class index out of range)
gets an error naming the loss, the shapes and what is expected. Logit losses are stable for
extreme logits (log-softmax and softplus are computed without overflow).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import autograd as A
from autograd import Tensor

from ._loss_utils import (
    apply_reduction,
    as_input_dtype,
    check_float_input,
    check_tensors,
    pointwise_target,
    resolve_reduction,
    weighted_reduce,
)
from ._xent import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, nll_loss
from .activation import logsigmoid
from .margin_loss import _triplet_loss
from .misc import pairwise_distance

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cross_entropy",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "margin_ranking_loss",
    "mse_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
]


# ---- regression --------------------------------------------------------------------------------------


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error."""
    target = pointwise_target("mse_loss", input, target)
    reduction = resolve_reduction("mse_loss", size_average, reduce, reduction)
    d = input - target
    return weighted_reduce("mse_loss", d * d, weight, input, reduction)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error."""
    target = pointwise_target("l1_loss", input, target)
    reduction = resolve_reduction("l1_loss", size_average, reduce, reduction)
    return weighted_reduce("l1_loss", (input - target).abs(), weight, input, reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (L1 when beta is 0)."""
    target = pointwise_target("smooth_l1_loss", input, target)
    reduction = resolve_reduction("smooth_l1_loss", size_average, reduce, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = input - target
    a = d.abs()
    if beta == 0:
        return apply_reduction(a, reduction)
    return apply_reduction(A.where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta), reduction)


def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0, weight: Tensor | None = None
) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    target = pointwise_target("huber_loss", input, target)
    reduction = resolve_reduction("huber_loss", None, None, reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = input - target
    a = d.abs()
    loss = A.where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    if weight is not None:
        check_tensors("huber_loss", input=input, weight=weight)
        if weight.shape != input.shape:
            raise ValueError(
                f"huber_loss: weight of shape {tuple(weight.shape)} must have the input's shape "
                f"{tuple(input.shape)}"
            )
        loss = loss * weight  # PyTorch: 'mean' here is the plain mean of the weighted losses
    return apply_reduction(loss, reduction)


def soft_margin_loss(
    input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None, reduction: str = "mean"
) -> Tensor:
    """log(1 + exp(-y x)) for labels y in {1, -1}."""
    target = pointwise_target("soft_margin_loss", input, target)
    reduction = resolve_reduction("soft_margin_loss", size_average, reduce, reduction)
    return apply_reduction((-(target * input)).softplus(), reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Per-class logistic loss (N, C) with 0/1 targets, averaged over classes."""
    op = "multilabel_soft_margin_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    check_tensors(op, input=input, target=target, weight=weight)
    check_float_input(op, input)
    if target.shape != input.shape:
        raise ValueError(
            f"{op}: target of shape {tuple(target.shape)} must have the input's shape {tuple(input.shape)}"
        )
    target = as_input_dtype(target, input)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    cdim = input.ndim - 1
    loss = loss.sum(cdim) / input.shape[cdim]
    return apply_reduction(loss, reduction)


# ---- distributions -----------------------------------------------------------------------------------


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL(target || input) pointwise, with ``input`` in log space (and ``target`` too with log_target)."""
    op = "kl_div"
    legacy = size_average is not None or reduce is not None
    reduction = resolve_reduction(op, size_average, reduce, reduction, extra=("batchmean",))
    if reduction == "mean" and not legacy:
        warnings.warn(
            "kl_div: reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
    target = pointwise_target(op, input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        zero = target == 0  # 0 * log 0 = 0 (xlogy)
        loss = A.where(zero, 0.0, target * A.where(zero, 1.0, target).log()) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return apply_reduction(loss, reduction)


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: Any = None,
    eps: float = 1e-8,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of a Poisson target given its (log-)rate."""
    op = "poisson_nll_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    target = pointwise_target(op, input, target)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        big = target > 1  # Stirling's term, only where it is accurate (as in PyTorch)
        t = A.where(big, target, 1.0)
        stirling = t * t.log() - t + (t * (2 * math.pi)).log() * 0.5
        loss = loss + A.where(big, stirling, 0.0)
    return apply_reduction(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of a Gaussian target given mean ``input`` and variance ``var``."""
    op = "gaussian_nll_loss"
    check_tensors(op, input=input, target=target)
    if isinstance(var, int | float):
        if var < 0:
            raise ValueError(f"{op}: var has negative entry/entries ({var})")
        var = A.full(input.shape, float(var), dtype=input.dtype, device=input.device)
    check_tensors(op, input=input, var=var)
    if bool((var < 0).any()):
        raise ValueError(f"{op}: var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError(
                f"{op}: var of shape {tuple(var.shape)} is of incorrect size for input {tuple(input.shape)}; "
                "expected the input's shape, the input's shape without its last dim, or the input's shape with "
                "one dim of size 1"
            )
    reduction = resolve_reduction(op, None, None, reduction)
    # clamp the value for stability, but let the gradient through unchanged (PyTorch clamps under no_grad)
    var = var + (var.detach().clamp(min=eps) - var.detach())
    loss = (var.log() + (input - target) ** 2 / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return apply_reduction(loss, reduction)


# ---- embeddings and ranking ------------------------------------------------------------------------


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(x1, x2) for y = 1, max(0, cos(x1, x2) - margin) for y = -1."""
    op = "cosine_embedding_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    check_tensors(op, input1=input1, input2=input2, target=target)
    if target.ndim not in (0, 1):
        raise RuntimeError(
            f"{op}: expected a 0-D or 1-D target of +1/-1 labels (multi-target not supported), got shape "
            f"{tuple(target.shape)}"
        )
    want = target.ndim + 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(
            f"{op}: a {target.ndim}-D target expects {want}-D inputs, got input1 {tuple(input1.shape)}, "
            f"input2 {tuple(input2.shape)} and target {tuple(target.shape)}"
        )
    if input1.shape != input2.shape or (target.ndim == 1 and target.shape[0] != input1.shape[0]):
        raise ValueError(
            f"{op}: input1 {tuple(input1.shape)}, input2 {tuple(input2.shape)} and target {tuple(target.shape)} "
            "must agree: inputs (N, D) or (D,), target (N,) or ()"
        )
    d = target.ndim
    eps = 1e-12
    prod = (input1 * input2).sum(d)
    mag = (((input1 * input1).sum(d) + eps) * ((input2 * input2).sum(d) + eps)).sqrt()
    cos = prod / mag
    loss = A.where(target == 1, 1 - cos, 0.0) + A.where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return apply_reduction(loss, reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 when y = 1."""
    op = "margin_ranking_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    check_tensors(op, input1=input1, input2=input2, target=target)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            f"{op}: all input tensors should have the same number of dimensions, got input1 "
            f"{tuple(input1.shape)}, input2 {tuple(input2.shape)} and target {tuple(target.shape)}"
        )
    target = as_input_dtype(target, input1)
    return apply_reduction((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """x for y = 1, max(0, margin - x) for y = -1 (x is typically a distance)."""
    op = "hinge_embedding_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    target = pointwise_target(op, input, target)
    loss = A.where(target != 1, (margin - input).clamp(min=0), 0.0) + A.where(target != -1, input, 0.0)
    return apply_reduction(loss, reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) with p-norm distances; ``swap`` uses min(d(a, n), d(p, n))."""
    op = "triplet_margin_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)

    def dist(x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, p, eps)

    return _triplet_loss(op, anchor, positive, negative, dist, margin, swap, reduction)
