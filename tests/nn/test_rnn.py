"""Recurrent layers and cells: PyTorch parity (outputs, input/state/parameter grads), gradcheck, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn
from nn._functional import rnn as R

if HAVE_TORCH:
    import torch


def _ours(arr, device, requires_grad=False):
    t = A.tensor(arr, device=device)
    return t.requires_grad_(True) if requires_grad else t


def _pair(kind, device, *args, **kwargs):
    """The same layer in torch and here (float64), ours loaded from torch's state_dict."""
    torch.manual_seed(0)
    tm = getattr(torch.nn, kind)(*args, **kwargs).double()
    m = getattr(nn, kind)(*args, device=device, **kwargs).double()
    m.load_state_dict({k: _ours(v.detach().numpy(), device) for k, v in tm.state_dict().items()})
    return tm, m


def _close(got, want, what, atol=1e-9, rtol=1e-7):
    g, w = to_numpy(got), to_numpy(want)
    assert g.shape == w.shape, f"{what}: shape {g.shape} != torch {w.shape}"
    np.testing.assert_allclose(g, w, atol=atol, rtol=rtol, err_msg=what)


def _states(kind, out):
    return list(out[1]) if kind == "LSTM" else [out[1]]


# (kind, constructor kwargs, batch_first-aware input shape, give initial states)
CONFIGS = [
    ("LSTM", {}, False),
    ("LSTM", {"num_layers": 2}, True),
    ("LSTM", {"bidirectional": True}, True),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}, True),
    ("LSTM", {"bias": False, "batch_first": True}, False),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}, True),
    ("GRU", {}, False),
    ("GRU", {"num_layers": 2, "bidirectional": True}, True),
    ("GRU", {"bias": False, "batch_first": True}, True),
    ("RNN", {}, True),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True, "batch_first": True}, True),
    ("RNN", {"bias": False}, False),
]


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("unbatched", [False, True], ids=["batched", "unbatched"])
@pytest.mark.parametrize("kind,kwargs,with_state", CONFIGS, ids=lambda c: str(c))
def test_layer_matches_torch(device, kind, kwargs, with_state, unbatched):
    I, H, T, B = 3, 4, 5, 2
    tm, m = _pair(kind, device, I, H, **kwargs)
    rng = np.random.default_rng(1)
    bf = kwargs.get("batch_first", False)
    shape = (T, I) if unbatched else ((B, T, I) if bf else (T, B, I))
    x = rng.standard_normal(shape)
    D = 2 if kwargs.get("bidirectional") else 1
    L = kwargs.get("num_layers", 1)
    P = kwargs.get("proj_size", 0) or H
    lead = (L * D,) if unbatched else (L * D, B)
    states = []
    if with_state:
        states = [rng.standard_normal(lead + (P,))]
        if kind == "LSTM":
            states.append(rng.standard_normal(lead + (H,)))
    tx = torch.tensor(x, requires_grad=True)
    ts = [torch.tensor(s, requires_grad=True) for s in states]
    ax = _ours(x, device, True)
    as_ = [_ours(s, device, True) for s in states]
    thx = None if not states else (tuple(ts) if kind == "LSTM" else ts[0])
    ahx = None if not states else (tuple(as_) if kind == "LSTM" else as_[0])
    tout, aout = tm(tx, thx), m(ax, ahx)
    _close(aout[0], tout[0], "output")
    for i, (a, t) in enumerate(zip(_states(kind, aout), _states(kind, tout))):
        _close(a, t, f"final state {i}")
    assert aout[0].is_contiguous()
    # a loss touching the output and every final state
    ups = [rng.standard_normal(tuple(t.shape)) for t in [tout[0], *_states(kind, tout)]]
    tl = sum((t * torch.tensor(u)).sum() for t, u in zip([tout[0], *_states(kind, tout)], ups))
    al = sum((a * _ours(u, device)).sum() for a, u in zip([aout[0], *_states(kind, aout)], ups))
    tl.backward()
    al.backward()
    _close(ax.grad, tx.grad, "input grad")
    for i, (a, t) in enumerate(zip(as_, ts)):
        _close(a.grad, t.grad, f"initial state {i} grad")
    ours = dict(m.named_parameters())
    for name, p in tm.named_parameters():
        _close(ours[name].grad, p.grad, f"grad of {name}")


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_float32_default_matches_torch(device, kind):
    torch.manual_seed(0)
    tm = getattr(torch.nn, kind)(8, 16, num_layers=2)
    m = getattr(nn, kind)(8, 16, num_layers=2, device=device)
    m.load_state_dict({k: _ours(v.detach().numpy(), device) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((7, 3, 8)).astype(np.float32)
    tx, ax = torch.tensor(x, requires_grad=True), _ours(x, device, True)
    tout, aout = tm(tx), m(ax)
    assert aout[0].dtype == A.float32
    _close(aout[0], tout[0], "output", atol=1e-5, rtol=1e-4)
    (tout[0] ** 2).sum().backward()
    (aout[0] ** 2).sum().backward()
    _close(ax.grad, tx.grad, "input grad", atol=1e-4, rtol=1e-3)
    for name, p in tm.named_parameters():
        _close(dict(m.named_parameters())[name].grad, p.grad, name, atol=1e-4, rtol=1e-3)


def _np_lstm(x, w_ih, w_hh, b, h, c):
    """A plain NumPy LSTM (gates i, f, g, o) as a torch-free reference."""
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    outs = []
    for t in range(x.shape[0]):
        i, f, g, o = np.split(x[t] @ w_ih.T + h @ w_hh.T + b, 4, axis=-1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs), h, c


def _np_gru(x, w_ih, w_hh, b_ih, b_hh, h):
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    outs = []
    for t in range(x.shape[0]):
        ir, iz, in_ = np.split(x[t] @ w_ih.T + b_ih, 3, axis=-1)
        hr, hz, hn = np.split(h @ w_hh.T + b_hh, 3, axis=-1)
        r, z = sig(ir + hr), sig(iz + hz)
        n = np.tanh(in_ + r * hn)
        h = (1 - z) * n + z * h
        outs.append(h)
    return np.stack(outs), h


def test_lstm_matches_numpy_reference(device):
    m = nn.LSTM(3, 5, bidirectional=True, device=device).double()
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    h0 = np.random.default_rng(1).standard_normal((2, 2, 5))
    c0 = np.random.default_rng(2).standard_normal((2, 2, 5))
    out, (h, c) = m(_ours(x, device), (_ours(h0, device), _ours(c0, device)))
    p = {k: to_numpy(v) for k, v in m.named_parameters()}
    fo, fh, fc = _np_lstm(
        x, p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"] + p["bias_hh_l0"], h0[0], c0[0]
    )
    bo, bh, bc = _np_lstm(
        x[::-1],
        p["weight_ih_l0_reverse"],
        p["weight_hh_l0_reverse"],
        p["bias_ih_l0_reverse"] + p["bias_hh_l0_reverse"],
        h0[1],
        c0[1],
    )
    np.testing.assert_allclose(to_numpy(out), np.concatenate([fo, bo[::-1]], -1), atol=1e-12)
    np.testing.assert_allclose(to_numpy(h), np.stack([fh, bh]), atol=1e-12)
    np.testing.assert_allclose(to_numpy(c), np.stack([fc, bc]), atol=1e-12)


def test_gru_and_rnn_match_numpy_reference(device):
    x = np.random.default_rng(0).standard_normal((4, 3, 2))
    g = nn.GRU(2, 3, batch_first=False, device=device).double()
    out, h = g(_ours(x, device))
    p = {k: to_numpy(v) for k, v in g.named_parameters()}
    ro, rh = _np_gru(
        x, p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"], np.zeros((3, 3))
    )
    np.testing.assert_allclose(to_numpy(out), ro, atol=1e-12)
    np.testing.assert_allclose(to_numpy(h[0]), rh, atol=1e-12)
    r = nn.RNN(2, 3, nonlinearity="relu", device=device).double()
    out, _ = r(_ours(x, device))
    p = {k: to_numpy(v) for k, v in r.named_parameters()}
    h, want = np.zeros((3, 3)), []
    for t in range(4):
        h = np.maximum(
            x[t] @ p["weight_ih_l0"].T + p["bias_ih_l0"] + h @ p["weight_hh_l0"].T + p["bias_hh_l0"], 0
        )
        want.append(h)
    np.testing.assert_allclose(to_numpy(out), np.stack(want), atol=1e-12)


# ---- the fused layer primitives: gradcheck (fast path) and gradgradcheck (differentiable backward) ----


def _layer_inputs(device, kind, reverse, proj=False, bias=True, small=False):
    rng = np.random.default_rng(3)
    T, B, I, H = (2, 1, 2, 2) if small else (3, 2, 2, 3)
    P = 1 if proj and small else (2 if proj else H)
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[kind] * H
    mk = lambda *s: _ours(rng.uniform(-1, 1, s), device, True)  # noqa: E731
    x = mk(T, B, I)
    w_ih, w_hh = mk(gates, I), mk(gates, P)
    b_ih, b_hh = (mk(gates), mk(gates)) if bias else (None, None)
    h0 = mk(B, P)
    if kind == "lstm":
        c0, w_hr = mk(B, H), (mk(P, H) if proj else None)

        def fn(x, w_ih, w_hh, *rest):
            rest = list(rest)
            b = (rest.pop(0), rest.pop(0)) if bias else (None, None)
            h0, c0 = rest.pop(0), rest.pop(0)
            wr = rest.pop(0) if proj else None
            out, h, c = R.lstm_layer(x, w_ih, w_hh, b[0], b[1], h0, c0, wr, reverse)
            return out, h, c

        args = [x, w_ih, w_hh, *([b_ih, b_hh] if bias else []), h0, c0, *([w_hr] if proj else [])]
        return fn, args
    if kind == "gru":

        def fn(x, w_ih, w_hh, *rest):
            b_ih, b_hh, h0 = rest if bias else (None, None, rest[0])
            proj_x = x @ w_ih.t() + b_ih if bias else x @ w_ih.t()
            return R.gru_layer(proj_x, w_hh, b_hh, h0, reverse)

        return fn, [x, w_ih, w_hh, *([b_ih, b_hh] if bias else []), h0]

    def fn(x, w_ih, w_hh, *rest):
        b_ih, b_hh, h0 = rest if bias else (None, None, rest[0])
        proj_x = x @ w_ih.t() + (b_ih + b_hh) if bias else x @ w_ih.t()
        return R.rnn_layer(proj_x, w_hh, h0, reverse, False)

    return fn, [x, w_ih, w_hh, *([b_ih, b_hh] if bias else []), h0]


LAYER_CASES = [
    ("lstm", False, False, True),
    ("lstm", True, False, True),
    ("lstm", True, True, True),
    ("lstm", False, False, False),
    ("gru", False, False, True),
    ("gru", True, False, False),
    ("rnn", True, False, True),
]


@pytest.mark.parametrize("kind,reverse,proj,bias", LAYER_CASES, ids=str)
def test_layer_gradcheck(device, kind, reverse, proj, bias):
    fn, args = _layer_inputs(device, kind, reverse, proj, bias)
    assert A.gradcheck(fn, tuple(args), eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize(
    "kind,reverse,proj", [("lstm", True, True), ("gru", False, False), ("rnn", True, False)]
)
def test_layer_gradgradcheck(device, kind, reverse, proj):
    """Second derivatives through the Tensor-op backward (tiny sizes; weights of the input map held fixed)."""
    fn, args = _layer_inputs(device, kind, reverse, proj, True, small=True)
    for i in (1, 3, 4):  # w_ih, b_ih, b_hh as constants keeps this quick
        args[i] = args[i].detach()
    assert A.gradgradcheck(fn, tuple(args), eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_differentiable_backward_agrees_with_fast_backward(device, kind):
    """The Tensor-op backward (create_graph) and the raw fast path give the same first-order grads."""
    fn, args = _layer_inputs(device, kind, True, kind == "lstm")
    outs = fn(*args)
    ups = [_ours(np.random.default_rng(i).standard_normal(o.shape), device) for i, o in enumerate(outs)]
    loss = lambda: sum((o * u).sum() for o, u in zip(fn(*args), ups))  # noqa: E731
    fast = A.grad(loss(), args)
    slow = A.grad(loss(), args, create_graph=True)
    for i, (a, b) in enumerate(zip(fast, slow)):
        assert b.requires_grad, f"input {i}: create_graph gave a non-differentiable grad"
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), atol=1e-12, err_msg=f"input {i}")


# ---- cells ------------------------------------------------------------------------------------


CELLS = [
    ("RNNCell", {}),
    ("RNNCell", {"nonlinearity": "relu"}),
    ("RNNCell", {"bias": False}),
    ("LSTMCell", {}),
    ("LSTMCell", {"bias": False}),
    ("GRUCell", {}),
    ("GRUCell", {"bias": False}),
]


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("unbatched", [False, True], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "state"])
@pytest.mark.parametrize("kind,kwargs", CELLS, ids=str)
def test_cell_matches_torch(device, kind, kwargs, with_state, unbatched):
    tm, m = _pair(kind, device, 3, 4, **kwargs)
    rng = np.random.default_rng(0)
    lead = () if unbatched else (2,)
    x = rng.standard_normal(lead + (3,))
    states = (
        [rng.standard_normal(lead + (4,)) for _ in range(2 if kind == "LSTMCell" else 1)]
        if with_state
        else []
    )
    tx, ax = torch.tensor(x, requires_grad=True), _ours(x, device, True)
    ts = [torch.tensor(s, requires_grad=True) for s in states]
    as_ = [_ours(s, device, True) for s in states]
    thx = (tuple(ts) if kind == "LSTMCell" else ts[0]) if states else None
    ahx = (tuple(as_) if kind == "LSTMCell" else as_[0]) if states else None
    tout, aout = tm(tx, thx), m(ax, ahx)
    touts = list(tout) if kind == "LSTMCell" else [tout]
    aouts = list(aout) if kind == "LSTMCell" else [aout]
    for i, (a, t) in enumerate(zip(aouts, touts)):
        _close(a, t, f"output {i}")
    sum((t * (k + 1)).sum() for k, t in enumerate(touts)).backward()
    sum((a * (k + 1)).sum() for k, a in enumerate(aouts)).backward()
    _close(ax.grad, tx.grad, "input grad")
    for a, t in zip(as_, ts):
        _close(a.grad, t.grad, "state grad")
    for name, p in tm.named_parameters():
        _close(dict(m.named_parameters())[name].grad, p.grad, name)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_gradcheck(device, kind):
    cell = getattr(nn, kind)(2, 3, device=device).double()
    rng = np.random.default_rng(0)
    x = _ours(rng.standard_normal((2, 2)), device, True)
    h = _ours(rng.standard_normal((2, 3)), device, True)
    if kind == "LSTMCell":
        c = _ours(rng.standard_normal((2, 3)), device, True)
        assert A.gradcheck(lambda x, h, c: cell(x, (h, c)), (x, h, c))
    else:
        assert A.gradcheck(lambda x, h: cell(x, h), (x, h))


# ---- parameters, modes, errors -----------------------------------------------------------------


def test_parameter_names_shapes_and_init(device):
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2, device=device)
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert shapes["weight_ih_l0"] == (16, 3)
    assert shapes["weight_hh_l0_reverse"] == (16, 2)
    assert shapes["weight_ih_l1"] == (16, 4)  # 2 directions x proj_size 2
    assert shapes["weight_hr_l1_reverse"] == (2, 4)
    assert list(shapes)[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"]
    assert len(shapes) == 20
    bound = 1 / math.sqrt(4)
    for k, v in m.named_parameters():
        a = to_numpy(v)
        assert np.all(np.abs(a) <= bound) and a.std() > 0.05, k
        assert v.requires_grad
    g = nn.GRU(3, 5, bias=False, device=device)
    assert sorted(k for k, _ in g.named_parameters()) == ["weight_hh_l0", "weight_ih_l0"]
    assert repr(nn.LSTM(3, 4, num_layers=2, batch_first=True)).startswith(
        "LSTM(3, 4, num_layers=2, batch_first=True)"
    )


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_state_dict_keys_match_torch():
    for kind, kw in [
        ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
        ("GRU", {}),
        ("RNN", {}),
    ]:
        t = getattr(torch.nn, kind)(3, 4, **kw).state_dict()
        o = getattr(nn, kind)(3, 4, **kw).state_dict()
        assert list(o) == list(t)
        assert all(tuple(o[k].shape) == tuple(t[k].shape) for k in t)
    for kind in ("RNNCell", "LSTMCell", "GRUCell"):
        t = getattr(torch.nn, kind)(3, 4).state_dict()
        o = getattr(nn, kind)(3, 4).state_dict()
        assert list(o) == list(t) and all(tuple(o[k].shape) == tuple(t[k].shape) for k in t)


def test_dropout_between_layers_only_in_training(device):
    m = nn.GRU(3, 8, num_layers=2, dropout=0.5, device=device)
    x = A.randn(5, 2, 3, device=device)
    m.eval()
    a, _ = m(x)
    b, _ = m(x)
    assert np.array_equal(to_numpy(a), to_numpy(b))
    m.train()
    c, _ = m(x)
    assert not np.allclose(to_numpy(a), to_numpy(c))
    c.sum().backward()
    assert m.weight_ih_l0.grad is not None
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.LSTM(3, 4, num_layers=2, dropout=0.5)


def test_rnn_layer_errors(device):
    m = nn.LSTM(3, 4, num_layers=2, device=device)
    with pytest.raises(ValueError, match=r"LSTM: Expected input to be 2D .* got 4D"):
        m(A.zeros(1, 2, 3, 3, device=device))
    with pytest.raises(
        RuntimeError, match=r"LSTM: input.size\(-1\) must be equal to input_size. Expected 3, got 5"
    ):
        m(A.zeros(4, 2, 5, device=device))
    x = A.zeros(4, 2, 3, device=device)
    h = A.zeros(2, 2, 4, device=device)
    with pytest.raises(RuntimeError, match=r"LSTM: Expected hidden size \(2, 2, 4\), got \(1, 2, 4\)"):
        m(x, (A.zeros(1, 2, 4, device=device), h))
    with pytest.raises(RuntimeError, match=r"LSTM: Expected cell size \(2, 2, 4\), got \(2, 3, 4\)"):
        m(x, (h, A.zeros(2, 3, 4, device=device)))
    with pytest.raises(TypeError, match=r"hx should be a tuple"):
        m(x, h)
    with pytest.raises(RuntimeError, match=r"for batched 3-D input, the hidden state should be 3-D"):
        nn.GRU(3, 4, device=device)(x, A.zeros(1, 4, device=device))
    with pytest.raises(RuntimeError, match=r"for unbatched 2-D input, the hidden state should be 2-D"):
        nn.GRU(3, 4, device=device)(A.zeros(4, 3, device=device), A.zeros(1, 1, 4, device=device))
    with pytest.raises(
        RuntimeError, match=r"RNN: input must have the type autograd.float32, got type autograd.float64"
    ):
        nn.RNN(3, 4, device=device)(A.zeros(4, 2, 3, dtype=A.float64, device=device))
    with pytest.raises(TypeError, match=r"PackedSequence"):
        m([1, 2, 3])
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)


