"""Dirichlet(concentration) over the simplex (``torch.distributions.Dirichlet``): reparameterized by
normalizing implicitly differentiated gamma draws."""

from __future__ import annotations

from typing import Any

from ..math_ops import xlogy
from ..tensor import Tensor
from . import constraints
from ._gamma_ops import standard_gamma
from .distribution import Distribution, as_shape
from .utils import finfo


class Dirichlet(Distribution):
    """Density ``prod x_i^(c_i - 1) / B(c)`` on the simplex; event shape ``concentration.shape[-1:]``."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Tensor, validate_args: bool | None = None) -> None:
        if concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = tuple(concentration.shape)
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Dirichlet:
        new = self._get_checked_instance(Dirichlet, _instance)
        shape = as_shape(batch_shape)
        new.concentration = self.concentration.expand(shape + self.event_shape)
        return self._finish_expand(new, shape, self.event_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        g = standard_gamma(self.concentration.expand(self._extended_shape(sample_shape)))
        return g / g.sum(-1, keepdim=True)

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return xlogy(c - 1.0, value).sum(-1) + c.sum(-1).lgamma() - c.lgamma().sum(-1)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        c = self.concentration
        cm1 = (c - 1).clamp(min=0.0)
        mode = cm1 / cm1.sum(-1, keepdim=True).clamp(min=float(finfo(c).tiny))
        corner = mode.argmax(
            -1, keepdim=True
        )  # all c < 1: a vertex (the first, as torch's argmax of 0/0 picks)
        one_hot = (c.new_zeros(c.shape).scatter(-1, corner, 1.0)).to(c.dtype)
        all_small = (c < 1).all(-1, keepdim=True)
        return one_hot.where(all_small, mode)

    @property
    def variance(self) -> Tensor:
        c = self.concentration
        c0 = c.sum(-1, keepdim=True)
        return c * (c0 - c) / (c0.pow(2) * (c0 + 1))

    def entropy(self) -> Tensor:
        c = self.concentration
        k = c.shape[-1]
        c0 = c.sum(-1)
        return c.lgamma().sum(-1) - c0.lgamma() - (k - c0) * c0.digamma() - ((c - 1.0) * c.digamma()).sum(-1)
