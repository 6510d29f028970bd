"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``, as PyTorch's.

Both are compositions of differentiable Tensor ops (matmul, softmax, masking), so gradients and
higher-order gradients come from the engine.
"""

from __future__ import annotations

import math
from typing import Any

from autograd import Tensor, cat, where

from .activation import softmax
from .dropout import dropout
from .linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _safe_softmax(x: Tensor, dim: int) -> Tensor:
    """Softmax that gives zeros (not NaN) on rows where every score is -inf (fully masked), as PyTorch's SDPA."""
    dead = (x == float("-inf")).all(dim, keepdim=True)
    if not bool(dead.any()):
        return softmax(x, dim)
    zero = x.new_zeros(())
    return where(dead, zero, softmax(where(dead, zero, x), dim))


def _float_mask(mask: Tensor, like: Tensor, true_means_keep: bool, op: str, name: str) -> Tensor:
    """A bool mask as an additive float mask (0 / -inf); a float mask as is."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(mask).__name__}")
    if mask.dtype.name == "bool":
        blocked = mask.logical_not() if true_means_keep else mask
        return like.new_zeros(tuple(mask.shape)).masked_fill(blocked, float("-inf"))
    if not mask.is_floating_point():
        raise RuntimeError(f"{op}: only bool and floating types of {name} are supported, got {mask.dtype}")
    if mask.dtype != like.dtype:
        mask = mask.to(like.dtype)
    return mask


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(Q K^T * scale + mask) V`` over the last two dims; a bool mask marks positions that take part."""
    op = "scaled_dot_product_attention"
    for n, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {n} must be a Tensor, got {type(t).__name__}")
        if t.ndim < 2:
            raise RuntimeError(f"{op}: {n} must be at least 2-D (..., L, E), got shape {tuple(t.shape)}")
    qs, ks, vs = tuple(query.shape), tuple(key.shape), tuple(value.shape)
    if qs[-1] != ks[-1]:
        raise RuntimeError(
            f"{op}: query and key must have the same embedding dim, got query {qs} and key {ks}"
        )
    if ks[-2] != vs[-2]:
        raise RuntimeError(
            f"{op}: key and value must have the same sequence length, got key {ks} and value {vs}"
        )
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            f"{op}: expected query, key and value to have the same dtype, got {query.dtype}, {key.dtype} and "
            f"{value.dtype}"
        )
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hq % hk or value.shape[-3] != hk:
            raise RuntimeError(
                f"{op}: with enable_gqa the number of query heads ({hq}) must be a multiple of the key/value "
                f"heads ({hk}, {value.shape[-3]})"
            )
        key, value = _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hk)
    L, S = qs[-2], ks[-2]
    scale = 1.0 / math.sqrt(qs[-1]) if scale is None else scale
    scores = (query * scale) @ key.transpose(-2, -1)
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(f"{op}: explicit attn_mask should not be set when is_causal=True")
        scores = scores.masked_fill(_causal(query, L, S).logical_not(), float("-inf"))
    elif attn_mask is not None:
        try:
            if attn_mask.dtype.name == "bool":
                scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
            else:
                scores = scores + _float_mask(attn_mask, scores, True, op, "attn_mask")
        except (RuntimeError, ValueError) as e:
            if "broadcast" not in str(e) and "shape" not in str(e):
                raise
            raise RuntimeError(
                f"{op}: attn_mask of shape {tuple(attn_mask.shape)} is not broadcastable to the attention "
                f"scores of shape {tuple(scores.shape)} (..., L={L}, S={S})"
            ) from None
    attn = _safe_softmax(scores, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p)
    return attn @ value


def _causal(like: Tensor, L: int, S: int) -> Tensor:
    """Bool (L, S) lower-triangular mask: position i attends to positions <= i."""
    xp = like.backend.xp
    return Tensor._make(xp.tril(xp.ones((L, S), dtype=bool)))


def _repeat_heads(x: Tensor, n: int) -> Tensor:
    """Repeat each head ``n`` times along dim -3 (``repeat_interleave``), for grouped-query attention."""
    shape = tuple(x.shape)
    y = x.unsqueeze(-3).expand(*shape[:-3], shape[-3], n, *shape[-2:])
    return y.reshape(*shape[:-3], shape[-3] * n, *shape[-2:])


# ---- multi-head attention ------------------------------------------------------------------------