def test_cell_errors(device):
    c = nn.LSTMCell(3, 4, device=device)
    with pytest.raises(ValueError, match=r"LSTMCell: Expected input to be 1D or 2D, got 3D"):
        c(A.zeros(1, 2, 3, device=device))
    with pytest.raises(RuntimeError, match=r"LSTMCell: input has inconsistent input_size: got 5 expected 3"):
        c(A.zeros(2, 5, device=device))
    with pytest.raises(RuntimeError, match=r"GRUCell: hidden state has shape \(3, 4\), expected \(2, 4\)"):
        nn.GRUCell(3, 4, device=device)(A.zeros(2, 3, device=device), A.zeros(3, 4, device=device))
    with pytest.raises(RuntimeError, match=r"RNNCell: Expected hidden to be 1D for 1D input, got 2D"):
        nn.RNNCell(3, 4, device=device)(A.zeros(3, device=device), A.zeros(1, 4, device=device))
    with pytest.raises(ValueError, match="RNNCell: Unknown nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="gelu")


def test_train_step_reduces_loss(device):
    """A few SGD steps of an LSTM regressor on a fixed batch lower the loss (the whole stack learns)."""
    A.manual_seed(0)
    m = nn.LSTM(2, 8, batch_first=True, device=device)
    x = A.randn(4, 6, 2, device=device)
    target = x.sum(-1, keepdim=True).cumsum(1).tanh()
    w = A.randn(8, 1, device=device) * 0.3
    w.requires_grad_(True)
    losses = []
    for _ in range(30):
        out, _ = m(x)
        loss = ((out @ w - target) ** 2).mean()
        losses.append(loss.item())
        for p in [*m.parameters(), w]:
            p.grad = None
        loss.backward()
        with A.no_grad():
            for p in [*m.parameters(), w]:
                p -= 0.3 * p.grad
    assert losses[-1] < 0.5 * losses[0]


def test_weights_modified_in_place_before_backward_raise(device):
    m = nn.LSTM(3, 4, device=device)
    out, _ = m(A.randn(5, 2, 3, device=device))
    with A.no_grad():
        m.weight_hh_l0.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_long_sequence_and_double_backward(device):
    """A 2000-step sequence runs (no recursion); second-order grads flow through the LSTM module."""
    m = nn.LSTM(2, 3, device=device).double()
    out, (h, _) = m(A.randn(2000, 1, 2, dtype=A.float64, device=device))
    h.sum().backward()
    assert np.all(np.isfinite(to_numpy(m.weight_hh_l0.grad)))
    x = _ours(np.random.default_rng(0).standard_normal((4, 2, 2)), device, True)
    out, _ = m(x)
    (g,) = A.grad((out**2).sum(), x, create_graph=True)
    (g**2).sum().backward()
    assert m.weight_ih_l0.grad is not None and x.grad is not None
