"""nn.functional: affine_grid and grid_sample (bilinear, nearest, bicubic; zeros, border, reflection), PyTorch's.

Sampling gathers every tap of every output point in one advanced-indexing read of the (N, S, C) input, and
weighs the taps with Tensor arithmetic on the grid: the input's gradient is the gather's scatter-add, the
grid's flows through the weights (and reflection/border folding), and both are differentiable again.
"""

from __future__ import annotations

import math
from typing import Any

import autograd
from autograd import Tensor

from ._cubic import cubic_weights

__all__ = ["affine_grid", "grid_sample"]

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")


def _base_axis(xp: Any, dt: Any, n: int, align_corners: bool) -> Any:
    """The n normalized pixel positions of an axis in [-1, 1] (pixel corners or centers)."""
    if n <= 1:
        return xp.zeros(1, dtype=dt)
    r = xp.linspace(-1, 1, n, dtype=dt)
    return r if align_corners else (r * dt.type(n - 1) / dt.type(n)).astype(dt)


def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """The sampling grid (N, H, W, 2) or (N, D, H, W, 3) of the affine maps ``theta`` (N, 2, 3) or (N, 3, 4)."""
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid: expected theta to be a Tensor, got {type(theta).__name__}")
    if not theta.is_floating_point():
        raise ValueError(f"affine_grid: Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) not in (4, 5):
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. "
            f"Got size {size}."
        )
    k = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (k, k + 1):
        raise ValueError(
            f"affine_grid: Expected a batch of {k}D affine matrices of shape Nx{k}x{k + 1} for size {size}. "
            f"Got {tuple(theta.shape)}."
        )
    if min(size) <= 0:
        raise ValueError(f"affine_grid: Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(
            f"affine_grid: theta holds {theta.shape[0]} matrices but size asks for a batch of {size[0]}"
        )
    xp, dt = theta.backend.xp, theta._data.dtype
    spatial = size[2:]
    # the homogeneous base grid (*spatial, k + 1): x (the last dim) first, then y, (z), then 1
    axes = [_base_axis(xp, dt, n, bool(align_corners)) for n in reversed(spatial)]
    mesh = xp.meshgrid(*reversed(axes), indexing="ij")[::-1]
    base = xp.stack([*mesh, xp.ones(tuple(spatial), dtype=dt)], axis=-1).reshape(1, -1, k + 1)
    grid = Tensor._make(base) @ theta.transpose(1, 2)
    return grid.reshape(size[0], *spatial, k)


def _unnormalize(c: Tensor, size: int, align_corners: bool) -> Tensor:
    """Grid coordinates in [-1, 1] to pixel coordinates."""
    if align_corners:
        return (c + 1) / 2 * (size - 1)
    return ((c + 1) * size - 1) / 2


