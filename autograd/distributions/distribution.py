"""The Distribution base class (``torch.distributions.Distribution``): shapes, validation, sampling API."""

from __future__ import annotations

import warnings
from typing import Any

from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from .utils import lazy_property


def as_shape(shape: Any) -> tuple:
    """A sample/batch shape as a tuple of ints (an int n means (n,))."""
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(s) for s in shape)


def fmt_value(v: Any) -> str:
    """A value as torch's f-string shows it: a 0-d tensor as its number."""
    return str(v.item()) if isinstance(v, Tensor) and v.ndim == 0 else str(v)


def _fmt(v: Any) -> str:
    return str(tuple(v.shape)) if isinstance(v, Tensor) and v.ndim else fmt_value(v)


class Distribution:
    """A batch of probability distributions: ``batch_shape`` independent ones over ``event_shape`` values."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn parameter/sample validation on or off for distributions built afterwards (default: on)."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(
        self, batch_shape: Any = (), event_shape: Any = (), validate_args: bool | None = None
    ) -> None:
        self._batch_shape = as_shape(batch_shape)
        self._event_shape = as_shape(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            try:
                arg_constraints = self.arg_constraints
            except NotImplementedError:
                arg_constraints = {}
                warnings.warn(
                    f"{self.__class__} does not define `arg_constraints`. Please set `arg_constraints = {{}}` "
                    "or initialize the distribution with `validate_args=False` to turn off validation.",
                    stacklevel=2,
                )
            for param, constraint in arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue
                if param not in self.__dict__ and isinstance(getattr(type(self), param, None), lazy_property):
                    continue  # a lazily derived parameter (probs from logits...) needs no check
                value = getattr(self, param)
                if not bool(constraint.check(value).all()):
                    raise ValueError(
                        f"Expected parameter {param} ({type(value).__name__} of shape {tuple(value.shape)}) "
                        f"of distribution {self!r} to satisfy the constraint {constraint!r}, "
                        f"but found invalid values:\n{fmt_value(value)}"
                    )

    # ---- shapes -----------------------------------------------------------------------------------
    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        return self._event_shape

    def _extended_shape(self, sample_shape: Any = ()) -> tuple:
        return as_shape(sample_shape) + self._batch_shape + self._event_shape

    def expand(self, batch_shape: Any, _instance: Any = None) -> Distribution:
        """The same distribution with parameters expanded to ``batch_shape`` (no copies)."""
        raise NotImplementedError(f"{self.__class__.__name__} does not implement expand")

    def _get_checked_instance(self, cls: type, _instance: Any = None) -> Any:
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom __init__ method "
                "must also define a custom .expand() method."
            )
        return self.__new__(type(self)) if _instance is None else _instance

    def _finish_expand(self, new: Distribution, batch_shape: Any, event_shape: Any = ()) -> Distribution:
        Distribution.__init__(new, batch_shape, event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    # ---- what subclasses define -------------------------------------------------------------------
    @property
    def arg_constraints(self) -> dict:
        raise NotImplementedError

    @property
    def support(self) -> Any:
        raise NotImplementedError

    def _missing(self, what: str) -> NotImplementedError:
        return NotImplementedError(f"{self.__class__} does not implement {what}")

    @property
    def mean(self) -> Tensor:
        raise self._missing("mean")

    @property
    def mode(self) -> Tensor:
        raise self._missing("mode")

    @property
    def variance(self) -> Tensor:
        raise self._missing("variance")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Draws of shape ``sample_shape + batch_shape + event_shape``, cut from the graph."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """Reparameterized draws: gradients flow back to the parameters."""
        raise NotImplementedError(f"{self.__class__.__name__} does not implement rsample")

    def sample_n(self, n: int) -> Tensor:
        warnings.warn("sample_n will be deprecated. Use .sample((n,)) instead", UserWarning, stacklevel=2)
        return self.sample((n,))

    def log_prob(self, value: Tensor) -> Tensor:
        raise self._missing("log_prob")

    def cdf(self, value: Tensor) -> Tensor:
        raise self._missing("cdf")

    def icdf(self, value: Tensor) -> Tensor:
        raise self._missing("icdf")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        raise self._missing("enumerate_support")

    def entropy(self) -> Tensor:
        raise self._missing("entropy")

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    # ---- validation -------------------------------------------------------------------------------
    def _validate_sample(self, value: Any) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        n_event = len(self._event_shape)
        actual = tuple(value.shape)
        if actual[len(actual) - n_event :] != self._event_shape or len(actual) < n_event:
            raise ValueError(
                f"The right-most size of value must match event_shape: {actual} vs {self._event_shape}."
            )
        expected = self._batch_shape + self._event_shape
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(
                    f"Value is not broadcastable with batch_shape+event_shape: {actual} vs {expected}."
                )
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(
                f"{self.__class__} does not define `support` to enable sample validation. Please initialize the "
                "distribution with `validate_args=False` to turn off validation.",
                stacklevel=2,
            )
            return
        if not bool(support.check(value).all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {actual}) to be within the support "
                f"({support!r}) of the distribution {self!r}, but found invalid values:\n{fmt_value(value)}"
            )

    def __repr__(self) -> str:
        try:
            names = [k for k in self.arg_constraints if k in self.__dict__]
        except NotImplementedError:
            names = []
        args = ", ".join(f"{p}: {_fmt(self.__dict__[p])}" for p in names)
        return f"{self.__class__.__name__}({args})"