def _mha_check(query: Tensor, key: Tensor, value: Tensor, kpm: Any, attn_mask: Any, num_heads: int) -> bool:
    """Validate the shapes (PyTorch's rules); returns whether the input is batched."""
    op = "multi_head_attention_forward"
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise RuntimeError(
                f"{op}: for batched (3-D) query, expected key and value to be 3-D but found {key.ndim}-D and "
                f"{value.ndim}-D tensors respectively"
            )
        if kpm is not None and kpm.ndim != 2:
            raise RuntimeError(
                f"{op}: for batched (3-D) query, expected key_padding_mask to be None or 2-D (N, S) but found "
                f"{kpm.ndim}-D tensor of shape {tuple(kpm.shape)}"
            )
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise RuntimeError(
                f"{op}: for batched (3-D) query, expected attn_mask to be None, 2-D or 3-D but found "
                f"{attn_mask.ndim}-D tensor of shape {tuple(attn_mask.shape)}"
            )
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise RuntimeError(
                f"{op}: for unbatched (2-D) query, expected key and value to be 2-D but found {key.ndim}-D and "
                f"{value.ndim}-D tensors respectively"
            )
        if kpm is not None and kpm.ndim != 1:
            raise RuntimeError(
                f"{op}: for unbatched (2-D) query, expected key_padding_mask to be None or 1-D (S,) but found "
                f"{kpm.ndim}-D tensor of shape {tuple(kpm.shape)}"
            )
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise RuntimeError(
                    f"{op}: for unbatched (2-D) query, expected attn_mask to be None, 2-D or 3-D but found "
                    f"{attn_mask.ndim}-D tensor of shape {tuple(attn_mask.shape)}"
                )
            if attn_mask.ndim == 3 and attn_mask.shape != (num_heads, query.shape[0], key.shape[0]):
                raise RuntimeError(
                    f"{op}: expected attn_mask of shape {(num_heads, query.shape[0], key.shape[0])}, "
                    f"got {tuple(attn_mask.shape)}"
                )
        return False
    raise RuntimeError(
        f"{op}: query should be unbatched 2-D (L, E) or batched 3-D (L, N, E) tensor but received "
        f"{query.ndim}-D query tensor of shape {tuple(query.shape)}"
    )


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on sequence-first inputs ``(L, N, E)`` (or unbatched ``(L, E)``), as PyTorch's.

    ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) / (N*num_heads, L, S): a bool True marks a
    position that may *not* be attended; a float mask is added to the scores.
    """
    op = "multi_head_attention_forward"
    batched = _mha_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise RuntimeError(
            f"{op}: was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise RuntimeError(f"{op}: embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2]:
        raise RuntimeError(
            f"{op}: key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
            f"{tuple(value.shape[:2])}"
        )
    if key.shape[1] != bsz:
        raise RuntimeError(f"{op}: key has batch size {key.shape[1]} but query has {bsz}")
    if is_causal and attn_mask is None:
        raise RuntimeError(
            f"{op}: need attn_mask if specifying the is_causal hint (e.g. a causal (L, S) mask with True above "
            "the diagonal)"
        )
    if key_padding_mask is not None:
        key_padding_mask = _float_mask(key_padding_mask, query, False, op, "key_padding_mask")
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise RuntimeError(
                f"{op}: expected key_padding_mask of shape {(bsz, src_len)}, got {tuple(key_padding_mask.shape)}"
            )
    if attn_mask is not None:
        attn_mask = _float_mask(attn_mask, query, False, op, "attn_mask")

    # input projections
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise RuntimeError(f"{op}: use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise RuntimeError(f"{op}: use_separate_proj_weight is True but q/k/v_proj_weight is None")
        bq = bk = bv = None
        if in_proj_bias is not None:
            bq, bk, bv = in_proj_bias.chunk(3)
        q = linear(query, q_proj_weight, bq)
        k = linear(key, k_proj_weight, bk)
        v = linear(value, v_proj_weight, bv)

    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"{op}: the shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should be "
                    f"{(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(
                f"{op}: the shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
                f"{(bsz * num_heads, tgt_len, src_len)}."
            )

    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise RuntimeError(f"{op}: bias cannot be added to static key/value")
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    elif (bias_k is None) != (bias_v is None):
        raise RuntimeError(f"{op}: bias_k and bias_v must both be given or both be None")

    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, bsz, num_heads, head_dim, op, "k")
    v = _heads(v, static_v, bsz, num_heads, head_dim, op, "v")
    if add_zero_attn:
        zeros = k.new_zeros((bsz * num_heads, 1, head_dim))
        k = cat([k, zeros], 1)
        v = cat([v, zeros], 1)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[1]

    if key_padding_mask is not None:
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    scores = (q * (1.0 / math.sqrt(head_dim))) @ k.transpose(-2, -1)
    if attn_mask is not None:
        scores = scores + attn_mask
    # PyTorch returns NaN on fully masked rows when it computes weights, zeros when it does not
    attn = softmax(scores, -1) if need_weights else _safe_softmax(scores, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p)
    out = (attn @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, out_proj_weight.shape[0])
    weights = None
    if need_weights:
        weights = attn.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            weights = weights.squeeze(0)
    if not batched:
        out = out.squeeze(1)
    return out, weights


def _in_projection_packed(q: Tensor, k: Tensor, v: Tensor, w: Tensor, b: Tensor | None) -> tuple:
    """Project q, k, v with the packed (3E, E) weight; one GEMM when they are the same tensor."""
    E = q.shape[-1]
    if k is v:
        if q is k:
            return linear(q, w, b).chunk(3, -1)
        w_q, w_kv = w.split([E, 2 * E])
        b_q, b_kv = (None, None) if b is None else b.split([E, 2 * E])
        return (linear(q, w_q, b_q), *linear(k, w_kv, b_kv).chunk(2, -1))
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _heads(
    x: Tensor, static: Tensor | None, bsz: int, num_heads: int, head_dim: int, op: str, name: str
) -> Tensor:
    """(S, N, E) -> (N * num_heads, S, head_dim), or the given static tensor after a shape check."""
    if static is None:
        return x.reshape(x.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if static.shape[0] != bsz * num_heads or static.shape[2] != head_dim:
        raise RuntimeError(
            f"{op}: expecting static_{name} of shape ({bsz * num_heads}, S, {head_dim}), got {tuple(static.shape)}"
        )
    return static


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """Append one zero column (an attendable position) to an additive mask."""
    if mask is None:
        return None
    return cat([mask, mask.new_zeros((*mask.shape[:-1], 1))], -1)
