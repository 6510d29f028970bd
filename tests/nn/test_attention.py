"""Attention: scaled_dot_product_attention and MultiheadAttention against PyTorch (values, grads, masks)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op, to_numpy

import autograd as A
import nn
import nn.functional as F

if HAVE_TORCH:
    import torch
    import torch.nn.functional as TF

pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched:UserWarning")


def _ours(arr, device, requires_grad=False):
    t = A.tensor(arr, device=device)
    return t.requires_grad_(True) if requires_grad else t


def _close(got, want, what, atol=1e-9, rtol=1e-7):
    g, w = to_numpy(got), to_numpy(want)
    assert g.shape == w.shape, f"{what}: shape {g.shape} != reference {w.shape}"
    np.testing.assert_allclose(g, w, atol=atol, rtol=rtol, err_msg=what, equal_nan=True)


# ---- scaled_dot_product_attention --------------------------------------------------------------

RNG = np.random.default_rng(7)
BOOL_2D = RNG.random((3, 4)) < 0.6
BOOL_2D[:, 0] = True  # every query keeps one key
BOOL_4D = RNG.random((2, 1, 3, 4)) < 0.6
BOOL_4D[..., 0] = True
FLOAT_2D = RNG.standard_normal((3, 4))

SDPA_CASES = {
    "plain": {},
    "scale": {"scale": 0.37},
    "causal": {"is_causal": True},
    "bool2d": {"attn_mask": BOOL_2D},
    "bool4d": {"attn_mask": BOOL_4D},
    "float2d": {"attn_mask": FLOAT_2D},
}


@pytest.mark.parametrize("case", sorted(SDPA_CASES))
def test_sdpa_matches_reference(device, case):
    kw = SDPA_CASES[case]

    def run(lib, q, k, v):
        kwargs = dict(kw)
        if "attn_mask" in kwargs:
            m = kwargs["attn_mask"]
            m = torch.tensor(m) if lib == "torch" else _ours(m, device)
            kwargs["attn_mask"] = m if str(m.dtype).endswith("bool") else m.to(q.dtype)
        fn = TF.scaled_dot_product_attention if lib == "torch" else F.scaled_dot_product_attention
        return fn(q, k, v, **kwargs)

    def np_fn(q, k, v):  # reference without torch
        s = q @ k.swapaxes(-1, -2) * kw.get("scale", 1 / math.sqrt(q.shape[-1]))
        m = kw.get("attn_mask")
        if kw.get("is_causal"):
            m = np.tril(np.ones((3, 4), dtype=bool))
        if m is not None:
            s = np.where(m, s, -np.inf) if m.dtype == bool else s + m
        e = np.exp(s - s.max(-1, keepdims=True))
        return (e / e.sum(-1, keepdims=True)) @ v

    check_op(
        [(2, 2, 3, 2), (2, 2, 4, 2), (2, 2, 4, 3)],
        lambda q, k, v: run("ours", q, k, v),
        lambda q, k, v: run("torch", q, k, v),
        np_fn=np_fn,
        device=device,
    )


def test_sdpa_unbatched_and_gqa(device):
    check_op(
        [(3, 2), (4, 2), (4, 3)],
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
        (lambda q, k, v: TF.scaled_dot_product_attention(q, k, v)) if HAVE_TORCH else None,
        device=device,
    )
    if HAVE_TORCH:
        check_op(
            [(1, 4, 3, 2), (1, 2, 4, 2), (1, 2, 4, 2)],
            lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
            lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, enable_gqa=True),
            device=device,
        )


def test_sdpa_fully_masked_rows_are_zero(device):
    q = A.randn(1, 3, 4, device=device, requires_grad=True)
    k = A.randn(1, 5, 4, device=device)
    v = A.randn(1, 5, 4, device=device)
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=_ours(mask, device))
    o = to_numpy(out)
    assert np.all(o[0, 1] == 0) and np.all(np.isfinite(o))
    out.sum().backward()
    g = to_numpy(q.grad)
    assert np.all(np.isfinite(g)) and np.all(g[0, 1] == 0)


def test_sdpa_dropout(device):
    A.manual_seed(0)
    q = A.randn(1, 1, 64, 4, device=device)
    k = A.randn(1, 1, 64, 4, device=device)
    v = A.ones(1, 1, 64, 4, device=device)
    out = to_numpy(F.scaled_dot_product_attention(q, k, v, dropout_p=0.5))
    assert not np.allclose(out, 1.0)  # some attention was dropped
    assert abs(out.mean() - 1.0) < 0.15  # inverted dropout keeps the expectation
    same = to_numpy(F.scaled_dot_product_attention(q, k, v, dropout_p=0.0))
    np.testing.assert_allclose(same, 1.0, rtol=1e-5)


def test_sdpa_errors(device):
    q, k, v = (
        A.randn(2, 3, 4, device=device),
        A.randn(2, 5, 4, device=device),
        A.randn(2, 5, 6, device=device),
    )
    with pytest.raises(RuntimeError, match=r"scaled_dot_product_attention: query and key must have the same"):
        F.scaled_dot_product_attention(q, A.randn(2, 5, 3, device=device), v)
    with pytest.raises(RuntimeError, match=r"key and value must have the same sequence length"):
        F.scaled_dot_product_attention(q, k, A.randn(2, 4, 6, device=device))
    with pytest.raises(RuntimeError, match=r"attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=A.zeros(3, 5, device=device), is_causal=True)
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(4, 4\) is not broadcastable"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=A.zeros(4, 4, device=device))


# ---- MultiheadAttention ------------------------------------------------------------------------


def _mha_pair(device, **kw):
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(8, 2, **kw).double()
    m = nn.MultiheadAttention(8, 2, device=device, **kw).double()
    m.load_state_dict({k: _ours(v.detach().numpy(), device) for k, v in tm.state_dict().items()})
    return tm, m


MHA_CONFIGS = [
    {},
    {"batch_first": True},
    {"kdim": 3, "vdim": 5},
    {"add_bias_kv": True, "add_zero_attn": True},
    {"bias": False},
]

# name -> (key_padding_mask kind, attn_mask kind, need_weights, average_attn_weights)
MASKS = {
    "none": (None, None, True, True),
    "kpm_bool": ("bool", None, True, True),
    "kpm_float": ("float", None, True, False),
    "attn_bool2d": (None, "bool2d", True, True),
    "attn_float3d": (None, "float3d", True, True),
    "both_no_weights": ("bool", "float2d", False, True),
}


def _masks(kind_kpm, kind_attn, N, L, S, heads, rng, unbatched):
    kpm = attn = None
    if kind_kpm:
        b = rng.random((N, S)) < 0.4
        b[:, 0] = False
        kpm = b if kind_kpm == "bool" else np.where(b, -np.inf, rng.standard_normal((N, S)))
        if unbatched:
            kpm = kpm[0]
    if kind_attn == "bool2d":
        attn = rng.random((L, S)) < 0.3
        attn[:, 0] = False
    elif kind_attn == "float2d":
        attn = rng.standard_normal((L, S))
    elif kind_attn == "float3d":
        attn = rng.standard_normal(((1 if unbatched else N) * heads, L, S))
    return kpm, attn


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("unbatched", [False, True], ids=["batched", "unbatched"])
@pytest.mark.parametrize("mask_case", sorted(MASKS))
@pytest.mark.parametrize(
    "kw", MHA_CONFIGS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default"
)
def test_mha_matches_torch(device, kw, mask_case, unbatched):
    tm, m = _mha_pair(device, **kw)
    rng = np.random.default_rng(0)
    L, S, N = 3, 4, 2
    kd, vd = kw.get("kdim", 8), kw.get("vdim", 8)
    bf = kw.get("batch_first", False)

    def shape(n_seq, d):
        if unbatched:
            return (n_seq, d)
        return (N, n_seq, d) if bf else (n_seq, N, d)

    q, k, v = (
        rng.standard_normal(shape(L, 8)),
        rng.standard_normal(shape(S, kd)),
        rng.standard_normal(shape(S, vd)),
    )
    kind_kpm, kind_attn, need_weights, avg = MASKS[mask_case]
    kpm, attn = _masks(kind_kpm, kind_attn, N, L, S, 2, rng, unbatched)
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    aq, ak, av = (_ours(a, device, True) for a in (q, k, v))
    tkw = {"need_weights": need_weights, "average_attn_weights": avg}
    akw = dict(tkw)
    if kpm is not None:
        tkw["key_padding_mask"], akw["key_padding_mask"] = torch.tensor(kpm), _ours(kpm, device)
    if attn is not None:
        tkw["attn_mask"], akw["attn_mask"] = torch.tensor(attn), _ours(attn, device)
    to, tw = tm(tq, tk, tv, **tkw)
    ao, aw = m(aq, ak, av, **akw)
    _close(ao, to, "output")
    if need_weights:
        _close(aw, tw, "attention weights")
    else:
        assert aw is None and tw is None
    up = rng.standard_normal(tuple(to.shape))
    (to * torch.tensor(up)).sum().backward()
    (ao * _ours(up, device)).sum().backward()
    for name, a, t in (("query", aq, tq), ("key", ak, tk), ("value", av, tv)):
        _close(a.grad, t.grad, f"{name} grad")
    ours = dict(m.named_parameters())
    for name, p in tm.named_parameters():
        _close(ours[name].grad, p.grad, f"grad of {name}")


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_mha_self_attention_same_tensor(device):
    """q is k is v takes the packed single-projection path; it must agree with torch too."""
    for bf in (False, True):
        tm, m = _mha_pair(device, batch_first=bf)
        x = np.random.default_rng(1).standard_normal((2, 5, 8))
        tx, ax = torch.tensor(x, requires_grad=True), _ours(x, device, True)
        to, tw = tm(tx, tx, tx)
        ao, aw = m(ax, ax, ax)
        _close(ao, to, "output")
        _close(aw, tw, "weights")
        to.sum().backward()
        ao.sum().backward()
        _close(ax.grad, tx.grad, "input grad")
        _close(m.in_proj_weight.grad, tm.in_proj_weight.grad, "in_proj_weight grad")


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_mha_fully_masked_matches_torch(device):
    """A fully padded sequence: NaN when weights are computed, zeros otherwise (PyTorch's behaviour)."""
    tm, m = _mha_pair(device)
    x = np.random.default_rng(2).standard_normal((3, 1, 8))
    kpm = np.ones((1, 3), dtype=bool)
    for need in (True, False):
        to, _ = tm(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(kpm), need_weights=need)
        ao, _ = m(*(_ours(x, device),) * 3, key_padding_mask=_ours(kpm, device), need_weights=need)
        _close(ao, to, f"need_weights={need}")


def test_mha_known_values_without_torch(device):
    """Identity projections and one head: output = softmax(q k^T / sqrt(E)) v, masked keys get no weight."""
    m = nn.MultiheadAttention(4, 1, device=device).double()
    with A.no_grad():
        m.in_proj_weight.copy_(_ours(np.concatenate([np.eye(4)] * 3), device))
        m.out_proj.weight.copy_(_ours(np.eye(4), device))
    rng = np.random.default_rng(0)
    q, kv = rng.standard_normal((2, 1, 4)), rng.standard_normal((3, 1, 4))
    kpm = np.array([[False, True, False]])
    out, w = m(_ours(q, device), _ours(kv, device), _ours(kv, device), key_padding_mask=_ours(kpm, device))
    s = q[:, 0] @ kv[:, 0].T / 2.0
    s[:, 1] = -np.inf
    p = np.exp(s - s.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(to_numpy(w)[0], p, atol=1e-12)
    np.testing.assert_allclose(to_numpy(out)[:, 0], p @ kv[:, 0], atol=1e-12)


def test_mha_gradcheck(device):
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=2, device=device).double()
    rng = np.random.default_rng(0)
    q = _ours(rng.standard_normal((2, 1, 4)), device, True)
    k = _ours(rng.standard_normal((3, 1, 3)), device, True)
    v = _ours(rng.standard_normal((3, 1, 2)), device, True)
    mask = _ours(np.array([[False, False, True], [False, True, False]]), device)
    assert A.gradcheck(lambda q, k, v: m(q, k, v, attn_mask=mask), (q, k, v))


def test_mha_dropout_only_in_training(device):
    m = nn.MultiheadAttention(8, 2, dropout=0.5, device=device)
    x = A.randn(6, 2, 8, device=device)
    m.eval()
    a, wa = m(x, x, x)
    b, _ = m(x, x, x)
    assert np.array_equal(to_numpy(a), to_numpy(b))
    np.testing.assert_allclose(to_numpy(wa).sum(-1), 1.0, rtol=1e-5)
    m.train()
    c, wc = m(x, x, x)
    assert not np.allclose(to_numpy(a), to_numpy(c))
    assert not np.allclose(to_numpy(wc).sum(-1), 1.0)


def test_mha_parameters_and_init(device):
    m = nn.MultiheadAttention(6, 3, device=device)
    names = [k for k, _ in m.named_parameters()]
    assert names == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert np.all(to_numpy(m.in_proj_bias) == 0) and np.all(to_numpy(m.out_proj.bias) == 0)
    bound = math.sqrt(6 / (6 + 18))  # xavier_uniform on the packed (3E, E) weight
    w = to_numpy(m.in_proj_weight)
    assert np.all(np.abs(w) <= bound) and w.std() > bound / 4
    m2 = nn.MultiheadAttention(6, 3, kdim=2, vdim=4, add_bias_kv=True, device=device)
    shapes = {k: tuple(v.shape) for k, v in m2.state_dict().items()}
    assert shapes == {
        "q_proj_weight": (6, 6),
        "k_proj_weight": (6, 2),
        "v_proj_weight": (6, 4),
        "in_proj_bias": (18,),
        "bias_k": (1, 1, 6),
        "bias_v": (1, 1, 6),
        "out_proj.weight": (6, 6),
        "out_proj.bias": (6,),
    }
    if HAVE_TORCH:
        t = torch.nn.MultiheadAttention(6, 3, kdim=2, vdim=4, add_bias_kv=True).state_dict()
        assert set(t) == set(shapes) and all(tuple(t[k].shape) == shapes[k] for k in t)


def test_mha_errors(device):
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(7, 2)
    m = nn.MultiheadAttention(8, 2, device=device)
    x = A.randn(3, 2, 8, device=device)
    with pytest.raises(
        RuntimeError, match=r"the shape of the 2D attn_mask is \(3, 4\), but should be \(3, 3\)"
    ):
        m(x, x, x, attn_mask=A.zeros(3, 4, device=device))
    with pytest.raises(
        RuntimeError, match=r"the shape of the 3D attn_mask is \(2, 3, 3\), but should be \(4, 3, 3\)"
    ):
        m(x, x, x, attn_mask=A.zeros(2, 3, 3, device=device))
    with pytest.raises(RuntimeError, match=r"expected key_padding_mask of shape \(2, 3\), got \(2, 4\)"):
        m(x, x, x, key_padding_mask=A.zeros(2, 4, device=device))
    with pytest.raises(RuntimeError, match="need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match=r"query should be unbatched 2-D .* or batched 3-D"):
        m(A.randn(1, 3, 2, 8, device=device), x, x)
    with pytest.raises(
        RuntimeError, match=r"expected query with embed_dim 8 in its last dim, got shape \(3, 2, 5\)"
    ):
        m(A.randn(3, 2, 5, device=device), x, x)
    with pytest.raises(RuntimeError, match=r"expected key and value to be 3-D but found 2-D"):
        m(x, A.randn(3, 8, device=device), x)
    with pytest.raises(RuntimeError, match="only bool and floating types of key_padding_mask"):
        m(x, x, x, key_padding_mask=A.zeros(2, 3, dtype=A.int64, device=device))
