"""nn.EmbeddingBag / F.embedding_bag: bag sums, means and maxima, against NumPy and (where installed) torch."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH

import autograd as A
import nn

if HAVE_TORCH:
    import torch

F = nn.functional
W = np.random.default_rng(0).standard_normal((10, 3))
FORMS = {  # name: (indices, offsets, include_last_offset)
    "2d": ([[1, 2, 4, 5], [4, 3, 2, 9]], None, False),
    "1d": ([1, 2, 4, 5, 4, 3, 2, 9, 2], [0, 2, 2, 5], False),  # bag 1 is empty
    "1d_last": ([1, 2, 4, 5, 4, 3, 2, 9, 2], [0, 2, 2, 5, 9], True),
}


def _bags_np(form):
    idx, off, last = FORMS[form]
    if off is None:
        return [list(r) for r in idx]
    ends = off[1:] if last else off[1:] + [len(idx)]
    return [idx[s:e] for s, e in zip(off[: len(ends)], ends)]


def _reference(form, mode, pad):
    out = []
    for bag in _bags_np(form):
        rows = np.array([W[i] for i in bag if i != pad]).reshape(-1, W.shape[1])
        if not len(rows):
            out.append(np.zeros(W.shape[1]))
        else:
            out.append({"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode])
    return np.array(out)


def _call(lib_f, tensor, form, w, mode, pad, **kw):
    idx, off, last = FORMS[form]
    return lib_f(
        tensor(idx),
        w,
        None if off is None else tensor(off),
        mode=mode,
        padding_idx=pad,
        include_last_offset=last,
        **kw,
    )


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("pad", [None, 2])
def test_embedding_bag_values_and_grads(device, form, mode, pad):
    w = A.tensor(W, device=device, requires_grad=True)
    out = _call(F.embedding_bag, lambda v: A.tensor(v, device=device), form, w, mode, pad)
    want = _reference(form, mode, pad)
    np.testing.assert_allclose(out.detach().cpu().numpy(), want, rtol=1e-12)
    g = np.linspace(-1, 1, want.size).reshape(want.shape)
    (out * A.tensor(g, device=device)).sum().backward()
    if HAVE_TORCH:
        tw = torch.tensor(W, requires_grad=True)
        t = _call(torch.nn.functional.embedding_bag, torch.tensor, form, tw, mode, pad)
        np.testing.assert_allclose(out.detach().cpu().numpy(), t.detach().numpy(), rtol=1e-12)
        (t * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(w.grad.cpu().numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-15)
    if pad is not None:
        assert not w.grad.cpu().numpy()[pad].any()  # the padding row gets no gradient


def test_embedding_bag_per_sample_weights_and_gradcheck(device):
    idx = A.tensor([1, 2, 4, 5, 4, 3], device=device)
    off = A.tensor([0, 2, 3], device=device)
    w = A.tensor(W, device=device, requires_grad=True)
    psw = A.tensor([0.5, -1.0, 2.0, 1.5, 0.25, 3.0], dtype=A.float64, device=device, requires_grad=True)
    out = F.embedding_bag(idx, w, off, mode="sum", per_sample_weights=psw)
    want = np.array([0.5 * W[1] - W[2], 2.0 * W[4], 1.5 * W[5] + 0.25 * W[4] + 3.0 * W[3]])
    np.testing.assert_allclose(out.detach().cpu().numpy(), want, rtol=1e-12)
    assert A.gradcheck(lambda a, b: F.embedding_bag(idx, a, off, mode="sum", per_sample_weights=b), (w, psw))
    assert A.gradcheck(lambda a: F.embedding_bag(idx, a, off, mode="mean"), (w,))
    assert A.gradcheck(lambda a: F.embedding_bag(idx, a, off, mode="max"), (w,))


def test_embedding_bag_module(device):
    A.manual_seed(0)
    bag = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=0).to(device)
    assert bag.weight.shape == (10, 3) and not bag.weight[0].detach().cpu().numpy().any()
    assert repr(bag).startswith("EmbeddingBag(10, 3, mode='sum', padding_idx=0)")
    out = bag(A.tensor([[0, 1], [2, 0]], device=device))
    np.testing.assert_allclose(
        out.detach().cpu().numpy(), bag.weight.detach().cpu().numpy()[[1, 2]], rtol=1e-6
    )
    pre = nn.EmbeddingBag.from_pretrained(A.tensor(W, device=device), mode="max")
    assert not pre.weight.requires_grad
    np.testing.assert_allclose(
        pre(A.tensor([[1, 2]], device=device)).cpu().numpy(), np.maximum(W[1], W[2])[None], rtol=1e-12
    )
    assert sorted(bag.state_dict()) == ["weight"]


def test_embedding_bag_errors(device):
    w = A.tensor(W, device=device)
    idx1, idx2 = A.tensor([1, 2, 3], device=device), A.tensor([[1, 2]], device=device)
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(idx2, w, mode="median")
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(idx2, w, A.tensor([0], device=device))
    with pytest.raises(ValueError, match="offsets has to be a 1D integer Tensor"):
        F.embedding_bag(idx1, w)
    with pytest.raises(ValueError, match="offsets must start at 0"):
        F.embedding_bag(idx1, w, A.tensor([1, 2], device=device))
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(idx2, w, per_sample_weights=A.ones(1, 2, dtype=A.float64, device=device))
    with pytest.raises(
        RuntimeError, match=r"per_sample_weights \(autograd.float32\) must have the weight's dtype"
    ):
        F.embedding_bag(idx2, w, mode="sum", per_sample_weights=A.ones(1, 2, device=device))
    with pytest.raises(IndexError, match="embedding: index 12 is out of range for num_embeddings=10"):
        F.embedding_bag(A.tensor([[1, 12]], device=device), w)
