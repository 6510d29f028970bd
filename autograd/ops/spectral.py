"""Decompositions with several outputs (qr, eigh, svd) and what is built on them (eigvalsh, svdvals, pinv,
matrix_rank, lstsq, cond). Backward rules follow PyTorch's (real case) and are written with Tensor ops."""

from __future__ import annotations

from typing import Any

from ..function import Function
from ..tensor import Tensor
from .results import EighResult, LstsqResult, QRResult, SVDResult
from .solvers import Solve, check_float, check_matrix, check_square, inv


def _outputs(ctx: Any, *arrays: Any) -> tuple:
    """The forward's results as tensors, saved for backward (which gets None for an unused output)."""
    outs = tuple(Tensor._make(a) for a in arrays)
    ctx.save_for_backward(*outs)
    ctx.set_materialize_grads(False)
    return outs


def _tri_solve_right(X: Tensor, R: Tensor) -> Tensor:
    """X R^-T for square upper-triangular R: (R^-1 X^T)^T."""
    return Solve.apply(R.triu(), X.mT).mT


class QR(Function):
    """A = QR; backward for mode 'reduced' (and 'complete' when m <= n), as PyTorch."""

    @staticmethod
    def forward(ctx, A, mode):
        ctx.mode = mode
        xp = A.backend.xp
        if mode == "r":
            r = xp.linalg.qr(A._data, mode="r")
            q = xp.zeros((0,), dtype=A._data.dtype)
        else:
            q, r = xp.linalg.qr(A._data, mode=mode)
        return _outputs(ctx, q, r)

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
                "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
            )
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
            )
        if m >= n:
            return _qr_square_backward(Q, R, gQ, gR), None
        # m < n: A = Q [U V] with U square: X = A[:, :m] = QU gets the square rule, Y = A[:, m:] = QV
        U = R[..., :, :m]
        gU = gR[..., :, :m] if gR is not None else None
        gV = gR[..., :, m:] if gR is not None else None
        if gV is not None:
            Y = Q @ R[..., :, m:]
            gQ = Y @ gV.mT if gQ is None else gQ + Y @ gV.mT
        gX = _qr_square_backward(Q, U, gQ, gU)
        gY = Q @ gV if gV is not None else gX.new_zeros(gX.shape[:-1] + (n - m,))
        return Tensor.cat([gX, gY], -1), None


def _qr_square_backward(Q: Tensor, R: Tensor, gQ: Any, gR: Any) -> Tensor:
    """m >= n: gA = (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q (copyltu: lower triangle mirrored)."""
    M = None
    if gR is not None:
        M = R @ gR.mT
    if gQ is not None:
        M = -(gQ.mT @ Q) if M is None else M - gQ.mT @ Q
    low = M.tril(-1)
    b = Q @ (low + low.mT + M.diagonal(0, -2, -1).diag_embed())
    if gQ is not None:
        b = b + gQ
    return _tri_solve_right(b, R)


class Eigh(Function):
    """A = V diag(L) V^T; gA = V (diag(gL) + skew(V^T gV) / (L_j - L_i)) V^T: finite only for distinct L."""

    @staticmethod
    def forward(ctx, A, uplo):
        return _outputs(ctx, *A.backend.xp.linalg.eigh(A._data, UPLO=uplo))

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        if gV is None:
            inner = gL.diag_embed()
        else:
            VtgV = V.mT @ gV
            E = L.unsqueeze(-2) - L.unsqueeze(-1)
            n = L.shape[-1]
            off = 0.5 * (VtgV - VtgV.mT) / _fill_diagonal(E, 1.0, n)
            inner = off if gL is None else off + gL.diag_embed()  # off's diagonal is 0
        return V @ inner @ V.mT, None


def _fill_diagonal(E: Tensor, value: float, n: int) -> Tensor:
    from ..creation import eye

    mask = eye(n, dtype=E.dtype, device=E.device)
    return E * (1 - mask) + value * mask


