"""RelaxedBernoulli and LogitRelaxedBernoulli (``torch.distributions.relaxed_bernoulli``): the Concrete
relaxation of Bernoulli, continuous and reparameterized, sharper as ``temperature`` falls."""

from __future__ import annotations

from typing import Any

from ..creation import rand
from ..tensor import Tensor
from . import constraints
from .bernoulli import BinaryParam, set_probs_or_logits
from .distribution import as_shape
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform
from .utils import clamp_probs


def clamped_uniforms(shape: tuple, like: Tensor) -> Tensor:
    return clamp_probs(rand(shape, dtype=like.dtype, device=like.device))


class LogitRelaxedBernoulli(BinaryParam):
    """The logit of a RelaxedBernoulli draw: (logit(u) + logits) / temperature with u ~ U(0, 1)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    def __init__(
        self, temperature: Tensor, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        self.temperature = temperature
        batch = set_probs_or_logits(self, probs, logits)
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LogitRelaxedBernoulli:
        new = self._get_checked_instance(LogitRelaxedBernoulli, _instance)
        shape = as_shape(batch_shape)
        new.temperature = self.temperature
        self._expand_param(new, shape)
        return self._finish_expand(new, shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = clamp_probs(self.probs.expand(shape))
        u = clamped_uniforms(shape, p)
        return (u.log() - (-u).log1p() + p.log() - (-p).log1p()) / self.temperature

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        diff = self.logits - value * self.temperature
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedWrapper(TransformedDistribution):
    """A relaxation pushed out of its logit/log space: temperature, logits and probs are the base's."""

    def expand(self, batch_shape: Any, _instance: Any = None) -> TransformedDistribution:
        new = self._get_checked_instance(type(self), _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs


class RelaxedBernoulli(RelaxedWrapper):
    """sigmoid of a LogitRelaxedBernoulli: values in (0, 1), reparameterized."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(
        self, temperature: Tensor, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        base = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)
