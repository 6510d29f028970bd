"""nn.functional: max/avg pooling (1-d, 2-d) and adaptive pooling, as PyTorch's.

Max and average pooling are dedicated primitives over backends/pool.py kernels; 1-d pooling runs the
2-d kernels on a unit H axis. Adaptive pooling reuses them when the sizes divide, else it gathers.
"""

from __future__ import annotations

from typing import Any

import autograd
from autograd import Tensor
from autograd.ops.base import Primitive

from .conv import _dims, _ntuple

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
]


# ---- primitives --------------------------------------------------------------------------------------
class _MaxPool2d(Primitive):
    op = "max_pool2d"
    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, x, k, s, p, d, ceil_mode):
        be = ctx.backend(x)
        out = be.max_pool2d(x, k, s, p, d, ceil_mode)
        ctx.out = be.xp.copy(out)  # a private copy: in-place edits of the output cannot corrupt backward
        return out

    @staticmethod
    def backward(ctx, g):
        x, k, s, p, d, ceil_mode = ctx.inputs
        idx = Tensor._make(x.backend.max_pool2d_indices(x._data, ctx.out, k, s, p, d, ceil_mode))
        return _route(g, idx, x.shape), None, None, None, None, None

    @staticmethod
    def backward_raw(ctx, g):
        x, k, s, p, d, ceil_mode = ctx.inputs
        return (
            ctx.backend(g).max_pool2d_backward(x._data, ctx.out, g, k, s, p, d, ceil_mode),
            None,
            None,
            None,
            None,
            None,
        )


def _route(g: Tensor, idx: Tensor, shape: tuple) -> Tensor:
    """Add each output gradient at its flat H*W index (differentiable: a scatter-add of ``g``)."""
    n, c = shape[:2]
    zeros = autograd.zeros((n, c, shape[2] * shape[3]), dtype=g.dtype, device=g.device)
    return autograd.scatter_add(zeros, 2, idx.reshape(n, c, -1), g.reshape(n, c, -1)).reshape(shape)


class _AvgPool2d(Primitive):
    op = "avg_pool2d"

    @staticmethod
    def forward(ctx, x, k, s, p, ceil_mode, include_pad, divisor):
        return ctx.backend(x).avg_pool2d(x, k, s, p, ceil_mode, include_pad, divisor)

    @staticmethod
    def backward(ctx, g):
        x, *args = ctx.inputs
        return (_AvgPool2dBackward.apply(g, x.shape[2:], *args),) + (None,) * 6

    @staticmethod
    def backward_raw(ctx, g):
        x, *args = ctx.inputs
        return (ctx.backend(g).avg_pool2d_backward(g, x.shape[2:], *args),) + (None,) * 6


class _AvgPool2dBackward(Primitive):
    """avg_pool2d's input gradient; its own gradient is avg_pool2d again (both are linear)."""

    op = "avg_pool2d_backward"

    @staticmethod
    def forward(ctx, g, in_hw, k, s, p, ceil_mode, include_pad, divisor):
        return ctx.backend(g).avg_pool2d_backward(g, in_hw, k, s, p, ceil_mode, include_pad, divisor)

    @staticmethod
    def backward(ctx, gg):
        _, _, *args = ctx.inputs
        return (_AvgPool2d.apply(gg, *args), None) + (None,) * 6