class SVD(Function):
    """A = U diag(S) Vh; PyTorch's svd_backward (real case): finite only for distinct non-zero S when U or
    Vh get a gradient; with full_matrices the extra columns/rows are ignored, as PyTorch does."""

    @staticmethod
    def forward(ctx, A, full_matrices):
        return _outputs(ctx, *A.backend.xp.linalg.svd(A._data, full_matrices=full_matrices))

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        k = S.shape[-1]
        m, n = U.shape[-2], Vh.shape[-1]
        U, Vh = U[..., :, :k], Vh[..., :k, :]
        gU = gU[..., :, :k] if gU is not None else None
        gVh = gVh[..., :k, :] if gVh is not None else None
        if gU is None and gVh is None:
            return (U * gS.unsqueeze(-2)) @ Vh, None
        S2 = S * S
        E = _fill_diagonal(S2.unsqueeze(-2) - S2.unsqueeze(-1), 1.0, k)
        gA = None
        if gU is not None:
            UtgU = U.mT @ gU
            gA = (UtgU - UtgU.mT) * S.unsqueeze(-2)
        if gVh is not None:
            VtgV = Vh @ gVh.mT
            t = S.unsqueeze(-1) * (VtgV - VtgV.mT)
            gA = t if gA is None else gA + t
        gA = gA / E
        if gS is not None:
            gA = gA + gS.diag_embed()
        if m > n and gU is not None:
            gUS = gU / S.unsqueeze(-2)
            gA = (U @ gA + gUS - U @ (U.mT @ gUS)) @ Vh
        elif m < n and gVh is not None:
            SgVh = gVh / S.unsqueeze(-1)
            gA = U @ (gA @ Vh + SgVh - (SgVh @ Vh.mT) @ Vh)
        else:
            gA = U @ gA @ Vh
        return gA, None


# ---- functions --------------------------------------------------------------------------------------------


def qr(A: Tensor, mode: str = "reduced") -> QRResult:
    """QR decomposition (batched); mode 'reduced', 'complete' or 'r' (then Q is empty)."""
    check_matrix(A, "linalg.qr")
    check_float(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'"
        )
    return QRResult(*QR.apply(A, mode))


