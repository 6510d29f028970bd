"""HalfNormal(scale) and HalfCauchy(scale) (``torch.distributions.HalfNormal`` / ``HalfCauchy``): |X| for
a zero-centred Normal or Cauchy, as TransformedDistributions with closed-form density, cdf and icdf."""

from __future__ import annotations

import math
from typing import Any

from ..creation import full
from ..tensor import Tensor
from . import constraints
from .cauchy import Cauchy
from .distribution import Distribution
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform

_LOG2 = math.log(2.0)


class _Folded(TransformedDistribution):
    """|X| for X symmetric about 0: density doubled on x >= 0, cdf 2F - 1."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _base: type = Normal

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        base = self._base(0, scale, validate_args=False)
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Distribution:
        new = self._get_checked_instance(type(self), _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mode(self) -> Tensor:
        return self.scale.new_zeros(self.scale.shape)

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        lp = self.base_dist.log_prob(value) + _LOG2
        return lp.masked_fill(value < 0, -math.inf)

    def cdf(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob: Any) -> Tensor:
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - _LOG2


class HalfNormal(_Folded):
    """|X| with X ~ Normal(0, scale)."""

    _base = Normal

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2) * (1 - 2 / math.pi)


class HalfCauchy(_Folded):
    """|X| with X ~ Cauchy(0, scale); no mean or variance."""

    _base = Cauchy

    def _inf(self) -> Tensor:
        return full(self._extended_shape(), math.inf, dtype=self.scale.dtype, device=self.scale.device)

    @property
    def mean(self) -> Tensor:
        return self._inf()

    @property
    def variance(self) -> Tensor:
        return self._inf()
