"""Order statistics, scans, counting, matrix extras and random fills against PyTorch (values, grads, gradcheck)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op, to_numpy

import autograd as A

pytestmark = pytest.mark.skipif(not HAVE_TORCH, reason="torch reference not installed")
if HAVE_TORCH:
    import torch

NAN = float("nan")


def _same(fn: str):
    """A lambda calling the module-level function ``fn`` of whichever library its first input belongs to."""

    def f(*xs, **kw):
        lib = torch if isinstance(xs[0], torch.Tensor) else A
        return getattr(lib, fn)(*xs, **kw)

    return f


# name -> (fn on tensors of either library, input shapes)
OPS = {
    "median_all": (lambda a: a.median(), [(3, 4)]),
    "median_dim": (lambda a: a.median(1), [(3, 4)]),
    "median_keep": (lambda a: a.median(0, keepdim=True), [(4, 3)]),
    "median_0d": (lambda a: a.median(0), [()]),
    "nanmedian_dim": (lambda a: a.nanmedian(-1), [(2, 3, 5)]),
    "kthvalue": (lambda a: a.kthvalue(2), [(3, 5)]),
    "kthvalue_dim_keep": (lambda a: a.kthvalue(3, 0, True), [(4, 2)]),
    "mode": (lambda a: a.mode(0), [(3, 4)]),
    "quantile_all": (lambda a: a.quantile(0.3), [(3, 4)]),
    "quantile_dim": (lambda a: a.quantile(0.75, dim=1), [(3, 5)]),
    "nanquantile_keep": (lambda a: a.nanquantile(0.4, dim=0, keepdim=True), [(5, 3)]),
    "cummax": (lambda a: a.cummax(1), [(3, 5)]),
    "cummin": (lambda a: a.cummin(0), [(4, 3)]),
    "logcumsumexp": (lambda a: a.logcumsumexp(1), [(3, 6)]),
    "logcumsumexp_neg": (lambda a: a.logcumsumexp(-3), [(5, 2, 3)]),
    "aminmax": (lambda a: a.aminmax(), [(3, 4)]),
    "aminmax_dim": (lambda a: a.aminmax(dim=1, keepdim=True), [(3, 4)]),
    "diff": (lambda a: a.diff(), [(3, 5)]),
    "diff_n2_dim0": (lambda a: a.diff(2, 0), [(5, 3)]),
    "diff_prepend_append": (lambda a, p, q: a.diff(1, 1, p, q), [(2, 3), (2, 1), (2, 2)]),
    "cross": (lambda a, b: a.cross(b, dim=1), [(4, 3), (4, 3)]),
    "cross_broadcast": (
        lambda a, b: torch.linalg.cross(a, b) if isinstance(a, torch.Tensor) else a.cross(b, -1),
        [(2, 1, 3), (1, 4, 3)],
    ),
    "inner": (lambda a, b: a.inner(b), [(2, 3), (4, 3)]),
    "inner_1d": (lambda a, b: a.inner(b), [(3,), (3,)]),
    "kron": (lambda a, b: a.kron(b), [(2, 3), (3, 2)]),
    "kron_ranks": (lambda a, b: a.kron(b), [(2,), (2, 3)]),
    "matrix_power_3": (lambda a: a.matrix_power(3), [(3, 3)]),
    "matrix_power_batch": (lambda a: a.matrix_power(2), [(2, 3, 3)]),
    "matrix_power_neg": (lambda a: a.matrix_power(-2), [np.array([[2.0, 0.5], [0.3, 1.5]])]),
    "baddbmm": (lambda x, a, b: x.baddbmm(a, b, beta=0.5, alpha=2.0), [(2, 3, 4), (2, 3, 5), (2, 5, 4)]),
    "addbmm": (lambda x, a, b: x.addbmm(a, b), [(3, 4), (2, 3, 5), (2, 5, 4)]),
    "addmv": (lambda x, m, v: x.addmv(m, v, alpha=3.0), [(3,), (3, 4), (4,)]),
    "addr": (lambda x, a, b: x.addr(a, b, beta=2.0), [(1, 4), (3,), (4,)]),
    "renorm": (lambda a: a.renorm(2, 0, 1.5), [(4, 3)]),
    "renorm_p1_dim1": (lambda a: a.renorm(1, 1, 2.0), [(3, 4)]),
    "inverse": (lambda a: a.inverse(), [np.array([[2.0, 0.5, 0.1], [0.3, 1.5, -0.2], [0.0, 0.4, 1.0]])]),
    "det_batch": (lambda a: a.det(), [(2, 3, 3)]),
    "logdet": (lambda a: a.logdet(), [np.array([[2.0, 0.5], [0.3, 1.5]])]),
    "slogdet": (lambda a: a.slogdet().logabsdet, [(2, 3, 3)]),
    "trapezoid_dx": (lambda y: _same("trapezoid")(y, dx=0.5), [(3, 4)]),
    "trapezoid_x1d": (lambda y, x: _same("trapezoid")(y, x, dim=0), [(4, 3), (4,)]),
    "trapz_xfull": (lambda y, x: _same("trapz")(y, x), [(3, 4), (3, 4)]),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op(device, name):
    fn, shapes = OPS[name]
    check_op(shapes, fn, device=device)


def test_functional_forms(device):
    check_op([(3, 5)], _same("median"), device=device)
    check_op([(3, 5)], lambda a: _same("kthvalue")(a, 2, 0), device=device)
    check_op([(3, 5)], lambda a: _same("quantile")(a, 0.5, 1), device=device)
    check_op([(3, 5)], lambda a: _same("cummax")(a, 1), device=device)
    check_op([(3, 5)], lambda a: _same("logcumsumexp")(a, 0), device=device)
    check_op([(3, 5)], lambda a: _same("diff")(a, dim=0), device=device)
    check_op([(3, 3)], _same("det"), device=device)
    check_op([(2, 2), (3, 1)], _same("kron"), device=device)


@pytest.mark.parametrize("interp", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_interpolations_and_q_tensor(device, interp):
    qs = [0.0, 0.125, 0.375, 0.5, 0.9, 1.0]  # exact-half ranks exercise nearest's half-to-even

    def fn(a):
        lib = torch if isinstance(a, torch.Tensor) else A
        q = lib.tensor(qs, dtype=a.dtype, device=None if lib is torch else a.device)
        return a.quantile(q, dim=1, keepdim=True, interpolation=interp), a.nanquantile(
            q, interpolation=interp
        )

    check_op([(2, 9)], fn, device=device)


def test_double_backward(device):
    x = A.tensor(np.random.default_rng(1).standard_normal((3, 5)), device=device, requires_grad=True)
    assert A.gradgradcheck(lambda a: a.logcumsumexp(1), (x,))
    assert A.gradgradcheck(lambda a: a.median(1).values * a.sum(), (x,))
    m = A.tensor([[2.0, 0.5, 0.1], [0.3, 1.5, -0.2], [0.0, 0.4, 1.0]], dtype=A.float64, device=device)
    m.requires_grad_(True)
    assert A.gradgradcheck(lambda a: a.det(), (m,))
    assert A.gradgradcheck(lambda a: a.inverse(), (m,))


def test_logcumsumexp_stable(device):
    x = A.tensor([[-1000.0, 0.0, -1000.0, 1000.0, 1000.0]], device=device, requires_grad=True)
    t = torch.tensor([[-1000.0, 0.0, -1000.0, 1000.0, 1000.0]], requires_grad=True)
    y, ty = x.logcumsumexp(1), t.logcumsumexp(1)
    np.testing.assert_allclose(to_numpy(y), to_numpy(ty), rtol=1e-6)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), to_numpy(t.grad), atol=1e-6)
    ninf = A.tensor([float("-inf"), float("-inf"), 0.0], device=device).logcumsumexp(0)
    np.testing.assert_array_equal(to_numpy(ninf), [float("-inf"), float("-inf"), 0.0])


# ---- ties and NaN -----------------------------------------------------------------------------------------


def _both(arr, device):
    return A.tensor(arr, device=device), torch.tensor(arr)


TIES = np.array(
    [[1.0, 3.0, 3.0, 2.0, 2.0, 5.0], [2.0, 1.0, 2.0, 1.0, 3.0, 3.0], [4.0, 4.0, 4.0, 4.0, 4.0, 4.0]]
)
WITH_NAN = np.array([[1.0, NAN, 3.0, NAN, 0.5], [2.0, 1.0, 0.0, 5.0, 4.0], [NAN, NAN, NAN, NAN, NAN]])


def test_median_kthvalue_mode_ties(device):
    a, t = _both(TIES, device)
    for ours, theirs in [
        (a.median(1), t.median(1)),
        (a.kthvalue(3, 1), t.kthvalue(3, 1)),
        (a.nanmedian(1), t.nanmedian(1)),
    ]:
        np.testing.assert_array_equal(to_numpy(ours.values), to_numpy(theirs.values))
        idx = to_numpy(ours.indices)
        np.testing.assert_array_equal(TIES[np.arange(3), idx], to_numpy(ours.values))  # a valid index
    m, tm = a.mode(1), t.mode(1)
    np.testing.assert_array_equal(to_numpy(m.values), to_numpy(tm.values))  # smallest most frequent value
    np.testing.assert_array_equal(to_numpy(m.indices), to_numpy(tm.indices))  # its last occurrence
    c, tc = a.cummax(1), t.cummax(1)
    np.testing.assert_array_equal(to_numpy(c.indices), to_numpy(tc.indices))  # the last index reaching it
    c, tc = a.cummin(1), t.cummin(1)
    np.testing.assert_array_equal(to_numpy(c.indices), to_numpy(tc.indices))
    assert a.median().item() == t.median().item()


def test_nan_handling_like_torch(device):
    a, t = _both(WITH_NAN, device)
    for name in ("median", "nanmedian"):
        ours, theirs = getattr(a, name)(1), getattr(t, name)(1)
        np.testing.assert_array_equal(to_numpy(ours.values), to_numpy(theirs.values))
    np.testing.assert_array_equal(to_numpy(a.median(1).indices)[:2], to_numpy(t.median(1).indices)[:2])
    np.testing.assert_array_equal(to_numpy(a.kthvalue(4, 1).values), to_numpy(t.kthvalue(4, 1).values))
    np.testing.assert_array_equal(
        to_numpy(a.kthvalue(4, 1).indices)[:2], to_numpy(t.kthvalue(4, 1).indices)[:2]
    )
    for ours, theirs in [(a.cummax(1), t.cummax(1)), (a.cummin(1), t.cummin(1))]:
        np.testing.assert_array_equal(to_numpy(ours.values), to_numpy(theirs.values))
        np.testing.assert_array_equal(to_numpy(ours.indices), to_numpy(theirs.indices))
    assert np.isnan(a.median().item()) and np.isnan(t.median().item())
    assert a.nanmedian().item() == t.nanmedian().item()
    for q in (0.3, 0.5):
        np.testing.assert_array_equal(to_numpy(a.quantile(q, 1)), to_numpy(t.quantile(q, 1)))
        np.testing.assert_allclose(to_numpy(a.nanquantile(q, 1)), to_numpy(t.nanquantile(q, 1)), rtol=1e-6)


def test_mode_counts_nan_as_one_value(device):
    # PyTorch's CPU mode sorts with `<`, so its NaN handling is unspecified; ours: NaN is one value, the largest
    a = A.tensor(
        [[1.0, NAN, NAN, 2.0, 2.0], [NAN, 1.0, NAN, 0.0, NAN], [3.0, 1.0, NAN, 2.0, 0.0]], device=device
    )
    m = a.mode(1)
    np.testing.assert_array_equal(to_numpy(m.values), [2.0, NAN, 0.0])
    np.testing.assert_array_equal(to_numpy(m.indices), [4, 4, 4])


def test_int_inputs(device):
    x = np.array([[3, 1, 2, 2], [0, 5, 5, 1]])
    a, t = _both(x, device)
    for ours, theirs in [(a.median(1), t.median(1)), (a.mode(1), t.mode(1)), (a.cummax(1), t.cummax(1))]:
        np.testing.assert_array_equal(to_numpy(ours.values), to_numpy(theirs.values))
        assert ours.values.dtype == A.int64 and ours.indices.dtype == A.int64
    assert a.median().item() == t.median().item()
    np.testing.assert_array_equal(to_numpy(a.diff(dim=1)), to_numpy(t.diff(dim=1)))
    b, tb = _both(np.array([True, False, False, True]), device)
    np.testing.assert_array_equal(to_numpy(b.diff()), to_numpy(tb.diff()))


# ---- zero-size and result types ---------------------------------------------------------------------------


def test_zero_size(device):
    a, t = _both(np.zeros((0, 3), dtype=np.float32), device)
    assert np.isnan(a.median().item()) and np.isnan(t.median().item())
    assert tuple(a.median(1).values.shape) == tuple(t.median(1).values.shape) == (0,)
    assert tuple(a.cummax(0).values.shape) == (0, 3)
    assert tuple(a.logcumsumexp(0).shape) == (0, 3)
    assert tuple(a.diff(dim=0).shape) == tuple(t.diff(dim=0).shape) == (0, 3)
    assert tuple(a.kron(a).shape) == tuple(t.kron(t).shape)
    np.testing.assert_array_equal(to_numpy(A.trapezoid(a, dim=0)), to_numpy(torch.trapezoid(t, dim=0)))
    assert tuple(a.unique_consecutive().shape) == (0,)
    e = A.tensor(np.zeros(0, dtype=np.int64), device=device)
    np.testing.assert_array_equal(to_numpy(A.bincount(e, minlength=3)), [0, 0, 0])
    with pytest.raises(IndexError, match="median: expected reduction dim 0 to have non-zero size"):
        a.median(0)
    with pytest.raises(RuntimeError, match="quantile: input tensor must be non-empty"):
        a.quantile(0.5)


def test_result_types(device):
    a = A.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    mn, mx = a.aminmax()
    assert (
        a.aminmax().min.item() == 1.0
        and a.aminmax().max.item() == 4.0
        and mn.item() == 1.0
        and mx.item() == 4.0
    )
    for r in (a.median(0), a.kthvalue(1), a.mode(), a.cummax(0), a.cummin(0), a.nanmedian(1)):
        assert r.values.shape == r.indices.shape and r.indices.dtype == A.int64
    s = a.slogdet()
    assert s.sign.item() == -1.0 and abs(s.logabsdet.item() - np.log(2.0)) < 1e-6
    assert np.isnan(a.logdet().item())
    assert tuple(a.matrix_power(0).shape) == (2, 2) and a.matrix_power(0).equal(A.eye(2, device=device))


# ---- counting (no grad) -----------------------------------------------------------------------------------


def test_bincount(device):
    x = np.array([0, 2, 2, 5, 1, 2])
    w = np.array([0.5, 1.0, 2.0, -1.0, 3.0, 0.25], dtype=np.float32)
    a, t = _both(x, device)
    np.testing.assert_array_equal(to_numpy(a.bincount()), to_numpy(t.bincount()))
    np.testing.assert_array_equal(
        to_numpy(A.bincount(a, minlength=9)), to_numpy(torch.bincount(t, minlength=9))
    )
    for wd in (np.float32, np.float64, np.int64):
        ours = a.bincount(A.tensor(w.astype(wd), device=device))
        theirs = t.bincount(torch.tensor(w.astype(wd)))
        np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs))
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    with pytest.raises(RuntimeError, match="bincount: only supports 1-d non-negative integral"):
        A.tensor([1, -1], device=device).bincount()
    with pytest.raises(RuntimeError, match="bincount: only supports 1-d"):
        A.tensor([1.0, 2.0], device=device).bincount()


def test_histc(device):
    x = np.random.default_rng(2).standard_normal(200).astype(np.float32)
    a, t = _both(x, device)
    for args in [(), (10,), (7, -1.0, 1.0), (5, 0.0, 0.0)]:
        np.testing.assert_array_equal(to_numpy(a.histc(*args)), to_numpy(t.histc(*args)))
    c, tc = _both(np.ones(3, dtype=np.float32), device)
    np.testing.assert_array_equal(to_numpy(A.histc(c, 4)), to_numpy(torch.histc(tc, 4)))
    assert a.histc(10).dtype == A.float32
    with pytest.raises(RuntimeError, match="histc: max must be larger than min"):
        a.histc(4, 1.0, -1.0)
    with pytest.raises(RuntimeError, match=r"histc: range of \[nan, nan\] is not finite"):
        A.tensor([1.0, NAN], device=device).histc(3)


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_unique_consecutive(device, dim):
    x = np.array([[1, 1, 2, 2, 3], [1, 1, 2, 2, 4], [1, 1, 2, 2, 4], [0, 0, 0, 0, 0]])
    a, t = _both(x, device)
    kw = {"return_inverse": True, "return_counts": True, "dim": dim}
    for ours, theirs in zip(a.unique_consecutive(**kw), t.unique_consecutive(**kw)):
        np.testing.assert_array_equal(to_numpy(ours), to_numpy(theirs))
    np.testing.assert_array_equal(
        to_numpy(A.unique_consecutive(a, dim=dim)), to_numpy(t.unique_consecutive(dim=dim))
    )
    out, counts = a.unique_consecutive(return_counts=True, dim=dim)
    assert int(counts.sum().item()) == (x.size if dim is None else x.shape[dim])


# ---- errors -----------------------------------------------------------------------------------------------


def test_errors(device):
    a = A.ones(2, 3, device=device)
    cases = [
        (lambda: a.kthvalue(4, 1), RuntimeError, r"kthvalue: selected number k=4 is out of range .* size 3"),
        (lambda: a.quantile(1.5), RuntimeError, r"quantile: q values must be in the range \[0, 1\]"),
        (
            lambda: a.quantile(0.5, interpolation="cubic"),
            ValueError,
            "quantile: interpolation must be one of",
        ),
        (lambda: a.quantile(A.tensor([0.5], dtype=A.float64, device=device)), RuntimeError, "same dtype"),
        (lambda: A.ones(3, dtype=A.int64, device=device).quantile(0.5), RuntimeError, "float or double"),
        (lambda: a.median(2), IndexError, r"median: dimension out of range"),
        (
            lambda: A.ones(2, 4, device=device).cross(A.ones(2, 4, device=device)),
            RuntimeError,
            "cross: no dimension of size 3",
        ),
        (
            lambda: a.cross(A.ones(3, device=device)),
            RuntimeError,
            "cross: inputs must have the same number of dim",
        ),
        (lambda: a.cross(A.ones(2, 3, device=device), dim=0), RuntimeError, "dimension 0 must have length 3"),
        (
            lambda: a.inner(A.ones(2, device=device)),
            RuntimeError,
            r"inner: the last dimension must match .*\(2, 3\)",
        ),
        (lambda: a.matrix_power(2), RuntimeError, r"matrix_power: .*square matrices.*\(2, 3\)"),
        (lambda: a.det(), RuntimeError, r"linalg.det: A must be batches of square matrices.*\(2, 3\)"),
        (lambda: A.zeros(2, 2, device=device).inverse(), RuntimeError, "linalg.inv: .*singular"),
        (lambda: a.diff(-1), RuntimeError, "diff: order must be non-negative"),
        (
            lambda: a.diff(prepend=A.ones(3, 1, device=device)),
            RuntimeError,
            r"diff: prepend of shape \(3, 1\)",
        ),
        (
            lambda: A.ones(2, 3, 3, device=device).baddbmm(
                A.ones(2, 3, 4, device=device), A.ones(2, 5, 3, device=device)
            ),
            RuntimeError,
            r"baddbmm: expected batch1 \(b, n, m\) and batch2 \(b, m, p\).*\(2, 3, 4\) and \(2, 5, 3\)",
        ),
        (lambda: a.renorm(2, 0, -1.0), RuntimeError, "renorm: expected maxnorm to be >= 0"),
        (lambda: a.logcumsumexp(2), IndexError, "logcumsumexp: dimension out of range"),
        (lambda: a.mode(5), IndexError, "mode: dimension out of range"),
    ]
    for fn, exc, pattern in cases:
        with pytest.raises(exc, match=pattern):
            fn()


# ---- random fills -----------------------------------------------------------------------------------------

N = 20000


def _stats(x):
    v = to_numpy(x).astype(np.float64)
    return v.mean(), v.var()


def test_random_fills_statistics(device):
    x = A.empty(N, device=device)
    m, v = _stats(x.exponential_(2.0))
    assert abs(m - 0.5) < 0.03 and abs(v - 0.25) < 0.04 and float(x.min().item()) >= 0
    m, v = _stats(x.geometric_(0.25))
    assert abs(m - 4.0) < 0.15 and abs(v - 12.0) < 1.5 and float(x.min().item()) >= 1
    assert np.all(to_numpy(x) == np.round(to_numpy(x)))
    m, v = _stats(x.log_normal_(0.5, 0.25).log())
    assert abs(m - 0.5) < 0.02 and abs(v - 0.0625) < 0.01
    med = np.median(to_numpy(x.cauchy_(1.0, 2.0)))
    q1, q3 = np.percentile(to_numpy(x), [25, 75])
    assert abs(med - 1.0) < 0.15 and abs((q3 - q1) - 4.0) < 0.4  # quartiles at median -+ sigma
    vals = to_numpy(x.random_(3, 7))
    assert set(np.unique(vals)) == {3.0, 4.0, 5.0, 6.0} and abs(vals.mean() - 4.5) < 0.05
    assert set(np.unique(to_numpy(x.random_(2)))) == {0.0, 1.0}
    assert set(np.unique(to_numpy(x.random_(**{"from": -2, "to": 0})))) == {-2.0, -1.0}
    assert set(np.unique(to_numpy(x.random_(to=3)))) == {0.0, 1.0, 2.0}
    i = A.empty(1000, dtype=A.int64, device=device).random_(-5, 5)
    assert i.dtype == A.int64 and int(i.min().item()) == -5 and int(i.max().item()) == 4
    b = A.empty(1000, dtype=A.bool, device=device).random_()
    assert 300 < int(b.sum().item()) < 700
    f = to_numpy(A.empty(1000, device=device).random_())
    assert f.min() >= 0 and f.max() <= 2**24 and np.all(f == np.round(f))
    assert A.empty(5, dtype=A.float64, device=device).exponential_().dtype == A.float64


def test_random_fills_seeded_and_checked(device):
    outs = []
    for _ in range(2):
        A.manual_seed(7)
        x = A.empty(50, device=device)
        outs.append(
            [
                to_numpy(x.exponential_()).copy(),
                to_numpy(x.geometric_(0.3)).copy(),
                to_numpy(x.log_normal_()).copy(),
                to_numpy(x.random_(10)).copy(),
                to_numpy(A.multinomial(A.ones(2, 6, device=device), 4)).copy(),
            ]
        )
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    leaf = A.ones(3, device=device, requires_grad=True)
    for fn in (
        lambda: leaf.exponential_(),
        lambda: leaf.random_(3),
        lambda: leaf.geometric_(0.5),
        lambda: leaf.log_normal_(),
        lambda: leaf.cauchy_(),
    ):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            fn()
    with A.no_grad():
        leaf.exponential_()  # allowed, as nn.init does
    assert leaf.requires_grad and leaf.grad_fn is None
    with pytest.raises(RuntimeError, match="exponential_: expects lambda > 0.0"):
        A.empty(2, device=device).exponential_(0.0)
    with pytest.raises(RuntimeError, match=r"geometric_: expects p to be in \(0, 1\)"):
        A.empty(2, device=device).geometric_(1.5)
    with pytest.raises(RuntimeError, match="random_: expects 'from' to be less than 'to'"):
        A.empty(2, device=device).random_(5, 5)
    with pytest.raises(RuntimeError, match="log_normal_: expected a floating point tensor"):
        A.empty(2, dtype=A.int64, device=device).log_normal_()


def test_multinomial(device):
    p = A.tensor([[0.1, 0.0, 0.6, 0.3], [0.0, 5.0, 0.0, 5.0]], device=device)
    s = to_numpy(p.multinomial(N // 2, replacement=True))
    assert s.shape == (2, N // 2) and s.dtype == np.int64
    freq = np.stack([np.bincount(r, minlength=4) / r.size for r in s])
    np.testing.assert_allclose(freq, [[0.1, 0.0, 0.6, 0.3], [0.0, 0.5, 0.0, 0.5]], atol=0.025)
    assert freq[0, 1] == 0 and freq[1, 0] == 0 and freq[1, 2] == 0
    w = A.tensor([1.0, 0.0, 2.0, 4.0, 0.0], device=device)
    draws = np.stack([to_numpy(A.multinomial(w, 3)) for _ in range(300)])
    assert all(sorted(r) == [0, 2, 3] for r in draws)  # without replacement: each non-zero category once
    first = np.bincount(draws[:, 0], minlength=5) / 300  # the first draw follows the weights
    np.testing.assert_allclose(first[[0, 2, 3]], [1 / 7, 2 / 7, 4 / 7], atol=0.08)
    one = A.multinomial(A.tensor([0.2, 0.8], device=device), 1)
    assert tuple(one.shape) == (1,) and one.dtype == A.int64
    cases = [
        (lambda: w.multinomial(4), "not enough non-negative category"),
        (lambda: w.multinomial(6), "cannot sample num_samples=6 > prob_dist.size"),
        (lambda: A.tensor([1.0, -1.0], device=device).multinomial(1), "element < 0"),
        (lambda: A.tensor([1.0, NAN], device=device).multinomial(1), "`nan`"),
        (lambda: A.tensor([float("inf"), 1.0], device=device).multinomial(1), "`inf`"),
        (lambda: A.zeros(3, device=device).multinomial(1), "sum of probabilities <= 0"),
        (lambda: A.ones(3, device=device).multinomial(0), "num_samples=0 <= 0"),
        (lambda: A.ones(2, 2, 2, device=device).multinomial(1), "must be 1 or 2 dim"),
        (lambda: A.ones(3, dtype=A.int64, device=device).multinomial(1), "floating-point"),
    ]
    for fn, pattern in cases:
        with pytest.raises(RuntimeError, match=pattern):
            fn()


def test_global_median_shares_gradient_among_ties(device):
    """median() without dim spreads the gradient evenly over the elements equal to it, as PyTorch does."""
    x = A.tensor([2.0, 1.0, 2.0, 3.0], dtype=A.float64, device=device, requires_grad=True)
    x.median().backward()
    assert x.grad.tolist() == [0.5, 0.0, 0.5, 0.0]
    y = A.tensor([1.0, float("nan"), float("nan")], device=device, requires_grad=True)
    m = y.median()
    m.backward()
    assert m.isnan().item() and y.grad.tolist() == [0.0, 0.5, 0.5]
    assert A.tensor([3, 1, 2], device=device).median().dtype == A.int64
