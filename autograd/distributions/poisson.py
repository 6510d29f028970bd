"""Poisson(rate) over the non-negative integers (``torch.distributions.Poisson``)."""

from __future__ import annotations

from typing import Any

from ..grad_mode import no_grad
from ..math_ops import xlogy
from ..ops.base import const
from ..tensor import Tensor
from . import constraints
from .elementwise import ElementwiseDistribution


class Poisson(ElementwiseDistribution):
    """Counts k with probability ``rate^k exp(-rate) / k!``."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer
    _params = ("rate",)

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        self._set_params((rate,), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            rate = self.rate.expand(self._extended_shape(sample_shape))
            be = rate.backend
            return const(rate, be.poisson(rate._data, rate._data.dtype, device=rate.device))

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return xlogy(value, self.rate) - self.rate - (value + 1).lgamma()