def _check_uplo(name: str, UPLO: str) -> None:
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"{name}: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices; reads the UPLO triangle."""
    check_square(A, "linalg.eigh")
    _check_uplo("linalg.eigh", UPLO)
    return EighResult(*Eigh.apply(A, UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """Eigenvalues (ascending) of symmetric matrices; the gradient is V diag(g) V^T."""
    check_square(A, "linalg.eigvalsh")
    _check_uplo("linalg.eigvalsh", UPLO)
    if not A.requires_grad:
        xp = A.backend.xp
        return Tensor._make(xp.linalg.eigvalsh(A._data, UPLO=UPLO))
    return Eigh.apply(A, UPLO)[0]


def svd(A: Tensor, full_matrices: bool = True, *, driver: Any = None) -> SVDResult:
    """Singular value decomposition (batched), S descending; ``full_matrices`` as PyTorch (default True)."""
    check_matrix(A, "linalg.svd")
    check_float(A, "linalg.svd")
    return SVDResult(*SVD.apply(A, full_matrices))


def svdvals(A: Tensor, *, driver: Any = None) -> Tensor:
    """Singular values, descending; the gradient is U diag(g) Vh."""
    check_matrix(A, "linalg.svdvals")
    check_float(A, "linalg.svdvals")
    if not A.requires_grad:
        xp = A.backend.xp
        return Tensor._make(xp.linalg.svd(A._data, compute_uv=False))
    return SVD.apply(A, False)[1]


def _tolerance(name: str, S: Tensor, shape: tuple, atol: Any, rtol: Any) -> Tensor:
    """max(atol, rtol * largest singular value) per matrix (PyTorch's defaults: rtol = eps * max(m, n))."""
    import numpy as np

    if rtol is None:
        given = atol is not None and not (isinstance(atol, int | float) and atol <= 0)
        rtol = 0.0 if given else float(np.finfo(str(S._data.dtype)).eps) * max(shape[-2:])
    smax = S.amax(-1, keepdim=True) if S.shape[-1] else S.sum(-1, keepdim=True)
    tol = smax * rtol
    if atol is not None:
        at = atol.unsqueeze(-1) if isinstance(atol, Tensor) else atol
        tol = tol.clamp_min(at) if not isinstance(at, Tensor) else tol.maximum(at.to(tol.dtype))
    return tol


def pinv(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """Moore-Penrose pseudo-inverse: singular values below max(atol, rtol * s_max) count as zero.

    The gradient is the closed form for A of constant rank (as PyTorch's pinv_backward).
    """
    check_matrix(A, "linalg.pinv")
    check_float(A, "linalg.pinv")
    return _Pinv.apply(A, atol, rtol, hermitian)


class _Pinv(Function):
    @staticmethod
    def forward(ctx, A, atol, rtol, hermitian):
        with_grad = A.detach()
        if hermitian:
            check_square(A, "linalg.pinv")
            w, V = eigh(with_grad)
            tol = _tolerance("linalg.pinv", w.abs(), tuple(A.shape), atol, rtol)
            keep = w.abs() > tol
            winv = (1.0 / w.masked_fill(~keep, 1.0)).masked_fill(~keep, 0.0)
            P = (V * winv.unsqueeze(-2)) @ V.mT
        else:
            U, S, Vh = svd(with_grad, full_matrices=False)
            tol = _tolerance("linalg.pinv", S, tuple(A.shape), atol, rtol)
            keep = S > tol
            sinv = (1.0 / S.masked_fill(~keep, 1.0)).masked_fill(~keep, 0.0)
            P = (Vh.mT * sinv.unsqueeze(-2)) @ U.mT
        P = P.detach()
        ctx.save_for_backward(A, P)
        return P

    @staticmethod
    def backward(ctx, G):
        A, P = ctx.saved_tensors
        Pt = P.mT
        PtP = Pt @ P
        PPt = P @ Pt
        Gt = G.mT
        return (
            -(Pt @ G @ Pt) + (Gt @ PPt - A @ (P @ (Gt @ PPt))) + (PtP @ Gt - (PtP @ Gt @ P) @ A),
            None,
            None,
            None,
        )


def matrix_rank(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """Number of singular values above max(atol, rtol * s_max) (int64)."""
    check_matrix(A, "linalg.matrix_rank")
    check_float(A, "linalg.matrix_rank")
    A = A.detach()
    S = eigvalsh(A).abs() if hermitian else svdvals(A)
    tol = _tolerance("linalg.matrix_rank", S, tuple(A.shape), atol, rtol)
    from .. import dtypes

    return (S > tol).sum(-1).to(dtypes.int64)


def lstsq(A: Tensor, B: Tensor, rcond: Any = None, *, driver: Any = None) -> LstsqResult:
    """Least-squares solution of A X = B via the pseudo-inverse (gradient: pinv's).

    Like PyTorch's default CPU driver 'gelsy': residuals and singular_values are empty, rank is filled.
    """
    check_matrix(A, "linalg.lstsq")
    check_float(A, "linalg.lstsq")
    vector = B.ndim == A.ndim - 1
    Bm = B.unsqueeze(-1) if vector else B
    if Bm.ndim < 2 or Bm.shape[-2] != A.shape[-2]:
        raise RuntimeError(
            f"torch.linalg.lstsq: input.size(-2) should match other.size(-2) "
            f"(A {tuple(A.shape)}, B {tuple(B.shape)})"
        )
    X = pinv(A, rtol=rcond) @ Bm
    X = X.squeeze(-1) if vector else X
    empty = A.new_zeros((0,))
    return LstsqResult(X, empty, matrix_rank(A, rtol=rcond), empty)


def cond(A: Tensor, p: Any = None) -> Tensor:
    """Condition number in the ``p`` norm: s_max / s_min for p = None or 2, |A|_p |A^-1|_p otherwise."""
    check_matrix(A, "linalg.cond")
    check_float(A, "linalg.cond")
    if p is None or p == 2 or p == -2:
        S = svdvals(A)
        hi, lo = S[..., 0], S[..., -1]
        return hi / lo if p != -2 else lo / hi
    from ..linalg import matrix_norm

    check_square(A, "linalg.cond")
    return matrix_norm(A, p) * matrix_norm(inv(A), p)
