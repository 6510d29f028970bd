"""Householder reflectors: ``geqrf`` (QR in LAPACK's compact form) and ``linalg.householder_product`` (the Q it
encodes), batched over leading dims.

``householder_product`` is composed of Tensor ops (one rank-1 update per reflector), so it is differentiable in
both the reflectors and their scales, to any order; ``geqrf``, like PyTorch's, is not differentiable.
"""

from __future__ import annotations

from typing import NamedTuple

from ..tensor import Tensor
from .solvers import check_float, check_matrix


class GeqrfResult(NamedTuple):
    a: Tensor
    tau: Tensor


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first k columns of ``H_1 ... H_k`` with ``H_i = I - tau_i v_i v_i^T``, where ``v_i`` is column i of
    ``A`` (n x k, n >= k) below the diagonal, with an implicit 1 on it."""
    check_matrix(A, "linalg.householder_product")
    check_float(A, "linalg.householder_product")
    n, k = A.shape[-2], A.shape[-1]
    if n < k:
        raise RuntimeError(
            f"torch.linalg.householder_product: input.shape[-2] must be greater than or equal to input.shape[-1], "
            f"got input of shape {tuple(A.shape)}"
        )
    if tau.ndim != A.ndim - 1 or tuple(tau.shape[:-1]) != tuple(A.shape[:-2]) or tau.shape[-1] > k:
        raise RuntimeError(
            f"torch.linalg.householder_product: tau must have shape (*batch, m) with m <= {k} matching input's "
            f"batch {tuple(A.shape[:-2])}, got {tuple(tau.shape)}"
        )
    if tau.dtype != A.dtype:
        raise RuntimeError(
            f"torch.linalg.householder_product: tau dtype {tau.dtype} does not match input dtype {A.dtype}"
        )
    from ..creation import eye

    below = A.tril(-1) + eye(n, k, dtype=A.dtype, device=A.device)  # the v_i as columns, unit diagonal
    Q = eye(n, k, dtype=A.dtype, device=A.device).expand(*A.shape[:-2], n, k)
    for i in reversed(range(tau.shape[-1])):  # Q <- H_i Q, innermost reflector first
        v = below[..., :, i : i + 1]
        Q = Q - (tau[..., i : i + 1].unsqueeze(-1) * v) @ (v.mT @ Q)
    return Q


def geqrf(input: Tensor) -> GeqrfResult:  # noqa: A002
    """QR by Householder reflections in LAPACK's layout: R on and above the diagonal, the reflectors' tails
    below it, and their scales in ``tau`` (``householder_product(a, tau)`` gives Q). Not differentiable."""
    check_matrix(input, "geqrf")
    check_float(input, "geqrf")
    xp = input.backend.xp
    a = input._data.astype(input._data.dtype, copy=True)
    m, n = a.shape[-2], a.shape[-1]
    kk = min(m, n)
    tau = xp.zeros(a.shape[:-2] + (kk,), dtype=a.dtype)
    for j in range(kk):
        x = a[..., j:, j]
        alpha = x[..., 0]
        tail = xp.sqrt((x[..., 1:] * x[..., 1:]).sum(-1))
        norm = xp.sqrt(alpha * alpha + tail * tail)
        beta = xp.where(alpha >= 0, -norm, norm)
        skip = tail == 0  # nothing below the diagonal: H = I (tau 0), as LAPACK
        safe_beta = xp.where(skip, 1, beta)
        t = xp.where(skip, 0, (beta - alpha) / safe_beta)
        scale = xp.where(skip, 0, 1 / xp.where(skip, 1, alpha - beta))
        v = x * scale[..., None]
        v[..., 0] = 1
        # apply H = I - t v v^T to the remaining columns
        rest = a[..., j:, j + 1 :]
        w = (v[..., :, None] * rest).sum(-2)
        a[..., j:, j + 1 :] = rest - t[..., None, None] * v[..., :, None] * w[..., None, :]
        a[..., j, j] = xp.where(skip, alpha, beta)
        a[..., j + 1 :, j] = v[..., 1:]
        tau[..., j] = t
    return GeqrfResult(Tensor._make(a), Tensor._make(tau))
