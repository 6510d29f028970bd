"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm), against torch's."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import to_numpy

import autograd as A
import nn
from nn.utils import parametrizations as PZ
from nn.utils import parametrize as P

torch = pytest.importorskip("torch")
TP, TPZ = torch.nn.utils.parametrize, torch.nn.utils.parametrizations


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A_):
        return A_.triu()


class TSymmetric(torch.nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A_):
        return A_.triu()


class Scale(nn.Module):
    def forward(self, X):
        return 2.0 * X

    def right_inverse(self, X):
        return X / 2.0


class Skew(nn.Module):  # no right_inverse
    def forward(self, X):
        return X - X.mT


def _copy_to_torch(ours, theirs):
    theirs.load_state_dict({k: torch.tensor(to_numpy(v)) for k, v in ours.state_dict().items()})


def _grads_match(ours, theirs, x, device):
    out = ours(A.tensor(x, device=device))
    tout = theirs(torch.tensor(x))
    np.testing.assert_allclose(to_numpy(out), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    (out**2).sum().backward()
    (tout**2).sum().backward()
    g = {k: to_numpy(p.grad) for k, p in ours.named_parameters()}
    tg = {k: p.grad.numpy() for k, p in theirs.named_parameters()}
    assert set(g) == set(tg)
    for k in g:
        np.testing.assert_allclose(g[k], tg[k], rtol=1e-4, atol=1e-5, err_msg=k)


@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_weight_norm_matches_torch(device, dim):
    ours = nn.Linear(5, 4).to(device)
    theirs = torch.nn.Linear(5, 4)
    _copy_to_torch(ours, theirs)
    PZ.weight_norm(ours, dim=dim)
    TPZ.weight_norm(theirs, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(to_numpy(v), theirs.state_dict()[k].numpy(), rtol=1e-6, err_msg=k)
    assert type(ours).__name__ == type(theirs).__name__ == "ParametrizedLinear"
    _grads_match(ours, theirs, np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32), device)


@pytest.mark.parametrize("make", ["linear", "conv", "convT"])
def test_spectral_norm_matches_torch(device, make):
    ours, theirs = {
        "linear": (nn.Linear(6, 5), torch.nn.Linear(6, 5)),
        "conv": (nn.Conv2d(2, 3, 3), torch.nn.Conv2d(2, 3, 3)),
        "convT": (nn.ConvTranspose2d(2, 3, 3), torch.nn.ConvTranspose2d(2, 3, 3)),
    }[make]
    ours = ours.to(device)
    _copy_to_torch(ours, theirs)
    PZ.spectral_norm(ours)
    TPZ.spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_to_torch(ours, theirs)  # same u, v
    shape = (4, 6) if make == "linear" else (2, 2, 5, 5)
    rng = np.random.default_rng(1)
    for _ in range(3):  # each training-mode forward runs a power-iteration step
        _grads_match(ours, theirs, rng.standard_normal(shape).astype(np.float32), device)
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(
            to_numpy(v), theirs.state_dict()[k].numpy(), rtol=1e-4, atol=1e-6, err_msg=k
        )
    ours.eval(), theirs.eval()
    _grads_match(ours, theirs, rng.standard_normal(shape).astype(np.float32), device)
    w = to_numpy(ours.weight).reshape(to_numpy(ours.weight).shape[0], -1)
    if make != "convT":
        assert abs(np.linalg.svd(w, compute_uv=False)[0] - 1) < 0.05
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        PZ.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        PZ.spectral_norm(nn.Linear(2, 2), dim=2)


def test_custom_parametrization_matches_torch(device):
    ours, theirs = nn.Linear(3, 3).to(device), torch.nn.Linear(3, 3)
    _copy_to_torch(ours, theirs)
    P.register_parametrization(ours, "weight", Symmetric())
    TP.register_parametrization(theirs, "weight", TSymmetric())
    w = to_numpy(ours.weight)
    np.testing.assert_allclose(w, w.T)
    np.testing.assert_allclose(w, theirs.weight.detach().numpy(), rtol=1e-6)
    assert (
        P.is_parametrized(ours) and P.is_parametrized(ours, "weight") and not P.is_parametrized(ours, "bias")
    )
    assert P.type_before_parametrizations(ours) is nn.Linear
    _grads_match(ours, theirs, np.ones((2, 3), np.float32), device)
    # assignment goes through right_inverse
    target = np.arange(9, dtype=np.float32).reshape(3, 3)
    target = target + target.T
    ours.weight = A.tensor(target, device=device)
    np.testing.assert_allclose(to_numpy(ours.weight), target)
    np.testing.assert_allclose(to_numpy(ours.parametrizations.weight.original), np.triu(target))


def test_chained_cached_and_removed(device):
    m = nn.Linear(3, 3).to(device)
    orig = m.weight
    P.register_parametrization(m, "weight", Symmetric())
    P.register_parametrization(m, "weight", Scale())
    assert len(m.parametrizations.weight) == 2
    assert m.parametrizations.weight.original is orig  # the same Parameter object (optimizers keep it)
    w = to_numpy(m.weight)
    np.testing.assert_allclose(w, 2 * (np.triu(w / 2) + np.triu(w / 2, 1).T), rtol=1e-6)
    assert m.weight is not m.weight
    with P.cached():
        a = m.weight
        assert m.weight is a
        with P.cached():
            assert m.weight is a
        assert m.weight is a
    assert m.weight is not a
    opt = nn.optim.SGD(m.parameters(), lr=0.1)
    x = A.randn(8, 3, device=device)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = (m(x) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    value = to_numpy(m.weight)
    P.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and "parametrizations" not in m._modules
    assert m.weight is orig and isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(to_numpy(m.weight), value, rtol=1e-6)
    assert list(m.state_dict()) == ["bias", "weight"]  # re-registered last, as in torch
    m2 = nn.Linear(3, 3).to(device)
    P.register_parametrization(m2, "weight", Scale())
    raw = to_numpy(m2.parametrizations.weight.original)
    P.remove_parametrizations(m2, "weight", leave_parametrized=False)
    np.testing.assert_allclose(to_numpy(m2.weight), raw)


def test_parametrize_errors():
    m = nn.Linear(3, 3)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
        P.register_parametrization(m, "nope", Symmetric())
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(m, "weight")

    class Shrink(nn.Module):
        def forward(self, X):
            return X[:2]

    with pytest.raises(ValueError, match="may not change the dtype or shape"):
        P.register_parametrization(nn.Linear(3, 3), "weight", Shrink())
    u = nn.Linear(3, 3)
    P.register_parametrization(u, "weight", Shrink(), unsafe=True)
    assert u.weight.shape == (2, 3)
    s = nn.Linear(3, 3)
    P.register_parametrization(s, "weight", Skew())
    with pytest.raises(RuntimeError, match="parametrization Skew does not implement right_inverse"):
        s.weight = A.zeros(3, 3)
    w = nn.Linear(3, 2)
    PZ.weight_norm(w)
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        P.remove_parametrizations(w, "weight", leave_parametrized=False)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'kernel'"):
        PZ.weight_norm(nn.Linear(2, 2), name="kernel")


def test_state_dict_roundtrip_and_deepcopy(tmp_path):
    import copy

    m = PZ.weight_norm(nn.Linear(4, 2))
    path = tmp_path / "wn.npz"
    nn.save(m.state_dict(), path)
    n = PZ.weight_norm(nn.Linear(4, 2))
    n.load_state_dict(nn.load(path))
    x = A.randn(3, 4)
    np.testing.assert_allclose(to_numpy(m(x)), to_numpy(n(x)), rtol=1e-6)
    c = copy.deepcopy(m)
    np.testing.assert_allclose(to_numpy(c(x)), to_numpy(m(x)), rtol=1e-6)
    assert c.parametrizations.weight.original1 is not m.parametrizations.weight.original1


@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 5)])
@pytest.mark.parametrize("omap", ["matrix_exp", "cayley", "householder", None])
@pytest.mark.parametrize("triv", [True, False])
def test_orthogonal_matches_torch(device, shape, omap, triv):
    if not triv and omap != "householder" and not (omap is None and shape[0] != shape[1]):
        with pytest.raises(NotImplementedError, match="use_trivialization=False"):
            PZ.orthogonal(nn.Linear(shape[1], shape[0]), orthogonal_map=omap, use_trivialization=triv)
        return
    ours = nn.Linear(shape[1], shape[0]).to(device)
    theirs = torch.nn.Linear(shape[1], shape[0])
    _copy_to_torch(ours, theirs)
    PZ.orthogonal(ours, orthogonal_map=omap, use_trivialization=triv)
    TPZ.orthogonal(theirs, orthogonal_map=omap, use_trivialization=triv)
    w = to_numpy(ours.weight).astype(np.float64)
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-5)
    # the first columns of the (sign-fixed) QR basis do not depend on torch's random completion: same weight
    np.testing.assert_allclose(w, theirs.weight.detach().numpy(), atol=1e-5)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((2, shape[1])).astype(np.float32)
    if shape[0] == shape[1] or not triv:  # no random completion in play: gradients agree too
        _grads_match(ours, theirs, x, device)
    # training keeps the constraint
    opt = nn.optim.SGD(ours.parameters(), lr=0.05)
    for _ in range(5):
        opt.zero_grad()
        ((ours(A.tensor(x, device=device)) - 0.5) ** 2).sum().backward()
        opt.step()
    w = to_numpy(ours.weight).astype(np.float64)
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-4)


def test_orthogonal_assign_and_errors():
    m = PZ.orthogonal(nn.Linear(3, 3))
    q = np.linalg.qr(np.random.default_rng(2).standard_normal((3, 3)))[0].astype(np.float32)
    m.weight = A.tensor(q)
    np.testing.assert_allclose(to_numpy(m.weight), q, atol=1e-5)
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices of shape"):
        m.weight = A.eye(2)
    with pytest.raises(
        ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions"
    ):
        PZ.orthogonal(nn.Linear(3, 3), "bias")
    with pytest.raises(
        ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder"'
    ):
        PZ.orthogonal(nn.Linear(3, 3), orthogonal_map="givens")


def test_geqrf_and_householder_product_match_torch(device):
    rng = np.random.default_rng(4)
    for shape in [(5, 3), (2, 4, 4), (3, 6)]:
        x = rng.standard_normal(shape)
        a, tau = A.geqrf(A.tensor(x, device=device))
        ta, ttau = torch.geqrf(torch.tensor(x))
        np.testing.assert_allclose(to_numpy(a), ta.numpy(), atol=1e-12)
        np.testing.assert_allclose(to_numpy(tau), ttau.numpy(), atol=1e-12)
        if shape[-2] >= shape[-1]:
            q = A.linalg.householder_product(a, tau)
            np.testing.assert_allclose(
                to_numpy(q), torch.linalg.householder_product(ta, ttau).numpy(), atol=1e-12
            )
    # gradients through householder_product
    av = rng.standard_normal((4, 3))
    tv = rng.uniform(0.5, 1.5, 3)
    a = A.tensor(av, requires_grad=True, device=device)
    t = A.tensor(tv, requires_grad=True, device=device)
    (
        A.linalg.householder_product(a, t) ** 2 * A.arange(12.0, device=device).reshape(4, 3).double()
    ).sum().backward()
    ta = torch.tensor(av, requires_grad=True)
    tt = torch.tensor(tv, requires_grad=True)
    (
        torch.linalg.householder_product(ta, tt) ** 2 * torch.arange(12.0).reshape(4, 3).double()
    ).sum().backward()
    np.testing.assert_allclose(to_numpy(a.grad), ta.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(to_numpy(t.grad), tt.grad.numpy(), atol=1e-10)
    with pytest.raises(RuntimeError, match="must be greater than or equal to input.shape"):
        A.linalg.householder_product(A.ones(2, 3), A.ones(2))
