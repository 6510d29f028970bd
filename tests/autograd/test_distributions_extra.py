"""The gamma-family and heavy-tailed distributions (Gamma, Chi2, Beta, Dirichlet, Poisson, Binomial, Geometric,
StudentT, Cauchy, HalfNormal, HalfCauchy, Gumbel) against torch.distributions: values and parameter gradients,
KL divergences, sample statistics, reparameterized gradients (the implicit standard-gamma gradient against
torch's and against a finite difference of torch's gammainc), validation errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_distributions import RNG, _close, _pos, _real, _u, check_case

import autograd as A
import autograd.distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions


def _counts(high, *shape):
    return RNG.integers(0, high + 1, shape).astype(float)


ALL = ("log_prob", "entropy", "mean", "mode", "variance")
CASES = {
    "Gamma": (
        lambda M, p: M.Gamma(p["a"], p["b"]),
        {"a": _pos(2, 3), "b": _pos(3)},
        _pos(4, 2, 3),
        ALL + ("stddev",),
    ),
    "Gamma(cdf)": (lambda M, p: M.Gamma(1.7, p["b"]), {"b": _pos(2, 3)}, _pos(2, 3) * 2, ("cdf",)),
    "Chi2": (lambda M, p: M.Chi2(p["df"]), {"df": _pos(3) * 3}, _pos(2, 3), ALL),
    "Beta": (
        lambda M, p: M.Beta(p["c1"], p["c0"]),
        {"c1": _pos(3) + 0.6, "c0": _pos(2, 3) + 0.6},
        _u(2, 3),
        ALL,
    ),
    "Dirichlet": (
        lambda M, p: M.Dirichlet(p["c"]),
        {"c": np.concatenate([_pos(1, 4) + 1.0, _pos(1, 4) * 0.4], 0)},
        RNG.dirichlet([1.0] * 4, (3, 2)),
        ALL,
    ),
    "Poisson": (
        lambda M, p: M.Poisson(p["rate"]),
        {"rate": _pos(2, 3) * 2},
        _counts(6, 2, 3),
        ALL[:1] + ALL[2:],
    ),
    "Binomial(probs)": (
        lambda M, p: M.Binomial(8, probs=p["p"]),
        {"p": _u(2, 3)},
        _counts(8, 2, 3),
        ALL,
    ),
    "Binomial(logits)": (
        lambda M, p: M.Binomial(5, logits=p["l"]),
        {"l": np.array([-1.5, 0.0, 0.7])},
        _counts(5, 4, 3),
        ALL,
    ),
    "Geometric(probs)": (lambda M, p: M.Geometric(probs=p["p"]), {"p": _u(2, 3)}, _counts(6, 2, 3), ALL),
    "Geometric(logits)": (lambda M, p: M.Geometric(logits=p["l"]), {"l": _real(3)}, _counts(6, 2, 3), ALL),
    "StudentT": (
        lambda M, p: M.StudentT(p["df"], p["loc"], p["scale"]),
        {"df": np.array([0.8, 1.5, 4.0]), "loc": _real(3), "scale": _pos(2, 3)},  # mean/variance: nan, inf
        _real(2, 3),
        ALL,
    ),
    "Cauchy": (
        lambda M, p: M.Cauchy(p["loc"], p["scale"]),
        {"loc": _real(3), "scale": _pos(2, 3)},
        _real(2, 3),
        ALL + ("cdf", "icdf"),
    ),
    "HalfNormal": (
        lambda M, p: M.HalfNormal(p["scale"]),
        {"scale": _pos(3)},
        _pos(2, 3),
        ALL + ("cdf", "icdf"),
    ),
    "HalfCauchy": (
        lambda M, p: M.HalfCauchy(p["scale"]),
        {"scale": _pos(3)},
        _pos(2, 3),
        ALL + ("cdf", "icdf"),
    ),
    "Gumbel": (
        lambda M, p: M.Gumbel(p["loc"], p["scale"]),
        {"loc": _real(3), "scale": _pos(2, 3)},
        _real(2, 3),
        ALL + ("stddev", "cdf", "icdf"),
    ),
    "ContinuousBernoulli(probs)": (
        lambda M, p: M.ContinuousBernoulli(probs=p["p"]),
        {"p": np.array([[0.1, 0.4995, 0.7], [0.3, 0.5004, 0.95]])},  # two inside the Taylor band
        _u(2, 3),
        ("log_prob", "entropy", "mean", "variance", "cdf", "icdf"),
    ),
    "ContinuousBernoulli(logits)": (
        lambda M, p: M.ContinuousBernoulli(logits=p["l"]),
        {"l": _real(3) * 2},
        _u(2, 3),
        ("log_prob", "entropy", "mean", "variance", "cdf", "icdf"),
    ),
    "LogisticNormal": (
        lambda M, p: M.LogisticNormal(p["loc"], p["scale"]),
        {"loc": _real(2, 3), "scale": _pos(3)},
        RNG.dirichlet([1.0] * 4, (5, 2)),
        ("log_prob",),
    ),
    "RelaxedBernoulli": (
        lambda M, p: M.RelaxedBernoulli(p["t"], logits=p["l"]),
        {"t": np.array(0.7), "l": _real(3)},
        _u(2, 3),
        ("log_prob",),
    ),
    "LogitRelaxedBernoulli": (
        lambda M, p: M.relaxed_bernoulli.LogitRelaxedBernoulli(p["t"], probs=p["p"]),
        {"t": np.array(1.3), "p": _u(3)},
        _real(2, 3),
        ("log_prob",),
    ),
    "RelaxedOneHotCategorical": (
        lambda M, p: M.RelaxedOneHotCategorical(p["t"], probs=p["p"]),
        {"t": np.array(0.5), "p": _pos(2, 4)},
        RNG.dirichlet([1.0] * 4, (3, 2)),
        ("log_prob",),
    ),
}


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # StudentT's inf variance, summed
@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_match_torch(device, name):
    check_case(device, name, *CASES[name])


KL_CASES = {
    "Gamma": (lambda M, p: M.Gamma(p["a"], p["b"]), lambda: {"a": _pos(2, 3), "b": _pos(3)}),
    "Chi2": (lambda M, p: M.Chi2(p["a"]), lambda: {"a": _pos(3) * 2}),
    "Beta": (lambda M, p: M.Beta(p["a"], p["b"]), lambda: {"a": _pos(3), "b": _pos(2, 3)}),
    "Dirichlet": (lambda M, p: M.Dirichlet(p["a"]), lambda: {"a": _pos(2, 4)}),
    "Poisson": (lambda M, p: M.Poisson(p["a"]), lambda: {"a": _pos(3)}),
    "Geometric": (lambda M, p: M.Geometric(probs=p["a"]), lambda: {"a": _u(3)}),
    "Binomial": (lambda M, p: M.Binomial(6, logits=p["a"]), lambda: {"a": _real(3)}),
    "Gumbel": (lambda M, p: M.Gumbel(p["a"], p["b"]), lambda: {"a": _real(3), "b": _pos(3)}),
    "HalfNormal": (lambda M, p: M.HalfNormal(p["a"]), lambda: {"a": _pos(2, 3)}),
    "Cauchy": (lambda M, p: M.Cauchy(p["a"], p["b"]), lambda: {"a": _real(3), "b": _pos(3)}),
    "ContinuousBernoulli": (lambda M, p: M.ContinuousBernoulli(logits=p["a"]), lambda: {"a": _real(3)}),
}
KL_CROSS = {
    "Exponential-Gamma": (
        lambda M, p: M.Exponential(p["r"]),
        lambda M, p: M.Gamma(p["a"], p["b"]),
        lambda: ({"r": _pos(3)}, {"a": _pos(3), "b": _pos(3)}),
    ),
    "Gamma-Exponential": (
        lambda M, p: M.Gamma(p["a"], p["b"]),
        lambda M, p: M.Exponential(p["r"]),
        lambda: ({"a": _pos(3), "b": _pos(3)}, {"r": _pos(3)}),
    ),
}


def _check_kl(device, name, build_p, build_q, pp, qp):
    ours = [{k: A.tensor(v, device=device, requires_grad=True) for k, v in p.items()} for p in (pp, qp)]
    theirs = [{k: torch.tensor(v, requires_grad=True) for k, v in p.items()} for p in (pp, qp)]
    kl = D.kl_divergence(build_p(D, ours[0]), build_q(D, ours[1]))
    ref = TD.kl_divergence(build_p(TD, theirs[0]), build_q(TD, theirs[1]))
    _close(f"KL {name}", kl, ref)
    kl.sum().backward()
    ref.sum().backward()
    for o, t in zip(ours, theirs):
        for k in o:
            _close(f"KL {name}: grad of {k}", o[k].grad, t[k].grad, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name", list(KL_CASES) + list(KL_CROSS))
def test_kl_divergence_matches_torch(device, name):
    if name in KL_CASES:
        build, make = KL_CASES[name]
        pp, qp = make(), make()
        _check_kl(device, name, build, build, pp, qp)
        same = D.kl_divergence(build(D, _tensors(pp, device)), build(D, _tensors(pp, device)))
        assert same.abs().max().item() < 1e-6, name
    else:
        build_p, build_q, make = KL_CROSS[name]
        _check_kl(device, name, build_p, build_q, *make())


def _tensors(params, device):
    return {k: A.tensor(v, device=device) for k, v in params.items()}


def test_binomial_kl_needs_covering_total_count(device):
    p = D.Binomial(A.tensor([3.0, 5.0], device=device), probs=A.tensor([0.3, 0.3], device=device))
    q = D.Binomial(A.tensor([3.0, 4.0], device=device), probs=A.tensor([0.5, 0.5], device=device))
    ref = TD.kl_divergence(
        TD.Binomial(torch.tensor([3.0, 5.0]), probs=torch.tensor([0.3, 0.3])),
        TD.Binomial(torch.tensor([3.0, 4.0]), probs=torch.tensor([0.5, 0.5])),
    )
    assert D.kl_divergence(p, q).tolist() == pytest.approx(ref.tolist())
    assert D.kl_divergence(p, q).tolist()[1] == math.inf
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        D.kl_divergence(q, p)


def _dists(device):
    t = lambda x: A.tensor(x, device=device)  # noqa: E731
    return {
        "Gamma": D.Gamma(t([1.0, 2.5, 9.0]), t([1.0, 2.0, 0.5])),
        "Chi2": D.Chi2(t([1.0, 4.0, 10.0])),
        "Beta": D.Beta(t([1.0, 2.0, 5.0]), t([2.0, 2.0, 1.5])),
        "Dirichlet": D.Dirichlet(t([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0], [5.0, 1.5, 1.0]])),
        "Poisson": D.Poisson(t([0.5, 3.0, 20.0])),
        "Binomial": D.Binomial(t([1.0, 10.0, 40.0]), probs=t([0.3, 0.5, 0.9])),
        "Geometric": D.Geometric(probs=t([0.2, 0.5, 0.9])),
        "StudentT": D.StudentT(t([9.0, 12.0, 30.0]), t([0.0, 1.0, -2.0]), t([1.0, 0.5, 2.0])),
        "HalfNormal": D.HalfNormal(t([1.0, 0.5, 2.0])),
        "Gumbel": D.Gumbel(t([0.0, 1.0, -2.0]), t([1.0, 0.5, 2.0])),
    }


def test_sample_shapes_dtypes_and_statistics(device):
    n = 20000
    for name, d in _dists(device).items():
        small = d.sample((2, 4))
        assert tuple(small.shape) == (2, 4) + d.batch_shape + d.event_shape, name
        assert small.device == A.device(device) and small.dtype == A.float32, name
        assert not small.requires_grad, name
        assert bool(d.support.check(small).all()), f"{name}: sample outside the support"
        if d.has_rsample:
            assert tuple(d.rsample((3,)).shape) == (3,) + d.batch_shape + d.event_shape, name
        else:
            with pytest.raises(NotImplementedError):
                d.rsample()
        s = d.sample((n,)).double()
        mean, var = d.mean.double(), d.variance.double()
        got_mean, got_var = s.mean(0), s.var(0)
        tol = 5 * (var / n).sqrt() + 1e-6
        assert bool(((got_mean - mean).abs() <= tol).all()), f"{name}: mean {got_mean} vs {mean}"
        assert bool(((got_var - var).abs() <= 0.1 * var + 1e-6).all()), f"{name}: var {got_var} vs {var}"


def test_heavy_tailed_samples_follow_their_cdf(device):
    t = lambda x: A.tensor(x, device=device)  # noqa: E731
    for d in (D.Cauchy(t([0.0, 3.0]), t([1.0, 0.5])), D.HalfCauchy(t([1.0, 2.0]))):
        s = d.sample((20000,))
        for q in (0.1, 0.5, 0.9):
            frac = (s <= d.icdf(t([q, q]))).double().mean(0)
            assert np.allclose(frac.cpu().numpy(), q, atol=0.015), f"{d}: P(X <= icdf({q})) = {frac}"


def _exact_dxda(a, x):
    """-(dP/da) / p(x) in 30-digit arithmetic (mpmath ships with torch's sympy)."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    out = []
    for ai, xi in zip(a.tolist(), x.tolist()):
        dpda = mp.diff(lambda s, xi=xi: mp.gammainc(s, 0, xi, regularized=True), ai)
        log_pdf = (ai - 1) * mp.log(xi) - xi - mp.loggamma(ai)
        out.append(float(-dpda / mp.exp(log_pdf)))
    return np.array(out)


def test_standard_gamma_gradient_matches_torch_and_mpmath(device):
    alphas = np.array([0.05, 0.3, 1.0, 2.5, 7.0, 20.0, 150.0, 3000.0, 2e5])
    a = np.repeat(alphas, 4)
    x = np.maximum(np.random.default_rng(3).standard_gamma(a), 1e-300)
    ours = (
        D._gamma_ops.standard_gamma_grad(A.tensor(a, device=device), A.tensor(x, device=device)).cpu().numpy()
    )
    np.testing.assert_allclose(
        ours, torch._standard_gamma_grad(torch.tensor(a), torch.tensor(x)).numpy(), rtol=2e-3
    )
    exact = a < 1e4  # the series / continued fraction; above, the cube-root approximation (checked vs torch)
    np.testing.assert_allclose(ours[exact], _exact_dxda(a[exact], x[exact]), rtol=1e-7)


def test_gamma_rsample_gradient_is_the_implicit_one(device):
    conc = A.tensor([0.4, 1.5, 6.0, 60.0], dtype=A.float64, device=device, requires_grad=True)
    x = D.Gamma(conc, A.ones(4, dtype=A.float64, device=device)).rsample((50,))
    x.sum().backward()
    xt = torch.tensor(x.detach().cpu().numpy())
    want = torch._standard_gamma_grad(
        torch.tensor([0.4, 1.5, 6.0, 60.0], dtype=torch.float64).expand(50, 4), xt
    )
    want = want.sum(0)
    np.testing.assert_allclose(conc.grad.cpu().numpy(), want.numpy(), rtol=2e-3)
    assert bool((x > 0).all())


def test_rsample_gradients_match_moments(device):
    n = 20000
    a = A.tensor([0.7, 3.0], device=device, requires_grad=True)
    b = A.tensor([2.0, 0.5], device=device, requires_grad=True)
    D.Gamma(a, b).rsample((n,)).mean(0).sum().backward()  # E x = a / b
    assert np.allclose(a.grad.cpu().numpy(), [0.5, 2.0], rtol=0.05)
    assert np.allclose(b.grad.cpu().numpy(), [-0.7 / 4, -12.0], rtol=0.05)
    c1 = A.tensor(2.0, device=device, requires_grad=True)
    c0 = A.tensor(3.0, device=device, requires_grad=True)
    D.Beta(c1, c0).rsample((n,)).mean().backward()  # E x = c1 / (c1 + c0)
    assert c1.grad.item() == pytest.approx(3 / 25, rel=0.08) and c0.grad.item() == pytest.approx(
        -2 / 25, rel=0.08
    )
    c = A.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    D.Dirichlet(c).rsample((n,)).mean(0)[0].backward()  # E x_0 = c_0 / sum c
    assert np.allclose(c.grad.cpu().numpy(), [5 / 36, -1 / 36, -1 / 36], atol=0.01)
    df = A.tensor(6.0, device=device, requires_grad=True)
    scale = A.tensor(1.5, device=device, requires_grad=True)
    D.StudentT(df, 0.0, scale).rsample((n,)).pow(2).mean().backward()  # E x^2 = scale^2 df / (df - 2)
    assert df.grad.item() == pytest.approx(-2 * 2.25 / 16, rel=0.15)
    assert scale.grad.item() == pytest.approx(2 * 1.5 * 1.5, rel=0.08)
    for d, p in [
        (lambda s: D.Cauchy(0.0, s), A.tensor([2.0], device=device, requires_grad=True)),
        (lambda s: D.HalfNormal(s), A.tensor([2.0], device=device, requires_grad=True)),
        (lambda s: D.HalfCauchy(s), A.tensor([2.0], device=device, requires_grad=True)),
        (lambda s: D.Gumbel(0.0, s), A.tensor([2.0], device=device, requires_grad=True)),
        (lambda s: D.Chi2(s), A.tensor([3.0], device=device, requires_grad=True)),
    ]:
        d(p).rsample((10,)).sum().backward()
        assert p.grad is not None and bool((p.grad != 0).any())


def test_gamma_cdf_gradients(device):
    a = A.tensor([0.5, 2.0, 30.0], dtype=A.float64, device=device, requires_grad=True)
    rate = A.tensor([1.0, 0.7, 1.2], dtype=A.float64, device=device, requires_grad=True)
    v = A.tensor([0.3, 4.0, 20.0], dtype=A.float64, device=device, requires_grad=True)
    assert A.gradcheck(lambda r, x: D.Gamma(a.detach(), r).cdf(x), (rate, v))
    D.Gamma(a, rate).cdf(v).sum().backward()
    want = -_exact_dxda(np.array([0.5, 2.0, 30.0]), np.array([0.3, 0.7 * 4.0, 1.2 * 20.0]))
    pdf = torch.distributions.Gamma(torch.tensor([0.5, 2.0, 30.0], dtype=torch.float64), 1.0)
    want = want * pdf.log_prob(torch.tensor([0.3, 0.7 * 4.0, 1.2 * 20.0], dtype=torch.float64)).exp().numpy()
    np.testing.assert_allclose(a.grad.cpu().numpy(), want, rtol=1e-7)


def test_binomial_tensor_count_enumerate_and_entropy(device):
    count = A.tensor([[2.0], [5.0]], device=device)
    d = D.Binomial(count, probs=A.tensor([0.2, 0.6], device=device))
    dt = TD.Binomial(torch.tensor([[2.0], [5.0]]), probs=torch.tensor([0.2, 0.6]))
    assert d.batch_shape == (2, 2)
    v = A.tensor([[1.0, 2.0], [5.0, 0.0]], device=device)
    _close("Binomial.log_prob", d.log_prob(v), dt.log_prob(torch.tensor([[1.0, 2.0], [5.0, 0.0]])), atol=1e-6)
    with pytest.raises(NotImplementedError, match="Inhomogeneous total count not supported by `entropy`"):
        d.entropy()
    e = D.Binomial(3, probs=A.tensor([0.2, 0.6], device=device))
    assert e.enumerate_support().tolist() == [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]
    assert tuple(e.enumerate_support(expand=False).shape) == (4, 1)
    inside = d.support.check(A.tensor([[2.0, 3.0], [5.0, 5.5]], device=device))
    assert inside.tolist() == [[True, False], [True, False]]  # integers in [0, total_count], per batch entry


def test_expand(device):
    t = lambda x: A.tensor(x, device=device)  # noqa: E731
    for d in (
        D.Gamma(t([1.0, 2.0]), 1.0),
        D.Chi2(t([1.0, 2.0])),
        D.Beta(t([1.0, 2.0]), 2.0),
        D.Dirichlet(t([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])),
        D.Poisson(t([1.0, 2.0])),
        D.Binomial(4, logits=t([0.0, 1.0])),
        D.Geometric(probs=t([0.3, 0.6])),
        D.StudentT(t([3.0, 4.0])),
        D.HalfNormal(t([1.0, 2.0])),
        D.HalfCauchy(t([1.0, 2.0])),
        D.Gumbel(t([1.0, 2.0]), 1.0),
        D.Cauchy(t([1.0, 2.0]), 1.0),
        D.ContinuousBernoulli(logits=t([0.0, 1.0])),
        D.RelaxedBernoulli(t(0.5), probs=t([0.2, 0.7])),
        D.LogisticNormal(t([[0.0, 1.0], [1.0, -1.0]]), 1.0),
    ):
        e = d.expand((4, 2))
        assert type(e) is type(d) and e.batch_shape == (4, 2) and e.event_shape == d.event_shape, d
        x = d.sample()
        assert np.allclose(e.log_prob(x).cpu().numpy(), np.broadcast_to(d.log_prob(x).cpu().numpy(), (4, 2)))


def test_validation_messages_equal_torch():
    for build in (
        lambda M, t: M.Gamma(t(-1.0), t(1.0)),
        lambda M, t: M.Gamma(t(1.0), t(0.0)),
        lambda M, t: M.Chi2(t(-2.0)),
        lambda M, t: M.Poisson(t(-1.0)),
        lambda M, t: M.Binomial(t(2.5), probs=t(0.5)),
        lambda M, t: M.Binomial(t(3.0), logits=t(float("nan"))),
        lambda M, t: M.Geometric(probs=t(0.0)),
        lambda M, t: M.Geometric(probs=t(1.5)),
        lambda M, t: M.StudentT(t(-1.0)),
        lambda M, t: M.StudentT(t(2.0), t(0.0), t(-1.0)),
        lambda M, t: M.Cauchy(t(0.0), t(-1.0)),
        lambda M, t: M.HalfNormal(t(-1.0)),
        lambda M, t: M.HalfCauchy(t(0.0)),
        lambda M, t: M.Gumbel(t(0.0), t(-1.0)),
        lambda M, t: M.Dirichlet(t(1.0)),
        lambda M, t: M.Binomial(t(3.0), probs=t(0.5), logits=t(0.0)),
        lambda M, t: M.Gamma(t(1.0), t(1.0)).log_prob(t(-1.0)),
        lambda M, t: M.Beta(t(1.0), t(2.0)).log_prob(t(1.5)),
        lambda M, t: M.Poisson(t(1.0)).log_prob(t(0.5)),
        lambda M, t: M.Binomial(t(3.0), probs=t(0.5)).log_prob(t(4.0)),
        lambda M, t: M.Geometric(probs=t(0.5)).log_prob(t(-1.0)),
        lambda M, t: M.HalfNormal(t(1.0)).log_prob(t(-1.0)),
        lambda M, t: M.RelaxedBernoulli(t(0.5), probs=t(1.5)),
    ):
        with pytest.raises(ValueError) as ours:
            build(D, A.tensor)
        with pytest.raises(ValueError) as theirs:
            build(TD, torch.tensor)
        assert str(ours.value) == str(theirs.value)


def test_validation_errors_on_device(device):
    t = lambda x: A.tensor(x, device=device)  # noqa: E731
    with pytest.raises(ValueError, match=r"Expected parameter concentration \(Tensor of shape \(2,\)\)"):
        D.Gamma(t([1.0, -1.0]), t([1.0, 1.0]))
    with pytest.raises(ValueError, match="IndependentConstraint\\(GreaterThan\\(lower_bound=0.0\\), 1\\)"):
        D.Dirichlet(t([[1.0, 0.0]]))
    with pytest.raises(
        ValueError, match=r"parameter concentration \(Tensor of shape \(2,\)\) of distribution Dirichlet"
    ):
        D.Beta(t(1.0), t(-1.0))  # checked by the inner Dirichlet, as in torch
    with pytest.raises(ValueError, match=r"parameter probs .* of distribution Categorical.* Simplex\(\)"):
        D.RelaxedOneHotCategorical(t(0.5), probs=t([0.5, -0.1, 0.6]))
    with pytest.raises(ValueError, match="Simplex"):
        D.Dirichlet(t([1.0, 1.0])).log_prob(t([0.5, 0.6]))
    assert D.Gamma(t([-1.0]), 1.0, validate_args=False).concentration.item() == -1.0


def test_relaxed_samples(device):
    t = lambda x: A.tensor(x, device=device)  # noqa: E731
    logits = A.tensor([-1.0, 0.0, 2.0], device=device, requires_grad=True)
    temp = t(0.05)
    d = D.RelaxedBernoulli(temp, logits=logits)
    x = d.rsample((4000,))
    assert tuple(x.shape) == (4000, 3) and x.device == A.device(device) and d.has_rsample
    assert bool(d.support.check(x).all())
    # at a low temperature the draws sit near 0/1 with Bernoulli(sigmoid(logits)) frequencies
    freq = (x > 0.5).double().mean(0).cpu().numpy()
    assert np.allclose(freq, 1 / (1 + np.exp(-np.array([-1.0, 0.0, 2.0]))), atol=0.03)
    x.sum().backward()
    assert logits.grad is not None and bool((logits.grad != 0).all())
    probs = A.tensor([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], device=device, requires_grad=True)
    c = D.RelaxedOneHotCategorical(t(0.05), probs=probs)
    y = c.rsample((4000,))
    assert tuple(y.shape) == (4000, 2, 3) and c.event_shape == (3,) and c.batch_shape == (2,)
    assert np.allclose(y.detach().sum(-1).cpu().numpy(), 1.0, atol=1e-5)
    freq = A.one_hot(y.argmax(-1), 3).double().mean(0).cpu().numpy()
    assert np.allclose(freq, probs.detach().cpu().numpy(), atol=0.03)
    (y[..., 0] * 1.0).sum().backward()
    assert probs.grad is not None and bool((probs.grad != 0).any())
    assert tuple(c.expand((4, 2)).sample().shape) == (4, 2, 3)


def test_continuous_bernoulli_samples_and_reparameterization(device):
    probs = A.tensor(
        [0.1, 0.3, 0.8], device=device, requires_grad=True
    )  # (torch: no rsample gradient at 1/2)
    d = D.ContinuousBernoulli(probs=probs)
    x = d.rsample((20000,))
    assert bool(d.support.check(x).all())
    assert np.allclose(x.mean(0).detach().cpu().numpy(), d.mean.detach().cpu().numpy(), atol=0.01)
    x.mean(0).sum().backward()  # d E[x] / dp, from the reparameterized draws and from the closed form
    (want,) = A.grad(D.ContinuousBernoulli(probs=probs).mean.sum(), probs)
    assert np.allclose(probs.grad.cpu().numpy(), want.detach().cpu().numpy(), rtol=0.08)
    with pytest.raises(ValueError, match="The parameter probs has invalid values"):
        D.ContinuousBernoulli(probs=A.tensor([1.5], device=device), validate_args=True)


def test_logistic_normal_and_stick_breaking(device):
    loc = A.tensor([0.5, -0.5, 0.0], device=device, requires_grad=True)
    d = D.LogisticNormal(loc, A.tensor([1.0, 0.5, 2.0], device=device))
    assert d.batch_shape == () and d.event_shape == (4,)
    y = d.rsample((6,))
    assert tuple(y.shape) == (6, 4) and bool(d.support.check(y).all())
    y[:, 0].sum().backward()
    assert loc.grad is not None and bool((loc.grad != 0).any())
    t = D.StickBreakingTransform()
    x = A.tensor(_real(2, 3), device=device)
    yt = torch.distributions.transforms.StickBreakingTransform()(torch.tensor(x.cpu().numpy()))
    _close("StickBreaking", t(x), yt, atol=1e-6, rtol=1e-5)
    _close("StickBreaking.inv", t.inv(t(x)), torch.tensor(x.cpu().numpy()), atol=1e-5, rtol=1e-4)
    assert t.forward_shape((2, 3)) == (2, 4) and t.inv.forward_shape((2, 4)) == (2, 3)
    assert tuple(d.expand((5,)).sample().shape) == (5, 4)
