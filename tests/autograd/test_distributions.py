"""autograd.distributions against torch.distributions: values and parameter gradients of log_prob, entropy,
moments, cdf/icdf and KL; sample/rsample shapes, devices and statistics; validation errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as A
import autograd.distributions as D
from autograd.distributions import constraints

torch = pytest.importorskip("torch")
TD = torch.distributions

RNG = np.random.default_rng(0)
SPD = np.array([[2.0, 0.5, 0.1], [0.5, 1.0, 0.3], [0.1, 0.3, 1.5]])
SPD2 = np.array([[1.0, -0.2, 0.0], [-0.2, 0.7, 0.1], [0.0, 0.1, 0.9]])


def _u(*shape):
    return RNG.uniform(0.05, 0.95, shape)


def _pos(*shape):
    return RNG.uniform(0.5, 2.0, shape)


def _real(*shape):
    return RNG.normal(size=shape)


def _tril(*batch):
    low = np.tril(RNG.normal(size=batch + (3, 3)) * 0.3)
    idx = np.arange(3)
    low[..., idx, idx] = RNG.uniform(0.5, 1.5, batch + (3,))
    return low


# name: (builder(M, params), params, value, quantities). The builder runs on autograd.distributions and on
# torch.distributions alike; every float parameter gets a gradient.
CASES = {
    "Normal": (
        lambda M, p: M.Normal(p["loc"], p["scale"]),
        {"loc": _real(2, 3), "scale": _pos(3)},
        _real(4, 2, 3),
        ("log_prob", "entropy", "mean", "mode", "variance", "stddev", "cdf", "icdf"),
    ),
    "Uniform": (
        lambda M, p: M.Uniform(p["low"], p["low"] + p["width"]),
        {"low": _real(3), "width": _pos(3)},
        None,
        ("entropy", "mean", "variance", "stddev", "icdf"),
    ),
    "Exponential": (
        lambda M, p: M.Exponential(p["rate"]),
        {"rate": _pos(2, 3)},
        _pos(2, 3),
        ("log_prob", "entropy", "mean", "mode", "variance", "stddev", "cdf", "icdf"),
    ),
    "Laplace": (
        lambda M, p: M.Laplace(p["loc"], p["scale"]),
        {"loc": _real(3), "scale": _pos(3)},
        _real(5, 3),
        ("log_prob", "entropy", "mean", "mode", "variance", "stddev", "cdf", "icdf"),
    ),
    "LogNormal": (
        lambda M, p: M.LogNormal(p["loc"], p["scale"]),
        {"loc": _real(3) * 0.5, "scale": _pos(3) * 0.5},
        _pos(2, 3),
        ("log_prob", "entropy", "mean", "mode", "variance", "cdf", "icdf"),
    ),
    "Bernoulli(probs)": (
        lambda M, p: M.Bernoulli(probs=p["probs"]),
        {"probs": _u(2, 3)},
        RNG.integers(0, 2, (2, 3)).astype(float),
        ("log_prob", "entropy", "mean", "variance"),
    ),
    "Bernoulli(logits)": (
        lambda M, p: M.Bernoulli(logits=p["logits"]),
        {"logits": _real(4) * 3},
        RNG.integers(0, 2, (3, 4)).astype(float),
        ("log_prob", "entropy", "mean", "mode", "variance"),
    ),
    "Categorical(probs)": (
        lambda M, p: M.Categorical(probs=p["probs"]),
        {"probs": _pos(2, 4)},
        RNG.integers(0, 4, (3, 2)),
        ("log_prob", "entropy", "mode", "probs", "logits"),
    ),
    "Categorical(logits)": (
        lambda M, p: M.Categorical(logits=p["logits"]),
        {"logits": _real(2, 4) * 2},
        RNG.integers(0, 4, (2,)),
        ("log_prob", "entropy", "mode", "probs", "logits"),
    ),
    "OneHotCategorical": (
        lambda M, p: M.OneHotCategorical(logits=p["logits"]),
        {"logits": _real(2, 4)},
        np.eye(4)[RNG.integers(0, 4, (3, 2))],
        ("log_prob", "entropy", "mean", "mode", "variance"),
    ),
    "Independent(Normal)": (
        lambda M, p: M.Independent(M.Normal(p["loc"], p["scale"]), 1),
        {"loc": _real(2, 3), "scale": _pos(2, 3)},
        _real(4, 2, 3),
        ("log_prob", "entropy", "mean", "variance"),
    ),
    "MVN(scale_tril)": (
        lambda M, p: M.MultivariateNormal(p["loc"], scale_tril=p["scale_tril"]),
        {"loc": _real(2, 3), "scale_tril": _tril()},
        _real(4, 2, 3),
        ("log_prob", "entropy", "mean", "variance", "covariance_matrix", "precision_matrix"),
    ),
    "MVN(covariance_matrix)": (
        lambda M, p: M.MultivariateNormal(p["loc"], covariance_matrix=p["cov"]),
        {"loc": _real(3), "cov": np.stack([SPD, SPD2])},
        _real(4, 2, 3),
        ("log_prob", "entropy", "variance", "scale_tril", "precision_matrix"),
    ),
    "MVN(precision_matrix)": (
        lambda M, p: M.MultivariateNormal(p["loc"], precision_matrix=p["prec"]),
        {"loc": _real(3), "prec": SPD},
        _real(2, 3),
        ("log_prob", "entropy", "variance", "scale_tril", "covariance_matrix"),
    ),
    "MixtureSameFamily(Normal)": (
        lambda M, p: M.MixtureSameFamily(M.Categorical(logits=p["w"]), M.Normal(p["loc"], p["scale"])),
        {"w": _real(2, 3), "loc": _real(2, 3), "scale": _pos(2, 3)},
        _real(5, 2),
        ("log_prob", "mean", "variance", "cdf"),
    ),
    "MixtureSameFamily(Independent)": (
        lambda M, p: M.MixtureSameFamily(
            M.Categorical(logits=p["w"]), M.Independent(M.Normal(p["loc"], p["scale"]), 1)
        ),
        {"w": _real(3), "loc": _real(3, 2), "scale": _pos(3, 2)},
        _real(4, 2),
        ("log_prob", "mean", "variance"),
    ),
    "Tanh(Normal)": (
        lambda M, p: M.TransformedDistribution(
            M.Normal(p["loc"], p["scale"]), [M.transforms.TanhTransform()]
        ),
        {"loc": _real(3), "scale": _pos(3)},
        RNG.uniform(-0.9, 0.9, (2, 3)),
        ("log_prob",),
    ),
    "Affine(Exponential)": (
        lambda M, p: M.TransformedDistribution(
            M.Exponential(p["rate"]),
            [M.transforms.AffineTransform(1.0, p["scale"]), M.transforms.ExpTransform()],
        ),
        {"rate": _pos(3), "scale": _pos(3)},
        RNG.uniform(3.0, 6.0, (2, 3)),
        ("log_prob", "cdf", "icdf"),
    ),
}


def _quantity(d, q, value, u):
    if q in ("log_prob", "cdf"):
        return getattr(d, q)(value)
    if q == "icdf":
        return d.icdf(u)
    if q == "entropy":
        return d.entropy()
    return getattr(d, q)


def _close(stage, ours, ref, atol=1e-7, rtol=1e-6):
    got = ours.detach().cpu().numpy()
    want = ref.detach().numpy()
    assert got.shape == want.shape, f"{stage}: shape {got.shape} != torch {want.shape}"
    np.testing.assert_allclose(got, want, atol=atol, rtol=rtol, equal_nan=True, err_msg=stage)


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_match_torch(device, name):
    check_case(device, name, *CASES[name])


def check_case(device, name, build, params, value, quantities):
    """Each quantity of ``build(D, params)`` and its parameter gradients equal torch's (float64)."""
    d_t = build(TD, {k: torch.tensor(v) for k, v in params.items()})
    batch_event = tuple(d_t.batch_shape) + tuple(d_t.event_shape)
    u = _u(*batch_event)
    for q in quantities:
        ours = {k: A.tensor(v, device=device, requires_grad=True) for k, v in params.items()}
        theirs = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        d, dt = build(D, ours), build(TD, theirs)
        assert d.batch_shape == tuple(dt.batch_shape) and d.event_shape == tuple(dt.event_shape), name
        assert d.has_rsample == dt.has_rsample, name
        assert d.support.is_discrete == dt.support.is_discrete, name
        v = None if value is None else A.tensor(value, device=device)
        vt = None if value is None else torch.tensor(value)
        out = _quantity(d, q, v, A.tensor(u, device=device))
        ref = _quantity(dt, q, vt, torch.tensor(u))
        assert out.device == A.device(device), f"{name}.{q}: result on {out.device}"
        _close(f"{name}.{q}", out, ref)
        if not ref.requires_grad:
            continue
        w = RNG.normal(size=tuple(ref.shape))
        (out * A.tensor(w, device=device)).sum().backward()
        (ref * torch.tensor(w)).sum().backward()
        for k in params:
            tg = theirs[k].grad
            og = ours[k].grad
            if tg is None or not torch.any(tg != 0):
                assert og is None or not np.any(og.cpu().numpy()), f"{name}.{q}: grad of {k}: torch has none"
                continue
            assert og is not None, f"{name}.{q}: no gradient reached {k}"
            if q == "precision_matrix" and k == "scale_tril":
                # torch's cholesky_inverse also sends gradient to the (unused, zero) upper triangle; ours reads
                # only the lower triangle, so only that part of the gradient is defined
                og, tg = og.tril(), tg.tril()
            _close(f"{name}.{q}: grad of {k}", og, tg, atol=1e-6, rtol=1e-5)


