"""Geometric(probs= or logits=) (``torch.distributions.Geometric``): failures before the first success."""

from __future__ import annotations

from typing import Any

from ..creation import empty
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from .bernoulli import BinaryParam, set_probs_or_logits
from .distribution import as_shape
from .utils import bce_with_logits, finfo


class Geometric(BinaryParam):
    """k >= 0 with probability ``(1 - p)^k p``."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        batch = set_probs_or_logits(self, probs, logits)
        super().__init__(batch, validate_args=validate_args)
        if self._validate_args and probs is not None:  # beyond unit_interval: 0 is not allowed
            value = self.probs
            valid = value > 0
            if not bool(valid.all()):
                raise ValueError(
                    f"Expected parameter probs ({type(value).__name__} of shape {tuple(value.shape)}) of "
                    f"distribution {self!r} to be positive but found invalid values:\n{value.detach()[~valid]}"
                )

    def expand(self, batch_shape: Any, _instance: Any = None) -> Geometric:
        new = self._get_checked_instance(Geometric, _instance)
        shape = as_shape(batch_shape)
        self._expand_param(new, shape)
        return self._finish_expand(new, shape)

    @property
    def mean(self) -> Tensor:
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> Tensor:
        return self.probs.new_zeros(self.probs.shape)

    @property
    def variance(self) -> Tensor:
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            p = self.probs
            u = empty(self._extended_shape(sample_shape), dtype=p.dtype, device=p.device)
            u = u.uniform_(float(finfo(p).tiny), 1)
            return (u.log() / (-p).log1p()).floor()

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        p = self.probs
        certain = (p == 1) & (value == 0)  # 0 * log(0) is 0 here: k = 0 has probability 1
        q = p.expand(certain.shape).masked_fill(certain, 0.0)
        return value * (-q).log1p() + p.log()

    def entropy(self) -> Tensor:
        return bce_with_logits(self.logits, self.probs) / self.probs
