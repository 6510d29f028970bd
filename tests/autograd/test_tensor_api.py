"""Tensor methods and printing, as PyTorch has them."""

from __future__ import annotations

import copy
import pickle
import re

import numpy as np
import pytest
from helpers import HAVE_TORCH

import autograd as A

REPRS = {
    "[1.0, 2.0]": "tensor([1., 2.])",
    "[1.5, 2.25]": "tensor([1.5000, 2.2500])",
    "[-1.0, 2.0]": "tensor([-1.,  2.])",
    "[1e-5, 1.0]": "tensor([1.0000e-05, 1.0000e+00])",
    "[1e10, 1.0]": "tensor([1.0000e+10, 1.0000e+00])",
    "[float('nan'), 1.0, float('inf')]": "tensor([nan, 1., inf])",
    "3.0": "tensor(3.)",
    "[[1, 2], [3, 4]]": "tensor([[1, 2],\n        [3, 4]])",
    "[True, False]": "tensor([ True, False])",
    "[]": "tensor([])",
    "[0.1, 0.2, 0.3]": "tensor([0.1000, 0.2000, 0.3000])",
    "[0.0, 0.0]": "tensor([0., 0.])",
    "list(range(2000))": "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])",
}


@pytest.mark.parametrize("data", sorted(REPRS))
def test_repr_known_values(device, data):
    t = A.tensor(eval(data))
    assert repr(t) == REPRS[data]


def test_repr_autograd_suffixes(device):
    x = A.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward>)"
    assert repr(x.sum()) == "tensor(3., grad_fn=<SumBackward>)"
    assert repr(A.tensor([1, 2], dtype=A.int32)) == "tensor([1, 2], dtype=autograd.int32)"
    assert repr(A.zeros(2, 0)) == "tensor([], size=(2, 0))"
    assert repr(A.zeros(0, dtype=A.int64)) == "tensor([], dtype=autograd.int64)"
    assert repr(A.tensor(1.5, dtype=A.float16)) == "tensor(1.5000, dtype=autograd.float16)"
    if device != "cpu":
        assert "device='cuda:0'" in repr(A.ones(1, device=device))


@pytest.mark.skipif(not HAVE_TORCH, reason="torch reference not installed")
def test_repr_matches_torch_layout(device):
    import torch

    rng = np.random.default_rng(0)
    for shape in [(3, 3, 3), (2, 50), (40,), (1200,), (30, 40), (3, 400, 2), (2, 3, 4, 5), (10, 10, 11)]:
        for scale in (1, 1e-6, 1e6, 1e12):
            d = (rng.standard_normal(shape) * scale).astype(np.float32)
            ours = _no_device(repr(A.tensor(d, device=device)))
            assert ours == repr(torch.tensor(d)), (shape, scale)
        d = rng.integers(-100, 10000, shape)
        assert repr(A.tensor(d, device=device)).replace(", device='cuda:0'", "") == repr(torch.tensor(d)), (
            shape
        )
    d = rng.standard_normal((3, 4))
    ours = repr(A.tensor(d, dtype=A.float64, requires_grad=True) * 2)
    theirs = repr(torch.tensor(d, requires_grad=True) * 2)
    assert ours.replace("autograd.", "torch.").replace("MulBackward", "MulBackward0") == theirs


def _no_device(r: str) -> str:
    return re.sub(r",\s+device='cuda:0'", "", r)


def test_item_tolist_numpy_array(device):
    x = A.tensor([[1.5, 2.0]], device=device)
    assert A.tensor(2.5, device=device).item() == 2.5 and isinstance(A.tensor(3, device=device).item(), int)
    assert x.tolist() == [[1.5, 2.0]]
    assert float(x[0, 0]) == 1.5 and int(A.tensor(7, device=device)) == 7
    with pytest.raises(
        RuntimeError, match="item: a Tensor with 2 elements cannot be converted to a Python scalar"
    ):
        x.item()
    c = x.cpu()
    assert isinstance(c.numpy(), np.ndarray) and np.asarray(c).tolist() == [[1.5, 2.0]]
    assert np.array(c, dtype=np.float64).dtype == np.float64
    r = A.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="numpy: can't call numpy\\(\\) on a Tensor that requires grad"):
        r.numpy()
    assert r.detach().numpy().tolist() == [1.0, 1.0]


