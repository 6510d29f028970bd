"""Linear solvers and factorizations on xp.linalg (CuPy has the same functions): inv, det, slogdet, solve,
solve_triangular, cholesky; PyTorch's input checks and its singular / not-positive-definite errors."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .base import Primitive, check_same_device
from .results import CholeskyExResult, InvExResult, SlogdetResult


class LinAlgError(RuntimeError):
    """A matrix the op cannot handle (singular, not positive-definite): ``torch.linalg.LinAlgError``."""


_TORCH_NAMES = {
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
}


def torch_type_name(x: Tensor) -> str:
    """PyTorch's scalar type name (Long, Float...) used in its error messages."""
    n = str(x._data.dtype)
    return _TORCH_NAMES.get(n, n)


def check_float(x: Tensor, name: str, low_precision: bool = False) -> None:
    """Float32/float64 input (float16 too with ``low_precision``), PyTorch's wording otherwise."""
    kind = x._data.dtype.kind
    if kind not in "fc":
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got {torch_type_name(x)}"
        )
    if not low_precision and x._data.dtype.itemsize < 4:
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {torch_type_name(x)}")


def check_matrix(x: Tensor, name: str, arg: str = "A") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor for {arg}, got {type(x).__name__}")
    if x.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")


def check_square(x: Tensor, name: str, arg: str = "A") -> None:
    """At least 2-d, square in the last two dims, float32/float64 (PyTorch's checks and wording)."""
    check_matrix(x, name, arg)
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError(
            f"{name}: {arg} must be batches of square matrices, but they are {x.shape[-2]} by {x.shape[-1]} "
            f"matrices (input of shape {tuple(x.shape)})"
        )
    check_float(x, name)


# ---- failures: which batch element, which pivot / leading minor ----------------------------------------------


def lu_info(xp: Any, a: Any) -> Any:
    """LAPACK getrf's ``info`` per matrix: 1-based index of the first zero pivot of LU with partial pivoting."""
    n = a.shape[-1]
    u = a.copy()
    info = xp.zeros(a.shape[:-2], dtype=xp.int32)
    used = xp.zeros(a.shape[:-1], dtype=bool)
    rows = xp.arange(n)
    for j in range(n):
        col = u[..., :, j]
        p = xp.argmax(xp.where(used, -1.0, xp.abs(col)), axis=-1)
        piv = xp.take_along_axis(col, p[..., None], axis=-1)[..., 0]
        zero = piv == 0
        info = xp.where((info == 0) & zero, j + 1, info).astype(xp.int32)
        prow = xp.take_along_axis(u, xp.broadcast_to(p[..., None, None], a.shape[:-2] + (1, n)), axis=-2)
        is_p = rows == p[..., None]
        used = used | is_p
        f = xp.where(used, 0.0, col / xp.where(zero, 1.0, piv)[..., None]).astype(a.dtype)
        u = u - f[..., :, None] * prow
    return info


def cholesky_info(xp: Any, a: Any) -> Any:
    """potrf's ``info`` per matrix: the order of the first leading minor (lower triangle) not positive-definite."""
    n = a.shape[-1]
    low = xp.zeros_like(a)
    info = xp.zeros(a.shape[:-2], dtype=xp.int32)
    for j in range(n):
        lj = low[..., j, :j]
        d = a[..., j, j] - (lj * lj).sum(-1)
        bad = ~(d > 0)
        info = xp.where((info == 0) & bad, j + 1, info).astype(xp.int32)
        ljj = xp.sqrt(xp.where(bad, 1.0, d)).astype(a.dtype)
        low[..., j, j] = ljj
        if j + 1 < n:
            rest = a[..., j + 1 :, j] - (low[..., j + 1 :, :j] * lj[..., None, :]).sum(-1)
            low[..., j + 1 :, j] = rest / ljj[..., None]
    return info


def guarded(xp: Any, fn: Any, a: Any, info_fn: Any) -> tuple:
    """``fn(a)`` and, when it failed somewhere (LinAlgError, or non-finite values on CuPy, which does not
    raise), the per-matrix ``info``; failed matrices come back NaN. ``(out, None)`` when all went well."""
    try:
        out = fn(a)
    except xp.linalg.LinAlgError:
        out = None
    if out is not None and bool(xp.isfinite(out).all()):
        return out, None
    info = info_fn(xp, a)
    if out is None:  # NumPy gave up on the whole batch: redo it with the failed matrices swapped for I
        ok = (info == 0)[..., None, None]
        eye = xp.eye(a.shape[-1], dtype=a.dtype)
        try:
            out = fn(xp.where(ok, a, eye))
        except xp.linalg.LinAlgError:  # rounding made LAPACK fail where the check saw no zero pivot
            out = xp.full(a.shape, xp.nan, dtype=a.dtype)
            info = xp.where(info == 0, -1, info).astype(xp.int32)
            ok = xp.zeros_like(ok)
        out = xp.where(ok, out, xp.nan).astype(a.dtype)
    return out, info


