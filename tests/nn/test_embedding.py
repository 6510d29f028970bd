"""Embedding / F.embedding / F.one_hot: values and grads vs torch, padding_idx, max_norm, from_pretrained."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn
import nn.functional as F

IDX = np.array([[0, 2, 1, 2], [4, 2, 0, 3]])


def _pair(device, **kw):
    import torch

    t = torch.nn.Embedding(5, 3, **kw)
    ours = nn.Embedding(5, 3, **kw)
    ours.load_state_dict({"weight": t.weight.detach().numpy()})
    return t, ours.to(device)


def _run_both(t, ours, device):
    import torch

    up = np.random.default_rng(0).standard_normal(IDX.shape + (3,)).astype(np.float32)
    yt = t(torch.tensor(IDX))
    yo = ours(A.tensor(IDX, device=device))
    np.testing.assert_allclose(to_numpy(yo), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    (yt * torch.tensor(up)).sum().backward()
    (yo * A.tensor(up, device=device)).sum().backward()
    np.testing.assert_allclose(to_numpy(ours.weight.grad), t.weight.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(ours.weight), t.weight.detach().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize(
    "kw",
    [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True}, {"max_norm": 1.0}],
    ids=["plain", "padding", "padding-neg", "freq", "max_norm"],
)
def test_embedding_parity(device, kw):
    t, ours = _pair(device, **kw)
    _run_both(t, ours, device)


def test_embedding_values_and_grads_without_torch(device):
    w = np.arange(15, dtype=np.float64).reshape(5, 3)
    weight = A.tensor(w, device=device, requires_grad=True)
    idx = A.tensor(IDX, device=device)
    y = F.embedding(idx, weight)
    np.testing.assert_array_equal(to_numpy(y), w[IDX])
    y.sum().backward()
    counts = np.bincount(IDX.ravel(), minlength=5).astype(np.float64)
    np.testing.assert_array_equal(to_numpy(weight.grad), np.repeat(counts[:, None], 3, 1))
    weight.grad = None
    F.embedding(idx, weight, padding_idx=2, scale_grad_by_freq=True).sum().backward()
    want = np.repeat((counts > 0).astype(np.float64)[:, None], 3, 1)
    want[2] = 0  # the padding row gets no gradient
    np.testing.assert_allclose(to_numpy(weight.grad), want)
    assert A.gradcheck(lambda w_: F.embedding(idx, w_).square(), (weight,))
    # the differentiable backward (create_graph) agrees with the fast one, padding and scaling included
    (g,) = A.grad(
        F.embedding(idx, weight, padding_idx=2, scale_grad_by_freq=True).sum(), weight, create_graph=True
    )
    np.testing.assert_allclose(to_numpy(g), want)


def test_embedding_module_padding_and_init(device):
    m = nn.Embedding(50, 40, padding_idx=3).to(device)
    w = to_numpy(m.weight)
    assert np.all(w[3] == 0)
    rest = np.delete(w, 3, axis=0)
    assert abs(rest.mean()) < 0.05 and abs(rest.std() - 1) < 0.05  # N(0, 1)
    idx = A.tensor([[3, 1], [3, 3]], device=device)
    out = m(idx)
    assert out.shape == (2, 2, 40) and np.all(to_numpy(out[0, 0]) == 0)
    out.sum().backward()
    g = to_numpy(m.weight.grad)
    assert np.all(g[3] == 0) and np.all(g[1] == 1)
    assert repr(nn.Embedding(4, 3, padding_idx=1)) == "Embedding(4, 3, padding_idx=1)  # 12 parameters"
    assert nn.Embedding(4, 3, padding_idx=-1).padding_idx == 3
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(4, 3, padding_idx=4)


def test_embedding_max_norm_renormalizes_in_place(device):
    w = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]], dtype=np.float32)
    weight = A.tensor(w, device=device)
    y = F.embedding(A.tensor([0, 1], device=device), weight, max_norm=1.0)
    got = to_numpy(weight)
    np.testing.assert_allclose(np.linalg.norm(got[0]), 1.0, rtol=1e-5)
    np.testing.assert_allclose(got[1], w[1])  # under the norm: untouched
    np.testing.assert_allclose(got[2], w[2])  # not looked up: untouched
    np.testing.assert_allclose(to_numpy(y), got[:2])


def test_from_pretrained(device):
    pre = A.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    m = nn.Embedding.from_pretrained(pre)
    assert not m.weight.requires_grad and m.num_embeddings == 2 and m.embedding_dim == 2
    np.testing.assert_array_equal(to_numpy(m(A.tensor([1], device=device))), [[3.0, 4.0]])
    m2 = nn.Embedding.from_pretrained(pre, freeze=False, padding_idx=0)
    assert m2.weight.requires_grad and m2.padding_idx == 0
    m2(A.tensor([0, 1, 1], device=device)).sum().backward()
    np.testing.assert_array_equal(to_numpy(m2.weight.grad), [[0, 0], [2, 2]])


def test_embedding_errors(device):
    m = nn.Embedding(4, 2).to(device)
    with pytest.raises(IndexError, match="index 4 is out of range for num_embeddings=4"):
        m(A.tensor([1, 4], device=device))
    with pytest.raises(RuntimeError, match="integer"):
        m(A.tensor([1.0], device=device))


def test_one_hot(device):
    x = A.tensor([0, 2, 1], device=device)
    y = F.one_hot(x)
    assert y.dtype == A.int64 and y.shape == (3, 3)
    np.testing.assert_array_equal(to_numpy(y), np.eye(3, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(x, num_classes=5).shape == (3, 5)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(x, num_classes=2)
