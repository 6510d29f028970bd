"""nn.functional: randomized activations, rrelu and gumbel_softmax, drawing from the backend's seeded generator.

The noise is a constant of the graph; the rest is composed from differentiable Tensor ops.
"""

from __future__ import annotations

import autograd as A
from autograd import Tensor

from .activation import _check, _maybe_inplace, softmax

__all__ = ["gumbel_softmax", "rrelu", "rrelu_"]


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """x where x > 0, else a * x: a ~ U(lower, upper) per element in training, (lower + upper) / 2 otherwise."""
    op = "rrelu"
    _check(op, input)
    if lower > upper:
        raise RuntimeError(
            f"{op}: lower bound should be less than or equal to the upper bound, got lower={lower}, upper={upper}"
        )
    if not input.is_floating_point():
        raise RuntimeError(f"{op}: expected a floating-point input, got {input.dtype}")
    if training:
        slope = A.rand(input.shape, dtype=input.dtype, device=input.device) * (upper - lower) + lower
    else:
        slope = (lower + upper) / 2
    return _maybe_inplace(op, input, inplace, lambda x: A.where(x > 0, x, x * slope))


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """softmax((logits + Gumbel noise) / tau); ``hard`` returns one-hot samples with the soft gradient."""
    op = "gumbel_softmax"
    _check(op, logits)
    if not logits.is_floating_point():
        raise RuntimeError(f"{op}: expected floating-point logits, got {logits.dtype}")
    if tau <= 0:
        raise ValueError(f"{op}: tau must be positive, got {tau}")
    u = A.rand(logits.shape, dtype=logits.dtype, device=logits.device)
    tiny = float(logits.backend.xp.finfo(logits._data.dtype).tiny)
    expo = (-(1 - u).log()).clamp(min=tiny)  # Exp(1) samples, never 0
    y_soft = softmax((logits - expo.log()) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.detach().argmax(dim, keepdim=True)
    y_hard = A.zeros_like(logits).scatter(dim if dim >= 0 else dim + logits.ndim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
