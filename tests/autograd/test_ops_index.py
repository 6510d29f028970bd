"""Indexing and scatter/gather ops: values and gradients (repeated indices accumulate), setitem, errors."""

from __future__ import annotations

import numpy as np
import pytest
from autograd_refs import check_np, grads_of
from helpers import HAVE_TORCH, check_op

import autograd as A

if HAVE_TORCH:
    import torch


def _idx(ours, theirs):
    return lambda *xs: ours(*xs) if isinstance(xs[0], A.Tensor) else theirs(*xs)


def _t(data, like):
    """An index tensor for whichever library ``like`` belongs to."""
    if isinstance(like, A.Tensor):
        return A.tensor(data, device=like.device)
    return torch.tensor(data)


GETITEM = {
    "int": lambda a: a[1],
    "neg_int": lambda a: a[-1, -2],
    "slice": lambda a: a[1:, :2],
    "step": lambda a: a[::2, 1::2],
    "none": lambda a: a[None, :, None],
    "ellipsis": lambda a: a[..., 1],
    "none_ellipsis": lambda a: a[None, ..., 1:],
    "bool_mask": lambda a: a[a > 0],
    "bool_rows": lambda a: a[_t([True, False, True, True], a)],
    "int_list_repeated": lambda a: a[[0, 0, 2, 3, 0]],
    "int_pairs_repeated": lambda a: a[[0, 0, 2], [1, 1, 2]],
    "int_tensor": lambda a: a[_t([[0, 1], [1, 1]], a)],
    "adv_then_slice": lambda a: a[[2, 0, 2], 1:],
    "slice_then_adv": lambda a: a[:, [2, 2, 0]],
    "none_adv": lambda a: a[None, [0, 0, 3]],
    "scalar_0d_out": lambda a: a[1, 2] * 3,
    "reused": lambda a: a[0] * a[1] + a[[1, 1]].sum(0),
}


@pytest.mark.parametrize("name", sorted(GETITEM))
def test_getitem(device, name):
    check_op([(4, 3)], GETITEM[name], device=device)


@pytest.mark.parametrize("name", ["slice", "step", "bool_mask", "int_list_repeated", "int_pairs_repeated"])
def test_getitem_noncontiguous(device, name):
    check_op([(4, 3)], GETITEM[name], device=device, noncontig=True)


def test_getitem_separated_advanced_indices(device):
    check_op([(4, 5, 3)], lambda a: a[[0, 1, 1], :, [2, 2, 0]], device=device)


def test_getitem_zero_size(device):
    check_op([(0, 3)], lambda a: a[:, 1], device=device)
    check_op([(4, 3)], lambda a: a[[]], device=device)
    check_op([(4, 3)], lambda a: a[a > 100], device=device)


@pytest.mark.parametrize(
    "fn, np_fn",
    [
        (lambda a: a[::-1], lambda a: a[::-1]),
        (lambda a: a[::-2, 1:], lambda a: a[::-2, 1:]),
        (lambda a: a[2:0:-1, ::-1] * 2, lambda a: a[2:0:-1, ::-1] * 2),
        (lambda a: a[[0, 0, 3]], lambda a: a[[0, 0, 3]]),
        (lambda a: a[..., None, 1], lambda a: a[..., None, 1]),
    ],
    ids=["reverse", "neg_step", "neg_range", "repeated", "none_ellipsis"],
)
def test_getitem_numpy_reference(device, fn, np_fn):
    # PyTorch has no negative steps: NumPy is the reference here
    check_np([(4, 3)], fn, np_fn, device=device)


def test_repeated_index_gradient_accumulates(device):
    x = A.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    x[A.tensor([0, 0, 2, 0], device=device)].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    x.grad = None
    x[[True, False, True]].sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]


def test_negative_step_gradient(device):
    x = A.arange(5.0, device=device, requires_grad=True)
    (x[::-2] * A.tensor([1.0, 10.0, 100.0], device=device)).sum().backward()
    assert x.grad.tolist() == [100.0, 0.0, 10.0, 0.0, 1.0]


# ---- setitem -----------------------------------------------------------------------------------


def _setitem(key, scale=2.0):
    def f(a, b):
        c = a * 1
        c[key] = b * scale
        return c

    return f


@pytest.mark.parametrize(
    "key, vshape",
    [
        ((slice(1, None), 0), (3,)),
        ((slice(None), slice(None, 2)), (2,)),
        ((1,), ()),
        ((Ellipsis, 2), (4,)),
        (([0, 2],), (2, 3)),
    ],
    ids=["slice_int", "broadcast_row", "scalar", "ellipsis", "int_list"],
)
def test_setitem(device, key, vshape):
    check_op([(4, 3), vshape], _setitem(key), device=device)


def test_setitem_bool_mask_and_scalar(device):
    def f(a):
        c = a * 1
        c[c > 0] = 0.5
        return c * a

    check_op([(4, 3)], f, device=device)


