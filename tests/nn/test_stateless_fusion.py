"""nn.utils.stateless.functional_call and nn.utils.fusion, against torch."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import to_numpy

import autograd as A
import nn
from nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval
from nn.utils.stateless import functional_call


def test_functional_call_swaps_and_restores(device):
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).to(device)
    x = A.randn(5, 3, device=device)
    base = to_numpy(m(x))
    params = {k: v.detach().clone().requires_grad_() for k, v in m.named_parameters()}
    out = functional_call(m, params, (x,))
    np.testing.assert_allclose(to_numpy(out), base, rtol=1e-6)
    # MAML-style: evaluate at params - lr * grad, keeping the graph through the update
    loss = (out**2).sum()
    grads = A.grad(loss, list(params.values()), create_graph=True)
    fast = {k: p - 0.1 * g for (k, p), g in zip(params.items(), grads)}
    loss2 = (functional_call(m, fast, x) ** 2).sum()
    loss2.backward()
    assert all(p.grad is not None for p in params.values())
    assert all(p.grad is None for p in m.parameters())  # the module's own parameters were not touched
    np.testing.assert_allclose(to_numpy(m(x)), base, rtol=1e-6)  # restored
    zeros = {"0.weight": A.zeros(4, 3, device=device), "0.bias": A.zeros(4, device=device)}
    np.testing.assert_allclose(
        to_numpy(functional_call(m, zeros, x)), to_numpy(m[2].bias.expand(5, 2)), rtol=1e-6
    )
    # a list of dicts, kwargs, buffers
    bn = nn.BatchNorm1d(3).to(device).eval()
    out = functional_call(
        bn, [{"running_mean": A.ones(3, device=device)}, {"weight": A.ones(3, device=device)}], x
    )
    np.testing.assert_allclose(to_numpy(out), (to_numpy(x) - 1) / np.sqrt(1 + 1e-5), rtol=1e-5)
    assert to_numpy(bn.running_mean).tolist() == [0, 0, 0]


def test_functional_call_errors_and_ties():
    m = nn.Linear(2, 2)
    x = A.ones(1, 2)
    with pytest.raises(RuntimeError, match=r"Missing key\(s\): 'bias'"):
        functional_call(m, {"weight": A.zeros(2, 2)}, x, strict=True)
    with pytest.raises(RuntimeError, match=r"Unexpected key\(s\): 'foo'"):
        functional_call(m, {"weight": A.zeros(2, 2), "bias": A.zeros(2), "foo": A.ones(1)}, x, strict=True)
    functional_call(m, {"foo": A.ones(1)}, x)  # non-strict: an extra attribute for the call only
    assert not hasattr(m, "foo")
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        functional_call(m, [{"weight": A.zeros(2, 2)}, {"weight": A.zeros(2, 2)}], x)
    with pytest.raises(AttributeError, match="Linear has no attribute `sub`"):
        functional_call(m, {"sub.weight": A.zeros(2, 2)}, x)

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2, bias=False)
            self.b = nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    t = Tied()
    out = functional_call(t, {"a.weight": 2 * A.eye(2)}, x)
    assert to_numpy(out).tolist() == [[4.0, 4.0]]  # both uses replaced
    out = functional_call(t, {"a.weight": 2 * A.eye(2)}, x, tie_weights=False)
    np.testing.assert_allclose(to_numpy(out), to_numpy(t.b(2 * x)), rtol=1e-6)
    with pytest.raises(ValueError, match="which are tied"):
        functional_call(t, {"a.weight": A.eye(2), "b.weight": 2 * A.eye(2)}, x)


@pytest.mark.parametrize("kind", ["conv", "convT", "linear", "conv_nobias"])
def test_fusion_matches_unfused(device, kind):
    rng = np.random.default_rng(0)
    if kind == "linear":
        layer, bn, x = nn.Linear(5, 4), nn.BatchNorm1d(4), rng.standard_normal((6, 5))
    elif kind == "convT":
        layer, bn, x = nn.ConvTranspose2d(3, 4, 3), nn.BatchNorm2d(4), rng.standard_normal((2, 3, 5, 5))
    else:
        layer = nn.Conv2d(3, 4, 3, bias=kind == "conv")
        bn, x = nn.BatchNorm2d(4), rng.standard_normal((2, 3, 6, 6))
    layer, bn = layer.to(device), bn.to(device)
    with A.no_grad():  # non-trivial statistics and affine parameters
        bn.running_mean.copy_(A.randn(4, device=device))
        bn.running_var.copy_(A.rand(4, device=device) + 0.5)
        bn.weight.copy_(A.randn(4, device=device))
        bn.bias.copy_(A.randn(4, device=device))
    layer.eval(), bn.eval()
    xt = A.tensor(x.astype(np.float32), device=device)
    want = to_numpy(bn(layer(xt)))
    fused = (
        fuse_linear_bn_eval(layer, bn)
        if kind == "linear"
        else fuse_conv_bn_eval(layer, bn, transpose=kind == "convT")
    )
    np.testing.assert_allclose(to_numpy(fused(xt)), want, rtol=1e-4, atol=1e-5)
    assert fused is not layer and isinstance(fused.weight, nn.Parameter) and fused.bias is not None
    layer.train()
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        fuse_conv_bn_eval(layer, bn)
    with pytest.raises(AssertionError, match="must equal bn.num_features"):
        fuse_linear_bn_eval(nn.Linear(3, 5).eval(), nn.BatchNorm1d(4).eval())