def raise_info(name: str, info: Any, what: str, batched: bool) -> None:
    """Raise LinAlgError for the first failed matrix (``info`` != 0), as PyTorch words it."""
    if info is None:
        return
    flat = info.reshape(-1)
    bad = [i for i, v in enumerate(flat.tolist()) if v != 0]
    if not bad:
        return
    k = int(flat[bad[0]])
    where = f"(Batch element {bad[0]}): " if batched else ""
    raise LinAlgError(f"{name}: {where}{what(k)}")


def checked(name: str, fn: Any, a: Any, info_fn: Any, what: Any, check: bool = True) -> Any:
    """``fn(a)`` through ``guarded``, raising PyTorch's LinAlgError for a failed matrix when ``check``."""
    out, info = guarded(Primitive.backend_xp(a), fn, a, info_fn)
    if check:
        raise_info(name, info, what, a.ndim > 2)
    return out


def _solve_failed(k: int) -> str:
    return "The solver failed because the input matrix is singular."


def _singular(k: int) -> str:
    if k < 0:
        return "The inversion could not be completed because the input matrix is singular."
    return f"The diagonal element {k} is zero, the inversion could not be completed because the input matrix is singular."


# ---- primitives --------------------------------------------------------------------------------------------


class Inverse(Primitive):
    _saves_output = True
    op = "linalg.inv"

    @staticmethod
    def forward(ctx, a, check=True):
        return checked("linalg.inv", ctx.backend_xp(a).linalg.inv, a, lu_info, _singular, check)

    @staticmethod
    def backward(ctx, g):
        yt = ctx.output().mT
        return -(yt @ g @ yt), None


class Det(Primitive):
    _saved_inputs = (0,)
    _saves_output = True
    op = "linalg.det"

    @staticmethod
    def forward(ctx, a):
        return ctx.backend_xp(a).asarray(ctx.backend_xp(a).linalg.det(a))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.inputs
        d = ctx.output()
        if bool((d._data == 0).any()):  # singular: det(A) A^-T does not exist, the cofactor matrix does
            return g.unsqueeze(-1).unsqueeze(-1) * _cofactors(a)
        return (g * d).unsqueeze(-1).unsqueeze(-1) * Inverse.apply(a, True).mT


def _cofactors(a: Tensor) -> Tensor:
    """The cofactor matrix (gradient of det) from the SVD A = U S Vh: det(U) det(Vh) U diag(prod_{j!=i} s_j) Vh."""
    from ..creation import eye
    from .spectral import SVD

    U, S, Vh = SVD.apply(a, False)
    xp = a.backend.xp
    signs = Tensor._make(xp.asarray(xp.linalg.det(U._data) * xp.linalg.det(Vh._data)))
    eye_n = eye(a.shape[-1], dtype=a.dtype, device=a.device)
    others = (S.unsqueeze(-2) * (1 - eye_n) + eye_n).prod(-1)
    return signs.unsqueeze(-1).unsqueeze(-1) * ((U * others.unsqueeze(-2)) @ Vh)


class LogAbsDet(Primitive):
    _saved_inputs = (0,)
    op = "linalg.slogdet"

    @staticmethod
    def forward(ctx, a):
        xp = ctx.backend_xp(a)
        return xp.asarray(xp.linalg.slogdet(a)[1])

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.inputs
        return g.unsqueeze(-1).unsqueeze(-1) * Inverse.apply(a, True).mT


class Solve(Primitive):
    """X = A^-1 B for matrices B with A's batch shape; gB = A^-T g, gA = -gB X^T."""

    _saved_inputs = (0,)
    _saves_output = True
    op = "linalg.solve"

    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.backend_xp(a)
        return checked("linalg.solve", lambda m: xp.linalg.solve(m, b), a, lu_info, _solve_failed)

    @staticmethod
    def backward(ctx, g):
        a, _ = ctx.inputs
        gb = Solve.apply(a.mT, g)
        ga = -(gb @ ctx.output().mT) if ctx.needs_input_grad[0] else None
        return ga, gb


class Cholesky(Primitive):
    """Lower L with A = L L^T (A's lower triangle is read); gA = L^-T sym(tril(L^T gL), halved diag) L^-1."""

    _saves_output = True
    op = "linalg.cholesky"

    @staticmethod
    def forward(ctx, a, check=True):
        return checked("linalg.cholesky", ctx.backend_xp(a).linalg.cholesky, a, cholesky_info, _not_pd, check)

    @staticmethod
    def backward(ctx, g):
        low = ctx.output()
        t = (low.mT @ g).tril()
        m = 0.5 * (t + t.tril(-1).mT)
        s = Solve.apply(low.mT, m)  # L^-T M
        return Solve.apply(low.mT, s.mT).mT, None  # (L^-T (L^-T M)^T)^T = L^-T M L^-1


def _not_pd(k: int) -> str:
    return (
        "The factorization could not be completed because the input is not positive-definite "
        f"(the leading minor of order {k} is not positive-definite)."
    )


