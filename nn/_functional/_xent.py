"""Cross-entropy losses: cross_entropy, nll_loss, binary_cross_entropy(_with_logits), and their fused primitives.

The primitives run their forward on backend kernels (so the CUDA backend can substitute fused
ones) and have a raw backward for speed next to a Tensor-op backward for higher-order gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as A
from autograd import Tensor
from autograd.fastpath import record
from autograd.ops.base import Primitive
from autograd.tensor import _BY_TYPE

from ._loss_utils import (
    apply_reduction,
    check_float_input,
    check_tensors,
    resolve_reduction,
    same_shape_target,
)
from .activation import Softmax, log_softmax

_ndarray = np.ndarray


def _same(a: Any) -> Any:
    return a


def _dense_loss(b: Any, x: Any, t: Any, reduction: str) -> tuple[Any, Any]:
    """The dense cross-entropy kernels' loss, reduced, and the state their backward reads."""
    loss, state = b.cross_entropy_dense_forward(x, t)
    if reduction == "none":
        return loss, state
    total = loss.sum()
    return (total if reduction == "sum" else total / loss.shape[0]), state


def _target_span(t: Any, c: int, ignore_index: int) -> tuple[bool, bool]:
    """(every target in [0, C), and none of them ignore_index): one min and one max over the non-empty int
    targets ``t``; the second means the dense kernels apply."""
    lo, hi = t.min(), t.max()  # one check (and one device sync) in the common all-in-range case
    if bool((lo < 0) | (hi >= c)):
        return False, False
    return True, not 0 <= ignore_index < c or not bool((lo <= ignore_index) & (hi >= ignore_index))


# log(x) below this is clamped to -100 anyway; clamping x first avoids log(0) warnings
_TINY = 1e-44


class CrossEntropy(Primitive):
    """log_softmax + pick the target class + weighted reduction, in one node.

    Inputs: logits (N, C, d1...), int targets (N, d1...), class weights (C,) or None, ignore_index,
    reduction, label_smoothing. Backward: (softmax - one_hot) scaled per sample.
    """

    op = "cross_entropy"
    _saved_inputs = (0,)  # the Tensor-op backward recomputes softmax from the logits

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, label_smoothing, dense=False):
        b = ctx.backend(x)
        ctx.dense = dense
        if dense:  # every target a class in range, no weight, no smoothing: the lean kernels
            out, ctx.dense_state = _dense_loss(b, x, target, reduction)
            ctx.wt = None
            return out
        xp = b.xp
        loss, logp, wt = b.cross_entropy_forward(x, target, weight, ignore_index, label_smoothing)
        ctx.logp, ctx.wt = logp, wt
        if reduction == "none":
            return loss
        total = loss.sum()
        if reduction == "sum":
            return total
        denom = wt.sum()
        ctx.denom = denom
        nonzero = denom != 0
        return xp.where(nonzero, total / xp.where(nonzero, denom, 1), xp.nan).astype(x.dtype)

    @staticmethod
    def _upstream(ctx, g: Any, xp: Any, wrap: Any) -> Any:
        """The gradient reaching each sample's loss (``g`` is 0-d for mean/sum)."""
        if ctx.inputs[4] != "mean":
            return g
        if ctx.dense:  # nothing ignored: the mean is over all N samples
            return g / ctx.inputs[1].shape[0]
        d = ctx.denom
        return g / wrap(xp.where(d != 0, d, 1))  # all ignored: every sample weight is 0, so the gradient is 0

    @staticmethod
    def backward_raw(ctx, g):
        x, target, weight, ignore_index, reduction, ls, _ = ctx.inputs
        b = _BY_TYPE[type(x._data)]
        t = target._data
        if ctx.dense:  # every sample counts: the mean divides by N
            gs = g / t.shape[0] if reduction == "mean" else g
            grad = b.cross_entropy_dense_backward(ctx.dense_state, t, gs)
        else:
            gs = CrossEntropy._upstream(ctx, g, b.xp, _same)
            w = None if weight is None else weight._data
            grad = b.cross_entropy_backward(ctx.logp, t, w, ctx.wt, ignore_index, ls, gs)
        return grad, None, None, None, None, None, None

    @staticmethod
    def backward(ctx, g):
        # Tensor ops (softmax recomputed from x) so that the gradient is itself differentiable
        x, target, weight, ignore_index, _, ls, _ = ctx.inputs
        xp = x.backend.xp
        dt = x._data.dtype
        gs = CrossEntropy._upstream(ctx, g, xp, Tensor._make)
        t = target._data
        valid = t != ignore_index
        c = x.shape[1]
        p = Softmax.apply(x, 1)
        wt = valid.astype(dt) if ctx.wt is None else ctx.wt
        coef = (gs * Tensor._make(wt) * (1 - ls)).unsqueeze(1)
        onehot = xp.expand_dims(xp.where(valid, t, 0), 1) == xp.arange(c).reshape(
            (1, c) + (1,) * (x.ndim - 2)
        )
        grad = (p - Tensor._make(onehot.astype(dt))) * coef
        if ls:
            gv = (gs * Tensor._make(valid.astype(dt)) * (ls / c)).unsqueeze(1)
            if weight is None:
                grad = grad + gv * (p * c - 1)
            else:
                wb = weight.detach().reshape((1, c) + (1,) * (x.ndim - 2))
                grad = grad + gv * (p * weight.detach().sum() - wb)
        return grad, None, None, None, None, None, None


