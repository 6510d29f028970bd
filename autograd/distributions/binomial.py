"""Binomial(total_count, probs= or logits=) (``torch.distributions.Binomial``): successes in
``total_count`` independent trials."""

from __future__ import annotations

from typing import Any

from ..creation import arange
from ..grad_mode import no_grad
from ..ops.base import const
from ..tensor import Tensor
from . import constraints
from .bernoulli import BinaryParam, check_one_of
from .distribution import as_shape
from .utils import broadcast_all


class Binomial(BinaryParam):
    """k successes out of n = ``total_count`` with probability ``C(n, k) p^k (1 - p)^(n - k)``."""

    arg_constraints = {
        "total_count": constraints.nonnegative_integer,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    has_enumerate_support = True

    def __init__(
        self, total_count: Any = 1, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        check_one_of(probs, logits)
        name = "probs" if probs is not None else "logits"
        count, param = broadcast_all(total_count, probs if probs is not None else logits)
        self.total_count = count.type_as(param)
        setattr(self, name, param)
        self._param = param
        super().__init__(tuple(param.shape), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Binomial:
        new = self._get_checked_instance(Binomial, _instance)
        shape = as_shape(batch_shape)
        new.total_count = self.total_count.expand(shape)
        self._expand_param(new, shape)
        return self._finish_expand(new, shape)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            shape = self._extended_shape(sample_shape)
            n, p = self.total_count.expand(shape), self.probs.expand(shape)
            draws = p.backend.binomial(n._data, p._data, p._data.dtype, device=p.device)
            return const(p, draws)

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        pos_part = (logits.clamp(min=0) + logits - logits.clamp(max=0)) / 2  # max(l, 0), gradient 1/2 at 0
        log_norm = n * pos_part + n * (-logits.abs()).exp().log1p() - (n + 1).lgamma()
        return value * logits - (value + 1).lgamma() - (n - value + 1).lgamma() - log_norm

    def _homogeneous_count(self, what: str) -> int:
        n = int(self.total_count.max().item())
        if not float(self.total_count.min().item()) == n:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return n

    def entropy(self) -> Tensor:
        self._homogeneous_count("entropy")
        lp = self.log_prob(self.enumerate_support(False))
        return -(lp.exp() * lp).sum(0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        n = self._homogeneous_count("enumerate_support")
        values = arange(1 + n, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values
