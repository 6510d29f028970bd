"""nn.functional: embedding lookups and one-hot encoding."""

from __future__ import annotations

from autograd import Tensor, no_grad
from autograd.ops.base import Primitive
from autograd.ops.index import IndexAdd, MaskMul
from autograd.ops.index import one_hot as _one_hot
from autograd.tensor import bump_version

__all__ = ["embedding", "one_hot"]


class _Embedding(Primitive):
    """``weight[indices]``; the backward scatter-adds rows, skipping ``padding_idx`` and optionally
    scaling each row's gradient by 1 / (its count in the batch)."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale):
        ctx.num = weight.shape[0]
        return weight[indices]

    @staticmethod
    def _grad_scale(ctx, g):
        """Per-lookup multiplier (0 at padding, 1/count with scale_grad_by_freq) as a raw array, or None."""
        _, indices, padding_idx, scale = ctx.inputs
        idx = indices._data
        xp = ctx.backend_xp(idx)
        m = None
        if scale:
            counts = xp.bincount(idx.reshape(-1), minlength=ctx.num)
            m = (1.0 / counts[idx]).astype(g.dtype)
        if padding_idx is not None:
            keep = (idx != padding_idx).astype(g.dtype)
            m = keep if m is None else m * keep
        return None if m is None else m[..., None]

    @staticmethod
    def backward(ctx, g):
        _, indices, _, _ = ctx.inputs
        m = _Embedding._grad_scale(ctx, g._data)
        if m is not None:
            g = MaskMul.apply(g, m)
        shape = (ctx.num, g.shape[-1])
        return IndexAdd.apply(g, (indices._data,), shape), None, None, None

    @staticmethod
    def backward_raw(ctx, g):
        _, indices, _, _ = ctx.inputs
        m = _Embedding._grad_scale(ctx, g)
        if m is not None:
            g = g * m
        b = ctx.backend(g)
        out = b.xp.zeros((ctx.num, g.shape[-1]), dtype=g.dtype)
        b.scatter_add(out, indices._data, g)
        return out, None, None, None


def _renorm_(weight: Tensor, indices: Tensor, max_norm: float, norm_type: float) -> None:
    """Rescale (in place) the looked-up rows whose ``norm_type``-norm exceeds ``max_norm``."""
    xp = weight.backend.xp
    rows = xp.unique(indices._data.reshape(-1))
    w = weight._data
    sel = w[rows]
    if norm_type == float("inf"):
        norms = xp.abs(sel).max(axis=1)
    else:
        norms = (xp.abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    w[rows] = sel * scale[:, None]
    bump_version(weight)


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input`` (output shape ``input.shape + (dim,)``)."""
    if not isinstance(input, Tensor) or input._data.dtype.kind not in "iu":
        raise RuntimeError(
            "embedding: expected input to be an integer (int64/int32) tensor of indices, got "
            f"{getattr(input, 'dtype', type(input).__name__)}"
        )
    if weight.ndim != 2:
        raise RuntimeError(
            f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got {tuple(weight.shape)}"
        )
    if type(input._data) is not type(weight._data) or input.device != weight.device:
        raise RuntimeError(
            f"embedding: expected all tensors to be on the same device, but found indices on {input.device} "
            f"and weight on {weight.device}"
        )
    if sparse:
        raise RuntimeError("embedding: sparse gradients are not supported; use sparse=False")
    n = weight.shape[0]
    if input._data.size:
        lo, hi = int(input._data.min()), int(input._data.max())
        if lo < 0 or hi >= n:
            raise IndexError(
                f"embedding: index {hi if hi >= n else lo} is out of range for num_embeddings={n} "
                f"(input of shape {tuple(input.shape)})"
            )
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within num_embeddings={n}")
        if padding_idx < 0:
            padding_idx += n
    if max_norm is not None:
        with no_grad():
            _renorm_(weight, input, max_norm, norm_type)
    return _Embedding.apply(weight, input, padding_idx, bool(scale_grad_by_freq))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Int64 one-hot encoding with a new last dim of size ``num_classes`` (inferred when -1)."""
    return _one_hot(tensor, num_classes)
