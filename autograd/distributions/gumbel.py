"""Gumbel(loc, scale) (``torch.distributions.Gumbel``): the max-stable law, reparameterized through
uniform draws, with cdf/icdf."""

from __future__ import annotations

import math
from typing import Any

from ..creation import empty
from ..tensor import Tensor
from .elementwise import LocScale
from .utils import finfo

EULER_GAMMA = 0.57721566490153286061


class Gumbel(LocScale):
    """Density ``exp(-(z + exp(-z))) / scale`` with z = (x - loc) / scale."""

    _params = ("loc", "scale")

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * EULER_GAMMA

    @property
    def stddev(self) -> Tensor:
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.pow(2)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        fi = finfo(self.loc)
        u = empty(self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        u = u.uniform_(float(fi.tiny), 1 - float(fi.eps))
        return self.loc - self.scale * (-u.log()).log()

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        z = -(value - self.loc) / self.scale
        return (z - z.exp()) - self.scale.log()

    def cdf(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return (-(-(value - self.loc) / self.scale).exp()).exp()

    def icdf(self, value: Any) -> Tensor:
        return self.loc - self.scale * (-value.log()).log()

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + EULER_GAMMA)
