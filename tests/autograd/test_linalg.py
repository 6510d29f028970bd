"""autograd.linalg against torch.linalg: values, gradients (float64 gradcheck, double backward), batched
shapes, named-tuple results and PyTorch's errors, on every device."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op

import autograd as A

if HAVE_TORCH:
    import torch

RNG = np.random.default_rng(7)


def _lin(x):
    """torch.linalg for torch tensors, autograd.linalg for ours (the same lambda runs on both)."""
    return torch.linalg if HAVE_TORCH and isinstance(x, torch.Tensor) else A.linalg


def _well(*shape: int) -> np.ndarray:
    """Random square matrices with a dominant diagonal: well conditioned, distinct singular values."""
    n = shape[-1]
    return RNG.uniform(-1, 1, shape) + np.diag(np.arange(3.0, 3.0 + n))


def _eye(n: int, scale: float = 3.0) -> np.ndarray:
    return scale * np.eye(n)


def _signfix(V):
    """Eigen/singular vectors with a non-negative first row (their sign is arbitrary)."""
    return V * V[..., :1, :].sign()


CASES = {
    "inv": (lambda a: _lin(a).inv(a), [_well(3, 3)]),
    "inv_batch": (lambda a: _lin(a).inv(a), [_well(2, 3, 3)]),
    "inv_ex": (lambda a: _lin(a).inv_ex(a).inverse, [_well(2, 2, 2)]),
    "det_batch": (lambda a: _lin(a).det(a), [_well(2, 3, 3)]),
    "slogdet": (
        lambda a: (lambda r: (r.sign.detach(), r.logabsdet))(_lin(a).slogdet(a - 4)),
        [_well(2, 3, 3)],
    ),
    "solve_matrix": (lambda a, b: _lin(a).solve(a, b), [_well(2, 3, 3), (2, 3, 2)]),
    "solve_vector": (lambda a, b: _lin(a).solve(a, b), [_well(3, 3), (3,)]),
    "solve_batched_vectors": (lambda a, b: _lin(a).solve(a, b), [_well(2, 3, 3), (2, 3)]),
    "solve_broadcast": (lambda a, b: _lin(a).solve(a, b), [_well(3, 3), (2, 3, 2)]),
    "solve_right": (lambda a, b: _lin(a).solve(a, b, left=False), [_well(2, 3, 3), (2, 4, 3)]),
    "solve_triangular_upper": (
        lambda a, b: _lin(a).solve_triangular(a, b, upper=True),
        [_well(2, 3, 3), (2, 3, 2)],
    ),
    "solve_triangular_lower_right": (
        lambda a, b: _lin(a).solve_triangular(a, b, upper=False, left=False),
        [_well(3, 3), (2, 3)],
    ),
    "solve_triangular_unit": (
        lambda a, b: _lin(a).solve_triangular(a, b, upper=False, unitriangular=True),
        [_well(3, 3), (3, 2)],
    ),
    "cholesky": (lambda a, c: _lin(a).cholesky(a @ a.mT + c @ c.mT), [(2, 3, 3), _eye(3, 1.7)]),
    "cholesky_upper": (
        lambda a, c: _lin(a).cholesky(a @ a.mT + c @ c.mT, upper=True),
        [(3, 3), _eye(3, 1.7)],
    ),
    "cholesky_ex": (lambda a, c: _lin(a).cholesky_ex(a @ a.mT + c @ c.mT).L, [(3, 3), _eye(3, 1.7)]),
    "qr_tall": (lambda a: tuple(_lin(a).qr(a)), [(2, 4, 3)]),
    "qr_square": (lambda a: tuple(_lin(a).qr(a)), [_well(3, 3)]),
    "qr_wide": (lambda a: tuple(_lin(a).qr(a)), [(3, 5)]),
    "qr_complete_wide": (lambda a: tuple(_lin(a).qr(a, mode="complete")), [(2, 4)]),
    "qr_r": (lambda a: _lin(a).qr(a, mode="r").R, [(4, 3)], {"grad": False}),
    "eigh": (
        lambda a: (lambda r: (r.eigenvalues, _signfix(r.eigenvectors)))(_lin(a).eigh(a + a.mT)),
        [(2, 3, 3)],
    ),
    "eigh_upper": (
        lambda a: (lambda r: (r.eigenvalues, _signfix(r.eigenvectors)))(_lin(a).eigh(a + a.mT, UPLO="U")),
        [(3, 3)],
    ),
    "eigvalsh": (lambda a: _lin(a).eigvalsh(a + a.mT), [(2, 4, 4)]),
    "svd_tall": (
        lambda a: (lambda r: (_signfix(r.U), r.S, _signfix(r.Vh.mT)))(_lin(a).svd(a, full_matrices=False)),
        [(2, 4, 3)],
    ),
    "svd_wide": (
        lambda a: (lambda r: (_signfix(r.U), r.S, _signfix(r.Vh.mT)))(_lin(a).svd(a, full_matrices=False)),
        [(3, 5)],
    ),
    "svd_full_U": (lambda a: (lambda r: _signfix(r.U[..., :3]))(_lin(a).svd(a)), [(2, 4, 3)]),
    "svd_full_Vh": (lambda a: (lambda r: _signfix(r.Vh[..., :2, :].mT))(_lin(a).svd(a)), [(2, 4)]),
    "svd_S_only_full": (lambda a: _lin(a).svd(a).S, [(4, 3)]),
    "svdvals": (lambda a: _lin(a).svdvals(a), [(2, 3, 4)]),
    "pinv_tall": (lambda a: _lin(a).pinv(a), [(2, 4, 3)]),
    "pinv_wide": (lambda a: _lin(a).pinv(a), [(3, 5)]),
    "pinv_hermitian": (lambda a: _lin(a).pinv(a + a.mT, hermitian=True), [_well(3, 3)]),
    "lstsq": (lambda a, b: _lin(a).lstsq(a, b).solution, [(5, 3), (5, 2)]),
    "lstsq_batch": (lambda a, b: _lin(a).lstsq(a, b).solution, [(2, 4, 3), (2, 4, 1)]),
    "matrix_exp": (lambda a: _lin(a).matrix_exp(a), [(2, 3, 3)]),
    "matrix_exp_big": (lambda a: _lin(a).matrix_exp(3 * a), [(3, 3)]),
    "matrix_power": (lambda a: _lin(a).matrix_power(a, 3), [(2, 3, 3)]),
    "matrix_power_neg": (lambda a: _lin(a).matrix_power(a, -2), [_well(3, 3)]),
    "cond": (lambda a: _lin(a).cond(a), [_well(2, 3, 3)]),
    # torch.linalg.cond's own backward fails for these orders (an in-place write on inv_ex's output)
    "cond_fro": (lambda a: _lin(a).cond(a, "fro"), [_well(3, 3)], {"grad": False}),
    "cond_inf": (lambda a: _lin(a).cond(a, float("inf")), [_well(2, 3, 3)], {"grad": False}),
    "cross": (lambda a, b: _lin(a).cross(a, b), [(1, 2, 3), (4, 1, 3)]),
    "cross_dim0": (lambda a, b: _lin(a).cross(a, b, dim=0), [(3, 2), (3, 2)]),
    "vecdot": (lambda a, b: _lin(a).vecdot(a, b), [(2, 4), (3, 1, 4)]),
    "vecdot_dim": (lambda a, b: _lin(a).vecdot(a, b, dim=0), [(4, 2), (4, 2)]),
    "multi_dot": (lambda a, b, c: _lin(a).multi_dot([a, b, c]), [(3,), (3, 4), (4, 2)]),
    "multi_dot_vec_end": (lambda a, b, c: _lin(a).multi_dot([a, b, c]), [(2, 3), (3, 4), (4,)]),
    "diagonal": (lambda a: _lin(a).diagonal(a, offset=1), [(2, 3, 4)]),
    "diagonal_dims": (lambda a: _lin(a).diagonal(a, dim1=0, dim2=2), [(3, 2, 3)]),
}


@pytest.mark.skipif(not HAVE_TORCH, reason="compares with torch.linalg")
@pytest.mark.parametrize("name", list(CASES))
def test_linalg_against_torch(device, name):
    fn, shapes, *opts = CASES[name]
    check_op(
        shapes, fn, device=device, low=-1.0, high=1.0, atol=1e-4, grad_atol=2e-4, **(opts[0] if opts else {})
    )


NORMS = {
    "vector_default": (lambda a: _lin(a).vector_norm(a), [(2, 3, 4)]),
    "vector_dim_keep": (lambda a: _lin(a).vector_norm(a, 3, dim=(0, 2), keepdim=True), [(2, 3, 4)]),
    "vector_inf": (lambda a: _lin(a).vector_norm(a, float("inf"), dim=-1), [(3, 4)]),
    "vector_ninf": (lambda a: _lin(a).vector_norm(a, float("-inf"), dim=-1), [(3, 4)]),
    "vector_1": (lambda a: _lin(a).vector_norm(a, 1, dim=1), [(3, 4)]),
    "vector_0": (lambda a: _lin(a).vector_norm(a, 0), [(3, 4)]),
    "vector_half": (lambda a: _lin(a).vector_norm(a, 0.5, dim=0), [(3, 4)]),
    "matrix_fro": (lambda a: _lin(a).matrix_norm(a), [(2, 3, 4)]),
    "matrix_nuc": (lambda a: _lin(a).matrix_norm(a, "nuc"), [(2, 3, 4)]),
    "matrix_2": (lambda a: _lin(a).matrix_norm(a, 2), [(2, 4, 3)]),
    "matrix_m2": (lambda a: _lin(a).matrix_norm(a, -2), [(4, 3)]),
    "matrix_inf": (lambda a: _lin(a).matrix_norm(a, float("inf")), [(2, 3, 4)]),
    "matrix_ninf": (lambda a: _lin(a).matrix_norm(a, float("-inf")), [(3, 4)]),
    "matrix_1": (lambda a: _lin(a).matrix_norm(a, 1), [(2, 3, 4)]),
    "matrix_m1": (lambda a: _lin(a).matrix_norm(a, -1), [(3, 4)]),
    "matrix_dims_keep": (lambda a: _lin(a).matrix_norm(a, 1, dim=(2, 0), keepdim=True), [(3, 2, 4)]),
    "matrix_nuc_dims_keep": (lambda a: _lin(a).matrix_norm(a, "nuc", dim=(0, 2), keepdim=True), [(3, 2, 4)]),
    "norm_flat": (lambda a: _lin(a).norm(a), [(2, 3, 4)]),
    "norm_vector_ord": (lambda a: _lin(a).norm(a, 3), [(4,)]),
    "norm_matrix_ord": (lambda a: _lin(a).norm(a, "nuc"), [(3, 4)]),
    "norm_dim_int": (lambda a: _lin(a).norm(a, 1, dim=-1), [(3, 4)]),
    "norm_dim_pair": (lambda a: _lin(a).norm(a, float("inf"), dim=(0, 1), keepdim=True), [(3, 4)]),
    "tensor_norm_nuc": (lambda a: a.norm("nuc"), [(3, 4)]),
}


@pytest.mark.skipif(not HAVE_TORCH, reason="compares with torch.linalg")
@pytest.mark.parametrize("name", list(NORMS))
def test_norms_against_torch(device, name):
    fn, shapes = NORMS[name]
    check_op(shapes, fn, device=device, grad_atol=2e-4)


def test_norm_dtype_argument(device):
    x = A.tensor([[3.0, 4.0]], device=device)
    out = A.linalg.vector_norm(x, dtype=A.float64)
    assert out.dtype == A.float64 and out.item() == 5.0
    assert A.linalg.matrix_norm(x, dtype=A.float64).dtype == A.float64


def test_named_tuples(device):
    a = A.tensor(_well(2, 3, 3), dtype=A.float64, device=device)
    s = A.linalg.slogdet(a)
    assert s.sign.shape == (2,) and s.logabsdet.shape == (2,)
    q = A.linalg.qr(a[0, :, :2])
    assert q.Q.shape == (3, 2) and q.R.shape == (2, 2)
    assert A.linalg.qr(a, mode="complete").Q.shape == (2, 3, 3)
    assert A.linalg.qr(a, mode="r").Q.shape == (0,)
    e = A.linalg.eigh(a + a.mT)
    assert e.eigenvalues.shape == (2, 3) and e.eigenvectors.shape == (2, 3, 3)
    u = A.linalg.svd(a[:, :, :2])
    assert u.U.shape == (2, 3, 3) and u.S.shape == (2, 2) and u.Vh.shape == (2, 2, 2)
    r = A.linalg.lstsq(a, a[..., :1])
    assert r.solution.shape == (2, 3, 1) and r.rank.tolist() == [3, 3]
    assert r.residuals.numel() == 0 and r.singular_values.numel() == 0
    i = A.linalg.inv_ex(a)
    assert i.info.dtype == A.int32 and i.info.tolist() == [0, 0]
    c = A.linalg.cholesky_ex(a @ a.mT)
    assert c.info.tolist() == [0, 0] and c.L.shape == (2, 3, 3)


def test_reconstructions(device):
    """The factors rebuild the input: QR, eigh, svd (full), cholesky; pinv's Penrose identity."""
    a = A.tensor(RNG.standard_normal((2, 4, 3)), dtype=A.float64, device=device)
    sq = A.tensor(_well(2, 3, 3), dtype=A.float64, device=device)
    q, r = A.linalg.qr(a, mode="complete")
    np.testing.assert_allclose((q @ r).cpu().numpy(), a.cpu().numpy(), atol=1e-12)
    u, s, vh = A.linalg.svd(a)
    np.testing.assert_allclose((u[..., :3] * s.unsqueeze(-2) @ vh).cpu().numpy(), a.cpu().numpy(), atol=1e-12)
    sym = sq + sq.mT
    w, v = A.linalg.eigh(sym)
    np.testing.assert_allclose((v * w.unsqueeze(-2) @ v.mT).cpu().numpy(), sym.cpu().numpy(), atol=1e-12)
    low = A.linalg.cholesky(sq @ sq.mT)
    np.testing.assert_allclose((low @ low.mT).cpu().numpy(), (sq @ sq.mT).cpu().numpy(), atol=1e-10)
    p = A.linalg.pinv(a)
    np.testing.assert_allclose((a @ p @ a).cpu().numpy(), a.cpu().numpy(), atol=1e-12)


