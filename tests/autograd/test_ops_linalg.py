"""matmul (every broadcasting case), outer/dot/mm/bmm and einsum: values, gradients, second order, errors."""

from __future__ import annotations

import numpy as np
import pytest
from autograd_refs import check_np
from helpers import HAVE_TORCH, check_op

import autograd as A

if HAVE_TORCH:
    import torch

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((3,), (2, 3, 4)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((3, 4), (2, 4, 2)),
    ((2, 2, 3), (3, 2)),
    ((0, 3), (3, 2)),
    ((2, 0), (0, 2)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(device, shapes):
    check_op(list(shapes), lambda a, b: a @ b, device=device)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES[3:9], ids=str)
def test_matmul_noncontiguous(device, shapes):
    check_op(list(shapes), lambda a, b: a @ b, device=device, noncontig=True)


def test_matmul_reused_and_reflected(device):
    check_op([(3, 3)], lambda a: a @ a + a, device=device)
    check_op([(3, 3)], lambda a: a.__rmatmul__(a.T), device=device)
    check_op([(2, 3), (3, 4)], lambda a, b: a.matmul(b), device=device)


def test_mm_bmm_outer_dot(device):
    check_op([(2, 3), (3, 4)], lambda a, b: a.mm(b), device=device)
    check_op([(2, 2, 3), (2, 3, 4)], lambda a, b: a.bmm(b), device=device)
    check_op([(3,), (4,)], lambda a, b: a.outer(b), device=device)
    check_op([(3,), (3,)], lambda a, b: a.dot(b), device=device)
    check_op([(0,), (4,)], lambda a, b: a.outer(b), device=device)


@pytest.mark.parametrize(
    "sa, sb", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 2, 3), (1, 3, 2))], ids=str
)
def test_matmul_numpy_reference(device, sa, sb):
    check_np([sa, sb], lambda a, b: a @ b, lambda a, b: a @ b, device=device)


def test_matmul_errors(device):
    a, b = A.zeros(2, 3, device=device), A.zeros(2, 2, device=device)
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(2, 2\) are not aligned: 3 != 2"):
        a @ b
    with pytest.raises(RuntimeError, match=r"matmul: batch dimensions of shapes \(2, 2, 3\) and \(3, 3, 4\)"):
        A.zeros(2, 2, 3, device=device) @ A.zeros(3, 3, 4, device=device)
    with pytest.raises(RuntimeError, match="matmul: both arguments need to be at least 1D"):
        A.tensor(1.0, device=device) @ a
    with pytest.raises(
        RuntimeError, match="matmul: expected both arguments to have the same dtype.*float32.*float64"
    ):
        a @ A.zeros(3, 2, dtype=A.float64, device=device)
    with pytest.raises(RuntimeError, match="mm: expected 2-D tensors"):
        A.zeros(3, device=device).mm(a)
    with pytest.raises(RuntimeError, match="bmm: expected 3-D tensors with equal batch size"):
        A.zeros(2, 2, 3, device=device).bmm(A.zeros(3, 3, 2, device=device))
    with pytest.raises(RuntimeError, match="outer: expected 1-D tensors"):
        a.outer(a)
    with pytest.raises(RuntimeError, match="dot: 1D tensors expected"):
        a.dot(a)


# ---- einsum ----------------------------------------------------------------------------------------

EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->", [(3, 4)]),
    ("ij->ji", [(3, 4)]),
    ("ji", [(3, 4)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("ijk->kj", [(2, 3, 4)]),
    ("iij->j", [(3, 3, 2)]),
    ("iji->ij", [(3, 2, 3)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 5)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...ij->...ji", [(2, 3, 4)]),
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)]),
    ("i...->...", [(3, 4, 2)]),
    ("...,...->...", [(3, 1), (4,)]),
    ("ij,kj->ik", [(3, 4), (1, 4)]),
    ("Ab,bC->AC", [(2, 3), (3, 4)]),
    ("ij ,jk-> ik", [(2, 3), (3, 4)]),
    ("ij,k->ijk", [(2, 3), (2,)]),
    ("ij,jk->ik", [(0, 3), (3, 4)]),
]


def _einsum(eq):
    return lambda *xs: (A.einsum if isinstance(xs[0], A.Tensor) else torch.einsum)(eq, *xs)


