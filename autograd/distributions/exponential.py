"""Exponential(rate) (``torch.distributions.Exponential``): reparameterized, with cdf/icdf."""

from __future__ import annotations

from typing import Any

from ..creation import empty
from ..tensor import Tensor
from . import constraints
from .elementwise import ElementwiseDistribution


class Exponential(ElementwiseDistribution):
    """Exponential with density ``rate * exp(-rate * x)`` on x >= 0."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _params = ("rate",)

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        self._set_params((rate,), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        return self.rate.new_zeros(self.rate.shape)

    @property
    def stddev(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.rate.pow(-2)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        e = empty(self._extended_shape(sample_shape), dtype=self.rate.dtype, device=self.rate.device)
        return e.exponential_() / self.rate

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return -(value * self.rate) + self.rate.log()

    def cdf(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 1 - (-(value * self.rate)).exp()

    def icdf(self, value: Any) -> Tensor:
        return -(-value).log1p() / self.rate

    def entropy(self) -> Tensor:
        return 1.0 - self.rate.log()
