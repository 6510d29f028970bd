"""The extra elementwise math ops (inverse trig, atan2, hypot, logaddexp, logit, xlogy, sinc, fmax...):
values and gradients against torch, double backward, edge values, dtype promotion, in-place forms, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import HAVE_TORCH, _compare, check_op, to_numpy

import autograd as A

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="needs torch as the reference")
nan, inf = float("nan"), float("inf")

UNARY = {  # name: (fn, low, high)
    "asin": (lambda a: a.asin(), -0.9, 0.9),
    "acos": (lambda a: a.acos(), -0.9, 0.9),
    "atan": (lambda a: a.atan(), -3, 3),
    "asinh": (lambda a: a.asinh(), -3, 3),
    "acosh": (lambda a: a.acosh(), 1.1, 3),
    "atanh": (lambda a: a.atanh(), -0.9, 0.9),
    "arcsin": (lambda a: a.arcsin(), -0.9, 0.9),
    "arctanh": (lambda a: a.arctanh(), -0.9, 0.9),
    "sinc": (lambda a: a.sinc(), -2.5, 2.5),
    "logit": (lambda a: a.logit(), 0.05, 0.95),
    "logit_eps": (lambda a: a.logit(0.2), 0.0, 1.0),
    "deg2rad": (lambda a: a.deg2rad(), -200, 200),
    "rad2deg": (lambda a: a.rad2deg(), -3, 3),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(device, name):
    fn, lo, hi = UNARY[name]
    check_op([(3, 5)], fn, device=device, low=lo, high=hi, noncontig=name in ("asin", "sinc"))
    check_op([(0, 2)], fn, device=device, low=lo, high=hi)


BINARY = {  # name: (fn, low, high)
    "atan2": (lambda a, b: a.atan2(b), -2, 2),
    "arctan2": (lambda a, b: a.arctan2(b), -2, 2),
    "hypot": (lambda a, b: a.hypot(b), -2, 2),
    "logaddexp": (lambda a, b: a.logaddexp(b), -3, 3),
    "logaddexp2": (lambda a, b: a.logaddexp2(b), -3, 3),
    "xlogy": (lambda a, b: a.xlogy(b), 0.1, 3),
    "fmax": (lambda a, b: a.fmax(b), -2, 2),
    "fmin": (lambda a, b: a.fmin(b), -2, 2),
    "float_power": (lambda a, b: a.float_power(b), 0.5, 2),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((2, 1, 3), (3, 1)), ((4,), ())], ids=str)
def test_binary(device, name, shapes):
    fn, lo, hi = BINARY[name]
    check_op(shapes, fn, device=device, low=lo, high=hi)


def test_functions_and_scalars(device):
    check_op(
        [(3, 4), (4,)],
        lambda a, b: A.atan2(a, b),
        lambda a, b: __import__("torch").atan2(a, b),
        device=device,
    )
    check_op([(5,)], lambda a: A.xlogy(a, 2.5), lambda a: __import__("torch").xlogy(a, 2.5), device=device)
    check_op(
        [(5,)], lambda a: A.xlogy(3, a), lambda a: __import__("torch").xlogy(3, a), device=device, low=0.1
    )
    check_op([(5,)], lambda a: a.float_power(2), device=device)
    check_op(
        [(5,)], lambda a: A.float_power(2, a), lambda a: __import__("torch").float_power(2, a), device=device
    )
    x = A.tensor([0.5, -1.0], device=device)
    np.testing.assert_allclose(A.atan2(x, 2.0).cpu().numpy(), np.arctan2([0.5, -1.0], 2.0), rtol=1e-6)
    np.testing.assert_allclose(A.hypot(x, 2).cpu().numpy(), np.hypot([0.5, -1.0], 2.0), rtol=1e-6)
    np.testing.assert_allclose(A.logaddexp(x, 0.0).cpu().numpy(), np.logaddexp([0.5, -1.0], 0.0), rtol=1e-6)


def test_double_backward(device):
    rng = np.random.default_rng(1)
    u = A.tensor(rng.uniform(-0.8, 0.8, (2, 3)), dtype=A.float64, device=device, requires_grad=True)
    v = A.tensor(rng.uniform(0.2, 1.5, (3,)), dtype=A.float64, device=device, requires_grad=True)
    p = A.tensor(rng.uniform(0.1, 0.9, (4,)), dtype=A.float64, device=device, requires_grad=True)
    for fn, xs in [
        (lambda a: a.asin() + a.acos() * a.atan() + a.atanh(), (u,)),
        (lambda a: a.asinh() + (a.abs() + 1.5).acosh(), (u,)),
        (lambda a: a.sinc(), (u,)),
        (lambda a: a.logit() + a.logit(0.3), (p,)),
        (lambda a, b: a.atan2(b) + b.atan2(a), (u, v)),
        (lambda a, b: a.hypot(b), (u, v)),
        (lambda a, b: a.logaddexp(b) + a.logaddexp2(b), (u, v)),
        (lambda a, b: a.xlogy(b), (u, v)),
        (lambda a, b: a.fmax(b) * a.fmin(b), (u, v)),
        (lambda a, b: b.float_power(a), (u, v)),
    ]:
        assert A.gradgradcheck(fn, xs), fn


# ---- edge values ----------------------------------------------------------------------------------------


def _vs_torch(fn, arrays, device, grad=True):
    """Values and gradients of ``fn`` at fixed (edge) points against torch, NaN-aware."""
    import torch

    xs = [A.tensor(a, dtype=A.float64, device=device, requires_grad=grad) for a in arrays]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=grad) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, tout = fn(*xs), fn(*ts)
        _compare("forward", out, tout, 1e-12, 1e-10)
        if grad:
            out.sum().backward()
            tout.sum().backward()
            for i, (x, t) in enumerate(zip(xs, ts)):
                _compare(f"grad of input {i}", x.grad, t.grad, 1e-12, 1e-10)


@needs_torch
def test_edge_values_match_torch(device):
    _vs_torch(lambda a: a.asin(), [[0.0, 1.0, -1.0, 1.5, nan]], device)
    _vs_torch(lambda a: a.acos(), [[0.0, -1.0, 2.0, nan]], device)
    _vs_torch(lambda a: a.atan(), [[0.0, inf, -inf, 1e200, nan]], device)
    _vs_torch(lambda a: a.asinh(), [[0.0, inf, -inf, -1e300]], device)
    _vs_torch(lambda a: a.acosh(), [[1.0, 0.5, inf]], device)
    _vs_torch(lambda a: a.atanh(), [[0.0, 1.0, -1.0, 2.0]], device)
    _vs_torch(lambda a: a.sinc(), [[0.0, 1.0, -1.0, 0.5, 1e-9, inf]], device)
    _vs_torch(lambda a: a.logit(), [[-0.5, 0.0, 0.05, 0.5, 1.0, 1.5, nan]], device)
    _vs_torch(lambda a: a.logit(0.1), [[-0.5, 0.0, 0.05, 0.1, 0.5, 0.9, 1.0, 1.5, nan]], device)
    _vs_torch(lambda a: a.logit(0.6), [[-0.5, 0.5, 1.0]], device)
    _vs_torch(
        lambda a, b: a.atan2(b),
        [[0.0, 0.0, 1.0, -1.0, 1.0, -1.0, inf], [0.0, -0.0, 0.0, 0.0, -2.0, -2.0, 1]],
        device,
    )
    _vs_torch(lambda a, b: a.hypot(b), [[3.0, inf, 1e200], [4.0, 1.0, 1e200]], device)
    _vs_torch(
        lambda a, b: a.logaddexp(b),
        [[inf, -inf, 1e4, -1e4, nan, 0.0], [inf, -inf, 1e4, 1e4, 1.0, -inf]],
        device,
    )
    _vs_torch(lambda a, b: a.logaddexp2(b), [[inf, -inf, 2e4, -1e4], [1.0, -inf, 2e4, 1e4]], device)
    _vs_torch(
        lambda a, b: a.xlogy(b),
        [[0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 1.0], [1.0, nan, 0.0, inf, inf, -1.0, 5.0, -1.0]],
        device,
    )
    _vs_torch(
        lambda a, b: a.fmax(b), [[1.0, 2.0, nan, nan, 3.0, -inf], [1.0, 1.0, 2.0, nan, nan, inf]], device
    )
    _vs_torch(
        lambda a, b: a.fmin(b), [[1.0, 2.0, nan, nan, 3.0, -inf], [1.0, 1.0, 2.0, nan, nan, inf]], device
    )
    _vs_torch(lambda a: a.signbit(), [[-0.0, 0.0, -1.0, inf, -inf]], device, grad=False)
    _vs_torch(lambda a: a.isposinf(), [[inf, -inf, nan, 1.0]], device, grad=False)
    _vs_torch(lambda a: a.isneginf(), [[inf, -inf, nan, 1.0]], device, grad=False)
    _vs_torch(
        lambda a, b: a.heaviside(b),
        [[-1.0, 0.0, 2.0, nan, -0.0], [0.5, 0.5, 0.5, 0.5, 0.25]],
        device,
        grad=False,
    )


def test_xlogy_zero_x_gives_zero_value_and_y_gradient(device):
    x = A.tensor([0.0, 0.0, 0.0, 2.0], device=device, requires_grad=True)
    y = A.tensor([0.0, 1.0, 5.0, 3.0], device=device, requires_grad=True)
    out = A.xlogy(x, y)
    out.sum().backward()
    np.testing.assert_allclose(out.detach().cpu().numpy(), [0, 0, 0, 2 * np.log(3)], rtol=1e-6)
    np.testing.assert_allclose(y.grad.cpu().numpy(), [0, 0, 0, 2 / 3], rtol=1e-6)  # 0 at x == 0, even y == 0
    np.testing.assert_allclose(x.grad.cpu().numpy(), [0, 0, np.log(5), np.log(3)], rtol=1e-6)


def test_stable_without_warnings(device):
    a = A.tensor([-1e4, 1e4, 80.0, 1e30, -inf], dtype=A.float32, device=device, requires_grad=True)
    b = A.tensor([1e4, -1e4, 90.0, 1e30, 0.0], dtype=A.float32, device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = a.logaddexp(b) + a.logaddexp2(b)
        out.sum().backward()
        s = A.tensor([0.0, 1.0, -2.0], device=device).sinc()
        lg = A.tensor([-1.0, 0.0, 1.0, 2.0], device=device).logit()
        A.tensor([0.0, 0.0], device=device).xlogy(A.tensor([0.0, -1.0], device=device))
        A.tensor([2.0, -3.0], device=device).asin()
    av, bv = np.array([-1e4, 1e4, 80, 1e30, -np.inf]), np.array([1e4, -1e4, 90, 1e30, 0])
    np.testing.assert_allclose(
        out.detach().cpu().numpy(), np.logaddexp(av, bv) + np.logaddexp2(av, bv), rtol=1e-6
    )
    with np.errstate(over="ignore"):
        sig = 1 / (1 + np.exp(-(av - bv)))
        sig2 = 1 / (1 + np.exp(-(av - bv) * np.log(2)))
    np.testing.assert_allclose(a.grad.cpu().numpy(), sig + sig2, rtol=1e-5, atol=1e-7)
    assert np.isfinite(a.grad.cpu().numpy()).all()
    assert s.cpu().numpy()[0] == 1.0
    assert (
        lg.cpu().numpy()[1] == -inf
        and lg.cpu().numpy()[2] == inf
        and np.isnan(lg.cpu().numpy()[[0, 3]]).all()
    )


def test_sinc_at_zero(device):
    x = A.tensor([0.0, 0.0], dtype=A.float64, device=device, requires_grad=True)
    y = x.sinc()
    (gx,) = A.grad(y.sum(), x, create_graph=True)
    assert y.tolist() == [1.0, 1.0] and gx.tolist() == [0.0, 0.0]
    (ggx,) = A.grad(gx.sum(), x)
    assert np.isfinite(ggx.cpu().numpy()).all()


def test_atan2_gradient_every_quadrant(device):
    pts = [(1.0, 2.0), (1.0, -2.0), (-1.0, -2.0), (-1.0, 2.0), (3.0, 0.0), (-3.0, 0.0), (0.0, -1.0)]
    y = A.tensor([p[0] for p in pts], dtype=A.float64, device=device, requires_grad=True)
    x = A.tensor([p[1] for p in pts], dtype=A.float64, device=device, requires_grad=True)
    out = A.atan2(y, x)
    out.sum().backward()
    yy, xx = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
    np.testing.assert_allclose(out.detach().cpu().numpy(), np.arctan2(yy, xx), rtol=1e-12)
    np.testing.assert_allclose(y.grad.cpu().numpy(), xx / (xx**2 + yy**2), rtol=1e-12)
    np.testing.assert_allclose(x.grad.cpu().numpy(), -yy / (xx**2 + yy**2), rtol=1e-12)
    # central differences would straddle the branch cut at (0, -1): check the continuous points
    assert A.gradcheck(
        lambda a, b: A.atan2(a, b), (y[:-1].detach().requires_grad_(), x[:-1].detach().requires_grad_())
    )


# ---- dtypes -----------------------------------------------------------------------------------------------


def test_integer_inputs_give_float(device):
    i = A.tensor([1, 2, 0], device=device)
    for name in ("asin", "acos", "atan", "asinh", "acosh", "atanh", "sinc", "logit", "deg2rad", "rad2deg"):
        assert getattr(i, name)().dtype == A.float32, name
    assert A.tensor([True, False], device=device).sinc().dtype == A.float32
    for name in ("atan2", "hypot", "xlogy", "logaddexp", "logaddexp2"):
        assert getattr(A, name)(i, i).dtype == A.float32, name
    assert A.xlogy(i, 2).dtype == A.float32
    assert A.deg2rad(A.tensor([180], device=device)).item() == pytest.approx(np.pi)
    f64 = A.ones(3, dtype=A.float64, device=device)
    f16 = A.ones(3, dtype=A.float16, device=device)
    assert A.atan2(A.ones(3, device=device), f64).dtype == A.float64
    assert A.atan2(f16, i).dtype == A.float16 and f16.asin().dtype == A.float16
    assert A.atan2(f16, A.tensor(2.0, device=device)).dtype == A.float16  # 0-d tensors don't promote
    # fmax/fmin keep integer dtypes, as torch
    assert A.fmax(i, i).dtype == A.int64 and A.fmin(i, A.ones(3, device=device)).dtype == A.float32
    assert A.fmax(i, A.tensor([0, 5, -1], device=device)).tolist() == [1, 5, 0]
    # float_power is always float64
    for base, e in ((i, 2), (A.ones(3, device=device), 0.5), (i, A.ones(3, device=device))):
        assert A.float_power(base, e).dtype == A.float64
    assert A.float_power(2, i).tolist() == [2.0, 4.0, 1.0]
    # tests on values give bool; heaviside keeps the input dtype
    assert i.signbit().dtype == A.bool and A.tensor([-1, 1], device=device).signbit().tolist() == [
        True,
        False,
    ]
    assert i.isposinf().tolist() == [False] * 3 and i.isneginf().dtype == A.bool
    assert A.heaviside(A.tensor([-2, 0, 3], device=device), A.tensor([7], device=device)).tolist() == [
        0,
        7,
        1,
    ]
    assert not i.is_complex() and not A.is_complex(f64)


def test_casts(device):
    x = A.tensor([1.7, -2.2, 300.0], device=device, requires_grad=True)
    assert x.byte().dtype == A.uint8 and x.char().dtype == A.int8 and x.short().dtype == A.int16
    assert x.short().tolist() == [1, -2, 300] and not x.short().requires_grad
    assert A.tensor([7, 8], device=device).floor_divide(3).tolist() == [2, 2]
    assert A.tensor([7.0, -8.0], device=device).floor_divide(
        A.tensor([2.0, 3.0], device=device)
    ).tolist() == [3, -3]


# ---- in-place forms ---------------------------------------------------------------------------------------

INPLACE = {  # name_: (call, out-of-place equivalent, low, high)
    "asin_": (lambda t: t.asin_(), lambda t: t.asin(), -0.9, 0.9),
    "acos_": (lambda t: t.acos_(), lambda t: t.acos(), -0.9, 0.9),
    "atan_": (lambda t: t.atan_(), lambda t: t.atan(), -2, 2),
    "arcsinh_": (lambda t: t.arcsinh_(), lambda t: t.asinh(), -2, 2),
    "atanh_": (lambda t: t.atanh_(), lambda t: t.atanh(), -0.9, 0.9),
    "sinc_": (lambda t: t.sinc_(), lambda t: t.sinc(), -2, 2),
    "logit_": (lambda t: t.logit_(0.1), lambda t: t.logit(0.1), 0.0, 1.0),
    "deg2rad_": (lambda t: t.deg2rad_(), lambda t: t.deg2rad(), -90, 90),
    "rad2deg_": (lambda t: t.rad2deg_(), lambda t: t.rad2deg(), -2, 2),
    "atan2_": (
        lambda t: t.atan2_(A.tensor(0.5, device=t.device)),
        lambda t: t.atan2(A.tensor(0.5, device=t.device)),
        -2,
        2,
    ),
    "hypot_": (lambda t: t.hypot_(2.0), lambda t: t.hypot(A.tensor(2.0, device=t.device)), -2, 2),
    "xlogy_": (lambda t: t.xlogy_(3.0), lambda t: t.xlogy(3.0), -2, 2),
    "nan_to_num_": (lambda t: t.nan_to_num_(1.0), lambda t: t.nan_to_num(1.0), -2, 2),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_matches_out_of_place(device, name):
    call, ref, lo, hi = INPLACE[name]
    data = np.random.default_rng(0).uniform(lo, hi, (2, 3))
    t = A.tensor(data, device=device)
    want = ref(A.tensor(data, device=device))
    v0 = t._version
    assert call(t) is t and t._version > v0
    np.testing.assert_allclose(t.cpu().numpy(), want.cpu().numpy(), rtol=1e-6, atol=1e-6)
    # differentiable: through a non-leaf, against the out-of-place gradient
    x = A.tensor(data, dtype=A.float64, device=device, requires_grad=True)
    y = x * 1
    call(y)
    y.sum().backward()
    x2 = A.tensor(data, dtype=A.float64, device=device, requires_grad=True)
    ref(x2).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), x2.grad.cpu().numpy(), rtol=1e-10)


def test_inplace_chain_vs_torch(device):
    def chain(a, b):
        c = a * 0.5
        c.atan_()
        c.sinc_()
        c.atan2_(b)
        c.hypot_(b)
        return c

    check_op([(3, 4), (4,)], chain, device=device)


def test_float_power_and_logical_not_inplace(device):
    t = A.tensor([2.0, 3.0], dtype=A.float64, device=device)
    t.float_power_(2)
    assert t.tolist() == [4.0, 9.0]
    t.float_power_(A.tensor([0.5, 1.0], device=device))
    assert t.tolist() == [2.0, 9.0]
    with pytest.raises(RuntimeError, match="float_power_: .*float32.*float64"):
        A.ones(2, device=device).float_power_(2)
    b = A.tensor([1.0, 0.0, -2.0], device=device)
    assert b.logical_not_() is b and b.tolist() == [0.0, 1.0, 0.0] and b.dtype == A.float32
    c = A.tensor([True, False], device=device).logical_not_()
    assert c.tolist() == [False, True]
    assert A.tensor([1, 2], device=device).nan_to_num_().tolist() == [1, 2]


def test_inplace_errors(device):
    i = A.tensor([1, 0], device=device)
    for call in (
        lambda: i.asin_(),
        lambda: i.logit_(0.1),
        lambda: i.sinc_(),
        lambda: i.atan2_(A.ones(2, device=device)),
        lambda: i.deg2rad_(),
    ):
        with pytest.raises(RuntimeError, match=r"_: .*(can't be cast|Float).*int64"):
            call()
    leaf = A.ones(3, device=device, requires_grad=True)
    for call in (
        lambda: leaf.asin_(),
        lambda: leaf.hypot_(1.0),
        lambda: leaf.logical_not_(),
        lambda: leaf.nan_to_num_(),
    ):
        with pytest.raises(RuntimeError, match="leaf Variable"):
            call()
    x = A.ones(3, device=device)
    with pytest.raises(RuntimeError, match=r"atan2_: .*shape"):
        x.atan2_(A.ones(2, 3, device=device))


# ---- errors -----------------------------------------------------------------------------------------------


def test_errors(device):
    x = A.ones(2, 3, device=device)
    with pytest.raises(RuntimeError, match=r"atan2: .*\(2, 3\).*\(4,\)"):
        A.atan2(x, A.ones(4, device=device))
    with pytest.raises(RuntimeError, match=r"hypot: .*\(2, 3\).*\(2,\)"):
        x.hypot(A.ones(2, device=device))
    with pytest.raises(TypeError, match="asin: expected a Tensor"):
        A.asin([0.5])
    with pytest.raises(TypeError, match="xlogy: expected at least one Tensor"):
        A.xlogy(1.0, 2.0)
    with pytest.raises(TypeError, match="logaddexp: unsupported operand type str"):
        x.logaddexp("a")
    with pytest.raises(RuntimeError, match="heaviside: .*same dtype"):
        A.heaviside(x, A.tensor([1], device=device))
    with pytest.raises(TypeError, match="heaviside: expected values to be a Tensor"):
        A.heaviside(x, 0.5)
    h = A.heaviside(A.ones(2, device=device, requires_grad=True), A.zeros(1, device=device))
    assert not h.requires_grad  # not differentiable, as in torch
    if device != "cpu":
        with pytest.raises(RuntimeError, match="atan2: expected all tensors to be on the same device"):
            A.atan2(x, A.ones(2, 3))


def test_api_names():
    for name in (
        "asin acos atan asinh acosh atanh arcsin arccos arctan arcsinh arccosh arctanh atan2 arctan2 hypot "
        "logaddexp logaddexp2 logit xlogy sinc deg2rad rad2deg heaviside fmax fmin float_power signbit "
        "isneginf isposinf is_complex floor_divide nan_to_num_"
    ).split():
        assert callable(getattr(A, name)), name
    t = A.ones(1)
    for name in (
        "asin_ acos_ atan_ asinh_ acosh_ atanh_ arcsin_ arccos_ arctan_ arcsinh_ arccosh_ arctanh_ atan2_ "
        "arctan2_ hypot_ logit_ xlogy_ sinc_ deg2rad_ rad2deg_ nan_to_num_ logical_not_ float_power_ byte char "
        "short floor_divide is_complex"
    ).split():
        assert callable(getattr(t, name)), name
    assert to_numpy(A.arcsin(A.tensor([0.5]))).tolist() == to_numpy(A.asin(A.tensor([0.5]))).tolist()
