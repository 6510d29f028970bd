"""Shared base of the families whose parameters broadcast elementwise (Normal, Laplace, Uniform,
Exponential): batch_shape is the parameters' broadcast shape, there are no event dims, expand is generic."""

from __future__ import annotations

from numbers import Number
from typing import Any

from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, as_shape
from .utils import broadcast_all


class ElementwiseDistribution(Distribution):
    """Parameters named in ``_params`` (each concrete family sets it), broadcast together."""

    _params: tuple = ()

    def _set_params(self, values: tuple, validate_args: bool | None) -> None:
        tensors = broadcast_all(*values)
        for name, t in zip(self._params, tensors):
            setattr(self, name, t)
        batch = () if all(isinstance(v, Number) for v in values) else tensors[0].shape
        Distribution.__init__(self, batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Distribution:
        family = next(c for c in type(self).__mro__ if "_params" in c.__dict__)
        new = self._get_checked_instance(family, _instance)
        shape = as_shape(batch_shape)
        for name in self._params:
            setattr(new, name, getattr(self, name).expand(shape))
        return self._finish_expand(new, shape)


class LocScale(ElementwiseDistribution):
    """A real-valued location-scale family: ``loc`` is its mean and mode, ``scale`` > 0."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self._set_params((loc, scale), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc
