"""Matrix ops beyond matmul: inverse/det/slogdet (xp.linalg, which CuPy has), products built on matmul
(cross, inner, kron, matrix_power, baddbmm, addbmm, addmv, addr) and renorm."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .base import Primitive, check_same_device, normalize_dims
from .linalg import bmm, matmul, outer
from .results import SlogdetResult


def _check_square(x: Tensor, name: str) -> None:
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but got shape {tuple(x.shape)}"
            + (f" ({x.shape[-2]} by {x.shape[-1]} matrices)" if x.ndim >= 2 else "")
        )
    if not x.is_floating_point():
        raise RuntimeError(f"{name}: expected a floating point tensor, got {x.dtype}")


def _linalg_call(ctx: Any, name: str, fn: str, a: Any) -> Any:
    xp = ctx.backend_xp(a)
    try:
        return getattr(xp.linalg, fn)(a)
    except xp.linalg.LinAlgError as e:
        raise RuntimeError(f"{name}: {e} (input of shape {tuple(a.shape)}); the matrix is singular") from None


class Inverse(Primitive):
    _saves_output = True

    @staticmethod
    def forward(ctx, a):
        return _linalg_call(ctx, "linalg.inv", "inv", a)

    @staticmethod
    def backward(ctx, g):
        yt = ctx.output().mT
        return -(yt @ g @ yt)


class Det(Primitive):
    _saved_inputs = (0,)
    _saves_output = True

    @staticmethod
    def forward(ctx, a):
        return _linalg_call(ctx, "linalg.det", "det", a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.inputs
        return (g * ctx.output()).unsqueeze(-1).unsqueeze(-1) * Inverse.apply(a).mT


class LogAbsDet(Primitive):
    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, a):
        return _linalg_call(ctx, "linalg.slogdet", "slogdet", a)[1]

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.inputs
        return g.unsqueeze(-1).unsqueeze(-1) * Inverse.apply(a).mT


def inverse(x: Tensor) -> Tensor:
    """Matrix inverse (batched); the gradient is -A^-T g A^-T."""
    _check_square(x, "linalg.inv")
    return Inverse.apply(x)


def det(x: Tensor) -> Tensor:
    """Determinant (batched). Its gradient uses the inverse, so it needs a non-singular matrix."""
    _check_square(x, "linalg.det")
    return Det.apply(x)


def slogdet(x: Tensor) -> Any:
    """``(sign, logabsdet)`` of the determinant (batched); the gradient flows through logabsdet."""
    _check_square(x, "linalg.slogdet")
    xp = x.backend.xp
    sign = Tensor._make(xp.linalg.slogdet(x._data)[0].astype(x._data.dtype))
    return SlogdetResult(sign, LogAbsDet.apply(x))


def logdet(x: Tensor) -> Tensor:
    """log(det(A)): NaN where the determinant is negative, -inf where it is zero."""
    sign, logabs = slogdet(x)
    return logabs.masked_fill(sign < 0, float("nan"))


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


def cross(a: Tensor, b: Tensor, dim: Any = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (None: the first dim of size 3, as torch.cross)."""
    check_same_device("cross", a, b)
    if a.ndim != b.ndim:
        raise RuntimeError(
            f"cross: inputs must have the same number of dimensions, got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    shape = a.backend.xp.broadcast_shapes(a.shape, b.shape)
    if dim is None:
        dims = [i for i, s in enumerate(shape) if s == 3]
        if not dims:
            raise RuntimeError(
                f"cross: no dimension of size 3 in inputs of shapes {tuple(a.shape)} and {tuple(b.shape)}"
            )
        ax = dims[0]
    else:
        (ax,) = normalize_dims(dim, len(shape), "cross")
    if a.shape[ax] != 3 or b.shape[ax] != 3:
        raise RuntimeError(
            f"cross: inputs dimension {ax} must have length 3, got {a.shape[ax]} and {b.shape[ax]} "
            f"(shapes {tuple(a.shape)} and {tuple(b.shape)})"
        )
    if a._data.dtype != b._data.dtype:
        from ..creation import result_type

        dt = result_type(a, b)
        a, b = a.to(dt), b.to(dt)
    a0, a1, a2 = (a.narrow(ax, i, 1) for i in range(3))
    b0, b1, b2 = (b.narrow(ax, i, 1) for i in range(3))
    return Tensor.cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], ax)


def inner(a: Tensor, b: Tensor) -> Tensor:
    """Sum of products over the last dims: shape ``a.shape[:-1] + b.shape[:-1]``."""
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


def kron(a: Tensor, b: Tensor) -> Tensor:
    """Kronecker product (the smaller-rank input gets leading size-1 dims)."""
    check_same_device("kron", a, b)
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    ai = a.reshape(tuple(v for s in sa for v in (s, 1)))
    bi = b.reshape(tuple(v for s in sb for v in (1, s)))
    return (ai * bi).reshape(tuple(x * y for x, y in zip(sa, sb)))


def _add_scaled(x: Tensor, prod: Tensor, beta: Any, alpha: Any) -> Tensor:
    """beta * x + alpha * prod; with beta == 0, x is ignored (its NaN/inf do not propagate), as PyTorch."""
    p = prod if alpha == 1 else prod * alpha
    shape = x.backend.xp.broadcast_shapes(x.shape, p.shape)
    if tuple(shape) != tuple(p.shape):
        raise RuntimeError(
            f"the input of shape {tuple(x.shape)} does not broadcast to the product's shape {tuple(p.shape)}"
        )
    if beta == 0:
        return p
    return (x if beta == 1 else x * beta) + p


def baddbmm(x: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    return _add_scaled(x, bmm(batch1, batch2), beta, alpha)


def addbmm(x: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    return _add_scaled(x, bmm(batch1, batch2).sum(0), beta, alpha)


def addmv(x: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(
            f"addmv: expected a 2-D matrix and a 1-D vector, got shapes {tuple(mat.shape)} and {tuple(vec.shape)}"
        )
    return _add_scaled(x, matmul(mat, vec), beta, alpha)


def addr(x: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    return _add_scaled(x, outer(vec1, vec2), beta, alpha)


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