KL_CASES = {
    "Normal": (lambda M, p: M.Normal(p["a"], p["b"]), lambda: {"a": _real(2, 3), "b": _pos(3)}),
    "Bernoulli": (lambda M, p: M.Bernoulli(logits=p["a"]), lambda: {"a": _real(3) * 2}),
    "Categorical": (lambda M, p: M.Categorical(probs=p["a"]), lambda: {"a": _pos(2, 4)}),
    "OneHotCategorical": (lambda M, p: M.OneHotCategorical(logits=p["a"]), lambda: {"a": _real(4)}),
    "Uniform": (
        lambda M, p: M.Uniform(p["a"], p["a"] + p["b"]),
        lambda: {"a": _real(3) * 0.1, "b": _pos(3) + 2},
    ),
    "Exponential": (lambda M, p: M.Exponential(p["a"]), lambda: {"a": _pos(3)}),
    "Laplace": (lambda M, p: M.Laplace(p["a"], p["b"]), lambda: {"a": _real(3), "b": _pos(3)}),
    "Independent": (
        lambda M, p: M.Independent(M.Normal(p["a"], p["b"]), 1),
        lambda: {"a": _real(2, 3), "b": _pos(2, 3)},
    ),
    "LogNormal": (lambda M, p: M.LogNormal(p["a"], p["b"]), lambda: {"a": _real(3), "b": _pos(3)}),
    "MultivariateNormal": (
        lambda M, p: M.MultivariateNormal(p["a"], scale_tril=p["b"]),
        lambda: {"a": _real(2, 3), "b": _tril()},
    ),
    "MultivariateNormal(cov)": (
        lambda M, p: M.MultivariateNormal(p["a"], covariance_matrix=p["b"]),
        lambda: {"a": _real(3), "b": SPD + RNG.uniform(0, 0.5) * np.eye(3)},
    ),
}