class BinaryCrossEntropy(Primitive):
    """Elementwise -(t log x + (1 - t) log(1 - x)) with both logs clamped to >= -100, as in PyTorch."""

    op = "binary_cross_entropy"
    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, x, t):
        b = ctx.backend(x)
        xp = b.xp
        with b.errstate():  # log(0) = -inf is expected here and clamped
            lx = xp.maximum(xp.log(x), -100)
            l1x = xp.maximum(xp.log1p(-x), -100)
        return -(t * lx + (1 - t) * l1x)

    @staticmethod
    def backward_raw(ctx, g):
        x, t = ctx.inputs
        xd, td = x._data, t._data
        xp = x.backend.xp
        gx = g * (xd - td) / xp.maximum(xd * (1 - xd), 1e-12) if x.requires_grad else None
        gt = None
        if t.requires_grad:
            with x.backend.errstate():
                gt = g * (xp.maximum(xp.log1p(-xd), -100) - xp.maximum(xp.log(xd), -100))
        return gx, gt

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.inputs
        n = ctx.needs_input_grad
        gx = g * (x - t) / (x * (1 - x)).clamp(min=1e-12) if n[0] else None
        gt = None
        if n[1]:
            l1x = (1 - x).clamp(min=_TINY).log().clamp(min=-100)
            lx = x.clamp(min=_TINY).log().clamp(min=-100)
            gt = g * (l1x - lx)
        return gx, gt


# ---- classification on class indices ------------------------------------------------------------