def test_matrix_rank(device):
    a = RNG.standard_normal((2, 4, 2)) @ RNG.standard_normal((2, 2, 3))  # rank 2
    t = A.tensor(a, device=device)
    got = A.linalg.matrix_rank(t)
    assert got.dtype == A.int64 and got.tolist() == [2, 2]
    assert A.linalg.matrix_rank(t, atol=1e9).tolist() == [0, 0]
    sym = t[0] @ t[0].mT
    assert A.linalg.matrix_rank(sym, hermitian=True).item() == 2
    if HAVE_TORCH:
        assert (
            A.linalg.matrix_rank(t, rtol=0.5).tolist()
            == torch.linalg.matrix_rank(torch.tensor(a, dtype=torch.float32), rtol=0.5).tolist()
        )


def test_existing_functions_share_the_implementation(device):
    a = A.tensor(_well(3, 3), device=device)
    assert A.det(a).grad_fn is None and A.det(a).item() == pytest.approx(A.linalg.det(a).item())
    np.testing.assert_array_equal(a.inverse().cpu().numpy(), A.linalg.inv(a).cpu().numpy())
    np.testing.assert_array_equal(a.norm().cpu().numpy(), A.linalg.vector_norm(a).cpu().numpy())
    assert A.linalg.slogdet is A.slogdet