@pytest.mark.parametrize("name", list(KL_CASES))
def test_kl_divergence_matches_torch(device, name):
    build, make = KL_CASES[name]
    pp, qp = make(), make()
    ours = [{k: A.tensor(v, device=device, requires_grad=True) for k, v in p.items()} for p in (pp, qp)]
    theirs = [{k: torch.tensor(v, requires_grad=True) for k, v in p.items()} for p in (pp, qp)]
    kl = D.kl_divergence(build(D, ours[0]), build(D, ours[1]))
    ref = TD.kl_divergence(build(TD, theirs[0]), build(TD, theirs[1]))
    _close(f"KL {name}", kl, ref)
    assert D.kl_divergence(build(D, ours[0]), build(D, ours[0])).abs().max().item() < 1e-6
    kl.sum().backward()
    ref.sum().backward()
    for o, t in zip(ours, theirs):
        for k in o:
            _close(f"KL {name}: grad of {k}", o[k].grad, t[k].grad, atol=1e-6, rtol=1e-5)


def test_kl_infinite_where_support_not_covered(device):
    p = D.Uniform(A.tensor([0.0, 0.0], device=device), A.tensor([1.0, 1.0], device=device))
    q = D.Uniform(A.tensor([0.5, -1.0], device=device), A.tensor([2.0, 2.0], device=device))
    assert D.kl_divergence(p, q).tolist() == [math.inf, pytest.approx(math.log(3.0))]
    b0 = D.Bernoulli(probs=A.tensor([0.0, 0.3], device=device))
    b1 = D.Bernoulli(probs=A.tensor([0.5, 0.0], device=device))
    assert D.kl_divergence(b0, b1).tolist() == pytest.approx(
        TD.kl_divergence(
            TD.Bernoulli(torch.tensor([0.0, 0.3])), TD.Bernoulli(torch.tensor([0.5, 0.0]))
        ).tolist()
    )
    c0 = D.Categorical(probs=A.tensor([0.5, 0.5, 0.0], device=device))
    c1 = D.Categorical(probs=A.tensor([0.0, 0.5, 0.5], device=device))
    assert D.kl_divergence(c0, c1).item() == math.inf
    assert D.kl_divergence(c1, c1).item() == pytest.approx(0.0, abs=1e-7)


