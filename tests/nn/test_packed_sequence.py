"""PackedSequence and nn.utils.rnn: packing/padding utilities, and the recurrent layers on packed batches.

The reference needs no torch: a packed batch must give, for every sequence, exactly what the layer gives on
that sequence alone (no padding). Where torch is installed, outputs, states and gradients are also compared
with its packed path.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH

import autograd as A
import nn
from nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)

if HAVE_TORCH:
    import torch

LENGTHS = [3, 5, 1, 5, 2]  # unsorted, with a tie
CONFIGS = [
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 2}),
    ("GRU", {"bidirectional": True}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
]


def _layer(kind, device, **kw):
    A.manual_seed(0)
    return getattr(nn, kind)(3, 4, **kw).double().to(device)


def _padded(device, requires_grad=False):
    x = np.random.default_rng(0).standard_normal((max(LENGTHS), len(LENGTHS), 3))
    return x, A.tensor(x, dtype=A.float64, device=device, requires_grad=requires_grad)


def _split(kind, res):
    out, state = res
    return (out, *state) if kind == "LSTM" else (out, state)


@pytest.mark.parametrize("kind, kw", CONFIGS, ids=lambda c: str(c))
@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "given-state"])
def test_packed_equals_each_sequence_alone(device, kind, kw, with_state):
    layer = _layer(kind, device, **kw)
    x, xt = _padded(device)
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1) * D
    rng = np.random.default_rng(1)
    hx = None
    if with_state:
        h = A.tensor(rng.standard_normal((L, len(LENGTHS), kw.get("proj_size") or 4)), device=device)
        h = h.double()
        c = A.tensor(rng.standard_normal((L, len(LENGTHS), 4)), device=device).double()
        hx = (h, c) if kind == "LSTM" else h
    res = _split(kind, layer(pack_padded_sequence(xt, LENGTHS, enforce_sorted=False), hx))
    out, lens = pad_packed_sequence(res[0])
    assert lens.tolist() == LENGTHS
    for b, n in enumerate(LENGTHS):
        alone_hx = None
        if with_state:
            alone_hx = (hx[0][:, b], hx[1][:, b]) if kind == "LSTM" else hx[:, b]
        want = _split(kind, layer(xt[:n, b], alone_hx))
        np.testing.assert_allclose(
            out[:n, b].detach().cpu().numpy(), want[0].detach().cpu().numpy(), atol=1e-12
        )
        assert not out[n:, b].detach().cpu().numpy().any()  # padding stays zero
        for got_s, want_s in zip(res[1:], want[1:]):
            np.testing.assert_allclose(
                got_s[:, b].detach().cpu().numpy(), want_s.detach().cpu().numpy(), atol=1e-12
            )


@pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is the reference")
@pytest.mark.parametrize("kind, kw", CONFIGS, ids=lambda c: str(c))
@pytest.mark.parametrize("batch_first", [False, True])
def test_packed_matches_torch_values_and_grads(device, kind, kw, batch_first):
    tl = getattr(torch.nn, kind)(3, 4, **kw).double()
    ol = getattr(nn, kind)(3, 4, **kw).double().to(device)
    ol.load_state_dict({k: A.tensor(v.detach().numpy()) for k, v in tl.state_dict().items()})
    x, _ = _padded(device)
    if batch_first:
        x = x.transpose(1, 0, 2).copy()
    tx = torch.tensor(x, requires_grad=True)
    ox = A.tensor(x, dtype=A.float64, device=device, requires_grad=True)
    tr = _split(
        kind, tl(torch.nn.utils.rnn.pack_padded_sequence(tx, LENGTHS, batch_first, enforce_sorted=False))
    )
    orr = _split(kind, ol(pack_padded_sequence(ox, LENGTHS, batch_first, enforce_sorted=False)))
    tpad, _ = torch.nn.utils.rnn.pad_packed_sequence(tr[0], batch_first)
    opad, _ = pad_packed_sequence(orr[0], batch_first)
    np.testing.assert_allclose(opad.detach().cpu().numpy(), tpad.detach().numpy(), atol=1e-12)
    for a, b in zip(orr[1:], tr[1:]):
        np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().numpy(), atol=1e-12)
    w = np.linspace(-1, 1, tpad.numel()).reshape(tpad.shape)
    (tpad * torch.tensor(w)).sum().add(sum(s.sum() * (k + 2) for k, s in enumerate(tr[1:]))).backward()
    loss = (opad * A.tensor(w, device=device)).sum()
    for k, s in enumerate(orr[1:]):
        loss = loss + s.sum() * (k + 2)
    loss.backward()
    np.testing.assert_allclose(ox.grad.cpu().numpy(), tx.grad.numpy(), atol=1e-10)
    for (name, p), q in zip(ol.named_parameters(), tl.parameters()):
        np.testing.assert_allclose(p.grad.cpu().numpy(), q.grad.numpy(), atol=1e-10, err_msg=name)


def test_pack_pad_round_trip_and_layout(device):
    x, xt = _padded(device, requires_grad=True)
    packed = pack_padded_sequence(xt, LENGTHS, enforce_sorted=False)
    assert isinstance(packed, PackedSequence)
    assert packed.batch_sizes.tolist() == [5, 4, 3, 2, 2] and packed.batch_sizes.device == A.device("cpu")
    assert packed.sorted_indices.tolist() == [1, 3, 0, 4, 2] and packed.unsorted_indices.tolist() == [
        2,
        0,
        4,
        1,
        3,
    ]
    assert packed.data.shape == (sum(LENGTHS), 3)
    np.testing.assert_array_equal(packed.data[:5].detach().cpu().numpy(), x[0, [1, 3, 0, 4, 2]])
    back, lens = pad_packed_sequence(packed, batch_first=True, padding_value=-1.0, total_length=6)
    assert back.shape == (5, 6, 3) and lens.tolist() == LENGTHS
    for b, n in enumerate(LENGTHS):
        np.testing.assert_array_equal(back[b, :n].detach().cpu().numpy(), x[:n, b])
        assert (back[b, n:].detach().cpu().numpy() == -1).all()
    back.sum().backward()  # the gradient reaches exactly the packed (non-padding) positions
    mask = np.arange(max(LENGTHS))[:, None] < np.array(LENGTHS)[None, :]
    np.testing.assert_array_equal(
        xt.grad.cpu().numpy(), np.broadcast_to(mask[..., None], x.shape).astype(float)
    )


def test_pad_pack_sequence_helpers(device):
    seqs = [A.arange(float(n * 2), device=device).reshape(n, 2) for n in (2, 4, 1)]
    p = pad_sequence(seqs)
    assert p.shape == (4, 3, 2)
    assert p[:, 2].tolist() == [[0.0, 1.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
    left = pad_sequence(seqs, batch_first=True, padding_value=9.0, padding_side="left")
    assert left.shape == (3, 4, 2) and left[0].tolist() == [[9.0, 9.0], [9.0, 9.0], [0.0, 1.0], [2.0, 3.0]]
    packed = pack_sequence(seqs, enforce_sorted=False)
    for a, b in zip(unpack_sequence(packed), seqs):
        assert a.tolist() == b.tolist()
    for a, b in zip(unpad_sequence(p, [2, 4, 1]), seqs):
        assert a.tolist() == b.tolist()
    if device != "cpu":
        moved = packed.to(device)
        assert moved.is_cuda and moved.batch_sizes.device == A.device("cpu")
        assert not packed.cpu().is_cuda


def test_packed_sequence_errors(device):
    _, xt = _padded(device)
    with pytest.raises(
        RuntimeError, match="must be sorted in decreasing order when `enforce_sorted` is True"
    ):
        pack_padded_sequence(xt, LENGTHS)
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        pack_padded_sequence(xt, [5, 0, 3, 2, 1])
    with pytest.raises(RuntimeError, match="expected 5 lengths"):
        pack_padded_sequence(xt, [5, 4])
    with pytest.raises(RuntimeError, match=r"a length \(7\) exceeds the padded sequence length 5"):
        pack_padded_sequence(xt, [7, 4, 3, 2, 1])
    packed = pack_padded_sequence(xt, [5, 4, 3, 2, 1])
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        pad_packed_sequence(packed, total_length=3)
    with pytest.raises(RuntimeError, match="LSTM: input.size\\(-1\\) must be equal to input_size"):
        nn.LSTM(4, 2).double().to(device)(packed)
    with pytest.raises(RuntimeError, match="pad_sequence: every sequence must be a Tensor of shape"):
        pad_sequence([A.zeros(2, 3), A.zeros(2, 4)])
