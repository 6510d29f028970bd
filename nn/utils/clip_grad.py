"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_``, ``get_total_norm``, ``clip_grads_with_norm_``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import autograd
from autograd import Tensor

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _tensors(x: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [x] if isinstance(x, Tensor) else list(x)


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [p.grad for p in _tensors(parameters) if p.grad is not None]


def get_total_norm(
    tensors: Tensor | Iterable[Tensor],
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The ``norm_type`` norm of all tensors together (as if concatenated); on the first tensor's device."""
    tensors = [t for t in _tensors(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return autograd.tensor(0.0)
    with autograd.no_grad():
        device = tensors[0].device
        norms = [autograd.norm(t.detach(), norm_type).to(device) for t in tensors]
        total = autograd.norm(autograd.stack(norms), norm_type)
        if error_if_nonfinite and not bool(autograd.isfinite(total)):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
                "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                "anyway, set `error_if_nonfinite=False`"
            )
    return total


def clip_grads_with_norm_(
    parameters: Tensor | Iterable[Tensor], max_norm: float, total_norm: Tensor, foreach: bool | None = None
) -> None:
    """Scale the gradients in place by ``min(1, max_norm / (total_norm + 1e-6))``."""
    grads = _grads(parameters)
    if not grads:
        return
    with autograd.no_grad():
        coef = (float(max_norm) / (total_norm.detach() + 1e-6)).clamp(max=1.0)
        by_device: dict[Any, Tensor] = {}
        for g in grads:
            c = by_device.get(g.device)
            if c is None:
                c = by_device[g.device] = coef.to(device=g.device, dtype=g.dtype)
            with g.backend.errstate():  # an inf norm gives inf * 0 = nan, as in PyTorch, without a warning
                g.mul_(c)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Rescale gradients in place so that their total norm is at most ``max_norm``; returns the norm before.

    ``norm_type`` may be ``inf``. ``foreach`` is accepted for PyTorch compatibility and ignored.
    """
    params = _tensors(parameters)
    total = get_total_norm(_grads(params), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_norm(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Deprecated alias of ``clip_grad_norm_`` (as in PyTorch)."""
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient in place to ``[-clip_value, clip_value]``."""
    c = float(clip_value)
    with autograd.no_grad():
        for g in _grads(parameters):
            g.clamp_(-c, c)