def test_kl_dispatch_errors_and_register(device):
    n = D.Normal(A.zeros(2, device=device), 1.0)
    e = D.Exponential(A.ones(2, device=device))
    with pytest.raises(
        NotImplementedError,
        match="No KL\\(p \\|\\| q\\) is implemented for p type Normal and q type Exponential",
    ):
        D.kl_divergence(n, e)
    with pytest.raises(TypeError, match="Distribution subclass"):
        D.register_kl(int, D.Normal)

    class MyNormal(D.Normal):
        pass

    # a subclass falls back to its parent's rule until it registers its own (the most specific wins)
    m = MyNormal(A.ones(2, device=device), 1.0)
    assert D.kl_divergence(m, n).tolist() == pytest.approx([0.5, 0.5])

    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return p.loc * 0 + 42.0

    assert D.kl_divergence(m, n).tolist() == [42.0, 42.0]
    assert D.kl_divergence(n, n).tolist() == [0.0, 0.0]
    i1 = D.Independent(D.Normal(A.zeros(2, 3, device=device), 1.0), 1)
    i2 = D.Independent(D.Normal(A.zeros(2, 3, device=device), 1.0), 2)
    with pytest.raises(NotImplementedError, match="reinterpreted_batch_ndims"):
        D.kl_divergence(i1, i2)
    m2 = D.MultivariateNormal(A.zeros(2, device=device), scale_tril=A.eye(2, device=device))
    m3 = D.MultivariateNormal(A.zeros(3, device=device), scale_tril=A.eye(3, device=device))
    with pytest.raises(ValueError, match="different event shapes"):
        D.kl_divergence(m2, m3)


def _dists(device):
    t = lambda x: A.tensor(x, device=device)  # noqa: E731
    return {
        "Normal": D.Normal(t([0.0, 1.0, -2.0]), t([1.0, 0.5, 2.0])),
        "Uniform": D.Uniform(t([0.0, 1.0, -2.0]), t([1.0, 3.0, 2.0])),
        "Exponential": D.Exponential(t([1.0, 0.5, 2.0])),
        "Laplace": D.Laplace(t([0.0, 1.0, -2.0]), t([1.0, 0.5, 2.0])),
        "LogNormal": D.LogNormal(t([0.0, 0.3, -0.5]), t([0.5, 0.25, 0.4])),
        "Bernoulli": D.Bernoulli(probs=t([0.1, 0.5, 0.8])),
        "Categorical": D.Categorical(probs=t([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0], [0.3, 0.3, 0.4]])),
        "OneHotCategorical": D.OneHotCategorical(
            logits=t([[0.0, 1.0, 2.0], [2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
        ),
        "Independent": D.Independent(D.Normal(t([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]), 0.5), 1),
        "MultivariateNormal": D.MultivariateNormal(
            t([[0.0, 1.0], [1.0, -1.0], [2.0, 0.0]]), covariance_matrix=t([[1.0, 0.6], [0.6, 2.0]])
        ),
        "MixtureSameFamily": D.MixtureSameFamily(
            D.Categorical(probs=t([0.3, 0.7])), D.Normal(t([[-2.0, 2.0]] * 3), t([0.5, 1.0]))
        ),
    }


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 4)])
def test_sample_shapes_devices_and_grad(device, sample_shape):
    for name, d in _dists(device).items():
        expected = tuple(sample_shape) + d.batch_shape + d.event_shape
        assert d.batch_shape == (3,), name
        s = d.sample(sample_shape)
        assert tuple(s.shape) == expected, f"{name}: sample shape {tuple(s.shape)} != {expected}"
        assert s.device == A.device(device), name
        assert not s.requires_grad, name
        assert d.log_prob(s).shape == tuple(sample_shape) + d.batch_shape, name
        if d.has_rsample:
            assert tuple(d.rsample(sample_shape).shape) == expected, name
        else:
            with pytest.raises(NotImplementedError):
                d.rsample(sample_shape)