def _class_target(
    op: str, input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int
) -> tuple[Tensor, Tensor, Tensor | None, bool, bool]:
    """Validate (input, int target, class weight); a (C,) input becomes (1, C).

    Returns (input, target, weight, was_1d, dense) where ``dense`` says that every target is a class in
    [0, C) (none ignored), which lets the loss skip its masks. The caller has run ``check_tensors``.
    """
    check_float_input(op, input)
    if input.ndim == 0:
        raise ValueError(f"{op}: expected input of shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor")
    shape = input.shape
    c = shape[1] if input.ndim >= 2 else shape[0]
    expected = (shape[0], *shape[2:]) if input.ndim >= 2 else ()
    t = target._data
    if t.dtype.kind not in "iu":
        raise RuntimeError(
            f"{op}: expected class-index targets of an integer dtype (int64) and shape {expected}, got "
            f"{target.dtype} of shape {tuple(target.shape)}"
        )
    if t.shape != expected:
        raise ValueError(
            f"{op}: expected target of shape {expected} for input of shape {tuple(shape)} "
            f"({c} classes on dim {1 if input.ndim >= 2 else 0}), got {tuple(target.shape)}"
        )
    dense = False
    if t.size:
        in_range, dense = _target_span(t, c, ignore_index)
        if not in_range:
            bad = ((t < 0) | (t >= c)) & (t != ignore_index)
            if bool(bad.any()):
                v = int(t[bad].reshape(-1)[0])
                raise IndexError(
                    f"{op}: target class index {v} is out of range for input of shape {tuple(shape)} with "
                    f"{c} classes; expected values in [0, {c - 1}] or ignore_index={ignore_index}"
                )
    if weight is not None:
        if weight.shape != (c,):
            raise RuntimeError(
                f"{op}: weight should be a 1-D tensor with one entry per class ({c}), got shape "
                f"{tuple(weight.shape)}"
            )
        weight = weight.to(input.dtype) if weight.dtype != input.dtype else weight
    if input.ndim == 1:
        return input.unsqueeze(0), target.reshape(1), weight, True, dense
    return input, target, weight, False, dense


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class indices given log-probabilities (N, C, d1...)."""
    reduction = resolve_reduction("nll_loss", size_average, reduce, reduction)
    check_tensors("nll_loss", input=input, target=target, weight=weight)
    x, t, w, was_1d, _ = _class_target("nll_loss", input, target, weight, ignore_index)
    xp = x.backend.xp
    td = t._data
    valid = td != ignore_index
    c = x.shape[1]
    # select by mask rather than gather: no scatter in backward, and -inf log-probs elsewhere stay harmless
    onehot = xp.expand_dims(td, 1) == xp.arange(c).reshape((1, c) + (1,) * (x.ndim - 2))
    picked = A.where(Tensor._make(onehot), x, 0.0).sum(1)
    if w is None:
        wt = Tensor._make(valid.astype(x._data.dtype))
    else:
        wt = Tensor._make(xp.where(valid, w._data[xp.where(valid, td, 0)], 0).astype(x._data.dtype))
    loss = A.where(Tensor._make(valid), -picked * wt, 0.0)
    if reduction == "none":
        return loss.reshape(()) if was_1d else loss
    if reduction == "sum":
        return loss.sum()
    d = wt._data.sum()
    nonzero = Tensor._make(d != 0)  # all ignored: nan, as in PyTorch, with zero gradients
    return A.where(nonzero, loss.sum() / Tensor._make(xp.where(d != 0, d, 1)), float("nan"))


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of logits (N, C, d1...) against class indices or class probabilities."""
    if (
        weight is None
        and not label_smoothing
        and size_average is None
        and reduce is None
        and (reduction == "mean" or reduction == "sum")
        and input.__class__ is Tensor
        and target.__class__ is Tensor
    ):
        out = _dense_cross_entropy(input, target, ignore_index, reduction)
        if out is not None:
            return out
    op = "cross_entropy"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    check_tensors(op, input=input, target=target, weight=weight)
    if target.is_floating_point():
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    x, t, w, was_1d, dense = _class_target(op, input, target, weight, ignore_index)
    dense = dense and w is None and not label_smoothing and x.ndim == 2
    out = CrossEntropy.apply(x, t, w, ignore_index, reduction, float(label_smoothing), dense)
    return out.reshape(()) if was_1d and reduction == "none" else out


