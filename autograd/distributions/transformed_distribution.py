"""TransformedDistribution (``torch.distributions.TransformedDistribution``): a base distribution pushed
through invertible transforms; log_prob subtracts each log|det J|."""

from __future__ import annotations

from typing import Any

from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, as_shape
from .independent import Independent
from .transforms import Transform
from .utils import sum_rightmost


class TransformedDistribution(Distribution):
    """``y = t_n(...t_1(x))`` with ``x ~ base_distribution``."""

    arg_constraints: dict = {}

    def __init__(
        self, base_distribution: Distribution, transforms: Any, validate_args: bool | None = None
    ) -> None:
        if isinstance(transforms, Transform):
            transforms = [transforms]
        elif not isinstance(transforms, list) or not all(isinstance(t, Transform) for t in transforms):
            raise ValueError(f"transforms must be a Transform or a list of Transforms, but was {transforms}")
        self.transforms = transforms
        event_dim = max([len(base_distribution.event_shape)] + [t.event_dim for t in transforms])
        shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        for t in transforms:  # shape-changing transforms (stick breaking) add or drop event entries
            shape = t.forward_shape(shape)
        extra = event_dim - len(base_distribution.event_shape)
        if extra > 0:
            base_distribution = Independent(base_distribution, extra)
        self.base_dist = base_distribution
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> TransformedDistribution:
        new = self._get_checked_instance(TransformedDistribution, _instance)
        shape = as_shape(batch_shape)
        new.base_dist = self.base_dist.expand(
            shape + tuple(self.base_dist.batch_shape[len(self.batch_shape) :])
        )
        new.transforms = self.transforms
        return self._finish_expand(new, shape, self.event_shape)

    @constraints.dependent_property(is_discrete=False)
    def support(self) -> constraints.Constraint:
        return self.transforms[-1].codomain if self.transforms else self.base_dist.support

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            x = self.base_dist.sample(sample_shape)
            for t in self.transforms:
                x = t(x)
            return x

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        x = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        n_event = len(self.event_shape)
        total: Any = 0.0
        y = value
        for t in reversed(self.transforms):
            x = t.inv(y)
            total = total - sum_rightmost(t.log_abs_det_jacobian(x, y), n_event - t.event_dim)
            y = x
        base_extra = n_event - len(self.base_dist.event_shape)
        return total + sum_rightmost(self.base_dist.log_prob(y), base_extra)

    def _monotone(self) -> Any:
        sign: Any = 1
        for t in self.transforms:
            sign = sign * t.sign
        return sign

    def cdf(self, value: Any) -> Tensor:
        for t in reversed(self.transforms):
            value = t.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value)
        out = self.base_dist.cdf(value)
        sign = self._monotone()
        return out if isinstance(sign, int) and sign == 1 else sign * (out - 0.5) + 0.5

    def icdf(self, value: Any) -> Tensor:
        sign = self._monotone()
        if not (isinstance(sign, int) and sign == 1):
            value = sign * (value - 0.5) + 0.5
        x = self.base_dist.icdf(value)
        for t in self.transforms:
            x = t(x)
        return x