def test_sample_statistics(device):
    n = 20000
    for name, d in _dists(device).items():
        s = d.sample((n,)).double()
        mean = d.mean.double()
        if name == "Categorical":
            mean = (d.probs * A.arange(3, device=device)).sum(-1).double()
            var = (d.probs * A.arange(3, device=device) ** 2).sum(-1).double() - mean**2
        else:
            var = d.variance.double()
        got_mean, got_var = s.mean(0), s.var(0)
        tol = 5 * (var / n).sqrt() + 1e-6
        assert bool(((got_mean - mean).abs() <= tol).all()), f"{name}: mean {got_mean} vs {mean}"
        assert bool(((got_var - var).abs() <= 0.06 * var + 1e-6).all()), f"{name}: var {got_var} vs {var}"


def test_categorical_sample_frequencies(device):
    probs = A.tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]], device=device)
    s = D.Categorical(probs=probs).sample((20000,))
    assert s.dtype == A.int64
    freq = A.one_hot(s, 3).double().mean(0)
    assert np.allclose(freq.cpu().numpy(), probs.cpu().numpy(), atol=0.02)
    assert not bool((s[:, 1] == 2).any())  # a zero-probability category is never drawn


def test_rsample_is_reparameterized(device):
    loc = A.tensor([0.5, -1.0], device=device, requires_grad=True)
    scale = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    x = D.Normal(loc, scale).rsample((4000,))
    assert x.requires_grad
    (x**2).mean(0).sum().backward()  # E[x^2] = loc^2 + scale^2
    assert np.allclose(loc.grad.cpu().numpy(), [1.0, -2.0], atol=0.15)
    assert np.allclose(scale.grad.cpu().numpy(), [2.0, 4.0], atol=0.25)
    assert not D.Normal(loc, scale).sample((3,)).requires_grad
    low = A.tensor(2.0, device=device, requires_grad=True)
    high = A.tensor(5.0, device=device, requires_grad=True)
    D.Uniform(low, high).rsample((100,)).mean().backward()
    assert low.grad.item() == pytest.approx(0.5, abs=0.1) and high.grad.item() == pytest.approx(0.5, abs=0.1)
    for d, param in [
        (lambda r: D.Exponential(r), A.tensor([2.0], device=device, requires_grad=True)),
        (lambda s: D.Laplace(0.0, s), A.tensor([2.0], device=device, requires_grad=True)),
        (lambda s: D.LogNormal(0.0, s), A.tensor([0.5], device=device, requires_grad=True)),
        (
            lambda s: D.MultivariateNormal(A.zeros(2, device=device), scale_tril=s),
            A.tensor([[1.0, 0.0], [0.5, 2.0]], device=device, requires_grad=True),
        ),
    ]:
        d(param).rsample((10,)).sum().backward()
        assert param.grad is not None and bool((param.grad != 0).any())


def test_mvn_rsample_covariance(device):
    cov = np.array([[1.0, 0.6], [0.6, 2.0]])
    d = D.MultivariateNormal(
        A.tensor([1.0, -1.0], device=device), covariance_matrix=A.tensor(cov, dtype=A.float32, device=device)
    )
    s = d.sample((20000,)).cpu().numpy()
    assert np.allclose(np.cov(s.T), cov, atol=0.08)
    assert np.allclose(s.mean(0), [1.0, -1.0], atol=0.05)


def test_onehot_straight_through(device):
    logits = A.tensor([0.0, 1.0, 2.0], device=device, requires_grad=True)
    d = D.OneHotCategoricalStraightThrough(logits=logits)
    s = d.rsample((5,))
    assert set(s.sum(-1).tolist()) == {1.0}
    (s * A.tensor([1.0, 2.0, 3.0], device=device)).sum().backward()
    assert logits.grad is not None and bool((logits.grad != 0).any())


