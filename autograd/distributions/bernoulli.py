"""Bernoulli(probs= or logits=) (``torch.distributions.Bernoulli``); log_prob/entropy from logits, stably."""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

from ..creation import arange
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, as_shape
from .utils import bce_with_logits, broadcast_all, lazy_property, logits_to_probs, probs_to_logits


def check_one_of(probs: Any, logits: Any) -> None:
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


def set_probs_or_logits(dist: Any, probs: Any, logits: Any) -> tuple:
    """Store the one given of ``probs``/``logits`` (a number becomes a tensor) as ``dist._param``; the batch shape."""
    check_one_of(probs, logits)
    param = probs if probs is not None else logits
    (t,) = broadcast_all(param)
    setattr(dist, "probs" if probs is not None else "logits", t)
    dist._param = t
    return () if isinstance(param, Number) else tuple(t.shape)


class BinaryParam(Distribution):
    """Base of the families with one success probability, given as ``probs`` or ``logits`` (the other lazy)."""

    def _expand_param(self, new: Any, shape: tuple) -> None:
        for name in ("probs", "logits"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(shape))
                new._param = getattr(new, name)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> tuple:
        return tuple(self._param.shape)


class Bernoulli(BinaryParam):
    """1 with probability ``probs`` (= sigmoid(logits)), else 0."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        batch = set_probs_or_logits(self, probs, logits)
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Bernoulli:
        new = self._get_checked_instance(Bernoulli, _instance)
        shape = as_shape(batch_shape)
        self._expand_param(new, shape)
        return self._finish_expand(new, shape)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        p = self.probs
        return (p >= 0.5).type_as(p).masked_fill(p == 0.5, math.nan)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            return self.probs.expand(self._extended_shape(sample_shape)).bernoulli()

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return -bce_with_logits(
            self.logits, value
        )  # broadcasts; value first so CPU 0-d logits act as scalars

    def entropy(self) -> Tensor:
        return bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = arange(2, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values
