"""Connectionist temporal classification loss (PyTorch's ``ctc_loss``).

The alpha/beta recursions run in log space over time, each step vectorized over the batch and the
blank-interleaved label sequence, on the log-probs' backend. The gradient is PyTorch's: it assumes the
log-probs come from a log-softmax (so it matches torch also for inputs that are not normalized).
"""

from __future__ import annotations

import itertools
import operator
from typing import Any

import autograd as A
from autograd import Tensor
from autograd.function import once_differentiable
from autograd.ops.base import Primitive

from ._loss_utils import check_float_input, check_tensors, resolve_reduction

__all__ = ["ctc_loss"]

_OP = "ctc_loss"


def _logsumexp(xp: Any, *terms: Any) -> Any:
    """log(sum(exp(terms))) elementwise, -inf where every term is -inf (PyTorch's max-shifted form)."""
    m = terms[0]
    for t in terms[1:]:
        m = xp.maximum(m, t)
    m = xp.where(m == -xp.inf, 0, m)
    s = xp.exp(terms[0] - m)
    for t in terms[1:]:
        s = s + xp.exp(t - m)
    return xp.log(s) + m


class CtcLoss(Primitive):
    """Per-sample CTC negative log-likelihood (N,) of log-probs (T, N, C) given extended labels (N, 2L+1).

    Non-tensor inputs: ``ext`` (labels interleaved with blanks), input and target lengths (N,) as int
    arrays on the log-probs' device, and ``zero_infinity``. Backward: PyTorch's formula, on raw arrays.
    """

    op = "ctc_loss"
    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, lp, ext, il, tl, zero_infinity):
        b = ctx.backend(lp)
        xp = b.xp
        t_len, n, _ = lp.shape
        e = ext.shape[1]
        ninf = lp.dtype.type(-xp.inf)
        rows = xp.arange(n)
        lpe = lp[:, rows[:, None], ext]  # (T, N, E): the log-prob of each extended label at each step
        skip = xp.zeros((n, e), dtype=bool)  # may alpha jump from s-2 to s (a label different from the last)
        skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
        # two -inf columns in front stand for s-1 and s-2 before the start
        alpha = xp.full((t_len, n, e + 2), ninf, dtype=lp.dtype)
        alpha[0, :, 2] = lpe[0, :, 0]
        if e > 1:
            alpha[0, :, 3] = xp.where(tl > 0, lpe[0, :, 1], ninf)
        with b.errstate():
            for t in range(1, t_len):
                prev = alpha[t - 1]
                a3 = xp.where(skip, prev[:, :-2], ninf)
                alpha[t, :, 2:] = _logsumexp(xp, prev[:, 2:], prev[:, 1:-1], a3) + lpe[t]
            last = xp.maximum(il - 1, 0)
            end = alpha[last, rows, 2 * tl + 2]
            before = xp.where(tl > 0, alpha[last, rows, 2 * tl + 1], ninf)
            nll = -_logsumexp(xp, end, before)
        nll = xp.where(il == 0, xp.where(tl == 0, 0, xp.inf), nll).astype(lp.dtype)
        ctx.lpe, ctx.skip, ctx.alpha, ctx.nll = lpe, skip, alpha[:, :, 2:], nll
        if zero_infinity:
            return xp.where(nll == xp.inf, 0, nll).astype(lp.dtype)
        return nll

    @staticmethod
    def _beta(ctx, xp: Any) -> Any:
        """log beta (T, N, E): the log-probability of finishing the labels from (t, s), lp[t] included."""
        _, ext, il, tl, _ = ctx.inputs
        lpe, skip = ctx.lpe, ctx.skip
        t_len, n, e = lpe.shape
        ninf = lpe.dtype.type(-xp.inf)
        s = xp.arange(e)
        last = xp.maximum(il - 1, 0)
        ends = (s == 2 * tl[:, None]) | (s == 2 * tl[:, None] - 1)  # a path ends on the last label or blank
        start = xp.where(ends, lpe[last, xp.arange(n)], ninf)  # (N, E): beta at t = il - 1
        skip_b = xp.zeros_like(skip)
        skip_b[:, :-2] = skip[:, 2:]  # may beta jump from s+2 to s
        # two -inf columns after the end stand for s+1 and s+2 past it
        beta = xp.full((t_len, n, e + 2), ninf, dtype=lpe.dtype)
        for t in range(t_len - 1, -1, -1):
            here = (il - 1 == t)[:, None]
            if t == t_len - 1:
                beta[t, :, :e] = xp.where(here, start, ninf)
                continue
            nxt = beta[t + 1]
            b3 = xp.where(skip_b, nxt[:, 2:], ninf)
            rec = _logsumexp(xp, nxt[:, :e], nxt[:, 1:-1], b3) + lpe[t]
            beta[t, :, :e] = xp.where(here, start, rec)  # after il - 1 every entry stays -inf
        return beta[:, :, :e]

    @staticmethod
    def backward_raw(ctx, g):
        lp_t, ext, il, _, zero_infinity = ctx.inputs
        b = lp_t.backend
        xp = b.xp
        lp = lp_t._data
        t_len, n, c = lp.shape
        nll = ctx.nll
        with b.errstate():
            ab = ctx.alpha + CtcLoss._beta(ctx, xp)
            # occupancy of each (t, s): exp(alpha + beta - lp + nll), 0 where no path passes
            occ = xp.exp(xp.where(ab == -xp.inf, ab, ab - ctx.lpe + nll[:, None]))
            flat = (xp.arange(t_len)[:, None, None] * n + xp.arange(n)[:, None]) * c + ext
            acc = xp.zeros(t_len * n * c, dtype=lp.dtype)
            b.scatter_add(acc, flat.reshape(-1), occ.reshape(-1))
            grad = (xp.exp(lp) - acc.reshape(lp.shape)) * g[:, None]
        infinite = nll == xp.inf
        # PyTorch's log-space formula gives nan where lp is -inf or the loss is infinite
        grad = xp.where((lp == -xp.inf) | infinite[:, None], xp.nan, grad)
        inside = xp.arange(t_len)[:, None] < il  # steps past a sample's input length get 0
        if zero_infinity:
            inside = inside & ~infinite
        grad = xp.where(inside[:, :, None], grad, 0).astype(lp.dtype)
        return grad, None, None, None, None

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        return Tensor._make(CtcLoss.backward_raw(ctx, g._data)[0]), None, None, None, None


