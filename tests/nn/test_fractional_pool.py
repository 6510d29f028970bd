"""FractionalMaxPool2d/3d and F.fractional_max_pool2d/3d: PyTorch's windows, values, indices and gradients."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn
import nn.functional as F

if HAVE_TORCH:
    import torch

CASES = [  # (nd, input shape, kernel, output_size, output_ratio)
    (2, (2, 3, 9, 11), (2, 3), (4, 5), None),
    (2, (3, 10, 10), 3, None, (0.5, 0.5)),  # unbatched, ratio
    (2, (1, 2, 5, 6), 2, (4, 5), None),  # output + kernel - 1 == input: windows at every position
    (3, (2, 2, 7, 8, 9), (2, 2, 3), (3, 4, 5), None),
    (3, (2, 6, 6, 7), 2, None, (0.5, 0.5, 0.6)),  # unbatched 3-d
]


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_torch_with_given_samples(device, case, dtype):
    nd, shape, k, size, ratio = case
    rng = np.random.default_rng(len(shape) + nd)
    x = rng.standard_normal(shape).astype(dtype)
    batched = len(shape) == nd + 2
    u = rng.uniform(size=(shape[0] if batched else 1, shape[-nd - 1], nd)).astype(dtype)
    fn = F.fractional_max_pool2d if nd == 2 else F.fractional_max_pool3d
    tfn = torch.nn.functional.fractional_max_pool2d if nd == 2 else torch.nn.functional.fractional_max_pool3d
    xa = A.tensor(x, device=device, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out, idx = fn(xa, k, size, ratio, return_indices=True, _random_samples=A.tensor(u, device=device))
    ref, ridx = tfn(xt, k, size, ratio, return_indices=True, _random_samples=torch.tensor(u))
    np.testing.assert_array_equal(to_numpy(out), ref.detach().numpy())
    np.testing.assert_array_equal(to_numpy(idx), ridx.numpy())
    assert out.dtype == xa.dtype and idx.dtype == A.int64
    g = rng.standard_normal(ref.shape).astype(dtype)
    out.backward(A.tensor(g, device=device))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(to_numpy(xa.grad), xt.grad.numpy(), rtol=1e-6)


def test_random_windows_hold_their_max(device):
    # without _random_samples each call draws new windows from the global generator (seeded: repeatable);
    # every output is the max of a kernel-sized window at its index, and the windows cover the input's edges
    x = A.randn(2, 3, 12, 10, device=device)
    A.manual_seed(5)
    out, idx = F.fractional_max_pool2d(x, (3, 2), output_ratio=(0.5, 0.6), return_indices=True)
    A.manual_seed(5)
    again = F.fractional_max_pool2d(x, (3, 2), output_ratio=(0.5, 0.6))
    assert out.shape == (2, 3, 6, 6)
    np.testing.assert_array_equal(to_numpy(out), to_numpy(again))
    xs, o, i = to_numpy(x), to_numpy(out), to_numpy(idx)
    for n in range(2):
        for c in range(3):
            rows, cols = np.divmod(i[n, c], 10)
            np.testing.assert_array_equal(xs[n, c][rows, cols], o[n, c])
            assert rows.max() >= 12 - 3 and cols.max() >= 10 - 2  # the last window ends at the edge
    x2 = A.randn(1, 1, 8, 8, device=device, dtype=A.float64, requires_grad=True)
    u = A.tensor([[[0.3, 0.7]]], device=device, dtype=A.float64)
    assert A.gradcheck(lambda t: F.fractional_max_pool2d(t, 2, output_size=5, _random_samples=u), (x2,))


def test_module_and_errors(device):
    m = nn.FractionalMaxPool2d(2, output_size=3, return_indices=True)
    out, idx = m(A.randn(1, 2, 6, 6, device=device))
    assert out.shape == idx.shape == (1, 2, 3, 3) and m._random_samples is None
    assert list(m.state_dict()) == []
    u = A.rand(1, 2, 3)
    m3 = nn.FractionalMaxPool3d(2, output_ratio=0.5, _random_samples=u)
    assert "_random_samples" in m3.state_dict()
    assert m3(A.randn(1, 2, 6, 6, 6)).shape == (1, 2, 3, 3, 3)
    with pytest.raises(ValueError, match="requires specifying either an output size, or a pooling ratio"):
        nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match=r"output_ratio must be between 0 and 1 \(got 1.5\)"):
        nn.FractionalMaxPool2d(2, output_ratio=1.5)
    x = A.randn(1, 2, 6, 6, device=device)
    with pytest.raises(
        RuntimeError, match="output height 6 with pool height 2 does not fit the input height 6"
    ):
        F.fractional_max_pool2d(x, 2, output_size=6)
    with pytest.raises(RuntimeError, match=r"_random_samples must have shape \(1, 2, 2\)"):
        F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=A.rand(1, 2, 3, device=device))
    with pytest.raises(RuntimeError, match="expected a 3-D \\(unbatched\\) or 4-D"):
        F.fractional_max_pool2d(A.randn(6, 6, device=device), 2, output_size=3)
    with pytest.raises(RuntimeError, match="floating-point input"):
        F.fractional_max_pool2d(A.ones(1, 1, 6, 6, device=device, dtype=A.int64), 2, output_size=3)
    with pytest.raises(ValueError, match="exactly one"):
        F.fractional_max_pool2d(x, 2, output_size=3, output_ratio=0.5)
