"""nn.functional: distances and normalization (normalize, cosine_similarity, pairwise_distance, pdist)."""

from __future__ import annotations

from typing import Any

from autograd import Tensor
from autograd.ops.base import check_same_device
from autograd.ops.distance import check_pdist_input, pnorm_last

__all__ = ["cosine_similarity", "normalize", "pairwise_distance", "pdist"]


def _check(op: str, **named: Any) -> None:
    for name, t in named.items():
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{op}: expected {name} to be a Tensor, got {type(t).__module__}.{type(t).__name__}"
            )
        if not t.is_floating_point():
            raise RuntimeError(f"{op}: expected a floating-point {name}, got {t.dtype}")
    check_same_device(op, *named.values())


def _broadcast(op: str, x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor]:
    try:
        shape = x1.backend.xp.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(
            f"{op}: x1 of shape {tuple(x1.shape)} and x2 of shape {tuple(x2.shape)} are not broadcastable"
        ) from None
    return (x1 if x1.shape == shape else x1.expand(shape)), (x2 if x2.shape == shape else x2.expand(shape))


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None
) -> Tensor:
    """input / max(||input||_p, eps) along ``dim``."""
    _check("normalize", input=input)
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps)
    res = input / denom
    if out is not None:
        out.copy_(res)
        return out
    return res


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between x1 and x2 along ``dim`` (broadcasting), each norm clamped to >= eps."""
    _check("cosine_similarity", x1=x1, x2=x2)
    x1, x2 = _broadcast("cosine_similarity", x1, x2)
    n1 = x1.norm(2, dim, keepdim=True)
    n2 = x2.norm(2, dim, keepdim=True)
    # PyTorch clamps the norms under no_grad: the value is clamped, the gradient is the norm's
    n1 = n1 + (n1.detach().clamp(min=eps) - n1.detach())
    n2 = n2 + (n2.detach().clamp(min=eps) - n2.detach())
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim (broadcasting)."""
    _check("pairwise_distance", x1=x1, x2=x2)
    _broadcast("pairwise_distance", x1, x2)
    return (x1 - x2 + eps).norm(p, -1, keepdim)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """p-norm distances between the rows of an (N, M) input, for each pair i < j: N*(N-1)/2 values."""
    op = "pdist"
    check_pdist_input(op, "input", input, p)
    if input.ndim != 2:
        raise RuntimeError(f"{op}: only supports 2-D (N, M) tensors, got shape {tuple(input.shape)}")
    n = input.shape[0]
    xp = input.backend.xp
    i, j = xp.triu_indices(n, 1) if n > 1 else (xp.zeros(0, dtype=xp.int64),) * 2
    rows = Tensor._make(i.astype(xp.int64)), Tensor._make(j.astype(xp.int64))
    return pnorm_last(input.index_select(0, rows[0]) - input.index_select(0, rows[1]), p)
