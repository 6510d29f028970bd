"""Categorical(probs= or logits=) over {0, ..., K-1} (``torch.distributions.Categorical``)."""

from __future__ import annotations

import math
from typing import Any

from ..creation import arange, full
from ..grad_mode import no_grad
from ..ops.random import multinomial
from ..tensor import Tensor
from . import constraints
from .bernoulli import check_one_of
from .distribution import Distribution, as_shape
from .utils import broadcast_shape, finfo, lazy_property, logits_to_probs, probs_to_logits


class Categorical(Distribution):
    """Index i drawn with probability ``probs[..., i]`` (rows normalized; logits normalized by logsumexp)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        check_one_of(probs, logits)
        if probs is not None:
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            self._param = self.logits
        self._num_events = self._param.shape[-1]
        batch = tuple(self._param.shape[:-1])
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Categorical:
        new = self._get_checked_instance(Categorical, _instance)
        shape = as_shape(batch_shape)
        for name in ("probs", "logits"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(shape + (self._num_events,)))
                new._param = getattr(new, name)
        new._num_events = self._num_events
        return self._finish_expand(new, shape)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> tuple:
        return tuple(self._param.shape)

    @property
    def mean(self) -> Tensor:
        return full(self._extended_shape(), math.nan, dtype=self._param.dtype, device=self._param.device)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    @property
    def variance(self) -> Tensor:
        return self.mean

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = as_shape(sample_shape)
        n = math.prod(shape)
        with no_grad():
            rows = self.probs.reshape(-1, self._num_events)
            if n == 0 or rows.shape[0] == 0:
                return full(self._extended_shape(shape), 0, dtype="int64", device=rows.device)
            draws = multinomial(rows, n, True).mT
            return draws.reshape(self._extended_shape(shape))

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        batch = broadcast_shape(value.shape[:-1], self.logits.shape[:-1])
        idx = value.expand(batch + (1,))
        return self.logits.expand(batch + (self._num_events,)).gather(-1, idx).squeeze(-1)

    def entropy(self) -> Tensor:
        logits = self.logits.clamp(min=float(finfo(self.logits).min))
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = arange(self._num_events, dtype="int64", device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values