# ---- argument checks -------------------------------------------------------------------------------------
def _pool_args(
    op: str, nd: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any, avg: bool = False
) -> tuple:
    k = _ntuple(op, "kernel_size", kernel_size, nd)
    s = (
        k
        if stride is None or (isinstance(stride, tuple | list) and len(stride) == 0)
        else _ntuple(op, "stride", stride, nd)
    )
    p = _ntuple(op, "padding", padding, nd)
    d = _ntuple(op, "dilation", dilation, nd)
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be positive, got {k}, {s}, {d}")
    for kk, pp, dd in zip(k, p, d):
        if not avg and (pp < 0 or pp > (dd * (kk - 1) + 1) // 2):
            raise RuntimeError(
                f"{op}: pad should be at most half of effective kernel size, but got pad={pp}, "
                f"kernel_size={kk} and dilation={dd}"
            )
        if pp < 0 or pp > kk // 2:  # then the plain kernel, dilation or not (PyTorch checks both)
            raise RuntimeError(
                f"{op}: pad should be at most half of kernel size, but got pad={pp} and kernel_size={kk}"
            )
    return k, s, p, d


def _as2d(op: str, nd: int, x: Tensor) -> tuple[Tensor, bool]:
    """The input as a batched 4-d tensor (1-d pooling gets a unit H axis); and whether it was batched."""
    batched = _dims(op, x, nd, "(N, C, L)" if nd == 1 else "(N, C, H, W)")
    if not batched:
        x = x.unsqueeze(0)
    if nd == 1:
        x = x.unsqueeze(2)
    return x, batched


def _back(y: Tensor, nd: int, batched: bool) -> Tensor:
    if nd == 1:
        y = y.squeeze(2)
    return y if batched else y.squeeze(0)


def _lift(nd: int, *vals: tuple, fill: tuple = (1, 1, 0, 1)) -> tuple:
    """1-d pooling arguments as 2-d ones on a unit H axis (kernel 1, stride 1, pad 0, dilation 1)."""
    if nd == 2:
        return vals
    return tuple((f,) + v for f, v in zip(fill, vals))


def _check_out(op: str, x: Tensor, k, s, p, d, ceil_mode) -> tuple:
    """The pooled spatial sizes and per-axis (before, after) pads; raises if an output size is below 1."""
    out, pads = x.backend.pool_geometry(x.shape[2:], k, s, p, d, ceil_mode)
    if min(out) < 1:
        raise RuntimeError(
            f"{op}: given input size {tuple(x.shape[1:])}, the calculated output size "
            f"{(x.shape[1],) + tuple(out)} is too small"
        )
    return out, pads


# ---- max / avg pooling -------------------------------------------------------------------------------------
def _max_pool(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    k, s, p, d = _pool_args(op, nd, kernel_size, stride, padding, dilation)
    x4, batched = _as2d(op, nd, x)
    k, s, p, d = _lift(nd, k, s, p, d)
    _check_out(op, x4, k, s, p, d, ceil_mode)
    y = _MaxPool2d.apply(x4, k, s, p, d, bool(ceil_mode))
    out = _back(y, nd, batched)
    if not return_indices:
        return out
    idx = x4.backend.max_pool2d_indices(x4._data, y._data, k, s, p, d, bool(ceil_mode))
    return out, _back(Tensor._make(idx), nd, batched)


def max_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """1-d max pooling over (N, C, L); with ``return_indices`` also the argmax positions."""
    return _max_pool(
        "max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """2-d max pooling over (N, C, H, W); with ``return_indices`` also the flat H*W argmax indices."""
    return _max_pool(
        "max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def _avg_pool(op, nd, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    k, s, p, _ = _pool_args(op, nd, kernel_size, stride, padding, 1, avg=True)
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override == 0):
        raise RuntimeError(f"{op}: divisor must be a non-zero integer, got {divisor_override!r}")
    x4, batched = _as2d(op, nd, x)
    k, s, p = _lift(nd, k, s, p)
    _check_out(op, x4, k, s, p, (1, 1), ceil_mode)
    y = _AvgPool2d.apply(x4, k, s, p, bool(ceil_mode), bool(count_include_pad), divisor_override)
    return _back(y, nd, batched)


def avg_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-d average pooling over (N, C, L)."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """2-d average pooling over (N, C, H, W)."""
    return _avg_pool(
        "avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


# ---- adaptive pooling ---------------------------------------------------------------------------------------
def _adaptive_size(op: str, nd: int, output_size: Any, hw: tuple) -> tuple:
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size,) * nd
    out = tuple(h if o is None else int(o) for o, h in zip(output_size, hw[-nd:]))
    if len(tuple(output_size)) != nd or min(out) < 1:
        raise RuntimeError(f"{op}: output_size must be {nd} positive ints (or None), got {output_size!r}")
    return out


def _window_matrix(x: Tensor, size: int, out: int) -> Tensor:
    """(out, size) averaging matrix of adaptive windows [floor(i*size/out), ceil((i+1)*size/out))."""
    xp = x.backend.xp
    o = xp.arange(out).reshape(-1, 1)
    start = (o * size) // out
    end = -((-(o + 1) * size) // out)
    i = xp.arange(size).reshape(1, -1)
    m = ((i >= start) & (i < end)).astype(x._data.dtype)
    return Tensor._make(m / (end - start).astype(x._data.dtype))


def _adaptive_avg(op: str, nd: int, x: Tensor, output_size: Any) -> Tensor:
    x4, batched = _as2d(op, nd, x)
    oh, ow = (
        (1,) + _adaptive_size(op, 1, output_size, x4.shape)
        if nd == 1
        else _adaptive_size(op, 2, output_size, x4.shape)
    )
    h, w = x4.shape[2:]
    if min(h, w) < 1:
        raise RuntimeError(f"{op}: expected a non-empty spatial input, got {tuple(x.shape)}")
    if oh == 1 and ow == 1:
        y = x4.mean((2, 3), keepdim=True)
    elif h % oh == 0 and w % ow == 0:
        k = (h // oh, w // ow)
        y = _AvgPool2d.apply(x4, k, k, (0, 0), False, True, None)
    else:  # uneven windows: separable averaging matrices on each side
        y = _window_matrix(x4, h, oh) @ x4 @ _window_matrix(x4, w, ow).mT
    return _back(y, nd, batched)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """1-d adaptive average pooling to ``output_size`` positions."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """2-d adaptive average pooling to ``output_size`` (an int, a pair, or None to keep a size)."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def _adaptive_max(op: str, nd: int, x: Tensor, output_size: Any, return_indices: bool) -> Any:
    x4, batched = _as2d(op, nd, x)
    out_hw = (
        (1,) + _adaptive_size(op, 1, output_size, x4.shape)
        if nd == 1
        else _adaptive_size(op, 2, output_size, x4.shape)
    )
    n, c, h, w = x4.shape
    if min(h, w) < 1:
        raise RuntimeError(f"{op}: expected a non-empty spatial input, got {tuple(x.shape)}")
    idx = Tensor._make(x4.backend.adaptive_max_pool2d_indices(x4._data, out_hw))
    y = autograd.gather(x4.reshape(n, c, h * w), 2, idx.reshape(n, c, -1)).reshape((n, c) + out_hw)
    out = _back(y, nd, batched)
    return (out, _back(idx, nd, batched)) if return_indices else out


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """1-d adaptive max pooling to ``output_size`` positions."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """2-d adaptive max pooling to ``output_size``; with ``return_indices`` also the flat H*W indices."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)