@pytest.mark.parametrize("eq, shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum(device, eq, shapes):
    check_op(shapes, _einsum(eq), device=device)


@pytest.mark.parametrize(
    "eq, shapes", EINSUM[:4] + EINSUM[18:20], ids=[e for e, _ in EINSUM[:4] + EINSUM[18:20]]
)
def test_einsum_noncontiguous(device, eq, shapes):
    check_op(shapes, _einsum(eq), device=device, noncontig=True)


@pytest.mark.parametrize(
    "eq, shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ii->i", [(3, 3)]),
        ("bi,bi->b", [(2, 3), (2, 3)]),
        ("ij->", [(2, 3)]),
    ],
)
def test_einsum_numpy_reference_and_second_order(device, eq, shapes):
    check_np(shapes, lambda *xs: A.einsum(eq, *xs), lambda *xs: np.einsum(eq, *xs), device=device)
    rng = np.random.default_rng(1)
    xs = tuple(
        A.tensor(rng.standard_normal(s), dtype=A.float64, device=device, requires_grad=True) for s in shapes
    )
    assert A.gradgradcheck(lambda *a: A.einsum(eq, *a), xs)


def test_einsum_list_form_and_same_operand(device):
    x = A.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    y = A.einsum("ij,ij->", [x, x])
    assert y.item() == 30.0
    y.backward()
    assert x.grad.tolist() == [[2.0, 4.0], [6.0, 8.0]]
    assert A.einsum("ii", x).item() == 5.0


@pytest.mark.parametrize(
    "args, eq",
    [
        (lambda a, b: (a, [0, 1], b, [1, 2], [0, 2]), "ij,jk->ik"),
        (lambda a, b: (a, [0, 1], b, [1, 2]), "ij,jk"),
        (lambda a, b: (a, [Ellipsis, 1], b, [1, 2], [Ellipsis, 2]), "...j,jk->...k"),
        (lambda a, b: (a, [27, 1], b, [1, 51], [51, 27]), "Bj,jZ->ZB"),
    ],
)
def test_einsum_sublist_form(device, args, eq):
    rng = np.random.default_rng(0)
    xa, xb = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    a = A.tensor(xa, dtype=A.float64, device=device, requires_grad=True)
    b = A.tensor(xb, dtype=A.float64, device=device, requires_grad=True)
    got = A.einsum(*args(a, b))
    np.testing.assert_allclose(got.detach().cpu().numpy(), np.einsum(eq, xa, xb), rtol=1e-12)
    got.sum().backward()
    ga, gb = A.grad(A.einsum(eq, a, b).sum(), (a, b))
    np.testing.assert_allclose(a.grad.cpu().numpy(), ga.cpu().numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.cpu().numpy(), gb.cpu().numpy(), rtol=1e-12)
    if HAVE_TORCH:
        ta, tb = torch.tensor(xa), torch.tensor(xb)
        np.testing.assert_allclose(
            got.detach().cpu().numpy(), torch.einsum(*args(ta, tb)).numpy(), rtol=1e-12
        )


def test_einsum_sublist_errors(device):
    a = A.zeros(2, 3, device=device)
    with pytest.raises(ValueError, match=r"einsum: subscripts in a sublist must be ints in \[0, 52\)"):
        A.einsum(a, [0, 52])
    with pytest.raises(TypeError, match="einsum: expected a list of subscripts for operand 1"):
        A.einsum(a, [0, 1], a, "ij")
    with pytest.raises(ValueError, match="einsum: every operand needs a sublist"):
        A.einsum(a, [0, 1], a)


def test_einsum_errors(device):
    a = A.zeros(2, 3, device=device)
    with pytest.raises(
        ValueError,
        match="einsum: the number of subscripts in the equation \\(3\\) does not match the number of dimensions \\(2\\) for operand 0",
    ):
        A.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="einsum: the equation has 2 operand\\(s\\)"):
        A.einsum("ij,jk->ik", a)
    with pytest.raises(
        RuntimeError, match="einsum: operands do not broadcast: subscript 'j' has size 3 in one operand and 2"
    ):
        A.einsum("ij,jk->ik", a, A.zeros(2, 2, device=device))
    with pytest.raises(ValueError, match="einsum: output subscript 'k' does not appear"):
        A.einsum("ij->ik", a)
    with pytest.raises(ValueError, match="einsum: output subscript 'i' appears more than once"):
        A.einsum("ij->ii", a)
    with pytest.raises(ValueError, match="einsum: invalid subscripts"):
        A.einsum("i1->i", a)
    with pytest.raises(
        RuntimeError, match="einsum: subscript 'i' is repeated for operand 0 but the sizes don't match"
    ):
        A.einsum("ii->i", a)
    with pytest.raises(TypeError, match="einsum: operand 1 is a list"):
        A.einsum("ij,jk", a, [[1.0]])
