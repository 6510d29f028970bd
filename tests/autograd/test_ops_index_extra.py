"""More indexing ops against torch: index_add/copy/fill/put, scatter_reduce, masked_scatter, take, put,
*_scatter, diag_embed, fill_diagonal_, tensor_split, rot90, sum_to_size, and the strided views
(as_strided, unfold, select, diagonal) with stride/storage_offset and writes through them."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op

import autograd as A

if HAVE_TORCH:
    import torch

pytestmark = pytest.mark.skipif(not HAVE_TORCH, reason="compared with torch")

I = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731  an index input (no gradient)


def _lib(x):
    return A if isinstance(x, A.Tensor) else torch


def _mask(x, m):
    return A.tensor(m, device=x.device) if isinstance(x, A.Tensor) else torch.tensor(m)


# ---- values + gradients + gradcheck ------------------------------------------------------------------------

CASES = {
    "index_add": ([(4, 3), (5, 3), I(0, 2, 0, 3, 0)], lambda a, s, i: a.index_add(0, i, s)),
    "index_add_alpha_dim1": ([(3, 4), (3, 2), I(3, 3)], lambda a, s, i: a.index_add(-1, i, s, alpha=-1.5)),
    "index_add_fn": ([(4, 3), (2, 3), I(1, 1)], lambda a, s, i: _lib(a).index_add(a, 0, i, s)),
    "index_copy": ([(4, 3), (2, 3), I(3, 0)], lambda a, s, i: a.index_copy(0, i, s)),
    "index_copy_dim1": ([(2, 4), (2, 2), I(1, 2)], lambda a, s, i: a.index_copy(1, i, s) * a),
    "index_fill": ([(4, 3), I(0, -1, 0)], lambda a, i: a.index_fill(0, i, -2.0)),
    "index_fill_dim1": ([(4, 3), I(2)], lambda a, i: a.index_fill(-1, i, 0.5) * a),
    "index_put": ([(4, 3), (3,), I(0, -1, 2), I(1, 1, 0)], lambda a, v, i, j: a.index_put((i, j), v)),
    "index_put_acc": (
        [(4, 3), (4,), I(0, 0, 2, 0), I(1, 1, 0, 1)],
        lambda a, v, i, j: a.index_put((i, j), v, accumulate=True),
    ),
    "index_put_rows_bcast": ([(4, 3), (3,), I(1, 1)], lambda a, v, i: a.index_put((i,), v, accumulate=True)),
    "index_put_bool": ([(4, 3), (3,)], lambda a, v: a.index_put((a[:, 0] > 0,), v)),
    "scatter_reduce_neg_dim": (
        [(3, 2), (2, 2), np.array([[2, 0], [2, 2]])],
        lambda a, s, i: a.scatter_reduce(-2, i, s, "amax", include_self=False),
    ),
    "take": ([(3, 4), I(0, -1, 5, 5)], lambda a, i: a.take(i)),
    "take_2d_idx": ([(3, 4), np.array([[0, 11], [5, 5]])], lambda a, i: _lib(a).take(a, i)),
    "take_along_dim": ([(3, 4), np.array([[0, -1, 2]])], lambda a, i: a.take_along_dim(i, 1)),
    "take_along_dim_bcast": ([(3, 1), np.array([[0], [0], [0]])], lambda a, i: a.take_along_dim(i, 0)),
    "take_along_dim_flat": ([(3, 4), I(0, 11, 11)], lambda a, i: _lib(a).take_along_dim(a, i)),
    "put": ([(3, 4), (3,), I(0, -1, 5)], lambda a, s, i: a.put(i, s)),
    "put_acc": ([(3, 4), (4,), I(0, 5, 5, 0)], lambda a, s, i: a.put(i, s, accumulate=True)),
    "masked_scatter": (
        [(3, 4), (14,)],
        lambda a, s: a.masked_scatter(_mask(a, [[True, False, True, True]] * 3), s),
    ),
    "select_scatter": ([(3, 4), (4,)], lambda a, s: a.select_scatter(s, 0, -1)),
    "select_scatter_fn": ([(3, 4), (3,)], lambda a, s: _lib(a).select_scatter(a, s, 1, 2)),
    "slice_scatter": ([(3, 5), (3, 2)], lambda a, s: a.slice_scatter(s, 1, 1, 5, 2)),
    "slice_scatter_fn": ([(4, 2), (2, 2)], lambda a, s: _lib(a).slice_scatter(a, s, start=2)),
    "diagonal_scatter": ([(3, 4), (3,)], lambda a, s: a.diagonal_scatter(s, 1)),
    "diagonal_scatter_3d": ([(2, 3, 3), (3, 2)], lambda a, s: _lib(a).diagonal_scatter(a, s, 1, 0, 2)),
    "diag_embed": ([(2, 3)], lambda a: a.diag_embed()),
    "diag_embed_offset": ([(2, 3)], lambda a: _lib(a).diag_embed(a, -1, 0, 2)),
    "select": ([(3, 4)], lambda a: a.select(1, -1) * 2),
    "select_fn": ([(3, 4)], lambda a: _lib(a).select(a, 0, 1)),
    "diagonal": ([(3, 4)], lambda a: a.diagonal(1)),
    "diagonal_3d": ([(2, 3, 4)], lambda a: a.diagonal(-1, 2, 1)),
    "as_strided": ([(4, 3)], lambda a: a.as_strided((3, 3), (2, 1), 1)),
    "as_strided_overlap": ([(6,)], lambda a: a.as_strided((4, 3), (1, 1))),
    "as_strided_of_view": ([(4, 3)], lambda a: a[1:].as_strided((2, 2), (3, 1))),
    "as_strided_fn": ([(6,)], lambda a: _lib(a).as_strided(a, (2, 2), (2, 1), 2)),
    "unfold": ([(7,)], lambda a: a.unfold(0, 3, 2)),
    "unfold_overlap_dim": ([(2, 5, 3)], lambda a: a.unfold(-2, 2, 1)),
    "unfold_noncontig": ([(4, 6)], lambda a: a.t().unfold(0, 4, 1)),
    "diagonal_of_expand": ([(3, 1)], lambda a: (a * 1).expand(3, 4).diagonal(-1)),
    "unfold_of_expand": ([(3, 1)], lambda a: (a * 1).expand(3, 4).unfold(1, 2, 1)),
    "tensor_split_int": ([(7, 2)], lambda a: a.tensor_split(3)),
    "tensor_split_list": ([(2, 7)], lambda a: _lib(a).tensor_split(a, [1, -2, 9], dim=1)),
    "rot90": ([(2, 3)], lambda a: a.rot90()),
    "rot90_k": ([(2, 3, 4)], lambda a: _lib(a).rot90(a, -1, (2, 0))),
    "rot90_2": ([(2, 3)], lambda a: a.rot90(2, (1, 0))),
    "sum_to_size": ([(2, 3, 4)], lambda a: a.sum_to_size(3, 1)),
    "narrow_copy": ([(3, 4)], lambda a: a.narrow_copy(1, 1, 2)),
    "narrow_copy_fn": ([(3, 4)], lambda a: _lib(a).narrow_copy(a, 0, 1, 2)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op(device, name):
    shapes, fn = CASES[name]
    check_op(shapes, fn, device=device)


SCATTER_REDUCE_INDEX = np.array([[0, 1, 0, 2], [2, 2, 2, 0]])


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce(device, reduce, include_self):
    check_op(
        [(3, 4), (2, 4), SCATTER_REDUCE_INDEX],
        lambda a, s, i: a.scatter_reduce(1, i, s, reduce, include_self=include_self),
        device=device,
    )


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["prod", "amax", "amin"])
def test_scatter_reduce_ties_and_zeros(device, reduce, include_self):
    # ties (amax/amin share the gradient evenly) and zeros (prod: one zero, two zeros at one place)
    a = np.array([[1.0, 0.0, 2.0], [3.0, 2.0, 0.0]])
    s = np.array([[1.0, 0.0, 2.0, 2.0], [0.0, 3.0, 0.0, 2.0]])
    idx = np.array([[0, 1, 2, 2], [2, 0, 2, 1]])
    check_op(
        [a, s, idx],
        lambda a, s, i: _lib(a).scatter_reduce(a, 1, i, s, reduce, include_self=include_self),
        device=device,
        gradcheck=False,  # not differentiable at ties; values and torch's gradients are compared
    )


def test_scatter_multiply(device):
    check_op(
        [(3,), (4,), I(0, 1, 1, 2)],
        lambda a, s, i: a.scatter(0, i, s, reduce="multiply"),
        lambda a, s, i: a.scatter_reduce(0, i, s, "prod"),
        device=device,
    )
    x = A.ones(3, device=device)
    x.scatter_(0, A.tensor([0, 0], device=device), 3.0, reduce="multiply")
    assert x.tolist() == [9.0, 1.0, 1.0]


# ---- in-place variants, through views of non-leaves, compared with torch --------------------------------------

INPLACE = {
    "index_add_": lambda v, lib: v.index_add_(0, lib.tensor([1, 1]), lib.ones(2, 3) * 2, alpha=3),
    "index_copy_": lambda v, lib: v.index_copy_(1, lib.tensor([1]), lib.full((3, 1), 5.0)),
    "index_fill_": lambda v, lib: v.index_fill_(1, lib.tensor([0]), -1.0),
    "index_put_": lambda v, lib: v.index_put_(
        (lib.tensor([0, 0]), lib.tensor([1, 1])), lib.tensor(2.0), True
    ),
    "scatter_reduce_": lambda v, lib: v.scatter_reduce_(
        0, lib.tensor([[0, 0], [2, 0]]), lib.ones(2, 2) * 3, "prod"
    ),
    "scatter_reduce_amax": lambda v, lib: v.scatter_reduce_(
        0, lib.tensor([[0, 0]]), lib.ones(1, 2), "amax", include_self=False
    ),
    "masked_scatter_": lambda v, lib: v.masked_scatter_(v > 0.5, lib.arange(12.0)),
    "put_": lambda v, lib: v.put_(lib.tensor([0, 5, 5]), lib.tensor([1.0, 2.0, 3.0]), accumulate=True),
    "fill_diagonal_": lambda v, lib: v.fill_diagonal_(4.0),
    "fill_diagonal_wrap": lambda v, lib: v.fill_diagonal_(4.0, wrap=True),
    "diagonal_mul_": lambda v, lib: v.diagonal().mul_(10),
    "select_add_": lambda v, lib: v.select(1, -1).add_(1),
    "unfold_mul_": lambda v, lib: v.unfold(0, 1, 2).mul_(3),
    "as_strided_mul_": lambda v, lib: v.as_strided((2, 2), (1, 2), 1).mul_(-1),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_through_view_of_nonleaf(device, name):
    data = np.random.default_rng(1).uniform(0, 1, (4, 3)).astype(np.float32)
    w = np.arange(12, dtype=np.float32).reshape(4, 3) / 7
    results = []
    for lib, dev in ((A, device), (torch, "cpu")):
        x = lib.tensor(data, requires_grad=True, **({"device": dev} if lib is A else {}))
        y = x * 2
        v = y[1:] if name not in ("fill_diagonal_wrap", "as_strided_mul_") else y
        if lib is A:
            fn = INPLACE[name]

            class _L:  # the A namespace with device-bound constructors
                tensor = staticmethod(lambda d, **k: A.tensor(d, device=device, **k))
                ones = staticmethod(lambda *s: A.ones(*s, device=device))
                full = staticmethod(lambda s, f: A.full(s, f, device=device))
                arange = staticmethod(lambda n: A.arange(n, device=device))

            fn(v, _L)
        else:
            INPLACE[name](v, torch)
        (y * lib.tensor(w, **({"device": dev} if lib is A else {}))).sum().backward()
        results.append((y.detach().cpu().numpy(), x.grad.cpu().numpy()))
    (yo, go), (yt, gt) = results
    np.testing.assert_allclose(yo, yt, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(go, gt, rtol=1e-6, atol=1e-6)


def test_inplace_on_leaf_refused(device):
    x = A.ones(3, 3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.index_fill_(0, A.tensor([0], device=device), 1.0)
    with pytest.raises(RuntimeError, match="leaf"):
        x.diagonal().zero_()


# ---- views: memory, stride, storage_offset ----------------------------------------------------------------


def test_views_share_memory(device):
    x = A.randn(3, 4, device=device)
    t = torch.tensor(x.cpu().numpy())
    for f in (
        lambda a: a.diagonal(),
        lambda a: a.diagonal(-1),
        lambda a: a.select(1, 2),
        lambda a: a.unfold(1, 2, 2),
        lambda a: a.as_strided((2, 2), (4, 1), 5),
        lambda a: a[1:].as_strided((2,), (1,)),
        lambda a: a.t().unfold(0, 2, 1),
    ):
        v, tv = f(x), f(t)
        assert v._base is x and v.data_ptr() != 0
        assert v.stride() == tv.stride(), (v.stride(), tv.stride())
        assert v.storage_offset() == tv.storage_offset()
        assert v.shape == tv.shape
        np.testing.assert_array_equal(v.cpu().numpy(), tv.numpy())
        if v.shape[-1] == 2 and v.stride(-1) == 1 and v.stride(0) == 1:
            continue  # overlapping windows: a write through them is not well defined
        v.add_(1)
        tv.add_(1)
        np.testing.assert_array_equal(x.cpu().numpy(), t.numpy())
    assert x.stride() == (4, 1) and x.stride(-2) == 4 and x.storage_offset() == 0
    assert x.t().stride() == (1, 4) and x[1:, 2:].storage_offset() == 6
    assert x.diag().data_ptr() != x.data_ptr()  # diag copies, as torch.diag
    for f in (
        lambda a: a[None],
        lambda a: a.unsqueeze(-1),
        lambda a: a.expand(1, 3, 4),
        lambda a: a[:, None].expand(3, 2, 4),
        lambda a: a.t()[0:1],
        lambda a: a.permute(1, 0)[None],
        lambda a: a.sum(0, keepdim=True),
    ):
        assert f(x).stride() == f(t).stride()


def test_write_to_base_reaches_strided_views(device):
    x = A.zeros(5, device=device)
    u = x.unfold(0, 2, 1)
    x[2] = 7.0
    assert u.tolist() == [[0, 0], [0, 7], [7, 0], [0, 0]]
    a = x.as_strided((2,), (2,), 1)
    a.fill_(1.0)
    assert x.tolist() == [0, 1, 7, 1, 0]


def test_double_backward_through_strided_view(device):
    x = A.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    y = (x.unfold(0, 2, 1) ** 2).sum()
    (g,) = A.grad(y, [x], create_graph=True)
    assert g.tolist() == [2.0, 8.0, 12.0, 8.0]
    (gg,) = A.grad(g.sum(), [x])
    assert gg.tolist() == [2.0, 4.0, 4.0, 2.0]


def test_tensor_split_and_select_are_views(device):
    x = A.arange(6.0, device=device)
    parts = x.tensor_split(A.tensor([2, 3], device=device))
    assert [p.tolist() for p in parts] == [[0.0, 1.0], [2.0], [3.0, 4.0, 5.0]]
    parts[0].zero_()
    x.select(0, -1).fill_(9)
    assert x.tolist() == [0.0, 0.0, 2.0, 3.0, 4.0, 9.0]


# ---- errors ------------------------------------------------------------------------------------------------


def test_errors(device):
    x = A.zeros(3, 4, device=device)
    t = lambda *d: A.tensor(d, device=device)  # noqa: E731
    with pytest.raises(
        IndexError, match=r"index_add: index 3 is out of bounds .* size 3 \(valid range \[0, 2\]\)"
    ):
        x.index_add(0, t(3), A.ones(1, 4, device=device))
    with pytest.raises(IndexError, match=r"index_copy: index -1 is out of bounds"):
        x.index_copy(0, t(-1), A.ones(1, 4, device=device))
    with pytest.raises(RuntimeError, match="index_add: Expected dtype int32/int64 for index"):
        x.index_add(0, t(1.0), A.ones(1, 4, device=device))
    with pytest.raises(
        RuntimeError, match=r"index_add: self \(autograd.float32\) and source \(autograd.float64\)"
    ):
        x.index_add(0, t(1), A.ones(1, 4, device=device, dtype=A.float64))
    with pytest.raises(RuntimeError, match="index_add: source tensor shape must match"):
        x.index_add(0, t(1), A.ones(1, 3, device=device))
    with pytest.raises(IndexError, match=r"index_fill: index 3 is out of bounds .* \[-3, 2\]"):
        x.index_fill(0, t(3), 1.0)
    with pytest.raises(IndexError, match="index_put: index 5 is out of bounds for dimension 0 with size 3"):
        x.index_put((t(5),), t(1.0))
    with pytest.raises(IndexError, match=r"take: out of range: tried to access index 12 .* 12 elements"):
        x.take(t(12))
    with pytest.raises(IndexError, match="put: out of range"):
        x.put(t(-13), t(1.0))
    with pytest.raises(
        IndexError, match=r"select: index 3 out of range for tensor of size \[3, 4\] at dimension 0"
    ):
        x.select(0, 3)
    with pytest.raises(RuntimeError, match="masked_scatter: number of elements of source"):
        x.masked_scatter(x == 0, A.ones(3, device=device))
    with pytest.raises(
        RuntimeError, match="as_strided: sizes .* need 13 elements of memory, but .* holds 12"
    ):
        x.as_strided((4, 4), (3, 1))
    with pytest.raises(RuntimeError, match="as_strided: Negative strides"):
        x.as_strided((2,), (-1,))
    with pytest.raises(
        RuntimeError, match="unfold: maximum size for tensor at dimension 1 is 4 but size is 5"
    ):
        x.unfold(1, 5, 1)
    with pytest.raises(RuntimeError, match="unfold: step is 0"):
        x.unfold(1, 2, 0)
    with pytest.raises(RuntimeError, match="diagonal: diagonal dimensions cannot be identical"):
        x.diagonal(0, 1, -1)
    with pytest.raises(RuntimeError, match="scatter_reduce: reduce argument must be one of"):
        x.scatter_reduce(0, t([0]), A.ones(1, 1, device=device), "max")
    with pytest.raises(RuntimeError, match=r"scatter_reduce: index -1 is out of bounds .* \[0, 2\]"):
        x.scatter_reduce(0, t([-1]), A.ones(1, 1, device=device), "sum")
    with pytest.raises(RuntimeError, match="tensor_split: number of sections must be larger than 0"):
        x.tensor_split(0)
    with pytest.raises(RuntimeError, match="rot90: expected rotation dims to be different"):
        x.rot90(1, (0, -2))
    with pytest.raises(RuntimeError, match=r"sum_to_size: size \[2, 4\] is not expandable"):
        x.sum_to_size(2, 4)
    with pytest.raises(RuntimeError, match="select_scatter: expected src to have a size equal to the slice"):
        x.select_scatter(A.ones(3, device=device), 0, 0)
    with pytest.raises(RuntimeError, match="take_along_dim: input and indices should have the same number"):
        x.take_along_dim(t(0), 0)
    with pytest.raises(IndexError, match="stride: dimension out of range"):
        x.stride(2)


def test_functions_exported():
    for name in (
        "index_add index_copy index_fill index_put index_put_ scatter_reduce masked_scatter take take_along_dim "
        "put select select_scatter slice_scatter diagonal_scatter diag_embed tensor_split rot90 narrow_copy "
        "as_strided"
    ).split():
        assert callable(getattr(A, name)), name
        assert hasattr(torch, name), name


# ---- double backward ---------------------------------------------------------------------------------------

GRADGRAD = {
    "scatter_reduce_prod": (
        lambda a, s: a.scatter_reduce(1, A.tensor([[0, 1, 1], [2, 2, 0]], device=a.device), s, "prod"),
        [(2, 3), (2, 3)],
    ),
    "scatter_reduce_mean": (
        lambda a, s: a.scatter_reduce(
            1, A.tensor([[0, 1, 1], [2, 2, 0]], device=a.device), s, "mean", include_self=False
        ),
        [(2, 3), (2, 3)],
    ),
    "as_strided": (lambda a: a.as_strided((3, 2), (1, 1), 1) ** 2, [(5,)]),
    "unfold": (lambda a: a.unfold(0, 2, 1) ** 2, [(5,)]),
    "diagonal": (lambda a: a.diagonal(1) ** 2, [(3, 3)]),
    "index_add": (
        lambda a, s: a.index_add(0, A.tensor([1, 1], device=a.device), s**2, alpha=2) ** 2,
        [(3, 2), (2, 2)],
    ),
    "masked_scatter": (lambda a, s: a.masked_scatter(a > 0, s**2) ** 2, [(3, 2), (6,)]),
    "index_put": (lambda a, v: a.index_put((A.tensor([0, 2], device=a.device),), v**2) ** 2, [(3, 2), (2,)]),
}


@pytest.mark.parametrize("name", sorted(GRADGRAD))
def test_double_backward(device, name):
    fn, shapes = GRADGRAD[name]
    rng = np.random.default_rng(0)
    xs = tuple(A.tensor(rng.standard_normal(s), device=device, requires_grad=True) for s in shapes)
    assert A.gradgradcheck(fn, xs)


def test_views_of_a_tensor_detached_from_a_view(device):
    big = np.arange(18.0).reshape(3, 3, 2)
    x = A.tensor(big, device=device)[..., 0].detach()
    t = torch.tensor(big)[..., 0].detach()
    assert x.diagonal().tolist() == t.diagonal().tolist()
    assert x[1:].storage_offset() == t[1:].storage_offset()
    assert x.unfold(1, 2, 1).tolist() == t.unfold(1, 2, 1).tolist()


def test_write_through_a_view_of_a_strided_view(device):
    got = []
    for lib in (A, torch):
        kw = {"device": device} if lib is A else {}
        x = lib.arange(8.0, **kw).requires_grad_()
        y = x * 1
        v = y.unfold(0, 2, 2).reshape(-1, 2).view(8)
        assert lib is torch or (v._base is y)
        v[1:3].mul_(10)
        (y * lib.arange(8.0, **kw)).sum().backward()
        got.append((y.tolist(), x.grad.tolist()))
    assert got[0] == got[1]


@pytest.mark.parametrize(
    "view",
    [lambda y: y.unfold(0, 3, 1), lambda y: y.as_strided((3, 4), (2, 1), 1), lambda y: y.select(0, 2)],
    ids=["unfold", "as_strided", "select"],
)
def test_overlapping_view_rederived_after_a_write_to_its_base(device, view):
    # the view reads some elements twice: its gradient, re-derived from the base's new history, accumulates
    got = []
    for lib in (A, torch):
        kw = {"device": device} if lib is A else {}
        x = lib.arange(9.0, **kw).requires_grad_()
        y = x * 1
        v = view(y)
        y[1:4].mul_(3)
        w = lib.arange(float(v.numel()), **kw).reshape(v.shape)
        (v * w).sum().backward()
        got.append((v.tolist(), x.grad.tolist()))
    assert got[0] == got[1]