def test_lazy_parameters_first_touched_by_sample_keep_their_graph(device):
    for make in (lambda lg: D.Bernoulli(logits=lg), lambda lg: D.Categorical(logits=lg)):
        lg = A.tensor([0.3, -1.0, 2.0], device=device, requires_grad=True)
        d = make(lg)
        d.sample((2,))  # computes probs under no_grad
        assert d.probs.requires_grad
        d.entropy().sum().backward()
        assert lg.grad is not None and bool((lg.grad != 0).any())


def test_logits_are_numerically_stable(device):
    lg = A.tensor([80.0, -80.0, 0.0], device=device, requires_grad=True)
    b = D.Bernoulli(logits=lg)
    lp = b.log_prob(A.tensor([0.0, 1.0, 1.0], device=device))
    assert np.allclose(lp.detach().cpu().numpy(), [-80.0, -80.0, -math.log(2)], rtol=1e-6)
    lp.sum().backward()
    assert np.allclose(lg.grad.cpu().numpy(), [-1.0, 1.0, 0.5])
    c = D.Categorical(logits=A.tensor([[1000.0, 0.0, -1000.0]], device=device))
    assert c.log_prob(A.tensor([1], device=device)).item() == pytest.approx(-1000.0)
    assert math.isfinite(c.entropy().item())


def test_enumerate_support_and_expand(device):
    b = D.Bernoulli(probs=A.tensor([0.2, 0.9], device=device))
    tb = TD.Bernoulli(probs=torch.tensor([0.2, 0.9]))
    assert b.enumerate_support().tolist() == tb.enumerate_support().tolist()
    assert tuple(b.enumerate_support(expand=False).shape) == (2, 1)
    c = D.Categorical(logits=A.zeros(2, 3, device=device))
    assert (
        c.enumerate_support().tolist()
        == TD.Categorical(logits=torch.zeros(2, 3)).enumerate_support().tolist()
    )
    o = D.OneHotCategorical(logits=A.zeros(3, device=device))
    assert o.enumerate_support().tolist() == np.eye(3).tolist()
    for name, d in _dists(device).items():
        e = d.expand((4, 3))
        assert e.batch_shape == (4, 3) and e.event_shape == d.event_shape, name
        assert tuple(e.sample((2,)).shape) == (2, 4, 3) + d.event_shape, name
        x = d.sample()
        assert np.allclose(
            e.log_prob(x).cpu().numpy(), np.broadcast_to(d.log_prob(x).cpu().numpy(), (4, 3))
        ), name


