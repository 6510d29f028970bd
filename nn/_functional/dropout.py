"""nn.functional: dropout (inverted: kept values are scaled by 1/(1-p), so eval mode is the identity)."""

from __future__ import annotations

import warnings

from autograd import Tensor
from autograd.ops.index import MaskMul
from autograd.ops.inplace import inplace_apply

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

_SELU_ALPHA_P = -1.7580993408473766  # -selu_scale * selu_alpha: where SELU saturates


def _check_p(op: str, p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")


def _apply_mask(input: Tensor, mask, inplace: bool) -> Tensor:
    if inplace:
        return inplace_apply(input, MaskMul, mask, fast=lambda d, m: d.__imul__(m))
    return MaskMul.apply(input, mask)


def _mask(input: Tensor, p: float, shape: tuple):
    """A backend array: 1/(1-p) where kept, 0 where dropped (drawn from the backend's seeded generator)."""
    return input.backend.bernoulli_mask(1.0 - p, shape, input._data.dtype, device=input.device)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p); identity unless training."""
    _check_p("dropout", p)
    if not training or p == 0.0:
        return input
    if not input.is_floating_point():
        raise RuntimeError(f"dropout: expected a floating point input, got {input.dtype}")
    return _apply_mask(input, _mask(input, p, input.shape), inplace)


def _feature_dropout(
    op: str, input: Tensor, p: float, training: bool, inplace: bool, batched: bool
) -> Tensor:
    """Drop whole channels: one draw per (sample, channel), broadcast over the spatial dims."""
    _check_p(op, p)
    if not training or p == 0.0:
        return input
    lead = 2 if batched else 1
    shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    return _apply_mask(input, _mask(input, p, shape), inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, L) or unbatched (C, L) inputs."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that dropout1d exists "
            "to provide channel-wise dropout on inputs with 1 spatial dimension"
        )
    return _feature_dropout("dropout1d", input, p, training, inplace, input.ndim == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, H, W) inputs (3-D inputs are taken as (N, C, L), as PyTorch does)."""
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will result in an "
            "error in a future release. To retain the behavior and silence this warning, please use dropout "
            "instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
            "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    if input.ndim < 2:
        raise RuntimeError(f"dropout2d: expected an input with a channel dim, got shape {tuple(input.shape)}")
    return _feature_dropout("dropout2d", input, p, training, inplace, True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, D, H, W) or unbatched (C, D, H, W) inputs."""
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated; dropout3d expects "
            "4D (unbatched) or 5D (batched) inputs.",
            stacklevel=2,
        )
    if input.ndim < 2:
        raise RuntimeError(f"dropout3d: expected an input with a channel dim, got shape {tuple(input.shape)}")
    return _feature_dropout("dropout3d", input, p, training, inplace, input.ndim != 4)


def _alpha(op: str, input: Tensor, p: float, training: bool, inplace: bool, shape: tuple) -> Tensor:
    _check_p(op, p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0 if not inplace else input.mul_(0.0)
    keep = input.backend.bernoulli_mask(1.0 - p, shape, input._data.dtype, device=input.device) * (1.0 - p)
    a = ((1.0 - p) * (1.0 + p * _SELU_ALPHA_P**2)) ** -0.5
    b = -a * _SELU_ALPHA_P * p
    # a * (x * keep + alpha' * (1 - keep)) + b, i.e. x * (a * keep) + const
    const = Tensor._make((1.0 - keep) * (a * _SELU_ALPHA_P) + b)
    out = MaskMul.apply(input, keep * a) + const
    if inplace:
        input.copy_(out)
        return input
    return out


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout that keeps a SELU network's mean and variance (dropped values go to SELU's saturation)."""
    return _alpha("alpha_dropout", input, p, training, inplace, input.shape)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Alpha dropout of whole channels."""
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _alpha("feature_alpha_dropout", input, p, training, inplace, shape)
