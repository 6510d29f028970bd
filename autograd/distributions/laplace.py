"""Laplace(loc, scale) (``torch.distributions.Laplace``): reparameterized, with cdf/icdf."""

from __future__ import annotations

import math
from typing import Any

from ..creation import empty
from ..tensor import Tensor
from .elementwise import LocScale
from .utils import finfo


class Laplace(LocScale):
    """Double-exponential with density ``exp(-|x - loc| / scale) / (2 scale)``."""

    _params = ("loc", "scale")

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
