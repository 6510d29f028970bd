"""nn.functional: 3-d max/avg and adaptive pooling, as PyTorch's, built on the 2-d pooling kernels.

Pooling windows are boxes, so they separate: each depth plane is pooled in 2-d, then the depth taps of
each window are combined (max, or sum with the depth part of torch's divisor). Max keeps torch's
tie-break: the first maximum in (d, h, w) order wins the gradient. Gradients come from the ops used.
"""

from __future__ import annotations

from typing import Any

import autograd
from autograd import Tensor

from .conv3d import _batched, _pad_axis
from .pooling import (
    _adaptive_size,
    _AvgPool2d,
    _check_out,
    _MaxPool2d,
    _pool_args,
    _window_matrix,
)

__all__ = ["max_pool3d", "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d"]


def _unbatch(y: Tensor, batched: bool) -> Tensor:
    return y if batched else y.squeeze(0)


def _depth_taps(y: Tensor, k: int, s: int, d: int, out: int) -> list[Tensor]:
    """The depth slices (axis 2) that kernel-depth taps 0..k-1 read, each with ``out`` positions."""
    return [y[:, :, i * d : i * d + s * (out - 1) + 1 : s] for i in range(k)]


def max_pool3d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """3-d max pooling over (N, C, D, H, W); with ``return_indices`` also the flat D*H*W argmax indices."""
    op = "max_pool3d"
    # torch checks 3-d max pooling's padding against the kernel size itself (not the dilated one)
    k, s, p, d = _pool_args(op, 3, kernel_size, stride, padding, dilation, avg=True)
    x, batched = _batched(op, input)
    ceil_mode = bool(ceil_mode)
    (od, oh, ow), pads = _check_out(op, x, k, s, p, d, ceil_mode)
    n, c, depth, h, w = x.shape
    planes = x.reshape(n, c * depth, h, w)
    y2 = _MaxPool2d.apply(planes, k[1:], s[1:], p[1:], d[1:], ceil_mode).reshape(n, c, depth, oh, ow)
    y2p = _pad_axis(y2, 2, *pads[0], value=float("-inf"))
    taps = _depth_taps(y2p, k[0], s[0], d[0], od)
    if len(taps) == 1:
        out, which = taps[0], None
    else:
        out, which = autograd.stack(taps, 3).max(dim=3)  # the first tap with the maximum wins
    out = out.contiguous()
    if not return_indices:
        return _unbatch(out, batched)
    be = x.backend
    xp = be.xp
    idx2 = be.max_pool2d_indices(
        planes._data, y2._data.reshape(n, c * depth, oh, ow), k[1:], s[1:], p[1:], d[1:], ceil_mode
    )
    dpos = (xp.arange(od, dtype=xp.int64) * s[0] - pads[0][0]).reshape(1, 1, od, 1, 1)
    if which is not None:
        dpos = dpos + which._data * d[0]
    dpos = xp.clip(xp.broadcast_to(dpos, (n, c, od, oh, ow)), 0, depth - 1)
    idx = xp.take_along_axis(idx2.reshape(n, c, depth, oh, ow), dpos, axis=2) + dpos * (h * w)
    return _unbatch(out, batched), _unbatch(Tensor._make(idx), batched)


