"""Laplace(loc, scale) (``torch.distributions.Laplace``): reparameterized, with cdf/icdf."""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

from ..creation import empty
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, as_shape
from .utils import broadcast_all, finfo


class Laplace(Distribution):
    """Double-exponential with density ``exp(-|x - loc| / scale) / (2 scale)``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        batch = () if isinstance(loc, Number) and isinstance(scale, Number) else self.loc.shape
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Laplace:
        new = self._get_checked_instance(Laplace, _instance)
        shape = as_shape(batch_shape)
        new.loc, new.scale = self.loc.expand(shape), self.scale.expand(shape)
        return self._finish_expand(new, shape)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale.pow(2)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = empty(self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        u = u.uniform_(float(finfo(self.loc).eps) - 1, 1)  # (-1, 1) without -1: log1p stays finite
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return -(value - self.loc).abs() / self.scale - (2 * self.scale).log()

    def cdf(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * (-d.abs() / self.scale).expm1()

    def icdf(self, value: Any) -> Tensor:
        t = value - 0.5
        return -(t.sign() * (-2 * t.abs()).log1p()) * self.scale + self.loc

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()
