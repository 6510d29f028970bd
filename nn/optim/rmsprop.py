"""RMSprop (``torch.optim.RMSprop``): scale steps by a running RMS of the gradient."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd.tensor import bump_version

from .optimizer import Optimizer, _check, _no_differentiable, _zeros

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop with optional momentum and centering (divide by the gradient's running std)."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check(lr >= 0.0, "RMSprop", "learning rate", lr)
        _check(eps >= 0.0, "RMSprop", "epsilon value", eps)
        _check(momentum >= 0.0, "RMSprop", "momentum value", momentum)
        _check(weight_decay >= 0.0, "RMSprop", "weight_decay value", weight_decay)
        _check(alpha >= 0.0, "RMSprop", "alpha value", alpha)
        _no_differentiable("RMSprop", differentiable)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        alpha, eps = group["alpha"], group["eps"]
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        centered, maximize = group["centered"], group["maximize"]
        for p, pa, ga, state in self._grads(group):
            if not state:
                state["step"] = 0.0
                state["square_avg"] = _zeros(p)
            if momentum > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = _zeros(p)
            if centered and "grad_avg" not in state:
                state["grad_avg"] = _zeros(p)
            state["step"] += 1
            p.backend.rmsprop_step(
                pa,
                ga,
                state["square_avg"]._data,
                state["grad_avg"]._data if centered else None,
                state["momentum_buffer"]._data if momentum > 0 else None,
                lr,
                alpha,
                eps,
                weight_decay,
                momentum,
                centered,
                maximize,
            )
            bump_version(p)