@pytest.mark.parametrize(
    "fn",
    [
        lambda a: A.linalg.inv(a),
        lambda a: A.linalg.solve(a, a[..., 0]),
        lambda a: A.linalg.cholesky(a @ a.mT),
        lambda a: A.linalg.qr(a).Q.sum() + A.linalg.qr(a).R,
        lambda a: (lambda r: r.eigenvalues.sum() + r.eigenvectors * r.eigenvectors[..., :1, :])(
            A.linalg.eigh(a + a.mT)
        ),
        lambda a: (lambda r: r.U * r.U[..., :1, :] + r.S.sum() + r.Vh.sum(-1, keepdim=True))(
            A.linalg.svd(a, full_matrices=False)
        ),
        lambda a: A.linalg.pinv(a[..., :2]),
        lambda a: A.linalg.det(a),
        lambda a: A.linalg.cond(a, 1) + A.linalg.cond(a, "fro"),
        lambda a: A.linalg.slogdet(a).logabsdet,
    ],
    ids=["inv", "solve", "cholesky", "qr", "eigh", "svd", "pinv", "det", "cond", "slogdet"],
)
def test_double_backward(device, fn):
    a = A.tensor(_well(2, 3, 3), dtype=A.float64, device=device, requires_grad=True)
    assert A.gradgradcheck(fn, (a,))


