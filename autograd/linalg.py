"""``autograd.linalg``: the mirror of ``torch.linalg`` (batched over leading dims, PyTorch's names, defaults,
errors and gradients). Norms and small products live here; solvers and decompositions in ops/solvers.py
and ops/spectral.py."""

from __future__ import annotations

import math
from typing import Any

from .ops import matrix as _M
from .ops import reduce as _R
from .ops.base import normalize_dims
from .ops.householder import householder_product
from .ops.solvers import (
    LinAlgError,
    check_float,
    check_matrix,
    check_square,
    cholesky,
    cholesky_ex,
    det,
    inv,
    inv_ex,
    slogdet,
    solve,
    solve_triangular,
)
from .ops.spectral import cond, eigh, eigvalsh, lstsq, matrix_rank, pinv, qr, svd, svdvals
from .tensor import Tensor

__all__ = [
    "LinAlgError",
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "householder_product",
    "inv",
    "inv_ex",
    "lstsq",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
    "svdvals",
    "vecdot",
    "vector_norm",
]

_INF = float("inf")


def vector_norm(
    x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:  # noqa: A002
    """The ``ord``-norm of ``x`` over ``dim`` (all dims when None) as if flattened; ``dtype`` casts first."""
    check_float(x, "linalg.vector_norm", low_precision=True)
    if isinstance(ord, str) or isinstance(ord, bool):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if dtype is not None:
        x = x.to(dtype)
    return _R.norm(x, ord, dim, keepdim)


def _matrix_dims(A: Tensor, dim: Any, name: str) -> tuple:
    if not isinstance(dim, tuple | list) or len(dim) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (d % A.ndim if -A.ndim <= d < A.ndim else None for d in dim)
    if d0 is None or d1 is None:
        normalize_dims(dim, A.ndim, name)  # raises the out-of-range IndexError
    if d0 == d1:
        raise RuntimeError(f"{name}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def matrix_norm(
    A: Tensor,
    ord: Any = "fro",  # noqa: A002
    dim: Any = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """Matrix norm over the two dims ``dim``: 'fro', 'nuc', inf, -inf, 1, -1, 2 or -2."""
    check_matrix(A, "linalg.matrix_norm")
    check_float(A, "linalg.matrix_norm", low_precision=True)
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = _matrix_dims(A, dim, "linalg.matrix_norm")
    if ord == "fro":
        return _R.norm(A, 2, (d0, d1), keepdim)
    if ord == "nuc" or (not isinstance(ord, str) and ord in (2, -2)):
        S = svdvals(A.movedim((d0, d1), (-2, -1)))
        out = S.sum(-1) if ord == "nuc" else (S.amax(-1) if ord == 2 else S.amin(-1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    if not isinstance(ord, str) and ord in (_INF, -_INF, 1, -1):
        inner, outer = (d1, d0) if ord in (_INF, -_INF) else (d0, d1)
        s = A.abs().sum(inner, keepdim=True)
        out = s.amax(outer, keepdim=True) if ord > 0 else s.amin(outer, keepdim=True)
        return out if keepdim else out.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(
    A: Tensor,
    ord: Any = None,  # noqa: A002
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """Vector norm for an int ``dim`` (or 1-d input), matrix norm for a 2-tuple ``dim`` (or 2-d input);
    with neither ``ord`` nor ``dim``, the 2-norm of the flattened input."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dims)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(
        f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D."
    )


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Dot product of vectors along ``dim`` (inputs broadcast)."""
    return (x * y).sum(dim)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonals of a batch of matrices (a view), as ``torch.linalg.diagonal``."""
    return A.diagonal(offset, dim1, dim2)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:  # noqa: A002
    """Cross product of 3-vectors along ``dim``; the inputs (of equal ndim) broadcast."""
    a, b = input, other
    if a.ndim != b.ndim:
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions (got shapes {tuple(a.shape)} "
            f"and {tuple(b.shape)})."
        )
    (ax,) = normalize_dims(dim, a.ndim, "linalg.cross")
    if a.shape[ax] != 3 or b.shape[ax] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[ax]} and {b.shape[ax]}"
        )
    return _M.cross(a, b, ax)


def multi_dot(tensors: Any) -> Tensor:
    """Chained matrix product; the first argument may be a row vector and the last a column vector."""
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    first_1d, last_1d = ts[0].ndim == 1, ts[-1].ndim == 1
    for i, t in enumerate(ts):
        ok = t.ndim == 2 or (t.ndim == 1 and i in (0, len(ts) - 1))
        if not ok:
            where = (
                "the first tensor" if i == 0 else ("the last tensor" if i == len(ts) - 1 else f"tensor {i}")
            )
            need = "1D or 2D" if i in (0, len(ts) - 1) else "2D"
            raise RuntimeError(f"multi_dot(): {where} must be {need} but got {t.ndim}D")
    if first_1d:
        ts[0] = ts[0].unsqueeze(0)
    if last_1d:
        ts[-1] = ts[-1].unsqueeze(-1)
    for i in range(len(ts) - 1):
        if ts[i].shape[-1] != ts[i + 1].shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {tuple(ts[i].shape)} and "
                f"{tuple(ts[i + 1].shape)} cannot be multiplied"
            )
    out = ts[0]
    for t in ts[1:]:
        out = out @ t
    if first_1d:
        out = out.squeeze(0)
    if last_1d:
        out = out.squeeze(-1)
    return out


def matrix_exp(A: Tensor) -> Tensor:
    """exp(A) by scaling and squaring a degree-18 Taylor polynomial (differentiable through it)."""
    check_square(A, "linalg.matrix_exp")
    from .creation import eye

    n = A.shape[-1]
    if A.numel() == 0:
        return A.clone()
    norm1 = float(A.detach().abs().sum(-2).amax())
    s = max(0, math.ceil(math.log2(norm1)) + 1) if norm1 > 0 else 0
    X = A / (2.0**s) if s else A
    eye_n = eye(n, dtype=A.dtype, device=A.device)
    E = eye_n + X / 18.0
    for k in range(17, 0, -1):
        E = eye_n + (X @ E) / float(k)
    for _ in range(s):
        E = E @ E
    return E


def matrix_power(A: Tensor, n: int) -> Tensor:
    """A^n for square matrices (batched); n = 0 gives the identity, n < 0 powers the inverse."""
    return _M.matrix_power(A, n)


def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """``torch.linalg.matmul``: an alias of ``matmul``."""
    return input.matmul(other)