def _reflect(c: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """Fold ``c`` back and forth into [twice_low / 2, twice_high / 2] (PyTorch's reflect_coordinates)."""
    if twice_low == twice_high:
        return c * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    d = (c - low).abs()
    xp = c.backend.xp
    flips = xp.floor(d._data / d._data.dtype.type(span))
    extra = d - Tensor._make((flips * span).astype(d._data.dtype))
    even = Tensor._make(xp.fmod(flips, 2) == 0)
    return autograd.where(even, extra + low, span - extra + low)


def _finite(c: Tensor, size: int) -> Tensor:
    """Pixel coordinates with NaN / -inf moved just before the input and +inf just after it."""
    xp, d = c.backend.xp, c._data
    outside = Tensor._make(xp.where(d > 0, size, -1).astype(d.dtype))
    return autograd.where(Tensor._make(xp.isfinite(d)), c, outside)


def _pad_coords(c: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """Apply the padding mode to pixel coordinates: clamp (border) or reflect then clamp (reflection)."""
    if padding_mode == "zeros":
        return c
    if padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (size - 1)) if align_corners else _reflect(c, -1, 2 * size - 1)
    return c.clamp(0, size - 1)


def _taps(c: Tensor, size: int, mode: str, padding_mode: str, align_corners: bool) -> tuple:
    """The taps along one axis of each (N, P) point: integer positions (N, T, P), possibly out of range, and
    their weights (N, T, P) as a Tensor."""
    xp = c.backend.xp
    if mode == "bicubic":  # the taps' own positions are padded, not the point's
        f = xp.floor(c._data)
        w = autograd.stack(cubic_weights(c - Tensor._make(f)), 1)
        if padding_mode == "zeros":  # far outside: every tap reads 0
            f = xp.clip(f, -3, size + 1)
        pos = f[:, None, :] + xp.arange(-1, 3, dtype=f.dtype)[:, None]
        pos = _pad_coords(Tensor._make(pos), size, padding_mode, align_corners)._data
        return pos.astype(xp.int64), w
    c = _pad_coords(c, size, padding_mode, align_corners)
    if mode == "nearest":
        r = xp.rint(c._data)
        # weight 1 with a zero derivative: the grid gets PyTorch's all-zero gradient (c is finite here)
        return xp.clip(r, -1, size).astype(xp.int64)[:, None, :], (c * 0 + 1).unsqueeze(1)
    f = xp.floor(c._data)
    t = c - Tensor._make(f)
    f = xp.clip(f, -2, size).astype(xp.int64)
    return f[:, None, :] + xp.arange(2)[:, None], autograd.stack([1 - t, t], 1)


def _check(input: Any, grid: Any, mode: str, padding_mode: str) -> None:
    op = "grid_sampler()"
    if mode not in _MODES:
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
            f"but got: '{mode}'"
        )
    if padding_mode not in _PADDINGS:
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', "
            f"but got: '{padding_mode}'"
        )
    if not isinstance(input, Tensor) or not isinstance(grid, Tensor):
        raise TypeError(
            f"{op}: expected input and grid to be Tensors, got {type(input).__name__} and {type(grid).__name__}"
        )
    shapes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.device != grid.device:
        raise RuntimeError(
            f"{op}: expected input and grid to be on same device, but input is on {input.device} and grid is "
            f"on {grid.device}"
        )
    if input.dtype != grid.dtype or not input.is_floating_point():
        raise RuntimeError(
            f"{op}: expected input and grid to have the same floating point dtype, but input has "
            f"{input.dtype} and grid has {grid.dtype}"
        )
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(
            f"{op}: expected 4D or 5D input and grid with same number of dimensions, but got {shapes}"
        )
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"{op}: expected grid and input to have same batch size, but got {shapes}")
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(
            f"{op}: expected grid to have size {input.ndim - 2} in last dimension, but got grid with sizes "
            f"{list(grid.shape)}"
        )
    for i in range(2, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(
                f"{op}: expected input to have non-empty spatial dimensions, but input has sizes "
                f"{list(input.shape)} with dimension {i} being empty"
            )
    if mode == "bicubic" and input.ndim != 4:
        raise RuntimeError(f"{op}: bicubic interpolation only supports 4D input, got {shapes}")


def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Sample (N, C, H, W) / (N, C, D, H, W) input at the normalized (x, y[, z]) points of ``grid``, as PyTorch's."""
    _check(input, grid, mode, padding_mode)
    align_corners = bool(align_corners)
    n, c = input.shape[:2]
    k = input.ndim - 2
    sizes = tuple(input.shape[2:])[::-1]  # W, H, (D): the order of the grid's coordinates
    out_spatial = tuple(grid.shape[1:-1])
    p = math.prod(out_spatial)
    xp = input.backend.xp
    g = grid.reshape(n, p, k)
    axes = [
        _taps(
            _finite(_unnormalize(g[:, :, i], sizes[i], align_corners), sizes[i]),
            sizes[i],
            mode,
            padding_mode,
            align_corners,
        )
        for i in range(k)
    ]
    # every combination of one tap per axis: axis i's taps run along dim 1 + i of (N, T0, T1, (T2), P)
    flat, ok, w = 0, True, None
    for i, (pos, wt) in enumerate(axes):
        shape = [n] + [1] * k + [p]
        shape[1 + i] = pos.shape[1]
        pos = pos.reshape(shape)
        ok = ok & (pos >= 0) & (pos < sizes[i])
        flat = flat + xp.clip(pos, 0, sizes[i] - 1) * math.prod(sizes[:i])
        w = wt.reshape(shape) if w is None else w * wt.reshape(shape)
    full = (n, *(pos.shape[1] for pos, _ in axes), p)
    m = math.prod(full[1:-1])
    # one flat read of every tap of every channel: (N, C, m, P); a 1-d index keeps the backward's
    # scatter-add on NumPy's fast path
    base = (xp.arange(n, dtype=xp.int64) * (c * math.prod(sizes)))[:, None, None, None]
    chan = (xp.arange(c, dtype=xp.int64) * math.prod(sizes))[None, :, None, None]
    flat = xp.broadcast_to(flat, full).reshape(n, 1, m, p) + base + chan
    taken = input.reshape(-1)[Tensor._make(flat.reshape(-1))].reshape(n, c, m, p)
    ok = Tensor._make(xp.broadcast_to(ok, full).reshape(n, 1, m, p))  # taps outside the input read 0
    out = (taken * autograd.where(ok, w.reshape(n, 1, m, p), 0.0)).sum(2)
    return out.reshape(n, c, *out_spatial)
