"""MultivariateNormal(loc, covariance_matrix= | precision_matrix= | scale_tril=)
(``torch.distributions.MultivariateNormal``): everything goes through the lower Cholesky factor."""

from __future__ import annotations

import math
from typing import Any

from ..creation import eye
from ..linalg import cholesky, solve_triangular
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, as_shape
from .utils import broadcast_shape, lazy_property, standard_normal


def batch_mahalanobis(scale_tril: Tensor, x: Tensor) -> Tensor:
    """x^T (L L^T)^-1 x over the last dim, batch dims of L and x broadcast."""
    y = solve_triangular(scale_tril, x.unsqueeze(-1), upper=False).squeeze(-1)
    return y.pow(2).sum(-1)


def half_log_det(scale_tril: Tensor) -> Tensor:
    """log det(L L^T) / 2 = sum log diag(L)."""
    return scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)


def _precision_to_scale_tril(p: Tensor) -> Tensor:
    # P = L^-T L^-1: factor P reversed (Q P Q = U U^T, Q the flip), then L = solve(Q U^T Q... ) lower
    lf = cholesky(p.flip(-2, -1))
    l_inv = lf.flip(-2, -1).mT
    ident = eye(p.shape[-1], dtype=p.dtype, device=p.device)
    return solve_triangular(l_inv, ident, upper=False)


class MultivariateNormal(Distribution):
    """Gaussian over vectors of length ``loc.shape[-1]``, with any one of the three matrix parameterizations."""

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        loc: Tensor,
        covariance_matrix: Tensor | None = None,
        precision_matrix: Tensor | None = None,
        scale_tril: Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise ValueError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified."
            )
        given = scale_tril if scale_tril is not None else covariance_matrix
        given = given if given is not None else precision_matrix
        name = (
            "scale_tril"
            if scale_tril is not None
            else ("covariance_matrix" if covariance_matrix is not None else "precision_matrix")
        )
        if given.ndim < 2:
            raise ValueError(
                f"{name} matrix must be at least two-dimensional, with optional leading batch dimensions"
            )
        n = loc.shape[-1]
        if tuple(given.shape[-2:]) != (n, n):
            raise ValueError(
                f"{name} of shape {tuple(given.shape)} does not match loc of shape {tuple(loc.shape)}: "
                f"expected (..., {n}, {n})"
            )
        batch = broadcast_shape(given.shape[:-2], loc.shape[:-1])
        setattr(self, name, given.expand(batch + (n, n)))
        self.loc = loc.expand(batch + (n,))
        super().__init__(batch, (n,), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape: Any, _instance: Any = None) -> MultivariateNormal:
        new = self._get_checked_instance(MultivariateNormal, _instance)
        shape = as_shape(batch_shape)
        n = self.event_shape[0]
        new.loc = self.loc.expand(shape + (n,))
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(shape + (n, n)))
        return self._finish_expand(new, shape, self.event_shape)

    def _matrix_shape(self) -> tuple:
        return self._batch_shape + self._event_shape + self._event_shape

    @lazy_property
    def scale_tril(self) -> Tensor:
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        low = self._unbroadcasted_scale_tril
        return (low @ low.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self) -> Tensor:
        low = self._unbroadcasted_scale_tril
        ident = eye(low.shape[-1], dtype=low.dtype, device=low.device)
        inv = solve_triangular(low, ident, upper=False)  # L^-1
        return (inv.mT @ inv).expand(self._matrix_shape())

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(self._batch_shape + self._event_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        eps = standard_normal(self._extended_shape(sample_shape), self.loc)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        m = batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        k = self._event_shape[0]
        return -0.5 * (k * math.log(2 * math.pi) + m) - half_log_det(self._unbroadcasted_scale_tril)

    def entropy(self) -> Tensor:
        k = self._event_shape[0]
        h = 0.5 * k * (1.0 + math.log(2 * math.pi)) + half_log_det(self._unbroadcasted_scale_tril)
        return h if not self._batch_shape else h.expand(self._batch_shape)
