"""nn.functional: conv3d and conv_transpose3d, as PyTorch's, built on the 2-d convolution kernels.

conv3d: the depth slices each kernel-depth tap reads are stacked beside the channels and the output depths
fold into the batch, so one conv2d (one GEMM) sums over taps and channels together. conv_transpose3d: one
conv_transpose2d gives every tap's planes, which are then placed at their output depths and summed. Both
are compositions of differentiable ops, so their gradients (of any order) come for free.
"""

from __future__ import annotations

from typing import Any

import autograd
from autograd import Tensor
from autograd.ops.shape import Pad

from .conv import (
    _check_sizes,
    _Conv2d,
    _conv_args,
    _conv_padding,
    _dims,
    _transpose_sizes,
    conv_transpose2d,
)

__all__ = ["conv3d", "conv_transpose3d"]


def _pad_axis(x: Tensor, axis: int, before: int, after: int, value: float = 0.0) -> Tensor:
    """Constant-pad (negative: crop) one axis."""
    if not before and not after:
        return x
    widths = [(0, 0)] * x.ndim
    widths[axis] = (before, after)
    return Pad.apply(x, tuple(widths), value)


def _batched(op: str, x: Tensor) -> tuple[Tensor, bool]:
    batched = _dims(op, x, 3, "(N, C, D, H, W)")
    return (x if batched else x.unsqueeze(0)), batched


def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """3-d convolution (cross-correlation) over (N, C, D, H, W) input, as ``torch.nn.functional.conv3d``."""
    op = "conv3d"
    batched, x, stride, dil = _conv_args(op, 3, input, weight, bias, stride, dilation, groups, False)
    k = tuple(weight.shape[2:])
    pad = _conv_padding(op, padding, k, dil, stride)
    _check_sizes(op, x.shape[2:], k, pad, dil, stride)
    x = _pad_axis(x, 2, *pad[0])
    n, c, depth, h, w = x.shape
    kd, sd, dd, g = k[0], stride[0], dil[0], groups
    od = (depth - dd * (kd - 1) - 1) // sd + 1
    taps = [x[:, :, i * dd : i * dd + sd * (od - 1) + 1 : sd] for i in range(kd)]
    cols = autograd.stack(taps, 1) if kd > 1 else taps[0].unsqueeze(1)  # (N, kD, C, oD, H, W)
    # -> (N*oD, groups * kD * C/groups, H, W): each group's channels run over (tap, channel)
    cols = cols.reshape(n, kd, g, c // g, od, h, w).permute(0, 4, 2, 1, 3, 5, 6)
    cols = cols.reshape(n * od, c * kd, h, w)
    o = weight.shape[0]
    w2 = weight.permute(0, 2, 1, 3, 4).reshape(o, kd * (c // g), k[1], k[2])
    y = _Conv2d.apply(cols, w2, bias, stride[1:], pad[1:], dil[1:], g)
    y = y.reshape((n, od, o) + tuple(y.shape[2:])).permute(0, 2, 1, 3, 4).contiguous()
    return y if batched else y.squeeze(0)


def conv_transpose3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """3-d transposed convolution (the gradient of conv3d), as ``torch.nn.functional.conv_transpose3d``."""
    op = "conv_transpose3d"
    batched, x, stride, dil = _conv_args(op, 3, input, weight, bias, stride, dilation, groups, True)
    pad, opad, out = _transpose_sizes(op, x, weight, stride, padding, output_padding, dil)
    n, cin, depth, h, w = x.shape
    kd, kh, kw = weight.shape[2:]
    cog, g, sd, dd, od = weight.shape[1], groups, stride[0], dil[0], out[0]
    # every input plane through every depth tap at once: output channels run over (group, tap, channel)
    x2 = x.permute(0, 2, 1, 3, 4).reshape(n * depth, cin, h, w)
    w2 = weight.permute(0, 2, 1, 3, 4).reshape(cin, kd * cog, kh, kw)
    y = conv_transpose2d(x2, w2, None, stride[1:], pad[1:], opad[1:], g, dil[1:])
    oh, ow = y.shape[2:]
    y = y.reshape(n, depth, g, kd, cog, oh, ow)
    # input depth i through tap t lands at output depth i*stride + t*dilation - padding
    span = (depth - 1) * sd + 1
    acc = None
    for t in range(kd):
        start = t * dd - pad[0]
        if start >= od or start + span <= 0:
            continue
        plane = y[:, :, :, t]  # (N, D, groups, C_out/groups, oH, oW)
        if sd > 1:  # spread the input depths stride apart
            plane = _pad_axis(plane.unsqueeze(2), 2, 0, sd - 1).reshape((n, depth * sd) + plane.shape[2:])
            plane = plane[:, :span]
        plane = _pad_axis(plane, 1, start, od - start - span)
        acc = plane if acc is None else acc + plane
    if acc is None:  # no tap reaches the output (all of it is output padding)
        acc = autograd.zeros((n, od, g, cog, oh, ow), dtype=x.dtype, device=x.device)
    out_t = acc.reshape(n, od, g * cog, oh, ow).permute(0, 2, 1, 3, 4)
    if bias is not None:
        out_t = out_t + bias.reshape(1, -1, 1, 1, 1)
    out_t = out_t.contiguous()
    return out_t if batched else out_t.squeeze(0)