def test_det_gradient_of_singular_matrices(device):
    """The cofactor matrix where det(A) A^-T does not exist (PyTorch 2.13 returns zeros there: a deviation)."""
    sing = np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [1.0, 3.0]]])
    a = A.tensor(sing, device=device, requires_grad=True)
    A.linalg.det(a).sum().backward()
    np.testing.assert_allclose(
        a.grad.cpu().numpy(), [[[4.0, -2.0], [-2.0, 1.0]], [[3.0, -1.0], [-1.0, 2.0]]], atol=1e-5
    )
    z = A.zeros(2, 3, 3, dtype=A.float64, device=device)
    z[0, 0, 0] = 1.0
    z[0, 1, 1] = 2.0
    z.requires_grad_()
    A.linalg.det(z).sum().backward()
    want = np.zeros((2, 3, 3))
    want[0, 2, 2] = 2.0
    np.testing.assert_allclose(z.grad.cpu().numpy(), want, atol=1e-12)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_eigh_repeated_eigenvalues(device):
    """Like PyTorch: eigenvalue gradients stay finite, eigenvector gradients are NaN for repeated ones."""
    a = A.eye(3, dtype=A.float64, device=device).requires_grad_()
    A.linalg.eigvalsh(a).sum().backward()
    np.testing.assert_allclose(a.grad.cpu().numpy(), np.eye(3))
    a.grad = None
    A.linalg.eigh(a).eigenvectors.sum().backward()
    assert np.isnan(a.grad.cpu().numpy()).all()
    if HAVE_TORCH:
        t = torch.eye(3, dtype=torch.float64, requires_grad=True)
        torch.linalg.eigh(t).eigenvectors.sum().backward()
        assert torch.isnan(t.grad).all()


