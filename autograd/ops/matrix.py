"""Matrix ops beyond matmul: products built on matmul (cross, inner, kron, matrix_power, baddbmm, addbmm,
addmv, addr) and renorm. Solvers and decompositions (inverse, det...) are in solvers.py / spectral.py."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .base import check_same_device, normalize_dims
from .linalg import bmm, matmul, outer
from .solvers import inverse


def matrix_power(x: Tensor, n: int) -> Tensor:
    """A^n by repeated squaring; n = 0 gives the identity, n < 0 powers the inverse."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"matrix_power: n must be an int, got {type(n).__name__}")
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise RuntimeError(
            f"matrix_power: expected a tensor of square matrices, but got shape {tuple(x.shape)}"
        )
    if n == 0:
        from ..creation import eye

        return eye(x.shape[-1], dtype=x.dtype, device=x.device).expand(x.shape).contiguous()
    if n < 0:
        x, n = inverse(x), -n
    result = None
    base = x
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result if result is not x else x.clone()


def cross(a: Tensor, other: Tensor, dim: Any = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (None: the first dim of size 3, as torch.cross)."""
    b = other
    check_same_device("cross", a, b)
    if a.ndim != b.ndim:
        raise RuntimeError(
            f"cross: inputs must have the same number of dimensions, got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    try:
        shape = tuple(a.backend.xp.broadcast_shapes(a.shape, b.shape))
    except ValueError:
        raise RuntimeError(f"cross: shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast") from None
    if dim is None:
        dims = [i for i, s in enumerate(shape) if s == 3]
        if not dims:
            raise RuntimeError(
                f"cross: no dimension of size 3 in inputs of shapes {tuple(a.shape)} and {tuple(b.shape)}"
            )
        ax = dims[0]
    else:
        (ax,) = normalize_dims(dim, len(shape), "cross")
    sa, sb = a.shape[ax], b.shape[ax]
    if sa != 3 or sb != 3:
        raise RuntimeError(
            f"cross: inputs dimension {ax} must have length 3, got {sa} and {sb} "
            f"(shapes {tuple(a.shape)} and {tuple(b.shape)})"
        )
    a, b = a.expand(shape), b.expand(shape)
    if a._data.dtype != b._data.dtype:
        from ..creation import result_type

        dt = result_type(a, b)
        a, b = a.to(dt), b.to(dt)
    a0, a1, a2 = (a.narrow(ax, i, 1) for i in range(3))
    b0, b1, b2 = (b.narrow(ax, i, 1) for i in range(3))
    return Tensor.cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], ax)


def inner(a: Tensor, other: Tensor) -> Tensor:
    """Sum of products over the last dims: shape ``a.shape[:-1] + other.shape[:-1]``."""
    b = other
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(
            f"inner: the last dimension must match on both input tensors but got shapes "
            f"{tuple(a.shape)} and {tuple(b.shape)}"
        )
    k = a.shape[-1]
    out = matmul(a.reshape(-1, k), b.reshape(-1, k).t())
    return out.reshape(tuple(a.shape[:-1]) + tuple(b.shape[:-1]))


def kron(a: Tensor, other: Tensor) -> Tensor:
    """Kronecker product (the smaller-rank input gets leading size-1 dims)."""
    b = other
    check_same_device("kron", a, b)
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    ai = a.reshape(tuple(v for s in sa for v in (s, 1)))
    bi = b.reshape(tuple(v for s in sb for v in (1, s)))
    return (ai * bi).reshape(tuple(x * y for x, y in zip(sa, sb)))


def _add_scaled(name: str, x: Tensor, prod: Tensor, beta: Any, alpha: Any) -> Tensor:
    """beta * x + alpha * prod; with beta == 0, x is ignored (its NaN/inf do not propagate), as PyTorch."""
    p = prod if alpha == 1 else prod * alpha
    try:
        fits = tuple(x.backend.xp.broadcast_shapes(x.shape, p.shape)) == tuple(p.shape)
    except ValueError:
        fits = False
    if not fits:  # the input broadcasts to the product's shape, never the other way
        raise RuntimeError(
            f"{name}: the input of shape {tuple(x.shape)} does not broadcast to the product's shape "
            f"{tuple(p.shape)}"
        )
    if beta == 0:
        return p
    return (x if beta == 1 else x * beta) + p


def _batch_product(name: str, batch1: Tensor, batch2: Tensor) -> Tensor:
    s1, s2 = tuple(batch1.shape), tuple(batch2.shape)
    if len(s1) != 3 or len(s2) != 3 or s1[0] != s2[0] or s1[2] != s2[1]:
        raise RuntimeError(
            f"{name}: expected batch1 (b, n, m) and batch2 (b, m, p) with the same b and m, got {s1} and {s2}"
        )
    return bmm(batch1, batch2)


def baddbmm(x: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * x + alpha * (batch1 @ batch2), batched."""
    return _add_scaled("baddbmm", x, _batch_product("baddbmm", batch1, batch2), beta, alpha)


def addbmm(x: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * x + alpha * sum over the batch of batch1 @ batch2."""
    return _add_scaled("addbmm", x, _batch_product("addbmm", batch1, batch2).sum(0), beta, alpha)


def addmv(x: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * x + alpha * (mat @ vec)."""
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(
            f"addmv: expected a 2-D matrix and a 1-D vector, got shapes {tuple(mat.shape)} and {tuple(vec.shape)}"
        )
    return _add_scaled("addmv", x, matmul(mat, vec), beta, alpha)


def addr(x: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * x + alpha * outer(vec1, vec2)."""
    return _add_scaled("addr", x, outer(vec1, vec2), beta, alpha)


def renorm(x: Tensor, p: Any, dim: int, maxnorm: Any) -> Tensor:
    """Rescale each slice along ``dim`` whose p-norm exceeds ``maxnorm`` down to ``maxnorm``."""
    if not x.is_floating_point():
        raise RuntimeError(f"renorm: expected a floating point tensor, got {x.dtype}")
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive norm p={p} is not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if x.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got shape {tuple(x.shape)}")
    (ax,) = normalize_dims(dim, x.ndim, "renorm")
    others = tuple(i for i in range(x.ndim) if i != ax)
    norms = x.norm(p, others, keepdim=True)
    over = norms > maxnorm
    factor = (maxnorm / (norms + 1e-7)).masked_fill(~over, 1.0)
    return x * factor
