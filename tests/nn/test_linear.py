"""Linear, Bilinear, Identity, Flatten/Unflatten and the containers: values and grads vs torch, init, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op, to_numpy

import autograd as A
import nn
import nn.functional as F

torch = pytest.importorskip("torch") if HAVE_TORCH else None


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,), (0, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_f_linear_matches_reference(device, shape, bias):
    shapes = [shape, (3, 4)] + ([(3,)] if bias else [])

    def np_fn(x, w, b=None):
        return x @ w.T + (0 if b is None else b)

    check_op(
        shapes,
        lambda x, w, *b: F.linear(x, w, *b),
        lambda x, w, *b: torch.nn.functional.linear(x, w, *b),
        device=device,
        np_fn=np_fn,
    )


def test_f_linear_noncontiguous_and_double_backward(device):
    check_op(
        [(3, 4), (2, 4), (2,)],
        lambda x, w, b: F.linear(x, w, b),
        (lambda x, w, b: torch.nn.functional.linear(x, w, b)) if HAVE_TORCH else None,
        device=device,
        noncontig=True,
        np_fn=lambda x, w, b: x @ w.T + b,
    )
    x = A.randn(3, 4, device=device, dtype=A.float64, requires_grad=True)
    w = A.randn(2, 4, device=device, dtype=A.float64, requires_grad=True)
    b = A.randn(2, device=device, dtype=A.float64, requires_grad=True)
    assert A.gradgradcheck(lambda x, w, b: F.linear(x, w, b).tanh(), (x, w, b))


def test_f_linear_errors(device):
    x = A.randn(5, 3, device=device)
    w = A.randn(2, 4, device=device)
    with pytest.raises(
        RuntimeError, match=r"linear: input of shape \(5, 3\) has 3 features .* in_features=4"
    ):
        F.linear(x, w)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.linear(A.randn(5, 4, device=device, dtype=A.float64), w)
    with pytest.raises(RuntimeError, match="bias of shape"):
        F.linear(A.randn(5, 4, device=device), w, A.zeros(3, device=device))


def test_f_linear_graph_records_like_any_op(device):
    # the common call is linked without Function.apply: requires_grad, grad mode, the in-place check on the
    # saved input and weight, anomaly traces and needs_input_grad must all behave as for any other op
    x = A.randn(4, 3, device=device)
    w = A.randn(2, 3, device=device, requires_grad=True)
    b = A.randn(2, device=device)
    y = F.linear(x, w, b)
    assert (
        y.requires_grad
        and y.grad_fn.name() == "_LinearBackward"
        and y.grad_fn.needs_input_grad
        == (
            False,
            True,
            False,
        )
    )
    y.sum().backward()
    assert x.grad is None and b.grad is None
    np.testing.assert_allclose(to_numpy(w.grad), np.tile(to_numpy(x).sum(0), (2, 1)), rtol=1e-5)
    with A.no_grad():
        assert F.linear(x, w, b).grad_fn is None and not F.linear(x, w, b).requires_grad
    plain = F.linear(x, w.detach(), b)
    assert plain.grad_fn is None and not plain.requires_grad
    for edit in (x, w):  # both are saved for backward
        y = F.linear(x, w, b)
        with A.no_grad():
            edit.add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
    with A.detect_anomaly():
        assert "test_linear.py" in F.linear(x, w, b).grad_fn._trace


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_linear_module_parity(device):
    tl = torch.nn.Linear(6, 3)
    ours = nn.Linear(6, 3)
    ours.load_state_dict({k: v.detach().numpy() for k, v in tl.state_dict().items()})
    ours.to(device)
    x = np.random.default_rng(0).standard_normal((4, 2, 6)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    xo = A.tensor(x, device=device, requires_grad=True)
    yt, yo = tl(xt), ours(xo)
    np.testing.assert_allclose(to_numpy(yo), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    up = np.random.default_rng(1).standard_normal(yt.shape).astype(np.float32)
    (yt * torch.tensor(up)).sum().backward()
    (yo * A.tensor(up, device=device)).sum().backward()
    np.testing.assert_allclose(to_numpy(xo.grad), xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_numpy(ours.weight.grad), tl.weight.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_numpy(ours.bias.grad), tl.bias.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_linear_init_distribution(device):
    m = nn.Linear(400, 300).to(device)
    w, b = to_numpy(m.weight), to_numpy(m.bias)
    bound = 1 / math.sqrt(400)
    assert m.weight.shape == (300, 400) and m.bias.shape == (300,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-bound, bound): std = bound / sqrt(3); the max is close to the bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert np.abs(w).max() > 0.99 * bound
    assert nn.Linear(3, 2, bias=False).bias is None
    assert nn.Linear(3, 2, dtype=A.float64).weight.dtype == A.float64


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_bilinear_parity(device):
    tb = torch.nn.Bilinear(3, 4, 5)
    ours = nn.Bilinear(3, 4, 5)
    ours.load_state_dict({k: v.detach().numpy() for k, v in tb.state_dict().items()})
    ours.to(device)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 6, 3)).astype(np.float32)
    b = rng.standard_normal((2, 6, 4)).astype(np.float32)
    at, bt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ao, bo = A.tensor(a, device=device, requires_grad=True), A.tensor(b, device=device, requires_grad=True)
    yt, yo = tb(at, bt), ours(ao, bo)
    np.testing.assert_allclose(to_numpy(yo), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    yt.square().sum().backward()
    yo.square().sum().backward()
    for o, t in (
        (ao.grad, at.grad),
        (bo.grad, bt.grad),
        (ours.weight.grad, tb.weight.grad),
        (ours.bias.grad, tb.bias.grad),
    ):
        np.testing.assert_allclose(to_numpy(o), t.numpy(), rtol=1e-4, atol=1e-4)


def test_bilinear_values_and_gradcheck(device):
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    w, b = rng.standard_normal((5, 3, 4)), rng.standard_normal(5)
    want = np.einsum("ni,oij,nj->no", x1, w, x2) + b
    ts = [A.tensor(v, device=device, requires_grad=True) for v in (x1, x2, w, b)]
    np.testing.assert_allclose(to_numpy(F.bilinear(*ts)), want, rtol=1e-10)
    assert A.gradcheck(F.bilinear, tuple(ts))
    with pytest.raises(RuntimeError, match="bilinear: inputs of shapes"):
        F.bilinear(ts[1], ts[0], ts[2])


def test_identity_flatten_unflatten(device):
    x = A.randn(2, 3, 4, 5, device=device, requires_grad=True)
    assert nn.Identity(54, unused="x")(x) is x
    y = nn.Flatten()(x)
    assert y.shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    z = nn.Unflatten(1, (3, 20))(y)
    assert z.shape == (2, 3, 20)
    z.sum().backward()
    assert x.grad.shape == x.shape and np.all(to_numpy(x.grad) == 1)
    assert repr(nn.Unflatten(1, (3, 20))) == "Unflatten(dim=1, unflattened_size=(3, 20))"
    with pytest.raises(TypeError, match="tuple of ints"):
        nn.Unflatten(1, 3)


def test_sequential_container(device):
    layers = [nn.Linear(3, 3), nn.Identity(), nn.Linear(3, 2)]
    seq = nn.Sequential(*layers).to(device)
    assert len(seq) == 3 and seq[0] is layers[0] and seq[-1] is layers[2]
    assert list(seq) == layers
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == layers[1:] and list(sub._modules) == ["1", "2"]
    x = A.randn(4, 3, device=device)
    np.testing.assert_allclose(to_numpy(seq(x)), to_numpy(layers[2](layers[0](x))), rtol=1e-6)
    seq.append(nn.Identity())
    seq.insert(0, nn.Identity())
    assert len(seq) == 5 and isinstance(seq[0], nn.Identity) and seq[1] is layers[0]
    del seq[0]
    assert list(seq._modules) == ["0", "1", "2", "3"] and seq[0] is layers[0]
    seq.extend([nn.Identity()])
    assert len(seq) == 5
    assert isinstance(seq.pop(4), nn.Identity) and len(seq) == 4
    seq[1] = nn.Linear(3, 3)
    assert len(list(seq.parameters())) == 6
    with pytest.raises(IndexError):
        seq[10]
    from collections import OrderedDict

    named = nn.Sequential(OrderedDict([("a", nn.Linear(1, 1)), ("b", nn.Identity())]))
    assert list(dict(named.named_parameters())) == ["a.weight", "a.bias"]
    assert len(named + named) == 4


def test_module_list_and_dict(device):
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)]).to(device)
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    ml.append(nn.Linear(2, 1))
    ml.insert(1, nn.Identity())
    assert [type(m).__name__ for m in ml] == ["Linear", "Identity", "Linear", "Linear", "Linear"]
    del ml[1]
    assert list(ml._modules) == ["0", "1", "2", "3"]
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    ml += [nn.Identity()]
    assert len(ml) == 5
    md = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
    md["act"] = nn.Identity()
    assert list(md.keys()) == ["enc", "dec", "act"] and "enc" in md and len(md) == 3
    assert [n for n, _ in md.named_parameters()] == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    assert isinstance(md.pop("act"), nn.Identity) and len(md) == 2


def test_parameter_list_and_dict(device):
    pl = nn.ParameterList([nn.Parameter(A.zeros(2, 3)), A.ones(3)])
    assert isinstance(pl[1], nn.Parameter) and pl[1].requires_grad  # tensors are wrapped
    pl.append(A.zeros(1))
    assert len(pl) == 3 and len(list(pl.parameters())) == 3
    assert "(0): Parameter containing: [autograd.float32 of size 2x3]" in repr(pl)

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.ps = nn.ParameterList([A.zeros(2)])
            self.pd = nn.ParameterDict({"scale": A.ones(1)})

    h = Holder().to(device)
    assert list(h.state_dict()) == ["ps.0", "pd.scale"]
    assert h.pd["scale"].device == A.device(device)
    h.pd.update({"shift": A.zeros(1)})
    assert list(h.pd.keys()) == ["scale", "shift"] and "shift" in h.pd
    del h.pd["scale"]
    assert list(dict(h.named_parameters())) == ["ps.0", "pd.shift"]


@pytest.mark.parametrize("lead", [(6,), (2, 3)])
def test_linear_weight_grad_is_contiguous_and_exact(device, lead):
    # the weight grad comes out C-contiguous like the weight (a transposed one slows the optimizer step)
    rng = np.random.default_rng(0)
    xn = rng.standard_normal((*lead, 5))
    wn = rng.standard_normal((4, 5))
    gn = rng.standard_normal((*lead, 4))
    x = A.tensor(xn, device=device, requires_grad=True)
    w = A.tensor(wn, device=device, requires_grad=True)
    b = A.zeros(4, device=device, dtype=A.float64, requires_grad=True)
    F.linear(x, w, b).backward(A.tensor(gn, device=device))
    assert w.grad.is_contiguous()
    np.testing.assert_allclose(to_numpy(w.grad), gn.reshape(-1, 4).T @ xn.reshape(-1, 5), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(b.grad), gn.reshape(-1, 4).sum(0), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(x.grad), gn @ wn, rtol=1e-12)
