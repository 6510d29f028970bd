"""Normal(loc, scale) (``torch.distributions.Normal``): reparameterized, with cdf/icdf and entropy."""

from __future__ import annotations

import math
from typing import Any

from ..tensor import Tensor
from .elementwise import LocScale
from .utils import HALF_LOG_2PI, standard_normal


class Normal(LocScale):
    """Gaussian with mean ``loc`` and standard deviation ``scale``."""

    _params = ("loc", "scale")

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        eps = standard_normal(self._extended_shape(sample_shape), self.loc)
        return self.loc + eps * self.scale

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return -((value - self.loc) ** 2) / (2 * self.scale**2) - self.scale.log() - HALF_LOG_2PI

    def cdf(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + ((value - self.loc) / (self.scale * math.sqrt(2))).erf())

    def icdf(self, value: Any) -> Tensor:
        return (2 * value - 1).erfinv() * math.sqrt(2) * self.scale + self.loc  # value first: any device

    def entropy(self) -> Tensor:
        return 0.5 + HALF_LOG_2PI + self.scale.log()
