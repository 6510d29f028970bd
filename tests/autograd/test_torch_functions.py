"""The torch.* functions of combine/contract/bits/signs/nan_reduce/bucketing/covariance/structured and the
extra Tensor methods: values and gradients against torch, known values without it, PyTorch's errors and
signatures. (dtype facts, print options, seeds and hooks: test_torch_settings.py.)"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op, to_numpy, torch

import autograd as A

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="needs torch as the reference")
nan = float("nan")


def _fns(f):
    """(our fn, torch's fn) from ``f(module)``."""
    return f(A), (f(torch) if HAVE_TORCH else None)


# ---- differentiable ops: values, gradients and a float64 gradcheck against torch -----------------------

DIFF = {  # name: (shapes, f(module) -> fn)
    "dstack_1d": ([(3,), (3,)], lambda M: lambda a, b: M.dstack([a, b])),
    "dstack_2d3d": ([(2, 3), (2, 3, 2)], lambda M: lambda a, b: M.dstack((a, b))),
    "column_stack": ([(3,), (3, 2)], lambda M: lambda a, b: M.column_stack([a, b])),
    "tensordot_int": ([(3, 4, 5), (4, 5, 2)], lambda M: lambda a, b: M.tensordot(a, b)),
    "tensordot_lists": ([(3, 4), (2, 3)], lambda M: lambda a, b: M.tensordot(a, b, dims=([0], [1]))),
    "tensordot_0": ([(2, 3), (2,)], lambda M: lambda a, b: M.tensordot(a, b, 0)),
    "vdot": ([(5,), (5,)], lambda M: lambda a, b: M.vdot(a, b)),
    "vdot_method": ([(5,), (5,)], lambda M: lambda a, b: a.vdot(b)),
    "mv": ([(3, 4), (4,)], lambda M: lambda a, b: M.mv(a, b)),
    "mv_method": ([(3, 4), (4,)], lambda M: lambda a, b: a.mv(b)),
    "meshgrid_ij": ([(2,), (3,), ()], lambda M: lambda a, b, c: M.meshgrid(a, b, c, indexing="ij")),
    "meshgrid_xy": ([(2,), (3,)], lambda M: lambda a, b: M.meshgrid([a, b], indexing="xy")),
    "cartesian_prod": ([(2,), (3,), (2,)], lambda M: lambda a, b, c: M.cartesian_prod(a, b, c)),
    "combinations": ([(4,)], lambda M: lambda a: M.combinations(a)),
    "combinations_r3_repl": ([(3,)], lambda M: lambda a: M.combinations(a, 3, with_replacement=True)),
    "broadcast_tensors": ([(2, 1), (3,)], lambda M: lambda a, b: M.broadcast_tensors(a, b)),
    "fliplr": ([(2, 3, 2)], lambda M: lambda a: M.fliplr(a)),
    "flipud_method": ([(3, 2)], lambda M: lambda a: a.flipud()),
    "moveaxis": ([(2, 3, 4)], lambda M: lambda a: M.moveaxis(a, (0, 1), (2, 0))),
    "atleast_1d": ([()], lambda M: lambda a: M.atleast_1d(a)),
    "atleast_2d": ([(3,)], lambda M: lambda a: M.atleast_2d(a)),
    "atleast_3d_many": ([(), (3,), (2, 3)], lambda M: lambda a, b, c: M.atleast_3d(a, b, c)),
    "sgn": ([(3, 4)], lambda M: lambda a: M.sgn(a) * a),
    "frac": ([(3, 4)], lambda M: lambda a: M.frac(a * 3)),
    "fix": ([(3, 4)], lambda M: lambda a: M.fix(a * 3) + a),
    "copysign": ([(3, 4), (3, 4)], lambda M: lambda a, b: M.copysign(a, b)),
    "copysign_bcast_scalar": ([(2, 3), (3,)], lambda M: lambda a, b: a.copysign(b) * a.copysign(-1.0)),
    "nextafter": ([(3, 4), (3, 4)], lambda M: lambda a, b: M.nextafter(a, b)),
    "nansum": ([np.array([[1.0, nan, 2.0], [nan, 3.0, -1.0]])], lambda M: lambda a: M.nansum(a, 1)),
    "nanmean": ([np.array([[1.0, nan, 2.0], [nan, 3.0, -1.0]])], lambda M: lambda a: a.nanmean((0, 1))),
    "nanmean_keepdim": ([np.array([[1.0, nan], [2.0, 4.0]])], lambda M: lambda a: M.nanmean(a, 0, True)),
    "var_mean": ([(3, 4)], lambda M: lambda a: M.var_mean(a, 1)),
    "var_mean_unbiased": ([(3, 4)], lambda M: lambda a: M.var_mean(a, 0, False, True)),
    "std_mean_correction": ([(3, 4)], lambda M: lambda a: M.std_mean(a, dim=0, correction=0, keepdim=True)),
    "std_mean_all": ([(3, 4)], lambda M: lambda a: M.std_mean(a)),
    "block_diag": ([(2, 3), (2,), ()], lambda M: lambda a, b, c: M.block_diag(a, b, c)),
    "cov": ([(3, 5)], lambda M: lambda a: M.cov(a)),
    "cov_1d": ([(5,)], lambda M: lambda a: M.cov(a, correction=0)),
    "cov_weights": (
        [(2, 4), np.array([1, 2, 1, 3]), (4,)],
        lambda M: lambda a, f, w: M.cov(a, fweights=f, aweights=w.abs() + 0.5),
    ),
    "cov_method": ([(2, 4)], lambda M: lambda a: a.cov(correction=2)),
    "corrcoef": ([(3, 5)], lambda M: lambda a: M.corrcoef(a)),
    "lerp": ([(3,), (3,), (3,)], lambda M: lambda a, b, w: a.lerp(b, w)),
    "lerp_": ([(3,), (2, 3)], lambda M: lambda a, b: (b * 1).lerp_(a, 0.25)),
    "addcmul_": ([(2, 3), (3,), (2, 3)], lambda M: lambda a, b, c: (a * 1).addcmul_(b, c, value=0.5)),
    "addcdiv_": ([(2, 3), (3,), (2, 3)], lambda M: lambda a, b, c: (a + 0).addcdiv_(b, c.abs() + 1, value=2)),
    "addcmul": ([(2, 3), (3,), (2, 1)], lambda M: lambda a, b, c: M.addcmul(a, b, c, value=-1.5)),
    "copysign_": ([(2, 3), (3,)], lambda M: lambda a, b: (a * 2).copysign_(b)),
    "frac_": ([(2, 3)], lambda M: lambda a: (a * 3).frac_()),
}


@pytest.mark.parametrize("name", sorted(DIFF))
def test_differentiable(device, name):
    shapes, f = DIFF[name]
    ours, ref = _fns(f)
    check_op(shapes, ours, ref, device=device)


@pytest.mark.parametrize("kw", [{}, {"N": 4, "increasing": True}, {"N": 1}, {"N": 0}], ids=str)
def test_vander(device, kw):
    """torch.vander's own backward fails (it writes in place), so torch checks the values and a float64
    gradcheck the gradient."""
    check_op([(4,)], *_fns(lambda M: lambda a: M.vander(a, **kw)), device=device, grad=False)
    x = A.tensor([0.5, -1.5, 2.0], dtype=A.float64, device=device, requires_grad=True)
    if kw.get("N", 3) > 0:
        assert A.gradcheck(lambda a: A.vander(a, **kw), (x,))


def test_noncontiguous_inputs(device):
    check_op(
        [(3, 4), (4, 5)], *_fns(lambda M: lambda a, b: M.tensordot(a, b, 1)), device=device, noncontig=True
    )
    check_op([(3, 4)], *_fns(lambda M: lambda a: M.cov(a)), device=device, noncontig=True)
    check_op([(2, 3), (3,)], *_fns(lambda M: lambda a, b: M.copysign(a, b)), device=device, noncontig=True)


def test_double_backward(device):
    x = A.tensor([[0.5, -1.0], [2.0, 0.3]], dtype=A.float64, device=device, requires_grad=True)
    assert A.gradgradcheck(lambda a: A.cov(a * a), (x,))
    assert A.gradgradcheck(lambda a: A.tensordot(a, a, 1), (x,))


def test_known_values(device):
    """Values that hold without torch installed."""
    t = lambda v, **k: A.tensor(v, device=device, **k)  # noqa: E731
    assert A.cartesian_prod(t([1, 2]), t([3, 4, 5])).tolist() == [
        [1, 3],
        [1, 4],
        [1, 5],
        [2, 3],
        [2, 4],
        [2, 5],
    ]
    assert A.combinations(t([1, 2, 3]), 2, True).tolist() == [[1, 1], [1, 2], [1, 3], [2, 2], [2, 3], [3, 3]]
    assert A.combinations(t([1, 2, 3]), 4).shape == (0, 4)
    assert A.combinations(t([1, 2, 3]), 0).shape == (0,)
    np.testing.assert_allclose(
        to_numpy(A.cov(t([[0.0, 1, 2], [2, 1, 0.5]]))), [[1, -0.75], [-0.75, 7 / 12]], rtol=1e-6
    )
    assert A.vander(t([1, 2, 3])).tolist() == [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
    assert A.vander(t([1, 2], dtype=A.int8)).dtype == A.int64
    assert A.block_diag(t([[1, 2]]), t(3), t([4.0, 5])).tolist() == [
        [1, 2, 0, 0, 0],
        [0, 0, 3, 0, 0],
        [0, 0, 0, 4, 5],
    ]
    assert A.block_diag().shape == (1, 0)
    assert A.dstack([t([1, 2]), t([3, 4])]).tolist() == [[[1, 3], [2, 4]]]
    assert A.column_stack([t(1.0), t(2.0)]).tolist() == [[1.0, 2.0]]
    assert (
        A.tensordot(A.ones(2, 3, device=device), A.ones(3, 4, device=device), 1).tolist() == [[3.0] * 4] * 2
    )
    assert A.broadcast_shapes((2, 1), (3,), 1) == (2, 3) and A.broadcast_shapes() == ()
    assert A.argwhere(t([[0, 1], [2, 0]])).tolist() == [[0, 1], [1, 0]]
    assert A.copysign(t([1, 2]), -1).tolist() == [-1.0, -2.0]
    assert A.copysign(t([1.0, 2.0]), t([-0.0, 0.0])).tolist() == [-1.0, 2.0]
    assert A.nextafter(t([1.0], dtype=A.float64), t([2.0], dtype=A.float64)).item() == np.nextafter(1.0, 2.0)
    assert A.sgn(t([True, False])).tolist() == [True, False]
    assert A.fix(t([5, -4])).tolist() == [5, -4]
    assert A.nansum(t([1, 2])).dtype == A.int64
    v, m = A.var_mean(t([[1.0, 2], [2, 5]]), 1)
    assert v.tolist() == [0.5, 4.5] and m.tolist() == [1.5, 3.5]
    assert A.tril_indices(3, 4, 1).tolist() == [[0, 0, 1, 1, 1, 2, 2, 2, 2], [0, 1, 0, 1, 2, 0, 1, 2, 3]]


def test_meshgrid_warns_without_indexing_and_returns_views(device):
    a, b = A.ones(2, device=device), A.ones(3, device=device)
    with pytest.warns(UserWarning, match="indexing"):
        x, y = A.meshgrid(a, b)
    assert x.shape == y.shape == (2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert A.meshgrid(A.tensor(2.0, device=device), b, indexing="xy")[0].shape == (3, 1)


# ---- integer/bool ops and lookups, compared with torch ------------------------------------------------


def _same(ours, ref):
    g, w = to_numpy(ours), to_numpy(ref)
    assert g.shape == w.shape and g.dtype == w.dtype, f"{g.shape} {g.dtype} != {w.shape} {w.dtype}"
    np.testing.assert_array_equal(g, w)


_INTS = np.array([5, 3, -4, 0, 127, -128])
_SHIFTS = np.array([0, 1, 2, 7, 63, 64])
_BITS = {  # name: f(module) -> fn(a, b)
    "and": lambda M: lambda a, b: M.bitwise_and(a, b),
    "or": lambda M: lambda a, b: a.bitwise_or(b),
    "xor": lambda M: lambda a, b: a ^ b,
    "and_op_scalar": lambda M: lambda a, b: (a & 6) | (3 | b),
    "rxor": lambda M: lambda a, b: 5 ^ a,
    "lshift": lambda M: lambda a, b: M.bitwise_left_shift(a, b),
    "lshift_op": lambda M: lambda a, b: a << 2,
    "rlshift": lambda M: lambda a, b: 2 << b,
    "rshift": lambda M: lambda a, b: M.bitwise_right_shift(a, b),
    "rshift_op_neg": lambda M: lambda a, b: a >> -1,
    "rrshift": lambda M: lambda a, b: 1000 >> b,
    "not": lambda M: lambda a, b: ~a,
    "not_fn": lambda M: lambda a, b: M.bitwise_not(b),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(_BITS))
@pytest.mark.parametrize("dtype", ["int64", "int8", "uint8", "int32"])
def test_bitwise(device, name, dtype):
    a, b = _INTS.astype(dtype), _SHIFTS.astype("int64")
    ours, ref = _fns(_BITS[name])
    _same(ours(A.tensor(a, device=device), A.tensor(b, device=device)), ref(torch.tensor(a), torch.tensor(b)))


@needs_torch
def test_bitwise_bool_and_mixed(device):
    p, q = np.array([True, False, True]), np.array([True, True, False])
    for f in (lambda M, x, y: x & y, lambda M, x, y: x | y, lambda M, x, y: x ^ y, lambda M, x, y: ~x):
        _same(
            f(A, A.tensor(p, device=device), A.tensor(q, device=device)),
            f(torch, torch.tensor(p), torch.tensor(q)),
        )
    _same(A.tensor(p, device=device) & 1, torch.tensor(p) & 1)
    _same(A.tensor(p, device=device) << 1, torch.tensor(p) << 1)
    i8 = np.array([1, 2, 3], dtype=np.int8)
    _same(
        A.tensor(i8, device=device) << A.tensor([1, 2, 3], device=device),
        torch.tensor(i8) << torch.tensor([1, 2, 3]),
    )
    _same(A.bitwise_and(3, A.tensor(i8, device=device)), torch.bitwise_and(3, torch.tensor(i8)))


def test_bitwise_inplace(device):
    x = A.tensor([5, 6, 7], device=device)
    y = x
    x &= 6
    x |= A.tensor([1, 0, 0], device=device)
    x <<= 1
    x >>= A.tensor([0, 1, 2], device=device)
    assert x is y and x.tolist() == [10, 6, 3]
    x.bitwise_not_()
    assert x.tolist() == [-11, -7, -4]
    with pytest.raises(RuntimeError, match="can't be cast"):
        A.tensor([True], device=device).bitwise_or_(A.tensor([2], device=device))


def _args(arg, kw, device):
    """(ours, torch's) of a positional argument and keywords: lists become tensors, other values stay."""

    def conv(make, v):
        return make(v) if isinstance(v, list) else v

    ours = lambda v: A.tensor(v, device=device)  # noqa: E731
    return [(conv(m, arg), {k: conv(m, v) for k, v in kw.items()}) for m in (ours, torch.tensor)]


SEARCH = [  # (sorted_sequence, values, kwargs)
    ([1, 3, 5, 7, 9], [3, 6, 9], {}),
    ([1, 3, 5, 7, 9], [3, 6, 9], {"right": True}),
    ([1, 3, 5, 7, 9], [[4, 1], [10, 0]], {"side": "right", "out_int32": True}),
    ([1.0, 3.0, 5.0], [nan, 2.0, 3.0], {}),
    ([1.0, 3.0, 5.0], [nan, 2.0, 3.0], {"right": True}),
    ([[1, 3, 5], [2, 4, 6]], [[2, 5], [1, 7]], {"right": True}),
    ([5, 1, 3], [2, 4, 0], {"sorter": [1, 2, 0]}),
    ([[5, 1, 3], [0, 9, 4]], [[2], [5]], {"sorter": [[1, 2, 0], [0, 2, 1]]}),
    ([1, 3, 5], 4, {}),
    ([1.0, 3.0], 3.0, {"right": True}),
    ([1, 3, 5], [], {}),
]


@needs_torch
@pytest.mark.parametrize("case", range(len(SEARCH)))
def test_searchsorted(device, case):
    seq, vals, kw = SEARCH[case]
    (va, kw_a), (vt, kw_t) = _args(vals, kw, device)
    _same(
        A.searchsorted(A.tensor(seq, device=device), va, **kw_a),
        torch.searchsorted(torch.tensor(seq), vt, **kw_t),
    )


@needs_torch
def test_bucketize(device):
    b = [1, 3, 5, 7, 9]
    for vals, kw in (([3, 6, 9], {}), ([[3, 6], [9, 10]], {"right": True, "out_int32": True})):
        _same(
            A.bucketize(A.tensor(vals, device=device), A.tensor(b, device=device), **kw),
            torch.bucketize(torch.tensor(vals), torch.tensor(b), **kw),
        )
    _same(A.bucketize(4, A.tensor(b, device=device)), torch.bucketize(4, torch.tensor(b)))


HIST = [  # (data, bins, kwargs)
    ([1.0, 2, 1], 4, {"range": (0.0, 3.0)}),
    ([1.0, 2, 1, 2.5, 0.1], 3, {}),
    ([1.0, 2, 5, -1], 3, {"range": (0.0, 3.0)}),
    ([[1.0, 2], [1, 3]], 3, {"density": True}),
    ([2.0, 2.0], 2, {}),
    ([], 3, {}),
    ([1.0, 2, 1], [0.0, 1.0, 2.5, 3.0], {}),
    ([1.0, 2, 1], 4, {"range": (0.0, 3.0), "weight": [1.0, 2.0, 4.0], "density": True}),
]


@needs_torch
@pytest.mark.parametrize("case", range(len(HIST)))
def test_histogram(device, case):
    data, bins, kw = HIST[case]
    (ba, kw_a), (bt, kw_t) = _args(bins, kw, device)
    h, e = A.histogram(A.tensor(data, device=device), ba, **kw_a)
    th, te = torch.histogram(torch.tensor(data), bt, **kw_t)
    np.testing.assert_allclose(to_numpy(h), th.numpy(), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(e), te.numpy(), rtol=1e-6)
    assert h.dtype == e.dtype == A.float32
    r = A.tensor(data, device=device).histogram(ba, **kw_a)
    assert r.hist.tolist() == h.tolist() and r.bin_edges.tolist() == e.tolist()


@needs_torch
def test_histc_matches_torch(device):
    x = np.array([1.0, 2, 1, 0.5, 3, 7, -1], dtype=np.float32)
    for kw in ({"bins": 4, "min": 0, "max": 3}, {"bins": 5}, {"bins": 3, "min": 2, "max": 2}):
        _same(A.histc(A.tensor(x, device=device), **kw), torch.histc(torch.tensor(x), **kw))


@needs_torch
@pytest.mark.parametrize("fn", ["tril_indices", "triu_indices"])
@pytest.mark.parametrize("args", [(3, 3), (3, 4, 1), (4, 3, -1), (0, 3), (3, 3, 5), (2, 5, -4)], ids=str)
def test_tri_indices(device, fn, args):
    _same(getattr(A, fn)(*args, device=device), getattr(torch, fn)(*args))
    _same(getattr(A, fn)(*args, dtype=A.int32, device=device), getattr(torch, fn)(*args, dtype=torch.int32))


def test_inplace_composites(device):
    x = A.tensor([1.0, 2.0], device=device)
    y = x
    x.addcmul_(A.tensor([1.0, 2.0], device=device), A.tensor([1.0, 2.0], device=device), value=0.5)
    x.lerp_(A.tensor([3.0, 4.0], device=device), 0.5)
    x.addcdiv_(A.tensor([1.0, 1.0], device=device), A.tensor([2.0, 4.0], device=device))
    x.copysign_(-1)
    assert x is y and x.tolist() == [-2.75, -4.25]
    i = A.tensor([1, 2], device=device)
    assert i.addcmul_(i, i, value=2).tolist() == [3, 10]
    assert A.addcmul(i, i, i, value=0.5).tolist() == [3, 10] and i.addcmul(i, i, value=0.5).dtype == A.int64
    leaf = A.ones(2, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.addcmul_(leaf, leaf)


# ---- errors: the op, the shapes/dtypes and what is expected ----------------------------------------------


def _errors(d):
    t = lambda v, **k: A.tensor(v, device=d, **k)  # noqa: E731
    o = lambda *s: A.ones(*s, device=d)  # noqa: E731
    return [
        (
            lambda: A.tensordot(o(3, 4), o(4, 5), 2),
            RuntimeError,
            r"tensordot: contracted dimensions need to match",
        ),
        (
            lambda: A.tensordot(o(3, 4), o(4, 5).double(), 1),
            RuntimeError,
            r"tensordot: both inputs should have same dtype",
        ),
        (lambda: A.tensordot(o(3, 4), o(4, 5), ([0, 1], [0])), RuntimeError, "both dimension lists"),
        (lambda: A.tensordot(o(3, 4), o(4, 5), -1), RuntimeError, "dims >= 0"),
        (lambda: A.tensordot(o(3, 4), o(4, 5), 3), RuntimeError, "dims < ndim_a or ndim_b"),
        (
            lambda: A.vdot(o(3), o(4)),
            RuntimeError,
            r"vdot: inconsistent tensor size, expected tensor \[3\] and src \[4\]",
        ),
        (lambda: A.vdot(o(3, 1), o(3)), RuntimeError, "vdot: 1D tensors expected, but got 2D and 1D"),
        (lambda: A.vdot(o(3), o(3).double()), RuntimeError, "vdot: expected both vectors to have same dtype"),
        (
            lambda: A.mv(o(3, 4), o(3)),
            RuntimeError,
            r"mv: size mismatch, got input \(3\), mat \(3x4\), vec \(3\)",
        ),
        (lambda: A.mv(o(4), o(4)), RuntimeError, "mv: vector \\+ matrix @ vector expected, got 1, 1, 1"),
        (
            lambda: A.meshgrid(o(2), o(3, 1), indexing="ij"),
            RuntimeError,
            "meshgrid: Expected 0D or 1D tensor",
        ),
        (
            lambda: A.meshgrid(o(2), o(3), indexing="foo"),
            RuntimeError,
            'indexing must be one of "xy" or "ij"',
        ),
        (
            lambda: A.meshgrid(o(2), t([1, 2]), indexing="ij"),
            RuntimeError,
            "meshgrid: expects all tensors to have the same dtype",
        ),
        (lambda: A.meshgrid(indexing="ij"), RuntimeError, "meshgrid: expects a non-empty TensorList"),
        (
            lambda: A.cartesian_prod(o(2, 2)),
            RuntimeError,
            r"cartesian_prod: Expect a 1D vector, but got shape \[2, 2\]",
        ),
        (
            lambda: A.combinations(t([1, 2]), -1),
            RuntimeError,
            "combinations: Expect a non-negative number, but got -1",
        ),
        (
            lambda: A.broadcast_shapes((2, 1), (3, 2)),
            RuntimeError,
            "broadcast_shapes: Attempting to broadcast a dimension of length 3",
        ),
        (lambda: A.broadcast_shapes((2, -1)), ValueError, "negative length"),
        (
            lambda: A.broadcast_tensors(o(2, 1), o(3, 3)),
            RuntimeError,
            r"size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0",
        ),
        (lambda: A.fliplr(o(3)), RuntimeError, "fliplr: Input must be >= 2-d"),
        (lambda: A.flipud(t(1.0)), RuntimeError, "flipud: Input must be >= 1-d"),
        (lambda: A.atleast_1d(1.0), TypeError, "atleast_1d: expected Tensors"),
        (lambda: A.dstack([]), RuntimeError, "dstack: expects a non-empty TensorList"),
        (lambda: A.column_stack([]), RuntimeError, "column_stack: expects a non-empty TensorList"),
        (lambda: A.dstack([o(3), o(2)]), RuntimeError, "cat: sizes of tensors must match"),
        (
            lambda: A.block_diag(o(2, 2, 2)),
            RuntimeError,
            "block_diag: Input tensors must have 2 or fewer dimensions. Input 0 has 3",
        ),
        (lambda: A.bitwise_and(o(2), o(2)), NotImplementedError, "bitwise_and.*float32"),
        (lambda: t([1]) & 1.5, NotImplementedError, "bitwise_and.*float32"),
        (lambda: t([True]) << t([True]), NotImplementedError, "bitwise_left_shift.*Bool"),
        (lambda: ~o(2), NotImplementedError, "bitwise_not.*float32"),
        (lambda: A.frac(t([1, 2])), NotImplementedError, "frac.*int64"),
        (lambda: A.nextafter(t([1, 2]), t([1, 2])), NotImplementedError, "nextafter.*int64"),
        (lambda: A.nextafter(o(2), 3.0), TypeError, "nextafter: argument 'other'.*must be Tensor"),
        (lambda: A.nanmean(t([1, 2])), RuntimeError, "nanmean: expected input to have floating point.*int64"),
        (lambda: A.var_mean(t([1, 2])), RuntimeError, "var_mean: only supports floating point"),
        (
            lambda: A.std_mean(o(2), unbiased=True, correction=0),
            RuntimeError,
            "std_mean: cannot specify both",
        ),
        (
            lambda: A.searchsorted(t([1, 3]), t([2]), right=True, side="left"),
            RuntimeError,
            "side and right can't be set to opposites",
        ),
        (
            lambda: A.searchsorted(t([1, 3]), t([2]), side="foo"),
            RuntimeError,
            "side can only be 'left' or 'right' but got foo",
        ),
        (
            lambda: A.searchsorted(t([[1, 3], [2, 4]]), t([2, 3])),
            RuntimeError,
            r"boundaries tensor \[2, 2\] and input value tensor \[2\]",
        ),
        (
            lambda: A.searchsorted(t([[1, 3]]), 2),
            RuntimeError,
            "input value can be a scalar only when boundaries tensor dimension is 1",
        ),
        (
            lambda: A.searchsorted(t([5, 1, 3]), t([2]), sorter=t([1, 2])),
            RuntimeError,
            "boundary and sorter must have the same size",
        ),
        (
            lambda: A.searchsorted(t([5, 1, 3]), t([2]), sorter=t([1.0, 2, 0])),
            RuntimeError,
            "sorter must be a tensor of long dtype",
        ),
        (
            lambda: A.bucketize(t([3]), o(2, 2)),
            RuntimeError,
            r"bucketize: boundaries tensor must be 1 dimension, but got dim\(2\)",
        ),
        (lambda: A.histogram(t([1, 2]), 3), NotImplementedError, "histogram.*int64"),
        (lambda: A.histogram(o(3), 0), RuntimeError, "histogram: bins must be > 0, but got 0"),
        (
            lambda: A.histogram(o(3), 3, range=(3.0, 1.0)),
            RuntimeError,
            "histogram: min should not exceed max",
        ),
        (
            lambda: A.histogram(o(3), 3, weight=o(2)),
            RuntimeError,
            r"same shape as the input tensor.*\[3\] and weight with shape \[2\]",
        ),
        (
            lambda: A.histogram(o(3), 3, weight=o(3).double()),
            RuntimeError,
            "input tensor and weight tensor should have the same dtype",
        ),
        (
            lambda: A.cov(o(2, 2, 2)),
            RuntimeError,
            "cov: expected input to have two or fewer dimensions but got an input with 3",
        ),
        (
            lambda: A.cov(o(2, 3), fweights=o(3)),
            RuntimeError,
            "cov: expected fweights to have integral dtype",
        ),
        (lambda: A.cov(o(2, 3), fweights=t([1, -2, 3])), RuntimeError, "cov: fweights cannot be negative"),
        (
            lambda: A.cov(o(2, 3), aweights=t([1.0, 2.0])),
            RuntimeError,
            "cov: expected aweights to have the same numel as there are observations in the input but got 2 != 3",
        ),
        (
            lambda: A.cov(o(2, 3), aweights=o(1, 3)),
            RuntimeError,
            "cov: expected aweights to have one or fewer dimensions",
        ),
        (lambda: A.cov(o(2, 3), aweights=t([1.0, -2, 3])), RuntimeError, "cov: aweights cannot be negative"),
        (
            lambda: A.corrcoef(o(2, 2, 2)),
            RuntimeError,
            "corrcoef: expected input to have two or fewer dimensions",
        ),
        (lambda: A.vander(o(2, 2)), RuntimeError, "vander: x must be a one-dimensional tensor"),
        (lambda: A.vander(o(2), N=-1), RuntimeError, "vander: N must be non-negative"),
        (
            lambda: A.tril_indices(-1, 3, device=d),
            RuntimeError,
            "tril_indices: row and col must be non-negative",
        ),
        (
            lambda: A.triu_indices(3, 3, dtype=A.float32, device=d),
            NotImplementedError,
            "triu_indices.*float32",
        ),
        (lambda: A.finfo(A.int32), TypeError, "finfo: requires a floating point input type"),
        (lambda: A.iinfo(A.float32), TypeError, "iinfo: requires an integer input type"),
        (lambda: A.iinfo(A.bool), TypeError, "iinfo: autograd.bool is not supported"),
        (lambda: A.promote_types(A.int64, "x"), TypeError, "promote_types: expected a dtype"),
        (
            lambda: t([1, 2]).addcdiv_(t([1, 2]), t([1, 2])),
            RuntimeError,
            "Integer division with addcdiv is no longer supported",
        ),
        (
            lambda: t([1, 2]).addcmul_(t([1.0, 2]), t([1, 2])),
            RuntimeError,
            "addcmul_: result type autograd.float32 can't be cast to the desired output type autograd.int64",
        ),
        (
            lambda: o(2).addcmul_(o(2, 2), o(2)),
            RuntimeError,
            r"addcmul_: output with shape \[2\] doesn't match the broadcast shape \[2, 2\]",
        ),
        (
            lambda: o(2).lerp_(o(2, 2), 0.5),
            RuntimeError,
            r"lerp_: output with shape \[2\] doesn't match the broadcast shape \[2, 2\]",
        ),
        (
            lambda: o(2).lerp(o(2).double(), 0.5),
            RuntimeError,
            "lerp: expected dtype autograd.float32 for `end` but got dtype autograd.float64",
        ),
        (lambda: t([1, 2]).lerp(t([3, 4]), 0.5), NotImplementedError, "lerp.*int64"),
        (
            lambda: t([1, 2]).copysign_(-1),
            RuntimeError,
            "copysign_: result type autograd.float32 can't be cast",
        ),
    ]


@pytest.mark.parametrize("case", range(len(_errors("cpu"))))
def test_errors(device, case):
    fn, exc, msg = _errors(device)[case]
    with pytest.raises(exc, match=msg):
        fn()


def test_device_mixing_is_refused(device):
    if device == "cpu":
        pytest.skip("needs a second device")
    c, g = A.ones(3), A.ones(3, device=device)
    for fn in (
        lambda: A.vdot(c, g),
        lambda: A.tensordot(A.ones(3, 3), A.ones(3, 3, device=device), 1),
        lambda: A.searchsorted(c, g),
        lambda: A.block_diag(c, g),
        lambda: A.meshgrid(c, g, indexing="ij"),
        lambda: A.broadcast_tensors(c, g),
    ):
        with pytest.raises(RuntimeError, match="same device"):
            fn()


def test_math_edge_values(device):
    x = A.tensor([-1.5, 2.25, -0.0, math.inf], device=device)
    assert A.frac(x[:3]).tolist() == [-0.5, 0.25, 0.0]
    assert A.copysign(A.tensor([1.0], device=device), x[2:3]).tolist() == [-1.0]
    assert A.nanmean(A.tensor([nan, nan], device=device)).isnan().item()
    assert A.corrcoef(A.tensor([[0.0, 1, 2], [1, 1, 1]], device=device)).isnan().tolist() == [
        [False, True],
        [True, True],
    ]


# ---- signatures ---------------------------------------------------------------------------------------------

NEW = """
dstack column_stack tensordot vdot mv meshgrid cartesian_prod combinations broadcast_tensors broadcast_shapes
argwhere fliplr flipud moveaxis atleast_1d atleast_2d atleast_3d bitwise_and bitwise_or bitwise_xor bitwise_not
bitwise_left_shift bitwise_right_shift sgn nanmean nansum var_mean std_mean frac fix copysign nextafter searchsorted
bucketize histogram histc block_diag cov corrcoef vander tril_indices triu_indices initial_seed seed
set_default_dtype get_default_dtype promote_types can_cast set_printoptions addcmul addcdiv
""".split()
NEW_METHODS = """
vdot mv argwhere fliplr flipud moveaxis bitwise_and bitwise_and_ bitwise_or bitwise_or_ bitwise_xor bitwise_xor_
bitwise_not bitwise_not_ bitwise_left_shift bitwise_left_shift_ bitwise_right_shift bitwise_right_shift_ __lshift__
__rlshift__ __ilshift__ __rshift__ __rrshift__ __irshift__ __iand__ __ior__ __ixor__ __rand__ __ror__ __rxor__ sgn sgn_
nanmean nansum frac frac_ fix fix_ copysign copysign_ nextafter nextafter_ histogram histc cov corrcoef addcmul
addcmul_ addcdiv addcdiv_ lerp lerp_ register_post_accumulate_grad_hook
""".split()


def test_names_exist(device):
    assert [n for n in NEW if not callable(getattr(A, n, None))] == []
    t = A.ones(2, device=device)
    assert [n for n in NEW_METHODS if not callable(getattr(t, n, None))] == []


_OVERLOADS = {  # torch documents one overload; ours also takes the other (positional unbiased, as torch does)
    "var_mean": "input, dim=None, unbiased=None, keepdim=False, *, correction=None",
    "std_mean": "input, dim=None, unbiased=None, keepdim=False, *, correction=None",
}


def _documented(name: str) -> dict:
    """Parameter -> default of torch.<name>, from its signature or its documented one (annotations dropped)."""
    import inspect

    fn = getattr(torch, name)
    try:
        return {k: p.default for k, p in inspect.signature(fn).parameters.items() if p.kind not in (2, 4)}
    except (TypeError, ValueError):
        pass
    text = _OVERLOADS.get(name) or re.match(rf"\s*{name}\((.*?)\)\s*->", fn.__doc__, re.S).group(1)
    out = {}
    for part in text.replace("\n", " ").split(","):
        key, _, default = part.strip().partition("=")
        key = key.split(":")[0].strip()
        if key and not key.startswith("*"):
            out[key] = eval(default, {"torch": torch, "None": None}) if default else inspect.Parameter.empty  # noqa: S307
    return out


def _gaps(name: str, fn) -> list[str]:
    import inspect

    from test_api_parity import _same_default

    ours = {k: p.default for k, p in inspect.signature(fn).parameters.items() if p.kind not in (2, 4)}
    theirs = {k: d for k, d in _documented(name).items() if k not in ("out", "dtype", "device", "layout")}
    gaps = [f"missing parameter {k}" for k in theirs if k not in ours]
    gaps += [
        f"{k}={ours[k]!r}, torch {d!r}"
        for k, d in theirs.items()
        if k in ours and d is not inspect.Parameter.empty and not _same_default(ours[k], d)
    ]
    if [k for k in ours if k in theirs] != [k for k in theirs if k in ours]:
        gaps.append(f"order {list(ours)} vs torch {list(theirs)}")
    return gaps


@needs_torch
@pytest.mark.parametrize("name", NEW)
def test_signature_matches_torch(name):
    assert _gaps(name, getattr(A, name)) == []


@needs_torch
def test_signature_check_can_fail():
    def searchsorted(sorted_sequence, values, *, right=True, side=None):  # noqa: ANN001, ANN202
        pass

    assert (
        len(_gaps("searchsorted", searchsorted)) == 3
    )  # out_int32 and sorter missing, right's default differs
    assert _gaps("tensordot", lambda b, a, dims=2: None) == [
        "order ['b', 'a', 'dims'] vs torch ['a', 'b', 'dims']"
    ]
