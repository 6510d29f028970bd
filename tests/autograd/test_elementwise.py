"""Elementwise ops: values and gradients against the reference, with broadcasting and strided inputs."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op, torch

import autograd as A

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
}
BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((5,), ()), ((0, 3), (3,))]


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BROADCAST, ids=str)
def test_binary(device, name, shapes):
    fn = BINARY[name]
    check_op(shapes, fn, device=device, low=0.5, high=2.0)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_noncontiguous(device, name):
    check_op([(3, 4), (3, 4)], BINARY[name], device=device, low=0.5, high=2.0, noncontig=True)


def test_pow(device):
    check_op([(3, 4)], lambda a: a**3, device=device)
    check_op([(3, 4)], lambda a: a**2.5, device=device, low=0.5, high=2)
    check_op([(3, 4), (3, 4)], lambda a, b: a**b, device=device, low=0.5, high=2)
    check_op([(3, 4)], lambda a: 2**a, device=device)


def test_reflected_scalars(device):
    check_op([(3,)], lambda a: 2 - a, device=device)
    check_op([(3,)], lambda a: 2 / a, device=device, low=0.5)
    check_op([(3,)], lambda a: 2 * a + 1, device=device)


UNARY = {
    "exp": (lambda a: a.exp(), -2, 2),
    "log": (lambda a: a.log(), 0.1, 3),
    "log1p": (lambda a: a.log1p(), -0.5, 3),
    "expm1": (lambda a: a.expm1(), -2, 2),
    "sqrt": (lambda a: a.sqrt(), 0.1, 3),
    "rsqrt": (lambda a: a.rsqrt(), 0.1, 3),
    "sin": (lambda a: a.sin(), -3, 3),
    "cos": (lambda a: a.cos(), -3, 3),
    "tan": (lambda a: a.tan(), -1, 1),
    "tanh": (lambda a: a.tanh(), -3, 3),
    "sigmoid": (lambda a: a.sigmoid(), -5, 5),
    "relu": (lambda a: a.relu(), -2, 2),
    "abs": (lambda a: a.abs(), -2, 2),
    "neg": (lambda a: -a, -2, 2),
    "reciprocal": (lambda a: a.reciprocal(), 0.5, 2),
    "erf": (lambda a: a.erf(), -2, 2),
    "softplus": (
        lambda a: A.softplus(a) if isinstance(a, A.Tensor) else __import__("torch").nn.functional.softplus(a),
        -3,
        3,
    ),
    "square": (lambda a: a.square(), -2, 2),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(device, name):
    fn, lo, hi = UNARY[name]
    check_op([(3, 5)], fn, device=device, low=lo, high=hi)
    check_op([(0, 2)], fn, device=device, low=lo, high=hi)


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round", "trunc"])
def test_piecewise_constant(device, name):
    check_op([(3, 4)], lambda a: getattr(a, name)(), device=device, gradcheck=False)


def test_clamp_where_lerp(device):
    check_op([(4, 5)], lambda a: a.clamp(-0.5, 0.7), device=device)
    check_op([(4, 5)], lambda a: a.clamp(min=0.1), device=device)
    check_op([(4, 5), (4, 5)], lambda a, b: a.lerp(b, 0.3), device=device)
    check_op(
        [(4, 5), (5,)],
        lambda a, b: (
            A.where(a > 0, a, b) if isinstance(a, A.Tensor) else __import__("torch").where(a > 0, a, b)
        ),
        device=device,
    )


def test_remainder(device):
    check_op([(3, 4)], lambda a: a % 0.7, device=device, gradcheck=False)


def test_stable_at_extremes(device):
    import warnings

    x = A.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = x.sigmoid()
        sp = A.softplus(x)
        lse = x.logsumexp(0)
        (s.sum() + sp.sum() + lse).backward()
    np.testing.assert_allclose(s.detach().cpu().numpy(), [0, 0, 0.5, 1, 1], atol=1e-7)
    np.testing.assert_allclose(sp.detach().cpu().numpy(), [0, np.exp(-50.0), np.log(2), 50, 1e4], rtol=1e-6)
    np.testing.assert_allclose(lse.item(), 1e4, rtol=1e-7)
    assert np.all(np.isfinite(x.grad.cpu().numpy()))


def test_comparisons_have_no_graph(device):
    a = A.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    for r in (a > 2, a >= 2, a < 2, a <= 2, a == 2, a != 2):
        assert r.dtype == A.bool and not r.requires_grad
    assert (a > 1).logical_and(a < 3).tolist() == [False, True, False]
    assert (~(a > 1)).tolist() == [True, False, False]


# ---- more operators, reuse, zero-size, in-place, NumPy references ------------------------------------


def test_floor_divide_and_remainder(device):
    check_op([(3, 4)], lambda a: a // 0.7, device=device, grad=False)
    check_op([(3, 4)], lambda a: 3 // a, device=device, grad=False, low=0.5)
    check_op([(3, 4), (3, 4)], lambda a, b: a % b, device=device, low=0.5, gradcheck=False)
    x = A.tensor([7, -7], device=device)
    assert (x // 2).tolist() == [3, -4] and (x % 3).tolist() == [1, 2] and (x // 2).dtype == A.int64
    assert A.tensor([7.0, -7.0], device=device).div(2, rounding_mode="trunc").tolist() == [3.0, -3.0]
    assert A.tensor([7.0, -7.0], device=device).div(2, rounding_mode="floor").tolist() == [3.0, -4.0]
    # remainder's gradient w.r.t. the divisor (PyTorch has none): finite differences decide
    a = A.tensor([1.3, -2.2, 3.7], dtype=A.float64, device=device, requires_grad=True)
    b = A.tensor([0.7, 0.9, -1.1], dtype=A.float64, device=device, requires_grad=True)
    assert A.gradcheck(lambda p, q: p % q, (a, b))
    assert A.gradcheck(lambda p: 2.5 % p, (b,))
    assert A.gradcheck(lambda p: p.fmod(0.7), (a,))


def test_reflected_and_unary_operators(device):
    check_op([(3,)], lambda a: 2**a, device=device)
    check_op([(3,)], lambda a: 1.5 - (-a) + abs(a), device=device)
    check_op([(2, 3)], lambda a: +a * 1, device=device)


@pytest.mark.parametrize(
    "fn",
    [lambda a: a * a + a, lambda a: (a * a).exp() / (a.abs() + 1), lambda a: a.tanh() * a.sigmoid() - a],
    ids=["square_plus", "exp_div", "tanh_sigmoid"],
)
def test_reused_nodes(device, fn):
    check_op([(3, 4)], fn, device=device)
    check_op([(3, 4)], fn, device=device, noncontig=True)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid", "abs", "sin", "erf"])
def test_unary_noncontiguous(device, name):
    fn, lo, hi = UNARY[name]
    check_op([(3, 4)], fn, device=device, low=lo, high=hi, noncontig=True)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_zero_size_broadcast(device, name):
    check_op([(0, 1, 3), (2, 1)], BINARY[name], device=device, low=0.5, high=2.0)


def test_clamp_variants(device):
    check_op([(4, 5), (5,), (5,)], lambda a, lo, hi: a.clamp(lo, hi + 3), device=device)
    check_op([(4, 5)], lambda a: a.clamp(max=0.2), device=device)
    check_op([(4, 5)], lambda a: a.clip(-1, 1), device=device)
    check_op([(4, 5), (4, 5), (5,)], lambda a, b, w: a.lerp(b, w), device=device)
    with pytest.raises(RuntimeError, match="clamp: at least one of 'min' or 'max' must not be None"):
        A.ones(2, device=device).clamp()


def test_maximum_minimum_ties_like_torch(device):
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 0.0, 3.0])
    check_op([a, b], lambda x, y: x.maximum(y), device=device, gradcheck=False)
    check_op([a, b], lambda x, y: x.minimum(y), device=device, gradcheck=False)


@pytest.mark.parametrize(
    "fn, np_fn, lo",
    [
        (lambda a, b: a * b + a / b, lambda a, b: a * b + a / b, 0.5),
        (lambda a, b: a**b, lambda a, b: a**b, 0.5),
        (lambda a, b: a.maximum(b) - a.minimum(b), lambda a, b: np.maximum(a, b) - np.minimum(a, b), -2),
        (lambda a, b: (a - b).abs().sqrt(), lambda a, b: np.sqrt(np.abs(a - b)), -2),
        (lambda a, b: a.exp().log1p() + b.expm1(), lambda a, b: np.log1p(np.exp(a)) + np.expm1(b), -2),
        (lambda a, b: a.sin() * b.cos() + a.tan(), lambda a, b: np.sin(a) * np.cos(b) + np.tan(a), -1),
        (lambda a, b: a.sigmoid() + b.tanh(), lambda a, b: 1 / (1 + np.exp(-a)) + np.tanh(b), -3),
        (lambda a, b: a.rsqrt() + b.reciprocal(), lambda a, b: 1 / np.sqrt(a) + 1 / b, 0.5),
        (lambda a, b: A.where(a > b, a, b * 2), lambda a, b: np.where(a > b, a, b * 2), -2),
        (
            lambda a, b: a.clamp(-0.5, 0.5) + b.relu(),
            lambda a, b: np.clip(a, -0.5, 0.5) + np.maximum(b, 0),
            -2,
        ),
        (lambda a, b: a.lerp(b, 0.25), lambda a, b: a + 0.25 * (b - a), -2),
    ],
    ids=[
        "arith",
        "pow",
        "maxmin",
        "sqrt_abs",
        "log1p_expm1",
        "trig",
        "sigmoid_tanh",
        "rsqrt",
        "where",
        "clamp_relu",
        "lerp",
    ],
)
def test_elementwise_numpy_reference(device, fn, np_fn, lo):
    from autograd_refs import check_np

    rng = np.random.default_rng(3)
    shapes = [rng.uniform(lo, 2.0, size=(2, 3)), rng.uniform(lo, 2.0, size=(3,))]
    # keep away from kinks/ties so finite differences are valid
    shapes[0][np.abs(shapes[0]) < 0.05] += 0.2
    check_np(shapes, fn, np_fn, device=device)


def test_erf_numpy_reference(device):
    import math

    x = A.tensor([-2.0, -0.5, 0.0, 0.3, 1.7], dtype=A.float64, device=device, requires_grad=True)
    np.testing.assert_allclose(x.erf().detach().cpu().numpy(), [math.erf(v) for v in x.tolist()], atol=1e-6)
    # a wider step: the array-module fallback of erf is accurate to ~1e-7, too coarse for eps=1e-6
    assert A.gradcheck(lambda t: t.erf(), (x,), eps=1e-3, atol=1e-3)


def test_comparisons_and_logical(device):
    a = A.tensor([1.0, 2.0, 3.0], device=device)
    b = A.tensor([3.0, 2.0, 1.0], device=device)
    assert (a == b).tolist() == [False, True, False] and (a != b).tolist() == [True, False, True]
    assert a.lt(b).tolist() == [True, False, False] and a.ge(b).tolist() == [False, True, True]
    assert (a > 1.5).tolist() == [False, True, True] and (2 < a).tolist() == [False, False, True]
    m, n = a > 1, b > 1
    assert m.logical_and(n).tolist() == [False, True, False] and m.logical_or(n).tolist() == [
        True,
        True,
        True,
    ]
    assert m.logical_xor(n).tolist() == [True, False, True] and m.logical_not().tolist() == [
        True,
        False,
        False,
    ]
    assert (m & n).tolist() == [False, True, False] and (m | n).tolist() == [True, True, True]
    assert (m ^ n).tolist() == [True, False, True] and A.logical_not(m).tolist() == [True, False, False]
    assert (
        a.isfinite().all().item() and not A.tensor([float("nan")], device=device).isnan().logical_not().item()
    )
    assert A.tensor([float("inf")], device=device).isinf().item()
    assert a.equal(a.clone()) and not a.equal(b) and a.allclose(a + 1e-9)
    assert (a == 2).dtype == A.bool and not (a.requires_grad_() > 1).requires_grad


def test_sign_floor_ceil_round_values(device):
    x = A.tensor([-1.5, -0.4, 0.0, 0.5, 2.5], device=device, requires_grad=True)
    assert x.sign().tolist() == [-1.0, -1.0, 0.0, 1.0, 1.0]
    assert x.floor().tolist() == [-2.0, -1.0, 0.0, 0.0, 2.0] and x.ceil().tolist() == [
        -1.0,
        -0.0,
        0.0,
        1.0,
        3.0,
    ]
    assert x.round().tolist() == [-2.0, -0.0, 0.0, 0.0, 2.0]  # half to even, as PyTorch
    assert A.tensor([1.234, 5.678], device=device).round(decimals=1).tolist() == pytest.approx([1.2, 5.7])
    (x.sign() + x.floor() + x.ceil() + x.round()).sum().backward()
    assert x.grad.tolist() == [0.0] * 5


def test_inplace_arithmetic(device):
    x = A.tensor([1.0, 2.0], device=device)
    x.add_(1).sub_(0.5).mul_(4).div_(2)
    assert x.tolist() == [3.0, 5.0] and x._version == 4
    x += A.tensor([1.0, 1.0], device=device)
    x -= 1
    x *= 2
    x /= 4
    assert x.tolist() == [1.5, 2.5]
    x.clamp_(0, 2)
    assert x.tolist() == [1.5, 2.0]
    x.exp_().log_()
    assert x.tolist() == pytest.approx([1.5, 2.0])
    i = A.tensor([1, 2], device=device)
    with pytest.raises(RuntimeError, match="add_: .*(can't be cast|Cannot cast).*int64"):
        i.add_(A.tensor([0.5, 0.5], dtype=A.float64, device=device))
    with pytest.raises(
        RuntimeError, match=r"mul_: output with shape \(2,\) doesn't match the broadcast shape \(2, 2\)|mul_"
    ):
        x.mul_(A.ones(2, 2, device=device))


def test_inplace_differentiable(device):
    check_op([(3, 4), (4,)], lambda a, b: _inplace_chain(a, b), device=device)


def _inplace_chain(a, b):
    c = a * 1
    c.add_(b)
    c.mul_(b)
    c.sub_(1.5)
    c.div_(2.0)
    c.clamp_(-1.0, 1.0)
    return c


def test_dtype_promotion_like_torch(device):
    f32 = A.ones(2, device=device)
    i64 = A.ones(2, dtype=A.int64, device=device)
    assert (f32 + f32).dtype == A.float32 and (i64 + i64).dtype == A.int64
    assert (f32 * 2).dtype == A.float32 and (f32 * 2.5).dtype == A.float32 and (i64 * 2).dtype == A.int64
    assert (A.ones(2, dtype=A.float16, device=device) * 2.0).dtype == A.float16
    assert (f32 * True).dtype == A.float32


def test_mixed_dtype_promotion_like_torch(device):
    f32 = A.ones(2, device=device)
    i64 = A.ones(2, dtype=A.int64, device=device)
    f64_0d = A.tensor(2.0, dtype=A.float64, device=device)
    assert (f32 + i64).dtype == A.float32 and (i64 * f32).dtype == A.float32
    assert (f32 * f64_0d).dtype == A.float32  # a 0-d tensor does not widen a dimensioned one
    assert (i64 * 2.5).dtype == A.float32 and (i64 / 2).dtype == A.float32 and (i64 / i64).dtype == A.float32
    assert (A.ones(2, dtype=A.float16, device=device) + A.tensor(1.0, device=device)).dtype == A.float16
    assert (i64 + f64_0d).dtype == A.float64


@pytest.mark.parametrize("dt", ["float16", "float64"])
def test_ops_keep_float_dtype(device, dt):
    dtype = getattr(A, dt)
    x = A.tensor([[0.5, -1.0], [2.0, 3.0]], dtype=dtype, device=device, requires_grad=True)
    fns = {
        "exp": lambda: x.exp(),
        "sigmoid": lambda: x.sigmoid(),
        "softplus": lambda: A.softplus(x),
        "tanh": lambda: x.tanh(),
        "erf": lambda: x.erf(),
        "sum": lambda: x.sum(),
        "mean": lambda: x.mean(0),
        "var": lambda: x.var(),
        "matmul": lambda: x @ x,
        "einsum": lambda: A.einsum("ij,jk", x, x),
        "logsumexp": lambda: x.logsumexp(1),
        "norm": lambda: x.norm(),
        "cumsum": lambda: x.cumsum(0),
        "prod": lambda: x.prod(),
        "index": lambda: x[[0, 0]],
        "amax": lambda: x.amax(1),
        "pow": lambda: x**2,
        "div": lambda: x / 3,
        "scalar_ops": lambda: 2.0 * x - 1,
    }
    for name, f in fns.items():
        y = f()
        assert y.dtype == dtype, f"{name}: {y.dtype}"
        x.grad = None
        y.sum().backward()
        assert x.grad.dtype == dtype, f"{name}: grad {x.grad.dtype}"


@pytest.mark.parametrize("shape", [(5,), (70, 80)])  # below and above the size where the kernel changes form
@pytest.mark.parametrize("create_graph", [False, True])
def test_relu_gradient_at_zero_and_nan_like_torch(device, shape, create_graph):
    """relu passes the gradient where its output is non-zero (NaN included, as PyTorch), blocks it at and below 0."""
    x = np.random.default_rng(0).standard_normal(shape)
    flat = x.reshape(-1)
    flat[:5] = [np.nan, -1.0, 0.0, -0.0, 2.0]
    t = A.tensor(x, device=device, requires_grad=True)
    g = A.full(shape, 3.0, dtype=A.float64, device=device)
    (gx,) = A.grad(t.relu(), t, g, create_graph=create_graph)
    want = np.where(np.isnan(x) | (x > 0), 3.0, 0.0)
    np.testing.assert_array_equal(gx.cpu().numpy(), want)


FLOAT_RESULT_OPS = ["exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid"]
FLOAT_RESULT_OPS += ["reciprocal", "erf", "erfc", "log2", "log10"]


@pytest.mark.parametrize("name", FLOAT_RESULT_OPS)
@pytest.mark.parametrize("dt", ["int64", "int32", "bool"])
def test_float_ops_on_integer_tensors_give_default_float(device, name, dt):
    """exp/log/sin/sigmoid/reciprocal... of an int or bool tensor are float32 (not float64, not truncated ints)."""
    vals = (
        np.array([1, 2, 3]) if dt != "bool" else np.array([True, True])
    )  # (log(False) = -inf warns in NumPy)
    t = A.tensor(vals, dtype=getattr(A, dt), device=device)
    out = getattr(t, name)()
    assert out.dtype == A.float32, f"{name}({dt}) gave {out.dtype}"
    ref = getattr(A.tensor(vals.astype(np.float64), device=device), name)()
    np.testing.assert_allclose(out.cpu().numpy(), ref.cpu().numpy(), rtol=1e-6, atol=1e-7)
    assert getattr(A, name)(t).dtype == A.float32 if hasattr(A, name) else True


def test_nan_to_num_on_integer_tensors(device):
    t = A.tensor([1, -2, 3], device=device)
    out = t.nan_to_num()
    assert out.dtype == A.int64 and out.tolist() == [1, -2, 3] and out.data_ptr() != t.data_ptr()


@pytest.mark.parametrize(
    "fn, want",
    [
        (lambda a, b: a.maximum(b), "float32"),
        (lambda a, b: a.minimum(b), "float32"),
        (lambda a, b: a.floor_divide(b), "float32"),
        (lambda a, b: b // a, "float32"),
        (lambda a, b: b.fmod(3), "int64"),
        (lambda a, b: b.fmod(-2.5), "float32"),
        (lambda a, b: a.fmod(b + 5), "float32"),
        (lambda a, b: b // 2.5, "float32"),
    ],
)
def test_mixed_dtype_results_like_torch(device, fn, want):
    a = A.tensor([[-1.5, 2.25, 3.0]], device=device)  # float32
    b = A.tensor([[-7, 5, 4]], device=device)  # int64
    out = fn(a, b)
    assert str(out.dtype) == f"autograd.{want}"
    if HAVE_TORCH:
        ta, tb = torch.tensor(a.cpu().numpy()), torch.tensor(b.cpu().numpy())
        np.testing.assert_allclose(out.cpu().numpy(), fn(ta, tb).numpy(), rtol=1e-6)


def test_bitwise_not(device):
    assert A.tensor([0, 5, -1], device=device).bitwise_not().tolist() == [-1, -6, 0]
    assert A.tensor([True, False], device=device).bitwise_not().tolist() == [False, True]


def test_more_dtype_rules_like_torch(device):
    i = A.tensor([[-3, 0, 5]], device=device)
    b = A.tensor([[True, False, True]], device=device)
    assert i.clamp(min=0.5).dtype == A.float32 and i.clamp(min=0.5).tolist() == [[0.5, 0.5, 5.0]]
    assert i.clamp(-1, 1).dtype == A.int64
    assert b.sign().dtype == A.bool and b.sign().tolist() == [[True, False, True]]
    assert b.square().dtype == A.int64
    assert b.div(-2, rounding_mode="trunc").dtype == A.int64
    assert i.div(2, rounding_mode="trunc").tolist() == [[-1, 0, 2]]
    assert i.div(2.5, rounding_mode="trunc").dtype == A.float32
    x = A.arange(24.0, device=device).reshape(2, 3, 4)
    assert x.flip(0, 2).tolist() == x.flip((0, 2)).tolist() == x.flip([0, 2]).tolist()
    assert x.flip(0, 2)[0, 0].tolist() == [15.0, 14.0, 13.0, 12.0]