# ---- the functions -------------------------------------------------------------------------------------------


def inv(A: Tensor) -> Tensor:
    """Inverse of square matrices (batched); LinAlgError naming the zero pivot when one is singular."""
    check_square(A, "linalg.inv")
    return Inverse.apply(A, True)


inverse = inv


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvExResult:
    """``(inverse, info)``: info (int32, per matrix) is LAPACK's first zero pivot, 0 when invertible."""
    check_square(A, "linalg.inv_ex")
    xp = A.backend.xp
    res = Inverse.apply(A, check_errors)
    info = lu_info(xp, A._data) if not bool(xp.isfinite(res._data).all()) else None
    if info is None:
        info = xp.zeros(A.shape[:-2], dtype=xp.int32)
    return InvExResult(res, Tensor._make(info))


def det(A: Tensor) -> Tensor:
    """Determinant (batched). Its gradient uses the inverse, so it needs a non-singular matrix."""
    check_square(A, "linalg.det")
    return Det.apply(A)


def slogdet(A: Tensor) -> SlogdetResult:
    """``(sign, logabsdet)`` of the determinant (batched); the gradient flows through logabsdet."""
    check_square(A, "linalg.slogdet")
    xp = A.backend.xp
    sign = Tensor._make(xp.asarray(xp.linalg.slogdet(A._data)[0]).astype(A._data.dtype))
    return SlogdetResult(sign, LogAbsDet.apply(A))


def logdet(A: Tensor) -> Tensor:
    """log(det(A)): NaN where the determinant is negative, -inf where it is zero."""
    sign, logabs = slogdet(A)
    return logabs.masked_fill(sign < 0, float("nan"))


def _batch_broadcast(name: str, A: Tensor, B: Tensor) -> tuple:
    """A (..., n, n) and B (..., n, k) expanded to one batch shape (the expand's backward sums it back)."""
    try:
        batch = tuple(A.backend.xp.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2])))
    except ValueError:
        raise RuntimeError(
            f"{name}: the batch dimensions of A {tuple(A.shape)} and B {tuple(B.shape)} do not broadcast"
        ) from None
    return A.expand(batch + tuple(A.shape[-2:])), B.expand(batch + tuple(B.shape[-2:]))


def _check_pair(name: str, A: Tensor, B: Tensor) -> None:
    check_same_device(name, A, B)
    check_float(B, name)
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(
            f"{name}: Expected A and B to have the same dtype, but found A of type {torch_type_name(A)} "
            f"and B of type {torch_type_name(B)} instead."
        )


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (``left=False``: X A = B); B is a (batch of) vector(s) when shaped like A[..., 0]."""
    check_square(A, "linalg.solve")
    _check_pair("linalg.solve", A, B)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    n = A.shape[-1]
    Bm = B.unsqueeze(-1) if vector else (B if left else B.mT)
    if Bm.shape[-2] != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation {eq} "
            f"({A.shape[-2]}x{A.shape[-1]} and {Bm.shape[-2]}x{Bm.shape[-1]})"
        )
    a, b = _batch_broadcast("linalg.solve", A if left else A.mT, Bm)
    X = Solve.apply(a, b)
    if vector:
        return X.squeeze(-1)
    return X if left else X.mT


def solve_triangular(
    A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Tensor:
    """X with A X = B (or X A = B) for triangular A: only A's ``upper``/lower triangle is read.

    Runs a general solve on that triangle (cupy.linalg has no triangular solver); a zero on the diagonal
    raises LinAlgError where PyTorch would return inf/NaN.
    """
    check_matrix(B, "linalg.solve_triangular", "B")
    check_square(A, "linalg.solve_triangular")
    _check_pair("linalg.solve_triangular", A, B)
    k = 1 if unitriangular else 0
    T = A.triu(k) if upper else A.tril(-k)
    if unitriangular:
        from ..creation import eye

        T = T + eye(A.shape[-1], dtype=A.dtype, device=A.device)
    Bm = B if left else B.mT
    if Bm.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})"
        )
    a, b = _batch_broadcast("linalg.solve_triangular", T if left else T.mT, Bm)
    X = Solve.apply(a, b)
    return X if left else X.mT


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """L with A = L L^T (``upper``: U = L^T, A = U^T U); LinAlgError naming the failing leading minor."""
    check_square(A, "linalg.cholesky")
    low = Cholesky.apply(A, True)
    return low.mT if upper else low


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> CholeskyExResult:
    """``(L, info)``: info (int32, per matrix) is the order of the first non-positive-definite leading minor."""
    check_square(A, "linalg.cholesky_ex")
    xp = A.backend.xp
    low = Cholesky.apply(A, check_errors)
    ok = bool(xp.isfinite(low._data).all())
    info = xp.zeros(A.shape[:-2], dtype=xp.int32) if ok else cholesky_info(xp, A._data)
    return CholeskyExResult(low.mT if upper else low, Tensor._make(info))
