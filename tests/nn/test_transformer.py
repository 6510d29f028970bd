"""TransformerEncoderLayer / TransformerEncoder against PyTorch (values, grads, masks, state dicts)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn
import nn.functional as F

if HAVE_TORCH:
    import torch

pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched:UserWarning")


def _ours(arr, device, requires_grad=False):
    t = A.tensor(arr, device=device)
    return t.requires_grad_(True) if requires_grad else t


def _close(got, want, what, atol=1e-6, rtol=1e-5):  # the CUDA stand-in's erf (gelu) is ~1e-7 accurate
    g, w = to_numpy(got), to_numpy(want)
    assert g.shape == w.shape, f"{what}: shape {g.shape} != torch {w.shape}"
    np.testing.assert_allclose(g, w, atol=atol, rtol=rtol, err_msg=what)


def _load(ours, theirs, device):
    ours.load_state_dict({k: _ours(v.detach().numpy(), device) for k, v in theirs.state_dict().items()})


LAYER_CONFIGS = [
    {},
    {"norm_first": True, "activation": "gelu"},
    {"batch_first": True, "activation": "relu"},
    {"bias": False, "layer_norm_eps": 1e-3, "norm_first": True},
]
MASKS = ["none", "causal_float", "bool_both", "unbatched"]


def _inputs(rng, bf, mask, S=4, N=2, E=8):
    x = rng.standard_normal((S, E) if mask == "unbatched" else ((N, S, E) if bf else (S, N, E)))
    src_mask = kpm = None
    if mask == "causal_float":
        src_mask = np.triu(np.full((S, S), -np.inf), 1)
    elif mask == "bool_both":
        src_mask = np.triu(np.ones((S, S), dtype=bool), 1)
        kpm = rng.random((N, S)) < 0.4
        kpm[:, 0] = False
    elif mask == "unbatched":
        kpm = np.array([False, False, True, False])
    return x, src_mask, kpm


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize(
    "kw", LAYER_CONFIGS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default"
)
def test_encoder_layer_matches_torch(device, kw, mask):
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **kw).double()
    al = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, device=device, **kw).double()
    assert list(al.state_dict()) == list(tl.state_dict())
    _load(al, tl, device)
    rng = np.random.default_rng(0)
    x, src_mask, kpm = _inputs(rng, kw.get("batch_first", False), mask)
    tx, ax = torch.tensor(x, requires_grad=True), _ours(x, device, True)
    tkw, akw = {}, {}
    if src_mask is not None:
        tkw["src_mask"], akw["src_mask"] = torch.tensor(src_mask), _ours(src_mask, device)
    if kpm is not None:
        tkw["src_key_padding_mask"], akw["src_key_padding_mask"] = torch.tensor(kpm), _ours(kpm, device)
    to, ao = tl(tx, **tkw), al(ax, **akw)
    _close(ao, to, "output")
    up = rng.standard_normal(tuple(to.shape))
    (to * torch.tensor(up)).sum().backward()
    (ao * _ours(up, device)).sum().backward()
    _close(ax.grad, tx.grad, "input grad")
    ours = dict(al.named_parameters())
    for name, p in tl.named_parameters():
        _close(ours[name].grad, p.grad, f"grad of {name}")


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_stack_matches_torch(device, batch_first):
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=batch_first)
    te = torch.nn.TransformerEncoder(tl, 3, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False).double()
    al = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=batch_first, device=device)
    ae = nn.TransformerEncoder(al, 3, norm=nn.LayerNorm(8, device=device)).double()
    assert list(ae.state_dict()) == list(te.state_dict())
    _load(ae, te, device)
    rng = np.random.default_rng(1)
    x, src_mask, kpm = _inputs(rng, batch_first, "bool_both")
    tx, ax = torch.tensor(x, requires_grad=True), _ours(x, device, True)
    to = te(tx, mask=torch.tensor(src_mask), src_key_padding_mask=torch.tensor(kpm))
    ao = ae(ax, mask=_ours(src_mask, device), src_key_padding_mask=_ours(kpm, device))
    _close(ao, to, "output")
    (to**2).sum().backward()
    (ao**2).sum().backward()
    _close(ax.grad, tx.grad, "input grad")
    ours = dict(ae.named_parameters())
    for name, p in te.named_parameters():
        _close(ours[name].grad, p.grad, f"grad of {name}")


def test_encoder_layers_are_independent_copies(device):
    layer = nn.TransformerEncoderLayer(4, 2, 8, device=device)
    enc = nn.TransformerEncoder(layer, 2)
    p0, p1 = enc.layers[0].linear1.weight, enc.layers[1].linear1.weight
    assert p0 is not p1 and p0 is not layer.linear1.weight
    np.testing.assert_array_equal(to_numpy(p0), to_numpy(p1))
    with A.no_grad():
        p0.add_(1.0)
    assert not np.allclose(to_numpy(p0), to_numpy(p1))
    assert len(list(enc.parameters())) == 2 * len(list(layer.parameters()))


def test_encoder_layer_post_norm_structure_without_torch(device):
    """With a zero attention output projection and zero FFN output, post-norm reduces to two LayerNorms."""
    layer = nn.TransformerEncoderLayer(6, 2, 5, dropout=0.0, device=device).double()
    with A.no_grad():
        for p in (layer.self_attn.out_proj.weight, layer.self_attn.out_proj.bias, layer.linear2.weight):
            p.zero_()
        layer.linear2.bias.copy_(_ours(np.arange(6.0), device))
    x = np.random.default_rng(0).standard_normal((3, 2, 6))

    def ln(a):
        return (a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, keepdims=True) + 1e-5)

    np.testing.assert_allclose(to_numpy(layer(_ours(x, device))), ln(ln(x) + np.arange(6.0)), atol=1e-10)


def test_encoder_gradcheck(device):
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu", device=device).double()
    x = _ours(np.random.default_rng(0).standard_normal((3, 1, 4)), device, True)
    mask = _ours(np.triu(np.ones((3, 3), dtype=bool), 1), device)
    assert A.gradcheck(lambda x: layer(x, src_mask=mask), (x,))


def test_dropout_and_modes(device):
    A.manual_seed(0)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3, device=device), 2)
    x = A.randn(5, 2, 8, device=device)
    enc.eval()
    a, b = enc(x), enc(x)
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    enc.train()
    c = enc(x)
    assert not np.allclose(to_numpy(a), to_numpy(c))
    c.sum().backward()
    assert all(p.grad is not None for p in enc.parameters())


def test_is_causal_hint(device):
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, device=device)
    x = A.randn(3, 1, 4, device=device)
    mask = _ours(np.triu(np.full((3, 3), -np.inf, dtype=np.float32), 1), device)
    np.testing.assert_allclose(
        to_numpy(layer(x, src_mask=mask, is_causal=True)), to_numpy(layer(x, src_mask=mask)), rtol=1e-6
    )
    with pytest.raises(RuntimeError, match="need attn_mask if specifying the is_causal hint"):
        layer(x, is_causal=True)


def test_activation_choices_and_errors(device):
    assert nn.TransformerEncoderLayer(4, 2, 8).activation is F.relu
    assert nn.TransformerEncoderLayer(4, 2, 8, activation="gelu").activation is F.gelu
    custom = nn.TransformerEncoderLayer(4, 2, 8, activation=lambda t: t * 2.0, dropout=0.0, device=device)
    assert custom(A.randn(2, 1, 4, device=device)).shape == (2, 1, 4)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(4, 2, 8, activation="tanh")
    with pytest.raises(RuntimeError, match=r"expected src of shape \(S, N, 4\).*got \(2, 1, 5\)"):
        nn.TransformerEncoderLayer(4, 2, 8, device=device)(A.randn(2, 1, 5, device=device))