# ---- argument checks -----------------------------------------------------------------------------------


def _lengths(name: str, value: Any, n: int, shape: tuple) -> list[int]:
    """Lengths as a host list of N ints, from an integer Tensor (any device) or a tuple/list of ints."""
    if isinstance(value, Tensor):
        if value._data.dtype.kind not in "iu":
            raise RuntimeError(f"{_OP}: {name} must be integral, got a {value.dtype} tensor")
        out = [int(v) for v in value.reshape(-1).tolist()]
    elif isinstance(value, list | tuple):
        try:
            out = [operator.index(v) for v in value]
        except TypeError:
            raise TypeError(f"{_OP}: {name} must be a tuple or list of ints, got {value!r}") from None
    else:
        raise TypeError(
            f"{_OP}: {name} must be an integer Tensor or a tuple/list of ints, got {type(value).__name__}"
        )
    if len(out) != n:
        raise RuntimeError(
            f"{_OP}: {name} must be of size batch_size ({n} for log_probs of shape {shape}), got {len(out)} values"
        )
    return out


def _check_lengths(il: list[int], tl: list[int], t_len: int, shape: tuple) -> None:
    for i, v in enumerate(il):
        if not 0 <= v <= t_len:
            raise RuntimeError(
                f"{_OP}: expected input_lengths to have values in [0, {t_len}] (T of log_probs of shape {shape}), "
                f"got {v} for sample {i}"
            )
    for i, v in enumerate(tl):
        if v < 0:
            raise RuntimeError(
                f"{_OP}: expected target_lengths to have value at least 0, got {v} for sample {i}"
            )