def avg_pool3d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """3-d average pooling over (N, C, D, H, W), with torch's divisor rules."""
    op = "avg_pool3d"
    k, s, p, _ = _pool_args(op, 3, kernel_size, stride, padding, 1, avg=True)
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override == 0):
        raise RuntimeError(f"{op}: divisor must be a non-zero integer, got {divisor_override!r}")
    x, batched = _batched(op, input)
    ceil_mode, include_pad = bool(ceil_mode), bool(count_include_pad)
    (od, oh, ow), pads = _check_out(op, x, k, s, p, (1, 1, 1), ceil_mode)
    n, c, depth, h, w = x.shape
    taps = _depth_taps(_pad_axis(x, 2, *pads[0]), k[0], s[0], 1, od)
    dsum = taps[0]
    for t in taps[1:]:
        dsum = dsum + t
    # the 2-d average divides by the (h, w) part of torch's divisor; the depth part follows
    y = _AvgPool2d.apply(
        dsum.reshape(n, c * od, h, w), k[1:], s[1:], p[1:], ceil_mode, include_pad, divisor_override
    )
    y = y.reshape(n, c, od, oh, ow)
    if divisor_override is None:
        counts = []
        for i in range(od):
            start = i * s[0] - p[0]
            end = min(start + k[0], depth + p[0])
            counts.append(end - start if include_pad else min(end, depth) - max(start, 0))
        if len(set(counts)) == 1:
            y = y * (1.0 / counts[0])
        else:
            xp = x.backend.xp
            scale = 1 / xp.asarray(counts, dtype=x._data.dtype).reshape(1, 1, od, 1, 1)
            y = y * Tensor._make(scale)
    return _unbatch(y, batched)


def _check_nonempty(op: str, x: Tensor, input: Tensor) -> None:
    if min(x.shape[2:]) < 1:
        raise RuntimeError(f"{op}: expected a non-empty spatial input, got {tuple(input.shape)}")


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """3-d adaptive average pooling to ``output_size`` (an int, a triple, or None to keep a size)."""
    op = "adaptive_avg_pool3d"
    x, batched = _batched(op, input)
    od, oh, ow = _adaptive_size(op, 3, output_size, x.shape)
    _check_nonempty(op, x, input)
    n, c, depth, h, w = x.shape
    if (od, oh, ow) == (1, 1, 1):
        return _unbatch(x.mean((2, 3, 4), keepdim=True), batched)
    y = x  # separable: average windows along W, then H, then D
    if ow != w:
        y = y @ _window_matrix(x, w, ow).mT
    if oh != h:
        y = _window_matrix(x, h, oh) @ y
    if od != depth:
        y = (_window_matrix(x, depth, od) @ y.reshape(n, c, depth, oh * ow)).reshape(n, c, od, oh, ow)
    return _unbatch(y.contiguous(), batched)


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """3-d adaptive max pooling to ``output_size``; with ``return_indices`` also the flat D*H*W indices."""
    op = "adaptive_max_pool3d"
    x, batched = _batched(op, input)
    od, oh, ow = _adaptive_size(op, 3, output_size, x.shape)
    _check_nonempty(op, x, input)
    n, c, depth, h, w = x.shape
    be = x.backend
    xp = be.xp
    planes = x.reshape(n, c * depth, h, w)
    idx2 = be.adaptive_max_pool2d_indices(planes._data, (oh, ow))  # (N, C*D, oH, oW) flat H*W
    y2 = autograd.gather(planes.reshape(n, c * depth, h * w), 2, Tensor._make(idx2.reshape(n, c * depth, -1)))
    y2 = y2.reshape(n, c, depth, oh, ow)
    # depth windows [floor(i*D/o), ceil((i+1)*D/o)); shorter ones repeat their last plane (never a new first max)
    starts = [(i * depth) // od for i in range(od)]
    ends = [-((-(i + 1) * depth) // od) for i in range(od)]
    kmax = max(e - b for b, e in zip(starts, ends))
    rows = xp.asarray(
        [[min(b + t, e - 1) for t in range(kmax)] for b, e in zip(starts, ends)], dtype=xp.int64
    )
    taps = y2[:, :, Tensor._make(rows.reshape(-1))].reshape(n, c, od, kmax, oh, ow)
    out, which = taps.max(dim=3)
    out = out.contiguous()
    if not return_indices:
        return _unbatch(out, batched)
    dpos = rows[xp.arange(od).reshape(1, 1, od, 1, 1), which._data]
    idx = xp.take_along_axis(idx2.reshape(n, c, depth, oh, ow), dpos, axis=2) + dpos * (h * w)
    return _unbatch(out, batched), _unbatch(Tensor._make(idx), batched)