def _raises(fn, match, exc=RuntimeError):
    with pytest.raises(exc, match=match):
        fn()


def test_singular_and_not_positive_definite(device):
    sing = A.tensor([[1.0, 2.0], [2.0, 4.0]], device=device)
    batch = A.stack([A.eye(2, device=device), sing])
    msg = "the inversion could not be completed because the input matrix is singular"
    _raises(lambda: A.linalg.inv(sing), rf"^linalg.inv: The diagonal element 2 is zero, {msg}\.$")
    _raises(lambda: A.linalg.inv(A.zeros(3, 3, device=device)), "diagonal element 1 is zero")
    _raises(lambda: A.linalg.inv(batch), r"linalg.inv: \(Batch element 1\): The diagonal element 2 is zero")
    _raises(lambda: A.linalg.inv(sing), "singular", A.linalg.LinAlgError)
    _raises(lambda: A.inverse(sing), "linalg.inv: .*singular")
    _raises(
        lambda: A.linalg.solve(batch, A.ones(2, device=device)),
        r"linalg.solve: \(Batch element 1\): The solver failed because the input matrix is singular",
    )
    _raises(
        lambda: A.linalg.cholesky(A.stack([A.eye(2, device=device), -A.eye(2, device=device)])),
        r"linalg.cholesky: \(Batch element 1\): The factorization could not be completed because the input is "
        r"not positive-definite \(the leading minor of order 1 is not positive-definite\)",
    )
    _raises(
        lambda: A.linalg.cholesky(A.tensor([[1.0, 2.0], [2.0, 1.0]], device=device)),
        r"leading minor of order 2 is not positive-definite",
    )
    inv, info = A.linalg.inv_ex(batch)
    assert info.tolist() == [0, 2] and np.isnan(inv[1].cpu().numpy()).all()
    np.testing.assert_array_equal(inv[0].cpu().numpy(), np.eye(2))
    _raises(lambda: A.linalg.inv_ex(batch, check_errors=True), "Batch element 1")
    low, info = A.linalg.cholesky_ex(A.tensor([[4.0, 2.0], [2.0, -1.0]], device=device))
    assert info.tolist() == 2
    assert A.linalg.det(sing).item() == 0.0
    if HAVE_TORCH:
        assert A.linalg.LinAlgError.__mro__[1] is RuntimeError