def test_setitem_values_of_every_kind(device):
    x = A.zeros(2, 3, device=device)
    for v, want in (
        ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]),
        (np.array([4.0, 5.0, 6.0]), [4.0, 5.0, 6.0]),
        (A.tensor([7, 8, 9], device=device), [7.0, 8.0, 9.0]),
        (2, [2.0, 2.0, 2.0]),
        (A.tensor(3.0), [3.0, 3.0, 3.0]),
    ):
        x[0] = v
        assert x[0].tolist() == want and x.dtype == A.float32
    x[A.tensor([0, 1], device=device), 0] = A.tensor([-1.0, -2.0], device=device)
    assert x[:, 0].tolist() == [-1.0, -2.0]
    x[x < 0] = 0.0
    assert float(x.min()) == 0.0
    with pytest.raises(IndexError, match=r"index_put_: index 2 is out of bounds .*\(2, 3\)"):
        x[2] = 1.0


def test_setitem_version_and_leaf(device):
    x = A.zeros(3, device=device)
    x[1] = 5.0
    assert x.tolist() == [0.0, 5.0, 0.0] and x._version == 1
    leaf = A.zeros(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf[0] = 1.0
    with A.no_grad():
        leaf[0] = 1.0
    assert leaf.tolist() == [1.0, 0.0, 0.0]


# ---- gather / scatter family ----------------------------------------------------------------------

IDX = np.array([[0, 0], [1, 3], [2, 2]])
SCATTER_IDX = np.array([[0, 1], [3, 1], [2, 0]])  # no repeats within a row: scatter is deterministic


@pytest.mark.parametrize(
    "fn, shapes",
    [
        (lambda a, i: a.gather(1, i), [(3, 4), IDX]),
        (lambda a, i: a.gather(0, i), [(4, 2), IDX]),
        (lambda a, s, i: a.scatter(1, i, s), [(3, 4), (3, 2), SCATTER_IDX]),
        (lambda a, i: a.scatter(1, i, 0.5), [(3, 4), SCATTER_IDX]),
        (lambda a, s, i: a.scatter_add(1, i, s), [(3, 4), (3, 2), IDX]),
        (lambda a, s, i: a.scatter_add(0, i, s), [(4, 2), (3, 2), IDX]),
        (lambda a, i: a.index_select(1, i), [(3, 4), np.array([0, 2, 2, 3])]),
        (lambda a, i: a.index_select(0, i), [(3, 4), np.array([1, 1])]),
        (lambda a: a.masked_fill(a > 0, 0.5), [(3, 4)]),
        (lambda a, b: a.masked_fill(b > 0, -1.0) * b, [(3, 4), (4,)]),
        (lambda a: a.tril(), [(3, 4)]),
        (lambda a: a.tril(-1), [(2, 3, 3)]),
        (lambda a: a.triu(1), [(3, 4)]),
        (lambda a: a.triu(-1), [(2, 4, 3)]),
    ],
    ids=[
        "gather1",
        "gather0",
        "scatter",
        "scatter_value",
        "scatter_add1",
        "scatter_add0",
        "index_select1",
        "index_select0",
        "masked_fill",
        "masked_fill_broadcast",
        "tril",
        "tril_batch",
        "triu",
        "triu_batch",
    ],
)
def test_gather_scatter_family(device, fn, shapes):
    check_op(shapes, fn, device=device)


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
def test_gather_scatter_partial_blocks(device):
    # PyTorch allows an index smaller than the input (gather) and a src larger than the index (scatter)
    small = np.array([[0, 3], [2, 1]])
    check_op([(3, 4), small], lambda a, i: a.gather(1, i), device=device)
    check_op([(4, 3), small.T % 3], lambda a, i: a.gather(0, i), device=device)
    # values against torch; gradients by finite differences (torch's own scatter backward rejects a larger src)
    check_op([(3, 4), (3, 3), small], lambda a, s, i: a.scatter(1, i, s), device=device, grad=False)
    rng = np.random.default_rng(0)
    a = A.tensor(rng.standard_normal((3, 4)), dtype=A.float64, device=device, requires_grad=True)
    src = A.tensor(rng.standard_normal((3, 3)), dtype=A.float64, device=device, requires_grad=True)
    idx = A.tensor(small, device=device)
    assert A.gradcheck(lambda p, q: p.scatter(1, idx, q), (a, src))
    assert A.gradcheck(lambda p, q: p.scatter_add(1, idx, q), (a, src))
    assert A.gradcheck(lambda p, q: p.scatter(1, idx, q, reduce="add"), (a, src))
    assert A.gradgradcheck(lambda p, q: p.scatter_add(1, idx, q).tanh(), (a, src))
    check_op([(3, 4), (2, 5), small], lambda a, s, i: a.scatter_add(1, i, s), device=device, grad=False)
    check_op(
        [(3, 4), (2, 2), small], lambda a, s, i: a.scatter(1, i, s, reduce="add"), device=device, grad=False
    )


def test_gather_scatter_noncontiguous(device):
    check_op([(3, 4), IDX], lambda a, i: a.gather(1, i), device=device, noncontig=True)
    check_op([(3, 4), (3, 2), IDX], lambda a, s, i: a.scatter_add(1, i, s), device=device, noncontig=True)


def test_functional_forms(device):
    x = A.arange(12.0, device=device).reshape(3, 4)
    i = A.tensor([[0], [3], [1]], device=device)
    assert A.gather(x, 1, i).tolist() == [[0.0], [7.0], [9.0]]
    assert A.index_select(x, 0, A.tensor([2], device=device)).tolist() == [[8.0, 9.0, 10.0, 11.0]]
    assert A.scatter_add(A.zeros(3, 4, device=device), 1, i, A.ones(3, 1, device=device)).sum().item() == 3
    assert A.masked_fill(x, x > 9, 0.0).sum().item() == 45
    assert A.tril(x).tolist()[0] == [0.0, 0.0, 0.0, 0.0] and A.triu(x).tolist()[2] == [0.0, 0.0, 10.0, 11.0]


def test_scatter_gather_numpy_reference(device):
    idx = A.tensor(IDX, device=device)
    x = A.tensor(np.arange(12.0).reshape(3, 4), dtype=A.float64, device=device, requires_grad=True)
    (gx,) = grads_of(lambda a: a.gather(1, idx), x)
    want = np.zeros((3, 4))
    np.add.at(want, (np.arange(3)[:, None], IDX), np.linspace(-1, 1, 6).reshape(3, 2))
    np.testing.assert_allclose(gx, want)
    assert A.gradcheck(lambda a: a.gather(1, idx), (x,))
    src = A.tensor(np.ones((3, 2)), dtype=A.float64, device=device, requires_grad=True)
    assert A.gradcheck(lambda a, s: a.scatter_add(1, idx, s), (x, src))
    out = A.zeros(3, 4, device=device).scatter_add(1, idx, A.ones(3, 2, device=device))
    assert out.tolist() == [[2.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 2.0, 0.0]]


def test_one_hot(device):
    x = A.tensor([0, 2, 1, 2], device=device)
    oh = A.one_hot(x)
    assert oh.dtype == A.int64 and oh.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]]
    assert A.one_hot(x, 5).shape == (4, 5)
    assert A.one_hot(A.tensor([[1], [0]], device=device), 2).shape == (2, 1, 2)
    with pytest.raises(RuntimeError, match="one_hot: class values must be smaller than num_classes"):
        A.one_hot(x, 2)
    with pytest.raises(RuntimeError, match="one_hot: .*index tensor"):
        A.one_hot(A.tensor([1.0], device=device))