def _dense_cross_entropy(input: Tensor, target: Tensor, ignore_index: int, reduction: str) -> Tensor | None:
    """The training loop's case in few steps: (N, C) float logits on the CPU, N int64 targets all in [0, C),
    none ignored, mean or sum. None for anything else (the checked path handles it and raises its errors)."""
    x, t = input._data, target._data
    if (
        type(x) is not _ndarray
        or type(t) is not _ndarray
        or x.ndim != 2
        or t.ndim != 1
        or x.dtype.kind != "f"
        or t.dtype.kind not in "iu"
        or t.shape[0] != x.shape[0]
        or not t.size
    ):
        return None
    if not _target_span(t, x.shape[1], ignore_index)[1]:
        return None
    loss, state = _dense_loss(_BY_TYPE[_ndarray], x, t, reduction)
    inputs = (input, target, None, ignore_index, reduction, 0.0, True)
    out = record(CrossEntropy, loss, inputs, [input._vc[0]], input.requires_grad)
    node = out.grad_fn
    if node is not None:  # what CrossEntropy.forward leaves for the backward
        node.dense, node.dense_state, node.wt = True, state, None
    return out


def _cross_entropy_probs(
    input: Tensor, target: Tensor, weight: Tensor | None, reduction: str, label_smoothing: float
) -> Tensor:
    op = "cross_entropy"
    check_float_input(op, input)
    if input.ndim == 0 or target.shape != input.shape:
        raise ValueError(
            f"{op}: a floating-point target holds class probabilities and must have the input's shape "
            f"{tuple(input.shape)}, got {tuple(target.shape)}; for class indices pass an int64 target of shape "
            f"{(input.shape[0], *input.shape[2:]) if input.ndim >= 2 else ()}"
        )
    cdim = 1 if input.ndim >= 2 else 0
    c = input.shape[cdim]
    target = target.to(input.dtype) if target.dtype != input.dtype else target
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / c
    prod = log_softmax(input, cdim) * target
    if weight is not None:
        if weight.shape != (c,):
            raise RuntimeError(
                f"{op}: weight should be a 1-D tensor with one entry per class ({c}), got shape "
                f"{tuple(weight.shape)}"
            )
        prod = prod * weight.to(input.dtype).reshape((c,) + (1,) * (input.ndim - 1 - cdim))
    if reduction == "none":
        return -prod.sum(cdim)
    total = -prod.sum()
    if reduction == "sum":
        return total
    n = input.numel() // c if c else 0
    return total / n if n else total * float("nan")


# ---- binary classification -------------------------------------------------------------------------


def _binary_weight(op: str, loss: Tensor, weight: Tensor | None, target: Tensor) -> Tensor:
    if weight is None:
        return loss
    check_tensors(op, target=target, weight=weight)
    try:
        ok = target.backend.xp.broadcast_shapes(target.shape, weight.shape) == target.shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"{op}: weight of shape {tuple(weight.shape)} cannot be broadcast to the target's shape "
            f"{tuple(target.shape)}"
        )
    return loss * weight


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy of probabilities; log terms are clamped to >= -100, as in PyTorch."""
    op = "binary_cross_entropy"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    target = same_shape_target(op, input, target)
    d = input._data
    if d.size and bool(((d < 0) | (d > 1)).any()):
        raise RuntimeError(
            f"{op}: all elements of input should be between 0 and 1 (input of shape {tuple(input.shape)}); "
            "for logits use binary_cross_entropy_with_logits"
        )
    loss = BinaryCrossEntropy.apply(input, target)
    return apply_reduction(_binary_weight(op, loss, weight, target), reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """sigmoid + binary cross-entropy in one stable expression: (1 - t) x + w_pos * softplus(-x)."""
    op = "binary_cross_entropy_with_logits"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    target = same_shape_target(op, input, target)
    sp = (-input).softplus()  # log(1 + exp(-x)), overflow-free
    if pos_weight is not None:
        check_tensors(op, input=input, pos_weight=pos_weight)
        try:
            ok = input.backend.xp.broadcast_shapes(input.shape, pos_weight.shape) == input.shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"{op}: pos_weight of shape {tuple(pos_weight.shape)} cannot be broadcast to the input's shape "
                f"{tuple(input.shape)}; expected one weight per class (the last dim)"
            )
        sp = sp * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input + sp
    return apply_reduction(_binary_weight(op, loss, weight, target), reduction)
