"""Transformer encoder and decoder layers and stacks, and the full ``Transformer``, with PyTorch's submodule
names and init (so a torch state dict loads one to one)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import autograd
from autograd import Tensor

from .. import functional as F
from .. import init
from ..module import Module
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .norm import LayerNorm

__all__ = [
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "TransformerDecoderLayer",
    "TransformerDecoder",
    "Transformer",
]


def _activation(activation: str | Callable, owner: str = "TransformerEncoderLayer") -> Callable:
    if isinstance(activation, str):
        if activation == "relu":
            return F.relu
        if activation == "gelu":
            return F.gelu
        raise RuntimeError(f"{owner}: activation should be relu/gelu, not {activation}")
    if not callable(activation):
        raise TypeError(f"{owner}: activation must be 'relu', 'gelu' or a callable, got {activation!r}")
    return activation


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block, each with dropout, a residual and LayerNorm (post- or pre-norm)."""

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        fk = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **fk
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **fk)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **fk)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        if not isinstance(src, Tensor):
            raise TypeError(f"TransformerEncoderLayer: src must be a Tensor, got {type(src).__name__}")
        if src.ndim not in (2, 3) or src.shape[-1] != self.self_attn.embed_dim:
            raise RuntimeError(
                f"TransformerEncoderLayer: expected src of shape (S, N, {self.self_attn.embed_dim}) "
                f"(or (N, S, E) with batch_first, or unbatched (S, E)), got {tuple(src.shape)}"
            )
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Any, key_padding_mask: Any, is_causal: bool) -> Tensor:
        x = self.self_attn(
            x,
            x,
            x,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of an encoder layer (``layers.0``, ``layers.1``...), then an optional norm."""

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(encoder_layer, Module):
            raise TypeError(
                f"TransformerEncoder: encoder_layer must be a Module, got {type(encoder_layer).__name__}"
            )
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor  # accepted for compatibility; no nested tensors here
        self.mask_check = mask_check

    def forward(
        self,
        src: Tensor,
        mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        out = src
        causal = bool(is_causal) if is_causal is not None else False
        for mod in self.layers:
            out = mod(out, src_mask=mask, is_causal=causal, src_key_padding_mask=src_key_padding_mask)
        if self.norm is not None:
            out = self.norm(out)
        return out


# ---- decoder -------------------------------------------------------------------------------------


def _check_seq(owner: str, name: str, x: Any, d_model: int, batch_first: bool) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{owner}: {name} must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (2, 3) or x.shape[-1] != d_model:
        L = "T" if name == "tgt" else "S"
        raise RuntimeError(
            f"{owner}: expected {name} of shape ({L}, N, {d_model}) (or (N, {L}, {d_model}) with batch_first, or "
            f"unbatched ({L}, {d_model})), got {tuple(x.shape)}"
        )


def _check_attn_mask(owner: str, name: str, mask: Any, dims: str, L: int, S: int, heads: int) -> None:
    """An attention mask is (L, S) or (N * nhead, L, S) (``heads`` = N * nhead, or nhead when unbatched)."""
    if mask is None:
        return
    if not isinstance(mask, Tensor):
        raise TypeError(f"{owner}: {name} must be a Tensor, got {type(mask).__name__}")
    if tuple(mask.shape) not in ((L, S), (heads, L, S)):
        raise RuntimeError(
            f"{owner}: expected {name} of shape ({dims}) = {(L, S)} or (N*nhead, {dims}) = {(heads, L, S)}, "
            f"got {tuple(mask.shape)}"
        )


def _check_kpm(owner: str, name: str, mask: Any, dims: str, want: tuple) -> None:
    if mask is None:
        return
    if not isinstance(mask, Tensor):
        raise TypeError(f"{owner}: {name} must be a Tensor, got {type(mask).__name__}")
    if tuple(mask.shape) != want:
        raise RuntimeError(f"{owner}: expected {name} of shape ({dims}) = {want}, got {tuple(mask.shape)}")


class TransformerDecoderLayer(Module):
    """Self-attention over the target, cross-attention to the encoder's memory, then a feed-forward block;
    each with dropout, a residual and LayerNorm (post-norm, or pre-norm with ``norm_first``)."""

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        fk = {"device": device, "dtype": dtype}
        mha = {"dropout": dropout, "bias": bias, "batch_first": batch_first, **fk}
        self.self_attn = MultiheadAttention(d_model, nhead, **mha)
        self.multihead_attn = MultiheadAttention(d_model, nhead, **mha)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **fk)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **fk)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation, "TransformerDecoderLayer")

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        self._check(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(
                self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(
                x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            )
            x = self.norm3(x + self._ff_block(x))
        return x

    def _check(self, tgt: Any, memory: Any, tgt_mask: Any, memory_mask: Any, tkpm: Any, mkpm: Any) -> None:
        """Shapes as PyTorch documents them, with errors that name the input and the expected shape."""
        op, E, bf = "TransformerDecoderLayer", self.self_attn.embed_dim, self.self_attn.batch_first
        _check_seq(op, "tgt", tgt, E, bf)
        _check_seq(op, "memory", memory, E, bf)
        if memory.ndim != tgt.ndim:
            raise RuntimeError(
                f"{op}: tgt and memory must both be batched (3-D) or both unbatched (2-D), got tgt "
                f"{tuple(tgt.shape)} and memory {tuple(memory.shape)}"
            )
        batched = tgt.ndim == 3
        seq_dim = 1 if batched and bf else 0
        T, S = tgt.shape[seq_dim], memory.shape[seq_dim]
        N = tgt.shape[1 - seq_dim] if batched else None
        if batched and memory.shape[1 - seq_dim] != N:
            raise RuntimeError(
                f"{op}: tgt and memory must have the same batch size, got tgt {tuple(tgt.shape)} and memory "
                f"{tuple(memory.shape)} (batch_first={bf})"
            )
        heads = self.self_attn.num_heads * (N if batched else 1)
        _check_attn_mask(op, "tgt_mask", tgt_mask, "T, T", T, T, heads)
        _check_attn_mask(op, "memory_mask", memory_mask, "T, S", T, S, heads)
        _check_kpm(op, "tgt_key_padding_mask", tkpm, "N, T" if batched else "T", (N, T) if batched else (T,))
        _check_kpm(
            op, "memory_key_padding_mask", mkpm, "N, S" if batched else "S", (N, S) if batched else (S,)
        )

    def _sa_block(self, x: Tensor, attn_mask: Any, key_padding_mask: Any, is_causal: bool) -> Tensor:
        x = self.self_attn(
            x,
            x,
            x,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            is_causal=is_causal,
            need_weights=False,
        )[0]
        return self.dropout1(x)

    def _mha_block(
        self, x: Tensor, mem: Tensor, attn_mask: Any, key_padding_mask: Any, is_causal: bool
    ) -> Tensor:
        x = self.multihead_attn(
            x,
            mem,
            mem,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            is_causal=is_causal,
            need_weights=False,
        )[0]
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of a decoder layer (``layers.0``, ``layers.1``...), then an optional norm."""

    def __init__(
        self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None
    ) -> None:
        super().__init__()
        if not isinstance(decoder_layer, Module):
            raise TypeError(
                f"TransformerDecoder: decoder_layer must be a Module, got {type(decoder_layer).__name__}"
            )
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        out = tgt
        # the hint only lets torch pick a faster kernel; the mask itself is always applied here
        causal = bool(tgt_is_causal) if tgt_is_causal is not None else False
        for mod in self.layers:
            out = mod(
                out,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=causal,
                memory_is_causal=memory_is_causal,
            )
        if self.norm is not None:
            out = self.norm(out)
        return out


# ---- full model ----------------------------------------------------------------------------------


class Transformer(Module):
    """Encoder-decoder Transformer ("Attention Is All You Need"): ``encoder`` and ``decoder`` stacks, each
    ending in a LayerNorm; every >1-d parameter starts Xavier-uniform, as in PyTorch."""

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable = F.relu,
        custom_encoder: Any | None = None,
        custom_decoder: Any | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        fk = {"device": device, "dtype": dtype}
        layer_args = (
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            activation,
            layer_norm_eps,
            batch_first,
            norm_first,
        )
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(*layer_args, bias=bias, **fk),
                num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk),
            )
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(*layer_args, bias=bias, **fk),
                num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk),
            )
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask: Tensor | None = None,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        op, E = "Transformer", self.d_model
        _check_seq(op, "src", src, E, self.batch_first)
        _check_seq(op, "tgt", tgt, E, self.batch_first)
        bdim = 0 if self.batch_first else 1
        if src.ndim == 3 and (tgt.ndim != 3 or src.shape[bdim] != tgt.shape[bdim]):
            raise RuntimeError(
                f"{op}: the batch number of src and tgt must be equal, got src {tuple(src.shape)} and tgt "
                f"{tuple(tgt.shape)} (batch dim {bdim}, batch_first={self.batch_first})"
            )
        batched = src.ndim == 3
        S = src.shape[1 - bdim] if batched else src.shape[0]
        N = src.shape[bdim] if batched else None
        _check_attn_mask(op, "src_mask", src_mask, "S, S", S, S, self.nhead * (N if batched else 1))
        _check_kpm(
            op,
            "src_key_padding_mask",
            src_key_padding_mask,
            "N, S" if batched else "S",
            (N, S) if batched else (S,),
        )
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
        """Causal float mask (sz, sz): 0 on and below the diagonal, -inf above (position i sees j <= i)."""
        idx = autograd.arange(sz, device=device)
        above = idx.unsqueeze(0) > idx.unsqueeze(1)
        return autograd.zeros((sz, sz), dtype=dtype, device=device).masked_fill(above, float("-inf"))

    def _reset_parameters(self) -> None:
        """Xavier-uniform for every parameter with more than one dim (PyTorch's ``Transformer`` init)."""
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