def test_index_errors(device):
    x = A.zeros(3, 4, device=device)
    with pytest.raises(IndexError, match=r"index: index 5 is out of bounds for axis 0 with size 3.*\(3, 4\)"):
        x[5]
    with pytest.raises(IndexError, match="index: too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="index: tensors used as indices must be long, int or bool tensors"):
        x[A.tensor([0.0], device=device)]
    with pytest.raises(RuntimeError, match="gather: index 4 is out of bounds for dimension 1 with size 4"):
        x.gather(1, A.tensor([[4]], device=device))
    with pytest.raises(RuntimeError, match="gather: expected index to be an int64 tensor"):
        x.gather(1, A.tensor([[1.0]], device=device))
    with pytest.raises(
        RuntimeError, match="scatter_add: index tensor must have the same number of dimensions"
    ):
        x.scatter_add(1, A.tensor([1], device=device), A.ones(1, device=device))
    with pytest.raises(
        RuntimeError, match=r"gather: expected index \(4, 1\) to be no larger than input \(3, 4\)"
    ):
        x.gather(1, A.zeros(4, 1, dtype=A.int64, device=device))
    with pytest.raises(
        RuntimeError, match=r"scatter: expected index \(3, 2\) to be no larger than src \(3, 1\)"
    ):
        x.scatter(1, A.zeros(3, 2, dtype=A.int64, device=device), A.ones(3, 1, device=device))
    with pytest.raises(RuntimeError, match="scatter: reduce argument must be None or 'add'"):
        x.scatter(1, A.zeros(3, 1, dtype=A.int64, device=device), 1.0, reduce="max")
    with pytest.raises(RuntimeError, match="scatter_add: expected self.dtype to be equal to src.dtype"):
        x.scatter_add(
            1, A.zeros(3, 1, dtype=A.int64, device=device), A.ones(3, 1, dtype=A.float64, device=device)
        )
    with pytest.raises(IndexError, match="index_select: index out of range for dimension 1 with size 4"):
        x.index_select(1, A.tensor([4], device=device))
    with pytest.raises(RuntimeError, match="masked_fill: expected a bool mask"):
        x.masked_fill(A.ones(3, 4, device=device), 0.0)
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 dimensions"):
        A.zeros(3, device=device).tril()


def test_triu_tril_zero_infinities(device):
    """Outside the kept triangle the result is 0 even where the input is inf (the causal-mask idiom)."""
    m = A.full((3, 3), float("-inf"), device=device).triu(1)
    assert m.tolist() == [[0.0, float("-inf"), float("-inf")], [0.0, 0.0, float("-inf")], [0.0, 0.0, 0.0]]
    assert A.full((2, 2), float("nan"), device=device).tril().isnan().tolist() == [
        [True, False],
        [True, True],
    ]
