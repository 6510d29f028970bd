"""TransformerDecoderLayer / TransformerDecoder / Transformer against PyTorch (values, grads, masks, state
dicts), plus a copy task the model must learn and the shape errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn
import nn.functional as F

if HAVE_TORCH:
    import torch

pytestmark = [
    pytest.mark.filterwarnings("ignore:enable_nested_tensor:UserWarning"),
    pytest.mark.filterwarnings("ignore:Support for mismatched:UserWarning"),
]

T, S, N, E, H, FF = 4, 5, 2, 8, 2, 16  # tgt length, memory length, batch, d_model, heads, feed-forward


def _ours(arr, device, requires_grad=False):
    t = A.tensor(arr, device=device)
    return t.requires_grad_(True) if requires_grad else t


def _close(got, want, what, atol=1e-6, rtol=1e-5):  # the CUDA stand-in's erf (gelu) is ~1e-7 accurate
    g, w = to_numpy(got), to_numpy(want)
    assert g.shape == w.shape, f"{what}: shape {g.shape} != torch {w.shape}"
    np.testing.assert_allclose(g, w, atol=atol, rtol=rtol, err_msg=what)


def _load(ours, theirs, device):
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: _ours(v.detach().numpy(), device) for k, v in theirs.state_dict().items()})


def _seq(rng, L, bf, batched=True):
    if not batched:
        return rng.standard_normal((L, E))
    return rng.standard_normal((N, L, E) if bf else (L, N, E))


def _masks(rng, kind, batched=True):
    """Keyword masks for the decoder, as numpy arrays (same names for torch and us)."""
    if kind == "none":
        return {}
    if kind == "causal":  # a float mask from generate_square_subsequent_mask, as torch users build it
        return {"tgt_mask": to_numpy(nn.Transformer.generate_square_subsequent_mask(T, dtype=A.float64))}
    if kind == "bool_padding":  # bool masks, True = may not attend
        tkpm, mkpm = rng.random((N, T)) < 0.4, rng.random((N, S)) < 0.4
        tkpm[:, 0] = mkpm[:, 0] = False
        mem = rng.random((T, S)) < 0.3
        mem[:, 0] = False
        return {
            "tgt_mask": np.triu(np.ones((T, T), dtype=bool), 1),
            "memory_mask": mem,
            "tgt_key_padding_mask": tkpm,
            "memory_key_padding_mask": mkpm,
        }
    if kind == "float_3d":  # per-head additive masks (N*nhead, T, S)
        return {
            "tgt_mask": rng.standard_normal((N * H, T, T)),
            "memory_mask": rng.standard_normal((N * H, T, S)),
        }
    assert kind == "unbatched"
    return {
        "tgt_mask": np.triu(np.ones((T, T), dtype=bool), 1),
        "memory_key_padding_mask": np.array([False, True, False, False, True]),
    }


def _run_both(tm, am, device, arrays, masks, up_seed=0):
    """Forward both models on the same inputs, backward the same random upstream gradient; compare all."""
    targs = [torch.tensor(a, requires_grad=True) for a in arrays]
    aargs = [_ours(a, device, True) for a in arrays]
    tkw = {k: torch.tensor(v) for k, v in masks.items()}
    akw = {k: _ours(v, device) for k, v in masks.items()}
    to, ao = tm(*targs, **tkw), am(*aargs, **akw)
    _close(ao, to, "output")
    up = np.random.default_rng(up_seed).standard_normal(tuple(to.shape))
    (to * torch.tensor(up)).sum().backward()
    (ao * _ours(up, device)).sum().backward()
    for i, (a, t) in enumerate(zip(aargs, targs)):
        _close(a.grad, t.grad, f"grad of input {i}")
    ours = dict(am.named_parameters())
    assert set(ours) == {n for n, _ in tm.named_parameters()}
    for name, p in tm.named_parameters():
        _close(ours[name].grad, p.grad, f"grad of {name}")


LAYER_CONFIGS = [
    {},
    {"norm_first": True, "activation": "gelu"},
    {"batch_first": True},
    {"batch_first": True, "norm_first": True, "bias": False, "layer_norm_eps": 1e-3},
]
MASKS = ["none", "causal", "bool_padding", "float_3d", "unbatched"]


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize(
    "kw", LAYER_CONFIGS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default"
)
def test_decoder_layer_matches_torch(device, kw, mask):
    torch.manual_seed(0)
    tl = torch.nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, **kw).double()
    al = nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, device=device, **kw).double()
    _load(al, tl, device)
    rng = np.random.default_rng(0)
    bf, batched = kw.get("batch_first", False), mask != "unbatched"
    arrays = [_seq(rng, T, bf, batched), _seq(rng, S, bf, batched)]
    _run_both(tl, al, device, arrays, _masks(rng, mask, batched))


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_stack_matches_torch(device, batch_first):
    torch.manual_seed(0)
    tl = torch.nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, batch_first=batch_first)
    td = torch.nn.TransformerDecoder(tl, 2, norm=torch.nn.LayerNorm(E)).double()
    al = nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, batch_first=batch_first, device=device)
    ad = nn.TransformerDecoder(al, 2, norm=nn.LayerNorm(E, device=device)).double()
    _load(ad, td, device)
    rng = np.random.default_rng(1)
    arrays = [_seq(rng, T, batch_first), _seq(rng, S, batch_first)]
    masks = _masks(rng, "bool_padding")
    masks["tgt_mask"] = _masks(rng, "causal")["tgt_mask"]
    _run_both(td, ad, device, arrays, masks)


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize(
    "kw",
    [{}, {"batch_first": True, "norm_first": True, "activation": "gelu"}],
    ids=["default", "bf_prenorm_gelu"],
)
def test_transformer_matches_torch(device, kw, batched):
    torch.manual_seed(0)
    tm = torch.nn.Transformer(E, H, 2, 2, FF, dropout=0.0, **kw).double()
    am = nn.Transformer(E, H, 2, 2, FF, dropout=0.0, device=device, **kw).double()
    _load(am, tm, device)
    rng = np.random.default_rng(2)
    bf = kw.get("batch_first", False)
    skpm = rng.random((N, S)) < 0.4
    skpm[:, 0] = False
    masks = {
        "tgt_mask": to_numpy(nn.Transformer.generate_square_subsequent_mask(T, dtype=A.float64)),
        "src_key_padding_mask": skpm,
        "memory_key_padding_mask": skpm,
        "tgt_key_padding_mask": np.array([[False] * T, [False, False, False, True]]),
    }
    if not batched:  # (S,) / (T,) padding masks
        masks = {k: v[1] if "padding" in k else v for k, v in masks.items()}
    _run_both(tm, am, device, [_seq(rng, S, bf, batched), _seq(rng, T, bf, batched)], masks)


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_generate_square_subsequent_mask_matches_torch(device):
    for sz in (1, 5):
        got = nn.Transformer.generate_square_subsequent_mask(sz, device=device)
        assert got.dtype == A.float32 and got.device.type == A.device(device).type
        np.testing.assert_array_equal(to_numpy(got), torch.nn.Transformer.generate_square_subsequent_mask(sz))
    m = nn.Transformer.generate_square_subsequent_mask(3, device=device, dtype=A.float64)
    assert m.dtype == A.float64
    assert not np.isnan(to_numpy(m)).any()


def test_transformer_init_and_layout(device):
    model = nn.Transformer(16, 4, 2, 1, 32, device=device)
    assert model.d_model == 16 and model.nhead == 4 and model.batch_first is False
    assert len(model.encoder.layers) == 2 and len(model.decoder.layers) == 1
    assert isinstance(model.encoder.norm, nn.LayerNorm) and isinstance(model.decoder.norm, nn.LayerNorm)
    for name, p in model.named_parameters():
        v = to_numpy(p)
        if p.ndim > 1:  # Xavier-uniform bound sqrt(6 / (fan_in + fan_out)), spread over most of it
            bound = math.sqrt(6.0 / (p.shape[0] + p.shape[1]))
            assert np.abs(v).max() <= bound + 1e-6, name
            assert np.abs(v).max() > 0.8 * bound, name
        elif (
            name.endswith("in_proj_bias")
            or name.endswith("out_proj.bias")
            or "norm" in name
            and "bias" in name
        ):
            np.testing.assert_array_equal(v, 0.0, err_msg=name)
    keys = list(model.state_dict())
    assert (
        "decoder.layers.0.multihead_attn.in_proj_weight" in keys and "decoder.layers.0.norm3.weight" in keys
    )
    assert "encoder.norm.weight" in keys and "decoder.norm.bias" in keys


def test_custom_encoder_decoder(device):
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, device=device), 1)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, device=device), 3)
    model = nn.Transformer(8, 2, custom_encoder=enc, custom_decoder=dec)
    assert model.encoder is enc and model.decoder is dec and len(model.decoder.layers) == 3
    assert all(".norm." not in k for k in model.state_dict() if k.startswith(("encoder.n", "decoder.n")))
    out = model(A.randn(5, 2, 8, device=device), A.randn(3, 2, 8, device=device))
    assert out.shape == (3, 2, 8)


def test_decoder_layers_are_independent_copies(device):
    layer = nn.TransformerDecoderLayer(4, 2, 8, device=device)
    dec = nn.TransformerDecoder(layer, 2)
    p0, p1 = dec.layers[0].multihead_attn.in_proj_weight, dec.layers[1].multihead_attn.in_proj_weight
    assert p0 is not p1 and p0 is not layer.multihead_attn.in_proj_weight
    np.testing.assert_array_equal(to_numpy(p0), to_numpy(p1))
    assert len(list(dec.parameters())) == 2 * len(list(layer.parameters()))


def test_dropout_modes_and_causal_hint(device):
    model = nn.Transformer(8, 2, 1, 1, 16, dropout=0.3, device=device)
    src, tgt = A.randn(5, 2, 8, device=device), A.randn(4, 2, 8, device=device)
    mask = nn.Transformer.generate_square_subsequent_mask(4, device=device)
    model.eval()
    a = model(src, tgt, tgt_mask=mask)
    np.testing.assert_array_equal(to_numpy(a), to_numpy(model(src, tgt, tgt_mask=mask)))
    np.testing.assert_allclose(
        to_numpy(model(src, tgt, tgt_mask=mask, tgt_is_causal=True)), to_numpy(a), rtol=1e-6
    )
    model.train()
    b = model(src, tgt, tgt_mask=mask)
    assert not np.allclose(to_numpy(a), to_numpy(b))
    b.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_causal_mask_hides_the_future(device):
    """With a causal tgt_mask, changing a later target position leaves earlier outputs unchanged."""
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, device=device), 2).double()
    rng = np.random.default_rng(3)
    tgt, mem = rng.standard_normal((T, 1, 8)), rng.standard_normal((S, 1, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(T, device=device)
    a = to_numpy(dec(_ours(tgt, device), _ours(mem, device), tgt_mask=mask))
    tgt[-1] += 1.0
    b = to_numpy(dec(_ours(tgt, device), _ours(mem, device), tgt_mask=mask))
    np.testing.assert_allclose(a[:-1], b[:-1], atol=1e-12)
    assert not np.allclose(a[-1], b[-1])


def test_transformer_learns_copy_task(device):
    """Teacher-forced copy of a short token sequence: the loss falls twentyfold within 50 Adam steps."""
    A.manual_seed(0)
    V, L, B, D = 8, 5, 16, 32
    emb = nn.Embedding(V + 1, D, device=device)  # token V is the start symbol
    model = nn.Transformer(D, 4, 1, 1, 64, dropout=0.0, batch_first=True, device=device)
    head = nn.Linear(D, V, device=device)
    params = list(emb.parameters()) + list(model.parameters()) + list(head.parameters())
    opt = nn.optim.Adam(params, lr=5e-3)
    seq = np.random.default_rng(0).integers(0, V, (B, L))
    src = _ours(seq, device)
    tgt_in = _ours(np.concatenate([np.full((B, 1), V), seq[:, :-1]], 1), device)
    mask = nn.Transformer.generate_square_subsequent_mask(L, device=device)
    losses = []
    for _ in range(50):
        opt.zero_grad()
        logits = head(model(emb(src), emb(tgt_in), tgt_mask=mask))
        loss = F.cross_entropy(logits.reshape(B * L, V), src.reshape(B * L))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0], f"loss {losses[0]:.3f} -> {losses[-1]:.3f}"


def test_shape_errors(device):
    layer = nn.TransformerDecoderLayer(8, 2, 16, device=device)
    tgt, mem = A.randn(T, N, 8, device=device), A.randn(S, N, 8, device=device)
    with pytest.raises(
        RuntimeError, match=r"TransformerDecoderLayer: expected tgt of shape \(T, N, 8\).*got \(4, 2, 6\)"
    ):
        layer(A.randn(T, N, 6, device=device), mem)
    with pytest.raises(RuntimeError, match=r"expected memory of shape \(S, N, 8\).*got \(5, 2, 4\)"):
        layer(tgt, A.randn(S, N, 4, device=device))
    with pytest.raises(RuntimeError, match=r"same batch size, got tgt \(4, 2, 8\) and memory \(5, 3, 8\)"):
        layer(tgt, A.randn(S, 3, 8, device=device))
    with pytest.raises(RuntimeError, match="both be batched"):
        layer(tgt, A.randn(S, 8, device=device))
    with pytest.raises(
        RuntimeError, match=r"expected tgt_mask of shape \(T, T\) = \(4, 4\) or .*\(4, 4, 4\), got \(5, 5\)"
    ):
        layer(tgt, mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(5, device=device))
    with pytest.raises(
        RuntimeError, match=r"expected memory_mask of shape \(T, S\) = \(4, 5\).*got \(4, 4\)"
    ):
        layer(tgt, mem, memory_mask=A.zeros(4, 4, device=device))
    with pytest.raises(
        RuntimeError, match=r"expected memory_key_padding_mask of shape \(N, S\) = \(2, 5\), got \(2, 4\)"
    ):
        layer(tgt, mem, memory_key_padding_mask=A.zeros(2, 4, dtype=A.bool, device=device))
    with pytest.raises(
        RuntimeError, match=r"expected tgt_key_padding_mask of shape \(T\) = \(4,\), got \(5,\)"
    ):
        layer(
            A.randn(T, 8, device=device),
            A.randn(S, 8, device=device),
            tgt_key_padding_mask=A.zeros(5, dtype=A.bool),
        )
    with pytest.raises(TypeError, match="TransformerDecoderLayer: memory must be a Tensor"):
        layer(tgt, np.zeros((S, N, 8)))
    with pytest.raises(RuntimeError, match="need attn_mask if specifying the is_causal hint"):
        layer(tgt, mem, tgt_is_causal=True)
    with pytest.raises(
        RuntimeError, match="TransformerDecoderLayer: activation should be relu/gelu, not tanh"
    ):
        nn.TransformerDecoderLayer(8, 2, activation="tanh")
    model = nn.Transformer(8, 2, 1, 1, 16, device=device)
    with pytest.raises(RuntimeError, match=r"Transformer: the batch number of src and tgt must be equal"):
        model(A.randn(S, 3, 8, device=device), tgt)
    with pytest.raises(RuntimeError, match=r"Transformer: expected src of shape \(S, N, 8\)"):
        model(A.randn(S, N, 7, device=device), tgt)
    with pytest.raises(RuntimeError, match=r"Transformer: expected src_mask of shape \(S, S\) = \(5, 5\)"):
        model(A.randn(S, N, 8, device=device), tgt, src_mask=A.zeros(4, 4, device=device))
    bf = nn.Transformer(8, 2, 1, 1, 16, batch_first=True, device=device)
    with pytest.raises(RuntimeError, match=r"batch number.*batch_first=True"):
        bf(A.randn(3, S, 8, device=device), A.randn(N, T, 8, device=device))
