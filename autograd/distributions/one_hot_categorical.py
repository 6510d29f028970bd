"""OneHotCategorical (``torch.distributions.OneHotCategorical``): a Categorical whose values are one-hot
vectors; and its straight-through variant whose rsample passes gradients to probs."""

from __future__ import annotations

from typing import Any

from ..creation import eye
from ..ops.index import one_hot
from ..tensor import Tensor
from . import constraints
from .categorical import Categorical
from .distribution import Distribution, as_shape


class OneHotCategorical(Distribution):
    """One-hot vectors of length K, the hot index drawn from ``Categorical(probs, logits)``."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits)
        batch = self._categorical.batch_shape
        super().__init__(batch, self._categorical.param_shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> OneHotCategorical:
        new = self._get_checked_instance(OneHotCategorical, _instance)
        shape = as_shape(batch_shape)
        new._categorical = self._categorical.expand(shape)
        return self._finish_expand(new, shape, self.event_shape)

    @property
    def _param(self) -> Tensor:
        return self._categorical._param

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def param_shape(self) -> tuple:
        return self._categorical.param_shape

    @property
    def mean(self) -> Tensor:
        return self._categorical.probs

    @property
    def mode(self) -> Tensor:
        p = self._categorical.probs
        return one_hot(p.argmax(-1), p.shape[-1]).type_as(p)

    @property
    def variance(self) -> Tensor:
        p = self._categorical.probs
        return p * (1 - p)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        p = self._categorical.probs
        idx = self._categorical.sample(sample_shape)
        return one_hot(idx, p.shape[-1]).type_as(p)

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        n = self.event_shape[0]
        values = eye(n, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((n,) + (1,) * len(self.batch_shape) + (n,))
        return values.expand((n,) + self.batch_shape + (n,)) if expand else values


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """rsample is the one-hot draw in the forward pass with the gradient of ``probs`` (straight-through)."""

    has_rsample = True

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        draw = self.sample(sample_shape)
        p = self._categorical.probs
        return draw + (p - p.detach())