def test_shape_and_dtype_errors(device):
    z = A.zeros(2, 3, device=device)
    _raises(lambda: A.linalg.inv(z), r"linalg.inv: A must be batches of square matrices, but they are 2 by 3")
    _raises(
        lambda: A.linalg.det(A.zeros(3, device=device)), "linalg.det: The input tensor A must have at least 2"
    )
    _raises(lambda: A.linalg.eigh(z), "linalg.eigh: A must be batches of square matrices")
    _raises(lambda: A.linalg.cholesky(z), "linalg.cholesky: A must be batches of square matrices")
    _raises(
        lambda: A.linalg.inv(A.zeros(2, 2, dtype=A.int64, device=device)),
        "linalg.inv: Expected a floating point or complex tensor as input. Got Long",
    )
    _raises(
        lambda: A.linalg.vector_norm(A.ones(2, dtype=A.int64, device=device)),
        "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long",
    )
    _raises(
        lambda: A.linalg.solve(A.eye(3, device=device), A.ones(2, device=device)),
        r"linalg.solve: Incompatible shapes of A and B for the equation AX = B \(3x3 and 2x1\)",
    )
    _raises(
        lambda: A.linalg.solve(A.eye(3, device=device), A.ones(3, dtype=A.float64, device=device)),
        "linalg.solve: Expected A and B to have the same dtype",
    )
    _raises(
        lambda: A.linalg.solve_triangular(A.eye(3, device=device), A.ones(3, device=device), upper=True),
        "linalg.solve_triangular: The input tensor B must have at least 2 dimensions",
    )
    _raises(
        lambda: A.linalg.qr(A.ones(3, device=device)), "linalg.qr: The input tensor A must have at least 2"
    )
    _raises(lambda: A.linalg.qr(z, mode="x"), "qr received unrecognized mode 'x'")
    _raises(
        lambda: A.linalg.eigh(A.eye(2, device=device), UPLO="X"), "Expected UPLO argument to be 'L' or 'U'"
    )
    _raises(lambda: A.linalg.matrix_norm(A.ones(3, device=device)), "linalg.matrix_norm: The input tensor A")
    _raises(lambda: A.linalg.matrix_norm(z, ord=3), "linalg.matrix_norm: Order 3 not supported")
    _raises(lambda: A.linalg.matrix_norm(z, dim=(1, 1)), "dims must be different")
    _raises(lambda: A.linalg.norm(A.ones(2, 2, 2, device=device), 2), "the input must be 1D or 2D. Got 3D")
    _raises(
        lambda: A.linalg.cross(A.ones(3, 2, device=device), A.ones(3, 2, device=device)),
        "linalg.cross: inputs dimension -1 must have length 3. Got 2 and 2",
    )
    _raises(lambda: A.linalg.multi_dot([z]), r"multi_dot\(\): expected at least 2 tensors but got 1")
    _raises(lambda: A.linalg.multi_dot([z, A.ones(2, 2, device=device)]), "tensors 0 and 1 with shapes")
    _raises(lambda: A.linalg.multi_dot([z, A.ones(3, device=device), z]), r"tensor 1 must be 2D but got 1D")


def test_backward_errors(device):
    a = A.tensor(RNG.standard_normal((4, 3)), device=device, requires_grad=True)
    _raises(
        lambda: A.linalg.qr(a, mode="r").R.sum().backward(),
        "The derivative of linalg.qr depends on Q, which is not computed when mode='r'",
    )
    _raises(
        lambda: A.linalg.qr(a, mode="complete").Q.sum().backward(),
        "not differentiable when mode='complete' and nrows > ncols",
    )
