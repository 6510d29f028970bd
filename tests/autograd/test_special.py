"""Special functions (autograd.special, lgamma/digamma/polygamma/erfinv/mvlgamma...): float64 values against
torch across the whole range (tails included), domain edges, gradients (check_op + float64 gradcheck and
gradgradcheck), in-place forms, integer promotion and bad input. Known values keep it meaningful without torch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op, torch

import autograd as A
from autograd import special as sp

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="needs torch as the reference")

_GRID = np.linspace(-30, 30, 241) + 0.013  # no poles on it
_POS = np.concatenate([np.geomspace(1e-8, 1e3, 60), [0.5, 1.0 + 1e-9, 1.5, 2.0 - 1e-9, 2.5, 9.99, 10.0, 1e7]])
_UNIT = np.concatenate([np.linspace(-0.999, 0.999, 81), [1e-300, -1e-10, 1 - 2.0**-52, -(1 - 2.0**-52), 0.5]])
_SEAMS = np.array([0.0625, 0.0626, 1.93749, 3.99999, 4.0, 4.00001, 26.5])  # erfcx: Taylor centers, series/CF
_PROB = np.concatenate([np.linspace(0.001, 0.999, 81), 10.0 ** -np.arange(5.0, 300.0, 15.0), [1 - 2.0**-53]])

# name: (ours, torch's, inputs, rtol, atol); tolerances are float64 ones (torch is the reference)
VALUE_CASES = {
    "lgamma": (A.lgamma, "lgamma", np.concatenate([_GRID, _POS]), 1e-12, 1e-13),
    "digamma": (A.digamma, "digamma", np.concatenate([_GRID, _POS]), 1e-12, 1e-13),
    "polygamma2": (
        lambda x: A.polygamma(2, x),
        lambda x: torch.polygamma(2, x),
        np.concatenate([_GRID, _POS]),
        1e-11,
        0,
    ),
    "polygamma5": (lambda x: A.polygamma(5, x), lambda x: torch.polygamma(5, x), _POS, 1e-11, 0),
    # torch's own trigamma is accurate to ~1e-9 only (a short asymptotic series); tighter checks below
    "polygamma1": (
        lambda x: A.polygamma(1, x),
        lambda x: torch.polygamma(1, x),
        np.concatenate([_GRID, _POS]),
        1e-8,
        0,
    ),
    "erfinv": (A.erfinv, "erfinv", _UNIT, 1e-12, 0),
    "erfc": (sp.erfc, "special.erfc", np.concatenate([_GRID, _SEAMS, -_SEAMS]), 1e-12, 0),
    "erfcx": (sp.erfcx, "special.erfcx", np.concatenate([_GRID[_GRID > -26], _SEAMS, -_SEAMS]), 1e-12, 0),
    # torch's float64 ndtr is (1 + erf(x / sqrt 2)) / 2, which underflows to 0 below about -8; its erfc is exact
    "ndtr": (sp.ndtr, lambda x: 0.5 * torch.special.erfc(-x * math.sqrt(0.5)), _GRID, 1e-12, 0),
    "log_ndtr": (sp.log_ndtr, "special.log_ndtr", np.concatenate([_GRID, [-1e3, -1, 0]]), 1e-12, 0),
    "ndtri": (sp.ndtri, "special.ndtri", np.concatenate([_PROB, 1 - _PROB[:81]]), 1e-12, 1e-15),
    "i0": (sp.i0, "special.i0", _GRID * 2, 1e-12, 0),
    "i0e": (sp.i0e, "special.i0e", _GRID * 2, 1e-12, 0),
    "i1": (sp.i1, "special.i1", _GRID * 2, 1e-12, 0),
    "i1e": (sp.i1e, "special.i1e", _GRID * 2, 1e-12, 0),
    "entr": (sp.entr, "special.entr", _GRID, 1e-14, 0),
    "exp2": (sp.exp2, "special.exp2", _GRID * 30, 1e-15, 0),
    "mvlgamma": (lambda x: A.mvlgamma(x, 3), lambda x: torch.mvlgamma(x, 3), _POS + 1.0, 1e-12, 1e-13),
}


def _torch_fn(ref):
    if callable(ref):
        return ref
    out = torch
    for part in ref.split("."):
        out = getattr(out, part)
    return out


def _close(got, want, rtol, atol, what):
    g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert g.shape == w.shape, what
    same_inf = np.isinf(w) & (g == w)
    ok = np.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True) | same_inf
    if not ok.all():
        i = np.flatnonzero(~ok)[:5]
        raise AssertionError(
            f"{what}: {len(np.flatnonzero(~ok))} values differ, e.g. ours {g[i]} torch {w[i]}"
        )


@needs_torch
@pytest.mark.parametrize("name", list(VALUE_CASES))
def test_float64_values_match_torch(device, name):
    fn, ref, xs, rtol, atol = VALUE_CASES[name]
    got = fn(A.tensor(xs, dtype=A.float64, device=device)).cpu().numpy()
    _close(got, _torch_fn(ref)(torch.tensor(xs, dtype=torch.float64)).numpy(), rtol, atol, name)


@needs_torch
@pytest.mark.parametrize(
    "name", ["lgamma", "digamma", "erfinv", "erfc", "erfcx", "log_ndtr", "ndtri", "i0e", "i1"]
)
def test_float32_values_match_torch(device, name):
    fn, ref, xs, _, _ = VALUE_CASES[name]
    x32 = xs.astype(np.float32)
    x32 = x32[np.abs(x32) != 1] if name == "erfinv" else x32
    got = fn(A.tensor(x32, device=device))
    assert got.dtype == A.float32
    want = _torch_fn(ref)(torch.tensor(x32.astype(np.float64))).numpy()
    with np.errstate(over="ignore"):
        want = want.astype(np.float32)  # the exact value rounded once (inf where float32 overflows)
    _close(got.cpu().numpy(), want, 4e-6, 1e-30, name)


@needs_torch
def test_domain_edges_match_torch(device):
    inf, nan = math.inf, math.nan
    cases = [
        (A.lgamma, torch.lgamma, [0.0, -0.0, -1.0, -2.0, -1e20, inf, -inf, nan, 1e306, 1e-310, -1e-310]),
        (A.digamma, torch.digamma, [0.0, -0.0, -1.0, -3.0, inf, -inf, nan, 1e-300]),
        (lambda x: A.polygamma(2, x), lambda x: torch.polygamma(2, x), [0.0, -1.0, -2.0, -2.5, nan]),
        (lambda x: A.polygamma(3, x), lambda x: torch.polygamma(3, x), [0.0, -1.0, -7.25, nan]),
        (A.erfinv, torch.erfinv, [1.0, -1.0, 1.5, -2.0, 0.0, -0.0, nan, inf]),
        (sp.ndtri, torch.special.ndtri, [0.0, 1.0, -1.0, 2.0, 0.5, nan, 5e-324]),
        (sp.erfcx, torch.special.erfcx, [-30.0, -26.0, 1e10, inf, -inf, nan]),
        (sp.erfc, torch.special.erfc, [-inf, inf, nan, 26.5, 27.2, -30.0]),
        (sp.log_ndtr, torch.special.log_ndtr, [-inf, inf, nan, -1e5, 40.0]),
        (sp.ndtr, torch.special.ndtr, [-inf, inf, nan, 0.0]),
        (
            sp.i0,
            torch.special.i0,
            [nan, 0.0, 700.0],
        ),  # at +-inf torch gives NaN, ours inf (test_known_values)
        (sp.i1, torch.special.i1, [nan, 0.0, -0.0]),  # torch: NaN at +-inf, ours +-inf
        (sp.i1e, torch.special.i1e, [inf, -inf, nan, 0.0, -0.0, 1e300]),
        (sp.entr, torch.special.entr, [0.0, -1.0, inf, nan, 1e-300]),
    ]
    for fn, ref, xs in cases:
        got = fn(A.tensor(xs, dtype=A.float64, device=device)).cpu().numpy()
        want = ref(torch.tensor(xs, dtype=torch.float64)).numpy()
        _close(got, want, 1e-12, 0, f"{ref.__name__} at {xs}")
        signed = ~np.isnan(want)
        assert np.array_equal(np.signbit(got[signed]), np.signbit(want[signed])), (
            f"{ref.__name__}: {got} vs {want}"
        )


def test_known_values(device):
    """Exact identities (no torch needed): these pin the float64 accuracy on their own."""
    t = lambda v: A.tensor(v, dtype=A.float64, device=device)  # noqa: E731
    g, pi = 0.5772156649015329, math.pi
    np.testing.assert_allclose(
        A.lgamma(t([0.5, 1.0, 2.0, 3.0, 0.25])).cpu().numpy(),
        [0.5 * math.log(pi), 0, 0, math.log(2), math.lgamma(0.25)],
        rtol=1e-15,
        atol=1e-16,
    )
    np.testing.assert_allclose(
        A.lgamma(t([1 + 1e-9])).item(), -g * ((1 + 1e-9) - 1), rtol=1e-8
    )  # no cancellation at the root
    np.testing.assert_allclose(  # relative accuracy around digamma's positive root too (values from mpmath)
        A.digamma(t([1.4616321449683622, 1.47, 1.3])).cpu().numpy(),
        [-9.241265521729427e-17, 0.008066489011364869, -0.16919088886679962],
        rtol=1e-13,
    )
    np.testing.assert_allclose(
        A.digamma(t([1.0, 0.5, 0.25])).cpu().numpy(),
        [-g, -g - 2 * math.log(2), -g - pi / 2 - 3 * math.log(2)],
        rtol=1e-15,
    )
    catalan = 0.915965594177219
    np.testing.assert_allclose(
        A.polygamma(1, t([1.0, 0.5, 0.25, -0.5])).cpu().numpy(),
        [pi**2 / 6, pi**2 / 2, pi**2 + 8 * catalan, pi**2 / 2 + 4],
        rtol=1e-14,
    )
    np.testing.assert_allclose(A.polygamma(2, t([1.0])).item(), -2 * 1.2020569031595942, rtol=1e-15)
    x = t(np.linspace(-2.5, 2.5, 21))  # further out erf(x) rounds to +-1 - tiny: ill-conditioned
    np.testing.assert_allclose(A.erfinv(x.erf()).cpu().numpy(), x.cpu().numpy(), rtol=1e-10)
    p = t([1e-300, 1e-20, 0.01, 0.3])
    np.testing.assert_allclose(sp.ndtr(sp.ndtri(p)).cpu().numpy(), p.cpu().numpy(), rtol=1e-12)
    np.testing.assert_allclose(sp.log_ndtr(t([-30.0])).item(), -454.3212439563432, rtol=1e-14)
    np.testing.assert_allclose(
        sp.erfc(t([10.0, 26.0])).cpu().numpy(), [2.088487583762545e-45, 5.663192408856143e-296], rtol=1e-14
    )
    np.testing.assert_allclose(sp.erfcx(t([30.0])).item(), 0.018795888861416751, rtol=1e-15)
    np.testing.assert_allclose(sp.i0(t([0.0, 1.0])).cpu().numpy(), [1.0, 1.2660658777520082], rtol=1e-15)
    np.testing.assert_allclose(sp.exp2(t([10.0, -3.0])).cpu().numpy(), [1024.0, 0.125], rtol=0)
    assert sp.i0(t([math.inf, -math.inf])).cpu().numpy().tolist() == [math.inf, math.inf]
    assert sp.i1(t([math.inf, -math.inf])).cpu().numpy().tolist() == [math.inf, -math.inf]
    np.testing.assert_allclose(
        A.mvlgamma(t([2.5]), 2).item(), 0.5 * math.log(pi) + math.lgamma(2.5) + math.lgamma(2.0), rtol=1e-15
    )


GRAD_CASES = {  # ours, torch's, low, high
    "lgamma": (A.lgamma, "lgamma", 0.1, 6.0),
    "lgamma_neg": (lambda x: (x - 3.0).lgamma(), lambda x: (x - 3.0).lgamma(), 0.1, 0.9),
    "digamma": (lambda x: x.digamma(), "digamma", 0.2, 6.0),
    "polygamma1": (lambda x: x.polygamma(1), lambda x: x.polygamma(1), 0.3, 5.0),
    "polygamma3": (lambda x: sp.polygamma(3, x), lambda x: torch.special.polygamma(3, x), 0.5, 4.0),
    "mvlgamma": (lambda x: A.mvlgamma(x, 3), lambda x: torch.mvlgamma(x, 3), 1.2, 4.0),
    "erfinv": (lambda x: x.erfinv(), "erfinv", -0.95, 0.95),
    "erfc": (lambda x: x.erfc(), "erfc", -3.0, 3.0),
    "erfcx": (sp.erfcx, "special.erfcx", -2.0, 4.0),
    "ndtr": (sp.ndtr, "special.ndtr", -3.0, 3.0),
    "ndtri": (sp.ndtri, "special.ndtri", 0.02, 0.98),
    "log_ndtr": (sp.log_ndtr, "special.log_ndtr", -6.0, 4.0),
    "i0": (sp.i0, "special.i0", -3.0, 3.0),
    "i0e": (sp.i0e, "special.i0e", -3.0, 3.0),
    "i1": (sp.i1, "special.i1", -3.0, 3.0),
    "i1e": (sp.i1e, "special.i1e", -3.0, 3.0),
    "entr": (sp.entr, "special.entr", 0.1, 3.0),
    "exp2": (lambda x: x.exp2(), "exp2", -3.0, 3.0),
    "gammaln_psi": (
        lambda x: sp.gammaln(x) * sp.psi(x),
        lambda x: torch.special.gammaln(x) * torch.special.psi(x),
        0.5,
        3.0,
    ),
}


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_grads_match_torch(device, name):
    fn, ref, low, high = GRAD_CASES[name]
    tfn = _torch_fn(ref) if HAVE_TORCH else None
    check_op([(3, 4)], fn, tfn, device=device, low=low, high=high, rtol=1e-5, grad_rtol=1e-4)


@pytest.mark.parametrize(
    "fn", [A.lgamma, A.digamma, A.erfinv, sp.erfcx, sp.log_ndtr, sp.ndtri, sp.i1, sp.i1e, sp.i0e]
)
def test_double_backward(device, fn):
    x = A.tensor([0.15, 0.4, 0.7, 0.9], dtype=A.float64, device=device, requires_grad=True)
    assert A.gradgradcheck(fn, (x,), eps=1e-6, atol=1e-6, rtol=1e-5)


def test_bessel_grads_at_zero(device):
    x = A.tensor([0.0, 0.0, 0.0], dtype=A.float64, device=device, requires_grad=True)
    (sp.i1(x[0:1]) + sp.i1e(x[1:2]) + sp.i0e(x[2:3]) * 0).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [0.5, 0.5, 0.0])


@needs_torch
def test_xlog1py_matches_torch(device):
    xs = np.array([0.0, 0.0, 0.0, 1.5, -2.0, 3.0, 0.0])
    ys = np.array([-1.0, -2.0, math.nan, 0.5, 2.0, -1.0, 1.0])
    a = A.tensor(xs, dtype=A.float64, device=device, requires_grad=True)
    b = A.tensor(ys, dtype=A.float64, device=device, requires_grad=True)
    ta = torch.tensor(xs, requires_grad=True)
    tb = torch.tensor(ys, requires_grad=True)
    out, tout = sp.xlog1py(a, b), torch.special.xlog1py(ta, tb)
    _close(out.detach().cpu().numpy(), tout.detach().numpy(), 1e-15, 0, "xlog1py")
    with np.errstate(divide="ignore"):  # log1p(-1) = -inf: the gradient w.r.t. x where x != 0, y == -1
        out.sum().backward()
    tout.sum().backward()
    _close(a.grad.cpu().numpy(), ta.grad.numpy(), 1e-15, 0, "xlog1py grad x")
    gy, tgy = b.grad.cpu().numpy(), tb.grad.numpy()
    assert gy[0] == 0 and math.isnan(tgy[0])  # x == 0, y == -1: 0 here (as our xlogy), NaN in torch
    _close(gy[1:], tgy[1:], 1e-15, 0, "xlog1py grad y")
    assert sp.xlog1py(2.0, A.tensor([1.0], device=device)).item() == pytest.approx(2 * math.log(2))
    check_op([(2, 3), (3,)], sp.xlog1py, torch.special.xlog1py, device=device, low=0.1, high=2.0)


def test_integer_inputs_promote(device):
    i = A.tensor([1, 2, 3], device=device)
    for out in (
        A.lgamma(i),
        i.digamma(),
        A.polygamma(1, i),
        i.erfinv(),
        A.mvlgamma(i + 1, 2),
        sp.i0e(i),
        sp.ndtr(i),
        sp.erfc(i),
        i.exp2(),
        sp.entr(i),
        sp.xlog1py(i, i),
    ):
        assert out.dtype == A.float32, out
    assert A.lgamma(A.tensor([True])).dtype == A.float32
    np.testing.assert_allclose(A.lgamma(i).cpu().numpy(), [0, 0, math.log(2)], atol=1e-7)


@pytest.mark.parametrize(
    "name,args",
    [
        ("lgamma_", ()),
        ("digamma_", ()),
        ("polygamma_", (2,)),
        ("erfinv_", ()),
        ("erfc_", ()),
        ("i0_", ()),
        ("exp2_", ()),
        ("mvlgamma_", (2,)),
    ],
)
def test_inplace(device, name, args):
    base = A.tensor([0.7, 1.3, 0.2], dtype=A.float64, device=device, requires_grad=True)
    x = base * 1.0
    want = getattr(base * 1.0, name[:-1])(*args)
    out = getattr(x, name)(*args)
    assert out is x
    np.testing.assert_allclose(x.detach().cpu().numpy(), want.detach().cpu().numpy(), rtol=1e-15)
    (g,) = A.grad(x.sum(), base)
    (gw,) = A.grad(want.sum(), base)
    np.testing.assert_allclose(g.cpu().numpy(), gw.cpu().numpy(), rtol=1e-14)
    with pytest.raises(RuntimeError, match="can't be cast"):
        getattr(A.tensor([1, 2], device=device), name)(*args)


def test_errors(device):
    x = A.tensor([1.0, 2.0], device=device)
    with pytest.raises(RuntimeError, match=r"polygamma: polygamma\(n, x\) does not support negative n"):
        A.polygamma(-1, x)
    with pytest.raises(RuntimeError, match="does not support negative n"):
        x.polygamma_(-2)
    with pytest.raises(TypeError, match="polygamma: n must be an int, got float"):
        A.special.polygamma(1.5, x)
    with pytest.raises(RuntimeError, match="mvlgamma: p has to be greater than or equal to 1"):
        A.mvlgamma(x, 0)
    with pytest.raises(TypeError, match="mvlgamma: p must be an int"):
        sp.multigammaln(x, 2.0)
    with pytest.raises(TypeError, match="erfinv: expected a Tensor as input, got list"):
        A.erfinv([0.5])
    with pytest.raises(TypeError, match="xlog1py: expected at least one Tensor"):
        sp.xlog1py(1.0, 2.0)


@needs_torch
def test_namespace_mirrors_torch_special(device):
    x = A.tensor([[0.2, 1.7, -0.4], [2.5, -1.2, 0.9]], dtype=A.float64, device=device)
    tx = torch.tensor(x.cpu().numpy())
    p = A.tensor([0.2, 0.7, 0.95], dtype=A.float64, device=device)
    for name, ours, theirs in [
        ("gammaln", sp.gammaln(x.abs()), torch.special.gammaln(tx.abs())),
        ("multigammaln", sp.multigammaln(x.abs() + 2, 2), torch.special.multigammaln(tx.abs() + 2, 2)),
        ("erf", sp.erf(x), torch.special.erf(tx)),
        ("expit", sp.expit(x), torch.special.expit(tx)),
        ("logit", sp.logit(p), torch.special.logit(torch.tensor(p.cpu().numpy()))),
        ("logit_eps", sp.logit(x, eps=0.1), torch.special.logit(tx, eps=0.1)),
        ("xlogy", sp.xlogy(x.abs(), 3.0), torch.special.xlogy(tx.abs(), 3.0)),
        ("log1p", sp.log1p(x.abs()), torch.special.log1p(tx.abs())),
        ("expm1", sp.expm1(x), torch.special.expm1(tx)),
        ("logsumexp", sp.logsumexp(x, 1, keepdim=True), torch.special.logsumexp(tx, 1, keepdim=True)),
        ("softmax", sp.softmax(x, 0), torch.special.softmax(tx, 0)),
        (
            "log_softmax",
            sp.log_softmax(x, 1, dtype=A.float32),
            torch.special.log_softmax(tx, 1, dtype=torch.float32),
        ),
        ("sinc", sp.sinc(x), torch.special.sinc(tx)),
        ("round", sp.round(x * 10, decimals=-1), torch.special.round(tx * 10, decimals=-1)),
        ("psi", sp.psi(x), torch.special.psi(tx)),
    ]:
        assert ours.dtype == getattr(A, str(theirs.dtype).split(".")[1]), name
        _close(ours.cpu().numpy(), theirs.numpy(), 1e-6 if name == "log_softmax" else 1e-12, 1e-15, name)
    assert sp.psi is sp.digamma and sp.gammaln is A.lgamma and sp.multigammaln is A.mvlgamma
