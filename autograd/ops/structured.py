"""Structured matrices as ``torch`` builds them: the Vandermonde matrix (differentiable, via cumprod) and
the index pairs of a lower/upper triangle (tril_indices, triu_indices)."""

from __future__ import annotations

from typing import Any

import backends

from .. import dtypes
from ..tensor import Tensor
from . import shape as S


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803 - PyTorch's name
    """Columns of powers of a 1-d ``x``: x^(N-1) ... x^0 (``increasing``: x^0 ... x^(N-1)); integer and bool
    inputs give int64."""
    from ..creation import ones
    from ..dtype_info import promote_types
    from .reduce import cumprod

    if not isinstance(x, Tensor) or x.ndim != 1:
        got = x.ndim if isinstance(x, Tensor) else type(x).__name__
        raise RuntimeError(f"vander: x must be a one-dimensional tensor, got {got} dims")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError(f"vander: N must be non-negative, got {n}")
    dt = promote_types(x.dtype, dtypes.int64)
    x = x if x.dtype == dt else x.to(dt)
    cols = [ones(x.shape[0], min(n, 1), dtype=dt, device=x.device)]
    if n > 1:
        cols.append(cumprod(S.expand(S.unsqueeze(x, 1), (x.shape[0], n - 1)), 1))
    out = S.cat(cols, 1)
    return out if increasing else S.flip(out, 1)


def _tri_indices(op: str, fn: str, row: int, col: int, offset: int, dtype: Any, device: Any) -> Tensor:
    npd = dtypes.to_np(dtype)
    if npd.kind not in "iu":
        raise NotImplementedError(
            f'{op}: "{op}" not implemented for {dtypes.from_np(npd)!r} (needs an integer dtype)'
        )
    if row < 0 or col < 0:
        raise RuntimeError(f"{op}: row and col must be non-negative, got row={row} and col={col}")
    dev = backends.as_device(device)
    b = backends.get(dev)
    with b.using(dev):
        r, c = getattr(b.xp, fn)(row, offset, col)
        return Tensor._make(b.xp.stack([r, c]).astype(npd).reshape(2, -1))


def tril_indices(
    row: int, col: int, offset: int = 0, *, dtype: Any = dtypes.int64, device: Any = "cpu", layout: Any = None
) -> Tensor:
    """The (row, col) indices of the lower triangle of a row x col matrix (diagonal ``offset``), as a 2 x N
    tensor in row-major order."""
    return _tri_indices("tril_indices", "tril_indices", row, col, offset, dtype, device)


def triu_indices(
    row: int, col: int, offset: int = 0, *, dtype: Any = dtypes.int64, device: Any = "cpu", layout: Any = None
) -> Tensor:
    """The (row, col) indices of the upper triangle of a row x col matrix, as a 2 x N tensor."""
    return _tri_indices("triu_indices", "triu_indices", row, col, offset, dtype, device)
