"""nn.functional: embedding lookups and one-hot encoding."""

from __future__ import annotations

import numpy as np

import autograd
from autograd import Tensor, no_grad
from autograd.ops.base import Primitive
from autograd.ops.index import IndexAdd, IndexPut, MaskMul
from autograd.ops.index import one_hot as _one_hot
from autograd.tensor import bump_version

__all__ = ["embedding", "embedding_bag", "one_hot"]


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


def _bags(op: str, input: Tensor, offsets: Tensor | None, include_last_offset: bool) -> tuple:
    """Flatten 2-D input (one bag per row) or 1-D input + offsets: (flat indices, the bag of each index as a
    host array, number of bags)."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                f"{op}: if input is 2D, then offsets has to be None, as input is treated as a mini-batch of fixed "
                "length sequences"
            )
        n_bags, per = input.shape
        return input.reshape(-1), np.repeat(np.arange(n_bags), per), n_bags
    if input.ndim != 1:
        raise ValueError(f"{op}: input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if not isinstance(offsets, Tensor) or offsets.ndim != 1 or offsets._data.dtype.kind not in "iu":
        raise ValueError(
            f"{op}: with a 1D input, offsets has to be a 1D integer Tensor of bag starts, got "
            f"{tuple(offsets.shape) if isinstance(offsets, Tensor) else offsets!r}"
        )
    off = [int(v) for v in offsets.tolist()]
    n = input.shape[0]
    if off and (off[0] != 0 or any(a > b for a, b in zip(off, off[1:])) or off[-1] > n):
        raise ValueError(
            f"{op}: offsets must start at 0, be non-decreasing and stay within the input's {n} indices, got {off}"
        )
    starts = off[:-1] if include_last_offset else off
    ends = off[1:] if include_last_offset else off[1:] + [n]
    bag = np.zeros(n, dtype=np.int64)
    for b, (lo, hi) in enumerate(zip(starts, ends)):
        bag[lo:hi] = b
    return input, bag, len(starts)


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, means or maxima of bags of embedding rows (one bag per row of a 2-D input, or the slices of a 1-D
    input that ``offsets`` start); ``padding_idx`` entries are left out of their bag; an empty bag gives zeros.
    In max mode tied maxima share the gradient (PyTorch gives it to one of them)."""
    op = "embedding_bag"
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{op}: mode has to be one of sum, mean or max, got {mode!r}")
    if scale_grad_by_freq and mode == "max":
        raise ValueError(f"{op}: max mode does not support scaling the gradient by the frequency")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                f"{op}: per_sample_weights is only supported for mode='sum' (got mode='{mode}')"
            )
        if per_sample_weights.dtype != weight.dtype:
            raise RuntimeError(
                f"{op}: per_sample_weights ({per_sample_weights.dtype}) must have the weight's dtype ({weight.dtype})"
            )
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(
                f"{op}: per_sample_weights (shape {tuple(per_sample_weights.shape)}) must have the same shape as "
                f"the input ({tuple(input.shape)})"
            )
    flat, bag, n_bags = _bags(op, input, offsets, include_last_offset)
    rows = embedding(flat, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)  # (L, D)
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    kept = np.ones(len(bag), dtype=bool)
    if padding_idx is not None:
        kept = weight.backend.to_host(flat._data) != padding_idx
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    dev = weight.device

    def on_device(a: np.ndarray) -> object:
        return autograd.tensor(a, device=dev)._data

    dim = weight.shape[1]
    sel = np.flatnonzero(kept)
    if sel.size != len(bag):  # padding entries leave their bag
        rows, bag = rows[autograd.tensor(sel, device=dev)], bag[sel]
    counts = np.bincount(bag, minlength=n_bags)
    if mode != "max":
        out = IndexAdd.apply(rows, (on_device(bag),), (n_bags, dim))
        if mode == "mean":
            out = out / autograd.tensor(np.maximum(counts, 1)[:, None].astype(rows._data.dtype), device=dev)
        return out
    # max: each bag's rows laid out in a (bags, longest, D) block padded with -inf, then the max over the bag
    longest = max(1, int(counts.max()) if counts.size else 1)
    pos = np.arange(len(bag)) - np.concatenate([[0], np.cumsum(counts)[:-1]])[bag]  # place within its bag
    block = autograd.full((n_bags * longest, dim), float("-inf"), dtype=rows.dtype, device=dev)
    block = IndexPut.apply(block, (on_device(bag * longest + pos),), rows, False)
    best = block.reshape(n_bags, longest, dim).amax(1)
    empty = autograd.tensor((counts == 0)[:, None], device=dev)
    return autograd.where(empty, autograd.zeros((), dtype=rows.dtype, device=dev), best)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Int64 one-hot encoding with a new last dim of size ``num_classes`` (inferred when -1)."""
    return _one_hot(tensor, num_classes)
