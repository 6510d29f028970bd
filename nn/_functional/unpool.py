"""nn.functional: max_unpool1d/2d (the partial inverse of max pooling) and lp_pool1d/2d (power-average pooling).

Unpooling scatters each value to the flat spatial index that ``max_pool*(return_indices=True)`` reported;
its gradient is the matching gather. LP pooling is composed from avg/max pooling as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import autograd as A
from autograd import Tensor

from .activation import relu
from .conv import _ntuple
from .pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d

__all__ = ["lp_pool1d", "lp_pool2d", "max_unpool1d", "max_unpool2d"]


def _unpool_size(op: str, x: Tensor, k: tuple, s: tuple, p: tuple, output_size: Any) -> tuple:
    nd = len(k)
    default = tuple((x.shape[-nd + d] - 1) * s[d] + k[d] - 2 * p[d] for d in range(nd))
    if output_size is None:
        out = default
    else:
        size = (output_size,) if isinstance(output_size, int) else tuple(int(v) for v in output_size)
        if len(size) == nd + 2:
            size = size[2:]
        if len(size) != nd:
            raise ValueError(
                f"{op}: output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a "
                f"length of {len(size)}"
            )
        for d in range(nd):
            lo, hi = default[d] - s[d], default[d] + s[d]
            if not lo < size[d] < hi:
                raise ValueError(
                    f"{op}: invalid output_size {size} (dim {d} must be between {lo} and {hi}, exclusive)"
                )
        out = size
    if min(out) < 0:
        raise ValueError(f"{op}: output_size must contain non-negative spatial dimensions, got {out}")
    return out


def _max_unpool(op, nd, input, indices, kernel_size, stride, padding, output_size) -> Tensor:
    for name, t in (("input", input), ("indices", indices)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(t).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{op}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, got shape "
            f"{tuple(input.shape)}"
        )
    if indices.dtype != A.int64:
        raise RuntimeError(f"{op}: expected indices of dtype int64 (from max_pool{nd}d), got {indices.dtype}")
    if indices.shape != input.shape:
        raise RuntimeError(
            f"{op}: expected indices of the input's shape {tuple(input.shape)}, got {tuple(indices.shape)}"
        )
    k = _ntuple(op, "kernel_size", kernel_size, nd)
    s = k if stride is None else _ntuple(op, "stride", stride, nd)
    p = _ntuple(op, "padding", padding, nd)
    out = _unpool_size(op, input, k, s, p, output_size)
    lead = tuple(input.shape[: input.ndim - nd])
    numel = 1
    for o in out:
        numel *= o
    flat_idx = indices.reshape(*lead, -1)
    if flat_idx.numel():
        lo, hi = int(flat_idx.min().item()), int(flat_idx.max().item())
        if lo < 0 or hi >= numel:
            bad = lo if lo < 0 else hi
            raise RuntimeError(
                f"{op}: found an invalid max index {bad} (output volumes are of size {'x'.join(map(str, out))})"
            )
    zeros = A.zeros(lead + (numel,), dtype=input.dtype, device=input.device)
    y = zeros.scatter(len(lead), flat_idx, input.reshape(*lead, -1))
    return y.reshape(*lead, *out)


def max_unpool1d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """Place each value of (N, C, L) at its ``max_pool1d`` index in a zero (N, C, L_out) tensor."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """Place each value of (N, C, H, W) at its flat H*W ``max_pool2d`` index in a zero output."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def _lp_pool(op, nd, input, norm_type, kernel_size, stride, ceil_mode) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(input).__name__}")
    k = _ntuple(op, "kernel_size", kernel_size, nd)
    maxp, avgp = (max_pool1d, avg_pool1d) if nd == 1 else (max_pool2d, avg_pool2d)
    if norm_type == float("inf"):
        return maxp(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -maxp(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avgp(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    area = k[0] if nd == 1 else k[0] * k[1]
    return (out.sign() * relu(out.abs())).mul(area).pow(1.0 / norm_type)


def lp_pool1d(
    input: Tensor, norm_type: float, kernel_size: int, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """(sum over each window of x**p) ** (1/p) on (N, C, L) input."""
    return _lp_pool("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(
    input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """(sum over each window of x**p) ** (1/p) on (N, C, H, W) input."""
    return _lp_pool("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)
