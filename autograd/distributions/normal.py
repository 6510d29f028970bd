"""Normal(loc, scale) (``torch.distributions.Normal``): reparameterized, with cdf/icdf and entropy."""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

from ..tensor import Tensor
from . import constraints
from ._erfinv import erfinv
from .distribution import Distribution, as_shape
from .utils import HALF_LOG_2PI, broadcast_all, standard_normal


class Normal(Distribution):
    """Gaussian with mean ``loc`` and standard deviation ``scale``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        batch = () if isinstance(loc, Number) and isinstance(scale, Number) else self.loc.shape
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Normal:
        new = self._get_checked_instance(Normal, _instance)
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
        return erfinv(2 * value - 1) * math.sqrt(2) * self.scale + self.loc  # value first: any device

    def entropy(self) -> Tensor:
        return 0.5 + HALF_LOG_2PI + self.scale.log()
