"""AdaptiveLogSoftmaxWithLoss: PyTorch's layout, outputs, loss, gradients, log_prob and predict."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn

if HAVE_TORCH:
    import torch


def _pair(device, head_bias):
    torch.manual_seed(0)
    ref = torch.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 9, 15], div_value=2.0, head_bias=head_bias).double()
    ours = nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 9, 15], div_value=2.0, head_bias=head_bias).double()
    state = ref.state_dict()
    assert list(ours.state_dict()) == list(state)  # the same names, in the same order
    ours.load_state_dict({k: A.tensor(v.numpy()) for k, v in state.items()})
    return ours.to(device), ref


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("head_bias", [False, True])
def test_matches_torch(device, head_bias):
    ours, ref = _pair(device, head_bias)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((12, 16))
    t = np.array([0, 3, 4, 8, 9, 14, 15, 19, 2, 10, 17, 5])  # every cluster, both ends of each
    xa, xt = A.tensor(x, device=device, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, loss = ours(xa, A.tensor(t, device=device))
    rout, rloss = ref(xt, torch.tensor(t))
    np.testing.assert_allclose(to_numpy(out), rout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(float(loss), float(rloss.detach()), rtol=1e-12)
    loss.backward()
    rloss.backward()
    np.testing.assert_allclose(to_numpy(xa.grad), xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    grads = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(to_numpy(p.grad), grads[name].grad.numpy(), rtol=1e-10, atol=1e-14)
    lp = ours.log_prob(A.tensor(x, device=device))
    np.testing.assert_allclose(to_numpy(lp), ref.log_prob(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.exp(to_numpy(lp)).sum(1), 1.0, rtol=1e-12)  # a distribution over classes
    np.testing.assert_allclose(to_numpy(lp)[np.arange(12), t], to_numpy(out), rtol=1e-12)
    big = rng.standard_normal((64, 16)) * 3  # rows landing in the shortlist and in clusters
    pred = to_numpy(ours.predict(A.tensor(big, device=device)))
    np.testing.assert_array_equal(pred, ref.predict(torch.tensor(big)).numpy())
    np.testing.assert_array_equal(pred, to_numpy(ours.log_prob(A.tensor(big, device=device))).argmax(1))
    one_out, one_loss = ours(A.tensor(x[3], device=device), A.tensor(t[3], device=device))  # unbatched
    assert one_out.shape == () and np.isclose(float(one_out), to_numpy(out)[3])
    assert ours.log_prob(A.tensor(x[3], device=device)).shape == (20,)
    assert ours.predict(A.tensor(x[3], device=device)).shape == ()


def test_layout_training_and_errors(device):
    m = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0).to(device)
    assert m.head.weight.shape == (5, 8) and m.head.bias is None
    assert [tuple(p.shape) for p in m.tail.parameters()] == [(4, 8), (3, 4), (2, 8), (4, 2)]
    rng = np.random.default_rng(2)
    x = A.tensor(rng.standard_normal((32, 8)), device=device, dtype=A.float32)
    t = A.tensor(rng.integers(0, 10, 32), device=device)
    opt = nn.optim.Adam(m.parameters(), lr=0.05)
    first = None
    for _ in range(60):
        opt.zero_grad()
        loss = m(x, t).loss
        loss.backward()
        opt.step()
        first = float(loss) if first is None else first
    assert float(loss) < 0.5 * first  # it fits a small random labelling
    for bad in ([], [3, 3], [6, 3], [0, 4], [3, 10]):
        with pytest.raises(ValueError, match="cutoffs should be"):
            nn.AdaptiveLogSoftmaxWithLoss(8, 10, bad)
    with pytest.raises(
        RuntimeError, match=r"target values should be in \[0, 9\], but values in range \[0, 10\]"
    ):
        m(x[:2], A.tensor([0, 10], device=device))
    with pytest.raises(RuntimeError, match="same size in the batch dimension"):
        m(x[:3], t[:2])
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        m(x[:2], t[:4].reshape(2, 2))
