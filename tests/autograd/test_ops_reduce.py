"""Reductions: values and gradients against PyTorch (float64 gradcheck too), plus NumPy references."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from autograd_refs import check_np
from helpers import HAVE_TORCH, check_op

import autograd as A

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch reference not installed")

# name -> (fn, input shapes); every fn runs on both our tensors and torch's
REDUCTIONS = {
    "sum_all": (lambda a: a.sum(), [(3, 4)]),
    "sum_dim": (lambda a: a.sum(1), [(3, 4)]),
    "sum_neg_keep": (lambda a: a.sum(-1, keepdim=True), [(2, 3, 4)]),
    "sum_tuple": (lambda a: a.sum((0, 2)), [(2, 3, 4)]),
    "sum_tuple_keep": (lambda a: a.sum((0, -1), keepdim=True), [(2, 3, 4)]),
    "sum_empty_dim": (lambda a: a.sum(0), [(0, 3)]),
    "sum_0d": (lambda a: a.sum(), [()]),
    "mean_all": (lambda a: a.mean(), [(3, 4)]),
    "mean_tuple": (lambda a: a.mean((0, 2), keepdim=True), [(2, 3, 4)]),
    "mean_neg": (lambda a: a.mean(-1), [(3, 4)]),
    "prod_all": (lambda a: a.prod(), [(2, 3)]),
    "prod_dim": (lambda a: a.prod(1), [(3, 4)]),
    "prod_keep": (lambda a: a.prod(0, keepdim=True), [(3, 4)]),
    "amax": (lambda a: a.amax(1), [(3, 4)]),
    "amax_tuple": (lambda a: a.amax((0, 1)), [(3, 4)]),
    "amin_keep": (lambda a: a.amin(0, keepdim=True), [(3, 4)]),
    "max_all": (lambda a: a.max(), [(3, 4)]),
    "min_all": (lambda a: a.min(), [(3, 4)]),
    "max_dim": (lambda a: a.max(1)[0], [(3, 4)]),
    "max_dim_keep_values": (lambda a: a.max(-1, keepdim=True).values, [(2, 3, 4)]),
    "min_dim": (lambda a: a.min(0).values, [(3, 4)]),
    "var_all": (lambda a: a.var(), [(3, 4)]),
    "var_dim": (lambda a: a.var(1), [(3, 4)]),
    "var_tuple_keep": (lambda a: a.var((0, 2), keepdim=True), [(2, 3, 4)]),
    "var_biased": (lambda a: a.var(1, unbiased=False), [(3, 4)]),
    "var_correction0": (lambda a: a.var(0, correction=0), [(3, 4)]),
    "std_all": (lambda a: a.std(), [(3, 4)]),
    "std_dim": (lambda a: a.std(-1, keepdim=True), [(3, 4)]),
    "logsumexp_dim": (lambda a: a.logsumexp(1), [(3, 4)]),
    "logsumexp_tuple": (lambda a: a.logsumexp((0, 1)), [(3, 4)]),
    "logsumexp_keep": (lambda a: a.logsumexp(-1, keepdim=True), [(2, 3, 4)]),
    "norm": (lambda a: a.norm(), [(3, 4)]),
    "norm_dim": (lambda a: a.norm(dim=1), [(3, 4)]),
    "norm_p1": (lambda a: a.norm(p=1, dim=0), [(3, 4)]),
    "norm_p3_keep": (lambda a: a.norm(p=3, dim=1, keepdim=True), [(3, 4)]),
    "norm_inf": (lambda a: a.norm(p=float("inf"), dim=1), [(3, 4)]),
    "cumsum": (lambda a: a.cumsum(1), [(3, 4)]),
    "cumsum_neg": (lambda a: a.cumsum(-2), [(2, 3, 4)]),
    "cumsum_0d": (lambda a: a.cumsum(0), [()]),
    "cumprod": (lambda a: a.cumprod(1), [(3, 4)]),
    "reused": (lambda a: a.sum(0) * a.mean(0) + a.amax(0), [(3, 4)]),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction(device, name):
    fn, shapes = REDUCTIONS[name]
    check_op(shapes, fn, device=device, low=0.5 if "prod" in name else -2.0)


@pytest.mark.parametrize(
    "name", ["sum_tuple", "mean_tuple", "var_dim", "logsumexp_dim", "max_dim", "prod_dim"]
)
def test_reduction_noncontiguous(device, name):
    fn, shapes = REDUCTIONS[name]
    check_op(shapes, fn, device=device, noncontig=True, low=0.5)


ZERO_SIZE = {
    "sum": lambda a: a.sum(1),
    "sum_over_empty": lambda a: a.sum(0),
    "mean": lambda a: a.mean(1),
    "prod_over_empty": lambda a: a.prod(0),
    "cumsum": lambda a: a.cumsum(0),
    "amax": lambda a: a.amax(1),
    "logsumexp": lambda a: a.logsumexp(1),
    "norm": lambda a: a.norm(dim=1),
}


@pytest.mark.parametrize("name", sorted(ZERO_SIZE))
def test_reduction_zero_size(device, name):
    check_op([(0, 3)], ZERO_SIZE[name], device=device)


@needs_torch
@pytest.mark.parametrize(
    "fn",
    [lambda a: a.max(), lambda a: a.amax(1), lambda a: a.max(1)[0], lambda a: a.min(1).values],
    ids=["max", "amax", "max_dim", "min_dim"],
)
def test_max_ties_split_like_torch(device, fn):
    # at ties the function is not differentiable: gradcheck would disagree, PyTorch's convention is the spec
    x = np.array([[1.0, 1.0, 0.0], [2.0, 2.0, 2.0]])
    check_op([x], fn, device=device, gradcheck=False)


def test_prod_with_zeros(device):
    x = np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, -1.0]])
    check_op([x], lambda a: a.prod(1), device=device)
    check_op([x], lambda a: a.prod(), device=device)
    check_op([np.array([[1.5, 0.0, 2.0], [1.0, 2.0, 3.0]])], lambda a: a.prod(), device=device)


def test_cumprod_with_zeros(device):
    x = np.array([[1.5, 0.0, 2.0, 3.0], [0.5, 2.0, 0.0, 0.0]])
    check_op([x], lambda a: a.cumprod(1), device=device)
    check_op([x], lambda a: a.cumprod(0), device=device)


# ---- without torch: NumPy references ---------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, np_fn",
    [
        (lambda a: a.sum((0, 2)), lambda a: a.sum((0, 2))),
        (lambda a: a.mean(1, keepdim=True), lambda a: a.mean(1, keepdims=True)),
        (lambda a: a.var(1), lambda a: a.var(1, ddof=1)),
        (lambda a: a.std(), lambda a: a.std(ddof=1)),
        (lambda a: a.prod(2), lambda a: a.prod(2)),
        (lambda a: a.amax((1, 2)), lambda a: a.max((1, 2))),
        (lambda a: a.logsumexp(0), lambda a: np.log(np.exp(a).sum(0))),
        (lambda a: a.cumsum(1), lambda a: a.cumsum(1)),
        (lambda a: a.cumprod(2), lambda a: a.cumprod(2)),
        (lambda a: a.norm(dim=(0, 1)), lambda a: np.sqrt((a * a).sum((0, 1)))),
    ],
    ids=["sum", "mean", "var", "std", "prod", "amax", "logsumexp", "cumsum", "cumprod", "norm"],
)
def test_reduction_numpy_reference(device, fn, np_fn):
    check_np([(2, 3, 2)], fn, np_fn, device=device, low=0.5, high=1.5)


def test_max_dim_returns_values_and_indices(device):
    x = A.tensor([[1.0, 5.0, 3.0], [7.0, 2.0, 7.0]], device=device, requires_grad=True)
    r = x.max(1)
    assert r.values.tolist() == [5.0, 7.0] and r.indices.tolist() == [1, 0]
    v, i = x.min(dim=0, keepdim=True)
    assert v.shape == (1, 3) and i.tolist() == [[0, 1, 0]] and i.dtype == A.int64
    r.values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]  # ties: all to the returned index


def test_argmax_argmin(device):
    x = A.tensor([[1.0, 5.0, 3.0], [7.0, 2.0, 9.0]], device=device)
    assert x.argmax().item() == 5 and x.argmin().item() == 0
    assert x.argmax(1).tolist() == [1, 2] and x.argmin(0, keepdim=True).tolist() == [[0, 1, 0]]
    assert A.argmax(x, dim=-1).dtype == A.int64
    with pytest.raises(RuntimeError, match="argmax"):
        A.zeros(0, device=device).argmax()


def test_all_any(device):
    x = A.tensor([[True, False], [True, True]], device=device)
    assert x.all().item() is False and x.any().item() is True
    assert x.all(1).tolist() == [False, True] and x.any(0, keepdim=True).tolist() == [[True, True]]
    assert A.tensor([1.0, 0.0], device=device).all().item() is False
    assert A.all(A.tensor([2, 3], device=device)).item() is True


def test_integer_sum_promotes_and_mean_refuses(device):
    x = A.tensor([[1, 2], [3, 4]], dtype=A.int32, device=device)
    assert x.sum().dtype == A.int64 and x.sum().item() == 10
    assert A.tensor([True, True, False], device=device).sum().item() == 2
    assert x.cumsum(0).dtype == A.int64
    with pytest.raises(RuntimeError, match="mean: could not infer output dtype.*int32"):
        x.mean()
    assert x.mean(dtype=A.float32).item() == 2.5


def test_sum_dtype_keeps_grad_dtype(device):
    x = A.ones(3, device=device, requires_grad=True)
    y = x.sum(dtype=A.float64)
    assert y.dtype == A.float64
    y.backward()
    assert x.grad.dtype == A.float32 and x.grad.tolist() == [1.0, 1.0, 1.0]


def test_stable_logsumexp_and_empty(device):
    x = A.tensor([[1e4, 1e4 - 1.0], [-1e4, -1e4]], device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.logsumexp(1)
        y.sum().backward()
        e = A.zeros(0, 3, device=device).logsumexp(0)
    np.testing.assert_allclose(y.detach().cpu().numpy(), [1e4 + np.log1p(np.exp(-1.0)), -1e4 + np.log(2)])
    assert np.isfinite(x.grad.cpu().numpy()).all()
    assert e.tolist() == [float("-inf")] * 3


def test_var_with_too_few_elements_is_nan_silently(device):
    x = A.tensor([[1.0, 2.0]], device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = x.var(0)
    assert np.isnan(v.cpu().numpy()).all()


def test_reduction_dim_errors(device):
    x = A.zeros(2, 3, device=device)
    with pytest.raises(
        IndexError, match=r"sum: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"
    ):
        x.sum(2)
    with pytest.raises(RuntimeError, match="mean: dim .* appears multiple times"):
        x.mean((0, 0))
    with pytest.raises(RuntimeError, match="max: cannot reduce over a zero-size dimension"):
        A.zeros(0, 3, device=device).max()
    with pytest.raises(RuntimeError, match="amax: cannot reduce over a zero-size dimension"):
        A.zeros(0, 3, device=device).amax(0)


def test_norm_at_zero_has_zero_gradient(device):
    x = A.zeros(2, 3, device=device, requires_grad=True)
    x.norm().backward()
    assert x.grad.tolist() == [[0.0] * 3] * 2


@pytest.mark.parametrize("p", [2, 3, 1.5, 0.5])
def test_norm_subgradient_zero_at_zero(device, p):
    """A p-norm has no derivative where it (or an entry, for p < 1) is 0; PyTorch takes 0 there, not nan/inf."""
    x = A.zeros(3, dtype=A.float64, device=device, requires_grad=True)
    x.norm(p).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    y = A.tensor([1.0, 0.0, 2.0], dtype=A.float64, device=device, requires_grad=True)
    n = y.norm(p)
    n.backward()
    v = np.array([1.0, 0.0, 2.0])
    safe = np.where(v == 0, 1.0, np.abs(v))
    want = np.where(v == 0, 0.0, safe ** (p - 1) * n.item() ** (1 - p))  # d/dx_i (sum |x|^p)^(1/p)
    np.testing.assert_allclose(y.grad.cpu().numpy(), want, rtol=1e-12)
