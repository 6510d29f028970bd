"""Order statistics and scans: median, nanmedian, kthvalue, mode, quantile, cummax/cummin, logcumsumexp.

Selections pick an index on raw arrays (sort, scan) and then ``gather`` the values, so the gradient
flows to the chosen element and double backward comes from gather's own rule.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .base import Primitive, normalize_dims
from .index import gather
from .results import AMinMaxResult, ValuesIndices


def _axis(x: Tensor, dim: int, name: str) -> int:
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}")
    return normalize_dims(dim, x.ndim, name)[0]


def _sl(ax: int, s: slice) -> tuple:
    return (slice(None),) * ax + (s,)


def scan_raw(xp: Any, a: Any, ax: int, op: Any) -> Any:
    """Inclusive prefix scan of ``op`` along ``ax`` (log-step doubling: only elementwise xp calls)."""
    n = a.shape[ax]
    out = a.copy()
    s = 1
    while s < n:
        nxt = out.copy()
        nxt[_sl(ax, slice(s, None))] = op(out[_sl(ax, slice(s, None))], out[_sl(ax, slice(None, n - s))])
        out = nxt
        s *= 2
    return out


def _arange_along(xp: Any, n: int, ax: int, ndim: int) -> Any:
    return xp.arange(n, dtype="int64").reshape((1,) * ax + (n,) + (1,) * (ndim - ax - 1))


def _nan_count(xp: Any, d: Any, ax: int) -> Any:
    if d.dtype.kind not in "fc":
        return xp.zeros(d.shape[:ax] + (1,) + d.shape[ax + 1 :], dtype="int64")
    return xp.isnan(d).sum(axis=ax, keepdims=True).astype("int64")


def _select_sorted(x: Tensor, dim: Any, keepdim: bool, name: str, rank: Any) -> Any:
    """Sort along ``dim`` (NaN last, stable) and take the element of rank ``rank(d, nan_count, n)``."""
    if dim is None:
        flat = x.reshape(-1)
        if flat.shape[0] == 0:
            if not x.is_floating_point():
                raise RuntimeError(f"{name}: cannot compute the {name} of an empty {x.dtype} tensor")
            return Tensor._make(x.backend.xp.full((), float("nan"), dtype=x._data.dtype))
        v = _select_sorted(flat.detach(), 0, False, name, rank).values
        if not x.requires_grad:
            return v
        # no dim: the gradient is shared evenly by every element equal to the result (NaN ones if it is NaN),
        # as PyTorch's median() does
        from ..methods import where

        xp = x.backend.xp
        hit = xp.isnan(flat._data) if bool(xp.isnan(v._data)) else flat._data == v._data
        picked = where(Tensor._make(hit), flat, Tensor._make(xp.zeros((), dtype=flat._data.dtype)))
        return picked.sum() / int(hit.sum())
    ax = _axis(x, dim, name)
    if x.ndim == 0:
        r = _select_sorted(x.reshape(1), 0, False, name, rank)
        return ValuesIndices(r.values.reshape(()), r.indices.reshape(()))
    n, order = _sort_order(x, ax, dim, name)
    xp = x.backend.xp
    d = x._data
    k = xp.clip(rank(d, _nan_count(xp, d, ax), n), 0, n - 1).astype("int64")
    return _take_sorted(x, ax, order, k, keepdim)


def _sort_order(x: Tensor, ax: int, dim: Any, name: str) -> tuple:
    """The size of axis ``ax`` (which must be non-empty) and the stable argsort along it (NaN last)."""
    n = x.shape[ax]
    if n == 0:
        raise IndexError(
            f"{name}: expected reduction dim {dim} to have non-zero size, got input of shape {tuple(x.shape)}"
        )
    return n, x.backend.xp.argsort(x._data, axis=ax, kind="stable")


def _take_sorted(x: Tensor, ax: int, order: Any, pos: Any, keepdim: bool) -> ValuesIndices:
    """The elements at sorted positions ``pos`` (size 1 along ``ax``) and their indices in ``x``."""
    idx = x.backend.xp.take_along_axis(order, pos, axis=ax)
    vals = gather(x, ax, Tensor._make(idx))
    ind = Tensor._make(idx)
    if not keepdim:
        vals, ind = vals.squeeze(ax), ind.squeeze(ax)
    return ValuesIndices(vals, ind)


def median(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """Lower median (NaN if the slice holds a NaN); with ``dim``: ``(values, indices)``."""

    def rank(d: Any, nans: Any, n: int) -> Any:
        valid = n - nans
        return x.backend.xp.where(nans > 0, valid, (valid - 1) // 2)

    return _select_sorted(x, dim, keepdim, "median", rank)


def nanmedian(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """Lower median of the non-NaN values (NaN only where a slice is all NaN)."""
    return _select_sorted(x, dim, keepdim, "nanmedian", lambda d, nans, n: (n - nans - 1) // 2)


def kthvalue(x: Tensor, k: int, dim: Any = -1, keepdim: bool = False) -> Any:
    """The k-th smallest element (1-based; NaN counts as the largest) and its index (dim None: the last)."""
    dim = -1 if dim is None else dim
    ax = _axis(x, dim, "kthvalue")
    n = x.shape[ax] if x.ndim else 1
    if not isinstance(k, int) or not 1 <= k <= n:
        raise RuntimeError(
            f"kthvalue: selected number k={k} is out of range for dimension {dim} of size {n} "
            f"(input shape {tuple(x.shape)}); expected 1 <= k <= {n}"
        )
    return _select_sorted(x, ax, keepdim, "kthvalue", lambda d, nans, n: nans * 0 + (k - 1))


def mode(x: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """The most frequent value (the smallest among equally frequent ones, NaN counting as one value, the
    largest) and the index of its last occurrence."""
    ax = _axis(x, dim, "mode")
    if x.ndim == 0:
        return ValuesIndices(x.clone(), Tensor._make(x.backend.xp.asarray(0, dtype="int64")))
    n, order = _sort_order(x, ax, dim, "mode")
    xp = x.backend.xp
    d = x._data
    s = xp.take_along_axis(d, order, axis=ax)
    first = xp.ones(s.shape[:ax] + (1,) + s.shape[ax + 1 :], dtype=bool)
    nxt, prev = s[_sl(ax, slice(1, None))], s[_sl(ax, slice(None, -1))]
    change = nxt != prev
    if s.dtype.kind in "fc":  # NaNs (sorted last) count as one value, so a slice's NaNs can be its mode
        change &= ~(xp.isnan(nxt) & xp.isnan(prev))
    start = xp.concatenate([first, change], axis=ax)
    end = xp.concatenate([change, first], axis=ax)
    pos = _arange_along(xp, n, ax, d.ndim)
    run_start = scan_raw(xp, xp.where(start, pos, 0), ax, xp.maximum)
    count = xp.where(end, pos - run_start + 1, 0)
    best = count.max(axis=ax, keepdims=True)
    j = xp.argmax(count == best, axis=ax).reshape(best.shape)  # first (smallest) value with that count
    return _take_sorted(x, ax, order, j, keepdim)


# ---- quantiles ------------------------------------------------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(
    x: Tensor, q: Any, dim: Any, keepdim: bool, interpolation: str, name: str, skip_nan: bool
) -> Tensor:
    xp = x.backend.xp
    if not x.is_floating_point():
        raise RuntimeError(f"{name}: input tensor must be either float or double dtype, got {x.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"{name}: interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"got {interpolation!r}"
        )
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{name}: q must be a scalar or 1D tensor, got shape {tuple(q.shape)}")
        if q._data.dtype != x._data.dtype:
            raise RuntimeError(
                f"{name}: q tensor must be same dtype as the input tensor ({x.dtype}), got {q.dtype}"
            )
        if type(q._data) is not type(x._data) or q.device != x.device:
            raise RuntimeError(f"{name}: q is on {q.device} but the input is on {x.device}")
        scalar_q, qa = q.ndim == 0, q._data.reshape(-1)
    elif isinstance(q, int | float) and not isinstance(q, bool):
        scalar_q, qa = True, xp.asarray([q], dtype=x._data.dtype)
    else:
        raise TypeError(f"{name}: q must be a float or a Tensor, got {type(q).__name__}")
    if qa.size and bool(((qa < 0) | (qa > 1) | xp.isnan(qa)).any()):
        raise RuntimeError(f"{name}: q values must be in the range [0, 1]")
    if x.numel() == 0:
        raise RuntimeError(f"{name}: input tensor must be non-empty (got shape {tuple(x.shape)})")
    if dim is None:
        xm, ax = x.reshape(-1), None
    else:
        ax = _axis(x, dim, name)
        xm = x.reshape(1) if x.ndim == 0 else x.movedim(ax, -1)
    n = xm.shape[-1]
    srt = xm.sort(-1).values  # NaN last; a gather, so differentiable
    nans = _nan_count(xp, srt._data, srt.ndim - 1)  # (..., 1)
    valid = n - nans if skip_nan else xp.full(nans.shape, n, dtype="int64")
    pos = qa * (valid - 1).astype(qa.dtype)  # (..., Q)
    bad = valid == 0 if skip_nan else nans > 0  # the NaN itself is selected: the result is NaN
    pos = xp.where(bad, n - 1, pos).astype(qa.dtype)
    if interpolation == "nearest":
        pos = xp.around(pos)  # half to even, as PyTorch
    lo = xp.floor(pos).astype("int64")
    hi = xp.ceil(pos).astype("int64")
    if interpolation in ("lower", "nearest"):
        out = gather(srt, -1, Tensor._make(lo))
    elif interpolation == "higher":
        out = gather(srt, -1, Tensor._make(hi))
    else:
        v_lo = gather(srt, -1, Tensor._make(lo))
        v_hi = gather(srt, -1, Tensor._make(hi))
        if interpolation == "midpoint":
            w = Tensor._make(xp.where(hi > lo, 0.5, 0.0).astype(qa.dtype))
        else:
            w = Tensor._make(pos - lo)
        out = v_lo + w * (v_hi - v_lo)
    if keepdim:  # the reduced dim(s) stay as size 1, after the q dim
        kept = (1,) * x.ndim if ax is None else tuple(1 if i == ax else s for i, s in enumerate(x.shape))
    else:
        kept = () if ax is None else tuple(s for i, s in enumerate(x.shape) if i != ax)
    if scalar_q:
        return out.reshape(kept)
    return out.movedim(-1, 0).reshape((qa.shape[0],) + kept)


def quantile(
    x: Tensor, q: Any, dim: Any = None, keepdim: bool = False, *, interpolation: str = "linear"
) -> Tensor:
    """The q-th quantiles along ``dim`` (all elements when None); NaN where a slice holds a NaN."""
    return _quantile(x, q, dim, keepdim, interpolation, "quantile", False)


def nanquantile(
    x: Tensor, q: Any, dim: Any = None, keepdim: bool = False, *, interpolation: str = "linear"
) -> Tensor:
    """``quantile`` ignoring NaN values (NaN only where a slice is all NaN)."""
    return _quantile(x, q, dim, keepdim, interpolation, "nanquantile", True)


# ---- scans ------------------------------------------------------------------------------------------------


def _cum_extreme(x: Tensor, dim: int, is_min: bool) -> Any:
    name = "cummin" if is_min else "cummax"
    ax = _axis(x, dim, name)
    xp = x.backend.xp
    if x.ndim == 0:
        return ValuesIndices(x.clone(), Tensor._make(xp.asarray(0, dtype="int64")))
    d = x._data
    vals = scan_raw(xp, d, ax, xp.minimum if is_min else xp.maximum)  # NaN propagates, as PyTorch
    hit = d == vals
    if d.dtype.kind in "fc":
        hit = hit | (xp.isnan(d) & xp.isnan(vals))
    pos = xp.where(hit, _arange_along(xp, d.shape[ax], ax, d.ndim), -1)
    idx = scan_raw(xp, pos, ax, xp.maximum)  # the last index reaching the running extreme
    return ValuesIndices(gather(x, ax, Tensor._make(idx)), Tensor._make(idx))


def cummax(x: Tensor, dim: int) -> Any:
    """Running maximum along ``dim`` and the (last) index where it was reached."""
    return _cum_extreme(x, dim, False)


def cummin(x: Tensor, dim: int) -> Any:
    """Running minimum along ``dim`` and the (last) index where it was reached."""
    return _cum_extreme(x, dim, True)


_LOG_ZERO = -1e30  # exp(-1e30 + anything finite) is 0 in float32 and float64


class LogCumSumExp(Primitive):
    """log(cumsum(exp(x))) as a log-step scan of logaddexp: no overflow, no underflow to -inf."""

    _saved_inputs = (0,)
    _saves_output = True

    @staticmethod
    def forward(ctx, a, axis):
        b = ctx.backend(a)
        with b.errstate():
            return scan_raw(b.xp, a, axis, b.xp.logaddexp)

    @staticmethod
    def backward(ctx, g):
        # dx_i = sum_{j>=i} g_j exp(x_i - out_j), split by the sign of g so each part is a logcumsumexp
        x, ax = ctx.inputs
        out = ctx.output()

        def part(gp: Tensor) -> Tensor:
            # log(gp) with a finite stand-in for log(0): -inf would make the double backward NaN
            pos = gp > 0
            lg = gp.masked_fill(~pos, 1.0).log().masked_fill(~pos, _LOG_ZERO)
            rev = LogCumSumExp.apply((lg - out).flip(ax), ax).flip(ax)
            return (x + rev).exp()

        return part(g.clamp(min=0)) - part((-g).clamp(min=0)), None


def logcumsumexp(x: Tensor, dim: int) -> Tensor:
    ax = _axis(x, dim, "logcumsumexp")
    if not x.is_floating_point():
        raise RuntimeError(f"logcumsumexp: expected a floating point tensor, got {x.dtype}")
    if x.ndim == 0:
        return x.clone()
    return LogCumSumExp.apply(x, ax)


def aminmax(x: Tensor, *, dim: Any = None, keepdim: bool = False) -> Any:
    """``(min, max)`` over ``dim`` (all elements when None)."""
    if dim is None:
        return AMinMaxResult(x.amin((), keepdim), x.amax((), keepdim))
    ax = _axis(x, dim, "aminmax")
    return AMinMaxResult(x.amin(ax, keepdim), x.amax(ax, keepdim))