def test_parameter_validation_errors(device):
    t = lambda x: A.tensor(x, device=device)  # noqa: E731
    msg = (
        r"Expected parameter scale \(Tensor of shape \(2,\)\) of distribution Normal\(loc: \(2,\), scale: \(2,\)\) "
        r"to satisfy the constraint GreaterThan\(lower_bound=0.0\), but found invalid values"
    )
    with pytest.raises(ValueError, match=msg):
        D.Normal(t([0.0, 1.0]), t([1.0, -1.0]))
    with pytest.raises(ValueError, match="constraint Real\\(\\)"):
        D.Normal(t([0.0, float("nan")]), 1.0)
    with pytest.raises(ValueError, match="parameter low .* LessThan"):
        D.Uniform(1.0, 0.0)
    with pytest.raises(ValueError, match="Interval\\(lower_bound=0.0, upper_bound=1.0\\)"):
        D.Bernoulli(probs=t([1.5]))
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both"):
        D.Bernoulli(probs=t([0.5]), logits=t([0.0]))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Categorical()
    with pytest.raises(ValueError, match="`probs` parameter must be at least one-dimensional"):
        D.Categorical(probs=t(1.0))
    with pytest.raises(ValueError, match="Simplex"):
        D.Categorical(probs=t([0.5, -0.1, 0.6]))
    with pytest.raises(
        ValueError, match="Exactly one of covariance_matrix or precision_matrix or scale_tril"
    ):
        D.MultivariateNormal(t([0.0, 0.0]))
    with pytest.raises(ValueError, match="PositiveDefinite"):
        D.MultivariateNormal(t([0.0, 0.0]), covariance_matrix=t([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="LowerCholesky"):
        D.MultivariateNormal(t([0.0, 0.0]), scale_tril=t([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
        D.MultivariateNormal(t(0.0), scale_tril=t([[1.0]]))
    with pytest.raises(
        ValueError, match="reinterpreted_batch_ndims <= len\\(base_distribution.batch_shape\\), actual 2 vs 1"
    ):
        D.Independent(D.Normal(t([0.0, 0.0]), 1.0), 2)
    with pytest.raises(ValueError, match="needs to be an  instance of torch.distributions.Categorical"):
        D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(t([0.0, 0.0]), 1.0))
    with pytest.raises(ValueError, match="does not equal `component_distribution.batch_shape\\[-1\\]`"):
        D.MixtureSameFamily(D.Categorical(logits=t([0.0, 0.0, 0.0])), D.Normal(t([0.0, 0.0]), 1.0))
    # validate_args=False skips the checks (as in torch)
    assert D.Normal(t([0.0]), t([-1.0]), validate_args=False).scale.item() == -1.0


def test_sample_validation_errors(device):
    d = D.Exponential(A.tensor([1.0, 2.0], device=device))
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        d.log_prob(1.0)
    with pytest.raises(
        ValueError, match=r"Value is not broadcastable with batch_shape\+event_shape: \(3,\) vs \(2,\)"
    ):
        d.log_prob(A.ones(3, device=device))
    with pytest.raises(
        ValueError,
        match=r"Expected value argument \(Tensor of shape \(2,\)\) to be within the support \(GreaterThanEq\(lower_bound=0.0\)\) of the distribution Exponential\(rate: \(2,\)\)",
    ):
        d.log_prob(A.tensor([-1.0, 1.0], device=device))
    m = D.MultivariateNormal(A.zeros(2, device=device), scale_tril=A.eye(2, device=device))
    with pytest.raises(
        ValueError, match="The right-most size of value must match event_shape: \\(3,\\) vs \\(2,\\)"
    ):
        m.log_prob(A.zeros(3, device=device))
    with pytest.raises(ValueError, match="IntegerInterval\\(lower_bound=0, upper_bound=2\\)"):
        D.Categorical(logits=A.zeros(3, device=device)).log_prob(A.tensor(1.5, device=device))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log of a negative scale
def test_set_default_validate_args(device):
    try:
        D.Distribution.set_default_validate_args(False)
        d = D.Normal(A.tensor([0.0], device=device), A.tensor([-1.0], device=device))
        assert not bool(d.log_prob(A.tensor([float("nan")], device=device)).isfinite().all())
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(A.tensor([0.0], device=device), A.tensor([-1.0], device=device))
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args(3)


def test_missing_methods_and_reprs(device):
    with pytest.raises(NotImplementedError, match="does not implement entropy"):
        D.MixtureSameFamily(
            D.Categorical(logits=A.zeros(2, device=device)), D.Normal(A.zeros(2, device=device), 1.0)
        ).entropy()
    assert repr(D.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert (
        repr(D.Independent(D.Normal(A.zeros(2), 1.0), 1)) == "Independent(Normal(loc: (2,), scale: (2,)), 1)"
    )
    assert repr(constraints.real_vector) == "IndependentConstraint(Real(), 1)"
    assert repr(constraints.positive) == repr(TD.constraints.positive)
    assert repr(constraints.integer_interval(0, 3)) == repr(TD.constraints.integer_interval(0, 3))
    assert D.Normal(0.0, 1.0).perplexity().item() == pytest.approx(
        math.exp(0.5 + 0.5 * math.log(2 * math.pi))
    )
    assert D.Uniform(0.0, 1.0).support.check(A.tensor([0.5, 1.5])).tolist() == [True, False]
    assert D.Normal(0.0, 1.0).batch_shape == () and D.Normal(0.0, 1.0).sample().dtype == A.float32


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 0 * inf in the backward of the +-inf ends
def test_normal_icdf_tails_match_torch(device):
    p = np.array([0.0, 1e-30, 1e-10, 1e-5, 0.3, 0.5, 0.7, 1 - 1e-7, 1 - 1e-12, 1.0])
    x = A.tensor(p, device=device, requires_grad=True)
    got = D.Normal(0.0, 1.0).icdf(x)
    want = TD.Normal(0.0, 1.0).icdf(torch.tensor(p))
    np.testing.assert_allclose(got.detach().cpu().numpy(), want.numpy(), rtol=1e-6)
    got[3:8].sum().backward()  # d icdf / dp = 1 / pdf(icdf(p))
    pdf = np.exp(-(want.numpy()[3:8] ** 2) / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(x.grad.cpu().numpy()[3:8], 1 / pdf, rtol=1e-6)


def test_mvn_gradcheck_and_double_backward(device):
    loc = A.tensor(_real(2, 3), device=device, requires_grad=True)
    cov = A.tensor(SPD, device=device, requires_grad=True)
    value = A.tensor(_real(2, 3), device=device)

    def lp(loc, cov):
        cov = 0.5 * (cov + cov.mT)  # perturbations keep it symmetric
        return D.MultivariateNormal(loc, covariance_matrix=cov, validate_args=False).log_prob(value)

    assert A.gradcheck(lp, (loc, cov), eps=1e-6, atol=1e-5, rtol=1e-4)
    assert A.gradgradcheck(lp, (loc, cov), eps=1e-6, atol=1e-5, rtol=1e-4)


def test_mixture_with_unbatched_weights_samples_every_batch_row(device):
    # torch's sample fails when the mixture weights have fewer batch dims than the components; ours broadcasts
    loc = A.tensor([[-10.0, 10.0]] * 3, device=device)
    d = D.MixtureSameFamily(D.Categorical(probs=A.tensor([0.25, 0.75], device=device)), D.Normal(loc, 0.1))
    s = d.sample((4000,))
    assert tuple(s.shape) == (4000, 3)
    frac = (s > 0).double().mean(0).cpu().numpy()
    assert np.allclose(frac, 0.75, atol=0.03)
    assert np.allclose(
        d.log_prob(s).cpu().numpy(),
        TD.MixtureSameFamily(
            TD.Categorical(probs=torch.tensor([0.25, 0.75])),
            TD.Normal(torch.tensor([[-10.0, 10.0]] * 3), 0.1),
        )
        .log_prob(torch.tensor(s.cpu().numpy()))
        .numpy(),
        atol=1e-5,
    )


def test_transformed_rsample_and_support(device):
    d = D.TransformedDistribution(
        D.Normal(A.zeros(3, device=device, requires_grad=True), 1.0), [D.transforms.TanhTransform()]
    )
    s = d.rsample((100,))
    assert tuple(s.shape) == (100, 3) and s.requires_grad and bool((s.abs() < 1).all())
    assert d.has_rsample and d.batch_shape == (3,)
    with pytest.raises(ValueError, match="within the support"):
        d.log_prob(A.tensor([0.0, 2.0, 0.0], device=device))
    ln = D.LogNormal(A.zeros(2, device=device), 1.0)
    assert bool((ln.sample((50,)) > 0).all()) and ln.batch_shape == (2,)


def test_number_parameters_work_with_values_on_any_device(device):
    # Normal(0., 1.) holds CPU 0-d tensors (as torch); like torch they act as scalars next to device values
    cases = [
        (D.Normal(0.0, 1.0), ("log_prob", "cdf", "icdf")),
        (D.Laplace(0.0, 2.0), ("log_prob", "cdf", "icdf")),
        (D.Exponential(1.5), ("log_prob", "cdf", "icdf")),
        (D.Uniform(0.0, 2.0), ("log_prob", "cdf", "icdf")),
        (D.LogNormal(0.0, 1.0), ("log_prob", "cdf", "icdf")),
        (D.Bernoulli(0.3), ("log_prob",)),
    ]
    u = np.array([0.2, 0.5, 0.9])
    for d, qs in cases:
        for q in qs:
            value = (u > 0.4).astype(float) if isinstance(d, D.Bernoulli) else u
            got = getattr(d, q)(A.tensor(value, dtype=A.float32, device=device))
            want = getattr(d, q)(A.tensor(value, dtype=A.float32))
            assert got.device == A.device(device), f"{d}.{q}"
            np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-6, err_msg=f"{d}.{q}")


def test_validation_messages_equal_torch_for_scalar_parameters():
    for build in (
        lambda M, t: M.Uniform(t(1.0), t(0.0)),
        lambda M, t: M.Normal(t(0.0), t(-1.0)),
        lambda M, t: M.Exponential(t(0.0)),
        lambda M, t: M.Bernoulli(probs=t(1.5)),
    ):
        with pytest.raises(ValueError) as ours:
            build(D, A.tensor)
        with pytest.raises(ValueError) as theirs:
            build(TD, torch.tensor)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError) as ours:
        D.Normal(0.0, 1.0).log_prob(A.tensor(float("nan")))
    with pytest.raises(ValueError) as theirs:
        TD.Normal(0.0, 1.0).log_prob(torch.tensor(float("nan")))
    assert str(ours.value) == str(theirs.value)
