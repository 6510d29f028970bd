"""nn.functional: fractional_max_pool2d/3d (Graham's fractional max-pooling, as in PyTorch).

Each (sample, channel) plane gets pseudo-random window starts from one uniform number per spatial dim
(``_random_samples``, drawn from the global generator when not given), spread so that ``output_size`` windows
of ``kernel_size`` cover the input: start_i = int((i + u) * a) - int(u * a) with a = (in - k) / (out - 1),
computed in the input's dtype as PyTorch does, and the last window ending at the input's edge. The output is
the max of each window; ``return_indices`` gives its flat index in the plane. The value is a gather of the
input at those indices, so the gradient flows to each window's max (summed where windows share it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as A
from autograd import Tensor

from .conv import _ntuple

__all__ = [
    "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
]


def _starts(xp: Any, u: Any, size: int, out: int, k: int) -> Any:
    """Window starts, shape u.shape + (out,): PyTorch's generate_intervals, in u's dtype."""
    dt = u.dtype.type
    idx = xp.arange(out, dtype=u.dtype)
    if out > 1:
        alpha = dt(size - k) / dt(out - 1)
        s = ((idx + u[..., None]) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)[..., None]
    else:
        s = xp.zeros(u.shape + (1,), dtype=np.int64)
    s[..., out - 1] = size - k
    return s


def _fractional(
    op: str,
    nd: int,
    input: Tensor,
    kernel_size: Any,
    output_size: Any,
    output_ratio: Any,
    _random_samples: Tensor | None,
) -> tuple[Tensor, Tensor]:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected an autograd.Tensor as input, got {type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{op}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, got shape "
            f"{tuple(input.shape)}"
        )
    if not input.is_floating_point():
        raise RuntimeError(f"{op}: expected a floating-point input, got {input.dtype}")
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    n, c, *size = x.shape
    k = _ntuple(op, "kernel_size", kernel_size, nd)
    if (output_size is None) == (output_ratio is None):
        raise ValueError(f"{op}: requires specifying either an output_size or an output_ratio (exactly one)")
    if output_size is not None:
        out = _ntuple(op, "output_size", output_size, nd)
    else:
        ratio = (output_ratio,) * nd if isinstance(output_ratio, int | float) else tuple(output_ratio)
        if len(ratio) != nd or not all(0 < r < 1 for r in ratio):
            raise ValueError(f"{op}: output_ratio must be {nd} number(s) in (0, 1), got {output_ratio!r}")
        out = tuple(int(s * r) for s, r in zip(size, ratio))
    for d, name in zip(range(nd), ("depth", "height", "width")[3 - nd :]):
        if out[d] <= 0 or out[d] + k[d] - 1 > size[d]:
            raise RuntimeError(
                f"{op}: output {name} {out[d]} with pool {name} {k[d]} does not fit the input {name} {size[d]} "
                f"(need 0 < output + kernel - 1 <= input)"
            )
    xp = x.backend.xp
    if _random_samples is None:
        u = A.rand(n, c, nd, dtype=x.dtype, device=x.device)._data
    else:
        if tuple(_random_samples.shape) != (n, c, nd):
            raise RuntimeError(
                f"{op}: _random_samples must have shape {(n, c, nd)} for an input of shape {tuple(input.shape)}, "
                f"got {tuple(_random_samples.shape)}"
            )
        u = _random_samples._data.astype(x._data.dtype, copy=False)
    # PyTorch's sample order: (W, H) for 2-d, (T, H, W) for 3-d
    order = (1, 0) if nd == 2 else (0, 1, 2)
    starts = [_starts(xp, u[..., order[d]], size[d], out[d], k[d]) for d in range(nd)]  # (N, C, out_d)
    # the flat index in the plane of every window position: (N, C, *out, *k), built one dim at a time
    flat = None
    stride = 1
    for d in reversed(range(nd)):
        s = starts[d].reshape((n, c) + (1,) * d + (out[d],) + (1,) * (nd - 1 - d) + (1,) * nd)
        w = xp.arange(k[d]).reshape((1,) * (2 + nd + d) + (k[d],) + (1,) * (nd - 1 - d))
        term = (s + w) * stride
        flat = term if flat is None else flat + term
        stride *= size[d]
    flat = xp.ascontiguousarray(xp.broadcast_to(flat, (n, c) + out + k))
    plane = x._data.reshape(n, c, -1)
    windows = xp.take_along_axis(plane, flat.reshape(n, c, -1), axis=2).reshape(flat.shape)
    windows = windows.reshape((n, c) + out + (-1,))
    best = xp.argmax(windows, axis=-1)[..., None]  # the first max in window order, as PyTorch's scan
    idx = xp.take_along_axis(flat.reshape((n, c) + out + (-1,)), best, axis=-1)[..., 0]
    indices = Tensor._make(idx)
    value = x.reshape(n, c, -1).gather(2, indices.reshape(n, c, -1)).reshape(n, c, *out)
    if unbatched:
        return value.squeeze(0), indices.squeeze(0)
    return value, indices


def fractional_max_pool2d_with_indices(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Fractional max-pooling over (N, C, H, W) or (C, H, W); returns (output, flat indices into H*W)."""
    return _fractional(
        "fractional_max_pool2d", 2, input, kernel_size, output_size, output_ratio, _random_samples
    )


def fractional_max_pool2d(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Any:
    """Fractional max-pooling over (N, C, H, W) or (C, H, W) (``return_indices``: also the flat indices)."""
    out, idx = fractional_max_pool2d_with_indices(
        input, kernel_size, output_size, output_ratio, True, _random_samples
    )
    return (out, idx) if return_indices else out


def fractional_max_pool3d_with_indices(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Fractional max-pooling over (N, C, T, H, W) or (C, T, H, W); returns (output, flat indices into T*H*W)."""
    return _fractional(
        "fractional_max_pool3d", 3, input, kernel_size, output_size, output_ratio, _random_samples
    )


def fractional_max_pool3d(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Any:
    """Fractional max-pooling over (N, C, T, H, W) or (C, T, H, W) (``return_indices``: also the indices)."""
    out, idx = fractional_max_pool3d_with_indices(
        input, kernel_size, output_size, output_ratio, True, _random_samples
    )
    return (out, idx) if return_indices else out
