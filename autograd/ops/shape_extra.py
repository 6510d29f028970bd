"""Shape ops composed from views and copies: tensor_split, rot90, sum_to_size, narrow_copy, fill_diagonal_,
fliplr, flipud, argwhere."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor, _wrap_dim
from . import shape as S


def tensor_split(x: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``n`` near-equal parts (an int) or at the given indices (a list): views, as ``narrow``."""
    d = _wrap_dim(dim, x.ndim, "tensor_split")
    size = x.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios._data.dtype.kind not in "iu" or ios.ndim > 1:
            raise RuntimeError(
                f"tensor_split: expected indices_or_sections to be a 0-d or 1-d long tensor, got {ios.dtype} "
                f"of shape {tuple(ios.shape)}"
            )
        ios = int(ios.item()) if ios.ndim == 0 else [int(i) for i in ios.tolist()]
    if isinstance(ios, int):
        if ios <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got {ios}")
        q, r = divmod(size, ios)
        bounds = [i * q + min(i, r) for i in range(ios + 1)]
    else:
        idx = [int(i) for i in ios]
        bounds = [0] + [min(max(i + size if i < 0 else i, 0), size) for i in idx] + [size]
    out = []
    for a, b in zip(bounds, bounds[1:]):
        out.append(S.narrow(x, d, a, max(b - a, 0)))
    return tuple(out)


def rot90(x: Tensor, k: int = 1, dims: Any = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane ``dims`` (from the first towards the second)."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {x.ndim}")
    d0, d1 = _wrap_dim(dims[0], x.ndim, "rot90"), _wrap_dim(dims[1], x.ndim, "rot90")
    if d0 == d1:
        raise RuntimeError(
            f"rot90: expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    k %= 4
    if k == 1:
        return S.transpose(S.flip(x, (d1,)), d0, d1)
    if k == 2:
        return S.flip(x, (d0, d1))
    if k == 3:
        return S.transpose(S.flip(x, (d0,)), d0, d1)
    return x.clone()


def sum_to_size(x: Tensor, *size: Any) -> Tensor:
    """Sum ``x`` down to ``size`` (``x`` must be an expansion of that size), as in PyTorch."""
    from .reduce import sum_to

    size = S._shape_arg(size)
    ok = len(size) <= x.ndim and all(s == n or s == 1 for s, n in zip(size[::-1], x.shape[::-1]))
    if not ok:
        raise RuntimeError(f"sum_to_size: size {list(size)} is not expandable to size {list(x.shape)}")
    lead = x.ndim - len(size)
    out = x.sum(tuple(range(lead))) if lead else x
    return sum_to(out, size)


def narrow_copy(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``narrow`` as a new tensor (no shared memory)."""
    return S.narrow(x, dim, start, length).clone()


def fill_diagonal_(x: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Fill the main diagonal in place (all dims equal, or 2-d; ``wrap``: tall matrices restart it)."""
    from ..methods import _assign
    from .index import masked_fill

    if x.ndim < 2:
        raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1, got shape {tuple(x.shape)}")
    if x.ndim > 2 and len(set(x.shape)) != 1:
        raise RuntimeError(
            f"fill_diagonal_: all dimensions of input must be of equal length, got {tuple(x.shape)}"
        )
    xp = x.backend.xp
    n = x.numel()
    if x.ndim == 2:
        r, c = x.shape
        step = c + 1
        end = n if wrap or r <= c else c * c
    else:
        m = x.shape[0]
        step = sum(m**i for i in range(x.ndim))
        end = n
    mask = xp.zeros(n, dtype=bool)
    mask[xp.arange(0, end, step)] = True
    return _assign(x, masked_fill(x, Tensor._make(mask.reshape(x.shape)), fill_value))


def fliplr(input: Tensor) -> Tensor:
    """Reverse the columns (dim 1) of a tensor of at least 2 dims."""
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d, got shape {tuple(input.shape)}")
    return S.flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Reverse the rows (dim 0) of a tensor of at least 1 dim."""
    if input.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d, got a 0-d tensor")
    return S.flip(input, (0,))


def argwhere(input: Tensor) -> Tensor:
    """The indices of the non-zero elements, one row per element (``nonzero()``)."""
    return input.nonzero()


def moveaxis(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination`` (NumPy's name for ``movedim``)."""
    return S.movedim(input, source, destination)
