"""Ready-made parametrizations (``torch.nn.utils.parametrizations``): ``orthogonal``, ``weight_norm`` and
``spectral_norm``, built on
``parametrize`` (the modern form of ``nn.utils.weight_norm`` / ``spectral_norm``: state-dict keys
``parametrizations.weight.original0/original1`` and ``parametrizations.weight.original`` + ``0._u/_v``).
"""

from __future__ import annotations

import autograd
from autograd import Tensor

from .._functional.misc import normalize
from ..module import Module
from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from . import parametrize
from .weight_norm import norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    """``g * v / ||v||`` from (g, v); ``right_inverse`` splits a weight into its norms and itself."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / norm_except_dim(weight_v, 2, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparameterize ``module.<name>`` as ``g * v / ||v||`` (norms over every dim but ``dim``; None: one norm
    for the whole tensor), with g in ``parametrizations.<name>.original0`` and v in ``original1``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{type(module).__name__}' has no parameter or buffer with name '{name}'")
    if dim is not None and not -weight.ndim <= dim < weight.ndim:
        raise IndexError(
            f"weight_norm: dim {dim} is out of range for a parameter of shape {tuple(weight.shape)}"
        )
    return parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


class _SpectralNorm(Module):
    """``weight / sigma`` with sigma the largest singular value, estimated by power iteration on the buffers
    ``_u``/``_v`` (one step per training-mode access; 15 at registration); 1-d weights are just normalized."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            mat = self._matrix(weight)
            h, w = mat.shape
            with autograd.no_grad():
                u = normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=eps)
                v = normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=eps)
            self.register_buffer("_u", u)
            self.register_buffer("_v", v)
            self._power_method(mat, 15)

    def _matrix(self, weight: Tensor) -> Tensor:
        """The weight as a (size along ``dim``, rest) matrix."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, mat: Tensor, iterations: int) -> None:
        with autograd.no_grad():
            for _ in range(iterations):
                self._u.copy_(normalize(mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(normalize(mat.mT.mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        mat = self._matrix(weight)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()  # the graph must not see later in-place updates
        return weight / autograd.dot(u, mat.mv(v))

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.<name>`` by its spectral norm on every access (``dim``: the output dim, 0 except for
    ConvTranspose, where it is 1)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{type(module).__name__}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, ConvTranspose1d | ConvTranspose2d | ConvTranspose3d) else 0
    return parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )


_ORTH_MAPS = ("matrix_exp", "cayley", "householder")


def _signed_q(A: Tensor) -> Tensor:
    """The Q of ``A = QR`` (A tall) with R's diagonal made non-negative: a unique orthonormal basis."""
    q, r = autograd.linalg.qr(A)
    return q * r.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


class _Orthogonal(Module):
    """Maps an unconstrained matrix to one with orthonormal columns (or rows, if wide): the exponential or Cayley
    transform of a skew-symmetric matrix, or a product of Householder reflections; with ``use_trivialization``
    the result is rotated by a fixed ``base`` (set when a value is assigned), so optimisation starts from it."""

    def __init__(self, weight: Tensor, orthogonal_map: str, *, use_trivialization: bool = True) -> None:
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        wide = X.shape[-2] < X.shape[-1]
        if wide:
            X = X.mT
        n, k = X.shape[-2], X.shape[-1]
        if self.orthogonal_map == "householder":
            refl = X.tril(-1)
            tau = 2.0 / (1.0 + (refl * refl).sum(dim=-2))
            Q = autograd.linalg.householder_product(refl, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).detach().trunc().unsqueeze(
                -2
            )  # the diagonal holds the +-1 signs
        else:
            low = X.tril()
            if n != k:
                low = autograd.cat([low, low.new_zeros(*low.shape[:-1], n - k)], dim=-1)
            skew = low - low.mT
            if self.orthogonal_map == "matrix_exp":
                Q = autograd.linalg.matrix_exp(skew)
            else:  # Cayley: (I - A/2)^{-1} (I + A/2)
                eye = autograd.eye(n, dtype=skew.dtype, device=skew.device)
                Q = autograd.linalg.solve(eye - 0.5 * skew, eye + 0.5 * skew)
            Q = Q[..., :k]
        if "base" in self._buffers:
            Q = self.base @ Q
        return Q.mT if wide else Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        with autograd.no_grad():
            if tuple(Q.shape) != self.shape:
                raise ValueError(
                    f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of shape "
                    f"{tuple(Q.shape)}."
                )
            target = Q
            wide = Q.shape[-2] < Q.shape[-1]
            if wide:
                Q = Q.mT
            n, k = Q.shape[-2], Q.shape[-1]
            if "base" not in self._buffers:
                if self.orthogonal_map != "householder":
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential or the Cayley parametrizations "
                        "when use_trivialization=False."
                    )
                a, tau = autograd.geqrf(Q)  # X with Householder's sign convention on the diagonal
                d = a.diagonal(dim1=-2, dim2=-1)
                signs = d.sign() * autograd.where(tau == 0, -1.0, 1.0).to(d.dtype)
                a = a.clone()
                a.diagonal(dim1=-2, dim2=-1).copy_(signs)
                return a.mT if wide else a
            if n == k:
                eps = 10.0 * n * float(autograd.finfo(Q.dtype).eps) if hasattr(autograd, "finfo") else 1e-5
                eye = autograd.eye(k, dtype=Q.dtype, device=Q.device)
                base = Q.clone() if autograd.allclose(Q.mT @ Q, eye, atol=eps) else _signed_q(Q)
            else:  # complete the columns to a full orthogonal basis
                fill = autograd.randn(*Q.shape[:-1], n - k, dtype=Q.dtype, device=Q.device)
                base = _signed_q(autograd.cat([Q, fill], dim=-1))
            self.base = base
            neg_eye = autograd.zeros_like(target)  # maps to the identity: householder(-I) = I, exp(0) = I
            neg_eye.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_eye


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Constrain ``module.<name>`` (a matrix or batch of matrices) to have orthonormal columns (rows if wide).
    ``orthogonal_map``: "matrix_exp" (default for square), "cayley" or "householder" (default otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{type(module).__name__}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _ORTH_MAPS:
        raise ValueError(
            f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: {orthogonal_map}'
        )
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    return parametrize.register_parametrization(module, name, orth, unsafe=True)