def _padded_targets(targets: Tensor, tl: list[int], tl_d: Any, c: int, blank: int, device: Any) -> Any:
    """Targets as an (N, max target length) int64 array on ``device``, padded with ``blank``."""
    if targets._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"{_OP}: expected targets of an integer dtype (int64 or int32), got {targets.dtype} of shape "
            f"{tuple(targets.shape)}"
        )
    if targets.device != device:
        targets = targets.to(device)  # as PyTorch does, for targets kept on the host
    t = targets._data
    xp = targets.backend.xp
    width = max(tl, default=0)
    pos = xp.arange(width)
    used = pos < tl_d[:, None]  # (N, width): which slots hold real labels
    n = len(tl)
    if t.ndim == 1:  # concatenated
        if t.shape[0] != sum(tl):
            raise RuntimeError(
                f"{_OP}: concatenated targets must have sum(target_lengths) = {sum(tl)} elements, got shape "
                f"{tuple(t.shape)}"
            )
        starts = [0, *itertools.accumulate(tl)][:n]
        index = xp.asarray(starts, dtype=xp.int64)[:, None] + pos
        padded = t[xp.where(used, index, 0)] if t.size else xp.zeros((n, width), dtype=xp.int64)
    elif t.ndim == 2:
        if t.shape[0] != n or t.shape[1] < width:
            raise RuntimeError(
                f"{_OP}: padded targets must have shape ({n}, S) with S >= max(target_lengths) = {width}, got "
                f"{tuple(t.shape)}"
            )
        padded = t[:, :width]
    else:
        raise RuntimeError(
            f"{_OP}: expected targets of shape (N, S) or (sum(target_lengths),), got {t.ndim}-d shape "
            f"{tuple(t.shape)}"
        )
    padded = xp.where(used, padded.astype(xp.int64), blank)
    if padded.size:
        lo, hi = padded.min(), padded.max()  # padding is blank, so only real labels can fall outside
        if bool((lo < 0) | (hi >= c)):
            bad = padded[(padded < 0) | (padded >= c)]
            raise IndexError(
                f"{_OP}: target label {int(bad[0])} is out of range for log_probs with {c} classes; expected "
                f"labels in [0, {c - 1}]"
            )
    return padded


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths: Any,
    target_lengths: Any,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """CTC loss of log-probabilities (T, N, C) or (T, C) against unaligned label sequences."""
    reduction = resolve_reduction(_OP, None, None, reduction)
    check_tensors(_OP, log_probs=log_probs)
    check_tensors(_OP, targets=targets)
    check_float_input(_OP, log_probs, "log_probs")
    shape = tuple(log_probs.shape)
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"{_OP}: expected log_probs of shape (T, N, C) or (T, C), got shape {shape}")
    if log_probs.numel() == 0:
        raise RuntimeError(f"{_OP}: log_probs tensor must not be empty, got shape {shape}")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    t_len, n, c = lp.shape
    if not 0 <= blank < c:
        raise RuntimeError(
            f"{_OP}: blank must be in label range [0, {c - 1}] (log_probs of shape {shape}), got {blank}"
        )
    il = _lengths("input_lengths", input_lengths, n, shape)
    tl = _lengths("target_lengths", target_lengths, n, shape)
    _check_lengths(il, tl, t_len, shape)
    xp = lp.backend.xp
    il_d = xp.asarray(il, dtype=xp.int64)
    tl_d = xp.asarray(tl, dtype=xp.int64)
    padded = _padded_targets(targets, tl, tl_d, c, blank, lp.device)
    ext = xp.full((n, 2 * padded.shape[1] + 1), blank, dtype=xp.int64)
    ext[:, 1::2] = padded
    loss = CtcLoss.apply(lp, ext, il_d, tl_d, bool(zero_infinity))
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return (loss / A.tensor([max(v, 1) for v in tl], dtype=lp.dtype, device=lp.device)).mean()
    return loss if batched else loss.reshape(())
