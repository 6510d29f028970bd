"""Adadelta (``torch.optim.Adadelta``): steps scaled by the ratio of running RMS of updates and grads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd.tensor import bump_version

from .optimizer import Optimizer, _check, _no_differentiable, _zeros

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta: ``delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * grad``; ``p -= lr * delta``."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check(lr >= 0.0, "Adadelta", "learning rate", lr)
        _check(0.0 <= rho <= 1.0, "Adadelta", "rho value", rho)
        _check(eps >= 0.0, "Adadelta", "epsilon value", eps)
        _check(weight_decay >= 0.0, "Adadelta", "weight_decay value", weight_decay)
        _no_differentiable("Adadelta", differentiable)
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        rho, eps = group["rho"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p, pa, ga, state in self._grads(group):
            if not state:
                state["step"] = 0.0
                state["square_avg"] = _zeros(p)
                state["acc_delta"] = _zeros(p)
            state["step"] += 1
            p.backend.adadelta_step(
                pa,
                ga,
                state["square_avg"]._data,
                state["acc_delta"]._data,
                lr,
                rho,
                eps,
                weight_decay,
                maximize,
            )
            bump_version(p)