def test_numpy_shares_memory_on_cpu(device):
    if device != "cpu":
        pytest.skip("host memory sharing is a CPU property")
    x = A.zeros(3)
    x.numpy()[0] = 5
    assert x.tolist() == [5.0, 0.0, 0.0]
    a = np.arange(3.0)
    assert A.from_numpy(a).dtype == A.float64
    A.from_numpy(a)[1] = 9
    assert a[1] == 9


def test_detach_clone_contiguous(device):
    x = A.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    d[0, 0] = 10.0  # shares storage (and version) with x
    assert x[0, 0].item() == 10.0 and x._version == d._version
    c = x.clone()
    assert c.grad_fn is not None and c.tolist() == x.tolist()
    c.sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    t = x.T
    assert not t.is_contiguous() and t.contiguous().is_contiguous()
    assert x.contiguous() is x
    (t.contiguous() * A.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)).sum().backward()
    assert x.grad.tolist() == [[2.0, 4.0], [3.0, 5.0]]


def test_requires_grad_flags(device):
    x = A.ones(2, device=device)
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    y = x * 2
    assert not y.is_leaf and y.grad_fn.name() == "MulBackward"
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    x.requires_grad_(False)
    assert not (x * 2).requires_grad
    nf = y.grad_fn.next_functions
    assert len(nf) == 2 and nf[0] == (None, 0)


def test_sizes_and_python_protocols(device):
    x = A.zeros(2, 3, device=device)
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(-1) == 3 and x.dim() == 2 and x.ndim == 2
    assert x.numel() == 6 and len(x) == 2 and [r.shape for r in x] == [(3,), (3,)]
    assert x.element_size() == 4 and x.is_floating_point()
    with pytest.raises(RuntimeError, match="bool: the truth value of a Tensor with 6 elements is ambiguous"):
        bool(x)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(A.tensor(1.0, device=device))
    assert bool(A.tensor(1.0, device=device)) and [1, 2, 3][A.tensor(1, device=device)] == 2


def test_new_methods(device):
    x = A.ones(2, dtype=A.float64, device=device)
    assert x.new_zeros(3).dtype == A.float64 and x.new_ones((2, 2)).shape == (2, 2)
    assert x.new_full((2,), 3.0).tolist() == [3.0, 3.0] and x.new_empty(1).device == x.device
    assert x.new_tensor([1, 2]).dtype == A.float64


def test_deepcopy_and_no_pickle(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    (x * 2).sum().backward()
    y = copy.deepcopy(x)
    assert y is not x and y.requires_grad and y.grad.tolist() == [2.0, 2.0]
    y.detach().zero_()
    assert x.tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="Tensors are not pickled"):
        pickle.dumps(x)


def test_inplace_fill_copy_zero(device):
    x = A.zeros(2, 3, device=device)
    assert x.fill_(2.5) is x and x.tolist() == [[2.5] * 3] * 2
    x.zero_()
    assert x.sum().item() == 0
    x.copy_(A.tensor([1.0, 2.0, 3.0], device=device))  # broadcasts
    assert x.tolist() == [[1.0, 2.0, 3.0]] * 2
    x.copy_(A.tensor([[1, 1, 1], [2, 2, 2]], device=device))  # casts
    assert x.dtype == A.float32 and x.tolist()[1] == [2.0, 2.0, 2.0]
    assert x._version == 4
    with pytest.raises(
        RuntimeError, match=r"copy_: the source of shape \(4,\) is not broadcastable to \(2, 3\)"
    ):
        x.copy_(A.zeros(4, device=device))


def test_copy_is_differentiable(device):
    src = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    dst = A.zeros(2, 2, device=device)
    dst.copy_(src)
    assert dst.requires_grad
    (dst * A.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)).sum().backward()
    assert src.grad.tolist() == [4.0, 6.0]


def test_contains(device):
    t = A.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    assert 2.0 in t and 3 in t and 5 not in t
    assert A.tensor([3.0, 4.0], device=device) in t and A.tensor([9.0, 4.0], device=device) in t
    assert A.tensor([9.0, 8.0], device=device) not in t
    with pytest.raises(RuntimeError, match="only supports Tensor or scalar"):
        _ = "a" in t
