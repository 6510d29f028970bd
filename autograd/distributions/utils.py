"""Helpers shared by the distributions (``torch.distributions.utils``): parameter broadcasting, lazy
properties, probs <-> logits conversions."""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

from ..grad_mode import enable_grad
from ..tensor import Tensor


def broadcast_shape(*shapes: Any) -> tuple:
    """The shape ``shapes`` broadcast to (PyTorch's rules), ValueError naming them otherwise."""
    out: list = []
    for s in shapes:
        s = tuple(s)
        if len(s) > len(out):
            out = [1] * (len(s) - len(out)) + out
        for i, d in enumerate(s):
            j = len(out) - len(s) + i
            if out[j] == 1:
                out[j] = d
            elif d != 1 and d != out[j]:
                raise ValueError(
                    f"shapes {', '.join(str(tuple(x)) for x in shapes)} cannot be broadcast together"
                )
    return tuple(out)


def broadcast_all(*values: Any) -> tuple:
    """Numbers and tensors as tensors of one broadcast shape; numbers take the first tensor's dtype/device."""
    from ..creation import tensor

    like = next((v for v in values if isinstance(v, Tensor)), None)
    for v in values:
        if not isinstance(v, Tensor | Number):
            raise ValueError(
                f"Input arguments must all be instances of numbers.Number or Tensor, got {type(v).__name__}"
            )
    if like is None:
        return tuple(tensor(float(v)) for v in values)
    ts = [
        v
        if isinstance(v, Tensor)
        else tensor(v, dtype=like.dtype if like.is_floating_point() else None, device=like.device)
        for v in values
    ]
    shape = broadcast_shape(*(t.shape for t in ts))
    return tuple(t if tuple(t.shape) == shape else t.expand(shape) for t in ts)


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum over the ``dim`` rightmost dims (no-op for 0)."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[: value.ndim - dim]) + (-1,)).sum(-1)


def finfo(t: Tensor) -> Any:
    """The floating-point limits of ``t``'s dtype (from its backend)."""
    return t.backend.xp.finfo(t._data.dtype)


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities kept inside [eps, 1 - eps] so their logs stay finite."""
    eps = float(finfo(probs).eps)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Sigmoid for binary logits, softmax over the last dim otherwise."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Log-odds for binary probabilities, log-probabilities otherwise (clamped away from 0 and 1)."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


class lazy_property:  # noqa: N801 (PyTorch's name)
    """A property computed on first access and then stored on the instance (probs/logits, scale_tril...)."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance: Any, obj_type: Any = None) -> Any:
        if instance is None:
            return self
        with enable_grad():  # first touched inside sample()'s no_grad, it must still carry the graph
            value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value


def standard_normal(shape: tuple, like: Tensor) -> Tensor:
    """N(0, 1) draws of ``shape`` on ``like``'s device and dtype."""
    from ..creation import randn

    return randn(shape, dtype=like.dtype, device=like.device)


def bce_with_logits(logits: Tensor, target: Tensor) -> Tensor:
    """Elementwise binary cross-entropy from logits, stable for large |logits| (gradient sigmoid - target)."""
    return -(target * logits) + logits.softplus()


HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
